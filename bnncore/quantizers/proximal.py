"""Proximal pairs with ``B = identity``: BinaryRelax, PARQ, ProxQuant, ProxConnect.

docs/quantizers.md, sections "The pairs" and "Annealing". The forward is a proximal map
``P`` (``bnncore.quantizers.proxmaps``) that anneals from the identity toward ``sign``; the
backward is the plain straight-through ``B(w) = w``. ProxQuant is the exception: it computes
with the real-valued weight and applies its proximal map in ``post_step``.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_positive
from .annealing import Annealed, check_unit, check_window, mirror_sigmoid, progress, ramp
from .base import QuantizerPair, sign
from .proxmaps import parq_map, proxconnect_map, proxquant_map, relax_map


class _ProxPair(Annealed, QuantizerPair):
    """``F = P``, ``B(w) = w``, ``B' = 1``, ``prox = P``; subclasses define ``_P`` and ``hard``."""

    binary_target = True
    forward_monotone = True
    nonneg_backward = True
    backward_bound = 1.0

    @property
    def hard(self) -> bool:
        raise NotImplementedError

    @property
    def binary(self) -> bool:
        return self.hard

    def _forward(self, w):
        return sign(w) if self.hard else self._P(w)

    _prox = _forward

    def _B(self, w):
        return w.copy()

    def _dB(self, w):
        return np.ones_like(w)


class BinaryRelax(_ProxPair):
    """BinaryRelax: ``F_th(w) = (1 - th) w + th sign(w)``, ``B(w) = w``, ``P = F_th``.

    ``th = ramp(p)`` rises linearly from 0 (identity) to 1 (``sign``) over the anneal window
    (a library choice: ``[0, 0.75]`` of training); the pair is hard from there on.

    Parameters
    ----------
    anneal_start, anneal_end : float
        The window in progress units, ``0 <= anneal_start < anneal_end <= 1``.
    theta : float, optional
        A fixed ``th`` in ``[0, 1]``; disables the schedule.
    epoch, total : int, optional
        Replay ``on_epoch(epoch, total)``.

    Examples
    --------
    >>> q = BinaryRelax(theta=0.5)
    >>> q.forward(np.array([-2.0, 0.0, 0.3]))
    array([-1.5 ,  0.5 ,  0.65])
    >>> q = BinaryRelax()
    >>> q.on_epoch(8, 10)
    >>> q.binary, q.forward(np.array([-0.3, 0.2]))
    (True, array([-1.,  1.]))
    """

    name = "binaryrelax"
    knots = (0.0,)
    schedule_attr = "theta"

    def __init__(self, anneal_start: float = 0.0, anneal_end: float = 0.75,
                 theta: float | None = None, *, epoch: int | None = None,
                 total: int | None = None) -> None:
        self.anneal_start, self.anneal_end = check_window(anneal_start, anneal_end)
        self.theta_fixed = None if theta is None else check_unit(theta, "theta")
        self.theta = 0.0 if theta is None else self.theta_fixed
        self._restore(epoch, total)

    @property
    def hard(self) -> bool:
        return self.theta == 1.0

    def _anneal(self, epoch, total):
        if self.theta_fixed is None:
            self.theta = ramp(progress(epoch, total), self.anneal_start, self.anneal_end)

    def _P(self, u):
        return relax_map(u, self.theta)

    def hyperparams(self) -> dict:
        return {"anneal_start": self.anneal_start, "anneal_end": self.anneal_end,
                "theta": self.theta_fixed, **self._state_params()}


