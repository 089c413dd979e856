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
"""

from __future__ import annotations

import numpy as np

from .. import quantizers
from .conv import Conv2d
from .dense import Dense
from .packed import affine_tail, pack_weights, packed_product


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

    def _init_binary(self, weight_quantizer, channel_scale: bool) -> None:
        self.weight.quantizer = quantizers.get(weight_quantizer)
        self.channel_scale = bool(channel_scale)

    def channel_scales(self) -> np.ndarray:
        """``alpha_c = mean |w~_c|`` per output channel, shape ``(out,)``."""
        w = self.weight.data
        return np.abs(w).reshape(w.shape[0], -1).mean(axis=1)

    def _used_weight(self, training: bool) -> np.ndarray:
        q, w = self.weight.quantizer, self.weight.data
        self._alpha = self.channel_scales() if self.channel_scale else None
        return q.forward(w) if training else q.deploy(w)

    def _output_scale(self) -> np.ndarray | None:
        return self._alpha

    def _accumulate_weight_grad(self, dw_used: np.ndarray) -> None:
        w = self.weight.data
        self.weight.grad += self.weight.quantizer.backward(w, dw_used.astype(w.dtype, copy=False))

    def _binary_config(self) -> dict:
        q = self.weight.quantizer
        return {"weight_quantizer": q.name, "quantizer_params": q.hyperparams(),
                "channel_scale": self.channel_scale}


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
                 weight_quantizer="ste", channel_scale: bool = False, rng=None) -> None:
        super().__init__(in_features, out_features, bias=bias, rng=rng)
        self._init_binary(weight_quantizer, channel_scale)

    def get_config(self) -> dict:
        return {**super().get_config(), **self._binary_config()}


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
                 channel_scale: bool = False, rng=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride=stride,
                         padding=padding, bias=bias, rng=rng)
        self._init_binary(weight_quantizer, channel_scale)

    def get_config(self) -> dict:
        return {**super().get_config(), **self._binary_config()}
