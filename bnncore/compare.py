"""``bnncore compare``: every method on the same data and architecture, one table, one plot.

The comparison is a grid of runs (:class:`bnncore.experiments.Grid`, protocol
``"default"``) executed by :func:`bnncore.experiments.run_grid`: every run is fully seeded,
so serial, process (``jobs > 1``) and Dask (``scheduler``) runs give the same numbers
(wall times aside), and with ``out`` every finished run is stored, so an interrupted
comparison resumes where it stopped.

Methods:

- ``float``: the full-precision reference (same shape, ReLU, Adam).
- any weight quantizer name (``ste``, ``clipped_ste``, ``approxsign``, ``bnn``, ``bnn+``,
  ``bnn++``, ``proxquant``, ``binaryrelax``, ...): the binary model trained with that pair
  on its hidden binary layer(s), Adam.
- ``ags+sad``: the ``ste`` model with per-channel scale, SGD with OvSW's AGS and SAD.
- ``gft``: gradient-free training of the fully binary twin (``bnncore.gft``).
- ``fsg``: fast-and-slow gradient generation (``bnncore.fsg``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._validation import check_int
from .experiments import Grid, RunResult, run_grid, setup_for
from .experiments.spec import DATASETS

DEFAULT_METHODS = ("ste", "clipped_ste", "approxsign", "bnn", "bnn+", "bnn++", "proxquant",
                   "binaryrelax", "ags+sad", "gft", "fsg", "float")


def compare(methods: Sequence[str] = DEFAULT_METHODS, dataset: str = "digits",
            model: str = "mlp", epochs: int = 10, seeds: int = 3, jobs: int = 1,
            subset: int | None = None, progress: bool = True, out: str | None = None,
            scheduler: str | None = None) -> list[RunResult]:
    """Train every method for every seed ``0..seeds-1``; return the results in order.

    Parameters
    ----------
    methods : sequence of str
    dataset : {"digits", "fashion-mnist", "teacher-student"}
    model : {"mlp", "cnn", "small-cnn"}
    epochs, seeds : int
    jobs : int
        Parallel worker processes (results identical to ``jobs=1`` but for wall times).
    subset : int, optional
        Fashion-MNIST training samples to keep.
    progress : bool
        A tqdm bar over runs.
    out : str, optional
        Folder whose ``runs/`` keeps one record per finished run: calling again with the
        same arguments and ``out`` resumes (finished runs are read back, not retrained).
    scheduler : str, optional
        A Dask scheduler address (``tcp://host:port``) to run on instead of ``jobs``.

    Examples
    --------
    >>> res = compare(["ste", "float"], epochs=1, seeds=1, progress=False)
    >>> [r.method for r in res]
    ['ste', 'float']
    """
    epochs = check_int(epochs, "epochs", minimum=1)
    seeds = check_int(seeds, "seeds", minimum=1)
    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {DATASETS}, got {dataset!r}")
    for m in methods:
        setup_for(m)
    overrides = {"epochs": epochs, "batch_size": 64, "subset": subset, "measure_speed": True}
    specs = Grid(list(methods), seeds, (dataset,), (model,), ("default",), overrides).specs()
    return run_grid(specs, out, jobs=jobs, scheduler=scheduler, progress=progress)


def summarize(results: Sequence[RunResult]) -> list[dict]:
    """One row per method: means (and std of the test accuracy) over seeds."""
    rows = []
    for method in dict.fromkeys(r.method for r in results):
        rs = [r for r in results if r.method == method]
        acc = np.array([r.test_accuracy for r in rs])
        speed = [r.packed_speedup for r in rs if r.packed_speedup is not None]
        rows.append({
            "method": method, "seeds": len(rs),
            "test_accuracy_mean": float(acc.mean()), "test_accuracy_std": float(acc.std()),
            "sign_flips": float(np.mean([r.sign_flips for r in rs])),
            "weight_writes": float(np.mean([r.weight_writes for r in rs])),
            "seconds_per_epoch": float(np.mean([r.seconds_per_epoch for r in rs])),
            "float_bytes": rs[0].float_bytes, "packed_bytes": rs[0].packed_bytes,
            "packed_speedup": float(np.mean(speed)) if speed else None,
        })
    return rows


def format_table(rows: Sequence[dict]) -> str:
    """The comparison as a fixed-width text table."""
    head = (f"{'method':12s} {'test accuracy':>15s} {'sign flips':>11s} {'writes':>13s} "
            f"{'s/epoch':>8s} {'packed size':>11s} {'packed speed-up':>15s}")
    lines = [head, "-" * len(head)]
    for r in rows:
        speed = "-" if r["packed_speedup"] is None else f"{r['packed_speedup']:.2f}x"
        size = f"{r['packed_bytes'] / 1024:.1f} KiB"
        acc = f"{r['test_accuracy_mean']:8.4f} ± {r['test_accuracy_std']:.3f}"
        lines.append(f"{r['method']:12s} {acc} {r['sign_flips']:11.0f} {r['weight_writes']:13.3g} "
                     f"{r['seconds_per_epoch']:8.2f} {size:>11s} {speed:>15s}")
    return "\n".join(lines)


def write_outputs(results: Sequence[RunResult], out: str, title: str = "") -> dict[str, str]:
    """Write ``compare.json`` (every run), ``compare.csv`` (summary) and ``compare.png``."""
    import csv
    import json
    import os

    os.makedirs(out, exist_ok=True)
    rows = summarize(results)
    paths = {k: os.path.join(out, f"compare.{k}") for k in ("json", "csv", "png")}
    with open(paths["json"], "w") as fh:
        json.dump({"summary": rows, "runs": [r.to_dict() for r in results]}, fh, indent=1)
    with open(paths["csv"], "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    plot(results, title).savefig(paths["png"], dpi=120)
    return paths


def plot(results: Sequence[RunResult], title: str = ""):
    """Validation-accuracy curves (mean over seeds) and a bar chart of test accuracy."""
    import matplotlib.pyplot as plt

    rows = summarize(results)
    fig, (ax_curve, ax_bar) = plt.subplots(1, 2, figsize=(13, 4.5))
    colors = plt.cm.tab20(np.linspace(0, 1, max(len(rows), 2)))
    for i, row in enumerate(rows):
        curves = [r.history.get("val_accuracy", []) for r in results
                  if r.method == row["method"]]
        n = min(len(c) for c in curves)
        if n:
            ax_curve.plot(np.arange(1, n + 1), np.mean([c[:n] for c in curves], axis=0),
                          label=row["method"], color=colors[i], ls=("-", "--", ":")[i % 3])
    ax_curve.set(xlabel="epoch", ylabel="validation accuracy (mean over seeds)",
                 title="learning curves")
    ax_curve.grid(alpha=0.3)
    ax_curve.legend(fontsize=7, ncol=2)
    names = [r["method"] for r in rows]
    ax_bar.bar(names, [r["test_accuracy_mean"] for r in rows],
               yerr=[r["test_accuracy_std"] for r in rows], capsize=3, color=colors)
    lo = min(r["test_accuracy_mean"] - r["test_accuracy_std"] for r in rows)
    ax_bar.set(ylim=(max(0.0, lo - 0.05), 1.0), ylabel="test accuracy",
               title="final test accuracy (mean ± std)")
    ax_bar.tick_params(axis="x", rotation=45)
    ax_bar.grid(alpha=0.3, axis="y")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
