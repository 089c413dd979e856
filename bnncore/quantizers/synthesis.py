"""Synthesized pairs: pick a proximal map ``P`` and a backward quantizer ``B``, set ``F = P o B``.

docs/quantizers.md, section "Synthesized pairs". Every synthesized pair passes the factor
criterion by construction. ``ZOO`` lists the library's stand-in for the six extra PC++
instances of PC++ Figure 5 (reconstructed: that figure was not available).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .base import QuantizerPair, get

#: Reconstructed stand-in for PC++ Figure 5's six extra instances (documentation, tests).
ZOO = ("parq@clipped_ste", "parq@swishsign", "binaryrelax@approxsign",
       "binaryrelax@swishsign", "proxconnect@clipped_ste", "proxconnect@swishsign")
#: Fixed parameters of the zoo's proximal maps (their schedules would start at the identity).
ZOO_PARAMS = {"parq": {"inv_slope": 0.3}, "binaryrelax": {"theta": 0.5},
              "proxconnect": {"mu": 0.5}}


class SynthesizedPair(QuantizerPair):
    """``F(w) = P(B(w))`` with ``B``, ``B'``, ``post_step`` and ``latent_domain`` of ``backward``.

    Built by ``synthesize``; ``on_epoch`` is forwarded to both components.
    """

    def __init__(self, prox_pair: QuantizerPair | None, P: Callable, backward: QuantizerPair,
                 name: str) -> None:
        self.prox_pair, self._P, self.backward_pair, self.name = prox_pair, P, backward, name

    # descriptors follow the components' current state
    @property
    def binary(self) -> bool:
        return bool(self.prox_pair is not None and self.prox_pair.binary)

    @property
    def binary_target(self) -> bool:
        return bool(self.prox_pair is not None and self.prox_pair.binary_target)

    @property
    def elementwise(self) -> bool:
        return bool(self.backward_pair.elementwise and (
            self.prox_pair is None or self.prox_pair.elementwise))

    @property
    def forward_monotone(self) -> bool | None:
        # P is non-decreasing (a proximal map), so F is whenever B is.
        return True if self.backward_pair.nonneg_backward else None

    @property
    def nonneg_backward(self) -> bool | None:
        return self.backward_pair.nonneg_backward

    @property
    def forward_bound(self) -> float | None:
        return self.prox_pair.forward_bound if self.binary else None

    @property
    def backward_bound(self) -> float | None:
        return self.backward_pair.backward_bound

    @property
    def knots(self) -> tuple[float, ...]:
        extra = (0.0,) if self.binary and 0.0 not in self.backward_pair.knots else ()
        return tuple(self.backward_pair.knots) + extra

    @property
    def latent_domain(self) -> tuple[float, float] | None:
        return self.backward_pair.latent_domain

    def _forward(self, w):
        return self._prox(self.backward_pair._B(w))

    def _B(self, w):
        return self.backward_pair._B(w)

    def _dB(self, w):
        return self.backward_pair._dB(w)

    def _prox(self, u):
        out = np.asarray(self._P(u))
        if out.shape != u.shape:
            raise ValueError(f"{self.name}: prox returned shape {out.shape} for {u.shape}")
        return out.astype(u.dtype)

    def _deploy_scale(self, w):
        if self.prox_pair is None:
            return w.dtype.type(1)
        return self.prox_pair._deploy_scale(self.backward_pair._B(w))

    def _post_step(self, w, lr):
        return self.backward_pair._post_step(w, lr)

    def _on_epoch(self, epoch, total):
        for part in (self.prox_pair, self.backward_pair):
            if part is not None:
                part.on_epoch(epoch, total)


def synthesize(prox, backward, *, name: str | None = None) -> SynthesizedPair:
    """The PC++ recipe: ``F = P o B`` from a proximal map ``P`` and a backward quantizer ``B``.

    The six-pair zoo ``ZOO`` is reconstructed (PC++ Figure 5 was not available); see
    ``zoo()``.

    Parameters
    ----------
    prox : str, QuantizerPair or callable
        A registered name or a pair (its ``prox`` is used), or a callable ``P(u) -> ndarray``.
    backward : str or QuantizerPair
        Supplies ``B``, ``dB``, ``post_step`` and ``latent_domain``.
    name : str, optional
        Default ``"<prox name>@<backward name>"``.

    Returns
    -------
    SynthesizedPair

    Raises
    ------
    TypeError
        If ``prox`` is neither a name, a pair nor a callable, or ``backward`` is not a
        name or a pair.

    Examples
    --------
    >>> q = synthesize(get("binaryrelax", theta=0.5), "swishsign")
    >>> q.name
    'binaryrelax@swishsign'
    >>> x = np.array([-0.3, 0.0, 0.2])
    >>> bool(np.array_equal(q.forward(x), q.prox(q.B(x))))
    True
    """
    if isinstance(prox, str | QuantizerPair):
        prox_pair = get(prox)
        P, prox_name = prox_pair._prox, prox_pair.name
    elif callable(prox):
        prox_pair, P, prox_name = None, prox, getattr(prox, "__name__", "custom")
    else:
        raise TypeError(f"prox must be a registered name, a QuantizerPair or a callable, "
                        f"got {type(prox).__name__}")
    if not isinstance(backward, str | QuantizerPair):
        raise TypeError(f"backward must be a registered name or a QuantizerPair, "
                        f"got {type(backward).__name__}")
    backward = get(backward)
    return SynthesizedPair(prox_pair, P, backward, name or f"{prox_name}@{backward.name}")


def zoo() -> list[SynthesizedPair]:
    """The six ``ZOO`` pairs with fixed proximal parameters (``theta=0.5``, ``inv_slope=0.3``,
    ``mu=0.5``); reconstructed stand-in for PC++ Figure 5.

    Examples
    --------
    >>> [q.name for q in zoo()][:2]
    ['parq@clipped_ste', 'parq@swishsign']
    """
    pairs = []
    for label in ZOO:
        p, b = label.split("@")
        pairs.append(synthesize(get(p, **ZOO_PARAMS[p]), b))
    return pairs
