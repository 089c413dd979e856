"""``BinaryDense`` and ``BinaryConv2d``: layers whose weights are binarized in the forward pass.

The optimizer updates the latent float weight ``w~`` (``weight.data``). In training mode
the layer computes with ``F(w~)`` (``quantizer.forward``), in evaluation mode with
``deploy(w~)`` (``sign(w~)`` for binary pairs), and backward hands the gradient w.r.t. the
used weight to ``quantizer.backward(w~, g) = g * B'(w~)``: this is where the gradient of
``sign`` is replaced. The pair is read from ``weight.quantizer`` at every call, so
assigning a new pair there swaps the method.

With ``channel_scale=True`` output channel ``c`` is multiplied by ``alpha_c = mean |w~_c|``
(XNOR-Net's scale), applied *after* the product so that packed inference (integer dot
products, then the scale) reproduces it bit for bit. The scale is a constant in backward
(stop-gradient, as ReActNet does): ``dL/dw~_c = B'(w~_c) * alpha_c * g_c``.

Packed training forward
-----------------------
With ``packed_training=True`` (the default), a training forward whose input and used
weight ``F(w~)`` are both exactly ±1 (the input comes from ``Sign``, or is the binarized
data of a fully binary net, and ``F`` is a sign) computes the product on packed words:
``c = K - 2 popcount(x XOR w)`` (``bgemm`` for ``BinaryDense``, ``bconv2d`` for
``BinaryConv2d``), then the float ``c * alpha + b``. A ±1 product is an exact integer in
float32 as long as ``K <= 2**24``, so the output, and hence every later number of the
step, is bit for bit that of the float product. Whether the operands are ±1 is checked
while packing them, at every step; otherwise (a soft ``F`` during annealing, real-valued
input) the step takes the float path. ``forward_path`` says which path the last training
forward took. Backward stays float: ``dW = dY^T X`` and ``dX = dY W_b``
(docs/architecture.md, "Packed training forward", says why a ±1 operand does not make
them cheaper on a CPU).
"""

from __future__ import annotations

import numpy as np

from .. import quantizers
from .conv import Conv2d
from .dense import Dense
from .packed import affine_tail, pack_weights, packed_product


def _all_pm1(x: np.ndarray) -> bool:
    from ..kernels.rowpack import all_pm1

    return all_pm1(x)


# Largest K for which every partial sum of a ±1 dot product is exact in each float type.
_EXACT_K = {np.dtype(np.float32): 2**24, np.dtype(np.float64): 2**53}


class BinaryWeightMixin:
    """The binarization hooks shared by ``BinaryDense`` and ``BinaryConv2d``, and packing."""

    _packed = None

    @property
    def packed(self) -> bool:
        """Whether the layer runs packed (inference-only) products."""
        return self._packed is not None

    def pack(self):
        """Freeze ``deploy(w~)`` into ``uint64`` words; evaluation forwards then use
        XNOR-popcount products (``bnncore.layers.packed``). Returns ``self``."""
        self._packed = pack_weights(self)
        return self

    def unpack(self):
        """Drop the packed weights and return to the float (trainable) path."""
        self._packed = None
        return self

    def _forward(self, x, training):
        if self._packed is None:
            return super()._forward(x, training)
        if training:
            raise RuntimeError(f"{type(self).__name__} is packed (inference only): "
                               f"call unpack() before training")
        return affine_tail(self, packed_product(self, x))

    def _backward(self, dy):
        if self._packed is not None:
            raise RuntimeError(f"{type(self).__name__} is packed: backward is not available; "
                               f"call unpack() to train")
        return super()._backward(dy)

    forward_path: str | None = None

    def _init_binary(self, weight_quantizer, channel_scale: bool,
                     packed_training: bool) -> None:
        self.weight.quantizer = quantizers.get(weight_quantizer)
        self.channel_scale = bool(channel_scale)
        if not isinstance(packed_training, (bool, np.bool_)):
            raise TypeError(f"packed_training must be a bool, got {packed_training!r}")
        self.packed_training = bool(packed_training)

    def channel_scales(self) -> np.ndarray:
        """``alpha_c = mean |w~_c|`` per output channel, shape ``(out,)``."""
        w = self.weight.data
        return np.abs(w).reshape(w.shape[0], -1).mean(axis=1)

    def _used_weight(self, training: bool) -> np.ndarray:
        q, w = self.weight.quantizer, self.weight.data
        self._alpha = None
        if self.channel_scale:   # channel_scales() without its temporaries
            abs_w = np.abs(w, out=self._scratch("abs_w", w.shape, w.dtype))
            self._alpha = np.mean(abs_w.reshape(w.shape[0], -1), axis=1,
                                  out=self._scratch("alpha", w.shape[:1], w.dtype))
        if not training:
            return q.deploy(w)
        return q._forward_out(w, self._scratch("w_used", w.shape, w.dtype))  # F(w), in place

    def _output_scale(self) -> np.ndarray | None:
        return self._alpha

    def _accumulate_weight_grad(self, dw_used: np.ndarray) -> None:
        w = self.weight.data
        g = self._scratch("dw_latent", w.shape, w.dtype)
        self.weight.grad += self.weight.quantizer._backward_out(    # B'(w) * dW, in place
            w, dw_used.astype(w.dtype, copy=False), g)

    def _binary_config(self) -> dict:
        q = self.weight.quantizer
        return {"weight_quantizer": q.name, "quantizer_params": q.hyperparams(),
                "channel_scale": self.channel_scale, "packed_training": self.packed_training}


