"""``StepStats``: what one GFT step did (docs/gft.md, "The trainer")."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .energy import OpCounts

__all__ = ["StepStats"]


@dataclass(frozen=True)
class StepStats:
    """What one GFT step did; per-layer tuples have one entry per layer (input first).

    Attributes
    ----------
    t : int
        Global step index before the increment.
    k : tuple of int
        Budget ``k_t`` per layer.
    candidates : tuple of int
        ``n_c``: weights with ``sigma > 0``.
    selected : tuple of int
        ``min(k, n_c)`` (0 when ``k == 0``).
    flips : tuple of int
        Accepted weight flips (``<= selected``).
    bias_updates : tuple of int
        Accepted bias changes (zeros without biases).
    n_error_entries : int
        ``nnz(D^(L))``, flagged output entries.
    n_misclassified : int
        Misclassified samples of the batch, with the pre-step weights.
    ops : OpCounts or None
        Operation counts of the step (None with ``count_ops=False``).
    """

    t: int
    k: tuple[int, ...]
    candidates: tuple[int, ...]
    selected: tuple[int, ...]
    flips: tuple[int, ...]
    bias_updates: tuple[int, ...]
    n_error_entries: int
    n_misclassified: int
    ops: OpCounts | None

    def as_dict(self) -> dict:
        """Plain values (tuples as lists, ``ops`` as a dict or None)."""
        d = asdict(self)
        d.update({k: list(v) for k, v in d.items() if isinstance(v, tuple)})
        return d
