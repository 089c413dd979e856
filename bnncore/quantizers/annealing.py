"""Annealing schedules driven by ``on_epoch(epoch, total)`` (docs/quantizers.md, "Annealing").

Progress runs from 0 at the first epoch to 1 at the last: ``p = epoch / max(total - 1, 1)``.
Windows ``[a, b]`` are in progress units with ``0 <= a < b <= 1``. The functions here are pure;
``Annealed`` is the mixin that stores the last ``(epoch, total)`` so that a pair's
``hyperparams()`` can rebuild its current state.
"""

from __future__ import annotations

import math
import numbers

from .._validation import check_positive


def progress(epoch: int, total: int) -> float:
    """``epoch / max(total - 1, 1)``: 0 at the first epoch, 1 at the last.

    Examples
    --------
    >>> [round(progress(e, 4), 3) for e in range(4)]
    [0.0, 0.333, 0.667, 1.0]
    """
    return epoch / max(total - 1, 1)


def ramp(p: float, start: float, end: float) -> float:
    """``clip((p - start) / (end - start), 0, 1)``: the linear ramp of BinaryRelax/ProxConnect.

    Examples
    --------
    >>> ramp(0.375, 0.0, 0.75), ramp(0.9, 0.0, 0.75)
    (0.5, 1.0)
    """
    return min(max((p - start) / (end - start), 0.0), 1.0)


def geometric(start: float, end: float, p: float) -> float:
    """``start * (end / start) ** p``: BNN++'s beta schedule (reconstructed).

    docs/quantizers.md, section "Annealing".

    Examples
    --------
    >>> geometric(5.0, 100.0, 0.0), geometric(5.0, 100.0, 1.0)
    (5.0, 100.0)
    """
    return start * (end / start) ** p


def mirror_sigmoid(f: float, steepness: float = 10.0, center: float = 0.5) -> float:
    """PARQ's normalized mirror sigmoid: 1 at ``f = 0``, 0 at ``f = 1`` (``parq``).

    ``st = 1 / (1 + exp(S (f - C)))`` rescaled by its values at ``f - C = -+1/2``, clipped
    to ``[0, 1]`` (the clip matters only when ``C != 0.5``).

    Examples
    --------
    >>> round(mirror_sigmoid(0.25), 6), round(mirror_sigmoid(0.5), 12)
    (0.929896, 0.5)
    """
    st = 1.0 / (1.0 + math.exp(steepness * (f - center)))
    s1 = 1.0 / (1.0 + math.exp(-0.5 * steepness))
    s2 = 1.0 / (1.0 + math.exp(0.5 * steepness))
    return min(max((st - s2) / (s1 - s2), 0.0), 1.0)


def _real(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    return float(value)


def check_window(start: object, end: object) -> tuple[float, float]:
    """Validate an anneal window: ``0 <= anneal_start < anneal_end <= 1``."""
    a, b = (_real(v, n) for v, n in ((start, "anneal_start"), (end, "anneal_end")))
    if not 0.0 <= a < b <= 1.0:
        raise ValueError(f"need 0 <= anneal_start < anneal_end <= 1, got anneal_start={a}, "
                         f"anneal_end={b}")
    return a, b


def check_unit(value: object, name: str) -> float:
    """A finite float in ``[0, 1]`` (``theta``, ``inv_slope``, ``center``)."""
    value = check_positive(value, name, allow_zero=True)
    if value > 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value}")
    return value


class Annealed:
    """Mixin for pairs whose state follows ``on_epoch``; subclasses implement ``_anneal``.

    ``schedule_attr`` names the annealed quantity and ``schedule_direction`` is +1 when it
    grows with the epoch (-1 when it shrinks); property tests read both (P17).
    """

    schedule_attr: str = ""
    schedule_direction: int = 1
    _state: tuple[int, int] | None = None

    def _restore(self, epoch: object, total: object) -> None:
        # Constructor keywords written by ``hyperparams()``: replay the last on_epoch call.
        if epoch is None and total is None:
            return
        if epoch is None or total is None:
            raise ValueError(f"epoch and total go together, got epoch={epoch}, total={total}")
        for name, value in (("epoch", epoch), ("total", total)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise TypeError(f"{name} must be an int, got {value!r}")
        self.on_epoch(int(epoch), int(total))

    def _on_epoch(self, epoch: int, total: int) -> None:
        self._state = (epoch, total)
        self._anneal(epoch, total)

    def _anneal(self, epoch: int, total: int) -> None:
        raise NotImplementedError

    def _state_params(self) -> dict:
        if self._state is None:
            return {}
        return {"epoch": self._state[0], "total": self._state[1]}
