"""``bnncore compare``: every method on the same data and architecture, one table, one plot.

Each run is described by a :class:`RunSpec` (method, dataset, model, epochs, seed) and
returns a :class:`RunResult`; runs are independent and fully seeded, so running them in
parallel processes (``jobs > 1``) gives the same numbers as running them one by one
(except wall times).

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

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from . import data, losses, models, optim, quantizers
from ._validation import check_int
from .train import evaluate, fit, predict

DEFAULT_METHODS = ("ste", "clipped_ste", "approxsign", "bnn", "bnn+", "bnn++", "proxquant",
                   "binaryrelax", "ags+sad", "gft", "fsg", "float")
DATASETS = ("digits", "fashion-mnist")


@dataclass(frozen=True)
class RunSpec:
    """One training run of the comparison."""

    method: str
    dataset: str = "digits"
    model: str = "mlp"
    epochs: int = 10
    seed: int = 0
    batch_size: int = 64
    subset: int | None = None          # fashion-mnist only: training samples kept


@dataclass
class RunResult:
    """What one run measured (``history`` holds the per-epoch curves)."""

    method: str
    seed: int
    test_accuracy: float
    sign_flips: int                    # changes of a binary weight's sign over training
    float_updates: int                 # latent float weight updates (0 for GFT)
    seconds_per_epoch: float
    float_bytes: int                   # model parameters as float32
    packed_bytes: int                  # binary weights packed 64 per uint64, rest float32
    packed_speedup: float | None       # packed / float-path inference throughput
    history: dict = field(default_factory=dict)


def load(dataset: str, model: str, seed: int, subset: int | None = None):
    """Train/test arrays for ``dataset``, shaped for ``model`` ("mlp" or "cnn")."""
    flatten = model == "mlp"
    if dataset == "digits":
        return data.load_digits(seed=0, flatten=flatten)
    if dataset == "fashion-mnist":
        return data.load_fashion_mnist(subset=subset, seed=0, flatten=flatten)
    raise ValueError(f"dataset must be one of {DATASETS}, got {dataset!r}")


class FlipCounter:
    """Callback: counts sign changes of every binarized weight after each optimizer step."""

    def __init__(self, params) -> None:
        self.params = [p for p in params
                       if p.quantizer is not None and p.quantizer.binary_target
                       and p.data.ndim >= 2]
        self.flips = 0
        self.updates = 0

    def on_train_begin(self, model) -> None:
        self._signs = [p.data >= 0 for p in self.params]

    def on_step_end(self, step: int) -> None:
        for i, p in enumerate(self.params):
            now = p.data >= 0
            self.flips += int(np.count_nonzero(now != self._signs[i]))
            self._signs[i] = now
            self.updates += p.size


def _best_time(fn: Callable[[], object], repeats: int = 5) -> float:
    """Shortest wall time of ``repeats`` calls of ``fn`` (the caller warms it up first)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _packed_speedup(model, X: np.ndarray, repeats: int = 5) -> float | None:
    """Throughput ratio of the packed model over the float path on ``X`` (best of N)."""
    if not any(p.quantizer is not None for p in model.parameters()):
        return None
    packed = copy.deepcopy(model).pack()

    def best(m):
        m.forward(X[:8], training=False)
        return _best_time(lambda: predict(m, X), repeats)

    return best(model) / best(packed)


def _memory(model) -> tuple[int, int]:
    from .layers.sequential import _memory as layer_memory

    fb = pb = 0
    for layer in model:
        _, f, p, _ = layer_memory(layer)
        fb, pb = fb + f, pb + p
    return fb, pb


def run_gradient(spec: RunSpec) -> RunResult:
    """Train a float or binary model with a gradient method (Adam; SGD + AGS/SAD)."""
    Xtr, ytr, Xte, yte = load(spec.dataset, spec.model, spec.seed, spec.subset)
    shape = Xtr.shape[1:]
    build = models.mlp if spec.model == "mlp" else models.cnn
    kwargs = ({"in_features": shape[0]} if spec.model == "mlp"
              else {"in_channels": shape[0], "image_size": shape[1]})
    if spec.method == "ags+sad":
        model = build("ste", channel_scale=True, rng=spec.seed, **kwargs)
        opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, transforms=optim.ovsw())
    else:
        model = build(spec.method, rng=spec.seed, **kwargs)
        opt = optim.Adam(model.parameters(), lr=1e-3)
    counter = FlipCounter(model.parameters())
    loss = losses.SoftmaxCrossEntropy()
    hist = fit(model, loss, opt, (Xtr, ytr), val=(Xte, yte), epochs=spec.epochs,
               batch_size=spec.batch_size, seed=spec.seed, callbacks=[counter],
               progress=False)
    fb, pb = _memory(model)
    return RunResult(method=spec.method, seed=spec.seed,
                     test_accuracy=evaluate(model, (Xte, yte))["accuracy"],
                     sign_flips=counter.flips if counter.params else 0,
                     float_updates=counter.updates if counter.params else 0,
                     seconds_per_epoch=float(np.mean(hist.seconds)), float_bytes=fb,
                     packed_bytes=pb, packed_speedup=_packed_speedup(model, Xte),
                     history=hist.to_dict())


