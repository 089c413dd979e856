"""DoReFa-Net's weight quantizer (docs/quantizers.md, section "`dorefa`: DoReFa-Net weights").

``k = 1``: the BWN-style scaled sign ``F(W) = E * sign(W)``, ``B(W) = W``, with ``E`` the mean
absolute value of the tensor (``scale="tensor"``), of each output channel
(``scale="channel"``) or a fixed float. ``k >= 2``: ``F(W) = 2 q_k(tanh(W)/(2M) + 1/2) - 1``
with ``B(W) = tanh(W)/M`` and ``M = max|tanh(W)|`` (or a fixed ``m``). The statistics ``E`` and
``M`` are constants in backward (stop-gradient, as in Larq; tensorpack lets the gradient
flow through ``max``), so the backward is elementwise. ``M`` is 1 for an all-zero tensor and
at least ``sqrt(tiny)`` of the dtype (about 1e-19 in float32), a library choice that keeps
``B' = (1 - tanh^2)/M`` finite for tensors of subnormal-scale weights.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import check_positive
from .base import QuantizerPair, sign


def _mean_abs(w: np.ndarray, per_channel: bool) -> np.ndarray:
    """``mean |w|`` (per row of axis 0 if ``per_channel``) in float64, overflow-free."""
    a = np.abs(w.astype(np.float64))
    if per_channel and a.ndim >= 1:
        a = a.reshape(a.shape[0], int(np.prod(a.shape[1:])))
        if a.shape[1] == 0:
            return np.zeros((a.shape[0],) + (1,) * (w.ndim - 1))
        top = a.max(axis=1, keepdims=True)
        safe = np.where(top > 0, top, 1.0)
        e = (top * (a / safe).mean(axis=1, keepdims=True)).reshape(-1)
        return e.reshape((-1,) + (1,) * (w.ndim - 1))
    if a.size == 0:
        return np.float64(0.0)
    top = a.max()
    # Scale by the max before summing: mean(|w|) of values near 1e308 would overflow.
    return top * (a / top).mean() if top > 0 else np.float64(0.0)


def levels(u: np.ndarray, n: int) -> np.ndarray:
    """``P(u) = 2 q_k(u/2 + 1/2) - 1`` with ``q_k(x) = floor(n x + 1/2) / n``, ``n = 2^k - 1``.

    Computed as the identical ``(2 floor(n u / 2) + 1) / n`` (``n`` is odd). That form has no
    cancellation at ``u = 0``: a tiny negative ``u`` still maps to ``-1/n``, so
    ``sign(P(u)) = sign(u)``, and ``P(-u) = -P(u)`` holds exactly off the level boundaries.
    Beyond ``|u| > max / (4n)``, where the levels are finer than the float grid, ``P(u) = u``.

    Examples
    --------
    >>> levels(np.array([-1.0, -1e-300, 0.0, 0.3, 1.0]), 3)
    array([-1.        , -0.33333333,  0.33333333,  0.33333333,  1.        ])
    """
    lim = float(np.finfo(u.dtype).max) / (4 * n)
    safe = np.clip(u, -lim, lim)
    out = (2 * np.floor(n * safe / 2) + 1) / n
    return np.where(np.abs(u) <= lim, out, u)


class DoReFa(QuantizerPair):
    """DoReFa-Net weights: scaled sign (``k = 1``) or ``k``-bit tanh quantization (``k >= 2``).

    Parameters
    ----------
    k : int
        Bits, in ``[1, 16]``.
    scale : {"tensor", "channel"} or float
        ``k = 1`` only: ``E`` from the whole tensor, per output channel (axis 0), or fixed
        (a finite float > 0, which makes the pair elementwise). ``k >= 2`` needs ``"tensor"``.
    m : float, optional
        ``k >= 2`` only: a fixed ``M`` (finite, > 0) instead of ``max|tanh(W)|``, which
        makes the pair elementwise. Ignored for ``k = 1``.

    Examples
    --------
    >>> W = np.array([-1.0, -0.2, 0.0, 0.3, 2.0])
    >>> DoReFa().forward(W)
    array([-0.7, -0.7,  0.7,  0.7,  0.7])
    >>> DoReFa(k=2).forward(W)
    array([-1.        , -0.33333333,  0.33333333,  0.33333333,  1.        ])
    """

    name = "dorefa"
    forward_monotone = True
    nonneg_backward = True

    def __init__(self, k: int = 1, scale: str | float = "tensor", m: float | None = None) -> None:
        if isinstance(k, bool) or not isinstance(k, numbers.Integral):
            raise TypeError(f"k must be an int, got {k!r}")
        if not 1 <= k <= 16:
            raise ValueError(f"k must be in [1, 16], got {k}")
        self.k = int(k)
        self.n = 2 ** self.k - 1
        if isinstance(scale, str):
            if scale not in ("tensor", "channel"):
                raise ValueError(f"scale must be 'tensor', 'channel' or a float > 0, "
                                 f"got {scale!r}")
        else:
            try:
                scale = check_positive(scale, "scale")
            except ValueError as exc:
                raise ValueError(f"scale must be 'tensor', 'channel' or a finite float > 0, "
                                 f"got {scale!r}") from exc
        if self.k >= 2 and scale != "tensor":
            raise ValueError(f"scale must be 'tensor' for k >= 2, got {scale!r}")
        self.scale = scale
        self.m = None if m is None else check_positive(m, "m")

    # -- descriptors (docs/quantizers.md, "The contract") -------------------------------
    @property
    def binary(self) -> bool:
        return self.k == 1

    @property
    def binary_target(self) -> bool:
        return self.k == 1

    @property
    def elementwise(self) -> bool:
        return isinstance(self.scale, float) if self.k == 1 else self.m is not None

    @property
    def forward_bound(self) -> float | None:
        if self.k == 1:
            return self.scale if isinstance(self.scale, float) else None
        return 1.0 if self.m is None else None

    @property
    def backward_bound(self) -> float | None:
        if self.k == 1:
            return 1.0
        return None if self.m is None else 1.0 / self.m

    @property
    def knots(self) -> tuple[float, ...]:
        return (0.0,) if self.k == 1 else ()

    # -- statistics ------------------------------------------------------------------
    def _E(self, w: np.ndarray) -> np.ndarray:
        if isinstance(self.scale, float):
            return w.dtype.type(self.scale)
        return np.asarray(_mean_abs(w, self.scale == "channel"), dtype=w.dtype)

    def _M(self, w: np.ndarray):
        if self.m is not None:
            return w.dtype.type(self.m)
        top = float(np.abs(np.tanh(w.astype(np.float64))).max()) if w.size else 0.0
        if top == 0:
            return w.dtype.type(1.0)
        # Library choice: floor M at sqrt(tiny) of the dtype, so that B' = (1 - tanh^2)/M
        # (and g * B') stays finite for tensors of subnormal-scale weights.
        return w.dtype.type(max(top, float(np.sqrt(np.finfo(w.dtype).tiny))))

    # -- the pair --------------------------------------------------------------------
    def _forward(self, w):
        if self.k == 1:
            return self._E(w) * sign(w)
        return self._prox(self._B(w))

    def _B(self, w):
        return w.copy() if self.k == 1 else np.tanh(w) / self._M(w)

    def _dB(self, w):
        if self.k == 1:
            return np.ones_like(w)
        t = np.tanh(w)
        return (1 - t * t) / self._M(w)

    def _prox(self, u):
        return self._E(u) * sign(u) if self.k == 1 else levels(u, self.n)

    def _deploy_scale(self, w):
        return self._E(w)

    def hyperparams(self) -> dict:
        return {"k": self.k, "scale": self.scale, "m": self.m}
