"""How many binary weight vectors fit random labels: exact counts next to two theories
(docs/theory.md, section "8. The entropy of solutions").

- ``annealed_entropy``: the first moment. A fixed ``w`` fits one random label with
  probability 1/2 (with ``sign(0) = +1`` a tie predicts +1, right for half of the labels),
  independently over samples, so ``E[#solutions] = 2^n 2^-m`` exactly, at every ``n``:
  ``(1/n) ln E[N] = (1 - alpha) ln 2``. It is an upper bound of the typical entropy.
- ``rs_entropy``: the replica-symmetric entropy per weight of the binary perceptron at zero
  margin (Gardner & Derrida 1988, J. Phys. A 21, 271; Krauth & Mézard 1989, J. Phys. France
  50, 3057), computed here by solving its saddle-point equations (``z`` standard normal,
  ``H(x) = P(z > x)``)::

      s(alpha) = extr_{q, qh} [ -qh (1 - q) / 2 + E_z ln 2cosh(sqrt(qh) z)
                                + alpha E_z ln H(sqrt(q / (1 - q)) z) ]
      q  = E_z tanh^2(sqrt(qh) z)
      qh = -2 alpha d/dq E_z ln H(sqrt(q / (1 - q)) z)

  It vanishes at ``alpha ~ 0.833``: the capacity of Krauth & Mézard (``rs_capacity``).
- ``solution_counts``: exact counts (``theory.sat.count_solutions``) on random instances at
  small ``n``, to set beside both curves: the mean of ``ln N / n`` over the satisfiable
  instances (the quenched estimate) and ``ln(mean N) / n`` (the annealed one).

Gaussian averages use Gauss-Hermite quadrature (``QUAD_POINTS`` nodes).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import log_ndtr

from theory.sat import count_solutions, random_instance

from .threshold import cells

QUAD_POINTS = 301
_z, _wz = np.polynomial.hermite_e.hermegauss(QUAD_POINTS)
_wz = _wz / math.sqrt(2 * math.pi)          # E_z f(z) = _wz @ f(_z)


def annealed_entropy(alpha: float | np.ndarray) -> float | np.ndarray:
    """``(1 - alpha) ln 2``: the log of the mean number of solutions, per weight.

    Examples
    --------
    >>> round(float(annealed_entropy(0.5)), 6) == round(0.5 * math.log(2), 6)
    True
    """
    return (1 - np.asarray(alpha, dtype=np.float64)) * math.log(2)


def _ln2cosh(x: np.ndarray) -> np.ndarray:
    ax = np.abs(x)
    return ax + np.log1p(np.exp(-2 * ax))


def _volume(q: float) -> float:
    """``E_z ln H(sqrt(q / (1 - q)) z)``."""
    return float(_wz @ log_ndtr(-math.sqrt(q / (1 - q)) * _z))


def _volume_dq(q: float) -> float:
    """``d/dq`` of :func:`_volume` (``H' = -g``: the ratio ``g/H`` in logs)."""
    u = math.sqrt(q / (1 - q))
    x = u * _z
    ratio = np.exp(-x * x / 2 - 0.5 * math.log(2 * math.pi) - log_ndtr(-x))
    return float(_wz @ (-ratio * _z)) / (2 * math.sqrt(q) * (1 - q) ** 1.5)


@dataclass(frozen=True)
class RSSolution:
    """The replica-symmetric saddle point at one ``alpha``: entropy per weight ``s`` (nats),
    the overlap ``q`` of two solutions and its conjugate ``q_hat``."""

    alpha: float
    s: float
    q: float
    q_hat: float


def rs_solution(alpha: float, *, tol: float = 1e-13, max_iter: int = 100_000) -> RSSolution:
    """Solve the saddle-point equations by damped fixed-point iteration from ``q = 1/2``.

    Valid for ``0 <= alpha < 4/pi`` (where ``q < 1``). ``alpha = 0`` gives ``s = ln 2``.

    Examples
    --------
    >>> sol = rs_solution(0.5)
    >>> bool(0 < sol.s < annealed_entropy(0.5)), 0 < sol.q < 1
    (True, True)
    """
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.floating)) or \
            not 0 <= alpha < 4 / math.pi:
        raise ValueError(f"alpha must be a number in [0, 4/pi), got {alpha!r}")
    alpha = float(alpha)
    if alpha == 0:
        return RSSolution(0.0, math.log(2), 0.0, 0.0)
    q = 0.5
    for _ in range(max_iter):
        q_hat = -2 * alpha * _volume_dq(q)
        q_new = float(_wz @ np.tanh(math.sqrt(q_hat) * _z) ** 2)
        if abs(q_new - q) < tol:
            q = q_new
            break
        q = 0.5 * q + 0.5 * q_new
    else:
        raise RuntimeError(f"the RS equations did not converge at alpha={alpha}")
    q_hat = -2 * alpha * _volume_dq(q)
    s = (-q_hat * (1 - q) / 2 + float(_wz @ _ln2cosh(math.sqrt(q_hat) * _z))
         + alpha * _volume(q))
    return RSSolution(alpha, s, q, q_hat)


