"""The forest plot (docs/evidence.md, section "Forest plot"): one row per claim, zero marked."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from bnncore.experiments.forest import STYLE, forest_plot
from bnncore.experiments.stats import summarize_pair, verdict

ROWS = [
    {"label": "BNN++ - BNN", "effect": 0.8, "ci_low": 0.2, "ci_high": 1.4,
     "verdict": "reproduced"},
    {"label": "BNN++ - STE", "effect": -0.1, "ci_low": -0.6, "ci_high": 0.4,
     "verdict": "inconclusive"},
    {"label": "GFT - STE", "effect": -0.3, "ci_low": -0.9, "ci_high": 0.4,
     "verdict": "reproduced", "margin": 1.0},
    {"label": "AGS+SAD - STE", "effect": -1.2, "ci_low": -1.9, "ci_high": -0.5,
     "verdict": "contradicted"},
]


def labels(ax) -> list[str]:
    return [t.get_text() for t in ax.get_yticklabels()]


def zero_lines(ax) -> list:
    return [ln for ln in ax.get_lines() if np.all(np.asarray(ln.get_xdata()) == 0)
            and len(ln.get_xdata()) == 2]


def test_one_row_per_claim_first_on_top_and_zero_line():
    fig = forest_plot(ROWS, title="claims")
    ax = fig.axes[0]
    assert isinstance(fig, Figure)
    assert labels(ax) == [r["label"] for r in ROWS]
    ticks = ax.get_yticks()
    assert np.all(np.diff(ticks) < 0)  # first row drawn highest
    assert len(zero_lines(ax)) == 1
    assert ax.get_xlabel().startswith("paired difference (A - B)")
    assert ax.get_title() == "claims"
    lo, hi = ax.get_xlim()
    assert lo < -1.9 and hi > 1.4


def test_markers_follow_the_verdict_and_legend_lists_them():
    fig = forest_plot(ROWS)
    ax = fig.axes[0]
    points = [ln for ln in ax.get_lines() if ln not in zero_lines(ax)]
    assert [p.get_marker() for p in points] == [STYLE[r["verdict"]]["marker"] for r in ROWS]
    legend_texts = [t.get_text() for lg in fig.legends for t in lg.get_texts()]
    assert legend_texts == ["reproduced", "contradicted", "inconclusive", "equivalence margin"]


def test_margin_rows_get_a_band_and_annotations_show_the_numbers():
    fig = forest_plot(ROWS)
    bands = [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)]
    assert len(bands) == 1
    right = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert right[0] == "+0.80 [+0.20, +1.40]"


def test_draws_into_a_given_axes_and_accepts_objects():
    fig = Figure()
    ax = fig.subplots()
    rng = np.random.default_rng(0)
    b = rng.normal(size=8)
    s = summarize_pair(b + 2.0 + rng.normal(0, 0.5, size=8), b)
    row = SimpleNamespace(label="planted", effect=s.effect, ci_low=s.ci_low,
                          ci_high=s.ci_high, verdict=verdict(s))
    out = forest_plot([row], ax=ax, annotate=False)
    assert out is fig and labels(ax) == ["planted"] and len(fig.axes) == 1
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["reproduced"]


@pytest.mark.parametrize("rows, exc, name", [
    ([], ValueError, "rows"),
    ({"label": "x"}, TypeError, "rows"),
    ([{"label": "x", "effect": 0.0, "ci_low": -1.0, "ci_high": 1.0}], ValueError, "verdict"),
    ([dict(ROWS[0], verdict="maybe")], ValueError, r"rows\[0\].verdict"),
    ([dict(ROWS[0], ci_low=2.0)], ValueError, "ci_low <= ci_high"),
    ([dict(ROWS[0], effect=np.nan)], ValueError, r"rows\[0\].effect"),
    ([dict(ROWS[0], effect="1")], TypeError, r"rows\[0\].effect"),
    ([dict(ROWS[0], margin=-1.0)], ValueError, r"rows\[0\].margin"),
])
def test_bad_rows_name_the_problem(rows, exc, name):
    with pytest.raises(exc, match=name):
        forest_plot(rows)
