"""im2col / col2im: a convolution as one matrix product (NCHW layout)."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def conv_output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Output length of a convolution or pooling window along one axis."""
    return (size + 2 * padding - kernel) // stride + 1


def im2col(x: np.ndarray, kh: int, kw: int, stride: int, padding: int,
           pad_value: float = 0.0) -> np.ndarray:
    """Unfold every receptive field of ``x`` into a row.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    kh, kw, stride, padding : int
    pad_value : float
        Value of the padded border (0 for convolution, -inf for max pooling).

    Returns
    -------
    ndarray, shape (N, Ho, Wo, C, kh, kw)
        A view-free copy; reshape to ``(N*Ho*Wo, C*kh*kw)`` for the matmul.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> im2col(x, 2, 2, stride=2, padding=0).reshape(-1, 4)[0]
    array([0., 1., 4., 5.])
    """
    if padding:
        x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)),
                   constant_values=pad_value)
    win = sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]
    return np.ascontiguousarray(win.transpose(0, 2, 3, 1, 4, 5))


def col2im(cols: np.ndarray, x_shape: tuple[int, ...], kh: int, kw: int, stride: int,
           padding: int) -> np.ndarray:
    """Adjoint of ``im2col``: add every window's gradient back to its input pixels.

    Parameters
    ----------
    cols : ndarray, shape (N, Ho, Wo, C, kh, kw)
    x_shape : tuple
        ``(N, C, H, W)`` of the unpadded input.

    Returns
    -------
    ndarray, shape (N, C, H, W)
    """
    n, c, h, w = x_shape
    ho, wo = cols.shape[1], cols.shape[2]
    dx = np.zeros((n, c, h + 2 * padding, w + 2 * padding), dtype=cols.dtype)
    d = cols.transpose(0, 3, 4, 5, 1, 2)  # (N, C, kh, kw, Ho, Wo)
    for i in range(kh):
        for j in range(kw):
            dx[:, :, i:i + stride * ho:stride, j:j + stride * wo:stride] += d[:, :, i, j]
    if padding:
        dx = dx[:, :, padding:padding + h, padding:padding + w]
    return dx
