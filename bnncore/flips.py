"""Sign flips of binarized weights: the one place that decides what is binarized and counts.

A *binarized weight* is a ``Parameter`` whose quantizer has ``binary_target`` (its forward
``F`` takes the values ±1) and whose data has ``ndim >= 2`` (a weight matrix or kernel, not
a bias or a BatchNorm vector): :func:`is_binarized`. A *flip* of weight ``i`` at step ``t``
means that ``sign(w_i)`` after the step differs from ``sign(w_i)`` before it, with the
library's ``sign(0) = +1`` (:func:`sign_flips`). For a binary-target pair this is a change
of the deployed binary network.

Everything that looks at flips uses these functions: OvSW's SAD (its flip EMA,
:func:`update_flip_ema`), ``bnncore.diagnostics.FlipTracker``, ``bnncore compare`` and the
GFT baseline (:class:`FlipCounter`), and ``theory.gap``. A model that is not built from
Parameters (GFT's ``FullyBinaryMLP``, whose weights are ``int8``) takes part by defining
``binary_weights() -> list of (name, array)``; :func:`binary_tensors` reads either kind.

Examples
--------
>>> import bnncore as bc
>>> layer = bc.layers.BinaryDense(3, 2, rng=0)
>>> is_binarized(layer.weight), is_binarized(layer.bias)
(True, False)
>>> sign_flips(np.array([-0.1, 0.1, 2.0]), np.array([0.0, 0.0, -1.0]))
array([ True, False,  True])
"""

from __future__ import annotations

import numbers
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from .params import Parameter

__all__ = ["FlipCounter", "binary_tensors", "check_explicit_params", "check_init",
           "check_momentum", "is_binarized", "select_targets", "sign_flips", "update_flip_ema"]


def is_binarized(p: Parameter) -> bool:
    """Whether ``p`` is a binarized weight: a binary-target quantizer and ``ndim >= 2``.

    Examples
    --------
    >>> from bnncore.layers import BinaryDense
    >>> layer = BinaryDense(3, 2, rng=0)
    >>> is_binarized(layer.weight), is_binarized(layer.bias)
    (True, False)
    """
    q = p.quantizer
    return q is not None and bool(getattr(q, "binary_target", False)) and p.data.ndim >= 2


def check_explicit_params(params: Iterable[Parameter] | None, owner: str) -> list | None:
    """Validate an explicit ``params=[...]`` list: each entry a quantized ``ndim >= 2`` tensor.

    ``owner`` names the caller in the messages (``"AGS"``, ``"SAD"``, ...). None passes.
    """
    if params is None:
        return None
    if isinstance(params, Parameter):
        params = [params]
    params = list(params)
    if not params:
        raise ValueError(f"{owner}: params is empty; pass None to target every binarized weight")
    for i, p in enumerate(params):
        if not isinstance(p, Parameter):
            raise TypeError(f"{owner}: params[{i}] must be a Parameter, got {type(p).__name__}")
        if p.data.ndim < 2:
            raise ValueError(f"{owner}: params[{i}] ({p.name!r}) has shape {p.data.shape}; "
                             f"it works per output channel and needs a weight with ndim >= 2")
        if p.quantizer is None:
            raise ValueError(f"{owner}: params[{i}] ({p.name!r}) has no binarizer "
                             f"(quantizer is None); it applies to binarized weights only")
    return params


def select_targets(params: Sequence[Parameter], explicit: list | None,
                   owner: str) -> list[tuple[str, Parameter]]:
    """``(name, parameter)`` pairs that a transform or tracker acts on.

    ``explicit`` (already validated by :func:`check_explicit_params`) wins over ``params``,
    of which the binarized weights are taken. Empty or duplicate names become
    ``f"param{i}"``, ``i`` being the index in the list the parameter was taken from.

    Raises
    ------
    ValueError
        When no parameter is selected (naming ``owner``).
    """
    source = explicit if explicit is not None else list(params)
    chosen = [(i, p) for i, p in enumerate(source) if explicit is not None or is_binarized(p)]
    if not chosen:
        raise ValueError(f"{owner}: none of the {len(source)} parameters is a binarized weight "
                         f"(quantizer with binary_target and ndim >= 2); pass params=[...]")
    counts = Counter(p.name for _, p in chosen)
    return [(p.name if p.name and counts[p.name] == 1 else f"param{i}", p) for i, p in chosen]


