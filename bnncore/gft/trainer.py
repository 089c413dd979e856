"""``GFTTrainer``: gradient-free training of a ``FullyBinaryMLP`` (shared/spec/gft.md 3, 6).

GFT as reconstructed in bnncore. The paper (arXiv 2410.09734) confirms the ingredients:
no gradients, a contribution tensor whose sign checks find erroneous contributions, bit
flips of the relevant weights, top-k with probability proportional to the score and a
linearly decaying k. Its method section could not be read, so the exact rules below (the
functions of ``bnncore.gft.rule``) are our designs. The trainer only sequences them and
keeps the books: step counter, random streams, flip counts, operation counts, History.
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Callable, Sequence

import numpy as np
from tqdm import tqdm

from .._validation import check_int, check_labels, check_pm1, check_rng
from ..history import History
from .backprop import GATES, output_error, propagate, resolve_taus
from .bias import bias_candidates, bias_step, bias_vote
from .contribution import flip_scores, vote
from .energy import OpCounts, gft_layer_ops
from .model import FullyBinaryMLP, check_binary_input
from .schedule import SCHEDULES, k_schedule, resolve_k
from .selection import p_update_fraction, select_flips
from .stats import StepStats

__all__ = ["GFTTrainer", "StepStats"]


def _callback(callbacks: Sequence, method: str, *args) -> None:
    for cb in callbacks:
        fn = getattr(cb, method, None)
        if fn is not None:
            fn(*args)


class GFTTrainer:
    """Gradient-free training by sign checks and bit flips (GFT as reconstructed in bnncore).

    Each step (spec Section 3.8) runs the integer forward pass, flags the output scores on
    the wrong side of their ±1 target or closer than ``margin`` (``output_error``), sends
    the error *signs* backwards through the weights (``propagate``), lets every weight
    count erroneous minus helpful contributions (``vote``, ``flip_scores``), and flips at
    most ``k_t`` weights per layer: the top scores, each accepted with probability
    ``p_update * sigma / smax`` (``select_flips``). Everything is computed from the
    pre-step weights, and every intermediate is an integer array.

    Parameters
    ----------
    model : FullyBinaryMLP
        Trained in place.
    k0, k_min : int or float
        Initial and final budget per layer: an int is a count, a float in ``[0, 1]`` a
        fraction of the layer's weights (``resolve_k``). ``k_min <= k0`` per layer.
    schedule : {"linear", "constant"} or callable
        ``k_t`` (``k_schedule``); a callable is ``f(t, T, k0, k_min) -> int``.
    total_steps : int, optional
        ``T``. None: each ``fit`` sets it to ``t + epochs * ceil(N / batch_size)``.
    margin : int
        ``kappa >= 0`` of the output error. Digits needs 16 (spec E2).
    gate : {"none", "window", "flip"}
        Backward gate of the sign activations.
    tau : sequence of int, optional
        Window half-width per hidden layer; None means ``isqrt(fan_in)``.
    packed : bool
        Forward on the bit-packed kernels (True) or the int32 reference (False); results
        are identical.
    p_update : float
        Acceptance factor in ``(0, 1]``; 1.0 is the rule exactly.
    count_ops : bool
        Count operations per step (``StepStats.ops``, History ``ops``).
    rng : None, int or numpy.random.Generator
        ``base = default_rng(rng)``; ``rng_data, rng_flip = base.spawn(2)``. None: the
        streams come from ``fit``'s ``seed`` (or 0 if ``step`` comes first).

    Attributes
    ----------
    t : int
        Global step counter.
    total_flips, total_bias_updates : int
        Accepted weight flips and bias changes so far (summed per step, not net).
    T : int or None
        The current plan of total steps.

    Examples
    --------
    >>> import numpy as np
    >>> from bnncore.gft import FullyBinaryMLP
    >>> g = np.random.default_rng(0)
    >>> X = (2 * g.integers(0, 2, (200, 15)) - 1).astype(np.int8)
    >>> y = np.where(X @ (2 * g.integers(0, 2, 15) - 1) >= 0, 1, -1)
    >>> net = FullyBinaryMLP((15, 1), output="binary", rng=1)
    >>> trainer = GFTTrainer(net, k0=1, k_min=0, rng=2)
    >>> h = trainer.fit((X, y), epochs=10, batch_size=100, progress=False)
    >>> h.train_accuracy[-1] > h.train_accuracy[0], sum(h.extra["flips"]) == trainer.total_flips
    (True, True)
    """

    def __init__(self, model: FullyBinaryMLP, *, k0: int | float = 0.001,
                 k_min: int | float = 0.0, schedule: str | Callable = "linear",
                 total_steps: int | None = None, margin: int = 0, gate: str = "none",
                 tau: Sequence[int] | None = None, packed: bool = True, p_update: float = 1.0,
                 count_ops: bool = True, rng=None) -> None:
        if not isinstance(model, FullyBinaryMLP):
            raise TypeError(f"model must be a FullyBinaryMLP, got {type(model).__name__}")
        self.model = model
        self.k0, self.k_min = k0, k_min
        self.schedule = schedule
        self.total_steps = total_steps
        self.margin, self.gate, self.tau = margin, gate, tau
        self.packed, self.p_update, self.count_ops = bool(packed), p_update, bool(count_ops)
        self.rng = rng
        self._validate()
        self.t = 0
        self.total_flips = 0
        self.total_bias_updates = 0
        self.T = total_steps
        self._rng_data: np.random.Generator | None = None
        self._rng_flip: np.random.Generator | None = None

    # -- validation ----------------------------------------------------------------------
    def _validate(self) -> None:
        sizes = self.model.sizes
        layer_sizes = [i * o for i, o in zip(sizes[:-1], sizes[1:])]
        for value, name in ((self.k0, "k0"), (self.k_min, "k_min")):
            resolve_k(value, 1, name)  # type and range
        if isinstance(self.k0, numbers.Integral) and self.k0 > max(layer_sizes):
            raise ValueError(f"k0={self.k0} is larger than the number of weights of the "
                             f"model's largest layer ({max(layer_sizes)})")
        budget_sizes = layer_sizes + (list(sizes[1:]) if self.model.bias else [])
        for size in budget_sizes:
            k0, k_min = resolve_k(self.k0, size, "k0"), resolve_k(self.k_min, size, "k_min")
            if k_min > k0:
                raise ValueError(f"k_min must not exceed k0, got k_min={self.k_min!r} -> "
                                 f"{k_min} > k0={self.k0!r} -> {k0} for a layer of {size}")
        if not callable(self.schedule) and self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES} or a callable, got "
                             f"{self.schedule!r}")
        if self.total_steps is not None:
            check_int(self.total_steps, "total_steps", minimum=1)
        if (isinstance(self.margin, bool) or not isinstance(self.margin, numbers.Integral)
                or self.margin < 0):
            raise ValueError(f"margin must be an int >= 0, got {self.margin!r}")
        if self.gate not in GATES:
            raise ValueError(f"gate must be one of {GATES}, got {self.gate!r}")
        self._taus = resolve_taus(self.tau, sizes)
        p_update_fraction(self.p_update)  # type and range
        if self.rng is not None:
            check_rng(self.rng)

    def _check_xy(self, x, y, xname: str, yname: str) -> tuple[np.ndarray, np.ndarray]:
        model = self.model
        x = check_binary_input(x, model.sizes[0], xname)
        if model.output == "binary":
            y = check_pm1(np.asarray(y), yname)
            if y.ndim != 1 or y.shape[0] != x.shape[0]:
                raise ValueError(f"{yname} must have shape ({x.shape[0]},), got {y.shape}")
            y = y.astype(np.int64)
        else:
            y = check_labels(y, x.shape[0], model.sizes[-1], yname)
        return x, y

    def _check_data(self, data, name: str) -> tuple[np.ndarray, np.ndarray]:
        if not isinstance(data, (tuple, list)) or len(data) != 2:
            raise TypeError(f"{name} must be an (X, y) tuple")
        if np.ndim(data[0]) != 2:
            raise ValueError(f"{name}[0] (X) must be 2-D (N, features), got shape "
                             f"{np.shape(data[0])}")
        return self._check_xy(data[0], data[1], f"{name}[0] (X)", f"{name}[1] (y)")

    # -- random streams and budgets ------------------------------------------------------
    def _init_streams(self, seed: int) -> None:
        if self._rng_flip is None:
            base = np.random.default_rng(self.rng if self.rng is not None else seed)
            self._rng_data, self._rng_flip = base.spawn(2)

    def _budgets(self, t: int, sizes: Sequence[int]) -> tuple[int, ...]:
        return tuple(k_schedule(t, self.T, self.k0, self.k_min, self.schedule, size=n)
                     for n in sizes)

    def k_at(self, t: int | None = None) -> tuple[int, ...]:
        """Weight budget per layer at step ``t`` (default: the current step).

        Raises
        ------
        ValueError
            Under ``"linear"`` while ``T`` is unset (no ``total_steps``, no ``fit`` yet).
        """
        s = self.model.sizes
        return self._budgets(self.t if t is None else t,
                             [i * o for i, o in zip(s[:-1], s[1:])])

    def bias_k_at(self, t: int | None = None) -> tuple[int, ...]:
        """Bias budget per layer at step ``t``: the schedule with ``resolve_k(., O_l)``."""
        return self._budgets(self.t if t is None else t, self.model.sizes[1:])

    # -- one step --------------------------------------------------------------------------
    def step(self, x: object, y: object) -> StepStats:
        """One GFT update on the batch ``(x, y)`` (spec Section 3.8).

        Parameters
        ----------
        x : array_like, shape (B, I_1)
            ±1 inputs.
        y : array_like, shape (B,)
            Class indices (multiclass) or ±1 (binary).

        Returns
        -------
        StepStats
        """
        x, y = self._check_xy(x, y, "x", "y")
        self._init_streams(0)
        return self._step(x, y)

    def _backward(self, xs: list, vs: list, y: np.ndarray) -> tuple[list, list]:
        """Error signs ``D`` and votes ``S`` of every layer, from the pre-step weights."""
        model, L = self.model, self.model.n_layers
        D: list = [None] * L
        S: list = [None] * L
        D[-1] = output_error(vs[-1], y, output=model.output, margin=int(self.margin))
        for layer in reversed(range(L)):
            S[layer] = vote(D[layer], xs[layer])
            if layer > 0:
                D[layer - 1] = propagate(D[layer], model.weights[layer], xs[layer],
                                         vs[layer - 1], gate=self.gate,
                                         tau=self._taus[layer - 1])
        return D, S

    def _update_bias(self, layer: int, Sb: np.ndarray, kb: int) -> tuple[int, int, int]:
        model = self.model
        cand = bias_candidates(Sb, model.biases[layer], model.sizes[layer])
        idx, n_c, n_sel = select_flips(np.abs(Sb), kb, self._rng_flip,
                                       p_update=self.p_update, candidates=cand)
        model.add_bias(layer, idx, bias_step(Sb)[idx])
        return n_c, n_sel, int(idx.size)

    def _step(self, x: np.ndarray, y: np.ndarray) -> StepStats:
        model, L = self.model, self.model.n_layers
        k = self.k_at()
        kb = self.bias_k_at() if model.bias else (0,) * L
        xs, vs = model._forward_all(x, self.packed)
        D, S = self._backward(xs, vs, y)
        Sb = [bias_vote(d) for d in D] if model.bias else None
        cands, sels, flips, bias_updates = [], [], [], []
        ops = OpCounts() if self.count_ops else None
        for layer in range(L):                       # input layer first (spec 3.8)
            sigma = flip_scores(model.weights[layer], S[layer])
            idx, n_c, n_sel = select_flips(sigma, k[layer], self._rng_flip,
                                           p_update=self.p_update)
            model.flip(layer, idx)
            bias_sel = self._update_bias(layer, Sb[layer], kb[layer]) if model.bias else (0,) * 3
            cands.append(n_c)
            sels.append(n_sel)
            flips.append(int(idx.size))
            bias_updates.append(bias_sel[2])
            if ops is not None:
                ops += gft_layer_ops(
                    batch=x.shape[0], fan_in=model.sizes[layer], fan_out=model.sizes[layer + 1],
                    first=layer == 0, last=layer == L - 1, bias=model.bias, gate=self.gate,
                    n_error=int(np.count_nonzero(D[layer])),
                    selection=(n_c, n_sel, int(idx.size)), bias_selection=bias_sel)
        stats = StepStats(
            t=self.t, k=tuple(k), candidates=tuple(cands), selected=tuple(sels),
            flips=tuple(flips), bias_updates=tuple(bias_updates),
            n_error_entries=int(np.count_nonzero(D[-1])),
            n_misclassified=int(np.count_nonzero(model.predict_scores(vs[-1]) != y)), ops=ops)
        self.t += 1
        self.total_flips += sum(flips)
        self.total_bias_updates += sum(bias_updates)
        return stats

    # -- evaluation --------------------------------------------------------------------------
    def _scores(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """(accuracy, fraction of flagged output entries) on validated data."""
        v = self.model._forward_all(X, self.packed)[1][-1]
        acc = float(np.mean(self.model.predict_scores(v) == y))
        D = output_error(v, y, output=self.model.output, margin=int(self.margin))
        return acc, float(np.count_nonzero(D) / D.size)

    # -- fit ---------------------------------------------------------------------------------
    def fit(self, train, val=None, *, epochs: int = 30, batch_size: int = 64, seed: int = 0,
            shuffle: bool = True, record_steps: bool = False, progress: bool = True,
            callbacks: Sequence = ()) -> History:
        """Train for ``epochs`` passes over ``train``; return the library's ``History``.

        Parameters
        ----------
        train, val : tuple (X, y)
            ``X`` ±1 ``(N, I_1)`` (binarize real data first, e.g. ``binarize(X, 0.5)``);
            ``y`` class indices, or ±1 for ``output="binary"``.
        epochs, batch_size : int
            Both >= 1. Batches are consecutive slices of the (shuffled) order.
        seed : int
            Seeds the random streams when ``rng`` is None and no stream exists yet.
        shuffle : bool
            Draw ``rng_data.permutation(N)`` at the start of every epoch.
        record_steps : bool
            Also record each epoch's ``StepStats`` list (History field ``steps``).
        progress : bool
            tqdm bar per epoch.
        callbacks : sequence
            As ``bnncore.fit``: ``on_train_begin(model)``, ``on_epoch_begin(epoch)``,
            ``on_step_end(step)`` (``step`` = global ``t`` after the step),
            ``on_epoch_end(epoch, history)``, ``on_train_end(history)``.

        Returns
        -------
        History
            Common fields: ``epoch``, ``seconds``, ``train_loss`` (GFT has no loss: it is
            the fraction of flagged output entries over the epoch,
            ``sum n_error_entries / (N * O_L)``), ``train_accuracy`` (the full training
            set after the epoch, with ``predict``), and with ``val`` ``val_accuracy`` and
            ``val_loss`` (the flagged fraction on ``val``). GFT fields: ``flips``,
            ``flips_per_layer``, ``k_end``, ``bias_updates``, ``ops`` (dict or None).
        """
        X, y = self._check_data(train, "train")
        if val is not None:
            val = self._check_data(val, "val")
        epochs = check_int(epochs, "epochs", minimum=1)
        batch_size = check_int(batch_size, "batch_size", minimum=1)
        seed = check_int(seed, "seed", minimum=0)
        n, n_out = X.shape[0], self.model.sizes[-1]
        self._init_streams(seed)
        if self.total_steps is None:
            self.T = self.t + epochs * math.ceil(n / batch_size)
        history = History()
        _callback(callbacks, "on_train_begin", self.model)
        for epoch in range(epochs):
            _callback(callbacks, "on_epoch_begin", epoch)
            start = time.perf_counter()
            order = self._rng_data.permutation(n) if shuffle else np.arange(n)
            steps = self._epoch(X, y, order, batch_size, epoch, epochs, progress, callbacks)
            record = self._epoch_record(steps, X, y, val, epoch, n * n_out)
            record["seconds"] = time.perf_counter() - start
            if record_steps:
                record["steps"] = steps
            history.record(**record)
            _callback(callbacks, "on_epoch_end", epoch, history)
        _callback(callbacks, "on_train_end", history)
        return history

    def _epoch(self, X, y, order, batch_size, epoch, epochs, progress, callbacks) -> list:
        steps = []
        bar = tqdm(range(0, X.shape[0], batch_size), desc=f"gft epoch {epoch + 1}/{epochs}",
                   disable=not progress, leave=False)
        for lo in bar:
            idx = order[lo:lo + batch_size]
            stats = self._step(X[idx], y[idx])
            steps.append(stats)
            _callback(callbacks, "on_step_end", self.t)
            bar.set_postfix(flips=sum(stats.flips), k=sum(stats.k))
        return steps

    def _epoch_record(self, steps: list, X, y, val, epoch: int, n_entries: int) -> dict:
        L = self.model.n_layers
        per_layer = [sum(s.flips[layer] for s in steps) for layer in range(L)]
        ops = None
        if self.count_ops:
            ops = OpCounts()
            for s in steps:
                ops += s.ops
        train_acc, _ = self._scores(X, y)
        record = {"epoch": epoch,
                  "train_loss": sum(s.n_error_entries for s in steps) / n_entries,
                  "train_accuracy": train_acc}
        if val is not None:
            val_acc, val_flagged = self._scores(*val)
            record.update(val_loss=val_flagged, val_accuracy=val_acc)
        record.update(flips=sum(per_layer), flips_per_layer=per_layer,
                      k_end=list(steps[-1].k),
                      bias_updates=sum(sum(s.bias_updates) for s in steps),
                      ops=None if ops is None else ops.as_dict())
        return record

    def __repr__(self) -> str:
        return (f"GFTTrainer(k0={self.k0!r}, k_min={self.k_min!r}, schedule={self.schedule!r}, "
                f"margin={self.margin}, gate={self.gate!r}, t={self.t}, T={self.T})")
