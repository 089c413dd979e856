"""User-defined pairs from plain callables (docs/quantizers.md, "The contract": user pairs).

``QuantizerPair.from_functions(F, B)`` is the public entry; it builds a ``FunctionPair``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import criteria
from .base import QuantizerPair

DESCRIPTORS = ("binary", "binary_target", "elementwise", "forward_monotone", "nonneg_backward",
               "forward_bound", "backward_bound", "knots", "latent_domain")
PROBE = (-3.0, 3.0, 601)


class FunctionPair(QuantizerPair):
    """A pair whose ``F``, ``B`` (and optionally ``dB``, ``prox``) are user callables.

    Parameters
    ----------
    F, B : callable
        ``ndarray -> ndarray`` of the same shape; outputs are cast to the input dtype.
    dB : callable, optional
        ``B'``. Default: central differences in float64,
        ``(B(x + h) - B(x - h)) / (2h)`` with ``h = 1e-6 * max(1, |x|)``.
    name : str
        Shown in messages and ``repr``.
    prox : callable, optional
        The proximal quantizer ``P`` with ``F = P o B``; without it ``prox`` raises
        ``NotImplementedError``.
    validate : bool
        Probe ``x = linspace(-3, 3, 601)`` (or 601 points of ``latent_domain`` if given):
        outputs must have the input's shape and be finite, and ``(F, B)`` must pass the
        factor criterion (``bnncore.quantizers.criteria``, ``tol = 1e-9``).
    **descriptors
        Any of ``binary``, ``binary_target``, ``elementwise``, ``forward_monotone``,
        ``nonneg_backward``, ``forward_bound``, ``backward_bound``, ``knots``,
        ``latent_domain`` (defaults: False, False, True, None, None, None, None, (), None).

    Raises
    ------
    TypeError
        If ``F``, ``B``, ``dB`` or ``prox`` is not callable (the message names it), or a
        descriptor name is unknown.
    ValueError
        If the probe finds a wrong output shape, a non-finite output, or a violation of the
        factor criterion (the message names the condition and two witness x values).

    Examples
    --------
    >>> pair = FunctionPair(lambda x: np.where(x >= 0, 1.0, -1.0), lambda x: x)
    >>> pair.forward(np.array([-0.5, 0.0]))
    array([-1.,  1.])
    >>> FunctionPair(lambda x: -np.sign(x), lambda x: x)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: custom: (F, B) fails the PC++ factor criterion: P_nondecreasing ...
    """

    def __init__(self, F: Callable, B: Callable, dB: Callable | None = None, *,
                 name: str = "custom", prox: Callable | None = None, validate: bool = True,
                 **descriptors) -> None:
        for arg, fn in (("F", F), ("B", B), ("dB", dB), ("prox", prox)):
            if fn is not None and not callable(fn):
                raise TypeError(f"{arg} must be callable, got {type(fn).__name__}")
        if F is None or B is None:
            raise TypeError(f"{'F' if F is None else 'B'} must be callable, got NoneType")
        if not isinstance(name, str) or not name:
            raise TypeError(f"name must be a non-empty string, got {name!r}")
        unknown = set(descriptors) - set(DESCRIPTORS)
        if unknown:
            raise TypeError(f"unknown descriptor(s) {sorted(unknown)}; allowed: {DESCRIPTORS}")
        self.name = name
        self._F, self._Bfn, self._dBfn, self._Pfn = F, B, dB, prox
        for key, value in descriptors.items():
            setattr(self, key, tuple(value) if key in ("knots", "latent_domain") and
                    value is not None else value)
        if validate:
            self._probe()

    # -- calling user code -----------------------------------------------------------
    def _call(self, fn: Callable, arg: str, w: np.ndarray) -> np.ndarray:
        out = np.asarray(fn(w))
        if out.shape != w.shape:
            raise ValueError(f"{self.name}: {arg} returned shape {out.shape} for an input of "
                             f"shape {w.shape}")
        return out.astype(w.dtype)   # always a new array

    def _forward(self, w):
        return self._call(self._F, "F", w)

    def _B(self, w):
        return self._call(self._Bfn, "B", w)

    def _dB(self, w):
        if self._dBfn is not None:
            return self._call(self._dBfn, "dB", w)
        x = w.astype(np.float64)
        h = 1e-6 * np.maximum(1.0, np.abs(x))
        up, down = self._call(self._Bfn, "B", x + h), self._call(self._Bfn, "B", x - h)
        return ((up - down) / (2 * h)).astype(w.dtype)

    def _prox(self, u):
        if self._Pfn is None:
            raise NotImplementedError(f"{self.name} has no PC++ factorization "
                                      f"(pass prox= to from_functions)")
        return self._call(self._Pfn, "prox", u)

    # -- validation ------------------------------------------------------------------
    def _probe(self) -> None:
        lo, hi = self.latent_domain if self.latent_domain is not None else PROBE[:2]
        x = np.linspace(lo, hi, PROBE[2])
        outs = {"F": self._forward(x), "B": self._B(x), "dB": self._dB(x)}
        if self._Pfn is not None:
            outs["prox"] = self._prox(x)
        for arg, out in outs.items():
            bad = ~np.isfinite(out)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise ValueError(f"{self.name}: {arg} is non-finite at x = {x[i]:.6g} "
                                 f"({arg}(x) = {out[i]})")
        ftol = 1e-9 * max(1.0, float(np.abs(outs["F"]).max()))
        cands, _ = criteria.factor(x, outs["F"], outs["B"], ftol)
        for cond, xb, xa, mag in cands:
            if len(xb):
                k = int(np.argmax(mag))
                raise ValueError(
                    f"{self.name}: (F, B) fails the PC++ factor criterion: {cond} at "
                    f"x = {xb[k]:.6g} and x = {xa[k]:.6g} (by {mag[k]:.3g}); there is no "
                    f"non-decreasing P with F = P o B. Pass validate=False to build it anyway.")


def _from_functions(cls, F: Callable, B: Callable, dB: Callable | None = None, *,
                    name: str = "custom", prox: Callable | None = None,
                    validate: bool = True, **descriptors) -> FunctionPair:
    """A pair from plain callables: ``F`` (forward) and ``B`` (backward quantizer).

    Reached as ``QuantizerPair.from_functions(F, B, ...)``; the arguments and the checks
    are those of :class:`FunctionPair` (docs/quantizers.md, "Is a pair a PC++ pair?").

    Examples
    --------
    >>> pair = QuantizerPair.from_functions(lambda x: np.where(x >= 0, 1.0, -1.0), np.tanh)
    >>> pair.backward(np.array([0.0]), np.array([2.0]))      # 2 * tanh'(0), central diff
    array([2.])
    """
    return FunctionPair(F, B, dB, name=name, prox=prox, validate=validate, **descriptors)


# Defined here, next to the class it builds, so that base.py does not import this module.
QuantizerPair.from_functions = classmethod(_from_functions)
