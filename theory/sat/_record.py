"""Equality and export for frozen result dataclasses that hold NumPy arrays.

A dataclass's generated ``__eq__`` compares field tuples, which is ambiguous for arrays.
Result classes here use ``@dataclass(frozen=True, eq=False)`` and inherit ``__eq__`` and
``to_dict`` from ``ArrayRecord``, so that results can be printed, compared and saved.
"""

from __future__ import annotations

import dataclasses

import numpy as np


def _same(a: object, b: object) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
                and a.dtype == b.dtype and np.array_equal(a, b))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    return a == b


class ArrayRecord:
    """Mixin: field-wise ``==`` (arrays by dtype and value) and ``to_dict``."""

    __hash__ = None  # records hold arrays, which are unhashable

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(_same(getattr(self, f.name), getattr(other, f.name))
                   for f in dataclasses.fields(self))

    def to_dict(self) -> dict:
        """The fields as a dict of plain Python values (arrays become nested lists)."""
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = value.tolist() if isinstance(value, np.ndarray) else value
        return out
