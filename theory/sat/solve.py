"""Exact decision problems: consistency, hidden layer, zero-residual regression (§7).

Every function encodes (``encode``/``hidden``), runs the oracle (``runner``), decodes and
hands the answer to ``verify``: a ``"sat"`` answer that fails the independent check raises
``RuntimeError`` and is never returned.

Examples
--------
>>> from theory.sat.instances import make_perceptron_instance
>>> res = solve_consistency(make_perceptron_instance([[1, 1, -1], [-1, 1, 1]], [1, -1]))
>>> res.status, res.n_errors, res.w.tolist()
('sat', 0, [1, -1, -1])
"""

from __future__ import annotations

import time

import numpy as np

from ._pysat import check_encoding, check_interruptible, check_solver, check_time_limit
from .encode import encode_consistency, encode_regression_zero
from .encoding import Encoding
from .hidden import encode_hidden
from .instances import HiddenInstance, PerceptronInstance, RegressionInstance
from .result import SolveResult
from .runner import Outcome, run_sat
from .verify import Verification, verify_hidden, verify_perceptron, verify_regression


def check_options(solver: str, encoding: str, time_limit: object,
                  child_ok: bool = False) -> float | None:
    """Validate the shared options before any work; returns the time limit as a float."""
    check_solver(solver)
    check_encoding(encoding)
    limit = check_time_limit(time_limit)
    if not child_ok:
        check_interruptible(solver, limit)
    return limit


def make_result(problem: str, inst, enc: Encoding, out: Outcome | None, encode_s: float,
                solver: str, encoding: str, *, status: str | None = None,
                w: np.ndarray | None = None, W: np.ndarray | None = None,
                v: np.ndarray | None = None, n_errors: int | None = None,
                lower_bound: int | None = None, reason: str | None = None) -> SolveResult:
    """Assemble a ``SolveResult`` (times, sizes and the oracle's statistics)."""
    solve_s = out.seconds if out is not None else 0.0
    return SolveResult(
        problem=problem, status=status if status is not None else out.status, w=w, W=W, v=v,
        n_errors=n_errors, lower_bound=lower_bound, n=inst.n, m=inst.m,
        alpha=inst.m / inst.n, n_vars=enc.n_vars, n_clauses=enc.n_clauses, solver=solver,
        encoding=encoding, encode_time_s=encode_s, solve_time_s=solve_s,
        time_s=encode_s + solve_s, conflicts=None if out is None else out.conflicts,
        reason=reason if reason is not None else (None if out is None else out.reason))


def check_verified(ver: Verification, what: str) -> None:
    """Raise ``RuntimeError`` if a solver answer failed the independent check."""
    if not ver.ok:
        raise RuntimeError(f"independent verification failed: the {what} misclassifies "
                           f"samples {ver.wrong.tolist()} (encoding or decoding bug)")


def timed(fn, *args, **kw):
    start = time.perf_counter()
    value = fn(*args, **kw)
    return value, time.perf_counter() - start


def solve_consistency(inst: PerceptronInstance, *, solver: str = "glucose4",
                      encoding: str = "seqcounter", time_limit: float | None = None,
                      pb_backend: str = "unary", max_unary: int = 4096,
                      _child_ok: bool = False) -> SolveResult:
    """Find ``w in {-1,+1}^n`` classifying every sample correctly, or prove none exists.

    Parameters
    ----------
    inst : PerceptronInstance
    solver : str
        A long python-sat solver name (``"glucose4"``, ``"cadical195"``, ...).
    encoding : str
        Cardinality encoding (``theory.sat.encode``).
    time_limit : float, optional
        Seconds for the solve phase; needs an interruptible solver (``glucose4``, ...).
    pb_backend, max_unary
        Integer features (``encode_consistency``).

    Returns
    -------
    SolveResult
        ``status`` ``"sat"`` (with verified ``w``), ``"unsat"`` or ``"unknown"``.
    """
    limit = check_options(solver, encoding, time_limit, _child_ok)
    if not isinstance(inst, PerceptronInstance):
        raise TypeError(f"inst must be a PerceptronInstance, got {type(inst).__name__}")
    enc, encode_s = timed(encode_consistency, inst, encoding, pb_backend, max_unary)
    if enc.trivially_unsat:
        j = enc.trivially_unsat[0]
        return make_result("consistency", inst, enc, None, encode_s, solver, encoding,
                           status="unsat",
                           reason=f"trivially unsat: sample {j} can never be satisfied")
    out = run_sat(enc.clauses, solver, limit)
    if out.status != "sat":
        return make_result("consistency", inst, enc, out, encode_s, solver, encoding)
    w = enc.decode(out.model)
    ver = verify_perceptron(inst.X, inst.y, w, inst.theta)
    check_verified(ver, "decoded w")
    return make_result("consistency", inst, enc, out, encode_s, solver, encoding, w=w,
                       n_errors=ver.n_errors)


