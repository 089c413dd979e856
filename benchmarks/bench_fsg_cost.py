"""The cost of an FSG step relative to an STE step, vs binary weights and history length.

docs/fsg.md, "Cost of an FSG step". The task model is the digits model of the FSG ablation
with hidden width ``h`` (binary MLP 64-h-10 with BatchNorm, ``74*h`` binary weights). One
iteration of ``FSGTrainer(method="fsg")`` is timed against one iteration of the plain STE
(``method="ste"``) on the same model and batch (32 rows), in the same process, best of 5
rounds each, after the history is full. ``fsg-block`` is the same FSG iteration with the
slow-net on the ``MambaBlock`` path (``slow_net.fused = False``: NumPy glue around the Numba
scan, the ``(Bsz, T, E, N)`` state held for the backward) instead of the fused kernels.

Memory is the peak resident memory one method's iterations add to a fresh process
(``getrusage``), after the Numba kernels are loaded, so that compilation and the disk
cache do not count: a coarse measure (allocator pages), reported in MB.

Two sweeps: ``h`` with the default history length ``l = 5``, and ``l`` at ``h = 32`` (the
ablation's model, 2,368 binary weights). Prints a Markdown table, saves the raw numbers to
``--out`` and a log-log plot to ``--plot``.

Usage::

    python benchmarks/bench_fsg_cost.py                   # both sweeps (about 2 minutes)
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
    p.add_argument("--time", nargs=2, type=int, help=argparse.SUPPRESS)
    p.add_argument("--memory", nargs=3, help=argparse.SUPPRESS)
    return p.parse_args(argv)


METHODS = ("ste", "fsg", "fsg-block")


def _trainer(method: str, hidden: int, history: int):
    from bnncore.fsg import FSGTrainer
    from bnncore.fsg.ablation import digits_task_model
    from bnncore.losses import SoftmaxCrossEntropy

    trainer = FSGTrainer(digits_task_model(0, hidden=hidden), SoftmaxCrossEntropy(),
                         method="ste" if method == "ste" else "fsg",
                         history_length=history, lr=1e-2)
    trainer.build(seed=0)
    if method == "fsg-block":
        trainer.slow_net.fused = False
    return trainer


def _batch():
    g = np.random.default_rng(0)
    return g.normal(size=(BATCH, 64)).astype(np.float32), g.integers(0, 10, BATCH)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _warm(method, history, xb, yb):
    """Build, fill the history and run a few steps: every kernel is loaded afterwards."""
    trainer = _trainer(method, 4, history)
    for _ in range(history + 2):
        trainer.train_step(xb, yb)


def _seconds_per_step(trainer, xb, yb, history: int) -> float:
    """Best of 5 rounds (each at least 0.2 s and one step), once the history is full."""
    for _ in range(history + 2):
        trainer.train_step(xb, yb)
    best = np.inf
    for _ in range(5):
        n, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < 0.2 or n == 0:
            trainer.train_step(xb, yb)
            n += 1
        best = min(best, elapsed / n)
    return best


def measure_time(hidden: int, history: int) -> dict:
    """Seconds per step of every method, in this process."""
    xb, yb = _batch()
    for method in METHODS:
        _warm(method, history, xb, yb)
    return {f"{m}_seconds": _seconds_per_step(_trainer(m, hidden, history), xb, yb, history)
            for m in METHODS}


def measure_memory(hidden: int, history: int, method: str) -> float:
    """Peak MB that ``history + 4`` steps of ``method`` add to this (fresh) process."""
    xb, yb = _batch()
    _warm(method, history, xb, yb)
    base = _rss_mb()
    trainer = _trainer(method, hidden, history)
    for _ in range(history + 4):
        trainer.train_step(xb, yb)
    return max(_peak_mb() - base, 0.0)


def _child(env, *args) -> dict | float:
    proc = subprocess.run([sys.executable, __file__, *map(str, args)], capture_output=True,
                          text=True, env=env, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def plot(rows: list[dict], default_history: int, default_hidden: int, path: str) -> None:
    """Time ratios (top) and peak memory added (bottom), against weights and history."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharex="col")
    sweeps = (("binary_weights", [r for r in rows if r["history"] == default_history],
               f"binary weights (history length l = {default_history})"),
              ("history", [r for r in rows if r["hidden"] == default_hidden],
               f"history length l ({74 * default_hidden:,} binary weights)"))
    floor = 0.1
    for col, (key, sel, label) in enumerate(sweeps):
        sel = sorted(sel, key=lambda r: r[key])
        x = [r[key] for r in sel]
        top, bottom = axes[0, col], axes[1, col]
        top.loglog(x, [r["time_ratio"] for r in sel], "o-", color="C0",
                   label="FSG, fused slow-net")
        top.loglog(x, [r["block_ratio"] for r in sel], "s--", color="C1",
                   label="FSG, MambaBlock path")
        top.axhline(5, color="red", lw=0.8, ls=":", label="5x")
        for name, mark, color, text in (("fsg", "o-", "C0", "FSG, fused slow-net"),
                                        ("fsg-block", "s--", "C1", "FSG, MambaBlock path"),
                                        ("ste", "^:", "C2", "STE")):
            bottom.loglog(x, [max(r[f"{name}_mb"], floor) for r in sel], mark, color=color,
                          label=text)
        bottom.set_xlabel(label)
        for ax in (top, bottom):
            ax.grid(True, which="both", alpha=0.3)
    axes[0, 0].set_ylabel("time of a step / STE step")
    axes[1, 0].set_ylabel(f"peak MB added (< {floor} shown as {floor})")
    axes[0, 0].legend(fontsize=8)
    axes[1, 0].legend(fontsize=8)
    fig.suptitle("Cost of an FSG step relative to an STE step (same process, batch 32)")
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.time:
        print(json.dumps(measure_time(*args.time)))
        return
    if args.memory:
        print(json.dumps(measure_memory(int(args.memory[0]), int(args.memory[1]),
                                        args.memory[2])))
        return
    default_hidden, default_history = 32, 5
    configs = [(h, default_history) for h in args.hidden]
    configs += [(default_hidden, l) for l in args.history if (default_hidden, l) not in configs]
    env = dict(os.environ, NUMBA_NUM_THREADS=str(args.threads), OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    print(f"# bench_fsg_cost  {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, Numba threads {args.threads}, BLAS threads 1, "
          f"batch {BATCH}")
    print("| h | binary weights | l | STE step (ms) | FSG step (ms) | FSG / STE "
          "| FSG, block path (ms) | block / STE | peak MB: STE, FSG, FSG block |")
    print("|---|---|---|---|---|---|---|---|---|")
    rows = []
    for hidden, history in configs:
        row = {"hidden": hidden, "history": history, "binary_weights": 74 * hidden}
        row.update(_child(env, "--time", hidden, history))
        for m in METHODS:
            row[f"{m}_mb"] = _child(env, "--memory", hidden, history, m)
        row["time_ratio"] = row["fsg_seconds"] / row["ste_seconds"]
        row["block_ratio"] = row["fsg-block_seconds"] / row["ste_seconds"]
        rows.append(row)
        print(f"| {hidden} | {row['binary_weights']:,} | {history} "
              f"| {1e3 * row['ste_seconds']:.2f} | {1e3 * row['fsg_seconds']:.1f} "
              f"| {row['time_ratio']:.0f}x | {1e3 * row['fsg-block_seconds']:.1f} "
              f"| {row['block_ratio']:.0f}x | {row['ste_mb']:.1f}, {row['fsg_mb']:.1f}, "
              f"{row['fsg-block_mb']:.1f} |", flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(rows, indent=1))
    plot(rows, default_history, default_hidden, args.plot)
    print(f"wrote {args.out} and {args.plot}")


if __name__ == "__main__":
    main()
