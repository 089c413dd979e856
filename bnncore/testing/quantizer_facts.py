"""What the property checks know of the 13 registered quantizer pairs.

``REGISTERED_CLASSES`` maps each canonical name to its class, ``values_at_zero(pair)``
gives ``F(0), B(0), B'(0)`` (the table in docs/quantizers.md, "Testing your own pair"), and
``special_values(pair)`` the inputs where a pair changes behaviour. Used by
``bnncore.testing.quantizer_checks`` and ``bnncore.testing.strategies``; NumPy only.

Examples
--------
>>> from bnncore import quantizers
>>> values_at_zero(quantizers.get("approxsign"))
(1.0, 0.0, 2.0)
>>> is_registered(quantizers.get("bnn+")), special_values()
(True, [0.0, -0.0, 1.0, -1.0])
"""

from __future__ import annotations

from .. import quantizers as Q

__all__ = ["REGISTERED_CLASSES", "is_registered", "special_values", "values_at_zero"]

REGISTERED_CLASSES = {
    "identity": Q.Identity, "ste": Q.STE, "clipped_ste": Q.ClippedSTE, "bnn": Q.BNN,
    "approxsign": Q.ApproxSign, "swishsign": Q.SwishSign, "bnn+": Q.SwishSign,
    "bnn++": Q.BNNPlusPlus, "dorefa": Q.DoReFa, "binaryrelax": Q.BinaryRelax,
    "parq": Q.PARQ, "proxquant": Q.ProxQuant, "proxconnect": Q.ProxConnect}


def is_registered(pair) -> bool:
    """A registered pair: its name is one of the 13 canonical names, with that name's class."""
    return type(pair) is REGISTERED_CLASSES.get(getattr(pair, "name", None))


def special_values(pair=None) -> list[float]:
    """Inputs where pairs change behaviour: 0, -0.0, +-1, knots, clip and SignSwish points."""
    vals = [0.0, -0.0, 1.0, -1.0]
    if pair is not None:
        vals += [float(k) for k in getattr(pair, "knots", ())]
        for attr in ("clip_value", "inv_slope"):
            if getattr(pair, attr, None):
                vals += [getattr(pair, attr), -getattr(pair, attr)]
        if getattr(pair, "beta", None):
            vals += [Q.swish.SS_PEAK_Z / pair.beta, -Q.swish.SS_PEAK_Z / pair.beta]
    return [v for v in vals if abs(v) <= 1e3]


def values_at_zero(pair) -> tuple[float, float, float]:
    """``F(0), B(0), B'(0)`` of a registered pair in its current state."""
    n = pair.name
    if n == "identity":
        return 0.0, 0.0, 1.0
    if n in ("ste", "clipped_ste", "bnn"):
        return 1.0, 0.0, 1.0
    if n == "approxsign":
        return 1.0, 0.0, 2.0
    if n in ("swishsign", "bnn+"):
        return 1.0, 0.0, pair.beta
    if n == "bnn++":
        return 0.0, 0.0, pair.beta
    if n == "dorefa":
        if pair.k == 1:   # E of an all-zero tensor is 0
            return (pair.scale if isinstance(pair.scale, float) else 0.0), 0.0, 1.0
        return 1 / pair.n, 0.0, 1 / (pair.m or 1.0)
    if n == "binaryrelax":
        return pair.theta, 0.0, 1.0
    if n == "parq":
        return float(pair.hard), 0.0, 1.0
    if n == "proxquant":
        return (1.0, 0.0, 0.0) if pair.frozen else (0.0, 0.0, 1.0)
    if pair.hard:          # proxconnect; (min(mu rho, 1) + mu varrho) / (1 + mu varrho)
        return 1.0, 0.0, 1.0
    lam, a = pair.mu * pair.rho, pair.mu * pair.varrho
    return (min(lam, 1.0) + a) / (1.0 + a), 0.0, 1.0
