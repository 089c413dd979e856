"""Paired statistics for comparing two methods over shared seeds (docs/evidence.md).

For seed ``s`` the two runs share the data split, the batch order and the initial weights,
so the difference ``d_s = metric(A, s) - metric(B, s)`` cancels the seed's luck common to
both. Every function here works on those ``n`` differences: an interval for their mean, a
two-sided paired test, Holm's correction over the claims of one table, the minimal
detectable effect (MDE) and the verdict rule.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

from bnncore._validation import check_array, check_int, check_positive, check_rng

VERDICTS = ("reproduced", "contradicted", "inconclusive")
INTERVALS = ("t", "bootstrap-percentile", "bootstrap-BCa")
TESTS = ("permutation", "wilcoxon")
POWER = 0.8  #: power at which :class:`PairedSummary` reports the MDE
T_INTERVAL_BELOW = 15  #: "auto" uses the t-interval for n below this, the BCa bootstrap above
MAX_EXACT_N = 16  #: largest n for the exact sign-flip test (2**16 sign patterns)


def _differences(d: object, name: str = "d") -> np.ndarray:
    d = check_array(d, name, ndim=1).astype(np.float64)
    if d.size < 2:
        raise ValueError(f"{name} must hold at least 2 paired differences, got {d.size}")
    return d


def _fraction(value: object, name: str) -> float:
    value = check_positive(value, name)
    if value >= 1:
        raise ValueError(f"{name} must lie in (0, 1), got {value}")
    return value


def paired_differences(a: object, b: object) -> np.ndarray:
    """Return ``a - b`` (float64, shape (n,)) for one metric of A and B on the same seeds.

    Parameters
    ----------
    a, b : array_like, shape (n,)
        Finite values of one metric for methods A and B, entry ``s`` from seed ``s``.
        Both must be 1-D, of the same length ``n >= 2``, or a ``ValueError`` names them.

    Examples
    --------
    >>> paired_differences([0.9, 0.8, 0.85], [0.88, 0.81, 0.80]).round(3)
    array([ 0.02, -0.01,  0.05])
    """
    a, b = _differences(a, "a"), _differences(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must be paired (same length), got {a.size} and {b.size}")
    return a - b


def t_interval(d: object, level: float = 0.95) -> tuple[float, float]:
    """Student-t interval ``mean(d) ± t_{(1+level)/2, n-1} sd(d)/sqrt(n)`` (``ddof=1``).

    When every difference is equal (``sd = 0``) the interval is ``(mean, mean)``.

    Examples
    --------
    >>> lo, hi = t_interval([1.0, 2.0, 3.0, 4.0, 5.0])
    >>> round(lo, 4), round(hi, 4)
    (1.0368, 4.9632)
    """
    d, level = _differences(d), _fraction(level, "level")
    if np.all(d == d[0]):  # sd = 0 (tested exactly: d.mean() can round off d[0])
        return float(d[0]), float(d[0])
    mean, sd = float(d.mean()), float(d.std(ddof=1))  # sd can still underflow to 0
    half = float(stats.t.ppf((1 + level) / 2, d.size - 1) * sd / np.sqrt(d.size))
    return mean - half, mean + half


_RNG_KEYWORD = "rng" if "rng" in inspect.signature(stats.bootstrap).parameters else "random_state"


def bootstrap_interval(
    d: object,
    level: float = 0.95,
    n_resamples: int = 10_000,
    method: str = "percentile",
    seed: int | np.random.Generator = 0,
) -> tuple[float, float]:
    """Bootstrap interval for ``mean(d)`` (``scipy.stats.bootstrap``, Efron & Tibshirani).

    Parameters
    ----------
    d : array_like, shape (n,)
        Paired differences, ``n >= 2``.
    level : float
        Confidence level in (0, 1).
    n_resamples : int
        Number of resamples of the ``n`` differences.
    method : {"percentile", "BCa"}
        Percentile interval or bias-corrected and accelerated interval.
    seed : int or numpy.random.Generator
        Seed of the resampling; the same int gives the same interval bit for bit.

    Returns
    -------
    (float, float)
        ``(mean, mean)`` when every difference is equal (no resample varies).

    Examples
    --------
    >>> lo, hi = bootstrap_interval([0.3, 1.2, 0.8, 1.9, 0.4, 1.1], seed=1)
    >>> lo < 0.95 < hi
    True
    """
    d, level = _differences(d), _fraction(level, "level")
    n_resamples = check_int(n_resamples, "n_resamples", minimum=1)
    if method not in ("percentile", "BCa"):
        raise ValueError(f"method must be 'percentile' or 'BCa', got {method!r}")
    rng = check_rng(seed, "seed")
    if np.all(d == d[0]):
        return float(d[0]), float(d[0])
    res = stats.bootstrap((d,), np.mean, n_resamples=n_resamples, confidence_level=level,
                          method=method, vectorized=True, **{_RNG_KEYWORD: rng})
    lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError(f"d gives a degenerate {method} bootstrap distribution; "
                         "use method='percentile' or t_interval")
    return lo, hi


def permutation_test(d: object) -> float:
    """Exact two-sided sign-flip test of ``mean(d) = 0`` over all ``2**n`` sign patterns.

    Under the null each difference is as likely to have either sign, so ``p`` is the
    fraction of patterns ``e`` with ``|sum(e * d)| >= |sum(d)|`` (the observed pattern
    included). Exact for ``n <= 16``; for larger ``n`` use :func:`wilcoxon_test`.

    Raises
    ------
    ValueError
        If ``n > 16`` (65,536 patterns is the exact test's budget here).

    Examples
    --------
    >>> permutation_test([1.0, 2.0, 3.0, 4.0, 5.0])  # only all-plus and all-minus tie
    0.0625
    """
    d = _differences(d)
    if d.size > MAX_EXACT_N:
        raise ValueError(f"d has {d.size} differences; the exact permutation test enumerates "
                         f"2**n patterns for n <= {MAX_EXACT_N}: use wilcoxon_test")
    bits = (np.arange(2**d.size)[:, None] >> np.arange(d.size)) & 1
    sums = np.abs((2.0 * bits - 1.0) @ d)
    observed = abs(float(d.sum()))
    tol = 1e-12 * max(1.0, float(np.abs(d).sum()))  # ties up to float rounding count
    return float(np.count_nonzero(sums >= observed - tol) / sums.size)


def wilcoxon_test(d: object) -> float:
    """Two-sided Wilcoxon signed-rank p-value of ``d`` (``scipy.stats.wilcoxon``).

    Zero differences are split evenly between the positive and negative ranks
    (``zero_method="zsplit"``), so they count as evidence for neither side. When every
    difference is zero the p-value is 1.

    Examples
    --------
    >>> round(wilcoxon_test([0.5, 1.5, -0.2, 2.0, 0.8, 1.1, 0.3, 0.9]), 4)
    0.0156
    """
    d = _differences(d)
    if np.all(d == 0):
        return 1.0
    return float(stats.wilcoxon(d, zero_method="zsplit", alternative="two-sided").pvalue)


def holm(pvalues: object) -> np.ndarray:
    """Holm's step-down adjustment of ``k`` p-values, returned in the input order.

    With ``p_(1) <= ... <= p_(k)`` sorted, ``adjusted p_(i) = max_{j<=i} min(1, (k-j+1) p_(j))``.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03])
    array([0.03, 0.06, 0.06])
    """
    p = check_array(pvalues, "pvalues", ndim=1).astype(np.float64)
    if np.any((p < 0) | (p > 1)):
        raise ValueError(f"pvalues must lie in [0, 1], got {p[(p < 0) | (p > 1)][0]}")
    order = np.argsort(p, kind="stable")
    k = p.size
    adjusted = np.maximum.accumulate(np.minimum(1.0, (k - np.arange(k)) * p[order]))
    out = np.empty_like(p)
    out[order] = adjusted
    return out


def mde(sd: float, n: int, alpha: float = 0.05, power: float = POWER) -> float:
    """Minimal detectable effect of a paired comparison of ``n`` seeds.

    ``MDE = (t_{1-alpha/2, n-1} + t_{power, n-1}) sd / sqrt(n)``: a true mean difference of
    this size is detected (two-sided, level ``alpha``) with probability ``power``.

    Examples
    --------
    >>> round(mde(1.0, 10), 4)
    0.9947
    """
    sd = check_positive(sd, "sd", allow_zero=True)
    n = check_int(n, "n", minimum=2)
    alpha, power = _fraction(alpha, "alpha"), _fraction(power, "power")
    quantiles = stats.t.ppf(1 - alpha / 2, n - 1) + stats.t.ppf(power, n - 1)
    return float(quantiles * sd / np.sqrt(n))


def seeds_for_mde(sd: float, target: float, alpha: float = 0.05, power: float = POWER,
                  n_max: int = 100) -> int:
    """Smallest number of seeds ``n`` in ``[2, n_max]`` with ``mde(sd, n) <= target``.

    ``sd`` is the standard deviation of the paired differences in a pilot run.

    Raises
    ------
    ValueError
        If even ``n_max`` seeds cannot reach ``target``.

    Examples
    --------
    >>> seeds_for_mde(sd=0.6, target=0.5)
    14
    """
    target = check_positive(target, "target")
    n_max = check_int(n_max, "n_max", minimum=2)
    for n in range(2, n_max + 1):
        if mde(sd, n, alpha, power) <= target:
            return n
    raise ValueError(f"target {target} needs more than n_max={n_max} seeds at sd={sd} "
                     f"(mde at n_max is {mde(sd, n_max, alpha, power):.4g})")


@dataclass(frozen=True)
class PairedSummary:
    """Everything one table row reports about ``A - B`` over ``n`` paired seeds.

    ``interval`` is one of ``"t"``, ``"bootstrap-percentile"``, ``"bootstrap-BCa"``;
    ``test`` is ``"permutation"`` or ``"wilcoxon"``; ``mde`` is at two-sided
    ``alpha = 1 - level`` and power 0.8.
    """

    n: int
    mean_a: float
    mean_b: float
    effect: float
    sd: float
    ci_low: float
    ci_high: float
    interval: str
    p_value: float
    test: str
    mde: float
    level: float = 0.95

    def to_dict(self) -> dict:
        """Plain dict of the fields (JSON-serialisable)."""
        return asdict(self)


def summarize_pair(a: object, b: object, *, level: float = 0.95, interval: str = "auto",
                   test: str = "auto", seed: int = 0) -> PairedSummary:
    """Effect, interval, paired test and MDE of ``A - B`` (docs/evidence.md).

    Parameters
    ----------
    a, b : array_like, shape (n,)
        One metric for methods A and B on the same ``n`` seeds.
    level : float
        Confidence level of the interval; the MDE uses ``alpha = 1 - level``.
    interval : {"auto", "t", "bootstrap-percentile", "bootstrap-BCa"}
        ``"auto"``: the t-interval for ``n < 15`` (the percentile bootstrap covers about
        90% instead of 95% at ``n = 10``), the BCa bootstrap for ``n >= 15``.
    test : {"auto", "permutation", "wilcoxon"}
        ``"auto"``: the exact sign-flip test for ``n <= 16``, Wilcoxon above.
    seed : int
        Seed of the bootstrap resampling.

    Examples
    --------
    >>> s = summarize_pair([91.0, 90.2, 92.5, 91.1], [90.0, 89.9, 91.0, 90.6])
    >>> s.interval, s.test, round(s.effect, 3), s.p_value
    ('t', 'permutation', 0.825, 0.125)
    """
    d = paired_differences(a, b)
    if interval not in ("auto",) + INTERVALS:
        raise ValueError(f"interval must be 'auto' or one of {INTERVALS}, got {interval!r}")
    if test not in ("auto",) + TESTS:
        raise ValueError(f"test must be 'auto' or one of {TESTS}, got {test!r}")
    n = d.size
    if interval == "auto":
        interval = "t" if n < T_INTERVAL_BELOW else "bootstrap-BCa"
    if test == "auto":
        test = "permutation" if n <= MAX_EXACT_N else "wilcoxon"
    if interval == "t":
        lo, hi = t_interval(d, level)
    else:
        lo, hi = bootstrap_interval(d, level, method=interval.split("-")[1], seed=seed)
    p = permutation_test(d) if test == "permutation" else wilcoxon_test(d)
    sd = float(d.std(ddof=1))
    mean_a, mean_b = (float(np.mean(np.asarray(x, dtype=np.float64))) for x in (a, b))
    return PairedSummary(n=n, mean_a=mean_a, mean_b=mean_b,
                         effect=float(d.mean()), sd=sd, ci_low=lo, ci_high=hi,
                         interval=interval, p_value=p, test=test,
                         mde=mde(sd, n, alpha=1 - level), level=level)


def _ci(summary_or_ci: object) -> tuple[float, float]:
    if isinstance(summary_or_ci, Mapping):
        lo, hi = summary_or_ci["ci_low"], summary_or_ci["ci_high"]
    elif hasattr(summary_or_ci, "ci_low") and hasattr(summary_or_ci, "ci_high"):
        lo, hi = summary_or_ci.ci_low, summary_or_ci.ci_high
    elif isinstance(summary_or_ci, (Sequence, np.ndarray)) and len(summary_or_ci) == 2:
        lo, hi = summary_or_ci
    else:
        raise TypeError("summary_or_ci must be a PairedSummary, a mapping with ci_low and "
                        f"ci_high, or a (low, high) pair, got {type(summary_or_ci).__name__}")
    ci = check_array([lo, hi], "summary_or_ci", ndim=1)
    if ci[0] > ci[1]:
        raise ValueError(f"summary_or_ci must have ci_low <= ci_high, got ({ci[0]}, {ci[1]})")
    return float(ci[0]), float(ci[1])


def verdict(summary_or_ci: object, *, direction: int = 1, margin: float | None = None) -> str:
    """The verdict rule of docs/evidence.md, applied to one confidence interval.

    Directional claim (``margin=None``; ``direction=+1`` claims ``A > B``, ``-1``
    claims ``A < B``): *reproduced* when the CI excludes 0 on the claimed side,
    *contradicted* when it excludes 0 on the other side, *inconclusive* otherwise.
    Equivalence claim (``margin=delta > 0``, ``direction`` unused): *reproduced* when the
    whole CI lies inside ``(-delta, delta)``, *contradicted* when it lies wholly outside
    (``ci_low >= delta`` or ``ci_high <= -delta``), *inconclusive* otherwise.

    Examples
    --------
    >>> verdict((0.2, 1.4)), verdict((0.2, 1.4), direction=-1), verdict((-0.1, 0.3))
    ('reproduced', 'contradicted', 'inconclusive')
    >>> verdict((-0.4, 0.3), margin=1.0), verdict((1.2, 2.0), margin=1.0)
    ('reproduced', 'contradicted')
    """
    lo, hi = _ci(summary_or_ci)
    if margin is not None:
        delta = check_positive(margin, "margin")
        if -delta < lo and hi < delta:
            return "reproduced"
        return "contradicted" if (lo >= delta or hi <= -delta) else "inconclusive"
    if isinstance(direction, bool) or direction not in (1, -1):
        raise ValueError(f"direction must be +1 (A > B) or -1 (A < B), got {direction!r}")
    lo, hi = (lo, hi) if direction == 1 else (-hi, -lo)
    return "reproduced" if lo > 0 else "contradicted" if hi < 0 else "inconclusive"


def verdict_text(summary: PairedSummary, verdict: str, *, margin: float | None = None,
                 unit: str = "points", digits: int = 2) -> str:
    """One line for a table cell: the verdict and the numbers it rests on.

    An inconclusive directional row reports the MDE: a true effect of that size or more
    would have been detected with 80% power, so "inconclusive (MDE 0.42 points)" rules out
    effects larger than 0.42 points only in that power sense, not with certainty.

    Examples
    --------
    >>> s = PairedSummary(10, 90.1, 90.0, 0.1, 0.6, -0.33, 0.53, "t", 0.6, "permutation", 0.6)
    >>> verdict_text(s, "inconclusive")
    'inconclusive (95% CI [-0.33, +0.53] includes 0; MDE 0.60 points at 80% power)'
    """
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}, got {verdict!r}")
    if not isinstance(unit, str):
        raise TypeError(f"unit must be a str, got {type(unit).__name__}")
    digits = check_int(digits, "digits", minimum=0)
    pct = f"{100 * summary.level:g}%"
    ci = f"{pct} CI [{summary.ci_low:+.{digits}f}, {summary.ci_high:+.{digits}f}]"
    if margin is not None:
        delta = check_positive(margin, "margin")
        where = {"reproduced": "inside", "contradicted": "outside"}.get(verdict, "not inside")
        return f"{verdict} ({ci} {where} ±{delta:.{digits}f} {unit})"
    if verdict == "inconclusive":
        mde_text = f"MDE {summary.mde:.{digits}f} {unit} at {100 * POWER:g}% power"
        return f"{verdict} ({ci} includes 0; {mde_text})"
    return f"{verdict} (effect {summary.effect:+.{digits}f} {unit}, {ci})"


__all__ = ["PairedSummary", "bootstrap_interval", "holm", "mde", "paired_differences",
           "permutation_test", "seeds_for_mde", "summarize_pair", "t_interval", "verdict",
           "verdict_text", "wilcoxon_test"]
