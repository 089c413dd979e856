"""The one training loop of bnncore: ``Trainer.fit``, and ``fit``/``evaluate`` for gradients.

Every method trains through :meth:`Trainer.fit`; a method supplies only what differs, as
small hooks (docs/architecture.md, "One training protocol")::

    X, y = check_data(train)                       # the method's input contract
    order_rng = start(X, y, epochs, batch_size, seed)   # build state, return the shuffler
    on_train_begin(model)
    for epoch:
        start_epoch(epoch, epochs)                 # quantizer annealing, learning rates
        on_epoch_begin(epoch)
        for batch in order_rng.permutation(N):
            loss, accuracy = train_step(xb, yb)    # one update of the model
            on_step_end(step)
        history <- epoch, train_loss, train_accuracy, [val_loss, val_accuracy], seconds,
                   end_epoch()                     # the method's extra fields
        on_epoch_end(epoch, history)
    on_train_end(history)

``train_loss`` and ``train_accuracy`` are, for every method, the means over the epoch's
batches of what ``train_step`` returns: the loss and accuracy of the training-mode forward
of the batch *before* its update. ``val_*`` come from ``evaluate`` after the epoch.

:class:`GradientTrainer` is the trainer of every gradient method (STE variants, PC++,
OvSW's transforms, float): ``zero_grad -> forward -> loss -> backward -> optimizer.step``
(the optimizer runs the gradient transforms, its update and the quantizers' ``post_step``).
``fit(model, loss, optimizer, train, ...)`` is a shortcut for it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from tqdm import tqdm

from ._scratch import Scratch
from ._validation import check_array, check_int, check_labels
from .history import History
from .losses import Loss

__all__ = ["GradientTrainer", "Trainer", "check_dataset", "evaluate", "fit", "predict"]


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


class Trainer(Scratch):
    """The epoch loop every method runs on; subclasses fill in the hooks.

    A subclass stores its settings in ``__init__`` (no other work) and defines
    ``train_step`` and ``_evaluate``; the other hooks have defaults. Attributes a subclass
    must set: ``model``.

    Hooks
    -----
    check_data(data, name) -> (X, y)
        Validate one ``(X, y)`` pair (default: ``check_dataset`` against the model).
    _start(X, y, epochs, batch_size, seed) -> numpy.random.Generator or None
        Called once per ``fit`` before training; builds what the method needs and returns
        the generator whose ``permutation(N)`` orders each epoch (None: no shuffling).
        Default: ``np.random.default_rng(seed)``.
    _start_epoch(epoch, epochs)
        Before each epoch (default: nothing).
    train_step(xb, yb) -> (loss, accuracy)
        Update the model on one batch; return the loss and the accuracy of the batch's
        training-mode forward before the update.
    _end_epoch() -> dict
        The method's extra per-epoch History fields (default: none).
    _evaluate(X, y) -> dict
        ``{"loss": float, "accuracy": float}`` on validated data.
    """

    model = None

    def check_data(self, data, name: str) -> tuple[np.ndarray, np.ndarray]:
        return check_dataset(data, name, self.model)

    def _start(self, X, y, epochs: int, batch_size: int, seed: int):
        return np.random.default_rng(seed)

    def _start_epoch(self, epoch: int, epochs: int) -> None:
        pass

    def train_step(self, xb: np.ndarray, yb: np.ndarray) -> tuple[float, float]:
        raise NotImplementedError

    def _end_epoch(self) -> dict:
        return {}

    def _evaluate(self, X: np.ndarray, y: np.ndarray) -> dict:
        raise NotImplementedError

    #: Whether ``train_step`` may receive each batch in arrays reused by the next step
    #: (only trainers that keep no reference to a batch after the step say True).
    reuses_batches = False

    def _batch(self, X: np.ndarray, y: np.ndarray, idx: np.ndarray) -> tuple:
        """``(X[idx], y[idx])``, gathered into reusable arrays when ``reuses_batches``."""
        if not self.reuses_batches:
            return X[idx], y[idx]
        n = idx.shape[0]
        # mode="clip": the indices are valid, and "raise" would buffer a copy of the batch
        xb = np.take(X, idx, axis=0, mode="clip",
                     out=self._scratch(f"x{n}", (n,) + X.shape[1:], X.dtype))
        yb = np.take(y, idx, axis=0, mode="clip", out=self._scratch(f"y{n}", (n,), y.dtype))
        return xb, yb

    def evaluate(self, data) -> dict:
        """Evaluation-mode scores on ``data = (X, y)``.

        Returns
        -------
        dict
            ``{"loss": float, "accuracy": float}``; what ``loss`` measures is the method's
            training criterion (see the trainer's docstring).
        """
        return self._evaluate(*self.check_data(data, "data"))

    def fit(self, train, val=None, *, epochs: int = 1, batch_size: int = 64, seed: int = 0,
            callbacks: Sequence = (), progress: bool = True) -> History:
        """Train ``self.model`` in place for ``epochs`` passes over ``train``.

        Parameters
        ----------
        train, val : tuple (X, y)
            ``X`` of shape ``(N, ...)``, ``y`` labels ``(N,)``; what they must hold is the
            method's (``check_data``). ``val`` is optional.
        epochs, batch_size : int
            Both >= 1. Each epoch visits a fresh permutation of ``train`` in consecutive
            batches (the last one may be smaller).
        seed : int
            Seeds the method's random streams (the batch order at least): the same seed
            and the same initial model give the same History bit for bit (``seconds``
            aside).
        callbacks : sequence
            Objects with any of ``on_train_begin(model)``, ``on_epoch_begin(epoch)``,
            ``on_step_end(step)`` (after the update; ``step`` counts this call's steps
            from 1), ``on_epoch_end(epoch, history)``, ``on_train_end(history)``; missing
            methods are skipped.
        progress : bool
            A tqdm bar per epoch.

        Returns
        -------
        History
            ``epoch``, ``train_loss``, ``train_accuracy`` (means over the epoch's batches
            of the training-mode forward before each update), ``val_loss`` and
            ``val_accuracy`` (``evaluate(val)`` after the epoch; empty without ``val``),
            ``seconds`` (the epoch's wall time, validation included), and the method's
            extra fields.
        """
        X, y = self.check_data(train, "train")
        if val is not None:
            val = self.check_data(val, "val")
        epochs = check_int(epochs, "epochs", minimum=1)
        batch_size = check_int(batch_size, "batch_size", minimum=1)
        seed = check_int(seed, "seed", minimum=0)
        order_rng = self._start(X, y, epochs, batch_size, seed)
        history, n, step = History(), X.shape[0], 0
        name = type(self).__name__.removesuffix("Trainer").lower() or "train"
        _callback(callbacks, "on_train_begin", self.model)
        for epoch in range(epochs):
            self._start_epoch(epoch, epochs)
            _callback(callbacks, "on_epoch_begin", epoch)
            start = time.perf_counter()
            order = np.arange(n) if order_rng is None else order_rng.permutation(n)
            losses, accs = [], []
            bar = tqdm(range(0, n, batch_size), desc=f"{name} epoch {epoch + 1}/{epochs}",
                       disable=not progress, leave=False)
            for lo in bar:
                idx = order[lo:lo + batch_size]
                value, acc = self.train_step(*self._batch(X, y, idx))
                step += 1
                _callback(callbacks, "on_step_end", step)
                losses.append(value)
                accs.append(acc)
                bar.set_postfix(loss=f"{value:.4f}")
            record = {"epoch": epoch, "train_loss": float(np.mean(losses)),
                      "train_accuracy": float(np.mean(accs))}
            if val is not None:
                scores = self._evaluate(*val)
                record.update(val_loss=scores["loss"], val_accuracy=scores["accuracy"])
            record["seconds"] = time.perf_counter() - start
            record.update(self._end_epoch())
            history.record(**record)
            _callback(callbacks, "on_epoch_end", epoch, history)
        _callback(callbacks, "on_train_end", history)
        return history


class GradientTrainer(Trainer):
    """Mini-batch gradient training of a layer model: STE variants, PC++, OvSW, float.

    One step: ``optimizer.zero_grad() -> model.forward -> loss -> model.backward ->
    optimizer.step()``. Before each epoch every quantizer of the model gets
    ``on_epoch(epoch, epochs)`` (annealing), then ``schedule(optimizer, epoch)`` sets the
    learning rate. The batch order is ``np.random.default_rng(seed).permutation(N)``.

    Parameters
    ----------
    model : Layer
        Usually a ``Sequential``; trained in place.
    loss : Loss
        E.g. ``SoftmaxCrossEntropy()``; also what ``evaluate`` reports as ``loss``.
    optimizer : Optimizer
        Built on ``model.parameters()``.
    schedule : callable, optional
        ``schedule(optimizer, epoch)``.

    Examples
    --------
    >>> import bnncore as bc
    >>> Xtr, ytr, Xte, yte = bc.data.load_digits()
    >>> model = bc.layers.Sequential(bc.layers.Dense(64, 10, rng=0))
    >>> trainer = GradientTrainer(model, bc.losses.SoftmaxCrossEntropy(),
    ...                           bc.optim.Adam(model.parameters(), lr=1e-2))
    >>> h = trainer.fit((Xtr, ytr), epochs=2, progress=False)
    >>> len(h.train_loss), sorted(trainer.evaluate((Xte, yte)))
    (2, ['accuracy', 'loss'])
    """

    def __init__(self, model, loss: Loss, optimizer, *, schedule=None) -> None:
        from .layers.base import Layer

        if not isinstance(model, Layer):
            raise TypeError(f"model must be a bnncore Layer (e.g. Sequential), got "
                            f"{type(model).__name__}")
        if not isinstance(loss, Loss):
            raise TypeError(f"loss must be a bnncore Loss, got {type(loss).__name__}")
        self.model, self.loss, self.optimizer, self.schedule = model, loss, optimizer, schedule
        self._step = 0

    def _start_epoch(self, epoch: int, epochs: int) -> None:
        for q in self.model.quantizers():
            q.on_epoch(epoch, epochs)
        if self.schedule is not None:
            self.schedule(self.optimizer, epoch)

    reuses_batches = True

    def train_step(self, xb: np.ndarray, yb: np.ndarray) -> tuple[float, float]:
        model = self.model
        self.optimizer.zero_grad()
        # The layers' private methods: the same math as forward/backward, on the layers'
        # reusable buffers, and no gradient w.r.t. the data (bnncore.layers.base).
        out = model._forward(model._check_input(xb, "xb"), True)
        value = self.loss.forward(out, yb)
        if not np.isfinite(value):
            raise FloatingPointError(f"non-finite loss {value} at step {self._step}")
        model._backward_params(self.loss._grad)
        self.optimizer.step()
        self._step += 1
        hits = np.equal(np.argmax(out, axis=1, out=self._scratch("argmax", yb.shape, np.intp)),
                        yb, out=self._scratch("hits", yb.shape, np.bool_))
        return float(value), float(np.mean(hits))

    def _evaluate(self, X: np.ndarray, y: np.ndarray) -> dict:
        out = predict(self.model, X)
        return {"loss": float(self.loss.forward(out, y)),
                "accuracy": float(np.mean(out.argmax(axis=1) == y))}


def fit(model, loss: Loss, optimizer, train, val=None, epochs: int = 1, batch_size: int = 64,
        seed: int = 0, schedule=None, callbacks: Sequence = (), progress: bool = True) -> History:
    """Train ``model`` with mini-batch gradient descent: ``GradientTrainer(...).fit(...)``.

    Parameters
    ----------
    model, loss, optimizer, schedule
        As :class:`GradientTrainer`.
    train, val, epochs, batch_size, seed, callbacks, progress
        As :meth:`Trainer.fit`.

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
    trainer = GradientTrainer(model, loss, optimizer, schedule=schedule)
    return trainer.fit(train, val, epochs=epochs, batch_size=batch_size, seed=seed,
                       callbacks=callbacks, progress=progress)


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
