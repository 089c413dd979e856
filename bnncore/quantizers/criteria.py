"""The numeric PC++ decomposition criterion (Corollary 1), on sampled points.

docs/quantizers.md, section "Is a pair a PC++ pair? The checker". Both readings are
reconstructed (only the first line of Corollary 1 was available):

- ``factor`` (Reading A, default): ``F = P o B`` for a non-decreasing ``P`` on the domain, i.e.
  ``F_function_of_B`` (equal ``B`` gives equal ``F``) and ``P_nondecreasing`` (larger ``B``
  never gives smaller ``F``);
- ``integral`` (Reading B): the multiplier ``B'`` is positive (``multiplier_positive``) and
  ``F`` is non-decreasing along ``Phi = integral of 1/B'`` (``F_nondecreasing_along_Phi``).

``run`` evaluates a pair and returns every ingredient of a verdict;
``theory.decomposition.check`` wraps it in a result object, and ``bnncore.testing`` and
``QuantizerPair.from_functions`` use it directly (``bnncore`` never imports ``theory``).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

CONDITIONS = {"factor": ("finite", "F_function_of_B", "P_nondecreasing"),
              "integral": ("finite", "multiplier_positive", "F_nondecreasing_along_Phi")}
DEFAULT_DOMAIN = (-3.0, 3.0)
GRID_POINTS = 20001
NOT_ELEMENTWISE = ("not elementwise; freeze its statistics, e.g. get('dorefa', scale=0.7) or "
                   "get('dorefa', k=2, m=0.995)")


@dataclass(frozen=True)
class Violation:
    """One witness: ``condition`` fails at ``x`` (against ``x_other``) by ``magnitude``."""

    condition: str
    x: float
    x_other: float | None
    magnitude: float
    message: str


# -- sampling (6.5) ------------------------------------------------------------------------
def check_arguments(criterion: str, tol: float, n_random: int, max_witnesses: int) -> None:
    """Validate the scalar arguments of ``run`` (ValueError/TypeError naming them)."""
    if criterion not in CONDITIONS:
        raise ValueError(f"criterion must be 'factor' or 'integral', got {criterion!r}")
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not (
            np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a finite float > 0, got {tol!r}")
    for name, value, low in (("n_random", n_random, 0), ("max_witnesses", max_witnesses, 1)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
        if value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value}")


def resolve_domain(pair, domain, grid) -> tuple[tuple[float, float], np.ndarray]:
    """``(lo, hi)`` and the grid: ``grid`` if given, else ``linspace(lo, hi, 20001)``."""
    if grid is not None:
        grid = np.asarray(grid, dtype=np.float64)
        if grid.ndim != 1 or grid.size < 2 or not np.all(np.isfinite(grid)):
            raise ValueError("grid must be a 1-D finite float array with at least 2 points")
        lo, hi = float(grid.min()), float(grid.max())
        if not lo < hi:
            raise ValueError(f"grid must span an interval, got min = max = {lo}")
        return (lo, hi), grid
    if domain is None:
        domain = getattr(pair, "latent_domain", None) or DEFAULT_DOMAIN
    try:
        lo, hi = (float(v) for v in domain)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"domain must be a pair of floats (lo, hi), got {domain!r}") from exc
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"domain must be finite with lo < hi, got ({lo}, {hi})")
    return (lo, hi), np.linspace(lo, hi, GRID_POINTS)


def sample_points(lo: float, hi: float, grid: np.ndarray, n_random: int, rng,
                  knots=()) -> np.ndarray:
    """Grid, ``n_random`` uniform points, 0, +-1e-12 and every knot +- 1e-9, sorted unique."""
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(
        0 if rng is None else rng)
    special = [0.0, 1e-12, -1e-12]
    for k in knots:
        special += [k, k - 1e-9, k + 1e-9]
    special = np.asarray(special, dtype=np.float64)
    special = special[(special >= lo) & (special <= hi)]
    return np.unique(np.concatenate([grid, gen.uniform(lo, hi, n_random), special]))


# -- the two criteria (6.6, 6.7); each returns candidate violations as arrays -----------
def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs ``[i, j]`` (inclusive) where ``mask`` is True."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1))


def _exclusive_running_max(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``max(v[:i])`` and the index where it is attained (``-inf`` and 0 for ``i = 0``)."""
    run = np.maximum.accumulate(v)
    arg = np.maximum.accumulate(np.where(v == run, np.arange(v.size), 0))
    prev = np.concatenate([[-np.inf], run[:-1]])
    prev_arg = np.concatenate([[0], arg[:-1]])
    return prev, prev_arg


