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
    ``(N, C)`` features in training mode (one dtype throughout) run the same operations
    fused into three and two passes (``bnncore.kernels.batchnorm``).
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
        """Whether the fused kernels (``kernels.batchnorm``) apply: ``(N, C)`` input, one
        dtype throughout."""
        return (x.ndim == 2 and x.dtype == self.weight.data.dtype == self.bias.data.dtype
                and x.dtype in (np.float32, np.float64))

    def _forward(self, x, training):
        if training and self._fused(x):
            return self._forward_fused(x)
        # The formulas of the class docstring, written with ``out=`` into the layer's
        # buffers (so a training step allocates nothing) and with the dtypes NumPy would
        # give the plain expressions; the comments give those expressions.
        ax, v, c = self.axes, self._shape, x.shape[1]
        if training:
            n = x.size // c
            if n < 2:
                raise ValueError(f"x needs more than one value per channel in training mode, "
                                 f"got shape {x.shape}")
            mean = np.mean(x, axis=ax, out=self._scratch("mean", (c,), x.dtype))
            xc = np.subtract(x, v(mean), out=self._scratch("xc", x.shape, x.dtype))
            sq = np.multiply(xc, xc, out=self._scratch("sq", x.shape, x.dtype))
            var = np.mean(sq, axis=ax, out=self._scratch("var", (c,), x.dtype))
            self._update_running(mean, var, n)
        else:
            xc = np.subtract(x, v(self.running_mean), out=self._scratch(
                "xc", x.shape, np.result_type(x, self.running_mean)))
            var = self.running_var
        inv_std = np.add(var, self.eps, out=self._scratch("inv_std", (c,), var.dtype))
        np.sqrt(inv_std, out=inv_std)
        np.divide(1.0, inv_std, out=inv_std)                      # 1 / sqrt(var + eps)
        xhat = np.multiply(xc, v(inv_std), out=self._scratch(
            "xhat", x.shape, np.result_type(xc, inv_std)))        # xc * inv_std
        gamma, beta = self.weight.data, self.bias.data
        y = np.multiply(v(gamma), xhat, out=self._scratch(
            "y", x.shape, np.result_type(gamma, xhat, beta)))
        y += v(beta)                                              # gamma * xhat + beta
        self._xhat, self._inv_std, self._training = xhat, inv_std, training
        return y

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
        m, tmp = self.momentum, self._scratch("stat", mean.shape, mean.dtype)
        self.running_mean *= (1 - m)     # (1 - m) * running_mean + m * mean
        self.running_mean += np.multiply(m, mean, out=tmp)
        np.multiply(m, var, out=tmp)     # (1 - m) * running_var + m * var * n / (n - 1)
        tmp *= n
        tmp /= n - 1
        self.running_var *= (1 - m)
        self.running_var += tmp

    def _backward(self, dy):
        if self._training and self._fused(dy) and dy.dtype == self._xhat.dtype:
            from ..kernels.batchnorm import batchnorm_backward

            c = dy.shape[1]
            dgamma, dbeta, scale = (self._scratch(k, (c,), dy.dtype)
                                    for k in ("dgamma", "dbeta", "scale"))
            dx = batchnorm_backward(dy, self._xhat, self.weight.data, self._inv_std, dgamma,
                                    dbeta, scale, self._scratch("dx", dy.shape, dy.dtype))
            self.weight.grad += dgamma
            self.bias.grad += dbeta
            return dx
        ax, v, xhat = self.axes, self._shape, self._xhat
        c = dy.shape[1]
        dt = np.result_type(dy, xhat)
        tmp = np.multiply(dy, xhat, out=self._scratch("dy_xhat", dy.shape, dt))
        dgamma = np.sum(tmp, axis=ax, out=self._scratch("dgamma", (c,), dt))
        dbeta = np.sum(dy, axis=ax, out=self._scratch("dbeta", (c,), dy.dtype))
        self.weight.grad += dgamma
        self.bias.grad += dbeta
        scale = np.multiply(self.weight.data, self._inv_std, out=self._scratch(
            "scale", (c,), np.result_type(self.weight.data, self._inv_std)))
        dx = self._scratch("dx", dy.shape, np.result_type(dt, scale))
        if not self._training:  # running statistics are constants
            return np.multiply(dy, v(scale), out=dx)
        # d/dx of gamma * (x - mean(x)) / std(x) + beta, with the batch reductions:
        # dx = gamma / std * (dy - mean(dy) - xhat * mean(dy * xhat))
        n = dy.size // c
        dbeta /= n                                                     # mean(dy)
        dgamma /= n                                                    # mean(dy * xhat)
        np.subtract(dy, v(dbeta), out=dx)
        dx -= np.multiply(xhat, v(dgamma), out=tmp)
        dx *= v(scale)
        return dx


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
