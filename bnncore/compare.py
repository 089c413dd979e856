"""``bnncore compare``: every method on the same data and architecture, one table, one plot.

Each run is described by a :class:`RunSpec` (method, dataset, model, epochs, seed) and
returns a :class:`RunResult`; runs are independent and fully seeded, so running them in
parallel processes (``jobs > 1``) gives the same numbers as running them one by one
(except wall times). A method only says how its trainer and data are built (its
*set-up*); training, flip counting, accuracy, sizes and speed are measured by one
function, :func:`run`, for all of them.

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
from .flips import FlipCounter, binary_tensors
from .train import GradientTrainer, Trainer, predict

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
    optimizer: str | None = None       # gradient methods and fsg: "adam" or "sgd"
    lr: float | None = None            # None: the method's default
    ags: float | None = None           # OvSW AGS delta added to a gradient method
    sad: float | None = None           # OvSW SAD gamma added to a gradient method

    def __post_init__(self) -> None:
        check_int(self.epochs, "epochs", minimum=1)
        check_int(self.seed, "seed", minimum=0)
        check_int(self.batch_size, "batch_size", minimum=1)


@dataclass
class RunResult:
    """What one run measured (``history`` holds the per-epoch curves)."""

    method: str
    seed: int
    test_accuracy: float
    sign_flips: int                    # changes of a binary weight's sign, counted per step
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


# -- what differs between methods: how the trainer and its data are built ------------------


def _no_options(spec: RunSpec, *names: str) -> None:
    given = [n for n in names if getattr(spec, n) is not None]
    if given:
        raise ValueError(f"{spec.method} takes no {'/'.join(given)} setting")


def gradient_setup(spec: RunSpec) -> tuple[Trainer, tuple, tuple]:
    """A float or binary model trained with gradients.

    Adam 1e-3 by default; ``ags+sad`` is the ``ste`` model with per-channel scale and SGD
    0.05 (momentum 0.9) with OvSW's digits preset; ``spec.ags``/``spec.sad`` add AGS/SAD
    (in that order) to any binary method.
    """
    Xtr, ytr, Xte, yte = load(spec.dataset, spec.model, spec.seed, spec.subset)
    shape = Xtr.shape[1:]
    build = models.mlp if spec.model == "mlp" else models.cnn
    kwargs = ({"in_features": shape[0]} if spec.model == "mlp"
              else {"in_channels": shape[0], "image_size": shape[1]})
    if spec.method == "ags+sad":
        _no_options(spec, "ags", "sad")
        model = build("ste", channel_scale=True, rng=spec.seed, **kwargs)
        transforms, default = optim.ovsw(), "sgd"
    else:
        model = build(spec.method, rng=spec.seed, **kwargs)
        transforms, default = [], "adam"
        if spec.ags is not None:
            transforms.append(optim.AGS(delta=spec.ags))
        if spec.sad is not None:
            transforms.append(optim.SAD(gamma=spec.sad))
        if transforms and spec.method == "float":
            raise ValueError("AGS/SAD act on binarized weights: choose a binary method")
    name = spec.optimizer or default
    if name == "sgd":
        opt = optim.SGD(model.parameters(), lr=0.05 if spec.lr is None else spec.lr,
                        momentum=0.9, transforms=transforms)
    elif name == "adam":
        opt = optim.Adam(model.parameters(), lr=1e-3 if spec.lr is None else spec.lr,
                         transforms=transforms)
    else:
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {name!r}")
    trainer = GradientTrainer(model, losses.SoftmaxCrossEntropy(), opt)
    return trainer, (Xtr, ytr), (Xte, yte)


def gft_setup(spec: RunSpec) -> tuple[Trainer, tuple, tuple]:
    """Gradient-free training of the fully binary twin (binarized inputs, ±1 weights)."""
    from .gft import FullyBinaryMLP, GFTTrainer, binarize

    if spec.model != "mlp":
        raise ValueError("gft trains a fully binary MLP: use --model mlp")
    _no_options(spec, "optimizer", "lr", "ags", "sad")
    Xtr, ytr, Xte, yte = load(spec.dataset, "mlp", spec.seed, spec.subset)
    model = FullyBinaryMLP((Xtr.shape[1], 256, int(ytr.max()) + 1), rng=spec.seed)
    trainer = GFTTrainer(model, k0=0.001, k_min=0, margin=16, rng=spec.seed + 1000)
    return trainer, (binarize(Xtr, 0.5), ytr), (binarize(Xte, 0.5), yte)


def fsg_setup(spec: RunSpec) -> tuple[Trainer, tuple, tuple]:
    """Fast-and-slow gradient generation on its own task model (docs/fsg.md, "Ablation on digits").

    The slow-net scans the history of every binary weight, so its cost grows with their
    number: FSG runs on a 64-32-10 binary MLP (2,368 binary weights, ReLU activations),
    not on the 65,536-weight hidden layer of the other methods' MLP. Digits only, for the
    same reason.
    """
    from .fsg import FSGTrainer
    from .fsg.ablation import digits_task_model

    if spec.model != "mlp" or spec.dataset != "digits":
        raise ValueError("fsg runs on its digits task model in compare: use --dataset digits "
                         "--model mlp")
    _no_options(spec, "ags", "sad")
    Xtr, ytr, Xte, yte = load(spec.dataset, "mlp", spec.seed, spec.subset)
    trainer = FSGTrainer(digits_task_model(spec.seed), losses.SoftmaxCrossEntropy(),
                         lr=1e-2 if spec.lr is None else spec.lr,
                         task_optimizer=spec.optimizer or "adam")
    return trainer, (Xtr, ytr), (Xte, yte)


#: method name -> set-up (gradient methods are resolved through the quantizer registry).
SETUPS: dict[str, Callable[[RunSpec], tuple]] = {"gft": gft_setup, "fsg": fsg_setup}


def setup_for(method: str) -> Callable[[RunSpec], tuple]:
    """The function that builds ``method``'s trainer; ValueError lists the known methods."""
    if method in SETUPS:
        return SETUPS[method]
    if method in ("float", "ags+sad") or method in quantizers.available():
        return gradient_setup
    known = sorted({"float", "ags+sad", *SETUPS, *quantizers.available()})
    raise ValueError(f"unknown method {method!r}; available: {', '.join(known)}")


