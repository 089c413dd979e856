"""The digits ablation protocol of FSG (docs/fsg.md, section "Ablation on digits").

Reconstructed: a CPU-sized stand-in for the paper's CIFAR/ResNet runs. Data: scikit-learn's
digits, features in ``[0, 1]``, ``load_digits(test_size=0.2, seed=0)`` (1437 train / 360
test). Model: binary dense 64->32 (bias-free, ``ste``) -> BatchNorm -> ReLU -> binary dense
32->10 -> BatchNorm, Glorot-uniform latents. Training: batch 32, Adam ``lr = 1e-2``, the
same seed for the model and the trainer.
"""

from __future__ import annotations

import time

import numpy as np

from .._validation import check_int
from ..layers import BatchNorm1d, BinaryDense, ReLU, Sequential
from ..losses import SoftmaxCrossEntropy
from .trainer import FSGTrainer

__all__ = ["ABLATION_ROWS", "CORE_ROWS", "DEFAULT_ROWS", "digits_task_model", "format_table",
           "run_ablation"]

#: ``(id, FSGTrainer kwargs)``; the alpha and l sweeps mirror the paper's sensitivity studies,
#: the rest is reconstructed (it isolates each component named in the paper, and the two
#: code/paper disagreements, on a CPU budget).
ABLATION_ROWS: list[tuple[str, dict]] = [
    ("ste-adam", {"method": "ste"}),
    ("ste-sgd", {"method": "ste", "task_optimizer": "sgd", "lr": 0.1}),
    ("fc-grad", {"method": "fc_grad"}),
    ("multifc", {"method": "multifc"}),
    ("fast-only", {"method": "fast_only"}),
    ("slow-only", {"method": "slow_only"}),
    ("fsg", {"method": "fsg"}),
    ("fsg-no-lre", {"method": "fsg", "lre": False}),
    *[(f"fsg-l{n}", {"method": "fsg", "history_length": n}) for n in (1, 3, 6, 7)],
    *[(f"fsg-a{a}", {"method": "fsg", "alpha": a}) for a in (0.1, 0.3, 0.5, 0.7)],
    ("fsg-fastupd", {"method": "fsg", "persistent_update": "fast"}),
    ("fsg-flat", {"method": "fsg", "layout": "flat"}),
    ("fsg-code", {"method": "fsg", **FSGTrainer.CODE_PRESET}),
]
_ROW_KWARGS = dict(ABLATION_ROWS)
#: Every row but the slow ``fsg-code``.
DEFAULT_ROWS = tuple(r for r, _ in ABLATION_ROWS if r != "fsg-code")
#: The core set: STE, fast-only, slow-only, fast+slow, no LRE, history 1/3/5 (5 = fsg).
CORE_ROWS = ("ste-adam", "fast-only", "slow-only", "fsg", "fsg-no-lre", "fsg-l1", "fsg-l3")


def digits_task_model(seed: int = 0, dtype=np.float32, hidden: int = 32) -> Sequential:
    """The reference task model (docs/fsg.md, "Ablation on digits"), Glorot-uniform latents.

    Binary MLP ``64-hidden-10`` with BatchNorm (``74 * hidden`` binary weights; the
    reference is ``hidden = 32``). The latents are drawn from ``default_rng(seed)``, layer
    by layer.

    Reconstructed (a CPU-sized stand-in for the paper's ResNets, trained from scratch
    instead of from a full-precision checkpoint).

    Examples
    --------
    >>> model = digits_task_model(0)
    >>> [p.shape for p in model.parameters() if p.quantizer is not None]
    [(32, 64), (10, 32)]
    """
    g = np.random.default_rng(check_int(seed, "seed", minimum=0))
    hidden = check_int(hidden, "hidden", minimum=1)
    layers = [BinaryDense(64, hidden, bias=False, weight_quantizer="ste", rng=0),
              BinaryDense(hidden, 10, bias=False, weight_quantizer="ste", rng=0)]
    for layer in layers:
        out_f, in_f = layer.weight.shape
        bound = np.sqrt(6.0 / (in_f + out_f))
        layer.weight.data[...] = g.uniform(-bound, bound, size=(out_f, in_f))
    model = Sequential(layers[0], BatchNorm1d(hidden), ReLU(), layers[1], BatchNorm1d(10))
    return model.astype(dtype)