def rs_entropy(alpha: float | Sequence[float]) -> float | np.ndarray:
    """The replica-symmetric entropy per weight (nats) at one or several loads.

    Examples
    --------
    >>> s = rs_entropy([0.2, 0.6, 1.0])
    >>> bool(s[0] > s[1] > 0 > s[2])
    True
    """
    if np.ndim(alpha) == 0:
        return rs_solution(float(alpha)).s
    return np.array([rs_solution(float(a)).s for a in alpha])


def rs_capacity() -> float:
    """The load where the RS entropy vanishes (Krauth & Mézard's ``alpha_c``).

    Examples
    --------
    >>> round(rs_capacity(), 3)
    0.833
    """
    from scipy.optimize import brentq

    return float(brentq(lambda a: rs_solution(a).s, 0.6, 1.0, xtol=1e-10))


def solution_counts(ns: Sequence[int], alphas: Sequence[float], seeds: Iterable[int], *,
                    progress: bool = True) -> list[dict]:
    """Exact solution counts on random-label instances: one dict per ``(n, m)`` cell.

    Each instance is ``random_instance(n, m/n, "random", [seed, n, m, 11])`` and is counted
    by ``theory.sat.count_solutions`` (``n <= 20``). Keys: ``n``, ``m``, ``alpha``,
    ``count`` (instances), ``frac_sat``, ``mean_count``, ``annealed`` (``ln(mean N) / n``),
    ``quenched`` (mean ``ln N / n`` over satisfiable instances; ``None`` if none),
    ``first_moment`` (``(1/n) ln(2^n 2^-m)``, exact).

    Examples
    --------
    >>> row = solution_counts([8], [0.5], range(50), progress=False)[0]
    >>> row["m"], abs(row["mean_count"] - 2 ** 8 / 2 ** 4) < 6
    (4, True)
    """
    from tqdm import tqdm

    grid = cells(ns, alphas)
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must not be empty")
    rows = []
    for n, m in tqdm(grid, desc="counting", unit="cell", disable=not progress):
        counts = np.array([count_solutions(random_instance(n, m / n, "random",
                                                           [int(s), n, m, 11]))
                           for s in seeds], dtype=np.float64)
        sat = counts[counts > 0]
        rows.append({"n": n, "m": m, "alpha": m / n, "count": len(seeds),
                     "frac_sat": float(np.mean(counts > 0)),
                     "mean_count": float(counts.mean()),
                     "annealed": float(np.log(counts.mean()) / n) if counts.any() else None,
                     "quenched": float(np.mean(np.log(sat)) / n) if sat.size else None,
                     "first_moment": (n - m) * math.log(2) / n,
                     "std_count": float(counts.std(ddof=1)) if len(seeds) > 1 else 0.0})
    return rows


def plot_entropy(rows: Sequence[dict], ax=None, *, alpha_max: float = 1.1):
    """Entropy per weight versus ``alpha``: the annealed line, the RS curve (computed), and
    the exact counts (quenched, per ``n``). Returns the ``Axes``.

    Examples
    --------
    >>> ax = plot_entropy(solution_counts([8], [0.25, 0.5], range(5), progress=False))
    >>> len(ax.lines) >= 3
    True
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4.2))
    a = np.linspace(0.0, alpha_max, 45)
    ax.plot(a, annealed_entropy(a), "k--", lw=1, label=r"annealed $(1-\alpha)\ln 2$")
    ax.plot(a, rs_entropy(a), "k-", lw=1.5, label="replica-symmetric (computed)")
    for n in sorted({r["n"] for r in rows}):
        rs = [r for r in rows if r["n"] == n and r["quenched"] is not None]
        ax.plot([r["alpha"] for r in rs], [r["quenched"] for r in rs], "o-", ms=3, lw=0.8,
                label=f"n={n}: mean ln N / n over SAT instances")
    ax.axhline(0, color="grey", lw=0.6)
    ax.axvline(rs_capacity(), color="k", ls=":", lw=1,
               label=rf"RS entropy = 0 at $\alpha$ = {rs_capacity():.3f}")
    ax.set_xlabel(r"$\alpha = m / n$")
    ax.set_ylabel("entropy per weight [nats]")
    ax.set_title("how many binary weight vectors fit random labels")
    ax.legend(fontsize=7)
    return ax
