"""``GFTTrainer``: gradient-free training of a ``FullyBinaryMLP`` (docs/gft.md, "The trainer").

GFT as reconstructed in bnncore. The paper (arXiv 2410.09734) confirms the ingredients:
no gradients, a contribution tensor whose sign checks find erroneous contributions, bit
flips of the relevant weights, top-k with probability proportional to the score and a
linearly decaying k. Its method section could not be read, so the exact rules (the
functions of ``bnncore.gft.rule``) are our designs. The trainer runs on the library's one
epoch loop (``bnncore.train.Trainer``) and only sequences the rule and keeps the books:
step counter, random streams, flip counts, operation counts.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence

import numpy as np

from .._validation import check_int, check_labels, check_pm1, check_rng
from ..train import Trainer
from .energy import OpCounts, gft_layer_ops
from .model import FullyBinaryMLP, check_binary_input
from .rule import (
    GATES,
    bias_candidates,
    bias_step,
    bias_vote,
    flip_scores,
    output_error,
    p_update_fraction,
    propagate,
    resolve_taus,
    select_flips,
    vote,
)
from .schedule import SCHEDULES, k_schedule, resolve_k
from .stats import StepStats

__all__ = ["GFTTrainer", "StepStats"]


class GFTTrainer(Trainer):
    """Gradient-free training by sign checks and bit flips (GFT as reconstructed in bnncore).

    Each step (docs/gft.md, "One step") runs the integer forward pass, flags the output scores on
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
    shuffle : bool
        ``fit`` draws ``rng_data.permutation(N)`` at the start of every epoch.
    record_steps : bool
        ``fit`` also records each epoch's ``StepStats`` list (History field ``steps``).
    margin : int
        ``kappa >= 0`` of the output error. Digits needs 16 (docs/gft.md, "Experiments").
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
        ``base = default_rng(rng)``; ``rng_data, rng_flip = base.spawn(2)``, once. None:
        the streams come from the first ``fit``'s ``seed`` (or 0 if ``step`` comes first).

    ``fit(train, val=None, *, epochs, batch_size, seed, callbacks, progress)`` is
    :meth:`bnncore.train.Trainer.fit`. ``X`` must be ±1 ``(N, I_1)`` (``binarize`` real
    data first), ``y`` class indices or ±1 (``output="binary"``). History: GFT has no loss,
    so ``train_loss`` is the mean over the epoch's batches of the fraction of flagged
    output entries (``n_error_entries / (B * O_L)``), ``train_accuracy`` the mean batch
    accuracy before each step (as for every trainer); ``val_loss`` / ``val_accuracy`` are
    :meth:`evaluate`. GFT fields: ``flips``, ``flips_per_layer``, ``k_end`` (budgets at
    the epoch's last step), ``bias_updates``, ``ops`` (dict or None) and, with
    ``record_steps``, ``steps``.

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
    >>> trainer.evaluate((X, y))["accuracy"] >= h.train_accuracy[0]
    True
    """

    def __init__(self, model: FullyBinaryMLP, *, k0: int | float = 0.001,
                 k_min: int | float = 0.0, schedule: str | Callable = "linear",
                 total_steps: int | None = None, margin: int = 0, gate: str = "none",
                 tau: Sequence[int] | None = None, packed: bool = True, p_update: float = 1.0,
                 count_ops: bool = True, shuffle: bool = True, record_steps: bool = False,
                 rng=None) -> None:
        if not isinstance(model, FullyBinaryMLP):
            raise TypeError(f"model must be a FullyBinaryMLP, got {type(model).__name__}")
        self.model = model
        self.k0, self.k_min = k0, k_min
        self.schedule = schedule
        self.total_steps = total_steps
        self.margin, self.gate, self.tau = margin, gate, tau
        self.packed, self.p_update, self.count_ops = bool(packed), p_update, bool(count_ops)
        self.shuffle, self.record_steps = bool(shuffle), bool(record_steps)
        self.rng = rng
        self._validate()
        self.t = 0
        self.total_flips = 0
        self.total_bias_updates = 0
        self.T = total_steps
        self._rng_data: np.random.Generator | None = None
        self._rng_flip: np.random.Generator | None = None
        self._epoch_steps: list[StepStats] = []

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

    def check_data(self, data, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(X, y)``: ``X`` ±1 ``(N, I_1)`` as int8, ``y`` class indices or ±1 (binary)."""
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

    def _start(self, X, y, epochs: int, batch_size: int, seed: int):
        self._init_streams(seed)
        if self.total_steps is None:
            self.T = self.t + epochs * math.ceil(X.shape[0] / batch_size)
        return self._rng_data if self.shuffle else None

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
        """One GFT update on the batch ``(x, y)`` (docs/gft.md, "One step").

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
        xs, vs = model.forward_all(x, packed=self.packed, validate=False)
        D, S = self._backward(xs, vs, y)
        Sb = [bias_vote(d) for d in D] if model.bias else None
        cands, sels, flips, bias_updates = [], [], [], []
        ops = OpCounts() if self.count_ops else None
        for layer in range(L):                       # input layer first
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

    # -- the hooks of Trainer.fit ---------------------------------------------------------
    def _start_epoch(self, epoch: int, epochs: int) -> None:
        self._epoch_steps = []

    def train_step(self, xb: np.ndarray, yb: np.ndarray) -> tuple[float, float]:
        """One :meth:`step` on a validated batch: (flagged fraction, accuracy), both pre-step."""
        stats = self._step(xb, yb)
        self._epoch_steps.append(stats)
        n = xb.shape[0]
        return (stats.n_error_entries / (n * self.model.sizes[-1]),
                (n - stats.n_misclassified) / n)

    def _end_epoch(self) -> dict:
        steps, L = self._epoch_steps, self.model.n_layers
        per_layer = [sum(s.flips[layer] for s in steps) for layer in range(L)]
        ops = None
        if self.count_ops:
            ops = OpCounts()
            for s in steps:
                ops += s.ops
        record = {"flips": sum(per_layer), "flips_per_layer": per_layer,
                  "k_end": list(steps[-1].k),
                  "bias_updates": sum(sum(s.bias_updates) for s in steps),
                  "ops": None if ops is None else ops.as_dict()}
        if self.record_steps:
            record["steps"] = steps
        return record

    def _evaluate(self, X: np.ndarray, y: np.ndarray) -> dict:
        """Accuracy and ``loss`` = the fraction of flagged output entries, on validated data."""
        v = self.model.forward_all(X, packed=self.packed, validate=False)[1][-1]
        D = output_error(v, y, output=self.model.output, margin=int(self.margin))
        return {"loss": float(np.count_nonzero(D) / D.size),
                "accuracy": float(np.mean(self.model.predict_scores(v) == y))}

    def __repr__(self) -> str:
        return (f"GFTTrainer(k0={self.k0!r}, k_min={self.k_min!r}, schedule={self.schedule!r}, "
                f"margin={self.margin}, gate={self.gate!r}, t={self.t}, T={self.T})")
