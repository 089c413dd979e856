"""Proximal maps toward ``Q = {-1, +1}`` (docs/quantizers.md, "The pairs").

Each map is non-decreasing, odd-symmetric up to ``sign(0) = +1``, and keeps the sign of its
input. They are written without cancellation near 0, so that ``sign(P(u)) = sign(u)`` also
for the tiniest normal ``u``, and without overflow for any finite ``u``.
"""

from __future__ import annotations

import numpy as np

from .base import sign


def relax_map(u: np.ndarray, theta: float) -> np.ndarray:
    """BinaryRelax's ``F_th(u) = (1 - th) u + th sign(u)`` (``th = 1`` is ``sign``).

    The proximal map of ``(lam/2) dist(z, Q)^2`` with ``th = lam / (1 + lam)``.

    Examples
    --------
    >>> relax_map(np.array([-2.0, -0.5, 0.0, 0.3]), 0.5)
    array([-1.5 , -0.75,  0.5 ,  0.65])
    """
    if theta == 1.0:
        return sign(u)
    return (1.0 - theta) * u + theta * sign(u)


def parq_map(u: np.ndarray, inv_slope: float) -> np.ndarray:
    """PARQ's ``F_s(u) = clip(u / s, -1, 1)`` for ``s`` in ``(0, 1]``; ``F_0 = sign``.

    Computed as ``clip(u, -s, s) / s``, which cannot overflow for tiny ``s`` (an ``s`` below
    the smallest normal number of ``u``'s dtype is applied in float64).

    Examples
    --------
    >>> parq_map(np.array([-2.0, -0.1, 0.0, 0.15]), 0.3)
    array([-1.        , -0.33333333,  0.        ,  0.5       ])
    """
    if inv_slope == 0:
        return sign(u)
    if abs(u.dtype.type(inv_slope)) < np.finfo(u.dtype).tiny:
        # s is not a normal number of u's dtype (float32): compute in float64, then cast.
        return (np.clip(u.astype(np.float64), -inv_slope, inv_slope) / inv_slope).astype(u.dtype)
    s = u.dtype.type(inv_slope)
    return np.clip(u, -s, s) / s


def proxquant_map(u: np.ndarray, lam: float) -> np.ndarray:
    """ProxQuant's ``P_PQ(u; lam) = sign(u) (1 + sign0(|u| - 1) max(||u| - 1| - lam, 0))``.

    The soft-threshold of ``|u|`` toward 1, computed in the identical form
    ``sign(u) * (min(|u| + lam, 1) if |u| < 1 else max(|u| - lam, 1))``, which has no
    cancellation near 0 and is exactly the identity for ``lam = 0``.

    Examples
    --------
    >>> proxquant_map(np.array([-2.0, -0.5, 0.0, 0.5, 2.0]), 0.3)
    array([-1.7, -0.8,  0.3,  0.8,  1.7])
    """
    a = np.abs(u)
    mag = np.where(a < 1, np.minimum(a + lam, 1.0), np.maximum(a - lam, 1.0))
    return sign(u) * mag


def proxconnect_map(u: np.ndarray, mu: float, rho: float = 1.0, varrho: float = 1.0) -> np.ndarray:
    """The reconstructed ``L(u; mu, rho, varrho)``, prox of ``rho dist + (varrho/2) dist^2``.

    Reconstructed: the definition of ProxConnect's ``L^varrho_rho`` was not available; this is
    the exact proximal map of ``r(z) = rho dist(z, Q) + (varrho/2) dist(z, Q)^2``::

        q = sign(u),  e = u - q,  L = q + sign0(e) max(|e| - mu rho, 0) / (1 + mu varrho)

    computed as the identical composition ``F_th(P_PQ(u; mu rho))`` with
    ``th = mu varrho / (1 + mu varrho)`` (no cancellation near 0). Special cases, exact:
    ``mu = 0`` is the identity, ``varrho = 0`` is ``P_PQ(u; mu rho)``, ``rho = 0`` is
    BinaryRelax's ``F_th``.

    Examples
    --------
    >>> proxconnect_map(np.array([-2.0, -0.5, 0.0, 0.3, 3.0]), 0.5)
    array([-1.33333333, -1.        ,  0.66666667,  0.86666667,  2.        ])
    """
    a = mu * varrho
    return relax_map(proxquant_map(u, mu * rho), a / (1.0 + a))
