"""``Optimizer``: the update loop every method shares (transforms -> update -> post_step).

One ``step()`` (docs/ovsw.md, section "Which parameters, and when"):

1. every gradient transform ``tr(params)`` rewrites ``p.grad`` in place (AGS, SAD, ...);
2. the optimizer's own rule updates ``p.data`` (weight decay, momentum, Adam moments);
3. ``p.data[...] = p.quantizer.post_step(p.data, lr)`` for quantized parameters
   (latent clip of ``bnn``, ProxQuant's prox; a copy for most pairs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

from .._scratch import reusable
from .._validation import check_finite, check_positive
from ..params import Parameter


class Optimizer:
    """Base class: subclasses implement ``_update(p, grad, state)``.

    Parameters
    ----------
    params : iterable of Parameter
    lr : float
        Learning rate, finite and > 0; schedules change ``optimizer.lr`` between epochs.
    weight_decay : float
        L2 coefficient added to the gradient after the transforms (``g + wd * w``).
    transforms : sequence of callables
        Gradient transforms ``tr(params) -> None`` run first in every ``step``.
    """

    def __init__(self, params: Iterable[Parameter], lr: float, weight_decay: float = 0.0,
                 transforms: Sequence[Callable] = ()) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError("params is empty: the optimizer has nothing to update")
        for i, p in enumerate(self.params):
            if not isinstance(p, Parameter):
                raise TypeError(f"params[{i}] must be a Parameter, got {type(p).__name__}")
        self.lr = lr
        self.initial_lr = self.lr
        self.weight_decay = check_positive(weight_decay, "weight_decay", allow_zero=True)
        self.transforms = list(transforms)
        for i, tr in enumerate(self.transforms):
            if not callable(tr):
                raise TypeError(f"transforms[{i}] must be callable, got {tr!r}")
        self.state: list[dict] = [{} for _ in self.params]

    @property
    def lr(self) -> float:
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = check_positive(value, "lr")

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero."""
        for p in self.params:
            p.zero_grad()

    def step(self) -> None:
        """Apply transforms, the update rule and the quantizers' ``post_step``."""
        for tr in self.transforms:
            tr(self.params)
        for p, state in zip(self.params, self.state):
            g = p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            self._update(p, g, state)
            if p.quantizer is not None and p.quantizer.has_post_step:
                p.data[...] = p.quantizer.post_step(p.data, self.lr)

    def _update(self, p: Parameter, grad: np.ndarray, state: dict) -> None:
        raise NotImplementedError

    @staticmethod
    def _zeros(state: dict, key: str, like: np.ndarray) -> np.ndarray:
        if key not in state:
            state[key] = np.zeros_like(like)
        return state[key]

    @staticmethod
    def _work(state: dict, key: str, like: np.ndarray) -> np.ndarray:
        """A work array of ``like``'s shape and dtype kept in ``state`` across steps, so
        that updates allocate nothing (uninitialised; not part of the optimizer's state)."""
        return reusable(state, key, like.shape, like.dtype)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr}, n_params={len(self.params)})"


def checked_grad(owner: str, name: str, p: Parameter) -> np.ndarray:
    """``p.grad`` for a gradient transform: present, of ``p``'s shape and finite.

    ``owner`` (``"AGS"``, ``"SAD"``) and ``name`` (the target's name) go into the messages.

    Examples
    --------
    >>> p = Parameter(np.ones((2, 2)), "w")
    >>> checked_grad("AGS", "w", p)
    array([[0., 0.],
           [0., 0.]])
    """
    g = p.grad
    if g is None:
        raise ValueError(f"{owner}: parameter {name!r} has no gradient (grad is None)")
    if g.shape != p.data.shape:
        raise ValueError(f"{owner}: parameter {name!r} has grad of shape {g.shape} "
                         f"but data of shape {p.data.shape}")
    check_finite(g, f"{owner}: gradient of {name!r}")
    return g
