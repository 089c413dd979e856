"""``Conv2d``: 2-D cross-correlation (NCHW) through im2col and one matrix product."""

from __future__ import annotations

import numpy as np

from .._validation import check_int
from ..params import Parameter
from .base import WeightLayer
from .im2col import col2im, conv_output_size, im2col
from .init import kaiming_normal


class Conv2d(WeightLayer):
    """2-D convolution layer (cross-correlation, as in PyTorch), square kernels.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int
    stride : int
    padding : int
        Zero padding on each side.
    bias : bool
    rng : None, int or numpy.random.Generator
        Source of the Kaiming-normal initial weights.

    Shapes
    ------
    x ``(N, C, H, W)`` -> y ``(N, O, Ho, Wo)`` with ``Ho = (H + 2p - k) // s + 1``;
    ``weight.data`` is ``(O, C, k, k)``.

    Examples
    --------
    >>> import numpy as np
    >>> conv = Conv2d(1, 4, 3, padding=1, rng=0)
    >>> conv.forward(np.zeros((2, 1, 8, 8), np.float32)).shape
    (2, 4, 8, 8)
    """

    input_ndim = (4,)

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding: int = 0, bias: bool = True, rng=None) -> None:
        self.in_channels = check_int(in_channels, "in_channels", minimum=1)
        self.out_channels = check_int(out_channels, "out_channels", minimum=1)
        self.kernel_size = check_int(kernel_size, "kernel_size", minimum=1)
        self.stride = check_int(stride, "stride", minimum=1)
        self.padding = check_int(padding, "padding", minimum=0)
        k = self.kernel_size
        fan_in = self.in_channels * k * k
        w = kaiming_normal((self.out_channels, self.in_channels, k, k), fan_in, rng)
        self.weight = Parameter(w, "weight")
        self.bias = Parameter(np.zeros(self.out_channels, np.float32), "bias") if bias else None

    def get_config(self) -> dict:
        return {"in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": self.kernel_size, "stride": self.stride,
                "padding": self.padding, "bias": self.bias is not None}

    def _check_features(self, x, name):
        if x.shape[1] != self.in_channels:
            raise ValueError(f"{name} has {x.shape[1]} channels, "
                             f"{type(self).__name__} expects in_channels={self.in_channels}")
        k, s, p = self.kernel_size, self.stride, self.padding
        if min(conv_output_size(x.shape[2], k, s, p), conv_output_size(x.shape[3], k, s, p)) < 1:
            raise ValueError(f"{name} of spatial size {x.shape[2:]} is smaller than the "
                             f"kernel ({k}) with padding {p}")

    def _forward(self, x, training):
        w, scale = self._used_weight(training), self._output_scale()
        n, _, h, width = x.shape
        k, s, p = self.kernel_size, self.stride, self.padding
        ho, wo = conv_output_size(h, k, s, p), conv_output_size(width, k, s, p)
        self._x, self._cols = x, None
        y = self._product(x, w, training)                   # (N*Ho*Wo, O)
        if scale is not None:   # per-channel scale applied after the (integer) product
            y *= scale
        if self.bias is not None:
            y += self.bias.data
        self._w_mat, self._scale = w.reshape(self.out_channels, -1), scale
        return y.reshape(n, ho, wo, self.out_channels).transpose(0, 3, 1, 2)

    def _patches(self) -> np.ndarray:
        """The forward input's im2col rows ``(N*Ho*Wo, C*k*k)``, made once per forward."""
        if self._cols is None:
            k = self.kernel_size
            cols = im2col(self._x, k, k, self.stride, self.padding)  # (N, Ho, Wo, C, k, k)
            self._cols = cols.reshape(-1, cols[0, 0, 0].size)
        return self._cols

    def _product(self, x, w, training):
        """``patches @ w_mat.T``: the convolution as one matrix product."""
        return self._patches() @ w.reshape(self.out_channels, -1).T

    def _backward(self, dy):
        k, s, p = self.kernel_size, self.stride, self.padding
        n, o, ho, wo = dy.shape
        dy_mat = dy.transpose(0, 2, 3, 1).reshape(-1, o)
        if self.bias is not None:
            self.bias.grad += dy_mat.sum(axis=0)
        if self._scale is not None:
            dy_mat = dy_mat * self._scale
        self._accumulate_weight_grad((dy_mat.T @ self._patches()).reshape(self.weight.data.shape))
        dcols = (dy_mat @ self._w_mat).reshape(n, ho, wo, self.in_channels, k, k)
        return col2im(dcols, self._x.shape, k, k, s, p)
