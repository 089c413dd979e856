"""Adam (Kingma & Ba) with bias correction and L2 weight decay (PyTorch's ``Adam``)."""

from __future__ import annotations

import numpy as np

from .._validation import check_positive
from .base import Optimizer


class Adam(Optimizer):
    """``m = b1 m + (1-b1) g``, ``v = b2 v + (1-b2) g^2``,
    ``w -= lr * m_hat / (sqrt(v_hat) + eps)``.

    Parameters
    ----------
    params : iterable of Parameter
    lr : float
    betas : tuple of float
        Each in ``[0, 1)``.
    eps : float
    weight_decay : float
    transforms : sequence of callables

    Examples
    --------
    >>> import numpy as np
    >>> from bnncore.params import Parameter
    >>> p = Parameter(np.array([1.0]))
    >>> p.grad[:] = 5.0
    >>> Adam([p], lr=0.1).step()   # the first Adam step moves by lr, whatever |g|
    >>> p.data.round(6)
    array([0.9])
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, transforms=()) -> None:
        super().__init__(params, lr, weight_decay, transforms)
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair, got {betas!r}")
        for i, b in enumerate(betas):
            if check_positive(b, f"betas[{i}]", allow_zero=True) >= 1:
                raise ValueError(f"betas[{i}] must be in [0, 1), got {b}")
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = check_positive(eps, "eps")

    def _update(self, p, g, state):
        b1, b2 = self.betas
        m = self._zeros(state, "m", p.data)
        v = self._zeros(state, "v", p.data)
        state["t"] = t = state.get("t", 0) + 1
        # In two work arrays (no temporaries); each line is the expression in its comment.
        a, b = self._work(state, "_a", m), self._work(state, "_b", v)
        m *= b1
        m += np.multiply(1 - b1, g, out=a)               # m = b1 m + (1 - b1) g
        v *= b2
        np.multiply(1 - b2, g, out=a)
        a *= g
        v += a                                           # v = b2 v + (1 - b2) g g
        m_hat = np.divide(m, 1 - b1 ** t, out=a)
        v_hat = np.divide(v, 1 - b2 ** t, out=b)
        denom = np.sqrt(v_hat, out=b)
        denom += self.eps                                # sqrt(v_hat) + eps
        step = np.multiply(self.lr, m_hat, out=a)
        step /= denom                                    # lr m_hat / (sqrt(v_hat) + eps)
        p.data -= step
