"""``Encoding``: clauses plus the variable map, and ``decode`` (shared/spec/sat_theory.md §3).

PySAT's style: an encoding is data. It knows nothing about the solver that will consume it;
``to_cnf`` / ``to_wcnf`` hand it to PySAT, ``write_dimacs`` to any other solver.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from os import PathLike

import numpy as np

from ._pysat import require


def decode(model: list[int] | None, var_ids: np.ndarray) -> np.ndarray:
    """Weights from a model: ``-1`` where ``-v`` is in the model, else ``+1``.

    A variable missing from the model is unconstrained and decodes to ``+1``.

    Examples
    --------
    >>> decode([1, -2, 3, -4], np.array([[1, 2], [4, 5]]))
    array([[ 1, -1],
           [-1,  1]], dtype=int8)
    """
    ids = np.asarray(var_ids, dtype=np.int64)
    negative = set(-lit for lit in (model or ()) if lit < 0)
    values = [-1 if v in negative else 1 for v in ids.ravel().tolist()]
    return np.array(values, dtype=np.int8).reshape(ids.shape)


@dataclass
class Encoding:
    """A CNF (or WCNF) and the meaning of its variables.

    Attributes
    ----------
    clauses : list of list of int
        Hard clauses (DIMACS literals).
    soft : list of (clause, weight)
        Soft clauses, MaxSAT only (else empty).
    n_vars : int
        The top variable id.
    w_vars : numpy.ndarray
        Variable ids of the weights, ``(n,)`` or ``(H, n)``; true means ``+1``.
    v_vars, a_vars, selectors : numpy.ndarray or None
        Output weights ``(H,)``, hidden activations ``(m, H)``, MaxSAT selectors ``(m,)``.
    trivially_unsat : list of int
        Samples (or rows) that no weight vector can satisfy: the CNF is UNSAT without search.

    Examples
    --------
    >>> enc = Encoding([[1, 2]], [], 2, np.array([1, 2]))
    >>> enc.decode([-1, 2])
    array([-1,  1], dtype=int8)
    """

    clauses: list[list[int]]
    soft: list[tuple[list[int], int]]
    n_vars: int
    w_vars: np.ndarray
    v_vars: np.ndarray | None = None
    a_vars: np.ndarray | None = None
    selectors: np.ndarray | None = None
    trivially_unsat: list[int] = field(default_factory=list)

    @property
    def n_clauses(self) -> int:
        """Hard plus soft clauses."""
        return len(self.clauses) + len(self.soft)

    def decode(self, model: list[int] | None) -> np.ndarray:
        """The weights of ``model``: ``decode(model, self.w_vars)`` (int8, ±1)."""
        return decode(model, self.w_vars)

    def decode_v(self, model: list[int] | None) -> np.ndarray | None:
        """The output weights of ``model`` (hidden ``"weights"`` mode), else ``None``."""
        return None if self.v_vars is None else decode(model, self.v_vars)

    def to_cnf(self):
        """The hard clauses as a ``pysat.formula.CNF`` (``nv`` = ``n_vars``)."""
        cnf = require("formula").CNF(from_clauses=self.clauses)
        cnf.nv = max(cnf.nv, self.n_vars)
        return cnf

    def to_wcnf(self):
        """Hard and soft clauses as a ``pysat.formula.WCNF``."""
        wcnf = require("formula").WCNF()
        for clause in self.clauses:
            wcnf.append(clause)
        for clause, weight in self.soft:
            wcnf.append(clause, weight=weight)
        wcnf.nv = max(wcnf.nv, self.n_vars)
        return wcnf

    def write_dimacs(self, path: str | PathLike) -> None:
        """Write DIMACS: ``p cnf`` for hard clauses only, ``p wcnf`` if soft clauses exist."""
        (self.to_wcnf() if self.soft else self.to_cnf()).to_file(str(path))