class PARQ(_ProxPair):
    """PARQ's piecewise-affine map: ``F_s(w) = clip(w / s, -1, 1)`` (``F_0 = sign``), ``B(w) = w``.

    The inverse slope ``s`` follows PARQ's normalized mirror sigmoid from 1 to 0 over the
    anneal window (a library choice: ``[0, 0.75]``) and is 0 (hard) afterwards.

    Parameters
    ----------
    anneal_start, anneal_end : float
        The window, ``0 <= anneal_start < anneal_end <= 1``.
    steepness : float
        ``S`` of the mirror sigmoid (finite, > 0).
    center : float
        ``C`` of the mirror sigmoid, in ``[0, 1]``.
    inv_slope : float, optional
        A fixed ``s`` in ``[0, 1]``; disables the schedule.
    epoch, total : int, optional
        Replay ``on_epoch(epoch, total)``.

    Examples
    --------
    >>> PARQ(inv_slope=0.3).forward(np.array([-2.0, 0.15, 0.0]))
    array([-1. ,  0.5,  0. ])
    """

    name = "parq"
    schedule_attr = "inv_slope"
    schedule_direction = -1

    def __init__(self, anneal_start: float = 0.0, anneal_end: float = 0.75,
                 steepness: float = 10.0, center: float = 0.5, inv_slope: float | None = None,
                 *, epoch: int | None = None, total: int | None = None) -> None:
        self.anneal_start, self.anneal_end = check_window(anneal_start, anneal_end)
        self.steepness = check_positive(steepness, "steepness")
        self.center = check_unit(center, "center")
        self.inv_slope_fixed = None if inv_slope is None else check_unit(inv_slope, "inv_slope")
        self.inv_slope = 1.0 if inv_slope is None else self.inv_slope_fixed
        self._restore(epoch, total)

    @property
    def hard(self) -> bool:
        return self.inv_slope == 0.0

    @property
    def forward_bound(self) -> float:
        return 1.0

    @property
    def knots(self) -> tuple[float, ...]:
        s = self.inv_slope
        return (0.0,) if s == 0 else (-s, s)

    def _anneal(self, epoch, total):
        if self.inv_slope_fixed is not None:
            return
        p, a, b = progress(epoch, total), self.anneal_start, self.anneal_end
        if p < a:
            self.inv_slope = 1.0
        elif p < b:
            self.inv_slope = mirror_sigmoid((p - a) / (b - a), self.steepness, self.center)
        else:
            self.inv_slope = 0.0

    def _P(self, u):
        return parq_map(u, self.inv_slope)

    def hyperparams(self) -> dict:
        return {"anneal_start": self.anneal_start, "anneal_end": self.anneal_end,
                "steepness": self.steepness, "center": self.center,
                "inv_slope": self.inv_slope_fixed, **self._state_params()}


class ProxConnect(_ProxPair):
    """ProxConnect with the reconstructed map ``L(w; mu, rho, varrho)``; ``B(w) = w``.

    The map is reconstructed: the definition of ``L^varrho_rho`` (ProxConnect eq. 13, PC++
    Figure 4) was not available; ``L`` is the exact proximal map of ``rho dist(z, Q) + (varrho/2)
    dist(z, Q)^2`` (``bnncore.quantizers.proxmaps.proxconnect_map``). ``mu = mu_max *
    ramp(p)`` grows from 0 (identity) over the anneal window; the pair is hard (``sign``)
    once ``p >= anneal_end``.

    Parameters
    ----------
    rho, varrho, mu_max : float
        Finite and >= 0.
    anneal_start, anneal_end : float
        The window, ``0 <= anneal_start < anneal_end <= 1``.
    mu : float, optional
        A fixed ``mu >= 0``; disables the schedule (the pair is then never hard).
    epoch, total : int, optional
        Replay ``on_epoch(epoch, total)``.

    Examples
    --------
    >>> ProxConnect(mu=0.5).forward(np.array([-2.0, 0.0, 0.3]))
    array([-1.33333333,  0.66666667,  0.86666667])
    """

    name = "proxconnect"
    schedule_attr = "mu"

    def __init__(self, rho: float = 1.0, varrho: float = 1.0, mu_max: float = 1.0,
                 anneal_start: float = 0.0, anneal_end: float = 0.75, mu: float | None = None,
                 *, epoch: int | None = None, total: int | None = None) -> None:
        self.rho = check_positive(rho, "rho", allow_zero=True)
        self.varrho = check_positive(varrho, "varrho", allow_zero=True)
        self.mu_max = check_positive(mu_max, "mu_max", allow_zero=True)
        self.anneal_start, self.anneal_end = check_window(anneal_start, anneal_end)
        self.mu_fixed = None if mu is None else check_positive(mu, "mu", allow_zero=True)
        self.mu = 0.0 if mu is None else self.mu_fixed
        self._hard = False
        self._restore(epoch, total)

    @property
    def hard(self) -> bool:
        return self._hard

    @property
    def forward_bound(self) -> float | None:
        return 1.0 if self._hard else None

    @property
    def knots(self) -> tuple[float, ...]:
        if self._hard:
            return (0.0,)
        t = self.mu * self.rho
        return (0.0, -1.0 - t, -1.0 + t, 1.0 - t, 1.0 + t)

    def _anneal(self, epoch, total):
        if self.mu_fixed is not None:
            return
        p = progress(epoch, total)
        self.mu = self.mu_max * ramp(p, self.anneal_start, self.anneal_end)
        self._hard = p >= self.anneal_end

    def _P(self, u):
        return proxconnect_map(u, self.mu, self.rho, self.varrho)

    def hyperparams(self) -> dict:
        return {"rho": self.rho, "varrho": self.varrho, "mu_max": self.mu_max,
                "anneal_start": self.anneal_start, "anneal_end": self.anneal_end,
                "mu": self.mu_fixed, **self._state_params()}


