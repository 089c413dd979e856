"""OvSW ablation on digits: STE, STE+AGS, STE+SAD, STE+AGS+SAD (docs/ovsw.md, "Ablation on digits").

Two binary models, the same seeds and epochs for every configuration:

- ``mlp``: the OvSW-digits protocol (docs/ovsw.md, "Checks on digits"), ``Dense(64, 256)
  -> BN -> Sign -> BinaryDense(256, 256, "ste", channel_scale=True) -> BN -> Sign ->
  Dense(256, 10)`` (65,536 binary weights);
- ``cnn``: ``bnncore.models.cnn("ste", channels=(16, 32), channel_scale=True)`` on the 8x8
  images, one ``BinaryConv2d(16, 32, 3)`` (4,608 binary weights).

SGD lr 0.05, momentum 0.9, batch 64, no schedule, float32 (the library's training dtype).
For each model the script prints test accuracy (mean +- std over seeds), the mean per-step
flip ratio, the never-flipped fraction and the final silent fraction (FlipTracker), and saves
``FlipTracker.plot()`` of seed 0 for every configuration under ``--out``, plus
``results.json``. ``--sweep`` adds the small delta/gamma sweep that docs/ovsw.md reports
(MLP only: AGS alone over delta, SAD alone over gamma).

Run: ``python benchmarks/ovsw_ablation.py [--epochs 20] [--seeds 0 1 2] [--models mlp cnn]
[--delta 0.04] [--gamma 1e-2] [--sweep] [--out results/ovsw/] [--threads 1]``
(``threadpoolctl`` comes with the ``bench`` and ``test`` extras).
"""

from __future__ import annotations

import argparse
import json
import time
from functools import partial
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

import bnncore as bc
from bnncore.diagnostics import FlipTracker
from bnncore.optim import AGS, SAD, SGD

CONFIGS = ("STE", "STE+AGS", "STE+SAD", "STE+AGS+SAD")
SWEEP_DELTAS = (0.01, 0.02, 0.04, 0.08)
SWEEP_GAMMAS = (9e-4, 3e-3, 1e-2, 3e-2, 5e-2)


def build_model(kind: str, seed: int):
    g = np.random.default_rng(seed)
    if kind == "mlp":
        return bc.models.mlp("ste", hidden=(256, 256), channel_scale=True, rng=g)
    return bc.models.cnn("ste", channels=(16, 32), channel_scale=True, rng=g)


def transforms_for(config: str, delta: float, gamma: float) -> list:
    out = []
    if "AGS" in config:
        out.append(AGS(delta=delta))
    if "SAD" in config:
        out.append(SAD(gamma=gamma))
    return out


def load(kind: str):
    Xtr, ytr, Xte, yte = bc.data.load_digits(test_size=0.25, seed=0, flatten=kind == "mlp")
    return (Xtr, ytr), (Xte, yte)


def train_once(kind: str, transforms: list, seed: int, epochs: int) -> tuple[dict, FlipTracker]:
    train, test = load(kind)
    model = build_model(kind, seed)
    tracker = FlipTracker(model)
    opt = SGD(model.parameters(), lr=0.05, momentum=0.9, transforms=transforms)
    start = time.perf_counter()
    bc.fit(model, bc.losses.SoftmaxCrossEntropy(), opt, train, epochs=epochs, batch_size=64,
           seed=seed, callbacks=[tracker], progress=False)
    return {"seed": seed, "accuracy": bc.evaluate(model, test)["accuracy"],
            "flip_ratio": float(np.mean(tracker.flip_ratio_per_step)),
            "never_flipped": tracker.never_flipped_fraction(),
            "silent": tracker.silent_fraction(),
            "seconds": time.perf_counter() - start}, tracker


def summarize(runs: list[dict]) -> dict:
    acc = np.array([r["accuracy"] for r in runs])
    return {"accuracy_mean": float(acc.mean()), "accuracy_std": float(acc.std()),
            **{k: float(np.mean([r[k] for r in runs]))
               for k in ("flip_ratio", "never_flipped", "silent", "seconds")}}


def print_table(title: str, rows: dict[str, dict]) -> None:
    print(f"\n{title}")
    print(f"| {'config':<16} | {'test accuracy':<15} | {'flip ratio':>10} | "
          f"{'never-flipped':>13} | {'silent':>6} | {'s/run':>5} |")
    print(f"|{'-' * 18}|{'-' * 17}|{'-' * 12}|{'-' * 15}|{'-' * 8}|{'-' * 7}|")
    for name, s in rows.items():
        acc = f"{s['accuracy_mean']:.3f} +- {s['accuracy_std']:.3f}"
        print(f"| {name:<16} | {acc:<15} | {s['flip_ratio']:>10.2e} | "
              f"{s['never_flipped']:>13.3f} | {s['silent']:>6.3f} | {s['seconds']:>5.1f} |")


def ablation(args, out: Path) -> dict:
    results = {}
    for kind in args.models:
        rows = {}
        for config in CONFIGS:
            runs = []
            for seed in args.seeds:
                run, tracker = train_once(kind, transforms_for(config, args.delta, args.gamma),
                                          seed, args.epochs)
                runs.append(run)
                if seed == args.seeds[0]:
                    fig = tracker.plot(title=f"{kind}, {config}, seed {seed}")
                    fig.savefig(out / f"{kind}_{config.replace('+', '_').lower()}.png", dpi=90)
            rows[config] = {**summarize(runs), "runs": runs}
        print_table(f"{kind}: {args.epochs} epochs, seeds {args.seeds}, delta {args.delta}, "
                    f"gamma {args.gamma}", rows)
        results[kind] = rows
    return results


def sweep(args) -> dict:
    settings = [(f"AGS {d:g}", partial(AGS, delta=d)) for d in SWEEP_DELTAS]
    settings += [(f"SAD {g:g}", partial(SAD, gamma=g)) for g in SWEEP_GAMMAS]
    rows = {}
    for label, make in settings:
        runs = [train_once("mlp", [make()], seed, args.epochs)[0] for seed in args.seeds]
        rows[label] = {**summarize(runs), "runs": runs}
    print_table(f"sweep (mlp, one transform): {args.epochs} epochs, seeds {args.seeds}", rows)
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--models", nargs="+", choices=("mlp", "cnn"), default=["mlp", "cnn"])
    parser.add_argument("--delta", type=float, default=0.04, help="AGS threshold")
    parser.add_argument("--gamma", type=float, default=1e-2, help="SAD decay")
    parser.add_argument("--sweep", action="store_true", help="add the delta/gamma sweep (mlp)")
    parser.add_argument("--out", type=Path, default=Path("results/ovsw"))
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads (1 is fastest for these small matrices)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with threadpool_limits(limits=args.threads):
        results = {"args": {k: str(v) if isinstance(v, Path) else v
                            for k, v in vars(args).items()},
                   "ablation": ablation(args, args.out)}
        if args.sweep:
            results["sweep"] = sweep(args)
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    print(f"\nplots and results.json in {args.out}/ ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
