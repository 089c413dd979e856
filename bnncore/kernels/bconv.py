"""Binary 2-D convolution: packed im2col, then the XNOR-popcount GEMM.

Every output value is a dot product between a ±1 patch of ``x`` and a ±1 filter, so the
whole convolution is one :func:`~bnncore.kernels.bgemm` between the packed patches (one row
per output position) and the packed filters (one row per output channel).

Packing the patches
-------------------
Two layouts, chosen per call by which gives fewer words per patch:

- channel-packed (classic packed im2col): each input pixel's ``C`` channels are packed into
  ``ceil(C / 64)`` words, and a patch row is the ``kh * kw`` pixel words side by side. Every
  pixel carries its own zero pad bits, which cancel by the padding rule of ``bitpack``.
  The patches are gathered as words, 64x smaller than a ±1 im2col. Used when ``C`` fills
  its words (``C = 64``, ``C = 60`` with a 3x3 kernel, any ``C`` with a 1x1 kernel, ...).
- patch-packed: for small ``C`` the per-pixel pads would waste most bits (``C = 3`` with a
  3x3 kernel: 9 words instead of 1), so the ±1 patches are gathered first (as bools) and each
  patch row of ``C * kh * kw`` values is packed as one.

Zero padding
------------
The result equals the float cross-correlation with ZERO padding (PyTorch ``conv2d``). Zero
is not a ±1 value, so the input is padded with +1 and the padded taps are subtracted
afterwards: a +1 pad at tap ``(r, q)`` added ``sum_c w[o, c, r, q]`` to output ``o``, so

    y[n, o, i, j] = y_plus1[n, o, i, j] - sum_{(r, q) on padding at (i, j)} sum_c w[o, c, r, q]

The correction depends on the output position and the filter, not on the image, so it is
one small ``(O, Ho, Wo)`` array computed from the pad mask; it is exact (integer).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .._validation import check_array, check_int
from .bitpack import as_bits, n_words_for, pack_bool
from .gemm import bgemm_words, kernel_words

__all__ = ["bconv2d"]


def _pad_correction(w_sum: np.ndarray, h: int, width: int, padding: int, stride: int) -> np.ndarray:
    """``(O, Ho, Wo)``: the sum of ``w_sum[o, r, q]`` over the taps that fall on padding."""
    kh, kw = w_sum.shape[1:]
    on_pad = np.ones((h + 2 * padding, width + 2 * padding), dtype=np.int64)
    on_pad[padding : padding + h, padding : padding + width] = 0
    taps = sliding_window_view(on_pad, (kh, kw))[::stride, ::stride]  # (Ho, Wo, kh, kw)
    return np.einsum("hwrq,orq->ohw", taps, w_sum)


def _patch_words(x_bits: np.ndarray, w_bits: np.ndarray, stride: int):
    """Packed patch rows ``(N*Ho*Wo, words)`` and filter rows ``(O, words)`` (same layout)."""
    c, kh, kw = w_bits.shape[1:]
    o = w_bits.shape[0]
    if kh * kw * n_words_for(c) <= n_words_for(c * kh * kw):  # channel-packed
        pixels = pack_bool(x_bits, axis=1).words  # (N, Hp, Wp, ceil(C/64))
        win = sliding_window_view(pixels, (kh, kw), axis=(1, 2))[:, ::stride, ::stride]
        rows = win.transpose(0, 1, 2, 4, 5, 3)  # (N, Ho, Wo, kh, kw, words)
        filters = pack_bool(w_bits, axis=1).words  # (O, kh, kw, words)
    else:  # patch-packed
        win = sliding_window_view(x_bits, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]
        patches = win.transpose(0, 2, 3, 1, 4, 5)  # (N, Ho, Wo, C, kh, kw)
        n, ho, wo = patches.shape[:3]
        rows = pack_bool(patches.reshape(n, ho, wo, c * kh * kw), axis=3).words
        filters = pack_bool(w_bits.reshape(o, c * kh * kw), axis=1).words
    n, ho, wo = rows.shape[:3]
    return rows.reshape(n * ho * wo, -1), filters.reshape(o, -1), (ho, wo)


def bconv2d(x: object, w: object, stride: int = 1, padding: int = 0) -> np.ndarray:
    """Binary 2-D cross-correlation with zero padding, exact, in int32.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
        ±1 input (int, float, or bool with ``True`` = +1), not packed: the packing depends
        on the kernel size and padding, so it happens here.
    w : array_like, shape (O, C, kh, kw)
        ±1 filters.
    stride : int, >= 1
        Same stride along both spatial axes.
    padding : int, >= 0
        Zero padding on every side (the result is what a float conv with zeros gives).

    Returns
    -------
    numpy.ndarray of int32, shape (N, O, Ho, Wo)
        ``Ho = (H + 2 * padding - kh) // stride + 1``, likewise ``Wo``; equal to
        ``reference.conv2d_reference(x, w, stride, padding)``.

    Raises
    ------
    TypeError
        If ``x`` or ``w`` is not a numeric array, or stride/padding not ints.
    ValueError
        Entries not ±1, wrong number of dimensions, channel mismatch, a kernel larger than
        the padded input, ``stride < 1`` or ``padding < 0``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones((1, 1, 3, 3)); w = np.ones((1, 1, 3, 3))
    >>> bconv2d(x, w, padding=1)[0, 0].tolist()  # zero padding: corners see 4 taps
    [[4, 6, 4], [6, 9, 6], [4, 6, 4]]
    """
    x = as_bits(check_array(x, "x", ndim=4, dtype="numeric", finite=False), "x")
    w = as_bits(check_array(w, "w", ndim=4, dtype="numeric", finite=False), "w")
    stride = check_int(stride, "stride", minimum=1)
    padding = check_int(padding, "padding", minimum=0)
    n, c, h, width = x.shape
    o, c_w, kh, kw = w.shape
    if c_w != c:
        raise ValueError(f"w has {c_w} input channels but x has {c} (x {x.shape}, w {w.shape})")
    if kh > h + 2 * padding or kw > width + 2 * padding:
        raise ValueError(f"kernel {kh}x{kw} is larger than the padded input "
                         f"{h + 2 * padding}x{width + 2 * padding}")
    pad = ((0, 0), (0, 0), (padding, padding), (padding, padding))
    x_padded = np.pad(x, pad, constant_values=True)  # +1 padding, corrected below
    rows, filters, (ho, wo) = _patch_words(x_padded, w, stride)
    y = bgemm_words(kernel_words(rows), kernel_words(filters), c * kh * kw)  # (N*Ho*Wo, O)
    y = y.reshape(n, ho, wo, o).transpose(0, 3, 1, 2)
    if padding:
        w_sum = (2 * w.astype(np.int64) - 1).sum(axis=1)  # (O, kh, kw), ±1 summed over C
        y = y - _pad_correction(w_sum, h, width, padding, stride)[None]
    return np.ascontiguousarray(y, dtype=np.int32)