class ProxQuant(Annealed, QuantizerPair):
    """ProxQuant: compute with the real weight, then a proximal step toward ``{-1, +1}``.

    Before the freeze ``F = B = identity`` and ``post_step(w, lr) = clip(P_PQ(w; lr * lam),
    -1, 1)`` with ``lam = reg_rate * epoch``. From epoch ``e_freeze = floor(freeze_frac *
    total + 1/2)`` on (if ``< total``) the pair is frozen: ``F = sign``, ``B = B' = 0`` and
    ``post_step`` returns ``sign(w)``, so the signs no longer change. Frozen ProxQuant has no
    PC++ factorization (``prox`` raises ``NotImplementedError``).

    Parameters
    ----------
    reg_rate : float
        ``lam`` grows by this much per epoch (finite, >= 0).
    freeze_frac : float
        In ``(0, 1]``; 1.0 never freezes.
    lam : float, optional
        A fixed ``lam >= 0`` (the freeze still applies).
    epoch, total : int, optional
        Replay ``on_epoch(epoch, total)``.

    Examples
    --------
    >>> q = ProxQuant(lam=0.3)
    >>> q.post_step(np.array([-2.0, 0.0, 0.5]), lr=1.0)
    array([-1. ,  0.3,  0.8])
    >>> q.on_epoch(7, 10)
    >>> q.frozen, q.forward(np.array([-0.2, 0.4]))
    (True, array([-1.,  1.]))
    """

    name = "proxquant"
    binary_target = True
    forward_monotone = True
    nonneg_backward = True
    latent_domain = (-1.0, 1.0)
    schedule_attr = "lam"

    def __init__(self, reg_rate: float = 1e-4, freeze_frac: float = 2 / 3,
                 lam: float | None = None, *, epoch: int | None = None,
                 total: int | None = None) -> None:
        self.reg_rate = check_positive(reg_rate, "reg_rate", allow_zero=True)
        self.freeze_frac = check_positive(freeze_frac, "freeze_frac")
        if self.freeze_frac > 1:
            raise ValueError(f"freeze_frac must be in (0, 1], got {self.freeze_frac}")
        self.lam_fixed = None if lam is None else check_positive(lam, "lam", allow_zero=True)
        self.lam = 0.0 if lam is None else self.lam_fixed
        self.frozen = False
        self._restore(epoch, total)

    @staticmethod
    def freeze_epoch(total: int, freeze_frac: float = 2 / 3) -> int:
        """``floor(freeze_frac * total + 1/2)``; no freeze happens if this is ``>= total``."""
        return math.floor(freeze_frac * total + 0.5)

    @classmethod
    def reg_rate_for_budget(cls, budget: float, lr: float, steps_per_epoch: float,
                            total: int, freeze_frac: float = 2 / 3) -> float:
        """The ``reg_rate`` whose summed prox strength ``sum_t lr * lam_e(t)`` is ``budget``.

        ``budget / (lr * steps_per_epoch * e_freeze (e_freeze - 1) / 2)`` (a library choice;
        the source's budget is about 7.8).

        Examples
        --------
        >>> round(ProxQuant.reg_rate_for_budget(8.0, 1e-3, 22, 30), 6)
        1.913876
        """
        values = {"budget": budget, "lr": lr, "steps_per_epoch": steps_per_epoch,
                  "total": total, "freeze_frac": freeze_frac}
        for name, value in values.items():
            check_positive(value, name)
        e_freeze = cls.freeze_epoch(total, freeze_frac)
        if e_freeze <= 1:
            raise ValueError(f"the freeze epoch is {e_freeze} (total={total}, "
                             f"freeze_frac={freeze_frac}): no epoch with lam > 0 before it")
        return budget / (lr * steps_per_epoch * e_freeze * (e_freeze - 1) / 2)

    @property
    def binary(self) -> bool:
        return self.frozen

    @property
    def forward_bound(self) -> float | None:
        return 1.0 if self.frozen else None

    @property
    def backward_bound(self) -> float:
        return 0.0 if self.frozen else 1.0

    @property
    def knots(self) -> tuple[float, ...]:
        return (0.0,) if self.frozen else ()

    def _anneal(self, epoch, total):
        self.lam = self.lam_fixed if self.lam_fixed is not None else self.reg_rate * epoch
        e_freeze = self.freeze_epoch(total, self.freeze_frac)
        self.frozen = e_freeze < total and epoch >= e_freeze

    def _forward(self, w):
        return sign(w) if self.frozen else w.copy()

    def _B(self, w):
        return np.zeros_like(w) if self.frozen else w.copy()

    def _dB(self, w):
        return np.zeros_like(w) if self.frozen else np.ones_like(w)

    def _prox(self, u):
        if self.frozen:
            raise NotImplementedError(f"{self.name} has no PC++ factorization (frozen)")
        return u.copy()

    def _post_step(self, w, lr):
        if self.frozen:
            return sign(w)
        return np.clip(proxquant_map(w, lr * self.lam), -1.0, 1.0)

    def hyperparams(self) -> dict:
        return {"reg_rate": self.reg_rate, "freeze_frac": self.freeze_frac,
                "lam": self.lam_fixed, **self._state_params()}
