"""Paired statistics (docs/evidence.md): reference values from scipy.stats, planted and null
effects, Holm's invariants, the MDE, the verdict rule and input validation."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from bnncore.experiments.stats import (
    PairedSummary,
    bootstrap_interval,
    holm,
    mde,
    paired_differences,
    permutation_test,
    seeds_for_mde,
    summarize_pair,
    t_interval,
    verdict,
    verdict_text,
    wilcoxon_test,
)

D_FIXED = np.array([0.8, -0.3, 1.7, 0.4, 2.2, 0.9, -0.6, 1.3, 0.5, 1.1, 0.2, 1.8])
finite = st.floats(-100, 100, allow_nan=False, allow_infinity=False)
diffs = st.lists(finite, min_size=2, max_size=12).map(np.array)


def brute_force_sign_flip(d: np.ndarray) -> float:
    """p = share of the 2**n sign patterns with |sum| >= |observed sum| (a plain loop)."""
    observed = abs(d.sum())
    hits = sum(abs(np.dot(signs, d)) >= observed - 1e-9
               for signs in itertools.product((1.0, -1.0), repeat=d.size))
    return hits / 2**d.size


# --- reference values -------------------------------------------------------------------

def test_t_interval_equals_scipy():
    n, mean = D_FIXED.size, D_FIXED.mean()
    for level in (0.9, 0.95, 0.99):
        want = stats.t.interval(level, n - 1, loc=mean, scale=stats.sem(D_FIXED))
        np.testing.assert_allclose(t_interval(D_FIXED, level), want, rtol=1e-12)


def test_t_interval_by_hand():
    lo, hi = t_interval([1.0, 2.0, 3.0, 4.0, 5.0])
    half = 2.7764451051977934 * np.sqrt(2.5) / np.sqrt(5)  # t_{0.975, 4} sd / sqrt(n)
    np.testing.assert_allclose((lo, hi), (3 - half, 3 + half), rtol=1e-12)


def test_t_interval_zero_sd_is_a_point():
    assert t_interval([0.7, 0.7, 0.7]) == (0.7, 0.7)


@pytest.mark.parametrize("method", ["percentile", "BCa"])
def test_bootstrap_equals_scipy_for_the_same_seed(method):
    res = stats.bootstrap((D_FIXED,), np.mean, n_resamples=10_000, confidence_level=0.95,
                          method=method, rng=np.random.default_rng(7))
    want = (res.confidence_interval.low, res.confidence_interval.high)
    assert bootstrap_interval(D_FIXED, method=method, seed=7) == want


def test_bootstrap_same_seed_same_interval_bit_for_bit():
    first = bootstrap_interval(D_FIXED, method="BCa", seed=3)
    assert bootstrap_interval(D_FIXED, method="BCa", seed=3) == first
    assert bootstrap_interval(D_FIXED, method="BCa", seed=np.random.default_rng(3)) == first
    assert bootstrap_interval(D_FIXED, method="BCa", seed=4) != first


def test_bootstrap_all_equal_is_a_point():
    assert bootstrap_interval([1.5] * 20, method="BCa") == (1.5, 1.5)
    assert bootstrap_interval([1.5] * 20, method="percentile") == (1.5, 1.5)


def test_permutation_p_for_one_to_five_is_two_in_32():
    assert permutation_test([1.0, 2.0, 3.0, 4.0, 5.0]) == 2 / 32 == 0.0625


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_permutation_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    d = rng.normal(0.3, 1.0, size=9)
    assert permutation_test(d) == brute_force_sign_flip(d)


def test_permutation_counts_exact_ties_and_zero_vector():
    d = np.array([1.0, 1.0, -1.0, 1.0])  # |sum| = 2: patterns with |sum| in {2, 4}
    assert permutation_test(d) == brute_force_sign_flip(d) == 10 / 16
    assert permutation_test(np.zeros(6)) == 1.0


def test_permutation_refuses_large_n():
    with pytest.raises(ValueError, match="wilcoxon_test"):
        permutation_test(np.ones(17))


def test_wilcoxon_equals_scipy():
    want = stats.wilcoxon(D_FIXED, zero_method="zsplit", alternative="two-sided").pvalue
    assert wilcoxon_test(D_FIXED) == want
    with_zeros = np.array([0.0, 0.5, -0.2, 0.0, 1.1, 0.9, 0.7, -0.1, 1.3, 0.4])
    want = stats.wilcoxon(with_zeros, zero_method="zsplit").pvalue
    assert wilcoxon_test(with_zeros) == want


def test_wilcoxon_all_zero_is_one():
    assert wilcoxon_test(np.zeros(8)) == 1.0


# --- Holm ------------------------------------------------------------------------------

def test_holm_hand_example():
    p = [0.01, 0.04, 0.03, 0.005]
    # sorted 0.005, 0.01, 0.03, 0.04 -> 4*0.005, 3*0.01, 2*0.03, 1*0.04 = .02, .03, .06, .04
    # running max -> .02, .03, .06, .06
    np.testing.assert_allclose(holm(p), [0.03, 0.06, 0.06, 0.02], rtol=1e-12)
    np.testing.assert_array_equal(holm([0.6, 0.5]), [1.0, 1.0])
    np.testing.assert_array_equal(holm([0.2]), [0.2])


@settings(deadline=None, derandomize=True)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=20).map(np.array))
def test_holm_invariants(p):
    adj = holm(p)
    order = np.argsort(p, kind="stable")
    assert np.all(np.diff(adj[order]) >= 0)
    assert np.all(adj >= p)
    assert np.all(adj <= 1)
    assert adj.shape == p.shape


# --- MDE and the number of seeds -------------------------------------------------------

def test_mde_by_hand_and_decreasing_in_n():
    t975, t80 = 2.262157, 0.883404  # t-table quantiles (9 degrees of freedom), 6 decimals
    assert mde(0.6, 10) == pytest.approx((t975 + t80) * 0.6 / np.sqrt(10), rel=1e-6)
    values = [mde(1.0, n) for n in range(2, 40)]
    assert np.all(np.diff(values) < 0)
    assert mde(0.0, 5) == 0.0


def test_seeds_for_mde_is_the_smallest_n():
    n = seeds_for_mde(0.6, 0.5)
    assert mde(0.6, n) <= 0.5 < mde(0.6, n - 1)
    assert seeds_for_mde(0.0, 0.1) == 2
    with pytest.raises(ValueError, match="n_max"):
        seeds_for_mde(5.0, 0.1, n_max=20)


# --- summaries and verdicts ------------------------------------------------------------

def planted(effect_in_sd: float, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    b = rng.normal(90.0, 2.0, size=n)  # the seed's luck, common to both methods
    return b + rng.normal(effect_in_sd, 1.0, size=n), b


def test_planted_effect_is_reproduced_and_reverse_contradicted():
    a, b = planted(2.0, 10, seed=0)
    s = summarize_pair(a, b)
    assert (s.interval, s.test, s.n) == ("t", "permutation", 10)
    assert verdict(s) == "reproduced"
    assert verdict(s, direction=-1) == "contradicted"
    assert verdict(summarize_pair(b, a)) == "contradicted"
    assert s.p_value < 0.05


def test_null_is_inconclusive_in_at_least_90_percent():
    results = [verdict(summarize_pair(*planted(0.0, 10, seed=s))) for s in range(50)]
    assert results.count("inconclusive") >= 45


def test_summary_fields_and_auto_choices():
    a, b = planted(0.5, 20, seed=1)
    s = summarize_pair(a, b, seed=5)
    d = a - b
    assert (s.interval, s.test) == ("bootstrap-BCa", "wilcoxon")
    assert s.effect == pytest.approx(d.mean()) and s.sd == pytest.approx(d.std(ddof=1))
    assert (s.mean_a, s.mean_b) == (pytest.approx(a.mean()), pytest.approx(b.mean()))
    assert (s.ci_low, s.ci_high) == bootstrap_interval(d, method="BCa", seed=5)
    assert s.p_value == wilcoxon_test(d) and s.mde == mde(s.sd, 20)
    assert summarize_pair(a, b, seed=5) == s
    assert json.loads(json.dumps(s.to_dict()))["interval"] == "bootstrap-BCa"
    s16 = summarize_pair(a[:16], b[:16], interval="bootstrap-percentile", test="auto")
    assert (s16.interval, s16.test) == ("bootstrap-percentile", "permutation")
    s14 = summarize_pair(a[:14], b[:14], test="wilcoxon")
    assert (s14.interval, s14.test) == ("t", "wilcoxon")


@pytest.mark.parametrize("ci, want", [
    ((-0.5, 0.8), "reproduced"),      # inside (-1, 1)
    ((1.0, 2.0), "contradicted"),     # wholly at or above +delta
    ((-3.0, -1.2), "contradicted"),   # wholly below -delta
    ((0.4, 1.3), "inconclusive"),     # straddles +delta
    ((-2.0, 2.0), "inconclusive"),    # covers the whole margin
])
def test_equivalence_verdicts(ci, want):
    assert verdict(ci, margin=1.0) == want
    assert verdict({"ci_low": ci[0], "ci_high": ci[1]}, margin=1.0) == want
    assert verdict(np.array(ci), margin=1.0) == want


def test_directional_verdicts_on_boundaries():
    assert verdict((0.0, 1.0)) == "inconclusive"  # CI touching 0 does not exclude it
    assert verdict((-1.0, 0.0), direction=-1) == "inconclusive"
    assert verdict((-1.0, -0.1), direction=-1) == "reproduced"


def test_verdict_text():
    s = PairedSummary(10, 90.3, 90.0, 0.3, 0.6, -0.13, 0.73, "t", 0.16, "permutation", 0.6)
    assert verdict_text(s, "inconclusive") == (
        "inconclusive (95% CI [-0.13, +0.73] includes 0; MDE 0.60 points at 80% power)")
    assert verdict_text(s, "reproduced", unit="pp").startswith("reproduced (effect +0.30 pp")
    assert verdict_text(s, "reproduced", margin=1.0).endswith("inside ±1.00 points)")


@settings(deadline=None, derandomize=True, max_examples=40)
@given(diffs)
def test_intervals_contain_the_mean(d):
    lo, hi = t_interval(d)
    assert lo <= d.mean() <= hi or np.isclose(lo, hi)
    lo, hi = bootstrap_interval(d, n_resamples=200, seed=0)
    assert d.min() - 1e-9 <= lo <= hi <= d.max() + 1e-9


# --- bad input -------------------------------------------------------------------------

@pytest.mark.parametrize("call, exc, name", [
    (lambda: paired_differences([1.0, 2.0], [1.0, 2.0, 3.0]), ValueError, "a and b"),
    (lambda: paired_differences([1.0], [2.0]), ValueError, "a must"),
    (lambda: paired_differences([1.0, np.nan], [2.0, 1.0]), ValueError, "a contains"),
    (lambda: paired_differences([1.0, 2.0], [[2.0, 1.0]]), ValueError, "b must"),
    (lambda: paired_differences("ab", [1.0, 2.0]), TypeError, "a must"),
    (lambda: t_interval([1.0, np.inf]), ValueError, "d contains"),
    (lambda: t_interval([1.0, 2.0], level=1.5), ValueError, "level"),
    (lambda: bootstrap_interval([1.0, 2.0], method="bca"), ValueError, "method"),
    (lambda: bootstrap_interval([1.0, 2.0], n_resamples=0), ValueError, "n_resamples"),
    (lambda: bootstrap_interval([1.0, 2.0], seed=1.5), TypeError, "seed"),
    (lambda: holm([0.2, 1.2]), ValueError, "pvalues"),
    (lambda: holm([]), ValueError, "pvalues"),
    (lambda: mde(-1.0, 10), ValueError, "sd"),
    (lambda: mde(1.0, 1), ValueError, "n must"),
    (lambda: mde(1.0, 10, power=1.0), ValueError, "power"),
    (lambda: seeds_for_mde(1.0, 0.0), ValueError, "target"),
    (lambda: summarize_pair([1.0, 2.0], [0.0, 1.0], interval="z"), ValueError, "interval"),
    (lambda: summarize_pair([1.0, 2.0], [0.0, 1.0], test="t"), ValueError, "test"),
    (lambda: verdict((0.2, 1.0), direction=2), ValueError, "direction"),
    (lambda: verdict((1.0, 0.2)), ValueError, "ci_low <= ci_high"),
    (lambda: verdict(0.5), TypeError, "summary_or_ci"),
    (lambda: verdict((0.2, 1.0), margin=0.0), ValueError, "margin"),
])
def test_bad_input_names_the_argument(call, exc, name):
    with pytest.raises(exc, match=name):
        call()
