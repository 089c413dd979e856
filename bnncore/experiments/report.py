"""The claims table as markdown, JSON and a forest plot (``bnncore claims``)."""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Sequence

from .. import __version__
from .forest import forest_plot
from .stats import POWER, verdict_text

RULE = ("*Verdict rule* (docs/evidence.md): a claim is **reproduced** when the 95% CI of the "
        "paired difference A − B excludes 0 on the paper's side, **contradicted** when it "
        "excludes 0 on the other side, **inconclusive** when it contains 0 (then the MDE "
        "says which effects the run would have detected with 80% power). A "
        "\"within δ\" claim is reproduced when the whole CI lies inside (−δ, +δ), "
        "contradicted when it lies wholly outside. Intervals are paired t-intervals over "
        "seeds; p is the exact sign-flip permutation test (n ≤ 16) or Wilcoxon's "
        "signed-rank test, with Holm's correction over the table's claims.")
_DIGITS = {"points": 2, "log10": 3, "nats": 3}
_SIGN = {1: ">", -1: "<"}


def _num(value: float, unit: str) -> str:
    return f"{value:+.{_DIGITS.get(unit, 3)}f}"


def _p(value: float) -> str:
    return f"{value:.2g}" if value >= 0.001 else f"{value:.1e}"


def format_claims_table(rows: Sequence[dict]) -> str:
    """The markdown table: one row per claim.

    Examples
    --------
    >>> row = {"paper": "X", "claim": "A > B", "protocol": "p", "dataset": "digits",
    ...        "model": "mlp", "n": 10, "a": "A", "b": "B", "mean_a": 90.0, "mean_b": 89.0,
    ...        "effect": 1.0, "ci_low": 0.5, "ci_high": 1.5, "p_value": 0.002,
    ...        "p_holm": 0.002, "verdict": "reproduced", "unit": "points", "mde": 0.4,
    ...        "margin": None, "level": 0.95, "sd": 0.5, "interval": "t",
    ...        "test": "permutation"}
    >>> cells = format_claims_table([row]).splitlines()[2].split(" | ")
    >>> print(" | ".join(cells[4:8]))
    10 | 90.00 vs 89.00 | +1.00 points | [+0.50, +1.50]
    """
    from .stats import PairedSummary

    head = ("| paper | claim | protocol | dataset | n seeds | A vs B (means) | effect A − B "
            "| 95% CI | p (Holm) | verdict |")
    lines = [head, "|" + "---|" * 10]
    fields = PairedSummary.__dataclass_fields__
    for r in rows:
        unit = r["unit"]
        summary = PairedSummary(**{k: r[k] for k in fields})
        means = (f"{r['mean_a']:.{_DIGITS.get(unit, 3)}f} vs "
                 f"{r['mean_b']:.{_DIGITS.get(unit, 3)}f}")
        ci = f"[{_num(r['ci_low'], unit)}, {_num(r['ci_high'], unit)}]"
        text = verdict_text(summary, r["verdict"], margin=r["margin"], unit=unit,
                            digits=_DIGITS.get(unit, 3))
        lines.append(f"| {r['paper']} | {r['claim']} | {r['protocol']} | "
                     f"{r['dataset']}/{r['model']} | {r['n']} | {means} | "
                     f"{_num(r['effect'], unit)} {unit} | {ci} | "
                     f"{_p(r['p_value'])} ({_p(r['p_holm'])}) | {text} |")
    return "\n".join(lines)


def _notes(rows: Sequence[dict]) -> list[str]:
    notes = []
    for r in rows:
        need = r.get("seeds_for_target")
        target = f"{r['target']:g} {r['unit']}"
        seeds = (f"{need} seeds would give MDE ≤ {target}" if need
                 else f"more than 100 seeds would be needed for MDE ≤ {target}")
        extra = ""
        if r["unit"] == "log10":
            extra = f"; ratio A/B = {10 ** r['effect']:.3g}"
        boot = ""
        if "bootstrap_low" in r:
            boot = (f"; BCa bootstrap 95% CI [{_num(r['bootstrap_low'], r['unit'])}, "
                    f"{_num(r['bootstrap_high'], r['unit'])}]")
        notes.append(f"- {r['paper']}, {r['claim']} ({r['dataset']}/{r['model']}): "
                     f"sd(d) = {r['sd']:.3g} {r['unit']}, MDE at n = {r['n']}: "
                     f"{r['mde']:.3g} {r['unit']}; {seeds}{extra}{boot}.")
    return notes