def run_ablation(rows=None, seeds=(0, 1, 2), epochs: int = 5, batch_size: int = 32,
                 progress: bool = True, data=None, dtype=np.float32) -> list[dict]:
    """Train every row on every seed; one dict per run.

    Parameters
    ----------
    rows : sequence of str, optional
        Row ids of ``ABLATION_ROWS`` (default ``DEFAULT_ROWS``).
    seeds : sequence of int
    epochs, batch_size : int
    progress : bool
        Print one line per run.
    data : tuple, optional
        ``(X_train, y_train, X_test, y_test)``; default ``load_digits(test_size=0.2)``.
    dtype : float32 or float64

    Returns
    -------
    list of dict
        ``{row, seed, epoch1_loss, final_loss, final_acc, sec_per_epoch, cpu_per_epoch,
        losses}`` (wall and process CPU seconds per epoch; ``losses``: the per-epoch
        training losses).
    """
    from ..data import load_digits

    rows = DEFAULT_ROWS if rows is None else tuple(rows)
    unknown = [r for r in rows if r not in _ROW_KWARGS]
    if unknown:
        raise ValueError(f"unknown ablation rows {unknown}; available: {list(_ROW_KWARGS)}")
    epochs = check_int(epochs, "epochs", minimum=1)
    Xtr, ytr, Xte, yte = load_digits(test_size=0.2, seed=0) if data is None else data
    results = []
    for row in rows:
        for seed in seeds:
            model = digits_task_model(seed, dtype)
            trainer = FSGTrainer(model, SoftmaxCrossEntropy(), dtype=dtype, **_ROW_KWARGS[row])
            start, cpu = time.perf_counter(), time.process_time()
            hist = trainer.fit((Xtr, ytr), epochs=epochs, batch_size=batch_size, seed=seed,
                               progress=False)
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
            acc = trainer.evaluate((Xte, yte))["accuracy"]
            results.append({"row": row, "seed": seed, "epoch1_loss": hist.train_loss[0],
                            "final_loss": hist.train_loss[-1], "final_acc": acc,
                            "sec_per_epoch": wall / epochs, "cpu_per_epoch": cpu / epochs,
                            "losses": list(hist.train_loss)})
            if progress:
                print(f"  {row:<12} seed {seed}: epoch-1 loss {hist.train_loss[0]:.3f}, "
                      f"final loss {hist.train_loss[-1]:.3f}, test acc {acc:.3f}, "
                      f"{wall / epochs:.2f} s/epoch", flush=True)
    return results


def _mean_std(values) -> str:
    v = np.asarray(values, dtype=np.float64)
    std = float(v.std(ddof=1)) if v.size > 1 else 0.0
    return f"{v.mean():.3f} ± {std:.3f}"


def format_table(results: list[dict]) -> str:
    """A Markdown table, mean ± sample std over seeds per row, in ``ABLATION_ROWS`` order.

    Examples
    --------
    >>> rs = [{"row": "fsg", "seed": s, "epoch1_loss": 1.0 + s, "final_loss": 0.5,
    ...        "final_acc": 0.9, "sec_per_epoch": 2.0} for s in (0, 1)]
    >>> print(format_table(rs))
    | row | seeds | epoch-1 loss | final loss | test accuracy | s/epoch |
    |---|---|---|---|---|---|
    | fsg | 2 | 1.500 ± 0.707 | 0.500 ± 0.000 | 0.900 ± 0.000 | 2.00 |
    """
    order = [r for r, _ in ABLATION_ROWS]
    seen = list(dict.fromkeys(r["row"] for r in results))
    rows = [r for r in order if r in seen] + [r for r in seen if r not in order]
    lines = ["| row | seeds | epoch-1 loss | final loss | test accuracy | s/epoch |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        rs = [r for r in results if r["row"] == row]
        sec = float(np.mean([r["sec_per_epoch"] for r in rs]))
        lines.append(f"| {row} | {len(rs)} | {_mean_std([r['epoch1_loss'] for r in rs])} | "
                     f"{_mean_std([r['final_loss'] for r in rs])} | "
                     f"{_mean_std([r['final_acc'] for r in rs])} | {sec:.2f} |")
    return "\n".join(lines)
