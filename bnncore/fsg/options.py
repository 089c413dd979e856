"""Constructor arguments of ``FSGTrainer``: the issue's spellings, ``alpha`` and range checks.

shared/spec/fsg.md "Names shared with the issue" and Section 1.9. Kept apart from the
trainer so that the rules are readable in one place.
"""

from __future__ import annotations

import math
import numbers

from .._validation import check_int, check_positive
from .nets import ACTIVATIONS, LAYOUTS

__all__ = ["METHODS", "resolve_options"]

METHODS = ("fsg", "fast_only", "slow_only", "ste", "fc_grad", "multifc")
_FLAGS_TO_METHOD = {(True, True): "fsg", (True, False): "fast_only",
                    (False, True): "slow_only", (False, False): "ste"}
_DEFAULT_ALPHA = {"fsg": 0.9, "fast_only": 0.0, "slow_only": 1.0}
DEFAULTS = {"method": "fsg", "history_length": 5, "fast_lr": 1e-2, "slow_lr": 1e-3}


def _flag(value, name: str) -> bool:
    if value is None:
        return True
    if not isinstance(value, (bool, numbers.Integral)) or value not in (0, 1):
        raise TypeError(f"{name} must be True, False or None, got {value!r}")
    return bool(value)


def _merge(canonical, issue, name: str, issue_name: str, default):
    """The issue spelling wins over a canonical argument left at its default; two different
    explicit values are an error."""
    if issue is None:
        return canonical
    if canonical != default and canonical != issue:
        raise ValueError(f"{issue_name}={issue!r} and {name}={canonical!r} disagree; give one")
    return issue


def resolve_options(o: dict) -> dict:
    """Validate and normalise the keyword arguments of ``FSGTrainer`` (a new dict)."""
    o = dict(o)
    method = o["method"]
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if o["fast"] is not None or o["slow"] is not None:
        derived = _FLAGS_TO_METHOD[(_flag(o["fast"], "fast"), _flag(o["slow"], "slow"))]
        if method not in (DEFAULTS["method"], derived):
            raise ValueError(f"method={method!r} disagrees with fast={o['fast']!r}, "
                             f"slow={o['slow']!r} (which select {derived!r})")
        method = derived
    o["method"] = method
    o["history_length"] = _merge(o["history_length"], o["history"], "history_length",
                                 "history", DEFAULTS["history_length"])
    if o["hyper_lr"] is not None:
        pair = o["hyper_lr"]
        if isinstance(pair, (str, bytes)) or not hasattr(pair, "__len__") or len(pair) != 2:
            raise ValueError(f"hyper_lr must be a pair (fast_lr, slow_lr), got {pair!r}")
        o["fast_lr"] = _merge(o["fast_lr"], pair[0], "fast_lr", "hyper_lr[0]",
                              DEFAULTS["fast_lr"])
        o["slow_lr"] = _merge(o["slow_lr"], pair[1], "slow_lr", "hyper_lr[1]",
                              DEFAULTS["slow_lr"])
    o["alpha"] = _resolve_alpha(o["alpha"], method)
    o["history_length"] = check_int(o["history_length"], "history_length", minimum=1)
    for name in ("lr", "fast_lr", "slow_lr", "meta_lr", "lr_gamma"):
        o[name] = check_positive(o[name], name)
    if o["lr_step"] is not None:
        o["lr_step"] = check_int(o["lr_step"], "lr_step", minimum=1)
    for name in ("d_state", "d_conv", "expand", "fast_hidden"):
        o[name] = check_int(o[name], name, minimum=1)
    o["max_scan_elements"] = check_int(o["max_scan_elements"], "max_scan_elements", minimum=1)
    o["seed"] = check_int(o["seed"], "seed", minimum=0)
    choices = {"layout": LAYOUTS, "persistent_update": ("combined", "fast"),
               "task_optimizer": ("adam", "sgd"), "fast_act": ACTIVATIONS,
               "backend": ("auto", "numba", "numpy")}
    if o["fast_act"] is None:
        o["fast_act"] = "identity"
    for name, allowed in choices.items():
        if o[name] not in allowed:
            raise ValueError(f"{name} must be one of {allowed}, got {o[name]!r}")
    o["sgd_momentum"] = check_positive(o["sgd_momentum"], "sgd_momentum", allow_zero=True)
    if o["sgd_momentum"] >= 1:
        raise ValueError(f"sgd_momentum must be in [0, 1), got {o['sgd_momentum']}")
    o["lre"] = bool(o["lre"])
    return o


def _resolve_alpha(alpha, method: str) -> float | None:
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
