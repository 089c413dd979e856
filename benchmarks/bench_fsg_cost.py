"""The cost of an FSG step relative to an STE step, vs binary weights and history length.

docs/fsg.md, "Cost of an FSG step". The task model is the digits model of the FSG ablation
with hidden width ``h`` (binary MLP 64-h-10 with BatchNorm, ``74*h`` binary weights); one
iteration of ``FSGTrainer(method="fsg")`` is timed against one iteration of the plain STE
(``method="ste"``) on the same model and batch (32 rows), in the same process, best of 5
rounds each. Memory is the peak resident memory a method's iterations add to the process
(``getrusage``), measured in a fresh process per configuration after the Numba kernels are
loaded, so that compilation and the disk cache do not count.

Two sweeps: ``h`` with the default history length ``l = 5``, and ``l`` at ``h = 32`` (the
ablation's model, 2,368 binary weights). Prints a Markdown table, saves the raw numbers to
``--out`` and a log-log plot to ``--plot``.

Usage::

    python benchmarks/bench_fsg_cost.py                   # both sweeps (about 3 minutes)
    python benchmarks/bench_fsg_cost.py --hidden 8 32 --history 5
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

BATCH = 32


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--hidden", type=int, nargs="+", default=[8, 32, 128, 512],
                   help="hidden widths of the 64-h-10 model (8 32 128 512), at l = 5")
    p.add_argument("--history", type=int, nargs="+", default=[1, 2, 5, 10, 20],
                   help="history lengths l (1 2 5 10 20), at h = 32")
    p.add_argument("--threads", type=int, default=2, help="Numba threads (2)")
    p.add_argument("--out", default="results/fsg/cost.json", help="raw numbers (JSON)")
    p.add_argument("--plot", default="docs/figures/fsg_cost.png", help="log-log plot")
    p.add_argument("--one", nargs=2, type=int, metavar=("H", "L"), help=argparse.SUPPRESS)
    return p.parse_args(argv)


def _trainer(method: str, hidden: int, history: int):
    from bnncore.fsg import FSGTrainer
    from bnncore.fsg.ablation import digits_task_model
    from bnncore.losses import SoftmaxCrossEntropy

    trainer = FSGTrainer(digits_task_model(0, hidden=hidden), SoftmaxCrossEntropy(),
                         method=method,
                         history_length=history, lr=1e-2)
    trainer.build(seed=0)
    return trainer


def _batch():
    g = np.random.default_rng(0)
    return g.normal(size=(BATCH, 64)).astype(np.float32), g.integers(0, 10, BATCH)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _seconds_per_step(trainer, xb, yb) -> float:
    """Best of 5 rounds; a round is at least 0.2 s (and at least one step)."""
    for _ in range(2):                                  # the HGS fills, the kernels load
        trainer.train_step(xb, yb)
    best = np.inf
    for _ in range(5):
        n, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < 0.2 or n == 0:
            trainer.train_step(xb, yb)
            n += 1
        best = min(best, elapsed / n)
    return best


def measure_one(hidden: int, history: int) -> dict:
    """Both methods on one configuration, in this process (a fresh one: see ``main``)."""
    xb, yb = _batch()
    warm = _trainer("fsg", 4, history)                  # loads every kernel on a tiny model
    for _ in range(3):
        warm.train_step(xb, yb)
    del warm
    base = _rss_mb()
    row = {"hidden": hidden, "history": history, "binary_weights": 74 * hidden}
    for method in ("ste", "fsg"):                       # ste first: its peak is the smaller
        trainer = _trainer(method, hidden, history)
        row[f"{method}_seconds"] = _seconds_per_step(trainer, xb, yb)
        row[f"{method}_mb"] = max(_peak_mb() - base, 0.0)
        del trainer
    row["time_ratio"] = row["fsg_seconds"] / row["ste_seconds"]
    row["memory_ratio"] = row["fsg_mb"] / max(row["ste_mb"], 1.0)
    return row


def plot(rows: list[dict], default_history: int, default_hidden: int, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    sweeps = (("binary_weights", [r for r in rows if r["history"] == default_history],
               f"binary weights (history length l = {default_history})"),
              ("history", [r for r in rows if r["hidden"] == default_hidden],
               f"history length l ({74 * default_hidden:,} binary weights)"))
    for ax, (key, sel, label) in zip(axes, sweeps):
        sel = sorted(sel, key=lambda r: r[key])
        x = [r[key] for r in sel]
        ax.loglog(x, [r["time_ratio"] for r in sel], "o-", label="time, FSG / STE step")
        ax.loglog(x, [r["fsg_mb"] / max(r["ste_mb"], 1.0) for r in sel], "s--",
                  label="peak memory added, FSG / STE (STE floored at 1 MB)")
        ax.axhline(5, color="grey", lw=0.8, ls=":", label="5x")
        ax.set_xlabel(label)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("ratio (log)")
    axes[0].legend(fontsize=8)
    fig.suptitle("Cost of an FSG step relative to an STE step (same process, batch 32)")
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.one:
        print(json.dumps(measure_one(*args.one)))
        return
    default_hidden, default_history = 32, 5
    configs = [(h, default_history) for h in args.hidden]
    configs += [(default_hidden, l) for l in args.history if (default_hidden, l) not in configs]
    env = dict(os.environ, NUMBA_NUM_THREADS=str(args.threads), OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    print(f"# bench_fsg_cost  {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, Numba threads {args.threads}, BLAS threads 1, "
          f"batch {BATCH}")
    print("| h | binary weights | l | STE step (ms) | FSG step (ms) | time FSG/STE "
          "| STE peak (MB) | FSG peak (MB) |")
    print("|---|---|---|---|---|---|---|---|")
    rows = []
    for hidden, history in configs:
        proc = subprocess.run([sys.executable, __file__, "--one", str(hidden), str(history)],
                              capture_output=True, text=True, env=env, check=True)
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(f"| {hidden} | {row['binary_weights']:,} | {history} "
              f"| {1e3 * row['ste_seconds']:.2f} | {1e3 * row['fsg_seconds']:.1f} "
              f"| {row['time_ratio']:.0f}x | {row['ste_mb']:.1f} | {row['fsg_mb']:.1f} |",
              flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(rows, indent=1))
    plot(rows, default_history, default_hidden, args.plot)
    print(f"wrote {args.out} and {args.plot}")


if __name__ == "__main__":
    main()
