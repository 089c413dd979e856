"""FSG ablation on digits: STE vs fast-net only, slow-net only, fast+slow, no LRE, history length.

The protocol of docs/fsg.md, "Ablation on digits" (``bnncore.fsg.ablation``): binary MLP
64-32-10 with BatchNorm, Adam ``lr = 1e-2``, batch 32, the same epochs and seeds for every
row. Prints a Markdown table (test accuracy and training losses as mean ± std over seeds,
wall time per epoch and its ratio to the STE epoch of the same run), saves the loss curves
and the raw results under ``--out``.

Usage::

    python benchmarks/fsg_ablation.py                 # the core rows, 3 seeds, 5 epochs
    python benchmarks/fsg_ablation.py --quick         # 2 epochs, 2 seeds: a smoke run
    python benchmarks/fsg_ablation.py --rows all      # every row of ABLATION_ROWS but fsg-code

Timing: the Numba kernels are compiled (or loaded from the disk cache) by a warm-up run
before anything is timed. Small matrix products are faster on one BLAS thread than on two
contending with Numba's threads, so BLAS is limited to ``--blas-threads`` (default 1) and
Numba uses ``--threads`` (default 2) for every row alike.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=5, help="epochs per run (default 5)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds (0 1 2)")
    p.add_argument("--rows", nargs="+", default=None,
                   help="row ids of bnncore.fsg.ablation.ABLATION_ROWS, or 'all' "
                        "(default: CORE_ROWS)")
    p.add_argument("--out", default="results/fsg/", help="output folder (results/fsg/)")
    p.add_argument("--quick", action="store_true", help="2 epochs, seeds 0 1")
    p.add_argument("--threads", type=int, default=2, help="Numba threads (2)")
    p.add_argument("--blas-threads", type=int, default=1, help="BLAS threads (1)")
    return p.parse_args(argv)


def warm_up(data) -> float:
    """Compile (or load) the scan kernels before timing; returns the seconds it took."""
    from bnncore.fsg import FSGTrainer
    from bnncore.fsg.ablation import digits_task_model
    from bnncore.losses import SoftmaxCrossEntropy

    Xtr, ytr = data[0][:64], data[1][:64]
    start = time.perf_counter()
    FSGTrainer(digits_task_model(0), SoftmaxCrossEntropy()).fit(
        (Xtr, ytr), epochs=1, batch_size=32, seed=0, progress=False)
    return time.perf_counter() - start


def plot_curves(results, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4))
    for row in dict.fromkeys(r["row"] for r in results):
        curves = np.array([r["losses"] for r in results if r["row"] == row])
        x = np.arange(1, curves.shape[1] + 1)
        mean, std = curves.mean(axis=0), curves.std(axis=0)
        ax.plot(x, mean, "o-", label=row)
        ax.fill_between(x, mean - std, mean + std, alpha=0.15)
        ax.set_xticks(x)
    ax.set(xlabel="epoch", ylabel="mean training loss (cross-entropy)",
           title=f"FSG ablation on digits ({len(curves)} seeds, mean ± std)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.quick:
        args.epochs, args.seeds = 2, [0, 1]
    import numba
    from threadpoolctl import threadpool_limits

    from bnncore.data import load_digits
    from bnncore.fsg.ablation import CORE_ROWS, DEFAULT_ROWS, format_table, run_ablation

    rows = CORE_ROWS if args.rows is None else (DEFAULT_ROWS if args.rows == ["all"]
                                                 else tuple(args.rows))
    if "ste-adam" not in rows:
        rows = ("ste-adam", *rows)           # the time reference
    numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    data = load_digits(test_size=0.2, seed=0)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"FSG ablation: digits 1437/360, binary MLP 64-32-10, {args.epochs} epochs, "
          f"seeds {args.seeds}, Numba threads {numba.get_num_threads()}, BLAS threads "
          f"{args.blas_threads}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs")
    with threadpool_limits(args.blas_threads):
        print(f"JIT warm-up (compile or load cache): {warm_up(data):.1f} s")
        start = time.perf_counter()
        results = run_ablation(rows, seeds=args.seeds, epochs=args.epochs, data=data)
        total = time.perf_counter() - start
    table = format_table(results)
    ste = np.mean([r["sec_per_epoch"] for r in results if r["row"] == "ste-adam"])
    lines = table.split("\n")
    lines[0] += " x STE epoch | CPU s/epoch |"
    lines[1] += "---|---|"
    order = [line.split("|")[1].strip() for line in lines[2:]]
    for i, row in enumerate(order, start=2):
        sec = np.mean([r["sec_per_epoch"] for r in results if r["row"] == row])
        cpu = np.mean([r["cpu_per_epoch"] for r in results if r["row"] == row])
        lines[i] += f" {sec / ste:.0f} | {cpu:.2f} |"
    table = "\n".join(lines)
    print()
    print(table)
    fsg = [r["sec_per_epoch"] for r in results if r["row"] == "fsg"]
    if fsg:
        cpu = np.mean([r["cpu_per_epoch"] for r in results if r["row"] == "fsg"])
        print(f"\nOne FSG epoch (defaults, float32): {np.mean(fsg):.2f} s wall ({cpu:.2f} s "
              f"process CPU) = {np.mean(fsg) / ste:.0f} x one STE epoch ({ste * 1e3:.0f} ms) "
              f"in this run.")
    print(f"Total {total:.0f} s.")
    plot_curves(results, out / "fsg_loss_curves.png")
    (out / "fsg_ablation.md").write_text(table + "\n")
    (out / "fsg_ablation.json").write_text(json.dumps(results, indent=1))
    print(f"Saved {out / 'fsg_ablation.md'}, {out / 'fsg_ablation.json'}, "
          f"{out / 'fsg_loss_curves.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
