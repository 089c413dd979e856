"""What the exact solvers return: frozen dataclasses that hold NumPy arrays.

A dataclass's generated ``__eq__`` compares field tuples, which is ambiguous for arrays, so
the records here use ``@dataclass(frozen=True, eq=False)`` and inherit a field-wise ``==``
(arrays by dtype and value) and ``to_dict`` from :class:`ArrayRecord`: a result can be
printed, compared and saved. The fields are described in docs/theory.md, section
"5. The API".

Examples
--------
>>> from theory import sat
>>> res = sat.solve([[1, 1, -1], [-1, 1, 1]], [1, -1], solver="glucose4")
>>> res.status, res.n_correct, res.to_dict()["w"], res.backend
('sat', 2, [1, -1, -1], 'cdcl')
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

STATUSES = ("sat", "unsat", "optimal", "unknown")


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


@dataclass(frozen=True, eq=False)
class SolveResult(ArrayRecord):
    """The outcome of one exact solve (``solve``, ``max_accuracy``).

    Attributes
    ----------
    problem : str
        ``"consistency"``, ``"max_accuracy"``, ``"hidden"``, ``"hidden_max_accuracy"`` or
        ``"regression_zero"``.
    status : str
        ``"sat"``, ``"unsat"``, ``"optimal"`` (MaxSAT, proven) or ``"unknown"`` (time limit).
    w : numpy.ndarray or None
        int8 weights ``(n,)``; for hidden problems the same array as ``W``.
    W, v : numpy.ndarray or None
        Hidden weights ``(H, n)`` and output weights ``(H,)`` (``"weights"`` mode).
    n_errors : int or None
        Training errors of ``w`` counted by ``theory.sat.verification`` (0 for ``"sat"``;
        ``||X w - t||^2`` for regression).
    lower_bound : int or None
        MaxSAT ``"unknown"`` only: the core-guided lower bound on the errors.
    n, m, alpha : int, int, float
    n_vars, n_clauses : int
        Size of what the answering back end solved: CNF variables and clauses (CDCL),
        model variables and constraints (CP-SAT), ``n`` weights and ``m`` samples (anneal).
    solver, encoding : str
        The requested solver (``"auto"``, ``"anneal"``, ``"cpsat"`` or a python-sat name)
        and the encoding used (a cardinality encoding, ``"linear"`` or ``"none"``).
    encode_seconds, solve_seconds, seconds : float
        Wall clock; ``seconds`` is their sum.
    conflicts : int or None
        ``Solver.accum_stats()["conflicts"]``; ``None`` for RC2 and when no solver ran.
    reason : str or None
        Why the status was reached without search, or that the time limit hit.
    backend : str
        Who answered: ``"anneal"`` (the incomplete search), ``"cpsat"`` (OR-Tools CP-SAT)
        or ``"cdcl"`` (a python-sat solver, or RC2, on the CNF encoding).
    proof : bool
        True for ``"unsat"`` and ``"optimal"``: a complete back end exhausted the search
        space. A ``"sat"`` answer is a certificate instead: ``w``, checked independently.
    """

    problem: str
    status: str
    w: np.ndarray | None
    W: np.ndarray | None
    v: np.ndarray | None
    n_errors: int | None
    lower_bound: int | None
    n: int
    m: int
    alpha: float
    n_vars: int
    n_clauses: int
    solver: str
    encoding: str
    encode_seconds: float
    solve_seconds: float
    seconds: float
    conflicts: int | None
    reason: str | None
    backend: str = "cdcl"
    proof: bool = False

    @property
    def n_correct(self) -> int | None:
        """``m - n_errors`` (``None`` when unknown)."""
        return None if self.n_errors is None else self.m - self.n_errors

    @property
    def accuracy(self) -> float | None:
        """``n_correct / m`` (``None`` when unknown)."""
        return None if self.n_correct is None else self.n_correct / self.m


@dataclass(frozen=True, eq=False)
class BruteResult(ArrayRecord):
    """Exhaustive answer (``brute_force``): fewest errors, first minimiser, counts.

    Attributes
    ----------
    min_errors : int
        Fewest training errors (regression: the smallest ``||X w - t||^2``).
    w_best : numpy.ndarray
        int8, the lowest-code minimiser ``(n,)`` (hidden: ``W`` of shape ``(H, n)``).
    n_consistent : int or None
        Weight vectors with zero errors (``None`` for hidden networks).
    n_evaluated : int
        Candidates scored (``2^n`` for one neuron).
    m : int
    solutions : numpy.ndarray or None
        The consistent weight vectors ``(n_consistent, n)`` in code order, when requested.
    v : numpy.ndarray or None
        Hidden ``"weights"`` mode: the output weights of the minimiser.
    n_minimizers : int or None
        Weight vectors reaching ``min_errors`` (one neuron and regression).
    """

    min_errors: int
    w_best: np.ndarray
    n_consistent: int | None
    n_evaluated: int
    m: int
    solutions: np.ndarray | None = None
    v: np.ndarray | None = None
    n_minimizers: int | None = None

    @property
    def n_correct(self) -> int:
        """``m - min_errors``."""
        return self.m - self.min_errors

    @property
    def max_accuracy(self) -> float:
        """``n_correct / m``."""
        return self.n_correct / self.m