def factor(xs: np.ndarray, f: np.ndarray, b: np.ndarray, ftol: float):
    """Reading A on finite samples: candidate violations and the reconstructed ``P``."""
    o = np.lexsort((xs, b))
    bs, fs, xo = b[o], f[o], xs[o]
    new = np.concatenate([[True], bs[1:] > bs[:-1]])
    starts = np.flatnonzero(new)
    gid = np.cumsum(new) - 1
    by_f = np.lexsort((xo, fs, gid))                       # within a group: by F, then x
    first = np.concatenate([[True], gid[by_f][1:] != gid[by_f][:-1]])
    last = np.concatenate([first[1:], [True]])
    fmin, x_fmin = fs[by_f][first], xo[by_f][first]
    fmax, x_fmax = fs[by_f][last], xo[by_f][last]
    cands = []
    bad = fmax - fmin > ftol                               # A1
    cands.append(("F_function_of_B", x_fmax[bad], x_fmin[bad], (fmax - fmin)[bad]))
    prev, prev_arg = _exclusive_running_max(fmax)          # A2
    drop = prev - fmin
    bad = drop > ftol
    cands.append(("P_nondecreasing", x_fmin[bad], x_fmax[prev_arg][bad], drop[bad]))
    counts = np.diff(np.concatenate([starts, [bs.size]]))
    witness = {"u": bs[starts], "p": np.add.reduceat(fs, starts) / counts} if bs.size else {
        "u": bs, "p": fs}
    return cands, witness


def _cat(parts: list) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty(0)


def integral(xs: np.ndarray, f: np.ndarray, d: np.ndarray, ftol: float, dtol: float):
    """Reading B on finite samples: candidate violations and ``Phi`` per positive run."""
    pos = d > dtol
    cands = []
    runs = _runs(~pos)
    cands.append(("multiplier_positive", np.array([xs[i] for i, _ in runs]),
                  np.array([xs[j] for _, j in runs]),
                  np.array([dtol - d[i:j + 1].min() for i, j in runs])))
    phi = np.full(xs.shape, np.nan)
    xb, xa, mag = [], [], []
    for i, j in _runs(pos):
        if j == i:
            continue
        xr, dr, fr = xs[i:j + 1], d[i:j + 1], f[i:j + 1]
        steps = np.diff(xr) * (1 / dr[:-1] + 1 / dr[1:]) / 2
        phi[i:j + 1] = np.concatenate([[0.0], np.cumsum(steps)])
        prev, prev_arg = _exclusive_running_max(fr)
        bad = prev - fr > ftol
        xb.append(xr[bad])
        xa.append(xr[prev_arg][bad])
        mag.append((prev - fr)[bad])
    cands.append(("F_nondecreasing_along_Phi", _cat(xb), _cat(xa), _cat(mag)))
    return cands, {"x": xs, "phi": phi, "p": f}


# -- diagnostics ----------------------------------------------------------------------------
def _intervals(xs: np.ndarray, mask: np.ndarray, limit: int = 5) -> str:
    runs = _runs(mask)
    parts = [f"[{xs[i]:.4g}, {xs[j]:.4g}]" for i, j in runs[:limit]]
    text = " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)
    return text + (f" (and {len(runs) - limit} more)" if len(runs) > limit else "")


def diagnostics(pair, xs, f, b, d, grid, knots, ftol, dtol) -> tuple[dict, list[str]]:
    """Informational checks (never part of ``ok``) and one note per failed check."""
    diags, notes = {}, []
    neg = d < -dtol
    diags["B_prime_nonnegative"] = not neg.any()
    if neg.any():
        notes.append(f"B' < 0 on {_intervals(xs, neg)}: the latent moves against the "
                     f"gradient there")
    prev, _ = _exclusive_running_max(f)
    dec = prev - f > ftol
    diags["F_nondecreasing"] = not dec.any()
    if dec.any():
        notes.append(f"F decreases on {_intervals(xs, dec)}: F is not monotone there")
    lo, hi, h = grid.min(), grid.max(), 1e-6
    far = (grid > lo + 1e-4) & (grid < hi - 1e-4)
    for k in knots:
        far &= np.abs(grid - k) > 1e-4
    g = grid[far]
    with np.errstate(all="ignore"):
        fd = (np.asarray(pair.B(g + h), float) - np.asarray(pair.B(g - h), float)) / (2 * h)
        dg = np.asarray(pair.dB(g), float)
        off = ~(np.abs(fd - dg) <= 1e-4 * np.maximum(1.0, np.abs(dg)))
    diags["dB_consistent"] = not off.any()
    if off.any():
        notes.append(f"dB differs from central differences of B on {_intervals(g, off)}: "
                     f"dB may not be the derivative of B there")
    return diags, notes


