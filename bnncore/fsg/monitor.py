"""Checks and per-iteration diagnostics of ``FSGTrainer``.

The settings' rules (``check_settings``), the ``ste`` probe of the binarized weights
(docs/fsg.md, "One training iteration": ``p.grad`` must hold the raw ``dL/dwq``) and the
``fsg_*`` History fields (docs/fsg.md, "Reconstructed choices").
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .._validation import check_int, check_positive
from .nets import ACTIVATIONS, LAYOUTS

__all__ = ["FSG_FAMILY", "METHODS", "check_settings", "check_ste", "diagnostics"]

METHODS = ("fsg", "fast_only", "slow_only", "ste", "fc_grad", "multifc")
FSG_FAMILY = ("fsg", "fast_only", "slow_only")
_DEFAULT_ALPHA = {"fsg": 0.9, "fast_only": 0.0, "slow_only": 1.0}


def _check_alpha(alpha, method: str) -> float | None:
    """``alpha`` for ``method``: None gives the method's value; a contradiction raises."""
    if alpha is not None:
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
            raise TypeError(f"alpha must be a real number in [0, 1], got {alpha!r}")
        alpha = float(alpha)
        if not (math.isfinite(alpha) and 0.0 <= alpha <= 1.0):
            raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    if method not in _DEFAULT_ALPHA:
        if alpha is not None:
            raise ValueError(f"alpha does not apply to method={method!r} (it has no slow/fast "
                             f"combination); leave it at None")
        return None
    if alpha is None:
        return _DEFAULT_ALPHA[method]
    if method in ("fast_only", "slow_only") and alpha != _DEFAULT_ALPHA[method]:
        raise ValueError(f"alpha={alpha} contradicts method={method!r} "
                         f"(which fixes alpha={_DEFAULT_ALPHA[method]:g})")
    return alpha


def check_settings(o: dict) -> dict:
    """Validate and normalise the keyword arguments of ``FSGTrainer`` (a new dict).

    ``alpha`` follows ``_check_alpha``; every other setting is range- or choice-checked,
    with the argument's name in the message.
    """
    o = dict(o)
    if o["method"] not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {o['method']!r}")
    o["alpha"] = _check_alpha(o["alpha"], o["method"])
    for name in ("history_length", "d_state", "d_conv", "expand", "fast_hidden",
                 "max_scan_elements"):
        o[name] = check_int(o[name], name, minimum=1)
    for name in ("lr", "fast_lr", "slow_lr", "meta_lr", "lr_gamma"):
        o[name] = check_positive(o[name], name)
    if o["lr_step"] is not None:
        o["lr_step"] = check_int(o["lr_step"], "lr_step", minimum=1)
    choices = {"layout": LAYOUTS, "persistent_update": ("combined", "fast"),
               "task_optimizer": ("adam", "sgd"), "fast_act": ACTIVATIONS,
               "backend": ("auto", "numba", "numpy")}
    for name, allowed in choices.items():
        if o[name] not in allowed:
            raise ValueError(f"{name} must be one of {allowed}, got {o[name]!r}")
    o["sgd_momentum"] = check_positive(o["sgd_momentum"], "sgd_momentum", allow_zero=True)
    if o["sgd_momentum"] >= 1:
        raise ValueError(f"sgd_momentum must be in [0, 1), got {o['sgd_momentum']}")
    o["lre"] = bool(o["lre"])
    return o


_PROBE = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])


def _rms(arrays) -> float:
    n = sum(a.size for a in arrays)
    return float(np.sqrt(sum(float(np.sum(np.square(a, dtype=np.float64))) for a in arrays) / n))


def _cos(a_list, b_list) -> float:
    a = np.concatenate([x.ravel() for x in a_list]).astype(np.float64)
    b = np.concatenate([x.ravel() for x in b_list]).astype(np.float64)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    return 0.0 if na == 0 or nb == 0 else float(a @ b / (na * nb))


def check_ste(p, dtype) -> None:
    """``ValueError`` unless ``p.quantizer`` behaves as ``ste`` on ``[-2, -0.5, 0, 0.5, 2]``:
    forward ``[-1, -1, 1, 1, 1]`` and ``backward(w, ones) == ones`` (so that ``p.grad`` holds
    the raw ``dL/dwq`` after the task backward)."""
    q = p.quantizer
    w = _PROBE.astype(dtype)
    try:
        ok = (np.array_equal(q.forward(w), [-1, -1, 1, 1, 1])
              and np.array_equal(q.backward(w, np.ones_like(w)), np.ones_like(w)))
    except Exception:   # noqa: BLE001 - any failure of the probe means "not ste"
        ok = False
    if not ok:
        raise ValueError(f"FSG requires the 'ste' weight quantizer (sign forward, identity "
                         f"backward); got {getattr(q, 'name', q)!r} on {p.name!r}")


def diagnostics(gen: dict, g_prev, alpha, fsg_family: bool) -> tuple[float, float, float]:
    """``(rms(alpha*S), rms((1-alpha)*cal*F), cos(G, J(W)*g_prev))`` of one generation.

    Reconstructed (lets a tutorial show what each net contributes). The MetaQuant methods
    report ``(0, rms(cal*G), cos)``; methods without a generated gradient ``(0, 0, 0)``.
    """
    if gen.get("G") is None:
        return 0.0, 0.0, 0.0
    ste = [c * gp for c, gp in zip(gen["cal"], g_prev)]
    if fsg_family:
        slow = _rms([alpha * s for s in gen["S"]])
        fast = _rms([(1 - alpha) * cf for cf in gen["calF"]])
    else:
        slow, fast = 0.0, _rms([c * G for c, G in zip(gen["cal"], gen["G"])])
    return slow, fast, _cos(gen["G"], ste)
