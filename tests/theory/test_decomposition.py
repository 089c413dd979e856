"""theory.decomposition: the verdicts table of docs/quantizers.md, determinism, plots, bad
arguments."""

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure

from bnncore.quantizers import QuantizerPair, get, sign, signswish, zoo
from theory.decomposition import DecompositionResult, Violation, check, plot

X0 = 2.399357280515468 / 5   # where SS_5' changes sign
SLACK = 1e-6


def SS(x):
    return signswish(x, 5.0)


def user(F, B):
    return QuantizerPair.from_functions(F, B, validate=False)


def frozen_proxquant():
    q = get("proxquant")
    q.on_epoch(7, 10)
    return q


def ident(x):
    return x


# (id, pair factory, domain, factor verdict, integral verdict); a verdict is True (PASS),
# None (not asserted) or a dict {condition: region predicate on x, or None for "any x"}.
ROWS = [
    (1, lambda: get("identity"), None, True, True),
    (2, lambda: get("ste"), None, True, True),
    (3, lambda: get("clipped_ste"), None, True,
     {"multiplier_positive": lambda x: 1 - SLACK < abs(x) <= 3 + SLACK}),
    (4, lambda: get("clipped_ste"), (-1, 1), True, True),
    (5, lambda: get("bnn"), None, True, True),
    (6, lambda: get("approxsign"), None, True,
     {"multiplier_positive": lambda x: abs(x) >= 1 - SLACK}),
    (7, lambda: get("approxsign"), (-0.99, 0.99), True, True),
    (8, lambda: get("swishsign"), None, True,
     {"multiplier_positive": lambda x: abs(x) >= X0 - SLACK}),
    (9, lambda: get("swishsign"), (-0.47, 0.47), True, True),
    (10, lambda: get("bnn++"), None, True, {"multiplier_positive": None}),
    (11, lambda: get("bnn++"), (-0.47, 0.47), True, True),
    (12, lambda: get("dorefa", scale=0.7), None, True, True),
    (13, lambda: get("dorefa", k=2, m=0.9950547536867305), None, True, True),
    (14, lambda: get("binaryrelax", theta=0.5), None, True, True),
    (15, lambda: get("parq", inv_slope=0.3), None, True, True),
    (16, lambda: get("proxconnect", mu=0.5), None, True, True),
    (17, lambda: get("proxquant"), None, True, True),
    (19, lambda: user(lambda x: sign(x - 0.5), ident), None, True, True),
    (20, lambda: user(lambda x: np.tanh(2 * x), ident), None, True, True),
    (21, lambda: user(sign, np.tanh), None, True, True),
    (22, lambda: user(lambda x: -sign(x), ident), None,
     {"P_nondecreasing": lambda x: x >= -SLACK},
     {"F_nondecreasing_along_Phi": lambda x: x >= -SLACK}),
    (23, lambda: user(SS, ident), None,
     {"P_nondecreasing": lambda x: abs(x) > X0 - SLACK},
     {"F_nondecreasing_along_Phi": lambda x: abs(x) > X0 - SLACK}),
    (24, lambda: user(SS, ident), (-0.47, 0.47), True, True),
    (25, lambda: user(SS, lambda x: np.clip(x, -1, 1)), None,
     {"F_function_of_B": lambda x: abs(x) >= 1 - SLACK,
      "P_nondecreasing": lambda x: X0 - SLACK < abs(x) < 1 + SLACK}, False),
    (26, lambda: user(sign, lambda x: -x), None, {"P_nondecreasing": lambda x: x <= SLACK},
     {"multiplier_positive": None}),
    (27, lambda: user(sign, lambda x: x ** 2), None, False,
     {"multiplier_positive": lambda x: x <= SLACK}),
    (28, lambda: user(lambda x: -SS(x), SS), None, {"P_nondecreasing": None}, False),
    (29, frozen_proxquant, (-1, 1), {"F_function_of_B": None}, {"multiplier_positive": None}),
]


def _assert_verdict(result, verdict):
    if verdict is None:
        return
    if verdict is True:
        assert result.ok and result.n_violations == 0 and result.max_violation == 0.0, \
            result.summary()
        assert all(result.conditions.values())
        return
    assert not result.ok and result.n_violations > 0 and result.max_violation > 0
    if verdict is False:
        return
    for cond, region in verdict.items():
        assert result.conditions[cond] is False, (cond, result.summary())
        xs = [v.x for v in result.violations if v.condition == cond]
        assert xs, cond
        if region is not None:
            assert any(region(x) for x in xs), (cond, xs[:10])


@pytest.mark.parametrize("row, make, domain, factor, integral", ROWS, ids=[str(r[0]) for r in ROWS])
def test_known_pairs(row, make, domain, factor, integral):
    pair = make()
    a = check(pair, domain=domain, max_witnesses=10**6)
    b = check(pair, domain=domain, criterion="integral", max_witnesses=10**6)
    assert a.criterion == "factor" and b.criterion == "integral"
    _assert_verdict(a, factor)
    _assert_verdict(b, integral)
    if row == 8:
        assert a.diagnostics["B_prime_nonnegative"] is False
        assert a.diagnostics["F_nondecreasing"] is True
    if row == 10:
        assert a.diagnostics["F_nondecreasing"] is False
        assert a.diagnostics["B_prime_nonnegative"] is False
        assert len(a.notes) == 2 and "B' < 0 on" in a.notes[0]
    if row == 27:
        assert {"F_function_of_B", "P_nondecreasing"} & {
            k for k, v in a.conditions.items() if not v}
    if row in (5, 17, 29):
        assert a.domain == (-1.0, 1.0)      # latent_domain is the default domain