def binary_tensors(model) -> list[tuple[str, np.ndarray]]:
    """The binarized tensors of ``model`` as ``(name, array)`` pairs, read now.

    ``model.binary_weights()`` when the model defines it (GFT's ``FullyBinaryMLP``);
    otherwise the data of the binarized weights among ``model.parameters()`` (an empty
    list for a float model).
    """
    if hasattr(model, "binary_weights"):
        return list(model.binary_weights())
    params = list(model.parameters())
    if not any(is_binarized(p) for p in params):
        return []
    return [(name, p.data) for name, p in select_targets(params, None, "binary_tensors")]


def sign_flips(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Boolean mask of sign changes with the library's ``sign(0) = +1``.

    Examples
    --------
    >>> sign_flips(np.array([-0.1, 0.1, 2.0]), np.array([0.0, 0.0, -1.0]))
    array([ True, False,  True])
    """
    return (before >= 0) != (after >= 0)


def update_flip_ema(ema: np.ndarray, flips: np.ndarray, momentum: float) -> None:
    """The flip-rate EMA ``s = m * s + (1 - m) * f``, in place (docs/ovsw.md, SAD).

    Examples
    --------
    >>> ema = np.zeros(2)
    >>> update_flip_ema(ema, np.array([True, False]), 0.9)
    >>> ema
    array([0.1, 0. ])
    """
    ema *= momentum
    ema[flips] += 1.0 - momentum


def check_momentum(momentum: object) -> float:
    """The EMA momentum: a real number in the open interval (0, 1)."""
    if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real):
        raise TypeError(f"momentum must be a real number, got {momentum!r}")
    momentum = float(momentum)
    if not 0.0 < momentum < 1.0:
        raise ValueError(f"momentum must be in the open interval (0, 1), got {momentum}")
    return momentum


def check_init(init: object) -> str:
    """The EMA's initial state: ``"zeros"`` (silent until the first flip) or ``"ones"``."""
    if init not in ("zeros", "ones"):
        raise ValueError(f"init must be 'zeros' or 'ones', got {init!r}")
    return str(init)


class FlipCounter:
    """Callback for any trainer's ``fit``: sign flips of the binarized weights, per step.

    After every step (``on_step_end``) the signs of :func:`binary_tensors` are compared
    with those after the previous step. Works for every method the library trains: latent
    float weights (gradient methods, FSG) and ``int8`` weights (GFT) alike.

    Attributes
    ----------
    total : int
        Flips over all steps seen (a weight that flips twice counts twice).
    per_epoch : list of int
        Flips of each finished epoch.
    steps : int
        Steps observed.
    writes : int
        Parameter writes: the number of (step, weight) pairs whose stored value changed
        at all (a latent float moved, or an integer weight was rewritten), counted the
        same way for every method. For GFT's ``int8`` weights a write is a flip.
    n_weights : int
        Number of binarized weights tracked.

    Examples
    --------
    >>> import bnncore as bc
    >>> model = bc.layers.Sequential(bc.layers.BinaryDense(4, 2, rng=0))
    >>> c = FlipCounter(); c.on_train_begin(model)
    >>> model[0].weight.data *= -1; c.on_step_end(1); c.on_epoch_end(0, None)
    >>> c.total, c.steps, c.per_epoch, c.writes
    (8, 1, [8], 8)
    """

    def __init__(self) -> None:
        self.steps = 0
        self.writes = 0
        self.per_epoch: list[int] = []
        self.n_weights = 0
        self._epoch = 0
        self._model = None

    def on_train_begin(self, model) -> None:
        self._model = model
        tensors = binary_tensors(model)
        self._signs = [a >= 0 for _, a in tensors]
        self._values = [a.copy() for _, a in tensors]
        self.n_weights = sum(a.size for _, a in tensors)

    def on_step_end(self, step: int) -> None:
        if self._model is None:
            raise RuntimeError("FlipCounter.on_step_end before on_train_begin: pass the "
                               "counter to fit(callbacks=[...])")
        for i, (_, a) in enumerate(binary_tensors(self._model)):
            now = a >= 0
            self._epoch += int(np.count_nonzero(now != self._signs[i]))
            self._signs[i] = now
            self.writes += int(np.count_nonzero(a != self._values[i]))
            self._values[i][...] = a
        self.steps += 1

    def on_epoch_end(self, epoch: int, history) -> None:
        self.per_epoch.append(self._epoch)
        self._epoch = 0

    @property
    def total(self) -> int:
        """Flips over all steps seen so far, the current epoch included."""
        return sum(self.per_epoch) + self._epoch

    def __repr__(self) -> str:
        return (f"FlipCounter(total={self.total}, steps={self.steps}, "
                f"n_weights={self.n_weights})")
