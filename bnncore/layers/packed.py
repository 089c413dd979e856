"""Packed inference for binary layers: 64 weights per ``uint64`` word, XNOR-popcount products.

``BinaryDense.pack()`` / ``BinaryConv2d.pack()`` freeze ``deploy(w~) = s * sign(w~)`` into
packed rows (:class:`PackedWeights`); evaluation-mode forwards then compute the integer
dot products ``c = bgemm(pack(x), W)`` (or ``bconv2d``) and apply the per-channel scale
and bias *after* the product, with the same floating-point operations as the float path.
Since ±1 dot products are exact integers in float32 too, the packed and float paths agree
bit for bit.

``Sequential.pack()`` goes one step further where a binary layer is followed by
``[BatchNorm] -> Sign``: the whole tail ``sign(BN(c * alpha + b))`` is a monotone function
of the integer ``c`` per output channel, so it collapses to an integer threshold
(:func:`fold_threshold`) found by evaluating the float tail itself, which makes the fold
exact by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_pm1


@dataclass(frozen=True, eq=False)
class PackedWeights:
    """Frozen binary weights of one layer.

    Attributes
    ----------
    bits : PackedBits
        ``sign(w~)`` as ``(out, fan_in)`` rows packed along ``fan_in``.
    weight_pm1 : ndarray of int8
        The same ±1 weights in the layer's weight shape (for the packed convolution).
    scale : ndarray (out,) or None
        Per-channel factor applied after the product (``alpha_c * s``), or None.
    dtype : numpy dtype
        The float dtype of the layer's outputs.
    """

    bits: object
    weight_pm1: np.ndarray
    scale: np.ndarray | None
    dtype: np.dtype

    @property
    def nbytes(self) -> int:
        """Bytes of the packed weight words."""
        return int(self.bits.words.nbytes)


def pack_weights(layer) -> PackedWeights:
    """Freeze a binary layer's deployed weights (``s * sign(w~)``) into packed words."""
    from ..kernels import pack_bits

    q, w = layer.weight.quantizer, layer.weight.data
    if not q.binary_target:
        raise ValueError(f"cannot pack: the weight quantizer {q.name!r} does not deploy to "
                         f"±s (binary_target is False)")
    deployed = q.deploy(w)
    s = float(np.abs(deployed).max()) if deployed.size else 1.0
    pm1 = np.where(deployed >= 0, 1, -1).astype(np.int8)
    if s != 1.0 and not np.all(np.abs(deployed) == s):
        raise ValueError(f"cannot pack: {q.name!r} deploys to values of several magnitudes")
    alpha = layer.channel_scales() if layer.channel_scale else None
    if s != 1.0:
        alpha = np.full(w.shape[0], s, w.dtype) if alpha is None else alpha * w.dtype.type(s)
    bits = pack_bits(pm1.reshape(w.shape[0], -1), axis=1)
    return PackedWeights(bits=bits, weight_pm1=pm1, scale=alpha, dtype=w.dtype)


def packed_product(layer, x: np.ndarray) -> np.ndarray:
    """Integer products ``c`` of ±1 inputs with the packed weights (int32).

    Dense: ``(N, out)``; convolution: ``(N, out, Ho, Wo)``, equal to the float
    cross-correlation with zero padding.
    """
    from ..kernels import bconv2d, bgemm, pack_bits

    x = check_pm1(x, "x (input of a packed binary layer)")
    packed = layer._packed
    if x.ndim == 2:
        return bgemm(pack_bits(x, axis=1), packed.bits)
    return bconv2d(x, packed.weight_pm1, stride=layer.stride, padding=layer.padding)


def channel_view(v: np.ndarray, ndim: int) -> np.ndarray:
    """Broadcast a per-channel vector ``(out,)`` over ``(N, out)`` or ``(N, out, H, W)``."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def affine_tail(layer, c: np.ndarray) -> np.ndarray:
    """``c * scale + bias`` with the float path's operations, in the layer's dtype."""
    packed = layer._packed
    y = c.astype(packed.dtype)
    if packed.scale is not None:
        y *= channel_view(packed.scale, y.ndim)
    if layer.bias is not None:
        y += channel_view(layer.bias.data, y.ndim)
    return y


@dataclass(frozen=True, eq=False)
class Threshold:
    """Output ``+1`` where ``(c >= t) != flip``, else ``-1`` (per output channel)."""

    t: np.ndarray       # (out,) int64
    flip: np.ndarray    # (out,) bool

    def __call__(self, c: np.ndarray, dtype) -> np.ndarray:
        t, flip = channel_view(self.t, c.ndim), channel_view(self.flip, c.ndim)
        out = ((c >= t) != flip).astype(dtype)
        out *= 2
        out -= 1
        return out


def fold_threshold(layer, norm, sign) -> Threshold:
    """Collapse ``sign(norm(c * scale + bias))`` into an integer threshold per channel.

    For each channel the tail is monotone in the integer ``c`` (every float operation is a
    monotone rounding, the only sign change is BatchNorm's ``gamma``), so
    ``g(c) = [tail(c) > 0] != [tail(-K) > 0]`` is a step from False to True on
    ``[-K, K]`` (``K`` = fan-in) and a vectorised binary search finds where it steps. The
    tail is evaluated with the layers' own evaluation-mode code, so the fold reproduces
    the float path exactly.
    """
    k = int(layer._packed.bits.n)
    n_out = layer.weight.data.shape[0]
    spatial = (1, 1) if layer._packed.weight_pm1.ndim == 4 else ()

    def positive(c: np.ndarray) -> np.ndarray:
        y = affine_tail(layer, c.reshape((1, n_out) + spatial))
        if norm is not None:
            y = norm._forward(y, False)
        return (sign._forward(y, False) > 0).reshape(n_out)

    flip = positive(np.full(n_out, -k))
    lo, hi = np.full(n_out, -k), np.full(n_out, k + 1)   # g(lo) False; g(K + 1) := True
    while np.any(hi - lo > 1):
        mid = (lo + hi) // 2
        step = positive(mid) != flip
        hi, lo = np.where(step, mid, hi), np.where(step, lo, mid)
    return Threshold(t=hi.astype(np.int64), flip=flip)