class BinaryDense(BinaryWeightMixin, Dense):
    """Fully connected layer with binarized weights: ``y = x F(w~)^T + b``.

    Parameters
    ----------
    in_features, out_features : int
    bias : bool
    weight_quantizer : str or QuantizerPair
        A registry name (``"ste"``, ``"clipped_ste"``, ...) or a pair instance.
    channel_scale : bool
        Multiply each output channel by ``mean |w~_c|`` (stop-gradient).
    packed_training : bool
        Compute training forwards whose input and ``F(w~)`` are ±1 on packed words (same
        floats bit for bit, faster); ``False`` keeps the float product, e.g. to show it.
    rng : None, int or numpy.random.Generator

    Shapes
    ------
    x ``(N, D)`` -> y ``(N, O)``; latent ``weight.data`` ``(O, D)``.

    Examples
    --------
    >>> import numpy as np
    >>> layer = BinaryDense(4, 3, weight_quantizer="clipped_ste", rng=0)
    >>> y = layer.forward(np.ones((2, 4), np.float32))   # computes with sign(w~)
    >>> np.unique(layer.weight.quantizer.forward(layer.weight.data)).tolist()
    [-1.0, 1.0]
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 weight_quantizer="ste", channel_scale: bool = False,
                 packed_training: bool = True, rng=None) -> None:
        super().__init__(in_features, out_features, bias=bias, rng=rng)
        self._init_binary(weight_quantizer, channel_scale, packed_training)

    def get_config(self) -> dict:
        return {**super().get_config(), **self._binary_config()}

    def _product(self, x, w, training):
        """``x @ w.T``, on packed words when both are ±1 in a training forward."""
        dtype = np.result_type(x, w)
        if training and self.packed_training and x.shape[1] <= _EXACT_K.get(dtype, 0):
            from ..kernels.gemm import bgemm_words
            from ..kernels.rowpack import pack_pm1_rows

            n_words = -(-x.shape[1] // 64)
            ww = self._scratch("w_words", (w.shape[0], n_words), np.uint64)
            xw = self._scratch("x_words", (x.shape[0], n_words), np.uint64)
            if pack_pm1_rows(w, ww) and pack_pm1_rows(x, xw):
                self.forward_path = "packed"
                y = self._scratch("y", (x.shape[0], w.shape[0]), dtype)
                return bgemm_words(xw, ww, x.shape[1], out=y)   # K - 2 popcount, as floats
        if training:
            self.forward_path = "float"
        return super()._product(x, w, training)


class BinaryConv2d(BinaryWeightMixin, Conv2d):
    """2-D convolution with binarized weights (see ``Conv2d`` and ``BinaryDense``).

    Shapes
    ------
    x ``(N, C, H, W)`` -> y ``(N, O, Ho, Wo)``; latent ``weight.data`` ``(O, C, k, k)``.

    Examples
    --------
    >>> import numpy as np
    >>> conv = BinaryConv2d(2, 3, 3, padding=1, rng=0)
    >>> conv.forward(np.ones((1, 2, 5, 5), np.float32)).shape
    (1, 3, 5, 5)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding: int = 0, bias: bool = True, weight_quantizer="ste",
                 channel_scale: bool = False, packed_training: bool = True,
                 rng=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride=stride,
                         padding=padding, bias=bias, rng=rng)
        self._init_binary(weight_quantizer, channel_scale, packed_training)

    def _product(self, x, w, training):
        """The convolution as ``(N*Ho*Wo, O)``, by ``bconv2d`` when ``x`` and ``w`` are ±1
        in a training forward (the float patches are then made only for backward)."""
        dtype = np.result_type(x, w)
        if (training and self.packed_training and w[0].size <= _EXACT_K.get(dtype, 0)
                and _all_pm1(w) and _all_pm1(x)):
            from ..kernels import bconv2d

            self.forward_path = "packed"
            c = bconv2d(x, w, stride=self.stride, padding=self.padding)   # (N, O, Ho, Wo)
            return c.transpose(0, 2, 3, 1).reshape(-1, self.out_channels).astype(dtype)
        if training:
            self.forward_path = "float"
        return super()._product(x, w, training)

    def get_config(self) -> dict:
        return {**super().get_config(), **self._binary_config()}
