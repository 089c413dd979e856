"""Binary perceptron and binary regression as CNF (shared/spec/sat_theory.md §3, §4, §6).

Weight ``w_i`` is variable ``i + 1``, true meaning ``w_i = +1`` (the bit convention of
``bnncore.kernels.bitpack``). Each sample becomes one ``CardEnc.atleast`` over its agreement
literals (``threshold.agreement_literals``) with bound ``need(N, y, theta)``.

Examples
--------
>>> from theory.sat.instances import make_perceptron_instance
>>> enc = encode_consistency(make_perceptron_instance([[1, 1, 1]], [1]))
>>> enc.w_vars.tolist(), enc.n_vars >= 3, enc.trivially_unsat
([1, 2, 3], True, [])
"""

from __future__ import annotations

import numpy as np

from ._pysat import check_encoding, require, require_pb
from .encoding import Encoding
from .instances import PerceptronInstance, RegressionInstance
from .threshold import agreement_literals, need, weighted_literals

PB_BACKENDS = ("unary", "pysat-pb")


def _check_instance(inst: object, cls: type) -> None:
    if not isinstance(inst, cls):
        raise TypeError(f"inst must be a {cls.__name__} (build it with "
                        f"make_{'regression' if cls is RegressionInstance else 'perceptron'}"
                        f"_instance), got {type(inst).__name__}")


def _check_backend(pb_backend: str, max_unary: int) -> None:
    if pb_backend not in PB_BACKENDS:
        raise ValueError(f"pb_backend must be one of {list(PB_BACKENDS)}, got {pb_backend!r}")
    if isinstance(max_unary, bool) or not isinstance(max_unary, int) or max_unary < 1:
        raise ValueError(f"max_unary must be an int >= 1, got {max_unary!r}")


def atleast_row(c: np.ndarray, y: int, theta: int, j: int, top: int, *, encoding: str,
                pb_backend: str = "unary", max_unary: int = 4096,
                integer_features: bool = False) -> tuple[str, list[list[int]], int]:
    """Clauses for "sample ``j`` is classified correctly".

    Returns ``(kind, clauses, top)`` with ``kind`` one of ``"always"`` (``need <= 0``, no
    clauses), ``"never"`` (``need > N``) or ``"card"``.
    """
    pysat_card = require("card")
    if pb_backend == "pysat-pb" and integer_features:
        lits, weights, N = weighted_literals(c, y)
    else:
        lits, N = agreement_literals(c, y)
        if integer_features and N > max_unary:
            raise ValueError(f"row {j} needs N={N} unary literals > max_unary={max_unary}; "
                             f"use pb_backend='pysat-pb'")
    K = need(N, y, theta)
    if K <= 0:
        return "always", [], top
    if K > N:
        return "never", [], top
    if pb_backend == "pysat-pb" and integer_features:
        cnf = require_pb().PBEnc.geq(lits=lits, weights=weights, bound=K, top_id=top)
    else:
        cnf = pysat_card.CardEnc.atleast(lits=lits, bound=K, top_id=top,
                                         encoding=getattr(pysat_card.EncType, encoding))
    return "card", [list(cl) for cl in cnf.clauses], max(top, cnf.nv)


def encode_consistency(inst: PerceptronInstance, encoding: str = "seqcounter",
                       pb_backend: str = "unary", max_unary: int = 4096) -> Encoding:
    """CNF whose models are the weight vectors classifying every sample correctly (§3).

    Parameters
    ----------
    inst : PerceptronInstance
    encoding : str
        A ``pysat.card.EncType`` name: ``"seqcounter"``, ``"totalizer"``, ``"kmtotalizer"``,
        ``"sortnetwrk"``, ``"cardnetwrk"`` or ``"mtotalizer"``.
    pb_backend : {"unary", "pysat-pb"}
        Integer features: duplicated literals, or ``PBEnc.geq`` (needs ``python-sat[pb]``).
    max_unary : int
        Largest unary expansion ``N`` of one integer-feature row.

    Returns
    -------
    Encoding
        ``trivially_unsat`` lists the samples with ``need > N``.
    """
    _check_instance(inst, PerceptronInstance)
    check_encoding(encoding)
    _check_backend(pb_backend, max_unary)
    top, clauses, never = inst.n, [], []
    for j in range(inst.m):
        kind, rows, top = atleast_row(inst.X[j], int(inst.y[j]), inst.theta, j, top,
                                      encoding=encoding, pb_backend=pb_backend,
                                      max_unary=max_unary,
                                      integer_features=inst.integer_features)
        clauses.extend(rows)
        if kind == "never":
            never.append(j)
    return Encoding(clauses, [], top, np.arange(1, inst.n + 1), trivially_unsat=never)


def encode_max_accuracy(inst: PerceptronInstance, encoding: str = "seqcounter",
                        pb_backend: str = "unary", max_unary: int = 4096) -> Encoding:
    """Weighted CNF whose optimum cost is ``min_w #errors(w)`` (§4).

    Selector ``s_j = n + 1 + j`` switches sample ``j``'s clauses on (each clause ``C``
    becomes ``[-s_j] + C``); the soft clauses are ``([s_j], 1)``. Auxiliary variables are
    fresh per sample, so relaxing all of a sample's clauses at once is sound.
    """
    _check_instance(inst, PerceptronInstance)
    check_encoding(encoding)
    _check_backend(pb_backend, max_unary)
    n, m = inst.n, inst.m
    selectors = np.arange(n + 1, n + m + 1)
    top, clauses = n + m, []
    for j in range(m):
        s = int(selectors[j])
        kind, rows, top = atleast_row(inst.X[j], int(inst.y[j]), inst.theta, j, top,
                                      encoding=encoding, pb_backend=pb_backend,
                                      max_unary=max_unary,
                                      integer_features=inst.integer_features)
        if kind == "never":
            clauses.append([-s])
        clauses.extend([-s, *row] for row in rows)
    soft = [([int(s)], 1) for s in selectors]
    return Encoding(clauses, soft, top, np.arange(1, n + 1), selectors=selectors)


def encode_regression_zero(inst: RegressionInstance, encoding: str = "seqcounter",
                           max_unary: int = 4096) -> Encoding:
    """CNF for ``exists w in {-1,+1}^n: X w = t`` (§6).

    Row ``j`` needs exactly ``A = (N + t_j) / 2`` true unary literals (``y = +1``); an odd
    ``N + t_j`` or ``A`` outside ``[0, N]`` makes the row trivially UNSAT.
    """
    _check_instance(inst, RegressionInstance)
    check_encoding(encoding)
    _check_backend("unary", max_unary)
    pysat_card = require("card")
    top, clauses, never = inst.n, [], []
    for j in range(inst.m):
        lits, N = agreement_literals(inst.X[j], 1)
        if N > max_unary:
            raise ValueError(f"row {j} needs N={N} unary literals > max_unary={max_unary}")
        total = N + int(inst.t[j])
        if total % 2 or not 0 <= total // 2 <= N:
            never.append(j)
            continue
        if N == 0:
            continue
        cnf = pysat_card.CardEnc.equals(lits=lits, bound=total // 2, top_id=top,
                                        encoding=getattr(pysat_card.EncType, encoding))
        clauses.extend(list(cl) for cl in cnf.clauses)
        top = max(top, cnf.nv)
    return Encoding(clauses, [], top, np.arange(1, inst.n + 1), trivially_unsat=never)
