"""Exact training: ``solve`` (SAT), ``max_accuracy`` (MaxSAT) and ``count_solutions``.

Every entry point validates its options before any work, builds the instance
(``instances.as_instance``), encodes it (``encoding``), runs the oracle under the time limit
(``runner``), decodes the model and hands it to ``verification``: an answer that fails the
independent check raises ``RuntimeError`` and is never returned. Every entry point uses the
same default solver, ``runner.DEFAULT_SOLVER`` (docs/theory.md, section "The default
solver").

Examples
--------
>>> res = solve([[1, 1, -1], [-1, 1, 1]], [1, -1])
>>> res.status, res.n_errors, res.w.tolist(), res.solver
('sat', 0, [1, -1, -1], 'glucose4')
"""

from __future__ import annotations

import time

import numpy as np

from .encoding import Encoding, encode_bnn, encode_perceptron, encode_regression
from .instances import HiddenInstance, PerceptronInstance, RegressionInstance, as_instance
from .result import SolveResult
from .runner import DEFAULT_SOLVER, Outcome, check_options, models, run_maxsat, run_sat
from .verification import misclassified, residual

#: ``count_solutions`` without a ``limit`` refuses larger ``n`` (up to ``2^n`` models).
COUNT_MAX_N = 20


def _encode(inst, encoding: str, maxsat: bool, pb_backend: str,
            max_unary: int) -> tuple[Encoding, float]:
    start = time.perf_counter()
    if isinstance(inst, RegressionInstance):
        enc = encode_regression(inst, encoding, max_unary)
    elif isinstance(inst, HiddenInstance):
        enc = encode_bnn(inst, encoding=encoding, maxsat=maxsat)
    else:
        enc = encode_perceptron(inst, encoding=encoding, maxsat=maxsat,
                                pb_backend=pb_backend, max_unary=max_unary)
    return enc, time.perf_counter() - start


def _errors(inst, enc: Encoding, model: list[int]) -> tuple[np.ndarray, np.ndarray | None,
                                                                np.ndarray]:
    """Decode ``(w, v)`` from ``model`` and count its errors independently."""
    w, v = enc.decode(model), enc.decode_v(model)
    if isinstance(inst, RegressionInstance):
        return w, v, np.flatnonzero(residual(inst.X, inst.t, w)[0])
    if isinstance(inst, HiddenInstance):
        return w, v, misclassified(inst.X, inst.y, w if v is None else (w, v), inst.H,
                                   output=inst.output)
    return w, v, misclassified(inst.X, inst.y, w, theta=inst.theta)


def _result(problem: str, inst, enc: Encoding, out: Outcome | None, encode_s: float,
            solver: str, encoding: str, **fields) -> SolveResult:
    """Assemble a ``SolveResult`` (times, sizes and the oracle's statistics)."""
    solve_s = out.seconds if out is not None else 0.0
    hidden = isinstance(inst, HiddenInstance)
    w = fields.pop("w", None)
    values = dict(problem=problem, status=out.status if out is not None else "unsat", w=w,
                  W=w if hidden else None, v=None, n_errors=None, lower_bound=None,
                  n=inst.n, m=inst.m, alpha=inst.alpha, n_vars=enc.n_vars,
                  n_clauses=enc.n_clauses, solver=solver, encoding=encoding,
                  encode_seconds=encode_s, solve_seconds=solve_s, seconds=encode_s + solve_s,
                  conflicts=None if out is None else out.conflicts,
                  reason=None if out is None else out.reason)
    return SolveResult(**{**values, **fields})


def solve(X: object, y: object = None, hidden: int | None = None, *, theta: int = 0,
          integer_features: bool = False, solver: str = DEFAULT_SOLVER,
          encoding: str = "seqcounter", time_limit: float | None = None,
          output: str = "majority", pb_backend: str = "unary",
          max_unary: int = 4096) -> SolveResult:
    """Decide whether some binary weights classify every sample correctly.

    Parameters
    ----------
    X : array_like (m, n), or a PerceptronInstance / HiddenInstance / RegressionInstance
        A ``RegressionInstance`` asks whether ``X w = t`` has a binary solution.
    y : array_like (m,) of ±1, or None when ``X`` is an instance
    hidden : int, optional
        ``H`` hidden sign units (one-hidden-layer fully binary network) instead of one neuron.
    theta : int
        Threshold of one neuron: ``pred(x) = +1`` iff ``<w, x> >= theta`` (sign(0) = +1).
    integer_features : bool
        Allow integer features (PARTITION reduction).
    solver, encoding : str
        python-sat solver (``runner.SOLVERS``) and cardinality encoding
        (``runner.ENCODINGS``).
    time_limit : float, optional
        Seconds for the search; reaching it gives ``status="unknown"``, never a hang.
    output : {"majority", "weights"}
        Output rule of the hidden layer.
    pb_backend, max_unary
        Integer features: ``encode_perceptron``.

    Returns
    -------
    SolveResult
        ``status`` ``"sat"`` (``w`` verified independently), ``"unsat"`` or ``"unknown"``.

    Examples
    --------
    >>> import itertools
    >>> X = np.array(list(itertools.product([-1, 1], repeat=3)))
    >>> [solve(X, X.prod(axis=1), hidden=H).status for H in (1, 2, 3)]
    ['unsat', 'unsat', 'sat']
    """
    limit = check_options(solver, encoding, time_limit)
    inst = as_instance(X, y, hidden, theta=theta, integer_features=integer_features,
                       output=output, regression=True)
    problem = ("regression_zero" if isinstance(inst, RegressionInstance) else
               "hidden" if isinstance(inst, HiddenInstance) else "consistency")
    enc, encode_s = _encode(inst, encoding, False, pb_backend, max_unary)
    if enc.trivially_unsat:
        what = "row" if problem == "regression_zero" else "sample"
        why = "has the wrong parity or is out of range" if what == "row" else \
            "can never be satisfied"
        return _result(problem, inst, enc, None, encode_s, solver, encoding,
                       reason=f"trivially unsat: {what} {enc.trivially_unsat[0]} {why}")
    out = run_sat(enc.clauses, solver, limit)
    if out.status != "sat":
        return _result(problem, inst, enc, out, encode_s, solver, encoding)
    w, v, wrong = _errors(inst, enc, out.model)
    if wrong.size:
        raise RuntimeError(f"independent verification failed: the decoded weights get "
                           f"{'rows' if problem == 'regression_zero' else 'samples'} "
                           f"{wrong.tolist()} wrong (encoding or decoding bug)")
    return _result(problem, inst, enc, out, encode_s, solver, encoding, w=w, v=v,
                   n_errors=0)


