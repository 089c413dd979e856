"""Silence Awareness Decaying (SAD), OvSW's second gradient transform (docs/ovsw.md, "SAD").

SAD runs after AGS in the optimizer's ``transforms=``: it tracks the sign flips of each
binarized weight with an EMA (``bnncore.flips.update_flip_ema``) and adds ``gamma * w`` to
the gradient of the weights that have not flipped recently ("silent"), pulling them toward
zero, where gradient noise can flip them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._validation import check_finite, check_positive
from ..flips import (
    check_explicit_params,
    check_init,
    check_momentum,
    select_targets,
    sign_flips,
    update_flip_ema,
)
from ..params import Parameter
from .base import checked_grad

__all__ = ["SAD"]


class SAD:
    """Silence Awareness Decaying: extra L2 decay on weights that have not flipped recently.

    Per targeted parameter, at each call (after backward and AGS, before the step;
    docs/ovsw.md, "SAD")::

        f      = 1[sign(w) != sign(w_prev)]       flips made by the previous step
        s      = m * s + (1 - m) * f              flip-rate EMA, float64
        silent = s < threshold
        g     <- g + gamma * silent * w
        w_prev <- w

    The state is created at the first call that sees a parameter (``s = 0`` or ``1``,
    ``w_prev = w``, so that call sees no flip). With ``init="zeros"`` every weight is silent
    until its first flip, and a flipped weight becomes silent again after 2302 calls without
    a flip; runs shorter than that decay exactly the never-flipped weights.

    Parameters
    ----------
    gamma : float
        Decay coefficient, finite and >= 0 (0: pure tracking, gradients untouched).
        1e-2 for digits, 9e-4 CIFAR-10, 2e-5 ImageNet.
    momentum : float
        EMA momentum ``m`` in (0, 1).
    threshold : float
        ``sigma``: a weight is silent when ``s < sigma`` (finite, > 0).
    init : {"zeros", "ones"}
        Initial EMA; ``"ones"`` delays silence by about 9206 calls (a warm-up).
    params : sequence of Parameter, optional
        Target exactly these (each ``ndim >= 2`` with a quantizer); default: every
        binarized weight among the parameters the optimizer passes in.

    Attributes
    ----------
    silent_log : list of float
        Per call: the fraction of targeted weights that are silent.
    flip_log : list of int
        Per call: the number of flips detected.

    Examples
    --------
    >>> from bnncore.params import Parameter
    >>> from bnncore import quantizers
    >>> p = Parameter(np.array([[1.0, -2.0]]), "w", quantizers.get("ste"))
    >>> sad = SAD(gamma=0.5)
    >>> sad([p])                        # first call: no flip seen, every weight is silent
    >>> p.grad
    array([[ 0.5, -1. ]])
    >>> p.data[0, 0] = -1.0             # a sign change, as a step would make
    >>> p.grad[...] = 0.0
    >>> sad([p])
    >>> p.grad, sad.flip_log
    (array([[ 0., -1.]]), [0, 1])
    """

    def __init__(self, gamma: float = 1e-2, *, momentum: float = 0.999,
                 threshold: float = 1e-4, init: str = "zeros",
                 params: Sequence[Parameter] | None = None) -> None:
        self.gamma = check_positive(gamma, "gamma", allow_zero=True)
        self.momentum = check_momentum(momentum)
        self.threshold = check_positive(threshold, "threshold")
        self.init = check_init(init)
        self.params = check_explicit_params(params, "SAD")
        self.reset()

    def reset(self) -> None:
        """Forget every parameter's state and clear the logs."""
        self._ema: dict[str, np.ndarray] = {}
        self._prev: dict[str, np.ndarray] = {}
        self.silent_log: list[float] = []
        self.flip_log: list[int] = []

    def __call__(self, params: Sequence[Parameter]) -> None:
        """Update the flip EMAs and add ``gamma * w`` to the silent weights' gradients."""
        targets = select_targets(params, self.params, "SAD")
        for name, p in targets:                     # validate everything before any change
            checked_grad("SAD", name, p)
            check_finite(p.data, f"SAD: weight {name!r}")
            prev = self._prev.get(name)
            if prev is not None and prev.shape != p.data.shape:
                raise ValueError(f"SAD: parameter {name!r} changed shape from {prev.shape} "
                                 f"to {p.data.shape}; call reset() after resizing a model")
        n_silent = n_total = n_flips = 0
        for name, p in targets:
            g, w = p.grad, p.data
            flips = self._observe(name, w)
            silent = self._ema[name] < self.threshold
            if self.gamma:
                np.add(g, self.gamma * w, out=g, where=silent)   # g + gamma * silent * w
            n_flips += int(np.count_nonzero(flips))
            n_silent += int(np.count_nonzero(silent))
            n_total += silent.size
        self.silent_log.append(n_silent / n_total)
        self.flip_log.append(n_flips)

    def _observe(self, name: str, w: np.ndarray) -> np.ndarray:
        """Flip mask since the previous call, EMA update, ``w_prev <- w``."""
        prev = self._prev.get(name)
        if prev is None:
            fill = 0.0 if self.init == "zeros" else 1.0
            self._ema[name] = np.full(w.shape, fill, dtype=np.float64)
            prev = self._prev[name] = w.copy()
        flips = sign_flips(prev, w)
        update_flip_ema(self._ema[name], flips, self.momentum)
        prev[...] = w
        return flips

    def _state(self, name: str, table: dict) -> np.ndarray:
        if name not in table:
            raise KeyError(f"SAD has no state for {name!r}; known: {sorted(table)}")
        return table[name]

    def silent_mask(self, name: str) -> np.ndarray:
        """Current silent mask ``s < threshold`` of one parameter (bool, its shape)."""
        return self._state(name, self._ema) < self.threshold

    def ema(self, name: str) -> np.ndarray:
        """A copy of the current flip EMA ``s`` of one parameter (float64)."""
        return self._state(name, self._ema).copy()

    def __repr__(self) -> str:
        return (f"SAD(gamma={self.gamma}, momentum={self.momentum}, "
                f"threshold={self.threshold}, init={self.init!r})")
