"""``SolveResult`` (alias ``SatResult``): what every exact solve returns (sat_theory.md §7).

A frozen dataclass: it can be printed, compared (arrays by value) and saved (``to_dict``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._record import ArrayRecord

STATUSES = ("sat", "unsat", "optimal", "unknown")


@dataclass(frozen=True, eq=False)
class SolveResult(ArrayRecord):
    """The outcome of one exact solve.

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
        Training errors of ``w`` counted by ``theory.sat.verify`` (0 for ``"sat"``).
    lower_bound : int or None
        MaxSAT ``"unknown"`` only: the core-guided lower bound on the errors.
    n, m, alpha : int, int, float
    n_vars, n_clauses : int
    solver, encoding : str
    encode_time_s, solve_time_s, time_s : float
        Wall clock; ``time_s`` is their sum.
    conflicts : int or None
        ``Solver.accum_stats()["conflicts"]``; ``None`` for RC2 and when no solver ran.
    reason : str or None
        Why the status was reached without search, or that the time limit hit.
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
    encode_time_s: float
    solve_time_s: float
    time_s: float
    conflicts: int | None
    reason: str | None

    @property
    def n_correct(self) -> int | None:
        """``m - n_errors`` (``None`` when unknown)."""
        return None if self.n_errors is None else self.m - self.n_errors

    @property
    def seconds(self) -> float:
        """The issue's name for ``time_s``."""
        return self.time_s

    @property
    def accuracy(self) -> float | None:
        """``n_correct / m`` (1.0 for an empty instance, ``None`` when unknown)."""
        if self.n_correct is None:
            return None
        return self.n_correct / self.m if self.m else 1.0


SatResult = SolveResult
