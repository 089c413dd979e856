"""``fit`` and ``evaluate``: the training loop of every gradient method.

One step: ``zero_grad -> forward -> loss -> backward -> optimizer.step`` (the optimizer
runs the gradient transforms, its update and the quantizers' ``post_step``). Before each
epoch ``fit`` calls ``on_epoch(epoch, epochs)`` on every quantizer of the model, then the
learning-rate schedule.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from tqdm import tqdm

from ._validation import check_array, check_int, check_labels
from .history import History
from .losses import Loss


def check_dataset(data: object, name: str, model=None) -> tuple[np.ndarray, np.ndarray]:
    """Validate an ``(X, y)`` pair: X float (N, ...), y int labels (N,).

    With ``model``, one evaluation-mode forward of ``X[:1]`` checks that X fits the model
    and that every label is below the model's number of outputs, before any training.
    """
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"{name} must be an (X, y) tuple")
    X = check_array(data[0], f"{name}[0] (X)", dtype="numeric")
    if X.ndim < 2:
        raise ValueError(f"{name}[0] (X) must have a batch axis and features, got {X.shape}")
    if X.dtype.kind != "f":
        X = X.astype(np.float32)
    n_classes = None
    if model is not None:
        try:
            n_classes = model.forward(X[:1], training=False).shape[1]
        except ValueError as exc:
            raise ValueError(f"{name}[0] (X) does not fit the model: {exc}") from exc
    y = check_labels(data[1], X.shape[0], n_classes, name=f"{name}[1] (y)")
    return X, y


def _callback(callbacks: Sequence, method: str, *args) -> None:
    for cb in callbacks:
        fn = getattr(cb, method, None)
        if fn is not None:
            fn(*args)


def fit(model, loss: Loss, optimizer, train, val=None, epochs: int = 1, batch_size: int = 64,
        seed: int = 0, schedule=None, callbacks: Sequence = (), progress: bool = True) -> History:
    """Train ``model`` with mini-batch gradient descent.

    Parameters
    ----------
    model : Layer
        Usually a ``Sequential``; trained in place.
    loss : Loss
        E.g. ``SoftmaxCrossEntropy()``.
    optimizer : Optimizer
        Built on ``model.parameters()``.
    train, val : tuple (X, y)
        ``X`` float ``(N, ...)``, ``y`` int labels ``(N,)``. ``val`` is optional.
    epochs, batch_size : int
    seed : int
        Seeds the shuffling (``np.random.default_rng(seed)``); same seed, same model
        initialisation -> the same History bit for bit (except ``seconds``).
    schedule : callable, optional
        ``schedule(optimizer, epoch)`` sets the learning rate before each epoch.
    callbacks : sequence
        Objects with any of ``on_train_begin(model)``, ``on_epoch_begin(epoch)``,
        ``on_step_end(step)``, ``on_epoch_end(epoch, history)``, ``on_train_end(history)``.
    progress : bool
        Show a tqdm bar per epoch.

    Returns
    -------
    History

    Examples
    --------
    >>> import bnncore as bc
    >>> Xtr, ytr, Xte, yte = bc.data.load_digits()
    >>> model = bc.layers.Sequential(bc.layers.Dense(64, 10, rng=0))
    >>> opt = bc.optim.Adam(model.parameters(), lr=1e-2)
    >>> h = bc.fit(model, bc.losses.SoftmaxCrossEntropy(), opt, (Xtr, ytr), epochs=2,
    ...            progress=False)
    >>> len(h.train_loss)
    2
    """
    X, y = check_dataset(train, "train", model)
    if val is not None:
        val = check_dataset(val, "val", model)
    epochs = check_int(epochs, "epochs", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    if not isinstance(loss, Loss):
        raise TypeError(f"loss must be a bnncore Loss, got {type(loss).__name__}")
    rng = np.random.default_rng(seed)
    history = History()
    n, step = X.shape[0], 0
    _callback(callbacks, "on_train_begin", model)
    for epoch in range(epochs):
        for q in model.quantizers():
            q.on_epoch(epoch, epochs)
        if schedule is not None:
            schedule(optimizer, epoch)
        _callback(callbacks, "on_epoch_begin", epoch)
        start = time.perf_counter()
        order = rng.permutation(n)
        losses, accs = [], []
        bar = tqdm(range(0, n, batch_size), desc=f"epoch {epoch + 1}/{epochs}",
                   disable=not progress, leave=False)
        for lo in bar:
            idx = order[lo:lo + batch_size]
            xb, yb = X[idx], y[idx]
            optimizer.zero_grad()
            out = model.forward(xb, training=True)
            value = loss.forward(out, yb)
            if not np.isfinite(value):
                raise FloatingPointError(f"non-finite loss {value} at epoch {epoch}, step {step}")
            model.backward(loss.backward())
            optimizer.step()
            step += 1
            _callback(callbacks, "on_step_end", step)
            losses.append(value)
            accs.append(float(np.mean(out.argmax(axis=1) == yb)))
            bar.set_postfix(loss=f"{value:.4f}")
        record = {"epoch": epoch, "train_loss": float(np.mean(losses)),
                  "train_accuracy": float(np.mean(accs))}
        if val is not None:
            scores = evaluate(model, val, loss)
            record.update(val_loss=scores["loss"], val_accuracy=scores["accuracy"])
        record["seconds"] = time.perf_counter() - start
        history.record(**record)
        _callback(callbacks, "on_epoch_end", epoch, history)
    _callback(callbacks, "on_train_end", history)
    return history


def predict(model, X: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Evaluation-mode outputs of ``model`` on ``X``, computed in batches."""
    X = check_array(X, "X", dtype="numeric")
    outs = [model.forward(X[i:i + batch_size], training=False)
            for i in range(0, X.shape[0], batch_size)]
    return np.concatenate(outs, axis=0)


def evaluate(model, data, loss: Loss | None = None, batch_size: int = 1024) -> dict:
    """Evaluation-mode loss and accuracy of ``model`` on ``data = (X, y)``.

    Returns
    -------
    dict
        ``{"loss": float or None, "accuracy": float}``; ``loss`` is None without a loss.
    """
    X, y = check_dataset(data, "data", model)
    out = predict(model, X, batch_size)
    value = None if loss is None else float(loss.forward(out, y))
    return {"loss": value, "accuracy": float(np.mean(out.argmax(axis=1) == y))}