def _identical_arms(rows: Sequence[dict]) -> list[str]:
    """Notes for B arms that gave the same values, seed by seed, against one A arm."""
    groups: dict[tuple, dict[str, tuple]] = {}
    for r in rows:
        key = (r["protocol"], r["dataset"], r["model"], r["metric"], r["a"])
        groups.setdefault(key, {})[r["b"]] = (r["n"], tuple(r["values_b"]))
    notes = []
    for (prot, data, model, metric, _), arms in groups.items():
        by_values: dict[tuple, list[str]] = {}
        for label, values in arms.items():
            by_values.setdefault(values, []).append(label)
        for (n, _), labels in by_values.items():
            if len(labels) > 1:
                notes.append(f"- {', '.join(labels)} gave identical {metric} in each of the "
                             f"{n} seeds ({prot} protocol, {data}/{model}): their rows "
                             f"compare A with the same numbers.")
    return notes


def write_claims(out: str, rows: Sequence[dict], plan, results, seconds: float,
                 stored: int = 0) -> dict:
    """Write ``claims.json``, ``claims.md`` and ``claims.png`` under ``out``.

    ``seconds`` is this call's wall time; ``stored`` the runs it read from records instead
    of running (a resumed grid).
    """
    os.makedirs(out, exist_ok=True)
    compute = sum(r.wall_seconds for r in results)
    mode = "smoke grid" if plan.smoke else "full grid"
    command = "bnncore claims --out " + str(out) + (" --smoke" if plan.smoke else "")
    header = (f"<!-- generated by `{command}`: do not edit by hand -->\n"
              "# Claims table\n\n"
              f"Claims table ({mode}, {len(plan.specs)} runs; run compute "
              f"{compute / 60:.1f} min; this call ran {len(plan.specs) - stored} of them "
              f"and read {stored} from records, {seconds / 60:.1f} min wall; bnncore "
              f"{__version__}, {platform.machine()}, {time.strftime('%Y-%m-%d')}).\n")
    body = [header, format_claims_table(rows), "", RULE, "",
            f"Power and seeds (MDE at two-sided α = 0.05, power {POWER:g}):", *_notes(rows)]
    same = _identical_arms(rows)
    if same:
        body += ["", "Arms that coincide:", *same]
    paths = {k: os.path.join(out, f"claims.{k}") for k in ("json", "md", "png")}
    with open(paths["md"], "w") as fh:
        fh.write("\n".join(body) + "\n")
    with open(paths["json"], "w") as fh:
        json.dump({"command": command, "smoke": plan.smoke, "seconds": seconds,
                   "runs_from_records": stored,
                   "run_compute_seconds": compute, "bnncore": __version__, "rows": list(rows),
                   "runs": [dict(spec=s.to_dict(), test_accuracy=r.test_accuracy,
                                 sign_flips=r.sign_flips, wall_seconds=r.wall_seconds)
                            for s, r in zip(plan.specs, results)]}, fh, indent=1)
    plot_claims(rows, f"bnncore claims ({mode}): paired difference A − B with 95% CI"
                ).savefig(paths["png"], dpi=120, bbox_inches="tight")
    return paths


_UNIT_NAMES = {"points": "accuracy points", "log10": "log10 of the sign-flip count",
               "nats": "training loss (nats)"}


def plot_claims(rows: Sequence[dict], title: str = ""):
    """The forest plot, one panel per unit (accuracy, log flip counts, losses)."""
    from matplotlib.figure import Figure

    units = list(dict.fromkeys(r["unit"] for r in rows))
    sizes = [sum(r["unit"] == u for r in rows) for u in units]
    fig = Figure(figsize=(10, 1.6 + 0.42 * len(rows) + 0.9 * len(units)), layout="constrained")
    axes = fig.subplots(len(units), 1, squeeze=False,
                        gridspec_kw={"height_ratios": [n + 1.5 for n in sizes]})[:, 0]
    for ax, unit in zip(axes, units):
        part = [dict(r, label=f"{r['paper']}: {r['claim']} [{r['dataset']}/{r['model']}]")
                for r in rows if r["unit"] == unit]
        forest_plot(part, ax=ax, unit=_UNIT_NAMES.get(unit, unit))
    if title:
        fig.suptitle(title)
    return fig