# -- ranking witnesses and the whole run ---------------------------------------------------
def _message(cond, x, xo, values) -> str:
    def at(v):
        F, B, dB = values(v)
        return f"x = {v:.6g} (F = {F:.6g}, B = {B:.6g}, B' = {dB:.6g})"
    other = f" against {at(xo)}" if xo is not None else ""
    return f"{cond} fails at {at(x)}{other}"


def rank(cands, limit: int, values) -> tuple[list[Violation], int, float]:
    """The ``limit`` largest violations (ties by x), the total count and the largest size."""
    names = np.concatenate([np.full(len(c[1]), k) for k, c in enumerate(cands)]).astype(int)
    x = np.concatenate([np.asarray(c[1], float) for c in cands])
    xo = np.concatenate([np.asarray(c[2], float) for c in cands])
    mag = np.concatenate([np.asarray(c[3], float) for c in cands])
    if x.size == 0:
        return [], 0, 0.0
    order = np.lexsort((x, -mag))[:limit]
    out = []
    for i in order:
        other = None if np.isnan(xo[i]) else float(xo[i])
        cond = cands[names[i]][0]
        out.append(Violation(cond, float(x[i]), other, float(mag[i]),
                             _message(cond, float(x[i]), other, values)))
    return out, int(x.size), float(mag.max())


def evaluate(pair, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``F``, ``B``, ``B'`` at ``xs`` in float64 (exceptions of the pair propagate)."""
    return tuple(np.asarray(fn(xs), dtype=np.float64) for fn in (pair.forward, pair.B, pair.dB))


def run(pair, *, criterion: str = "factor", domain=None, grid=None, n_random: int = 10_000,
        rng=None, tol: float = 1e-9, max_witnesses: int = 50, diagnose: bool = True) -> dict:
    """Evaluate ``pair`` on the sampled domain and apply one reading of the criterion.

    Returns a dict with the fields of ``theory.decomposition.DecompositionResult``.

    Examples
    --------
    >>> from bnncore.quantizers import get
    >>> run(get("ste"))["ok"], run(get("clipped_ste"), criterion="integral")["ok"]
    (True, False)
    """
    check_arguments(criterion, tol, n_random, max_witnesses)
    if not getattr(pair, "elementwise", True):
        raise ValueError(f"{getattr(pair, 'name', 'custom')} is {NOT_ELEMENTWISE}")
    (lo, hi), grid = resolve_domain(pair, domain, grid)
    knots = tuple(getattr(pair, "knots", ()) or ())
    xs = sample_points(lo, hi, grid, n_random, rng, knots)
    f, b, d = evaluate(pair, xs)
    finite = np.isfinite(f) & np.isfinite(b) & np.isfinite(d)
    cands = [("finite", xs[~finite], np.full((~finite).sum(), np.nan),
              np.full((~finite).sum(), np.inf))]
    xf, ff, bf, df = xs[finite], f[finite], b[finite], d[finite]
    ftol = tol * max(1.0, float(np.abs(ff).max(initial=0.0)))
    dtol = tol * max(1.0, float(np.abs(df).max(initial=0.0)))
    if criterion == "factor":
        more, witness = factor(xf, ff, bf, ftol)
    else:
        more, witness = integral(xf, ff, df, ftol, dtol)
    cands += more

    def values(v):
        i = min(int(np.searchsorted(xs, v)), xs.size - 1)
        return f[i], b[i], d[i]

    violations, n_violations, max_violation = rank(cands, max_witnesses, values)
    conditions = {c[0]: len(c[1]) == 0 for c in cands}
    if diagnose:
        diags, notes = diagnostics(pair, xf, ff, bf, df, grid, knots, ftol, dtol)
    else:
        diags, notes = {}, []
    return {"ok": all(conditions.values()), "criterion": criterion,
            "pair_name": getattr(pair, "name", "custom"), "domain": (lo, hi),
            "n_points": int(xs.size), "conditions": conditions, "diagnostics": diags,
            "violations": violations, "n_violations": n_violations,
            "max_violation": max_violation, "witness": witness, "notes": notes}