# -- what every method shares: one run, measured the same way ------------------------------


def _best_time(fn: Callable[[], object], repeats: int = 5) -> float:
    """Shortest wall time of ``repeats`` calls of ``fn`` (the caller warms it up first)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def packed_speedup(model, X: np.ndarray, repeats: int = 5) -> float | None:
    """Inference throughput of ``model.pack()`` over ``model.unpack()`` on ``X`` (best of N).

    None when the model has no binary weights, or when its packed path does not apply
    (XNOR-popcount needs ±1 inputs at every binary layer; FSG's task model feeds real
    pixels to its first one).
    """
    if not binary_tensors(model):
        return None
    packed = copy.deepcopy(model).pack()
    try:
        packed.forward(X[:8], training=False)
    except ValueError:
        return None
    reference = copy.deepcopy(model).unpack()

    def best(m):
        m.forward(X[:8], training=False)
        return _best_time(lambda: predict(m, X), repeats)

    return best(reference) / best(packed)


def run(spec: RunSpec) -> RunResult:
    """Build ``spec.method``'s trainer, train it, measure it (a top-level function, so process
    pools can pickle it). Every method is measured by the same code: flips per step with
    ``FlipCounter``, accuracy with ``trainer.evaluate``, sizes with ``model.nbytes``."""
    trainer, train, test = setup_for(spec.method)(spec)
    counter = FlipCounter()
    hist = trainer.fit(train, val=test, epochs=spec.epochs, batch_size=spec.batch_size,
                       seed=spec.seed, callbacks=[counter], progress=False)
    model = trainer.model
    return RunResult(method=spec.method, seed=spec.seed,
                     test_accuracy=trainer.evaluate(test)["accuracy"],
                     sign_flips=counter.total, float_updates=counter.latent_updates,
                     seconds_per_epoch=float(np.mean(hist.seconds)),
                     float_bytes=model.nbytes(packed=False),
                     packed_bytes=model.nbytes(packed=True),
                     packed_speedup=packed_speedup(model, test[0]), history=hist.to_dict())


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
        setup_for(m)
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
