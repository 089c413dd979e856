"""``Dense``: the fully connected layer ``y = x W^T + b``."""

from __future__ import annotations

import numpy as np

from .._validation import check_int
from ..params import Parameter
from .base import WeightLayer
from .init import kaiming_normal


class Dense(WeightLayer):
    """Fully connected layer.

    Parameters
    ----------
    in_features, out_features : int
        Input width ``D`` and output width ``O``.
    bias : bool
        Add a learned bias.
    rng : None, int or numpy.random.Generator
        Source of the Kaiming-normal initial weights (the bias starts at 0).

    Shapes
    ------
    x ``(N, D)`` -> y ``(N, O)``; ``weight.data`` is ``(O, D)``.

    Examples
    --------
    >>> import numpy as np
    >>> layer = Dense(3, 2, rng=0)
    >>> y = layer.forward(np.ones((4, 3), dtype=np.float32))
    >>> dx = layer.backward(np.ones_like(y))
    >>> y.shape, dx.shape, layer.weight.grad.shape
    ((4, 2), (4, 3), (2, 3))
    """

    input_ndim = (2,)

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 rng=None) -> None:
        self.in_features = check_int(in_features, "in_features", minimum=1)
        self.out_features = check_int(out_features, "out_features", minimum=1)
        w = kaiming_normal((self.out_features, self.in_features), self.in_features, rng)
        self.weight = Parameter(w, "weight")
        self.bias = Parameter(np.zeros(self.out_features, np.float32), "bias") if bias else None

    def get_config(self) -> dict:
        return {"in_features": self.in_features, "out_features": self.out_features,
                "bias": self.bias is not None}

    def _check_features(self, x, name):
        if x.shape[1] != self.in_features:
            raise ValueError(f"{name} has {x.shape[1]} features, "
                             f"{type(self).__name__} expects in_features={self.in_features}")

    def _forward(self, x, training):
        w, scale = self._used_weight(training), self._output_scale()
        y = self._product(x, w, training)
        if scale is not None:   # per-channel scale applied after the (integer) product
            y *= scale
        if self.bias is not None:
            y += self.bias.data
        self._x, self._w, self._scale = x, w, scale
        return y

    def _product(self, x, w, training):
        """``x @ w.T`` into the layer's output buffer (a binary layer may pack it)."""
        y = self._scratch("y", (x.shape[0], w.shape[0]), np.result_type(x, w))
        return np.matmul(x, w.T, out=y)

    def _backward(self, dy):
        dy = self._param_grads(dy)
        dx = self._scratch("dx", self._x.shape, np.result_type(dy, self._w))
        return np.matmul(dy, self._w, out=dx)

    def _backward_params(self, dy):
        self._param_grads(dy)

    def _param_grads(self, dy):
        """Add ``dL/db`` and ``dL/dW`` into the gradients; return ``dy`` times the scale."""
        x, w, scale = self._x, self._w, self._scale
        if self.bias is not None:
            self.bias.grad += np.sum(dy, axis=0, out=self._scratch("db", dy.shape[1:],
                                                                    dy.dtype))
        if scale is not None:   # dy * scale (a new array where dy is not C-ordered)
            dy = (np.multiply(dy, scale, out=self._scratch("dy_scaled", dy.shape, dy.dtype))
                  if dy.flags.c_contiguous else dy * scale)
        dw = self._scratch("dw", w.shape, np.result_type(dy, x))
        self._accumulate_weight_grad(np.matmul(dy.T, x, out=dw))
        return dy
