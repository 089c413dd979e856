"""Compare quantizer pairs on digits: binary MLP (64-256-256-10) and a small binary CNN.

Every method trains the same reference models (``bnncore.models.mlp`` / ``cnn``, weight
quantizer = the method, ``Sign`` activations with the clipped STE) with Adam (lr 1e-3),
batch 64, the same epochs and the same seeds. The reported accuracy is the evaluation-mode
test accuracy, which uses ``deploy``: the truly binary network (``sign(w~)``, or
``E sign(w~)`` for DoReFa), also for pairs whose training forward is soft (bnn++,
binaryrelax, proxquant). ProxQuant's ``reg_rate`` is set by
``ProxQuant.reg_rate_for_budget(8.0, ...)`` (docs/quantizers.md, ``proxquant``). Prints a
table of mean +- std test accuracy after the last epoch, saves the curves (mean over seeds,
+- std band) and the raw numbers under ``--out``.

Run: ``python benchmarks/compare_quantizers.py [--epochs 8] [--seeds 3] [--out results/]``
(about 3 minutes of one core with the defaults).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import time
from pathlib import Path

import numpy as np

import bnncore as bc

METHODS = ("ste", "clipped_ste", "approxsign", "swishsign", "dorefa", "bnn", "bnn+", "bnn++",
           "proxquant", "binaryrelax")
BUDGET = 8.0   # ProxQuant's summed prox strength (docs/quantizers.md, proxquant)


def make_model(kind: str, method: str, seed: int, lr: float, steps: int, epochs: int):
    """The reference binary model with ``method`` as weight quantizer."""
    model = getattr(bc.models, kind)(method, rng=seed)
    PQ = bc.quantizers.ProxQuant
    if method == "proxquant" and PQ.freeze_epoch(epochs) > 1:   # else: the default reg_rate
        rate = PQ.reg_rate_for_budget(BUDGET, lr, steps, epochs)
        for p in model.parameters():
            if p.quantizer is not None:
                p.quantizer = bc.quantizers.get("proxquant", reg_rate=rate)
    return model


def train_one(kind: str, method: str, seed: int, data: dict, epochs: int, lr: float,
              batch_size: int) -> list[float]:
    """Test accuracy (evaluation mode) after every epoch."""
    Xtr, ytr, Xte, yte = data[kind]
    steps = math.ceil(len(Xtr) / batch_size)
    model = make_model(kind, method, seed, lr, steps, epochs)
    opt = bc.optim.Adam(model.parameters(), lr=lr)
    hist = bc.fit(model, bc.losses.SoftmaxCrossEntropy(), opt, (Xtr, ytr), val=(Xte, yte),
                  epochs=epochs, batch_size=batch_size, seed=seed, progress=False)
    return list(hist.val_accuracy)


def run(methods=METHODS, models=("mlp", "cnn"), epochs: int = 8, seeds: int = 3,
        lr: float = 1e-3, batch_size: int = 64, verbose: bool = True) -> dict:
    """``{model: {method: array (seeds, epochs) of test accuracy}}``."""
    flat = bc.data.load_digits()
    images = bc.data.load_digits(flatten=False)
    data = {"mlp": flat, "cnn": images}
    results = {}
    for kind in models:
        results[kind] = {}
        for method in methods:
            start = time.perf_counter()
            curves = [train_one(kind, method, s, data, epochs, lr, batch_size)
                      for s in range(seeds)]
            results[kind][method] = np.array(curves)
            if verbose:
                final = results[kind][method][:, -1]
                print(f"  {kind:3s} {method:12s} {final.mean():.4f} +- {final.std():.4f} "
                      f"({time.perf_counter() - start:.1f} s)", flush=True)
    return results


def format_table(results: dict) -> str:
    """Mean +- std (over seeds) of the final test accuracy, one row per method."""
    kinds = list(results)
    methods = list(results[kinds[0]])
    head = f"{'method':12s}" + "".join(f"  {k.upper() + ' test acc':>18s}" for k in kinds)
    lines = [head, "-" * len(head)]
    for m in methods:
        cells = []
        for k in kinds:
            final = results[k][m][:, -1]
            cells.append(f"  {final.mean():>9.4f} +- {final.std():.4f}")
        lines.append(f"{m:12s}" + "".join(cells))
    return "\n".join(lines)


def compare(results: dict, a: str = "bnn++", b: str = "bnn") -> list[str]:
    """One line per model: mean final accuracy of ``a`` vs ``b`` and the per-seed wins."""
    lines = []
    for kind, res in results.items():
        if a in res and b in res:
            fa, fb = res[a][:, -1], res[b][:, -1]
            verdict = ">=" if fa.mean() >= fb.mean() else "<"
            lines.append(f"{kind}: {a} {fa.mean():.4f} {verdict} {b} {fb.mean():.4f} "
                         f"(per seed: {a} wins {int((fa > fb).sum())}, ties "
                         f"{int((fa == fb).sum())}, loses {int((fa < fb).sum())})")
    return lines


def plot_curves(results: dict, path: Path) -> None:
    """Test accuracy per epoch (mean over seeds, +- std band), one panel per model."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6 * len(results), 4.5), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(results)))
    for ax, (kind, res) in zip(axes, results.items()):
        for i, (method, curves) in enumerate(res.items()):
            epochs = np.arange(1, curves.shape[1] + 1)
            mean, std = curves.mean(axis=0), curves.std(axis=0)
            style = "--" if i >= 10 else "-"
            ax.plot(epochs, mean, style, color=f"C{i % 10}", label=method)
            ax.fill_between(epochs, mean - std, mean + std, color=f"C{i % 10}", alpha=0.12)
        ax.set_title(f"digits, binary {kind.upper()} (deployed, {curves.shape[0]} seeds)")
        ax.set_xlabel("epoch")
        ax.set_ylabel("test accuracy")
        ax.grid(alpha=0.3)
    axes[-1].legend(fontsize=8, loc="lower right")
    fig.savefig(path, dpi=120)


def _blas_threads(n: int):
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:   # the bench/test extra is not installed
        return contextlib.nullcontext()
    return threadpool_limits(limits=n)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--models", nargs="+", default=["mlp", "cnn"], choices=["mlp", "cnn"])
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--out", default="results/")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads (the matrices are small: 1 is fastest, and robust "
                             "on a shared machine); needs threadpoolctl, else ignored")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"digits, Adam lr={args.lr}, batch {args.batch_size}, {args.epochs} epochs, "
          f"seeds 0..{args.seeds - 1}; accuracy of the deployed (binary) network")
    start = time.perf_counter()
    with _blas_threads(args.threads):
        results = run(args.methods, args.models, args.epochs, args.seeds, args.lr,
                      args.batch_size)
    print()
    print(format_table(results))
    print()
    for line in compare(results):
        print(line)
    plot_curves(results, out / "compare_quantizers.png")
    raw = {k: {m: v.tolist() for m, v in res.items()} for k, res in results.items()}
    (out / "compare_quantizers.json").write_text(json.dumps(
        {"args": vars(args), "test_accuracy": raw}, indent=1))
    print(f"\nsaved {out / 'compare_quantizers.png'} and {out / 'compare_quantizers.json'} "
          f"({time.perf_counter() - start:.0f} s)")
    return results


if __name__ == "__main__":
    main()
