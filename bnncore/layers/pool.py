"""``MaxPool2d`` and ``AvgPool2d`` over square windows (NCHW)."""

from __future__ import annotations

import numpy as np

from .._validation import check_int
from .base import Layer
from .im2col import col2im, conv_output_size, im2col


class _Pool2d(Layer):
    input_ndim = (4,)
    pad_value = 0.0

    def __init__(self, kernel_size: int, stride: int | None = None, padding: int = 0) -> None:
        self.kernel_size = check_int(kernel_size, "kernel_size", minimum=1)
        self.stride = self.kernel_size if stride is None else check_int(stride, "stride",
                                                                        minimum=1)
        self.padding = check_int(padding, "padding", minimum=0)
        if 2 * self.padding > self.kernel_size:
            raise ValueError(f"padding must be at most kernel_size / 2, got {padding}")

    def get_config(self) -> dict:
        return {"kernel_size": self.kernel_size, "stride": self.stride, "padding": self.padding}

    def _check_features(self, x, name):
        k, s, p = self.kernel_size, self.stride, self.padding
        if min(conv_output_size(x.shape[2], k, s, p), conv_output_size(x.shape[3], k, s, p)) < 1:
            raise ValueError(f"{name} of spatial size {x.shape[2:]} is smaller than the "
                             f"pooling window ({k})")

    def _windows(self, x):
        """(N, Ho, Wo, C, k*k) windows of x."""
        k, s, p = self.kernel_size, self.stride, self.padding
        cols = im2col(x, k, k, s, p, pad_value=self.pad_value)
        self._x_shape = x.shape
        return cols.reshape(cols.shape[:4] + (k * k,))

    def _unwindow(self, dcols):
        k, s, p = self.kernel_size, self.stride, self.padding
        return col2im(dcols.reshape(dcols.shape[:4] + (k, k)), self._x_shape, k, k, s, p)


class MaxPool2d(_Pool2d):
    """Max over each ``k x k`` window (padding counts as ``-inf``); ``stride`` defaults to ``k``.

    Backward sends each ``dy`` to the position of its window's maximum (the first one on
    ties).

    Examples
    --------
    >>> import numpy as np
    >>> MaxPool2d(2).forward(np.arange(16.0).reshape(1, 1, 4, 4))
    array([[[[ 5.,  7.],
             [13., 15.]]]])
    """

    pad_value = -np.inf

    def _forward(self, x, training):
        win = self._windows(x)
        self._argmax = win.argmax(axis=-1)
        y = np.take_along_axis(win, self._argmax[..., None], axis=-1)[..., 0]
        self._dtype = x.dtype
        return y.transpose(0, 3, 1, 2)

    def _backward(self, dy):
        idx = self._argmax
        dcols = np.zeros(idx.shape + (self.kernel_size ** 2,), dtype=dy.dtype)
        np.put_along_axis(dcols, idx[..., None], dy.transpose(0, 2, 3, 1)[..., None], axis=-1)
        return self._unwindow(dcols)


class AvgPool2d(_Pool2d):
    """Mean over each ``k x k`` window (zero padding counted, as PyTorch's default).

    Examples
    --------
    >>> import numpy as np
    >>> AvgPool2d(2).forward(np.arange(16.0).reshape(1, 1, 4, 4))
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]])
    """

    def _forward(self, x, training):
        return self._windows(x).mean(axis=-1).transpose(0, 3, 1, 2)

    def _backward(self, dy):
        k2 = self.kernel_size ** 2
        d = dy.transpose(0, 2, 3, 1)[..., None] / k2
        return self._unwindow(np.broadcast_to(d, d.shape[:4] + (k2,)))