def max_accuracy(X: object, y: object = None, hidden: int | None = None, *, theta: int = 0,
                 integer_features: bool = False, solver: str = DEFAULT_SOLVER,
                 encoding: str = "seqcounter", time_limit: float | None = None,
                 output: str = "majority", pb_backend: str = "unary",
                 max_unary: int = 4096) -> SolveResult:
    """Fewest training errors over binary weights, with RC2 MaxSAT (one soft clause per
    sample; docs/theory.md, "Maximum accuracy"). The arguments are those of :func:`solve`.

    Returns
    -------
    SolveResult
        ``status="optimal"`` (a proof) with ``w``, ``n_errors`` and ``n_correct``, or
        ``"unknown"`` with ``lower_bound`` (the core-guided bound reached before the limit).
        The cost RC2 reports must equal the errors counted independently, else
        ``RuntimeError``.

    Examples
    --------
    >>> res = max_accuracy([[1, 1, 1], [1, 1, 1], [-1, 1, 1]], [1, -1, 1])
    >>> res.status, res.n_errors, res.n_correct
    ('optimal', 1, 2)
    """
    limit = check_options(solver, encoding, time_limit)
    inst = as_instance(X, y, hidden, theta=theta, integer_features=integer_features,
                       output=output)
    problem = "hidden_max_accuracy" if isinstance(inst, HiddenInstance) else "max_accuracy"
    enc, encode_s = _encode(inst, encoding, True, pb_backend, max_unary)
    out = run_maxsat(enc.clauses, enc.soft, solver, limit)
    if out.status != "optimal":
        return _result(problem, inst, enc, out, encode_s, solver, encoding,
                       lower_bound=out.cost)
    w, v, wrong = _errors(inst, enc, out.model)
    if out.cost != wrong.size:
        raise RuntimeError(f"independent verification failed: RC2 cost {out.cost} but the "
                           f"decoded weights make {wrong.size} errors (encoding bug)")
    return _result(problem, inst, enc, out, encode_s, solver, encoding, w=w, v=v,
                   n_errors=int(wrong.size))


def count_solutions(X: object, y: object = None, limit: int | None = None, *,
                    theta: int = 0, integer_features: bool = False,
                    solver: str = DEFAULT_SOLVER, encoding: str = "seqcounter") -> int:
    """Number of consistent weight vectors of one neuron (at most ``limit``), each verified.

    Models are enumerated with blocking clauses projected onto the weights
    (``runner.models``). Without a ``limit``, ``n > 20`` raises ``ValueError``.

    Examples
    --------
    >>> count_solutions([[1, 1]], [1]), count_solutions([[1, 1]], [-1])   # all but (-1, -1)
    (3, 1)
    """
    check_options(solver, encoding, None)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                              or limit < 0):
        raise ValueError(f"limit must be None or an int >= 0, got {limit!r}")
    inst = as_instance(X, y, theta=theta, integer_features=integer_features)
    if not isinstance(inst, PerceptronInstance):
        raise TypeError(f"count_solutions counts one neuron's weights, got "
                        f"{type(inst).__name__}")
    if limit is None and inst.n > COUNT_MAX_N:
        raise ValueError(f"count_solutions without a limit enumerates up to 2^n models; "
                         f"n={inst.n} > {COUNT_MAX_N}: pass limit=")
    enc = encode_perceptron(inst, encoding=encoding)
    if enc.trivially_unsat or limit == 0:
        return 0
    count = 0
    for model in models(enc.clauses, enc.w_vars.tolist(), solver):
        w = enc.decode(model)
        wrong = misclassified(inst.X, inst.y, w, theta=inst.theta)
        if wrong.size:
            raise RuntimeError(f"independent verification failed: an enumerated w gets "
                               f"samples {wrong.tolist()} wrong (encoding bug)")
        count += 1
        if count == limit:
            break
    return count