def run_gft(spec: RunSpec) -> RunResult:
    """Gradient-free training of the fully binary twin (binarized inputs, ±1 weights)."""
    from .gft import FullyBinaryMLP, GFTTrainer, binarize

    if spec.model != "mlp":
        raise ValueError("gft trains a fully binary MLP: use --model mlp")
    Xtr, ytr, Xte, yte = load(spec.dataset, "mlp", spec.seed, spec.subset)
    Xtr, Xte = binarize(Xtr, 0.5), binarize(Xte, 0.5)
    model = FullyBinaryMLP((Xtr.shape[1], 256, int(ytr.max()) + 1), rng=spec.seed)
    trainer = GFTTrainer(model, k0=0.001, k_min=0, margin=16, rng=spec.seed + 1000)
    hist = trainer.fit((Xtr, ytr), val=(Xte, yte), epochs=spec.epochs,
                       batch_size=spec.batch_size, seed=spec.seed, progress=False)

    def best(packed: bool) -> float:
        model.predict(Xte[:8], packed=packed)
        return _best_time(lambda: model.predict(Xte, packed=packed))

    sizes = [(Xtr.shape[1], 256), (256, int(ytr.max()) + 1)]
    return RunResult(method=spec.method, seed=spec.seed,
                     test_accuracy=float(np.mean(model.predict(Xte) == yte)),
                     sign_flips=int(sum(hist.extra["flips"])), float_updates=0,
                     seconds_per_epoch=float(np.mean(hist.seconds)),
                     float_bytes=4 * model.n_weights(),
                     packed_bytes=sum(o * -(-i // 64) * 8 for i, o in sizes),
                     packed_speedup=best(False) / best(True), history=hist.to_dict())


def run_fsg(spec: RunSpec) -> RunResult:
    """Fast-and-slow gradient generation on the spec's task model (shared/spec/fsg.md 8).

    The slow-net scans the history of every binary weight, so its cost grows with their
    number: FSG runs on its own 64-32-10 binary MLP (2,368 binary weights, ReLU
    activations), not on the 65,536-weight hidden layer of the other methods' MLP. Digits
    only, for the same reason.
    """
    from .fsg import FSGTrainer
    from .fsg.ablation import digits_task_model

    if spec.model != "mlp" or spec.dataset != "digits":
        raise ValueError("fsg runs on its digits task model in compare: use --dataset digits "
                         "--model mlp")
    Xtr, ytr, Xte, yte = load(spec.dataset, "mlp", spec.seed, spec.subset)
    model = digits_task_model(spec.seed)
    trainer = FSGTrainer(model, lr=1e-2, seed=spec.seed)
    counter = FlipCounter(model.parameters())
    counter.on_train_begin(model)
    hist = trainer.fit((Xtr, ytr), val=(Xte, yte), epochs=spec.epochs,
                       batch_size=spec.batch_size, progress=False)
    counter.on_step_end(0)   # FSG has no step callback: counts net sign changes per weight
    steps = spec.epochs * -(-len(ytr) // spec.batch_size)
    fb, pb = _memory(model)
    return RunResult(method=spec.method, seed=spec.seed,
                     test_accuracy=trainer.evaluate(Xte, yte)[1],
                     sign_flips=counter.flips,
                     float_updates=steps * sum(p.size for p in counter.params),
                     seconds_per_epoch=float(np.mean(hist.seconds)), float_bytes=fb,
                     packed_bytes=pb, packed_speedup=None, history=hist.to_dict())


#: method name -> runner (gradient methods are resolved through the quantizer registry).
RUNNERS: dict[str, Callable[[RunSpec], RunResult]] = {"gft": run_gft, "fsg": run_fsg}


def runner_for(method: str) -> Callable[[RunSpec], RunResult]:
    """The function that trains ``method``; raises ValueError listing the known methods."""
    if method in RUNNERS:
        return RUNNERS[method]
    if method in ("float", "ags+sad") or method in quantizers.available():
        return run_gradient
    known = sorted({"float", "ags+sad", *RUNNERS, *quantizers.available()})
    raise ValueError(f"unknown method {method!r}; available: {', '.join(known)}")


def run(spec: RunSpec) -> RunResult:
    """Run one spec (a top-level function, so process pools can pickle it)."""
    return runner_for(spec.method)(spec)


def run_one_thread(spec: RunSpec) -> RunResult:
    """``run`` with BLAS limited to one thread (serial and parallel runs alike).

    With ``jobs`` processes the cores are already full, and a multi-threaded BLAS in each
    oversubscribes them (measured several times slower on 2 cores); the models of the
    comparison are small enough that one BLAS thread is also the faster choice serially.
    Using the same BLAS set-up in both keeps ``jobs=N`` results identical to ``jobs=1``.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return run(spec)


def compare(methods: Sequence[str] = DEFAULT_METHODS, dataset: str = "digits",
            model: str = "mlp", epochs: int = 10, seeds: int = 3, jobs: int = 1,
            subset: int | None = None, progress: bool = True) -> list[RunResult]:
    """Train every method for every seed ``0..seeds-1``; return the results in order.

    Parameters
    ----------
    methods : sequence of str
    dataset : {"digits", "fashion-mnist"}
    model : {"mlp", "cnn"}
    epochs, seeds : int
    jobs : int
        Parallel worker processes (results identical to ``jobs=1`` but for wall times).
    subset : int, optional
        Fashion-MNIST training samples to keep.
    progress : bool
        A tqdm bar over runs.

    Examples
    --------
    >>> res = compare(["ste", "float"], epochs=1, seeds=1, progress=False)
    >>> [r.method for r in res]
    ['ste', 'float']
    """
    from tqdm import tqdm

    epochs = check_int(epochs, "epochs", minimum=1)
    seeds = check_int(seeds, "seeds", minimum=1)
    jobs = check_int(jobs, "jobs", minimum=1)
    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {DATASETS}, got {dataset!r}")
    if model not in ("mlp", "cnn"):
        raise ValueError(f"model must be 'mlp' or 'cnn', got {model!r}")
    for m in methods:
        runner_for(m)
    specs = [RunSpec(m, dataset, model, epochs, s, subset=subset)
             for m in methods for s in range(seeds)]
    bar = tqdm(total=len(specs), desc="compare", disable=not progress)
    if jobs == 1:
        results = []
        for spec in specs:
            bar.set_postfix(method=spec.method, seed=spec.seed)
            results.append(run_one_thread(spec))
            bar.update()
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn, not fork: a forked child of a process whose thread pools (OpenBLAS,
        # Numba) already run may deadlock.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            futures = [pool.submit(run_one_thread, spec) for spec in specs]
            for f in futures:
                f.add_done_callback(lambda _: bar.update())
            results = [f.result() for f in futures]
    bar.close()
    return results


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
            "float_updates": float(np.mean([r.float_updates for r in rs])),
            "seconds_per_epoch": float(np.mean([r.seconds_per_epoch for r in rs])),
            "float_bytes": rs[0].float_bytes, "packed_bytes": rs[0].packed_bytes,
            "packed_speedup": float(np.mean(speed)) if speed else None,
        })
    return rows


def format_table(rows: Sequence[dict]) -> str:
    """The comparison as a fixed-width text table."""
    head = (f"{'method':12s} {'test accuracy':>15s} {'sign flips':>11s} {'float updates':>13s} "
            f"{'s/epoch':>8s} {'packed size':>11s} {'packed speed-up':>15s}")
    lines = [head, "-" * len(head)]
    for r in rows:
        speed = "-" if r["packed_speedup"] is None else f"{r['packed_speedup']:.2f}x"
        size = f"{r['packed_bytes'] / 1024:.1f} KiB"
        acc = f"{r['test_accuracy_mean']:8.4f} ± {r['test_accuracy_std']:.3f}"
        lines.append(f"{r['method']:12s} {acc} {r['sign_flips']:11.0f} {r['float_updates']:13.3g} "
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
        json.dump({"summary": rows, "runs": [asdict(r) for r in results]}, fh, indent=1)
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
