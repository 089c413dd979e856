"""``Flatten``: ``(N, ...) -> (N, prod(...))``."""

from __future__ import annotations

from .base import Layer


class Flatten(Layer):
    """Flatten every axis but the batch axis.

    Examples
    --------
    >>> import numpy as np
    >>> Flatten().forward(np.zeros((2, 3, 4, 4))).shape
    (2, 48)
    """

    def _forward(self, x, training):
        self._x_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def _backward(self, dy):
        return dy.reshape(self._x_shape)
