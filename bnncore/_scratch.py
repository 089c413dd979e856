"""Reusable work arrays: what keeps a training step free of per-step allocations.

An object that mixes in :class:`Scratch` asks for ``self._scratch(name, shape, dtype)``
wherever it would have created a temporary; the array is made on the first call and
handed back on later calls while ``shape`` and ``dtype`` stay the same (a fixed batch
size), so a step of ``fit`` writes into the same memory every time. The arrays are not
initialised: the caller overwrites them (``out=`` of a ufunc or ``np.matmul``).
"""

from __future__ import annotations

import numpy as np


def reusable(store: dict, name: str, shape: tuple[int, ...], dtype) -> np.ndarray:
    """``store[name]`` if it has ``shape`` and ``dtype``, else a new (uninitialised) array
    put there."""
    buf = store.get(name)
    if buf is None or buf.shape != shape or buf.dtype != dtype:
        buf = store[name] = np.empty(shape, dtype)
    return buf


class Scratch:
    """Mixin: named work arrays kept in ``self._scratch_arrays``."""

    def _scratch(self, name: str, shape: tuple[int, ...], dtype) -> np.ndarray:
        """The reusable array ``name`` (uninitialised); new only when shape or dtype change."""
        return reusable(self.__dict__.setdefault("_scratch_arrays", {}), name, shape, dtype)

    def _scratch_list(self) -> list[np.ndarray]:
        """Every work array of this object (containers add their children's)."""
        return list(self.__dict__.get("_scratch_arrays", {}).values())

    def _detach(self, y):
        """``y``, copied if it lives in a work array that the next call overwrites."""
        if isinstance(y, np.ndarray) and any(np.may_share_memory(y, b)
                                             for b in self._scratch_list()):
            return y.copy()
        return y
