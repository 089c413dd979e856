"""The heuristic trainers that ``theory.gap`` measures against the exact optimum.

Each trains one binary neuron ``sign(<w, x>)`` on ``(X, y)`` from a seed and returns
``(w_final, w_best, updates)``: STE (the clipped ``bnn`` pair) and BNN++ through bnncore's
``BinaryDense`` with Adam, and GFT through ``bnncore.gft``. Described in docs/theory.md,
section "6. The optimality gap"; sign flips are counted by ``bnncore.flips``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bnncore.flips import sign_flips
from theory.sat import misclassified

TRAINERS = ("gft", "ste", "bnn++")


def _unavailable(name: str) -> str | None:
    """Why trainer ``name`` cannot run here, or ``None`` if it can."""
    try:
        if name == "gft":
            from bnncore.gft import FullyBinaryMLP, GFTTrainer  # noqa: F401
        elif name == "bnn++":
            from bnncore import quantizers

            quantizers.get("bnn++")
    except (ImportError, KeyError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def available_trainers() -> tuple[str, ...]:
    """The trainers whose ``bnncore`` implementation is importable now.

    Examples
    --------
    >>> "ste" in available_trainers()
    True
    """
    return tuple(t for t in TRAINERS if _unavailable(t) is None)


def check_trainers(trainers: Sequence[str]) -> tuple[str, ...]:
    """Validate trainer names (before any work); ``ValueError`` lists the available ones.

    Examples
    --------
    >>> check_trainers("ste")
    ('ste',)
    """
    trainers = (trainers,) if isinstance(trainers, str) else tuple(trainers)
    if not trainers:
        raise ValueError(f"trainers must name at least one of {list(TRAINERS)}")
    for t in trainers:
        if t not in TRAINERS:
            raise ValueError(f"unknown trainer {t!r}; trainers are {list(TRAINERS)} "
                             f"(available now: {list(available_trainers())})")
        if (why := _unavailable(t)) is not None:
            raise ValueError(f"trainer {t!r} is not available in this bnncore ({why}); "
                             f"available trainers: {list(available_trainers())}")
    return trainers


def _latent_perceptron(X, y, seed, epochs, lr, pair_name):
    """STE / BNN++ on one neuron: hinge loss on ``s = X F(u) / sqrt(n)``, Adam, clip."""
    from bnncore.layers import BinaryDense
    from bnncore.optim import Adam

    X, y = np.asarray(X, np.int64), np.asarray(y, np.int64)
    m, n = X.shape
    layer = BinaryDense(n, 1, bias=False, weight_quantizer=pair_name, rng=seed)
    layer.weight.data = np.random.default_rng(seed).uniform(-1, 1, (1, n))   # u ~ U(-1, 1)^n
    layer.weight.grad = np.zeros_like(layer.weight.data)
    pair, opt = layer.weight.quantizer, Adam(layer.parameters(), lr=lr)
    Xf, yf, root = X.astype(np.float64), y.astype(np.float64), np.sqrt(n)
    w = np.where(layer.weight.data[0] >= 0, 1, -1)
    best, w_best, updates = m + 1, w, 0
    for e in range(epochs):
        pair.on_epoch(e, epochs)                    # annealing (bnn++'s beta); no-op for bnn
        opt.zero_grad()
        s = layer.forward(Xf, training=True)[:, 0] / root
        ds = -yf * (yf * s < 1) / m                  # d mean(max(0, 1 - y s)) / ds
        layer.backward((ds / root)[:, None])         # g_u = B'(u) * X^T ds / sqrt(n)
        before = layer.weight.data.copy()
        opt.step()                                   # Adam, then the pair's post_step
        np.clip(layer.weight.data, -1, 1, out=layer.weight.data)
        updates += int(sign_flips(before, layer.weight.data).sum())
        w = np.where(layer.weight.data[0] >= 0, 1, -1)
        if (err := misclassified(X, y, w).size) < best:
            best, w_best = err, w
    return w.astype(np.int8), w_best.astype(np.int8), updates


def ste_perceptron(X, y, seed: int, *, epochs: int = 200,
                   lr: float = 0.01) -> tuple[np.ndarray, np.ndarray, int]:
    """Latent-weight STE (clipped, the ``bnn`` pair): ``(w_final, w_best, flips)``.

    Examples
    --------
    >>> X = np.array([[1, 1, -1], [-1, 1, 1], [1, -1, 1]]); y = np.array([1, -1, 1])
    >>> w_final, w_best, flips = ste_perceptron(X, y, seed=0, epochs=30)
    >>> int((np.where(X @ w_best >= 0, 1, -1) != y).sum())
    0
    """
    return _latent_perceptron(X, y, seed, epochs, lr, "bnn")


def bnnpp_perceptron(X, y, seed: int, *, epochs: int = 200,
                     lr: float = 0.01) -> tuple[np.ndarray, np.ndarray, int]:
    """The STE loop with the ``bnn++`` pair (SignSwish forward and backward, annealed).

    Examples
    --------
    >>> w_final, w_best, flips = bnnpp_perceptron([[1, 1, -1], [-1, 1, 1]], [1, -1], seed=0,
    ...                                           epochs=5)
    >>> w_final.dtype, sorted(set(w_final.tolist()) | {-1, 1})
    (dtype('int8'), [-1, 1])
    """
    return _latent_perceptron(X, y, seed, epochs, lr, "bnn++")


def gft_perceptron(X, y, seed: int, *, epochs: int = 200, k0: int = 1,
                   margin: int = 0) -> tuple[np.ndarray, np.ndarray, int]:
    """GFT on one binary neuron, full batch: ``(w_final, w_best, flips)``.

    ``FullyBinaryMLP((n, 1), output="binary", rng=seed)`` trained by
    ``GFTTrainer(k0=k0, k_min=0, margin=margin, rng=seed + 1)``; after each epoch the
    errors are counted and the first weights reaching the minimum are kept; ``flips`` is
    the trainer's ``total_flips``.

    Examples
    --------
    >>> X = np.array([[1, 1, -1], [-1, 1, 1], [1, -1, 1]]); y = np.array([1, -1, 1])
    >>> w_final, w_best, flips = gft_perceptron(X, y, seed=0, epochs=20)
    >>> misclassified(X, y, w_best).size <= misclassified(X, y, w_final).size
    True
    """
    from bnncore.gft import FullyBinaryMLP, GFTTrainer

    X, y = np.asarray(X, np.int64), np.asarray(y, np.int64)
    m, n = X.shape
    model = FullyBinaryMLP((n, 1), output="binary", rng=seed)
    trainer = GFTTrainer(model, k0=k0, k_min=0, margin=margin, rng=seed + 1)
    best = [m + 1, None]   # fewest errors so far, the first weights reaching them

    class _Best:
        def on_epoch_end(self, epoch, history):
            w = model.weights[0][0].astype(np.int8)
            if (err := misclassified(X, y, w).size) < best[0]:
                best[:] = err, w.copy()

    trainer.fit((X.astype(np.int8), y.astype(np.int8)), epochs=epochs, batch_size=m,
                progress=False, callbacks=[_Best()])
    w_final = model.weights[0][0].astype(np.int8)
    return w_final, w_final if best[1] is None else best[1], int(trainer.total_flips)


__all__ = ["TRAINERS", "available_trainers", "bnnpp_perceptron", "check_trainers",
           "gft_perceptron", "ste_perceptron"]
