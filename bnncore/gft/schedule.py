"""Flip budgets: ``resolve_k`` and the ``k_t`` schedule (docs/gft.md, "Budget and schedule").

The paper's summary mentions "a linearly decaying k"; the integer formula is reconstructed.
It uses a ceiling: an earlier floor version let small budgets reach 0 after the first
third of training and stalled learning.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

__all__ = ["SCHEDULES", "k_schedule", "resolve_k"]

SCHEDULES = ("linear", "constant")


def resolve_k(k: int | float, size: int, name: str = "k") -> int:
    """A budget as an absolute number of entries of a layer with ``size`` entries
    (reconstructed rule: the paper's budgets were not recovered).

    - ``int >= 0`` (NumPy integers too): ``min(k, size)``;
    - ``float`` in ``[0, 1]``: a fraction, ``min(size, ceil(k * size - 1e-9))`` (the
      ``1e-9`` keeps ``0.1 * 30 = 3.0000000000000004`` at 3).

    Raises
    ------
    TypeError
        For a bool.
    ValueError
        For a negative value, a float above 1 or not finite, or anything else.

    Examples
    --------
    >>> resolve_k(0.001, 16384), resolve_k(0.001, 2560), resolve_k(0.001, 101)
    (17, 3, 1)
    >>> resolve_k(5, 3), resolve_k(0.0, 100), resolve_k(0.1, 30)
    (3, 0, 3)
    """
    if isinstance(k, bool):
        raise TypeError(f"{name} must be an int >= 0 or a float in [0, 1], got the bool {k!r}")
    if isinstance(k, numbers.Integral):
        if k < 0:
            raise ValueError(f"{name} must be >= 0, got {k}")
        return min(int(k), int(size))
    if isinstance(k, numbers.Real):
        k = float(k)
        if not (math.isfinite(k) and 0.0 <= k <= 1.0):
            raise ValueError(f"{name} as a float is a fraction and must be in [0, 1], got {k}")
        return min(int(size), math.ceil(k * size - 1e-9))
    raise ValueError(f"{name} must be an int >= 0 or a float in [0, 1], got {k!r}")


def _linear(t: int, T: int, k0: int, k_min: int) -> int:
    if t >= T:
        return k_min
    if T == 1:
        return k0
    # k_min + ceil((k0 - k_min) * (T-1-t) / (T-1)), in integers.
    return k_min + ((k0 - k_min) * (T - 1 - t) + T - 2) // (T - 1)


def k_schedule(t: int, T: int | None, k0: int | float, k_min: int | float,
               schedule: str | Callable = "linear", size: int | None = None) -> int:
    """Budget ``k_t`` at global step ``t`` of ``T`` planned steps (reconstructed formula).

    ====================  =================================================================
    ``"linear"``          ``T == 1``: ``k0``. For ``0 <= t < T``:
                          ``k_min + ((k0 - k_min) * (T-1-t) + T - 2) // (T - 1)``, i.e.
                          ``k_min + ceil((k0 - k_min) * (T-1-t) / (T-1))``. ``t >= T``:
                          ``k_min``. Integer, non-increasing, ``k_0 = k0``,
                          ``k_(T-1) = k_min``, and >= 1 until the end when ``k0 >= 1``.
    ``"constant"``        ``k0``
    callable              ``f(t, T, k0, k_min)``, clipped to ``[0, size]``
    ====================  =================================================================

    Parameters
    ----------
    t : int
        Global step counter, ``>= 0``.
    T : int or None
        Planned number of steps, ``>= 1``; required by ``"linear"``.
    k0, k_min : int or float
        Budgets; resolved with :func:`resolve_k` when ``size`` is given, else ints.
        ``k_min <= k0`` after resolution.
    schedule : {"linear", "constant"} or callable
    size : int, optional
        Number of entries of the layer.

    Returns
    -------
    int

    Examples
    --------
    >>> [k_schedule(t, 4, 3, 0) for t in range(4)]
    [3, 2, 1, 0]
    >>> [k_schedule(t, 5, 1, 0) for t in range(5)]
    [1, 1, 1, 1, 0]
    """
    if size is not None:
        k0, k_min = resolve_k(k0, size, "k0"), resolve_k(k_min, size, "k_min")
    for value, label in ((k0, "k0"), (k_min, "k_min")):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            raise ValueError(f"{label} must be an int >= 0 here (pass size= to resolve a "
                             f"fraction), got {value!r}")
    k0, k_min = int(k0), int(k_min)
    if k_min > k0:
        raise ValueError(f"k_min ({k_min}) must not exceed k0 ({k0}) after resolution")
    if isinstance(t, bool) or not isinstance(t, numbers.Integral) or t < 0:
        raise ValueError(f"t must be an int >= 0, got {t!r}")
    if T is not None and (isinstance(T, bool) or not isinstance(T, numbers.Integral) or T < 1):
        raise ValueError(f"T (total_steps) must be an int >= 1, got {T!r}")
    if callable(schedule):
        k = schedule(int(t), T, k0, k_min)
        if isinstance(k, bool) or not isinstance(k, numbers.Integral):
            raise ValueError(f"schedule must return an int, got {k!r}")
        return max(0, int(k)) if size is None else min(max(0, int(k)), int(size))
    if schedule == "constant":
        return k0
    if schedule == "linear":
        if T is None:
            raise ValueError("schedule='linear' needs T (total_steps): set total_steps= or "
                             "call fit, which sets it")
        return _linear(int(t), int(T), k0, k_min)
    raise ValueError(f"schedule must be one of {SCHEDULES} or a callable, got {schedule!r}")
