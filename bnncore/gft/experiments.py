"""The GFT experiments E1-E5 (docs/gft.md, "Experiments"), as plain functions.

Each ``e*`` function returns a dict of plain Python numbers (and lists of numbers), with no
wall-clock entries, so the same seed gives the same dict and it serialises to JSON.
Tests assert their "asserted" lines; notebooks and ``benchmarks/gft_vs_ste.py``
print the "reported" ones. No accuracy here is the paper's: its numbers were not
recovered, and these are bnncore's measurements of GFT as reconstructed in bnncore.

E3 and E5 accept the dict of an :func:`e2_digits` run (``gft=``), and E4 the dicts of the
linear and constant runs, so that one training run can serve several experiments.
"""

from __future__ import annotations

import numpy as np

from ..data import load_digits, teacher_student
from .baseline import run_ste
from .energy import OpCounts, ste_step_ops
from .model import FullyBinaryMLP, binarize
from .trainer import GFTTrainer

__all__ = ["DIGITS_SIZES", "digits_pm1", "e1_teacher_student", "e2_digits", "e3_updates",
           "e4_schedule", "e5_energy", "run_gft_digits"]

DIGITS_SIZES = (64, 256, 10)


def digits_pm1() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Digits binarized for E2-E5: ``load_digits(test_size=0.25, seed=0)``, pixel >= 8 -> +1.

    Returns ``(X_train, y_train, X_test, y_test)``, ``X`` int8 ±1 (1347 and 450 rows).
    """
    Xtr, ytr, Xte, yte = load_digits(test_size=0.25, seed=0)
    return binarize(Xtr, 0.5), ytr, binarize(Xte, 0.5), yte


def run_gft_digits(seed: int = 0, epochs: int = 30, *, data=None, schedule="linear",
                   margin: int = 16, gate: str = "none", k0=0.001, batch_size: int = 64,
                   record_steps: bool = True, progress: bool = False):
    """E2's GFT run: ``FullyBinaryMLP((64, 256, 10), rng=seed)``, ``k0=0.001``, ``k_min=0``,
    ``margin=16``, ``rng=seed + 1000``, batch 64. Returns ``(trainer, history, data)``."""
    Xtr, ytr, Xte, yte = digits_pm1() if data is None else data
    model = FullyBinaryMLP(DIGITS_SIZES, rng=seed)
    trainer = GFTTrainer(model, k0=k0, k_min=0, schedule=schedule, margin=margin, gate=gate,
                         record_steps=record_steps, rng=seed + 1000)
    history = trainer.fit((Xtr, ytr), val=(Xte, yte), epochs=epochs, batch_size=batch_size,
                          progress=progress)
    return trainer, history, (Xtr, ytr, Xte, yte)


def e1_teacher_student(seed: int = 0) -> dict:
    """E1: a binary perceptron learns a binary teacher exactly (linearly separable data).

    ``X`` 1000 x 101 ±1, ``w*`` ±1, ``y = sign(X w*)``; ``FullyBinaryMLP((101, 1),
    output="binary", rng=seed+1)``; ``k0=1, k_min=0, margin=0``, ``rng=seed+2``; batch 100,
    20 epochs. Also the same trainer on ``bnncore.data.teacher_student(1000, 101,
    seed=seed)`` (labels ``2y - 1``).

    Returns
    -------
    dict
        ``train_accuracy`` (``evaluate`` after training), ``agreement`` (entries equal
        to ``w*``), ``hamming_init``, ``total_flips``, ``flips_last5``, ``flips_per_epoch``, and
        ``data_train_accuracy`` / ``data_test_accuracy`` of the teacher_student run.

    Examples
    --------
    >>> r = e1_teacher_student(0)
    >>> r["train_accuracy"], r["agreement"]
    (1.0, 101)
    """
    g = np.random.default_rng(seed)
    X = (2 * g.integers(0, 2, (1000, 101)) - 1).astype(np.int8)
    w_star = 2 * g.integers(0, 2, 101) - 1
    y = np.where(X.astype(np.int64) @ w_star >= 0, 1, -1)
    model = FullyBinaryMLP((101, 1), output="binary", rng=seed + 1)
    hamming = int(np.count_nonzero(model.weights[0][0] != w_star))
    trainer = GFTTrainer(model, k0=1, k_min=0, margin=0, gate="none", rng=seed + 2)
    h = trainer.fit((X, y), epochs=20, batch_size=100, progress=False)
    Xtr, ytr, Xte, yte = teacher_student(1000, 101, seed=seed)
    twin = FullyBinaryMLP((101, 1), output="binary", rng=seed + 1)
    GFTTrainer(twin, k0=1, k_min=0, margin=0, gate="none", rng=seed + 2).fit(
        (Xtr, 2 * ytr - 1), epochs=20, batch_size=100, progress=False)
    return {
        "train_accuracy": trainer.evaluate((X, y))["accuracy"],
        "agreement": int(np.count_nonzero(model.weights[0][0] == w_star)),
        "hamming_init": hamming,
        "total_flips": int(trainer.total_flips),
        "flips_last5": int(sum(h.extra["flips"][-5:])),
        "flips_per_epoch": [int(f) for f in h.extra["flips"]],
        "data_train_accuracy": float(np.mean(twin.predict(Xtr) == 2 * ytr - 1)),
        "data_test_accuracy": float(np.mean(twin.predict(Xte) == 2 * yte - 1)),
    }


def _total_ops(history) -> OpCounts:
    total = OpCounts()
    for d in history.extra["ops"]:
        total += OpCounts(**d)
    return total


def e2_digits(seed: int = 0, epochs: int = 30, *, schedule="linear", margin: int = 16,
              gate: str = "none", k0=0.001) -> dict:
    """E2: the fully binary MLP ``64 -> 256 -> 10`` on binarized digits, trained by GFT.

    Returns
    -------
    dict
        ``test_accuracy``, ``train_accuracy`` (``evaluate`` after training),
        ``total_flips``, ``flips_per_epoch``, ``flips_per_layer`` (totals), ``n_steps``,
        ``n_train``, ``batch_size``,
        ``max_step_excess`` (max over steps of ``sum(flips) - sum(k)``, <= 0 by the rule),
        ``ops`` (total ``OpCounts`` as a dict), ``energy_pj`` (the proxy, total).
    """
    trainer, h, (Xtr, ytr, Xte, yte) = run_gft_digits(seed, epochs, schedule=schedule,
                                                      margin=margin, gate=gate, k0=k0)
    steps = [s for epoch in h.extra["steps"] for s in epoch]
    ops = _total_ops(h)
    return {
        "test_accuracy": float(np.mean(trainer.model.predict(Xte) == yte)),
        "train_accuracy": trainer.evaluate((Xtr, ytr))["accuracy"],
        "total_flips": int(trainer.total_flips),
        "flips_per_epoch": [int(f) for f in h.extra["flips"]],
        "flips_per_layer": [int(sum(e[i] for e in h.extra["flips_per_layer"]))
                            for i in range(trainer.model.n_layers)],
        "n_steps": len(steps),
        "n_train": int(Xtr.shape[0]),
        "batch_size": 64,
        "max_step_excess": int(max(sum(s.flips) - sum(s.k) for s in steps)),
        "ops": ops.as_dict(),
        "energy_pj": float(ops.energy_pj()),
    }


def e3_updates(seed: int = 0, epochs: int = 30, *, gft: dict | None = None) -> dict:
    """E3: update counts, GFT vs the latent-weight STE baseline (``baseline.run_ste``).

    Returns
    -------
    dict
        ``gft_flips`` (= ``gft_writes``), ``ste_sign_flips`` (visible flips),
        ``ste_latent_writes`` (latent values changed, summed over steps: at most
        ``n_weights * steps``), ``write_ratio``
        (``gft_writes / ste_latent_writes``), ``visible_flip_ratio``
        (``gft_flips / ste_sign_flips``), both test accuracies and ``accuracy_gap``
        (STE minus GFT).
    """
    gft = e2_digits(seed, epochs) if gft is None else gft
    Xtr, ytr, Xte, yte = digits_pm1()
    ste = run_ste((Xtr, ytr), (Xte, yte), DIGITS_SIZES, epochs=epochs, seed=seed)
    return {
        "gft_flips": gft["total_flips"],
        "gft_writes": gft["total_flips"],
        "ste_sign_flips": int(ste["sign_flips"]),
        "ste_latent_writes": int(ste["latent_writes"]),
        "write_ratio": gft["total_flips"] / ste["latent_writes"],
        "visible_flip_ratio": gft["total_flips"] / max(1, ste["sign_flips"]),
        "gft_test_accuracy": gft["test_accuracy"],
        "ste_test_accuracy": float(ste["test_accuracy"]),
        "accuracy_gap": float(ste["test_accuracy"]) - gft["test_accuracy"],
    }


def e4_schedule(seed: int = 0, epochs: int = 30, *, linear: dict | None = None,
                constant: dict | None = None) -> dict:
    """E4: the linear schedule drives the number of updates down (from E2's runs).

    Returns
    -------
    dict
        ``flips_first3`` / ``flips_last3`` (mean flips per epoch), ``decay_ratio``
        (last / first), ``max_step_excess``, ``linear_total_flips``,
        ``constant_total_flips``, ``constant_test_accuracy``.
    """
    linear = e2_digits(seed, epochs) if linear is None else linear
    constant = e2_digits(seed, epochs, schedule="constant") if constant is None else constant
    first = float(np.mean(linear["flips_per_epoch"][:3]))
    last = float(np.mean(linear["flips_per_epoch"][-3:]))
    return {
        "flips_first3": first,
        "flips_last3": last,
        "decay_ratio": last / first,
        "max_step_excess": linear["max_step_excess"],
        "linear_total_flips": linear["total_flips"],
        "constant_total_flips": constant["total_flips"],
        "constant_test_accuracy": constant["test_accuracy"],
    }


def e5_energy(seed: int = 0, epochs: int = 30, *, gft: dict | None = None) -> dict:
    """E5: the energy proxy of the GFT run vs STE steps of the same shape and batches.

    The STE side is :func:`~bnncore.gft.energy.ste_step_ops` for each step's actual batch
    size. Both sides exclude memory traffic (a model, not a measurement: see
    ``bnncore.gft.energy``), which is why the ratio is far above the paper's "up to 3x".

    Returns
    -------
    dict
        ``gft_pj_per_step``, ``ste_pj_per_step``, ``ratio`` (STE / GFT), and the op counts
        by category ``gft_ops``, ``ste_ops`` (totals over the run).
    """
    gft = e2_digits(seed, epochs) if gft is None else gft
    n_train, batch = gft["n_train"], gft["batch_size"]
    per_epoch = OpCounts()
    for lo in range(0, n_train, batch):
        per_epoch += ste_step_ops(DIGITS_SIZES, min(batch, n_train - lo), DIGITS_SIZES[-1])
    ste = per_epoch.scaled(gft["n_steps"] // -(-n_train // batch))
    gft_ops = OpCounts(**gft["ops"])
    n = gft["n_steps"]
    return {
        "gft_pj_per_step": gft_ops.energy_pj() / n,
        "ste_pj_per_step": ste.energy_pj() / n,
        "ratio": ste.energy_pj() / gft_ops.energy_pj(),
        "gft_ops": gft_ops.as_dict(),
        "ste_ops": ste.as_dict(),
    }
