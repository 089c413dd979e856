"""Binary networks as CNF: one neuron, one hidden layer, zero-residual regression.

The arithmetic is docs/theory.md, section "1. Conventions"; the encodings are section
"2. The encodings" (with the variable numbering of the hidden layer). Weight ``w_i`` is
variable ``i + 1``, true meaning ``w_i = +1`` (the bit convention of
``bnncore.kernels.bitpack``). An :class:`Encoding` is data: clauses plus the meaning of
their variables; it knows nothing about the solver that will consume it.

Examples
--------
>>> enc = encode_perceptron([[1, 1, 1]], [1])
>>> enc.w_vars.tolist(), enc.n_vars >= 3, enc.trivially_unsat, enc.decode([1, -2, 3])
([1, 2, 3], True, [], array([ 1, -1,  1], dtype=int8))
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from os import PathLike

import numpy as np

from .instances import HiddenInstance, PerceptronInstance, RegressionInstance, as_instance
from .runner import ENCODINGS, require, require_pb

PB_BACKENDS = ("unary", "pysat-pb")


def need(N: int, y: int, theta: int = 0) -> int:
    """Fewest agreeing literals (of ``N``) for a correct prediction of label ``y``.

    ``y = +1``: ``<w,c> >= theta`` iff ``A >= ceil((N + theta) / 2)``;
    ``y = -1``: ``<w,c> <= theta - 1`` iff ``A >= ceil((N + 1 - theta) / 2)``.

    Examples
    --------
    >>> need(5, 1), need(4, 1), need(4, -1), need(5, 1, 2), need(5, -1, 2), need(0, -1)
    (3, 2, 3, 4, 2, 1)
    """
    return -((-(N + theta)) // 2) if y == 1 else -((-(N + 1 - theta)) // 2)


def agreement_literals(c: np.ndarray, y: int, weighted: bool = False) -> tuple:
    """The agreement literals of sample ``(c, y)`` and ``N = sum |c_i|``.

    Literal ``i + 1`` (``w_i``) if ``y c_i > 0``, ``-(i + 1)`` if ``y c_i < 0``; zero features
    are dropped. ``weighted=False``: each literal repeated ``|c_i|`` times, returns
    ``(lits, N)``; ``weighted=True``: once, returns ``(lits, weights, N)``.

    Examples
    --------
    >>> agreement_literals(np.array([2, -1, 0]), -1), agreement_literals([2, -1, 0], 1, True)
    (([-1, -1, 2], 3), ([1, -2], [2, 1], 3))
    """
    lits, weights = [], []
    for i, ci in enumerate(np.asarray(c, dtype=np.int64).tolist()):
        if ci:
            lits.append((i + 1) if ci * y > 0 else -(i + 1))
            weights.append(abs(ci))
    if weighted:
        return lits, weights, sum(weights)
    unary = [lit for lit, k in zip(lits, weights) for _ in range(k)]
    return unary, len(unary)


def decode(model: list[int] | None, var_ids: np.ndarray) -> np.ndarray:
    """Weights from a model: ``-1`` where ``-v`` is in the model, else ``+1`` (int8).

    Examples
    --------
    >>> decode([1, -2, 3, -4], np.array([[1, 2], [4, 5]]))
    array([[ 1, -1],
           [-1,  1]], dtype=int8)
    """
    ids = np.asarray(var_ids, dtype=np.int64)
    negative = {-lit for lit in (model or ()) if lit < 0}
    return np.array([-1 if v in negative else 1 for v in ids.ravel().tolist()],
                    dtype=np.int8).reshape(ids.shape)


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
        Samples (or rows) that no weight vector can satisfy: UNSAT without search.
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
        """The weights of ``model`` (int8, ±1; a missing variable reads ``+1``)."""
        return decode(model, self.w_vars)

    def decode_v(self, model: list[int] | None) -> np.ndarray | None:
        """The output weights of ``model`` (hidden ``"weights"`` mode), else ``None``."""
        return None if self.v_vars is None else decode(model, self.v_vars)

    def write_dimacs(self, path: str | PathLike) -> None:
        """Write DIMACS: ``p cnf`` for hard clauses only, ``p wcnf`` if soft clauses exist."""
        formula = require("formula")
        out = formula.WCNF() if self.soft else formula.CNF()
        for clause in self.clauses:
            out.append(clause)
        for clause, weight in self.soft:
            out.append(clause, weight=weight)
        out.nv = max(out.nv, self.n_vars)
        out.to_file(str(path))


def _check(encoding: str, pb_backend: str = "unary", max_unary: int = 4096) -> None:
    if not isinstance(encoding, str) or encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {list(ENCODINGS)}, got {encoding!r}")
    if pb_backend not in PB_BACKENDS:
        raise ValueError(f"pb_backend must be one of {list(PB_BACKENDS)}, got {pb_backend!r}")
    if isinstance(max_unary, bool) or not isinstance(max_unary, int) or max_unary < 1:
        raise ValueError(f"max_unary must be an int >= 1, got {max_unary!r}")


def _on_time(deadline: float | None, j: int, m: int) -> None:
    """Raise ``TimeoutError`` once ``time.perf_counter()`` has passed ``deadline``."""
    if deadline is not None and time.perf_counter() > deadline:
        raise TimeoutError(f"encoding passed its deadline at sample {j} of {m}")


def _card(lits: list[int], bound: int, top: int, encoding: str, kind: str = "atleast"):
    card = require("card")
    return getattr(card.CardEnc, kind)(lits=lits, bound=bound, top_id=top,
                                       encoding=getattr(card.EncType, encoding))


def _sample(c: np.ndarray, y: int, inst: PerceptronInstance, j: int, top: int,
            encoding: str, pb_backend: str, max_unary: int) -> tuple[str, list, int]:
    """``(kind, clauses, top)`` for "sample ``j`` is right": ``kind`` is ``"always"``
    (``need <= 0``, no clauses), ``"never"`` (``need > N``) or ``"card"``."""
    pb = pb_backend == "pysat-pb" and inst.integer_features
    if pb:
        lits, weights, N = agreement_literals(c, y, weighted=True)
    else:
        lits, N = agreement_literals(c, y)
        if inst.integer_features and N > max_unary:
            raise ValueError(f"row {j} needs N={N} unary literals > max_unary={max_unary}; "
                             f"use pb_backend='pysat-pb'")
    K = need(N, y, inst.theta)
    if K <= 0 or K > N:
        return ("always" if K <= 0 else "never"), [], top
    if pb:
        cnf = require_pb().PBEnc.geq(lits=lits, weights=weights, bound=K, top_id=top)
    else:
        cnf = _card(lits, K, top, encoding)
    return "card", [list(cl) for cl in cnf.clauses], max(top, cnf.nv)


def encode_perceptron(X: object, y: object = None, encoding: str = "seqcounter",
                      theta: int = 0, *, integer_features: bool = False, maxsat: bool = False,
                      pb_backend: str = "unary", max_unary: int = 4096,
                      deadline: float | None = None) -> Encoding:
    """The CNF of one binary neuron (docs/theory.md, section "2. The encodings").

    Each sample is one ``CardEnc.atleast`` over its agreement literals with bound
    ``need(N, y, theta)``. With ``maxsat=True`` selector ``s_j = n + 1 + j`` guards sample
    ``j``'s clauses (``C`` becomes ``[-s_j] + C``) and the soft clauses are ``([s_j], 1)``.

    Parameters
    ----------
    X, y : arrays (m, n) and (m,), or a PerceptronInstance with ``y=None``
    encoding : str
        A ``pysat.card.EncType`` name (``theory.sat.runner.ENCODINGS``).
    theta, integer_features
        As in ``make_perceptron_instance``.
    pb_backend : {"unary", "pysat-pb"}
        Integer features: duplicated literals, or ``PBEnc.geq`` (needs ``python-sat[pb]``).
    max_unary : int
        Largest unary expansion ``N`` of one integer-feature row.
    deadline : float, optional
        A ``time.perf_counter()`` value: encoding past it raises ``TimeoutError`` (this is
        how a solver's time limit covers the encoding).

    Returns
    -------
    Encoding
        ``.decode(model)`` gives ``w``; ``trivially_unsat`` lists the samples with
        ``need > N`` (consistency only).

    Examples
    --------
    >>> enc = encode_perceptron([[1, -1, 1], [-1, -1, 1]], [1, -1], maxsat=True)
    >>> enc.selectors.tolist(), enc.soft
    ([4, 5], [([4], 1), ([5], 1)])
    """
    inst = as_instance(X, y, theta=theta, integer_features=integer_features)
    if not isinstance(inst, PerceptronInstance):
        raise TypeError("encode_perceptron needs a PerceptronInstance; use encode_bnn")
    _check(encoding, pb_backend, max_unary)
    n, m = inst.n, inst.m
    selectors = np.arange(n + 1, n + m + 1) if maxsat else None
    top, clauses, never = n + (m if maxsat else 0), [], []
    for j in range(m):
        _on_time(deadline, j, m)
        kind, rows, top = _sample(inst.X[j], int(inst.y[j]), inst, j, top, encoding,
                                  pb_backend, max_unary)
        if maxsat:
            s = int(selectors[j])
            clauses += [[-s]] if kind == "never" else [[-s, *row] for row in rows]
        else:
            clauses += rows
            never += [j] if kind == "never" else []
    soft = [([int(s)], 1) for s in selectors] if maxsat else []
    return Encoding(clauses, soft, top, np.arange(1, n + 1), selectors=selectors,
                    trivially_unsat=never)


def encode_regression(inst: RegressionInstance, encoding: str = "seqcounter",
                      max_unary: int = 4096, *, deadline: float | None = None) -> Encoding:
    """CNF for ``exists w in {-1,+1}^n: X w = t`` (docs/theory.md, "(R2)").

    Row ``j`` needs exactly ``A = (N + t_j) / 2`` true unary literals; an odd ``N + t_j``
    or ``A`` outside ``[0, N]`` makes the row trivially UNSAT. ``deadline`` is as in
    ``encode_perceptron``.
    """
    if not isinstance(inst, RegressionInstance):
        raise TypeError(f"inst must be a RegressionInstance, got {type(inst).__name__}")
    _check(encoding, "unary", max_unary)
    top, clauses, never = inst.n, [], []
    for j in range(inst.m):
        _on_time(deadline, j, inst.m)
        lits, N = agreement_literals(inst.X[j], 1)
        if N > max_unary:
            raise ValueError(f"row {j} needs N={N} unary literals > max_unary={max_unary}")
        total = N + int(inst.t[j])
        if total % 2 or not 0 <= total // 2 <= N:
            never.append(j)
        elif N:
            cnf = _card(lits, total // 2, top, encoding, "equals")
            clauses += [list(cl) for cl in cnf.clauses]
            top = max(top, cnf.nv)
    return Encoding(clauses, [], top, np.arange(1, inst.n + 1), trivially_unsat=never)


def reified_atleast(lits: list[int], K: int, top: int,
                    clauses: list[list[int]]) -> tuple[int, int]:
    """Append clauses defining ``out <=> (sum of true lits >= K)``; return ``(out, top)``.

    A bidirectional sequential counter (docs/theory.md, "One hidden layer"):
    ``R[i][k] <=> R[i-1][k] or (lits[i-1] and R[i-1][k-1])``, ``R[i-1][0]`` TRUE and
    ``R[i-1][k]`` FALSE for ``k > i-1``; at most ``n K`` variables and ``4 n K`` clauses.
    ``K <= 0`` gives a fresh true ``out``, ``K > len(lits)`` a fresh false one.

    Examples
    --------
    >>> clauses = []
    >>> out, top = reified_atleast([1, 2], 2, 2, clauses)
    >>> out, top, len(clauses)
    (5, 5, 8)
    """
    if K <= 0 or K > len(lits):
        top += 1
        clauses.append([top] if K <= 0 else [-top])
        return top, top
    prev: dict[int, int] = {}  # R[i-1][k] for k = 1..min(i-1, K)
    for i, lit in enumerate(lits, start=1):
        cur = {}
        for k in range(1, min(i, K) + 1):
            top += 1
            R = cur[k] = top
            a = prev.get(k)                       # None: FALSE (k > i-1)
            b = prev[k - 1] if k > 1 else None    # None: TRUE  (k-1 == 0)
            if a is not None:
                clauses.append([-a, R])
            clauses.append([-lit, R] if b is None else [-lit, -b, R])
            clauses.append([-R, lit] if a is None else [-R, a, lit])
            if b is not None:
                clauses.append([-R, b] if a is None else [-R, a, b])
        prev = cur
    return prev[K], top


def encode_bnn(X: object, y: object = None, hidden: int | None = None,
               output: str = "majority", encoding: str = "seqcounter",
               maxsat: bool = False, *, deadline: float | None = None) -> Encoding:
    """The CNF of one hidden layer of sign units (docs/theory.md, "One hidden layer").

    ``h = sign(W x)``, then ``sign(sum_k h_k)`` (``"majority"``) or ``sign(<v, h>)``
    (``"weights"``). With ``maxsat`` only the output constraints are relaxed by ``s[j]``;
    the hidden definitions stay hard (they are satisfiable for every ``W``). ``deadline``
    is as in ``encode_perceptron``.

    Examples
    --------
    >>> enc = encode_bnn([[1, -1, 1], [1, 1, 1]], [1, -1], 2, "weights")
    >>> enc.w_vars.shape, enc.v_vars.tolist(), enc.a_vars.tolist()
    ((2, 3), [7, 8], [[9, 10], [11, 12]])
    """
    inst = as_instance(X, y, hidden, output=output)
    if not isinstance(inst, HiddenInstance):
        raise ValueError("hidden is required: encode_bnn encodes a hidden layer")
    _check(encoding)
    n, m, H, weights = inst.n, inst.m, inst.H, inst.output == "weights"
    w = np.arange(1, H * n + 1).reshape(H, n)
    v = np.arange(H * n + 1, H * n + H + 1) if weights else None
    base_a = H * n + (H if weights else 0)
    a = base_a + np.arange(m * H).reshape(m, H) + 1
    base_e = base_a + m * H
    e = base_e + np.arange(m * H).reshape(m, H) + 1
    base_s = base_e + (m * H if weights else 0)
    s = base_s + np.arange(m) + 1 if maxsat else None
    top, clauses = base_s + (m if maxsat else 0), []
    K_hidden = need(n, 1, 0)   # h = +1 iff <w, x> >= 0 iff ceil(n/2) agreements
    for j in range(m):
        _on_time(deadline, j, m)
        x, yj = inst.X[j], int(inst.y[j])
        for k in range(H):
            lits = [int(w[k, i]) if x[i] == 1 else -int(w[k, i]) for i in range(n)]
            out, top = reified_atleast(lits, K_hidden, top, clauses)
            ajk = int(a[j, k])
            clauses += [[-ajk, out], [ajk, -out]]
            if weights:
                ejk, vk = int(e[j, k]), int(v[k])   # e <=> (v <=> a)
                clauses += [[-ejk, -vk, ajk], [-ejk, vk, -ajk], [ejk, vk, ajk],
                            [ejk, -vk, -ajk]]
        agree = e[j] if weights else a[j]
        cnf = _card([int(t) if yj == 1 else -int(t) for t in agree], need(H, yj, 0), top,
                    encoding)
        top = max(top, cnf.nv)
        clauses.extend(([-int(s[j])] if maxsat else []) + list(cl) for cl in cnf.clauses)
    soft = [([int(sj)], 1) for sj in s] if maxsat else []
    return Encoding(clauses, soft, top, w, v_vars=v, a_vars=a, selectors=s)
