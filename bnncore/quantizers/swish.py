"""SignSwish pairs: ``swishsign`` / ``bnn+`` (sign forward) and ``bnn++`` (SignSwish both ways).

docs/quantizers.md, sections "SignSwish" and "SignSwish in float32". ``SS_beta`` is
written in a form that is finite, warning-free and accurate in float32 and float64 for
every finite input:

    z = beta * clip(x, -100/beta, 100/beta)      t = tanh(z / 2)
    e = exp(-|z|)                                  s = 1 - t^2 = 4 e / (1 + e)^2
    SS_beta(x)  = t + (z/2) s
    SS_beta'(x) = beta s (1 - (z/2) t)

(the clip is exact in float64: ``tanh(50) == 1.0``). ``s`` is never computed as
``1 - t*t``: in float32 ``t`` rounds to 1 once ``|z| > ~7`` and the difference loses every
digit (the gradient came out up to 13x too large in the tails). ``SS`` is odd and not
monotone: it peaks at ``SS_PEAK`` where ``|beta x| = SS_PEAK_Z``, and ``SS' < 0`` beyond
that point.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_positive
from .annealing import Annealed, geometric, progress
from .base import QuantizerPair, sign

#: ``|beta x|`` where ``SS'`` changes sign (the peak of ``SS``).
SS_PEAK_Z = 2.399357280515468
#: ``max SS_beta`` (any beta).
SS_PEAK = 1.1996786402577337
#: ``min SS_beta' / beta``, reached at ``|beta x| = SS_MIN_GRAD_Z``.
SS_MIN_GRAD = -0.07382874639978465
SS_MIN_GRAD_Z = 3.4358407803522115
#: ``beta x`` where ``SS_beta(x) = 1``.
SS_ONE_Z = 1.2784645427610737


def _zts(x: np.ndarray, beta: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``z``, ``t = tanh(z/2)`` and ``s = 1 - t^2`` computed without cancellation."""
    z = beta * np.clip(x, -100.0 / beta, 100.0 / beta)
    e = np.exp(-np.abs(z))
    return z, np.tanh(z / 2), 4 * e / ((1 + e) * (1 + e))


def signswish(x: np.ndarray, beta: float) -> np.ndarray:
    """``SS_beta(x)``, the SignSwish function, in ``x``'s dtype.

    Examples
    --------
    >>> signswish(np.array([0.0, 0.2, 1.0]), 5.0)
    array([0.        , 0.85534102, 1.05309486])
    """
    z, t, s = _zts(x, beta)
    return t + (z / 2) * s


def signswish_grad(x: np.ndarray, beta: float) -> np.ndarray:
    """``SS_beta'(x)``, the derivative of ``signswish``, in ``x``'s dtype.

    Examples
    --------
    >>> signswish_grad(np.array([0.0, 0.2]), 5.0)
    array([5.        , 3.02366119])
    """
    z, t, s = _zts(x, beta)
    return beta * s * (1 - (z / 2) * t)


def _check_beta(value: object, name: str) -> float:
    return check_positive(value, name)


class SwishSign(QuantizerPair):
    """``F = sign``, ``B = SS_beta``, ``B' = SS_beta'``, ``P = sign`` (BNN+, Larq swish_sign).

    Registered as ``swishsign`` and as ``bnn+`` (same class and formulas). ``B'`` is
    negative for ``|beta w| > 2.3994``: there the latent moves against the gradient.

    Parameters
    ----------
    beta : float
        Finite and > 0 (default 5.0); constant.

    Examples
    --------
    >>> q = SwishSign()
    >>> q.forward(np.array([-0.2, 0.0, 0.2]))
    array([-1.,  1.,  1.])
    >>> q.dB(np.array([0.0, 0.2]))
    array([5.        , 3.02366119])
    """

    name = "swishsign"
    binary = True
    binary_target = True
    forward_monotone = True
    nonneg_backward = False
    forward_bound = 1.0
    knots = (0.0,)

    def __init__(self, beta: float = 5.0) -> None:
        self.beta = _check_beta(beta, "beta")

    @property
    def backward_bound(self) -> float:
        return self.beta

    def _forward(self, w):
        return sign(w)

    def _B(self, w):
        return signswish(w, self.beta)

    def _dB(self, w):
        return signswish_grad(w, self.beta)

    def _prox(self, u):
        return sign(u)

    def hyperparams(self) -> dict:
        return {"beta": self.beta}


class BNNPlusPlus(Annealed, QuantizerPair):
    """BNN++: ``F = B = SS_beta``, ``B' = SS_beta'``, ``P = identity`` (PC++ with ``r = 0``).

    Exact backpropagation through the smooth quantizer ``SS_beta``; deployment uses
    ``sign(w)``. The pairing is the PC++ paper's; the ``beta`` schedule is reconstructed
    (the paper's schedule was not available): ``beta`` grows geometrically,
    ``beta_e = beta_start * (beta_end / beta_start) ** p_e`` with ``p_e = e / max(total-1, 1)``,
    so that the training forward approaches ``sign`` by the end of training.

    Parameters
    ----------
    beta : float
        Start value ``beta_start`` (finite, > 0).
    beta_end : float or None
        Value at the last epoch; None keeps ``beta`` constant.
    epoch, total : int, optional
        Replay ``on_epoch(epoch, total)`` (written by ``hyperparams()``).

    Attributes
    ----------
    beta : float
        The current value; ``beta_start`` and ``beta_end`` store the schedule.

    Examples
    --------
    >>> q = BNNPlusPlus()
    >>> q.forward(np.array([0.0, 0.2]))
    array([0.        , 0.85534102])
    >>> q.on_epoch(9, 10)
    >>> q.beta
    100.0
    >>> q.deploy(np.array([-0.01, 0.0]))
    array([-1.,  1.])
    """

    name = "bnn++"
    binary = False
    binary_target = True
    forward_monotone = False
    nonneg_backward = False
    forward_bound = SS_PEAK
    knots = ()
    schedule_attr = "beta"

    def __init__(self, beta: float = 5.0, beta_end: float | None = 100.0, *,
                 epoch: int | None = None, total: int | None = None) -> None:
        self.beta_start = _check_beta(beta, "beta")
        self.beta_end = None if beta_end is None else _check_beta(beta_end, "beta_end")
        self.beta = self.beta_start
        self._restore(epoch, total)

    @property
    def backward_bound(self) -> float:
        return self.beta

    def _anneal(self, epoch, total):
        if self.beta_end is not None:
            self.beta = geometric(self.beta_start, self.beta_end, progress(epoch, total))

    def _forward(self, w):
        return signswish(w, self.beta)

    _B = _forward

    def _dB(self, w):
        return signswish_grad(w, self.beta)

    def _prox(self, u):
        return u.copy()

    def hyperparams(self) -> dict:
        return {"beta": self.beta_start, "beta_end": self.beta_end, **self._state_params()}
