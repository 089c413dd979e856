"""Forest plot of paired differences: one row per claim, effect and CI (docs/evidence.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from bnncore.experiments.stats import VERDICTS

#: colour and marker per verdict (Okabe-Ito colours, distinguishable in grey scale by marker)
STYLE = {
    "reproduced": {"color": "#009E73", "marker": "o"},
    "contradicted": {"color": "#D55E00", "marker": "s"},
    "inconclusive": {"color": "#555555", "marker": "D"},
}
MARGIN_COLOR = "#56B4E9"
_FIELDS = ("label", "effect", "ci_low", "ci_high", "verdict")


def _field(row: object, key: str, i: int, default: object = KeyError) -> object:
    if isinstance(row, Mapping):
        value = row.get(key, default)
    else:
        value = getattr(row, key, default)
    if value is KeyError:
        raise ValueError(f"rows[{i}] has no {key!r} (each row needs {', '.join(_FIELDS)})")
    return value


def _check_row(row: object, i: int) -> dict:
    out = {key: _field(row, key, i) for key in _FIELDS}
    out["margin"] = _field(row, "margin", i, None)
    if out["verdict"] not in VERDICTS:
        raise ValueError(f"rows[{i}].verdict must be one of {VERDICTS}, got {out['verdict']!r}")
    for key in ("effect", "ci_low", "ci_high") + (("margin",) if out["margin"] is not None else ()):
        value = out[key]
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"rows[{i}].{key} must be a real number, got {value!r}")
        if not np.isfinite(value):
            raise ValueError(f"rows[{i}].{key} must be finite, got {value}")
    if not out["ci_low"] <= out["ci_high"]:
        raise ValueError(f"rows[{i}] must have ci_low <= ci_high, got "
                         f"({out['ci_low']}, {out['ci_high']})")
    if out["margin"] is not None and out["margin"] <= 0:
        raise ValueError(f"rows[{i}].margin must be > 0, got {out['margin']}")
    out["label"] = str(out["label"])
    return out


def forest_plot(rows: Sequence[object], ax=None, title: str | None = None, *,
                annotate: bool = True, unit: str = "points"):
    """One row per claim: the mean paired difference, its CI and the verdict.

    Parameters
    ----------
    rows : sequence of mappings or objects
        Each with ``label``, ``effect``, ``ci_low``, ``ci_high`` and ``verdict`` (one of
        "reproduced", "contradicted", "inconclusive"), and optionally ``margin``: the
        equivalence margin ``delta`` of a "comparable" claim, drawn as a shaded band
        ``(-delta, delta)`` on that row. The first row is drawn at the top.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; by default a new ``Figure`` (built without pyplot) sized to
        the number of rows.
    title : str, optional
        Axes title.
    annotate : bool
        Print "effect [low, high]" at the right of each row.
    unit : str
        Unit of the differences, shown in the x-label.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = forest_plot([
    ...     {"label": "BNN++ - BNN", "effect": 0.8, "ci_low": 0.2, "ci_high": 1.4,
    ...      "verdict": "reproduced"},
    ...     {"label": "GFT - STE", "effect": -0.3, "ci_low": -0.9, "ci_high": 0.4,
    ...      "verdict": "reproduced", "margin": 1.0},
    ... ])
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['BNN++ - BNN', 'GFT - STE']
    """
    if isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, Sequence):
        raise TypeError(f"rows must be a sequence of rows, got {type(rows).__name__}")
    if len(rows) == 0:
        raise ValueError("rows must hold at least one row")
    rows = [_check_row(row, i) for i, row in enumerate(rows)]
    if ax is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(8.5, 1.3 + 0.5 * len(rows)), layout="constrained")
        ax = fig.subplots()
        own_figure = True
    else:
        fig, own_figure = ax.figure, False
    y = np.arange(len(rows))[::-1].astype(float)  # first row on top
    _draw_rows(ax, rows, y)
    ax.axvline(0.0, color="black", lw=1.0, ls="--", zorder=1)
    ax.set_yticks(y, [r["label"] for r in rows])
    ax.set_ylim(-0.7, len(rows) - 0.3 + (0 if own_figure else 0.8))  # room for the legend
    ax.set_xlabel(f"paired difference (A - B), {unit}" if unit else "paired difference (A - B)")
    ax.grid(axis="x", color="0.9", zorder=0)
    if annotate:
        _annotate(ax, rows, y)
    _legend(ax, rows, below=own_figure)
    if title:
        ax.set_title(title)
    return fig


def _draw_rows(ax, rows: list[dict], y: np.ndarray) -> None:
    for row, yi in zip(rows, y):
        style = STYLE[row["verdict"]]
        if row["margin"] is not None:
            m = row["margin"]
            ax.fill_betweenx([yi - 0.35, yi + 0.35], -m, m, color=MARGIN_COLOR, alpha=0.25,
                             lw=0, zorder=1)
        ax.hlines(yi, row["ci_low"], row["ci_high"], color=style["color"], lw=2.2, zorder=2)
        ax.plot(row["effect"], yi, ls="none", markersize=8, zorder=3, **style)
    lo = min(min(r["ci_low"], -(r["margin"] or 0)) for r in rows)
    hi = max(max(r["ci_high"], r["margin"] or 0) for r in rows)
    pad = 0.08 * max(hi - lo, 1e-12)
    ax.set_xlim(min(lo, 0.0) - pad, max(hi, 0.0) + pad)


def _annotate(ax, rows: list[dict], y: np.ndarray) -> None:
    right = ax.twinx()
    right.set_ylim(ax.get_ylim())
    right.set_yticks(y, [f"{r['effect']:+.2f} [{r['ci_low']:+.2f}, {r['ci_high']:+.2f}]"
                         for r in rows])
    right.tick_params(axis="y", length=0)
    for side in ("top", "right", "left", "bottom"):
        right.spines[side].set_visible(False)


def _legend(ax, rows: list[dict], below: bool) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    present = [v for v in VERDICTS if any(r["verdict"] == v for r in rows)]
    handles = [Line2D([], [], ls="-", lw=2.2, markersize=8, label=v, **STYLE[v])
               for v in present]
    if any(r["margin"] is not None for r in rows):
        handles.append(Patch(color=MARGIN_COLOR, alpha=0.25, label="equivalence margin"))
    if below:  # a figure of our own: the legend under the axes, never over a row
        ax.figure.legend(handles=handles, loc="outside lower center", ncol=len(handles),
                   frameon=False, fontsize="small")
    else:
        ax.legend(handles=handles, loc="upper center", ncol=len(handles), frameon=False,
                  fontsize="small", handlelength=1.5, columnspacing=1.0)
