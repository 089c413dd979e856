"""``ovsw(preset)``: AGS and SAD configured from a table of presets (docs/ovsw.md, "Presets")."""

from __future__ import annotations

from .ags import AGS
from .sad import SAD

__all__ = ["PRESETS", "ovsw"]

PRESETS: dict[str, dict] = {
    "imagenet": {"delta": 0.01, "momentum": 0.999, "threshold": 1e-4, "gamma": 2e-5},
    "cifar10": {"delta": 0.04, "momentum": 0.999, "threshold": 1e-4, "gamma": 9e-4},
    "digits": {"delta": 0.04, "momentum": 0.999, "threshold": 1e-4, "gamma": 1e-2},
}
_OVERRIDES = ("delta", "eps_w", "eps_g", "momentum", "threshold", "gamma", "init")


def ovsw(preset: str = "digits", **overrides) -> list:
    """``[AGS(...), SAD(...)]`` configured from a preset, in the order OvSW applies them.

    Parameters
    ----------
    preset : {"digits", "cifar10", "imagenet"}
        ``"digits"`` (delta 0.04, gamma 1e-2) is the library's choice for small data and
        short runs; the other two are the reference settings.
    **overrides
        Any of ``delta``, ``eps_w``, ``eps_g``, ``momentum``, ``threshold``, ``gamma``,
        ``init``.

    Examples
    --------
    >>> ags, sad = ovsw("cifar10", gamma=1e-3)
    >>> ags.delta, sad.gamma, sad.momentum
    (0.04, 0.001, 0.999)
    """
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {sorted(PRESETS)}, got {preset!r}")
    unknown = sorted(set(overrides) - set(_OVERRIDES))
    if unknown:
        raise TypeError(f"unknown ovsw override(s) {unknown}; allowed: {list(_OVERRIDES)}")
    cfg = {**PRESETS[preset], **overrides}
    ags = AGS(cfg["delta"], eps_w=cfg.get("eps_w", 1e-3), eps_g=cfg.get("eps_g", 1e-6))
    sad = SAD(cfg["gamma"], momentum=cfg["momentum"], threshold=cfg["threshold"],
              init=cfg.get("init", "zeros"))
    return [ags, sad]