def test_row_18_zoo_pairs_pass_the_factor_criterion():
    for q in zoo():
        assert check(q).ok, q.name


def test_row_30_non_elementwise_pair_is_refused():
    with pytest.raises(ValueError, match="elementwise"):
        check(get("dorefa"))


def test_result_object():
    r = check(get("clipped_ste"), criterion="integral")
    assert isinstance(r, DecompositionResult) and not r and not r.ok
    assert set(r.conditions) == {"finite", "multiplier_positive", "F_nondecreasing_along_Phi"}
    assert set(r.diagnostics) == {"B_prime_nonnegative", "F_nondecreasing", "dB_consistent"}
    assert r.n_violations == 2 and len(r.violations) == 2
    v = r.violations[0]
    assert isinstance(v, Violation) and v.magnitude > 0 and v.x_other is not None
    assert "multiplier_positive" in v.message and "B' = 0" in v.message
    mags = [v.magnitude for v in r.violations]
    assert mags == sorted(mags, reverse=True)
    assert r.summary().startswith("clipped_ste: integral on [-3, 3]: FAIL")
    ok = check(get("ste"))
    assert ok and ok.summary() == "ste: factor on [-3, 3]: PASS"
    assert set(ok.witness) == {"u", "p"} and np.all(np.diff(ok.witness["u"]) > 0)
    assert set(r.witness) == {"x", "phi", "p"}


def test_max_witnesses_truncates_but_counts_all():
    pair = user(SS, ident)
    full = check(pair, max_witnesses=10**6)
    few = check(pair, max_witnesses=3)
    assert len(few.violations) == 3 and few.n_violations == full.n_violations > 3
    assert few.violations == full.violations[:3]


def test_non_finite_outputs_are_violations():
    pair = user(lambda x: np.where(np.abs(x) < 2, x, np.nan), ident)
    r = check(pair)
    assert not r.conditions["finite"] and r.violations[0].condition == "finite"
    assert r.violations[0].magnitude == np.inf and abs(r.violations[0].x) >= 2
    assert r.conditions["P_nondecreasing"] and r.conditions["F_function_of_B"]


def test_determinism_and_rng():
    pair = get("bnn++")
    a, b = check(pair), check(pair)
    assert a.n_points == b.n_points and a.violations == b.violations and a.notes == b.notes
    assert a.conditions == b.conditions and a.diagnostics == b.diagnostics
    np.testing.assert_array_equal(a.witness["u"], b.witness["u"])
    c = check(pair, rng=np.random.default_rng(1))
    grid = np.linspace(-3, 3, 20001)
    special = [0.0, 1e-12, -1e-12]
    expected = np.unique(np.concatenate([grid, np.random.default_rng(1).uniform(-3, 3, 10_000),
                                         special]))
    assert c.n_points == expected.size
    assert check(pair, n_random=0).n_points == np.unique(np.concatenate([grid, special])).size


def test_check_accepts_a_user_pair_built_without_validation():
    pair = user(lambda x: -sign(x), ident)
    r = check(pair)
    assert r.pair_name == "custom" and not r.ok


def test_check_accepts_duck_typed_pairs():
    class Duck:
        def forward(self, x):
            return np.sign(x)

        def B(self, x):
            return x

        def dB(self, x):
            return np.ones_like(x)

    r = check(Duck())
    assert r.ok and r.pair_name == "custom" and r.domain == (-3.0, 3.0)


def test_explicit_grid():
    grid = np.linspace(-2, 1, 301)
    r = check(get("ste"), grid=grid, n_random=0)
    special = [0.0, 1e-12, -1e-12, 0.0 - 1e-9, 0.0 + 1e-9]   # ste's knot 0 and 0 +- 1e-9
    assert r.domain == (-2.0, 1.0)
    assert r.n_points == np.unique(np.concatenate([grid, special])).size


@pytest.mark.parametrize("kwargs", [{"criterion": "x"}, {"domain": (1, 0)},
                                    {"domain": (0, np.inf)}, {"grid": [0.5]}, {"tol": 0},
                                    {"tol": np.nan}, {"n_random": -1}, {"max_witnesses": 0}])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        check(get("ste"), **kwargs)


def test_plot_returns_a_three_panel_figure():
    assert matplotlib.get_backend().lower() == "agg"
    fig = plot(get("bnn++"))
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    fig = plot(user(SS, ident), criterion="integral")
    assert len(fig.axes) == 3
    crosses = [ln for ln in fig.axes[0].lines if ln.get_marker() == "x"]
    assert crosses and crosses[0].get_color() == "red"
    fig2 = Figure()
    axes = fig2.subplots(1, 3)
    assert plot(get("ste"), ax=axes) is fig2
    with pytest.raises(ValueError, match="3 Axes"):
        plot(get("ste"), ax=axes[:2])
