"""Selective-scan recurrences of FSG's slow-net (docs/fsg.md, "The selective scan"), in Numba.

Only the two time recurrences of the S6 block are compiled here; projections, gating and
the causal convolution stay NumPy (``bnncore.fsg.mamba``). Shapes: ``u, delta, dy``
``(Bsz, T, E)``; ``A`` ``(E, N)``; ``B, C`` ``(Bsz, T, N)``; ``D`` ``(E,)``; ``h``
``(Bsz, T, E, N)``. The public, validated entry points are
``bnncore.fsg.selective_scan_forward`` / ``selective_scan_backward``; these kernels expect
C-contiguous arrays of one float dtype and check nothing.

Both kernels run ``for q in prange(Bsz * E)`` with ``b = q // E``, ``e = q % E``: the time
loop of one ``(b, e)`` pair is sequential, the state index ``n`` innermost. Every ``q``
writes only slots it owns; the sums over ``e`` (``dB``, ``dC``) and over ``b`` (``dA``,
``dD``) run afterwards in index order, each output slot owned by one thread. The results
are therefore bitwise identical across runs and thread counts (reconstructed: the
library's bit-reproducibility goal). ``fastmath`` stays off.

Nothing compiles at import: the dispatchers carry no eager signatures and are compiled
(then cached on disk, ``cache=True``) for the dtype of their first call.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["ssm_scan_backward", "ssm_scan_forward"]


@njit(parallel=True, cache=True, fastmath=False, nogil=True)
def ssm_scan_forward(u, delta, A, B, C, D):  # pragma: no cover - compiled
    """Forward recurrence (F7)-(F9): ``h = Abar * h_prev + delta*u*B``, ``y = C.h + D*u``.

    Parameters
    ----------
    u, delta : ndarray, shape (Bsz, T, E)
    A : ndarray, shape (E, N)
    B, C : ndarray, shape (Bsz, T, N)
    D : ndarray, shape (E,)

    Returns
    -------
    y : ndarray, shape (Bsz, T, E)
    h : ndarray, shape (Bsz, T, E, N)

    Examples
    --------
    >>> import numpy as np
    >>> one = np.ones((1, 2, 1))
    >>> y, h = ssm_scan_forward(one, one, -np.ones((1, 1)), one, one, np.zeros(1))
    >>> np.round(y.ravel(), 6).tolist()       # h1 = 1, h2 = exp(-1) * 1 + 1
    [1.0, 1.367879]
    """
    bsz, T, E = u.shape
    N = A.shape[1]
    y = np.empty_like(u)
    h = np.empty((bsz, T, E, N), dtype=u.dtype)
    for q in prange(bsz * E):
        b = q // E
        e = q - b * E
        for tau in range(T):
            dl = delta[b, tau, e]
            uu = u[b, tau, e]
            du = dl * uu
            acc = 0.0
            for n in range(N):
                abar = np.exp(dl * A[e, n])
                prev = h[b, tau - 1, e, n] if tau > 0 else 0.0
                hv = abar * prev + du * B[b, tau, n]
                h[b, tau, e, n] = hv
                acc += C[b, tau, n] * hv
            y[b, tau, e] = acc + D[e] * uu
    return y, h


@njit(parallel=True, cache=True, fastmath=False, nogil=True)
def ssm_scan_backward(dy, u, delta, A, B, C, D, h):  # pragma: no cover - compiled
    """Reverse recurrence (B9)-(B7): the gradients of ``sum(dy * y)``.

    ``lam = dL/dh`` runs from ``tau = T-1`` down to 0, already multiplied by the next
    step's ``Abar``; ``Abar`` is recomputed, never stored.

    With ``Bsz >= E`` (FSG's per_weight layout: one row per weight) the loop runs
    ``prange`` over ``b`` with ``e`` inside, summing ``dB``/``dC`` over ``e`` directly;
    otherwise (few long sequences, the flat layout) over ``(b, e)`` pairs into per-pair
    slots that are summed afterwards. Both sum over ``e`` in index order, with the same
    operations, so they give bitwise identical results (reconstructed: the library's
    bit-reproducibility goal; the sums are deterministic for any thread count).

    Parameters
    ----------
    dy : ndarray, shape (Bsz, T, E)
    u, delta, A, B, C, D :
        The forward inputs.
    h : ndarray, shape (Bsz, T, E, N)
        The forward states.

    Returns
    -------
    du, ddelta : ndarray, shape (Bsz, T, E)
        ``du`` includes ``D * dy``.
    dA : ndarray, shape (E, N)
        W.r.t. ``A`` itself (not ``A_log``).
    dB, dC : ndarray, shape (Bsz, T, N)
    dD : ndarray, shape (E,)

    Examples
    --------
    >>> import numpy as np
    >>> one = np.ones((1, 1, 1))
    >>> y, h = ssm_scan_forward(one, one, -np.ones((1, 1)), one, one, np.zeros(1))
    >>> grads = ssm_scan_backward(one, one, one, -np.ones((1, 1)), one, one, np.zeros(1), h)
    >>> [float(g.ravel()[0]) for g in grads]     # y = delta*u*B*C + D*u
    [1.0, 1.0, 0.0, 1.0, 1.0, 1.0]
    """
    bsz, T, E = u.shape
    N = A.shape[1]
    du = np.empty_like(u)
    ddelta = np.empty_like(u)
    dA_part = np.zeros((bsz, E, N), dtype=u.dtype)
    dD_part = np.zeros((bsz, E), dtype=u.dtype)
    dB = np.zeros((bsz, T, N), dtype=u.dtype)
    dC = np.zeros((bsz, T, N), dtype=u.dtype)
    if bsz >= E:
        for b in prange(bsz):
            lam = np.empty(N, dtype=u.dtype)
            for e in range(E):
                _reverse(b, e, dy, u, delta, A, B, C, D, h, lam, du, ddelta, dA_part,
                         dD_part, dB[b], dC[b])
    else:
        dB_part = np.zeros((bsz, E, T, N), dtype=u.dtype)
        dC_part = np.zeros((bsz, E, T, N), dtype=u.dtype)
        for q in prange(bsz * E):
            b = q // E
            e = q - b * E
            lam = np.empty(N, dtype=u.dtype)
            _reverse(b, e, dy, u, delta, A, B, C, D, h, lam, du, ddelta, dA_part, dD_part,
                     dB_part[b, e], dC_part[b, e])
        for b in prange(bsz):   # each slot summed by one thread, e in index order
            for e in range(E):
                for tau in range(T):
                    for n in range(N):
                        dB[b, tau, n] += dB_part[b, e, tau, n]
                        dC[b, tau, n] += dC_part[b, e, tau, n]
    dA = np.zeros((E, N), dtype=u.dtype)
    dD = np.zeros(E, dtype=u.dtype)
    for e in prange(E):         # b in index order
        for b in range(bsz):
            dD[e] += dD_part[b, e]
            for n in range(N):
                dA[e, n] += dA_part[b, e, n]
    return du, ddelta, dA, dB, dC, dD


@njit(cache=True, fastmath=False, nogil=True, inline="always")
def _reverse(b, e, dy, u, delta, A, B, C, D, h, lam, du, ddelta, dA_part, dD_part,
             dB_acc, dC_acc):  # pragma: no cover - compiled
    """The reverse time loop of one ``(b, e)`` pair; adds its ``dB``/``dC`` terms into
    ``dB_acc``/``dC_acc`` ``(T, N)`` and writes every other slot it owns."""
    T = u.shape[1]
    N = A.shape[1]
    lam[:] = 0
    dd_acc = 0.0
    for tau in range(T - 1, -1, -1):
        g = dy[b, tau, e]
        dl = delta[b, tau, e]
        uu = u[b, tau, e]
        dlu = dl * uu
        ddelta_acc = 0.0
        lam_B = 0.0
        for n in range(N):
            ln = lam[n] + g * C[b, tau, n]                           # (B9)
            abar = np.exp(dl * A[e, n])
            prev = h[b, tau - 1, e, n] if tau > 0 else 0.0
            dabar_abar = ln * prev * abar                            # dAbar * Abar
            ddelta_acc += dabar_abar * A[e, n] + ln * uu * B[b, tau, n]   # (B7)
            dA_part[b, e, n] += dabar_abar * dl
            lam_B += ln * B[b, tau, n]
            dB_acc[tau, n] += ln * dlu
            dC_acc[tau, n] += g * h[b, tau, e, n]
            lam[n] = ln * abar
        ddelta[b, tau, e] = ddelta_acc
        du[b, tau, e] = D[e] * g + dl * lam_B
        dd_acc += g * uu
    dD_part[b, e] = dd_acc
