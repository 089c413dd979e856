"""Batch normalisation over the batch (and spatial) axes, with running statistics."""

from __future__ import annotations

import numpy as np

from .._validation import check_int, check_positive
from ..params import Parameter
from .base import Layer


class _BatchNorm(Layer):
    """Shared math of ``BatchNorm1d`` / ``BatchNorm2d``; ``axes`` are the reduced axes.

    Training mode normalises with the batch mean and (biased) variance and updates
    ``running_mean`` / ``running_var`` (unbiased) with ``momentum``; evaluation mode uses
    the running statistics. The NumPy lines of ``_forward`` / ``_backward`` are the math;
    C-ordered ``(N, C)`` features in training mode (one dtype throughout) run the same
    operations fused into three and two passes in reused buffers
    (``bnncore.kernels.batchnorm``), bit for bit the same numbers.
    """

    axes: tuple[int, ...] = (0,)

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        self.num_features = check_int(num_features, "num_features", minimum=1)
        self.eps = check_positive(eps, "eps")
        self.momentum = check_positive(momentum, "momentum")
        if self.momentum > 1:
            raise ValueError(f"momentum must be in (0, 1], got {momentum}")
        self.weight = Parameter(np.ones(num_features, np.float32), "weight")
        self.bias = Parameter(np.zeros(num_features, np.float32), "bias")
        self.running_mean = np.zeros(num_features, np.float32)
        self.running_var = np.ones(num_features, np.float32)

    def get_config(self) -> dict:
        return {"num_features": self.num_features, "eps": self.eps, "momentum": self.momentum}

    def buffers(self) -> dict[str, np.ndarray]:
        return {"running_mean": self.running_mean, "running_var": self.running_var}

    def _check_features(self, x, name):
        if x.shape[1] != self.num_features:
            raise ValueError(f"{name} has {x.shape[1]} features/channels, "
                             f"{type(self).__name__} expects num_features={self.num_features}")

    def _shape(self, v: np.ndarray) -> np.ndarray:
        """Broadcast a per-feature vector against x."""
        return v.reshape((1, -1) + (1,) * (len(self.axes) - 1))

    def _fused(self, x) -> bool:
        """Whether the fused kernels (``kernels.batchnorm``) apply: C-ordered ``(N, C)``
        input, one dtype throughout."""
        return (x.ndim == 2 and x.flags.c_contiguous and x.dtype in (np.float32, np.float64)
                and x.dtype == self.weight.data.dtype == self.bias.data.dtype)

    def _forward(self, x, training):
        self._was_fused = training and self._fused(x)
        if self._was_fused:
            return self._forward_fused(x)
        ax = self.axes
        if training:
            n = x.size // x.shape[1]
            if n < 2:
                raise ValueError(f"x needs more than one value per channel in training mode, "
                                 f"got shape {x.shape}")
            mean = x.mean(axis=ax)
            xc = x - self._shape(mean)
            var = (xc * xc).mean(axis=ax)
            self._update_running(mean, var, n)
        else:
            xc = x - self._shape(self.running_mean)
            var = self.running_var
        inv_std = 1.0 / np.sqrt(var + self.eps)
        xhat = xc * self._shape(inv_std)
        self._xhat, self._inv_std, self._training = xhat, inv_std, training
        return self._shape(self.weight.data) * xhat + self._shape(self.bias.data)

    def _forward_fused(self, x):
        """Training forward of ``(N, C)`` features in three fused passes; the same
        operations as the NumPy lines of ``_forward``."""
        from ..kernels.batchnorm import batchnorm_forward

        n, c = x.shape
        if n < 2:
            raise ValueError(f"x needs more than one value per channel in training mode, "
                             f"got shape {x.shape}")
        dt = x.dtype
        mean, var, inv_std = (self._scratch(k, (c,), dt) for k in ("mean", "var", "inv_std"))
        xc, xhat, y = (self._scratch(k, x.shape, dt) for k in ("xc", "xhat", "y"))
        batchnorm_forward(x, self.weight.data, self.bias.data, dt.type(self.eps), mean, var,
                          inv_std, xc, xhat, y)
        self._update_running(mean, var, n)
        self._xhat, self._inv_std, self._training = xhat, inv_std, True
        return y

    def _update_running(self, mean, var, n):
        """Running statistics, in place; the comments give the expressions (unbiased var)."""
        m, tmp = self.momentum, self._scratch("stat", mean.shape, mean.dtype)
        self.running_mean *= (1 - m)     # (1 - m) * running_mean + m * mean
        self.running_mean += np.multiply(m, mean, out=tmp)
        np.multiply(m, var, out=tmp)     # (1 - m) * running_var + m * var * n / (n - 1)
        tmp *= n
        tmp /= n - 1
        self.running_var *= (1 - m)
        self.running_var += tmp

    def _backward(self, dy):
        if self._was_fused and self._fused(dy):
            from ..kernels.batchnorm import batchnorm_backward

            c = dy.shape[1]
            dgamma, dbeta, scale = (self._scratch(k, (c,), dy.dtype)
                                    for k in ("dgamma", "dbeta", "scale"))
            dx = batchnorm_backward(dy, self._xhat, self.weight.data, self._inv_std, dgamma,
                                    dbeta, scale, self._scratch("means", (2, c), dy.dtype),
                                    self._scratch("dx", dy.shape, dy.dtype))
            self.weight.grad += dgamma
            self.bias.grad += dbeta
            return dx
        ax, xhat = self.axes, self._xhat
        dgamma = (dy * xhat).sum(axis=ax)
        dbeta = dy.sum(axis=ax)
        self.weight.grad += dgamma
        self.bias.grad += dbeta
        scale = self._shape(self.weight.data * self._inv_std)
        if not self._training:  # running statistics are constants
            return dy * scale
        # d/dx of gamma * (x - mean(x)) / std(x) + beta, with the batch reductions:
        # dx = gamma / std * (dy - mean(dy) - xhat * mean(dy * xhat))
        n = dy.size // dy.shape[1]
        return scale * (dy - self._shape(dbeta / n) - xhat * self._shape(dgamma / n))


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of ``(N, D)`` features.

    Examples
    --------
    >>> import numpy as np
    >>> bn = BatchNorm1d(3)
    >>> y = bn.forward(np.random.default_rng(0).normal(size=(8, 3)))
    >>> np.allclose(y.mean(axis=0), 0), np.allclose(y.std(axis=0), 1, atol=1e-3)
    (True, True)
    """

    input_ndim = (2,)
    axes = (0,)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of ``(N, C, H, W)`` images, per channel.

    Examples
    --------
    >>> import numpy as np
    >>> BatchNorm2d(2).forward(np.ones((4, 2, 3, 3))).shape
    (4, 2, 3, 3)
    """

    input_ndim = (4,)
    axes = (0, 2, 3)
