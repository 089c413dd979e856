"""The latent-weight STE baseline that GFT is compared with (docs/gft.md, "GFT vs STE").

Same fully binary architecture as a ``FullyBinaryMLP``: ±1 weights (``sign`` of a latent
float), ``sign`` activations, no biases, no BatchNorm. Built from bnncore layers and
trained with ``bnncore.fit`` and Adam:

- latent weights ``U(-1, 1)``, forward ``sign(w~)``, the registry's ``"bnn"`` pair
  (hardtanh STE ``1[|w~| <= 1]`` plus the latent clip to ``[-1, 1]`` after every step);
- each hidden pre-activation is scaled by ``1 / sqrt(I)`` before the ``Sign`` layer, so
  its hardtanh window ``|u| <= 1`` sees ``O(1)`` values;
- logits ``4 * v / sqrt(I_L)``; softmax cross-entropy; Adam ``lr = 1e-2``.

:class:`bnncore.flips.FlipCounter` counts, after every optimizer step, how many binary
weights ``sign(w~)`` changed: the STE's *visible* updates, comparable to GFT's bit flips
(the same counter counts those). A step also writes nearly every latent float:
``FlipCounter.writes`` counts the latent values a step changed (at most
``n_weights * steps``; a weight whose Adam update rounds to nothing is not counted).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence

import numpy as np

from .._validation import check_rng
from ..flips import FlipCounter
from ..layers import BinaryDense, Sequential, Sign
from ..layers.base import Layer
from ..losses import SoftmaxCrossEntropy
from ..optim import Adam
from ..train import evaluate, fit

__all__ = ["Scale", "blas_threads", "run_ste", "ste_mlp"]


class Scale(Layer):
    """Multiply by a fixed constant: ``y = c x``, ``dx = c dy`` (no parameters).

    Examples
    --------
    >>> import numpy as np
    >>> Scale(0.25).forward(np.array([[4.0, -8.0]]))
    array([[ 1., -2.]])
    """

    def __init__(self, factor: float) -> None:
        self.factor = float(factor)

    def get_config(self) -> dict:
        return {"factor": self.factor}

    def _forward(self, x, training):
        return x * x.dtype.type(self.factor)

    def _backward(self, dy):
        return dy * dy.dtype.type(self.factor)


def ste_mlp(sizes: Sequence[int], rng=None) -> Sequential:
    """The STE twin of ``FullyBinaryMLP(sizes)``: ``BinaryDense`` (``"bnn"``, no bias),
    ``Scale(1/sqrt(I))``, ``Sign("clipped_ste")`` per hidden layer; ``Scale(4/sqrt(I_L))``
    on the logits. Latent weights are drawn ``U(-1, 1)``.

    Examples
    --------
    >>> [type(l).__name__ for l in ste_mlp((64, 256, 10), rng=0)]
    ['BinaryDense', 'Scale', 'Sign', 'BinaryDense', 'Scale']
    """
    g = check_rng(rng)
    layers: list[Layer] = []
    n = len(sizes) - 1
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        dense = BinaryDense(a, b, bias=False, weight_quantizer="bnn", rng=g)
        dense.weight.data[...] = g.uniform(-1.0, 1.0, size=(b, a)).astype(np.float32)
        layers.append(dense)
        if i < n - 1:
            layers += [Scale(1.0 / math.sqrt(a)), Sign("clipped_ste")]
        else:
            layers.append(Scale(4.0 / math.sqrt(a)))
    return Sequential(*layers)


def blas_threads(n: int | None):
    """Context limiting BLAS to ``n`` threads (``threadpoolctl``, if installed; else no-op).

    The baseline's matrices are tiny (64 x 256); on a busy 2-core machine two OpenBLAS
    threads made its steps ~25x slower than one (measured), so the comparison of wall
    times would say more about thread contention than about the method.
    """
    if n is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # threadpoolctl is a test/bench extra, not a runtime dependency
        return contextlib.nullcontext()
    return threadpool_limits(limits=n, user_api="blas")


def run_ste(train, test, sizes: Sequence[int], *, epochs: int = 30, batch_size: int = 64,
            seed: int = 0, lr: float = 1e-2, progress: bool = False,
            threads: int | None = 1) -> dict:
    """Train :func:`ste_mlp` with Adam on ±1 data; return the model, History and counts.

    ``test`` is also passed to ``fit`` as ``val``, so the History has per-epoch test
    accuracy (evaluation never touches the training).

    Parameters
    ----------
    train, test : tuple (X, y)
        ``X`` ±1 (any numeric dtype), ``y`` class indices.
    sizes : sequence of int
    epochs, batch_size, seed : int
        ``seed`` draws the latent weights and seeds ``fit``'s shuffling.
    lr : float
    threads : int or None
        BLAS threads during training (:func:`blas_threads`); None leaves BLAS alone.

    Returns
    -------
    dict
        ``model``, ``history``, ``test_accuracy``, ``sign_flips`` (visible updates),
        ``latent_writes`` (latent values changed, summed over steps; at most
        ``n_weights * steps``), ``steps``.
    """
    model = ste_mlp(sizes, rng=seed)
    counter = FlipCounter()
    Xtr, ytr = np.asarray(train[0], np.float32), train[1]
    test = (np.asarray(test[0], np.float32), test[1])
    with blas_threads(threads):
        history = fit(model, SoftmaxCrossEntropy(), Adam(model.parameters(), lr=lr),
                      (Xtr, ytr), val=test, epochs=epochs, batch_size=batch_size, seed=seed,
                      callbacks=[counter], progress=progress)
        acc = evaluate(model, test)["accuracy"]
    return {"model": model, "history": history, "test_accuracy": float(acc),
            "sign_flips": counter.total, "sign_flips_per_epoch": list(counter.per_epoch),
            "latent_writes": counter.writes, "steps": counter.steps}