def solve_hidden(inst: HiddenInstance, *, maxsat: bool = False, solver: str = "glucose4",
                 encoding: str = "seqcounter", time_limit: float | None = None,
                 _child_ok: bool = False) -> SolveResult:
    """Consistency (or, with ``maxsat=True``, minimum errors) of a one-hidden-layer BNN (§5).

    Examples
    --------
    >>> import itertools
    >>> from theory.sat.instances import make_hidden_instance
    >>> X = np.array(list(itertools.product([-1, 1], repeat=3)))
    >>> parity = X.prod(axis=1)
    >>> [solve_hidden(make_hidden_instance(X, parity, H)).status for H in (1, 2, 3)]
    ['unsat', 'unsat', 'sat']
    """
    limit = check_options(solver, encoding, time_limit, _child_ok)
    if not isinstance(inst, HiddenInstance):
        raise TypeError(f"inst must be a HiddenInstance, got {type(inst).__name__}")
    if maxsat:
        from .maxsat import solve_hidden_max_accuracy

        return solve_hidden_max_accuracy(inst, solver=solver, encoding=encoding,
                                         time_limit=limit, _child_ok=_child_ok)
    enc, encode_s = timed(encode_hidden, inst, False, encoding)
    out = run_sat(enc.clauses, solver, limit)
    if out.status != "sat":
        return make_result("hidden", inst, enc, out, encode_s, solver, encoding)
    W, v = enc.decode(out.model), enc.decode_v(out.model)
    ver = verify_hidden(inst.X, inst.y, W, v, inst.output)
    check_verified(ver, "decoded network")
    return make_result("hidden", inst, enc, out, encode_s, solver, encoding, w=W, W=W, v=v,
                       n_errors=ver.n_errors)


def solve_regression_zero(inst: RegressionInstance, *, solver: str = "glucose4",
                          encoding: str = "seqcounter", time_limit: float | None = None,
                          max_unary: int = 4096) -> SolveResult:
    """Decide ``exists w in {-1,+1}^n: X w = t`` (§6); ``n_errors`` is ``||Xw - t||^2``.

    Examples
    --------
    >>> from theory.sat.instances import make_regression_instance
    >>> res = solve_regression_zero(make_regression_instance([[3, 1, 2]], [0]))
    >>> res.status, int(res.w @ [3, 1, 2])
    ('sat', 0)
    """
    limit = check_options(solver, encoding, time_limit)
    if not isinstance(inst, RegressionInstance):
        raise TypeError(f"inst must be a RegressionInstance, got {type(inst).__name__}")
    enc, encode_s = timed(encode_regression_zero, inst, encoding, max_unary)
    if enc.trivially_unsat:
        j = enc.trivially_unsat[0]
        return make_result("regression_zero", inst, enc, None, encode_s, solver, encoding,
                           status="unsat", reason=f"trivially unsat: row {j} has the wrong "
                           f"parity or is out of range")
    out = run_sat(enc.clauses, solver, limit)
    if out.status != "sat":
        return make_result("regression_zero", inst, enc, out, encode_s, solver, encoding)
    w = enc.decode(out.model)
    _, sq = verify_regression(inst.X, inst.t, w)
    if sq != 0:
        raise RuntimeError(f"independent verification failed: ||Xw - t||^2 = {sq} != 0")
    return make_result("regression_zero", inst, enc, out, encode_s, solver, encoding, w=w,
                       n_errors=0)
