"""Stochastic gradient descent with momentum and Nesterov (PyTorch's conventions)."""

from __future__ import annotations

import numpy as np

from .._validation import check_positive
from .base import Optimizer


class SGD(Optimizer):
    """``buf = momentum * buf + g``; ``w -= lr * (g + momentum * buf if nesterov else buf)``.

    Parameters
    ----------
    params : iterable of Parameter
    lr : float
    momentum : float
        In ``[0, 1)``.
    weight_decay : float
    nesterov : bool
    transforms : sequence of callables
        Gradient transforms (e.g. ``[AGS(), SAD()]``) run before the update.

    Examples
    --------
    >>> import numpy as np
    >>> from bnncore.params import Parameter
    >>> p = Parameter(np.array([1.0]))
    >>> p.grad[:] = 2.0
    >>> SGD([p], lr=0.1).step()
    >>> p.data
    array([0.8])
    """

    def __init__(self, params, lr: float, momentum: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False, transforms=()) -> None:
        super().__init__(params, lr, weight_decay, transforms)
        self.momentum = check_positive(momentum, "momentum", allow_zero=True)
        if self.momentum >= 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")
        if nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0")
        self.nesterov = bool(nesterov)

    def _update(self, p, g, state):
        if self.momentum:
            buf = self._zeros(state, "momentum", p.data)
            buf *= self.momentum
            buf += g
            g = g + self.momentum * buf if self.nesterov else buf
        p.data -= np.multiply(self.lr, g, out=self._work(state, "_step", g))   # lr * g
