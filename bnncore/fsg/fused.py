"""Fused Numba kernels of the per_weight slow-net (docs/fsg.md, "Cost of an FSG step").

In the per_weight layout every binary weight is one sequence ``[lre, g^{t-k}, ..., g^{t-1}]``
of ``T <= 1 + l`` scalar tokens, and the slow grad is the block output at the last position.
``slow_forward`` runs the whole ``MambaBlock(d_model=1)`` (F1-F11) and returns
``out[:, T-1]`` only; ``slow_backward`` recomputes the forward and runs (B11-B1) for a
``dout`` that is zero except at ``T-1`` (the only position the slow grad reads). Nothing of
size ``Bsz*T*E*N`` is ever allocated, and one call serves every binary tensor (the LRE row
is a per-row token).

Rows are processed in chunks of ``CHUNK`` rows, the rows of a chunk side by side in the
last (vectorized) axis of small per-slot buffers (``(T*E, CHUNK)``, ...); a tail chunk
is padded with zero rows, whose gradient is zero. ``prange`` runs over ``NSLOT`` fixed slots,
slot ``w`` taking chunks ``w, w + NSLOT, ...``; a slot accumulates its parameter gradients
lane by lane (one lane per row position in the chunk), and after the parallel loop the slots
are added in slot order and the lanes in lane order. The assignment of rows to slots and
lanes does not depend on the thread count, so neither do the results.

float32 exponentials use ``_vexp``, a Cephes polynomial (within 1 ulp of the correctly
rounded value on ``[-87.3, 88.7]``, 0 below) that the compiler vectorizes, and ``log1p``
in ``softplus`` a Cephes ``log``; float64 uses ``np.exp`` and ``np.log1p``. Nothing
compiles at import: the functions carry no eager signatures and are compiled for the dtype
of their first call (cached on disk, ``cache=True``).

The kernels and their inlined helpers stay in this one file: Numba's disk cache is
invalidated by changes to the file of the cached function, not to other files it calls,
so a helper moved elsewhere could leave stale compiled kernels behind after an edit.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["CHUNK", "NSLOT", "lane_sizes", "n_lane_params", "slow_backward",
           "slow_forward"]

#: Rows per chunk (fixed: the reduction order must not depend on the thread count).
CHUNK = 64
#: Parallel slots (fixed, for the same reason).
NSLOT = 8


@njit(cache=True, nogil=True, inline="always")
def _vexp(x, xr, out, orow, nrows, ib, fb, fast):  # pragma: no cover - compiled
    """``out[orow+i] = exp(x[xr+i])`` for rows ``i < nrows``; ``fast``: the float32 polynomial."""
    C = CHUNK
    if not fast:
        for i in range(nrows):
            for r in range(C):
                out[orow + i, r] = np.exp(x[xr + i, r])
        return
    lo = np.float32(-87.3)
    hi = np.float32(88.7)
    for i in range(nrows):
        for r in range(C):
            v = x[xr + i, r]
            v = v if v > lo else lo
            v = v if v < hi else hi
            fx = np.floor(v * np.float32(1.44269504088896341) + np.float32(0.5))
            q = v - fx * np.float32(0.693359375) + fx * np.float32(2.12194440e-4)
            zz = q * q
            p = ((((np.float32(1.9875691500e-4) * q + np.float32(1.3981999507e-3)) * q
                   + np.float32(8.3334519073e-3)) * q + np.float32(4.1665795894e-2)) * q
                 + np.float32(1.6666665459e-1)) * q + np.float32(5.0000001201e-1)
            out[orow + i, r] = p * zz + q + np.float32(1.0)
            ib[i, r] = (np.int32(fx) + np.int32(127)) << np.int32(23)
        for r in range(C):
            f = fb[i, r] if x[xr + i, r] > lo else np.float32(0.0)
            out[orow + i, r] = out[orow + i, r] * f


@njit(cache=True, nogil=True, inline="always")
def _sigmoid(x, xr, out, orow, nrows, tmp, ib, fb, c, fast):  # pragma: no cover - compiled
    """``out[orow+i] = 1 / (1 + exp(-x[xr+i]))`` (``c = [1/2, 1, 0]`` in the dtype)."""
    for i in range(nrows):
        for r in range(CHUNK):
            tmp[i, r] = -x[xr + i, r]
    _vexp(tmp, 0, out, orow, nrows, ib, fb, fast)
    for i in range(nrows):
        for r in range(CHUNK):
            out[orow + i, r] = c[1] / (c[1] + out[orow + i, r])


@njit(cache=True, nogil=True, inline="always")
def _softplus(a, ar, out, orow, nrows, tmp, ib, fb, c, fast):  # pragma: no cover - compiled
    """``out[orow+i] = max(a, 0) + log1p(exp(-|a|))`` (``np.logaddexp(0, a)``).

    float32: ``log1p(t) = log(1+t) * t / ((1+t) - 1)`` with a Cephes polynomial ``log``
    (the quotient restores the digits lost in ``1+t``).
    """
    C = CHUNK
    for i in range(nrows):
        for r in range(C):
            tmp[i, r] = -abs(a[ar + i, r])
    _vexp(tmp, 0, out, orow, nrows, ib, fb, fast)        # t = exp(-|a|) in (0, 1]
    if not fast:
        for i in range(nrows):
            for r in range(C):
                v = a[ar + i, r]
                m = v if v > c[2] else c[2]
                out[orow + i, r] = m + np.log1p(out[orow + i, r])
        return
    for i in range(nrows):
        for r in range(C):
            uu = np.float32(1.0) + out[orow + i, r]
            tmp[i, r] = uu
            fb[i, r] = uu
        for r in range(C):                      # frexp: uu = mm * 2**ex, mm in [0.5, 1)
            bits = ib[i, r]
            ex = np.float32(((bits >> np.int32(23)) & np.int32(255)) - np.int32(126))
            ib[i, r] = (bits & np.int32(-2139095041)) | np.int32(1056964608)
            mm = fb[i, r]
            small = mm < np.float32(0.707106781186547524)
            ex = ex - np.float32(1.0) if small else ex
            mm = mm + mm - np.float32(1.0) if small else mm - np.float32(1.0)
            zz = mm * mm
            y = ((((((((np.float32(7.0376836292e-2) * mm - np.float32(1.1514610310e-1)) * mm
                       + np.float32(1.1676998740e-1)) * mm - np.float32(1.2420140846e-1)) * mm
                     + np.float32(1.4249322787e-1)) * mm - np.float32(1.6668057665e-1)) * mm
                   + np.float32(2.0000714765e-1)) * mm - np.float32(2.4999993993e-1)) * mm
                 + np.float32(3.3333331174e-1)) * mm * zz
            y = y - np.float32(2.12194440e-4) * ex - np.float32(0.5) * zz
            lg = mm + y + np.float32(0.693359375) * ex
            t = out[orow + i, r]
            d = tmp[i, r] - np.float32(1.0)
            l1p = lg * (t / d) if d != np.float32(0.0) else t
            v = a[ar + i, r]
            m = v if v > c[2] else c[2]
            out[orow + i, r] = m + l1p


@njit(cache=True, nogil=True, inline="always")
def _dims(s, wc, Wdt, AT):  # pragma: no cover - compiled
    """``(bsz, T, E, K, R, N, P, N*E)`` of a call (``P = R + 2N`` rows of ``W_x``)."""
    bsz, T = s.shape
    E, K = wc.shape
    R = Wdt.shape[1]
    N = AT.shape[0]
    return bsz, T, E, K, R, N, R + 2 * N, N * E


@njit(cache=True, nogil=True)
def _buffers(T, E, N, P, dtype):  # pragma: no cover - compiled
    """Per-slot forward scratch, ``CHUNK`` rows in the last axis."""
    C = CHUNK
    m = max(N, 2) * E
    return (np.zeros((T, C), dtype), np.empty((T * E, C), dtype),
            np.empty((T * E, C), dtype), np.empty((T * E, C), dtype),
            np.empty((T * E, C), dtype), np.empty((T * P, C), dtype),
            np.empty((T * E, C), dtype), np.empty((T * E, C), dtype),
            np.empty((T * N * E, C), dtype), np.empty((T * N * E, C), dtype),
            np.empty((E, C), dtype), np.empty((E, C), dtype), np.empty((E, C), dtype),
            np.empty((m, C), dtype), np.empty((m, C), np.int32))


@njit(cache=True, nogil=True, inline="always")
def _chunk_forward(s, b0, Wi, wc, bc, Wx, Wdt, bdt, AT, D, Wo, c, fast, out, bufs, fb):
    # pragma: no cover - compiled
    """Forward (F1-F11) of rows ``b0 .. b0+CHUNK-1`` into ``bufs``; ``out[r]`` for each row.

    Buffer rows: ``S[tau]``; ``tau*E + e`` (``xs, xc, sg, u, aa, dl``); ``tau*P + p``
    (``xd``); ``(tau*N + n)*E + e`` (``ab, h``); ``e`` (``y, z, sz``, at ``T-1``).
    """
    S, xs, xc, sg, u, xd, aa, dl, ab, h, y, z, sz, t1, ib = bufs
    C = CHUNK
    bsz, T, E, K, R, N, P, NE = _dims(s, wc, Wdt, AT)
    nb = min(C, bsz - b0)
    zero = c[2]
    for tau in range(T):
        for r in range(nb):
            S[tau, r] = s[b0 + r, tau]
        for r in range(nb, C):
            S[tau, r] = zero
    for tau in range(T):                                        # (F1), x part
        for e in range(E):
            w = Wi[e]
            row = tau * E + e
            for r in range(C):
                xs[row, r] = S[tau, r] * w
    for tau in range(T):
        for e in range(E):                                      # (F2)
            row = tau * E + e
            for r in range(C):
                xc[row, r] = bc[e]
            for j in range(K):
                sh = K - 1 - j
                if sh <= tau:
                    w = wc[e, j]
                    src = row - sh * E
                    for r in range(C):
                        xc[row, r] += w * xs[src, r]
        _sigmoid(xc, tau * E, sg, tau * E, E, t1, ib, fb, c, fast)
        for e in range(E):                                      # (F3)
            row = tau * E + e
            for r in range(C):
                u[row, r] = xc[row, r] * sg[row, r]
        for p in range(P):                                      # (F4)
            rp = tau * P + p
            for r in range(C):
                xd[rp, r] = zero
            for e in range(E):
                w = Wx[p, e]
                row = tau * E + e
                for r in range(C):
                    xd[rp, r] += w * u[row, r]
        for e in range(E):                                      # (F5)
            row = tau * E + e
            for r in range(C):
                aa[row, r] = zero
            for q in range(R):
                w = Wdt[e, q]
                rq = tau * P + q
                for r in range(C):
                    aa[row, r] += xd[rq, r] * w
            for r in range(C):
                aa[row, r] = aa[row, r] + bdt[e]
        _softplus(aa, tau * E, dl, tau * E, E, t1, ib, fb, c, fast)
        hb = tau * NE                                           # (F7-F8)
        if tau > 0:
            for n in range(N):
                for e in range(E):
                    w = AT[n, e]
                    row = tau * E + e
                    k = n * E + e
                    for r in range(C):
                        t1[k, r] = dl[row, r] * w
            _vexp(t1, 0, ab, hb, NE, ib, fb, fast)
        for n in range(N):
            rb = tau * P + R + n
            for e in range(E):
                row = tau * E + e
                k = hb + n * E + e
                if tau == 0:
                    for r in range(C):
                        h[k, r] = (dl[row, r] * u[row, r]) * xd[rb, r]
                else:
                    kp = k - NE
                    for r in range(C):
                        h[k, r] = ab[k, r] * h[kp, r] + (dl[row, r] * u[row, r]) * xd[rb, r]
    tl = T - 1
    for e in range(E):                                          # (F9) at T-1
        for r in range(C):
            y[e, r] = zero
    for n in range(N):
        rc = tl * P + R + N + n
        for e in range(E):
            k = tl * NE + n * E + e
            for r in range(C):
                y[e, r] += xd[rc, r] * h[k, r]
    for e in range(E):
        row = tl * E + e
        for r in range(C):
            y[e, r] = y[e, r] + D[e] * u[row, r]
            z[e, r] = S[tl, r] * Wi[E + e]                      # (F1), z part
    _sigmoid(z, 0, sz, 0, E, t1, ib, fb, c, fast)
    for r in range(C):
        out[r] = zero
    for e in range(E):                                          # (F10-F11)
        for r in range(C):
            out[r] += (y[e, r] * (z[e, r] * sz[e, r])) * Wo[e]


@njit(cache=True, nogil=True, parallel=True)
def slow_forward(s, Wi, wc, bc, Wx, Wdt, bdt, AT, D, Wo, c, fast, out):
    # pragma: no cover - compiled
    """``out[b] = block(s[b])[T-1]`` for every row ``b`` of ``s`` ``(Bsz, T)``.

    Parameters are the block's, flattened for ``d_model = 1``: ``Wi = W_in[:, 0]`` ``(2E,)``,
    ``wc (E, K)``, ``bc (E,)``, ``Wx (R+2N, E)``, ``Wdt (E, R)``, ``bdt (E,)``,
    ``AT = -exp(A_log).T (N, E)``, ``D (E,)``, ``Wo = W_out[0] (E,)``; ``c = [1/2, 1, 0]``
    in the dtype; ``fast``: float32 polynomials.

    Examples
    --------
    >>> import numpy as np
    >>> E, N, K = 2, 3, 2
    >>> out = np.empty(4)
    >>> slow_forward(np.zeros((4, 3)), np.ones(2 * E), np.ones((E, K)), np.zeros(E),
    ...              np.ones((1 + 2 * N, E)), np.ones((E, 1)), np.zeros(E),
    ...              -np.ones((N, E)), np.ones(E), np.ones(E), np.array([0.5, 1.0, 0.0]),
    ...              False, out)
    >>> out.tolist()                                  # a zero row gives a zero output
    [0.0, 0.0, 0.0, 0.0]
    """
    bsz, T = s.shape
    E = wc.shape[0]
    N = AT.shape[0]
    P = Wx.shape[0]
    nch = (bsz + CHUNK - 1) // CHUNK
    for w in prange(NSLOT):
        bufs = _buffers(T, E, N, P, s.dtype)
        fb = bufs[14].view(np.float32)
        o = np.empty(CHUNK, s.dtype)
        for ch in range(w, nch, NSLOT):
            b0 = ch * CHUNK
            _chunk_forward(s, b0, Wi, wc, bc, Wx, Wdt, bdt, AT, D, Wo, c, fast, o, bufs, fb)
            for r in range(min(CHUNK, bsz - b0)):
                out[b0 + r] = o[r]


def lane_sizes(E: int, K: int, R: int, N: int) -> tuple[int, ...]:
    """Lengths of the parameter blocks of the gradient vector, in order.

    ``W_in[:, 0]`` (2E), ``w_conv`` (E*K), ``b_conv`` (E), ``W_x`` ((R+2N)*E), ``W_dt``
    (E*R), ``b_dt`` (E), ``A.T`` (N*E, w.r.t. ``A``), ``D`` (E), ``W_out[0]`` (E); the lane
    offsets of ``_chunk_backward`` are their running sums.

    Examples
    --------
    >>> lane_sizes(2, 2, 1, 3)
    (4, 4, 2, 14, 2, 2, 6, 2, 2)
    """
    return (2 * E, E * K, E, (R + 2 * N) * E, E * R, E, N * E, E, E)


def n_lane_params(E: int, K: int, R: int, N: int) -> int:
    """Number of parameter values of a ``d_model = 1`` block (the gradient vector length).

    Examples
    --------
    >>> n_lane_params(2, 2, 1, 3)
    38
    """
    return sum(lane_sizes(E, K, R, N))


@njit(cache=True, nogil=True, inline="always")
def _chunk_backward(s, dS, b0, Wi, wc, Wx, Wdt, AT, D, Wo, c, fast, ds, bufs, fb,
                    bb, lanes):  # pragma: no cover - compiled
    """(B11-B1) of rows ``b0 .. b0+CHUNK-1`` after ``_chunk_forward``: row ``k`` of
    ``lanes`` accumulates parameter value ``k`` lane by lane; ``ds`` rows out.

    ``dout`` is ``dS[b]`` at ``T-1`` and zero elsewhere (padded rows: zero).
    """
    S, xs, xc, sg, u, xd, aa, dl, ab, h, y, z, sz, t1, ib = bufs
    g, dy, dz, lam, du, ddl, dxd, dx, sa, acc, dsr = bb
    C = CHUNK
    bsz, T, E, K, R, N, P, NE = _dims(s, wc, Wdt, AT)
    nb = min(C, bsz - b0)
    oWi = 0                                     # lane rows: see lane_sizes
    owc = 2 * E
    obc = owc + E * K
    oWx = obc + E
    oWdt = oWx + P * E
    obdt = oWdt + E * R
    oA = obdt + E
    oD = oA + NE
    oWo = oD + E
    zero = c[2]
    one = c[1]
    for r in range(nb):
        g[r] = dS[b0 + r]
    for r in range(nb, C):
        g[r] = zero
    for i in range(T * E):
        for r in range(C):
            du[i, r] = zero
            ddl[i, r] = zero
            dx[i, r] = zero
    for i in range(T * P):
        for r in range(C):
            dxd[i, r] = zero
    tl = T - 1
    for e in range(E):                                          # (B11-B10)
        w = Wo[e]
        De = D[e]
        row = tl * E + e
        for r in range(C):
            szv = sz[e, r]
            zv = z[e, r]
            yv = y[e, r]
            silu = zv * szv
            do = g[r] * w
            lanes[oWo + e, r] += g[r] * (yv * silu)
            dyv = do * silu
            dy[e, r] = dyv
            dz[e, r] = (do * yv) * (szv * (one + zv * (one - szv)))
            lanes[oD + e, r] += dyv * u[row, r]                 # dD
            du[row, r] = dyv * De
    for n in range(N):                                          # dC and lam at T-1
        rc = tl * P + R + N + n
        for e in range(E):
            k = tl * NE + n * E + e
            kl = n * E + e
            for r in range(C):
                dxd[rc, r] += dy[e, r] * h[k, r]
                lam[kl, r] = dy[e, r] * xd[rc, r]
    for tau in range(T - 1, -1, -1):                            # (B9-B7), reverse time
        for e in range(E):
            for r in range(C):
                acc[e, r] = zero
        for n in range(N):
            rb = tau * P + R + n
            for e in range(E):
                row = tau * E + e
                kl = n * E + e
                for r in range(C):
                    lv = lam[kl, r]
                    dxd[rb, r] += lv * (dl[row, r] * u[row, r])     # dB
                    acc[e, r] += lv * xd[rb, r]                     # sum_n lam * B
        for e in range(E):
            row = tau * E + e
            for r in range(C):
                ddl[row, r] += acc[e, r] * u[row, r]
                du[row, r] += acc[e, r] * dl[row, r]
        if tau > 0:
            hb = tau * NE
            for n in range(N):
                for e in range(E):
                    row = tau * E + e
                    kl = n * E + e
                    k = hb + kl
                    kp = k - NE
                    w = AT[n, e]
                    la = oA + kl
                    for r in range(C):
                        q = (lam[kl, r] * h[kp, r]) * ab[k, r]
                        ddl[row, r] += q * w
                        lanes[la, r] += q * dl[row, r]
                        lam[kl, r] = lam[kl, r] * ab[k, r]
    for tau in range(T):
        _sigmoid(aa, tau * E, sa, 0, E, t1, ib, fb, c, fast)
        for e in range(E):                                      # (B5)
            row = tau * E + e
            for r in range(C):
                da = ddl[row, r] * sa[e, r]
                ddl[row, r] = da
                lanes[obdt + e, r] += da
            for q in range(R):
                lq = oWdt + e * R + q
                rq = tau * P + q
                w = Wdt[e, q]
                for r in range(C):
                    lanes[lq, r] += ddl[row, r] * xd[rq, r]
                    dxd[rq, r] += ddl[row, r] * w
        for p in range(P):                                      # (B4)
            rp = tau * P + p
            for e in range(E):
                row = tau * E + e
                lp = oWx + p * E + e
                w = Wx[p, e]
                for r in range(C):
                    lanes[lp, r] += dxd[rp, r] * u[row, r]
                    du[row, r] += dxd[rp, r] * w
        for e in range(E):                                      # (B3), then (B2)
            row = tau * E + e
            for r in range(C):
                sgv = sg[row, r]
                v = du[row, r] * (sgv * (one + xc[row, r] * (one - sgv)))
                du[row, r] = v
                lanes[obc + e, r] += v
            for j in range(K):
                sh = K - 1 - j
                if sh <= tau:
                    lw = owc + e * K + j
                    src = row - sh * E
                    w = wc[e, j]
                    for r in range(C):
                        lanes[lw, r] += du[row, r] * xs[src, r]
                        dx[src, r] += w * du[row, r]
    for tau in range(T):                                        # (B1)
        for r in range(C):
            dsr[r] = zero
        for e in range(E):
            row = tau * E + e
            w = Wi[e]
            for r in range(C):
                lanes[oWi + e, r] += dx[row, r] * S[tau, r]
                dsr[r] += dx[row, r] * w
        if tau == tl:
            for e in range(E):
                w = Wi[E + e]
                for r in range(C):
                    lanes[oWi + E + e, r] += dz[e, r] * S[tl, r]
                    dsr[r] += dz[e, r] * w
        for r in range(nb):
            ds[b0 + r, tau] = dsr[r]


@njit(cache=True, nogil=True, parallel=True)
def slow_backward(s, dS, Wi, wc, bc, Wx, Wdt, bdt, AT, D, Wo, c, fast, ds, grad):
    # pragma: no cover - compiled
    """Gradients of ``sum_b dS[b] * block(s[b])[T-1]``: ``ds`` ``(Bsz, T)`` and ``grad``.

    ``grad`` (length ``n_lane_params(E, K, R, N)``) receives the parameter gradients in the
    order of ``lane_sizes`` (``A`` rather than ``A_log``), summed over rows (overwritten).
    The other arguments are those of ``slow_forward``.

    Examples
    --------
    >>> import numpy as np
    >>> E, N, K = 2, 3, 2
    >>> args = (np.ones(2 * E), np.ones((E, K)), np.zeros(E), np.ones((1 + 2 * N, E)),
    ...         np.ones((E, 1)), np.zeros(E), -np.ones((N, E)), np.ones(E), np.ones(E),
    ...         np.array([0.5, 1.0, 0.0]), False)
    >>> ds, grad = np.empty((4, 3)), np.empty(n_lane_params(E, K, 1, N))
    >>> slow_backward(np.ones((4, 3)), np.zeros(4), *args, ds, grad)   # dS = 0: no gradient
    >>> float(abs(ds).max()), float(abs(grad).max())
    (0.0, 0.0)
    """
    bsz, T, E, K, R, N, P, NE = _dims(s, wc, Wdt, AT)
    C = CHUNK
    NL = grad.shape[0]                        # n_lane_params(E, K, R, N)
    nch = (bsz + C - 1) // C
    lanes = np.zeros((NSLOT, NL, C), s.dtype)
    for w in prange(NSLOT):
        dt = s.dtype
        bufs = _buffers(T, E, N, P, dt)
        fb = bufs[14].view(np.float32)
        bb = (np.empty(C, dt), np.empty((E, C), dt), np.empty((E, C), dt),
              np.empty((N * E, C), dt), np.empty((T * E, C), dt), np.empty((T * E, C), dt),
              np.empty((T * P, C), dt), np.empty((T * E, C), dt), np.empty((E, C), dt),
              np.empty((E, C), dt), np.empty(C, dt))
        o = np.empty(C, dt)
        for ch in range(w, nch, NSLOT):
            b0 = ch * C
            _chunk_forward(s, b0, Wi, wc, bc, Wx, Wdt, bdt, AT, D, Wo, c, fast, o, bufs, fb)
            _chunk_backward(s, dS, b0, Wi, wc, Wx, Wdt, AT, D, Wo, c, fast, ds, bufs, fb,
                            bb, lanes[w])
    for k in range(NL):                       # slots in slot order, lanes in lane order
        tot = c[2]
        for r in range(C):
            lane = c[2]
            for w in range(NSLOT):
                lane += lanes[w, k, r]
            tot += lane
        grad[k] = tot
