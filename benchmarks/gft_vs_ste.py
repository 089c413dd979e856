"""GFT vs latent-weight STE (Adam) on binarized digits, same fully binary architecture.

Architecture ``64 -> 256 -> 10``: ±1 weights, sign activations, no biases, no BatchNorm,
inputs binarized (pixel >= 8). GFT: docs/gft.md E2 (``k0=0.001``, linear decay to
0, ``margin=16``). STE: E3's baseline (``bnncore.gft.baseline``: latent ``U(-1, 1)``,
``"bnn"`` weight pair, clipped-STE ``Sign``, Adam ``lr=1e-2``, BLAS limited to one thread).
Both batch 64, same epochs, seeds ``0..n-1`` (model seed; GFT ``rng = seed + 1000``).

Reported per method (mean ± std over seeds, plus every seed):

- test accuracy after the last epoch;
- weight updates: GFT bit flips; STE visible updates (latent sign changes) and STE float
  updates (every latent weight is written at every step);
- energy proxy per step (``bnncore.gft.energy``: exact operation counts times a 45 nm
  per-operation table, **memory traffic excluded**; a model, not a measurement);
- wall time per epoch (this machine, noisy; GFT's includes its operation counting).

The paper (arXiv 2410.09734) claims comparable accuracy with up to 5x fewer parameter
updates and up to 3x less energy; this script prints what the toy scale shows.

Run: ``python benchmarks/gft_vs_ste.py [--epochs 30] [--seeds 3] [--out results/gft/]``
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from bnncore.gft.baseline import run_ste
from bnncore.gft.energy import OpCounts, ste_step_ops
from bnncore.gft.experiments import DIGITS_SIZES, digits_pm1, run_gft_digits


def gft_run(seed: int, epochs: int, data) -> dict:
    start = time.perf_counter()
    trainer, h, (_, _, Xte, yte) = run_gft_digits(seed, epochs, data=data, record_steps=False)
    total = time.perf_counter() - start
    ops = OpCounts()
    for d in h.extra["ops"]:
        ops += OpCounts(**d)
    return {"test_accuracy": float(np.mean(trainer.model.predict(Xte) == yte)),
            "curve": [float(a) for a in h.val_accuracy],
            "updates": int(trainer.total_flips), "updates_per_epoch": h.extra["flips"],
            "float_writes": 0, "steps": trainer.t, "pj": ops.energy_pj(),
            "sec_per_epoch": float(np.mean(h.seconds)), "total_seconds": total}


def ste_run(seed: int, epochs: int, data) -> dict:
    Xtr, ytr, Xte, yte = data
    start = time.perf_counter()
    r = run_ste((Xtr, ytr), (Xte, yte), DIGITS_SIZES, epochs=epochs, seed=seed)
    total = time.perf_counter() - start
    per_epoch = OpCounts()
    for lo in range(0, Xtr.shape[0], 64):
        per_epoch += ste_step_ops(DIGITS_SIZES, min(64, Xtr.shape[0] - lo), DIGITS_SIZES[-1])
    h = r["history"]
    return {"test_accuracy": r["test_accuracy"], "curve": [float(a) for a in h.val_accuracy],
            "updates": int(r["sign_flips"]), "updates_per_epoch": r["sign_flips_per_epoch"],
            "float_writes": int(r["latent_writes"]), "steps": r["steps"],
            "pj": per_epoch.scaled(epochs).energy_pj(),
            "sec_per_epoch": float(np.mean(h.seconds)), "total_seconds": total}


def _ms(values) -> str:
    a = np.asarray(values, dtype=np.float64)
    return f"{a.mean():.4g} ± {a.std():.2g}"


def table(runs: dict) -> str:
    head = (f"{'method':<6} {'seed':>4}  {'test acc':>8}  {'bit/sign flips':>14}  "
            f"{'float updates':>13}  {'energy/step [uJ]':>16}  {'s/epoch':>7}")
    lines = [head, "-" * len(head)]
    for name, rs in runs.items():
        for seed, r in enumerate(rs):
            lines.append(f"{name:<6} {seed:>4}  {r['test_accuracy']:>8.4f}  {r['updates']:>14,}  "
                         f"{r['float_writes']:>13,}  {r['pj'] / r['steps'] / 1e6:>16.4f}  "
                         f"{r['sec_per_epoch']:>7.3f}")
    lines.append("-" * len(head))
    for name, rs in runs.items():
        lines.append(f"{name:<6} mean  acc {_ms([r['test_accuracy'] for r in rs])}, "
                     f"flips {_ms([r['updates'] for r in rs])}, "
                     f"float updates {_ms([r['float_writes'] for r in rs])}, "
                     f"uJ/step {_ms([r['pj'] / r['steps'] / 1e6 for r in rs])}, "
                     f"s/epoch {_ms([r['sec_per_epoch'] for r in rs])}")
    g, s = runs["GFT"], runs["STE"]
    ratio = [b["updates"] / a["updates"] for a, b in zip(g, s)]
    writes = [b["float_writes"] / a["updates"] for a, b in zip(g, s)]
    energy = [b["pj"] / a["pj"] for a, b in zip(g, s)]
    gap = [b["test_accuracy"] - a["test_accuracy"] for a, b in zip(g, s)]
    wall = [a["sec_per_epoch"] / b["sec_per_epoch"] for a, b in zip(g, s)]
    lines += [
        "",
        f"STE sign flips / GFT bit flips   : {_ms(ratio)}x   (paper: up to 5x fewer updates)",
        f"STE float updates / GFT bit flips: {_ms(writes)}x",
        f"energy proxy STE / GFT           : {_ms(energy)}x   (paper: up to 3x; proxy excludes "
        "memory traffic)",
        f"test accuracy STE - GFT          : {_ms(gap)}",
        f"wall time per epoch GFT / STE    : {_ms(wall)}x",
    ]
    return "\n".join(lines)


def plot(runs: dict, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"GFT": "tab:blue", "STE": "tab:orange"}
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for name, rs in runs.items():
        c = colors[name]
        acc = np.array([r["curve"] for r in rs])
        ep = np.arange(1, acc.shape[1] + 1)
        axes[0].plot(ep, acc.mean(0), color=c, label=name)
        axes[0].fill_between(ep, acc.min(0), acc.max(0), color=c, alpha=0.2)
        upd = np.array([r["updates_per_epoch"] for r in rs], dtype=float)
        label = "GFT bit flips" if name == "GFT" else "STE latent sign changes"
        axes[1].plot(ep, upd.mean(0), color=c, label=label)
    writes = runs["STE"][0]["float_writes"] / len(runs["STE"][0]["curve"])
    axes[1].axhline(writes, color="tab:orange", ls="--", label="STE float updates")
    axes[0].set(xlabel="epoch", ylabel="test accuracy", title="accuracy (min-max over seeds)")
    axes[1].set(xlabel="epoch", ylabel="weight updates per epoch", yscale="log",
                title="weight updates")
    names = list(runs)
    pj = [np.mean([r["pj"] / r["steps"] / 1e6 for r in runs[n]]) for n in names]
    axes[2].bar(names, pj, color=[colors[n] for n in names])
    axes[2].set(ylabel="µJ per step (proxy)", yscale="log",
                title="energy proxy (a model; no memory traffic)")
    for ax in axes[:2]:
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("GFT vs latent-weight STE, fully binary 64-256-10 on binarized digits")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seeds", type=int, default=3, help="number of seeds (0..n-1)")
    parser.add_argument("--out", default=os.path.join("results", "gft"))
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    data = digits_pm1()
    runs = {"GFT": [], "STE": []}
    for seed in range(args.seeds):
        runs["GFT"].append(gft_run(seed, args.epochs, data))
        runs["STE"].append(ste_run(seed, args.epochs, data))
        print(f"seed {seed} done", flush=True)
    text = table(runs)
    print(f"\nGFT vs STE, digits 64-256-10, {args.epochs} epochs, batch 64, "
          f"{args.seeds} seeds\n")
    print(text)
    with open(os.path.join(args.out, "gft_vs_ste.txt"), "w") as fh:
        fh.write(text + "\n")
    with open(os.path.join(args.out, "gft_vs_ste.json"), "w") as fh:
        json.dump({"epochs": args.epochs, "runs": runs}, fh, indent=1)
    figure = os.path.join(args.out, "gft_vs_ste.png")
    plot(runs, figure)
    print(f"\nwrote {figure}, gft_vs_ste.txt and gft_vs_ste.json in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
