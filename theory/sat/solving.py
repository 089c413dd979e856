"""Exact training: ``solve`` (SAT), ``max_accuracy`` (MaxSAT) and ``count_solutions``.

Every entry point validates its options before any work, builds the instance
(``instances.as_instance``) and hands it to a back end (docs/theory.md, section "The
certified portfolio"):

- ``"auto"`` (the default, ``runner.DEFAULT_SOLVER``): for one neuron, the incomplete search
  (``anneal``) for a short share of the time, then CP-SAT (``cpsat``) for the rest; for a
  hidden layer, regression and maximum accuracy, CP-SAT directly. Without OR-Tools, CDCL
  on the CNF encoding (``runner.CDCL_SOLVER``) takes CP-SAT's place;
- ``"anneal"``: the incomplete search alone (``"sat"`` or ``"unknown"``, never ``"unsat"``);
- ``"cpsat"``: OR-Tools CP-SAT on native linear constraints (extra ``solvers``);
- a python-sat name (``runner.SOLVERS``): CDCL on the CNF encoding (``encoding``), with RC2
  for maximum accuracy.

Whatever answers, a model is decoded and handed to ``verification``: weights that fail the
independent check are never returned as ``"sat"`` (a complete back end raises
``RuntimeError``; the portfolio drops a wrong model of the incomplete search, warns, and
lets the complete back end decide). ``"unsat"`` and ``"optimal"`` come only from a complete
back end and are proofs (``SolveResult.proof``); ``SolveResult.backend`` names who answered.

Examples
--------
>>> res = solve([[1, 1, -1], [-1, 1, 1]], [1, -1])
>>> res.status, res.n_errors, res.backend, res.solver
('sat', 0, 'anneal', 'auto')
>>> solve([[1, 1], [1, 1]], [1, -1], solver="glucose4").proof      # CDCL proved UNSAT
True
"""

from __future__ import annotations

import time
import warnings
from dataclasses import replace

import numpy as np

from . import cpsat
from .anneal import anneal
from .encoding import Encoding, encode_bnn, encode_perceptron, encode_regression
from .exhaustive import brute_force
from .instances import HiddenInstance, PerceptronInstance, RegressionInstance, as_instance
from .result import SolveResult
from .runner import (
    BACKENDS,
    CDCL_SOLVER,
    DEFAULT_SOLVER,
    Outcome,
    check_options,
    models,
    run_maxsat,
    run_sat,
)
from .verification import misclassified, residual

#: The portfolio's share of the time limit for the incomplete search ...
ANNEAL_SHARE = 0.25
#: ... and its work cap, ``8 + n`` restarts: a small or UNSAT instance goes to CP-SAT
#: quickly, and the cap grows with the work one restart needs at large ``n``.
ANNEAL_BASE_RESTARTS = 8

#: ``count_solutions`` without a ``limit`` refuses larger ``n`` (up to ``2^n`` models).
COUNT_MAX_N = 20


def _encode(inst, encoding: str, maxsat: bool, pb_backend: str, max_unary: int,
            limit: float | None) -> tuple[Encoding | None, float]:
    """The encoding and its seconds; ``None`` if it outlasted ``limit`` (TimeoutError)."""
    start = time.perf_counter()
    deadline = None if limit is None else start + limit
    try:
        if isinstance(inst, RegressionInstance):
            enc = encode_regression(inst, encoding, max_unary, deadline=deadline)
        elif isinstance(inst, HiddenInstance):
            enc = encode_bnn(inst, encoding=encoding, maxsat=maxsat, deadline=deadline)
        else:
            enc = encode_perceptron(inst, encoding=encoding, maxsat=maxsat,
                                    pb_backend=pb_backend, max_unary=max_unary,
                                    deadline=deadline)
    except TimeoutError:
        enc = None
    return enc, time.perf_counter() - start


def _wrong(inst, w: np.ndarray, v: np.ndarray | None) -> np.ndarray:
    """The rows or samples that ``(w, v)`` gets wrong, counted by ``verification``."""
    if isinstance(inst, RegressionInstance):
        return np.flatnonzero(residual(inst.X, inst.t, w)[0])
    if isinstance(inst, HiddenInstance):
        return misclassified(inst.X, inst.y, w if v is None else (w, v), inst.H,
                             output=inst.output)
    return misclassified(inst.X, inst.y, w, theta=inst.theta)


def _problem(inst, maximize: bool) -> str:
    if isinstance(inst, RegressionInstance):
        return "regression_zero"
    hidden = isinstance(inst, HiddenInstance)
    if maximize:
        return "hidden_max_accuracy" if hidden else "max_accuracy"
    return "hidden" if hidden else "consistency"


def _result(inst, maximize: bool, *, status: str, backend: str, solver: str,
            encoding: str, n_vars: int, n_clauses: int, encode_seconds: float,
            solve_seconds: float, w=None, v=None, n_errors=None, lower_bound=None,
            conflicts=None, reason=None) -> SolveResult:
    hidden = isinstance(inst, HiddenInstance)
    return SolveResult(
        problem=_problem(inst, maximize), status=status, w=w, W=w if hidden else None, v=v,
        n_errors=n_errors, lower_bound=lower_bound, n=inst.n, m=inst.m, alpha=inst.alpha,
        n_vars=n_vars, n_clauses=n_clauses, solver=solver, encoding=encoding,
        encode_seconds=encode_seconds, solve_seconds=solve_seconds,
        seconds=encode_seconds + solve_seconds, conflicts=conflicts, reason=reason,
        backend=backend, proof=status in ("unsat", "optimal"))


def _bug(backend: str, inst, wrong: np.ndarray) -> RuntimeError:
    what = "rows" if isinstance(inst, RegressionInstance) else "samples"
    return RuntimeError(f"independent verification failed: the weights from {backend} get "
                        f"{what} {wrong.tolist()} wrong (encoding, model or decoding bug)")


def _cdcl(inst, maximize: bool, solver: str, encoding: str, limit: float | None,
          pb_backend: str, max_unary: int, label: str) -> SolveResult:
    """CNF (or WCNF) encoding, a python-sat solver (or RC2), decode, verify."""
    enc, encode_s = _encode(inst, encoding, maximize, pb_backend, max_unary, limit)
    if enc is None:
        return _result(inst, maximize, status="unknown", backend="cdcl", solver=label,
                       encoding=encoding, n_vars=0, n_clauses=0, encode_seconds=encode_s,
                       solve_seconds=0.0, lower_bound=0 if maximize else None,
                       reason=f"time limit {limit:g} s reached while encoding")
    sizes = dict(backend="cdcl", solver=label, encoding=encoding, n_vars=enc.n_vars,
                 n_clauses=enc.n_clauses, encode_seconds=encode_s)
    if enc.trivially_unsat and not maximize:
        row = isinstance(inst, RegressionInstance)
        why = "has the wrong parity or is out of range" if row else "can never be satisfied"
        return _result(inst, maximize, status="unsat", solve_seconds=0.0, **sizes,
                       reason=f"trivially unsat: {'row' if row else 'sample'} "
                              f"{enc.trivially_unsat[0]} {why}")
    left = None if limit is None else max(limit - encode_s, 0.0)   # one budget for both
    out: Outcome = (run_maxsat(enc.clauses, enc.soft, solver, left) if maximize
                    else run_sat(enc.clauses, solver, left))
    reason = out.reason
    if out.status == "unknown" and limit is not None:
        reason = f"{out.reason}; the {limit:g} s limit includes {encode_s:.2f} s of encoding"
    common = dict(solve_seconds=out.seconds, conflicts=out.conflicts, reason=reason,
                  **sizes)
    if out.status not in ("sat", "optimal"):
        return _result(inst, maximize, status=out.status,
                       lower_bound=out.cost if maximize else None, **common)
    w, v = enc.decode(out.model), enc.decode_v(out.model)
    wrong = _wrong(inst, w, v)
    if maximize and out.cost != wrong.size:
        raise RuntimeError(f"independent verification failed: RC2 cost {out.cost} but the "
                           f"decoded weights make {wrong.size} errors (encoding bug)")
    if not maximize and wrong.size:
        raise _bug(f"{solver} (CDCL)", inst, wrong)
    return _result(inst, maximize, status=out.status, w=w, v=v, n_errors=int(wrong.size),
                   **common)


def _cpsat(inst, maximize: bool, limit: float | None, seed: int, label: str) -> SolveResult:
    """CP-SAT on native linear constraints, decode, verify."""
    out = cpsat.run(inst, maximize=maximize, time_limit=limit, seed=seed)
    common = dict(backend="cpsat", solver=label, encoding="linear", n_vars=out.n_vars,
                  n_clauses=out.n_constraints, encode_seconds=out.build_seconds,
                  solve_seconds=out.seconds)
    reason = out.reason
    if out.status in ("unsat", "unknown"):
        lower = inst.m - out.upper_bound if maximize else None
        return _result(inst, maximize, status=out.status, lower_bound=lower, reason=reason,
                       **common)
    wrong = _wrong(inst, out.w, out.v)
    if maximize and inst.m - out.n_correct != wrong.size:
        raise RuntimeError(f"independent verification failed: CP-SAT counts "
                           f"{inst.m - out.n_correct} errors but the weights make "
                           f"{wrong.size} (model bug)")
    if not maximize and wrong.size:
        raise _bug("cpsat", inst, wrong)
    return _result(inst, maximize, status=out.status, w=out.w, v=out.v,
                   n_errors=int(wrong.size), reason=reason, **common)


def _anneal(inst: PerceptronInstance, limit: float | None, seed: int, label: str,
            strict: bool, max_restarts: int | None = None
            ) -> tuple[SolveResult | None, float, str]:
    """The incomplete search: a verified ``"sat"`` result, or ``None`` with the seconds
    spent and a note. ``strict`` (``solver="anneal"``) turns a wrong model into an error."""
    out = anneal(inst, seed=seed, time_limit=limit, max_restarts=max_restarts)
    if out.status == "sat":
        wrong = _wrong(inst, out.w, None)
        if not wrong.size:
            return _result(inst, False, status="sat", backend="anneal", solver=label,
                           encoding="none", n_vars=inst.n, n_clauses=inst.m,
                           encode_seconds=0.0, solve_seconds=out.seconds, w=out.w,
                           n_errors=0), out.seconds, ""
        if strict:
            raise _bug("the incomplete search (anneal)", inst, wrong)
        warnings.warn(f"the incomplete search returned weights that get samples "
                      f"{wrong.tolist()} wrong; they were dropped and a complete back end "
                      f"decides", RuntimeWarning, stacklevel=4)
        return None, out.seconds, "anneal: a model failed verification and was dropped"
    return None, out.seconds, (f"anneal: no model in {out.restarts} restarts, "
                               f"{out.seconds:.2g} s")


def _complete(inst, maximize: bool, limit: float | None, seed: int, encoding: str,
              pb_backend: str, max_unary: int, label: str) -> SolveResult:
    """CP-SAT when OR-Tools is installed, else CDCL (with a one-line warning)."""
    if cpsat.available():
        return _cpsat(inst, maximize, limit, seed, label)
    warnings.warn(f"OR-Tools is not installed: solver='auto' uses CDCL ({CDCL_SOLVER}) in "
                  f"place of CP-SAT; {cpsat.SOLVERS_HINT}", RuntimeWarning, stacklevel=4)
    return _cdcl(inst, maximize, CDCL_SOLVER, encoding, limit, pb_backend, max_unary, label)


def _dispatch(inst, maximize: bool, solver: str, encoding: str, limit: float | None,
              seed: int, pb_backend: str, max_unary: int) -> SolveResult:
    perceptron = isinstance(inst, PerceptronInstance)
    if solver == "anneal":
        if maximize or not perceptron:
            raise ValueError("solver='anneal' is the incomplete search for one neuron's "
                             "consistency: it cannot prove an optimum or handle "
                             f"{type(inst).__name__}; use 'auto', 'cpsat' or a PySAT solver")
        res, spent, note = _anneal(inst, limit, seed, solver, strict=True)
        if res is not None:
            return res
        return _result(inst, False, status="unknown", backend="anneal", solver=solver,
                       encoding="none", n_vars=inst.n, n_clauses=inst.m, encode_seconds=0.0,
                       solve_seconds=spent, reason=_anneal_reason(note, limit))
    if solver == "cpsat":
        return _cpsat(inst, maximize, limit, seed, solver)
    if solver != "auto":
        return _cdcl(inst, maximize, solver, encoding, limit, pb_backend, max_unary, solver)
    if maximize or not perceptron:
        return _complete(inst, maximize, limit, seed, encoding, pb_backend, max_unary, solver)
    share = None if limit is None else ANNEAL_SHARE * limit
    res, spent, note = _anneal(inst, share, seed, solver, strict=False,
                               max_restarts=ANNEAL_BASE_RESTARTS + inst.n)
    if res is not None:
        return res
    rest = None if limit is None else max(limit - spent, 1e-3)
    res = _complete(inst, False, rest, seed, encoding, pb_backend, max_unary, solver)
    reason = res.reason
    if res.status == "unknown" and limit is not None:   # the caller's limit, not the rest
        reason = f"time limit {limit:g} s reached ({res.backend})"
    return replace(res, solve_seconds=res.solve_seconds + spent, seconds=res.seconds + spent,
                   reason="; ".join(x for x in (note, reason) if x))


def _anneal_reason(note: str, limit: float | None) -> str:
    return f"{note}; the incomplete search cannot prove unsat" + (
        f" (time limit {limit:g} s)" if limit is not None else "")


def _check_cnf_options(solver: str, encoding: str, pb_backend: str, max_unary: int) -> None:
    """CNF options change nothing for a back end that does not encode to CNF: refuse them."""
    if solver not in BACKENDS:
        return
    for name, value, default in (("encoding", encoding, "seqcounter"),
                                 ("pb_backend", pb_backend, "unary"),
                                 ("max_unary", max_unary, 4096)):
        if value != default:
            raise ValueError(f"{name}={value!r} applies to the CNF encoding of a python-sat "
                             f"solver, and solver={solver!r} does not encode to CNF: pass a "
                             f"python-sat solver (e.g. solver={CDCL_SOLVER!r}) or drop {name}")


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an int >= 0, got {seed!r}")
    return int(seed)


def solve(X: object, y: object = None, hidden: int | None = None, *, theta: int = 0,
          integer_features: bool = False, solver: str = DEFAULT_SOLVER,
          encoding: str = "seqcounter", time_limit: float | None = None,
          output: str = "majority", pb_backend: str = "unary",
          max_unary: int = 4096, seed: int = 0) -> SolveResult:
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
    solver : str
        ``"auto"`` (the certified portfolio), ``"anneal"`` (incomplete search), ``"cpsat"``
        (OR-Tools, extra ``solvers``) or a python-sat solver (``runner.SOLVERS``, CDCL).
    encoding : str
        Cardinality encoding of the CNF (``runner.ENCODINGS``), used by CDCL only.
    time_limit : float, optional
        Seconds for the search; reaching it gives ``status="unknown"``, never a hang. The
        first call of a session also compiles the incomplete search (Numba, cached on disk).
    output : {"majority", "weights"}
        Output rule of the hidden layer.
    pb_backend, max_unary
        Integer features: ``encode_perceptron``.
    seed : int
        Seeds the incomplete search and CP-SAT's ``random_seed``.

    Returns
    -------
    SolveResult
        ``status`` ``"sat"`` (``w`` verified independently), ``"unsat"`` (a proof by a
        complete back end) or ``"unknown"``; ``backend`` says which back end answered.

    Examples
    --------
    >>> import itertools
    >>> X = np.array(list(itertools.product([-1, 1], repeat=3)))
    >>> [solve(X, X.prod(axis=1), hidden=H, solver="glucose4").status for H in (1, 2, 3)]
    ['unsat', 'unsat', 'sat']
    """
    limit = check_options(solver, encoding, time_limit)
    _check_cnf_options(solver, encoding, pb_backend, max_unary)
    seed = _check_seed(seed)
    inst = as_instance(X, y, hidden, theta=theta, integer_features=integer_features,
                       output=output, regression=True)
    return _dispatch(inst, False, solver, encoding, limit, seed, pb_backend, max_unary)


def max_accuracy(X: object, y: object = None, hidden: int | None = None, *, theta: int = 0,
                 integer_features: bool = False, solver: str = DEFAULT_SOLVER,
                 encoding: str = "seqcounter", time_limit: float | None = None,
                 output: str = "majority", pb_backend: str = "unary",
                 max_unary: int = 4096, seed: int = 0) -> SolveResult:
    """Fewest training errors over binary weights (docs/theory.md, "Maximum accuracy").

    ``solver="auto"`` and ``"cpsat"``: CP-SAT maximising the number of correct samples
    (RC2 when OR-Tools is absent); a python-sat name: RC2 MaxSAT with one soft clause per
    sample. ``"anneal"`` cannot prove an optimum (``ValueError``). The other arguments are
    those of :func:`solve`.

    Returns
    -------
    SolveResult
        ``status="optimal"`` (a proof) with ``w``, ``n_errors`` and ``n_correct``, or
        ``"unknown"`` with ``lower_bound`` (the proven bound on the errors reached before
        the limit). The optimum a back end reports must equal the errors counted
        independently, else ``RuntimeError``.

    Examples
    --------
    >>> res = max_accuracy([[1, 1, 1], [1, 1, 1], [-1, 1, 1]], [1, -1, 1])
    >>> res.status, res.n_errors, res.n_correct, res.proof
    ('optimal', 1, 2, True)
    """
    limit = check_options(solver, encoding, time_limit)
    _check_cnf_options(solver, encoding, pb_backend, max_unary)
    seed = _check_seed(seed)
    inst = as_instance(X, y, hidden, theta=theta, integer_features=integer_features,
                       output=output)
    return _dispatch(inst, True, solver, encoding, limit, seed, pb_backend, max_unary)


def count_solutions(X: object, y: object = None, limit: int | None = None, *,
                    theta: int = 0, integer_features: bool = False,
                    solver: str = DEFAULT_SOLVER, encoding: str = "seqcounter") -> int:
    """Number of consistent weight vectors of one neuron (at most ``limit``), each verified.

    ``solver="auto"`` without a ``limit`` (and with the default ``encoding``) scores all
    ``2^n`` weight vectors (``exhaustive.brute_force``, NumPy); otherwise
    models are enumerated with blocking clauses projected onto the weights
    (``runner.models``, CDCL). Without a ``limit``, ``n > 20`` raises ``ValueError``.

    Examples
    --------
    >>> count_solutions([[1, 1]], [1]), count_solutions([[1, 1]], [-1])   # all but (-1, -1)
    (3, 1)
    """
    check_options(solver, encoding, None)
    if solver in ("anneal", "cpsat"):
        raise ValueError(f"count_solutions enumerates by brute force ('auto') or with a "
                         f"python-sat solver, got solver={solver!r}")
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
    if limit == 0:
        return 0
    if solver == "auto" and limit is None and encoding == "seqcounter":
        return int(brute_force(inst, max_n=COUNT_MAX_N).n_consistent)
    enc = encode_perceptron(inst, encoding=encoding)
    if enc.trivially_unsat:
        return 0
    count = 0
    for model in models(enc.clauses, enc.w_vars.tolist(),
                        CDCL_SOLVER if solver == "auto" else solver):
        w = enc.decode(model)
        wrong = misclassified(inst.X, inst.y, w, theta=inst.theta)
        if wrong.size:
            raise RuntimeError(f"independent verification failed: an enumerated w gets "
                               f"samples {wrong.tolist()} wrong (encoding bug)")
        count += 1
        if count == limit:
            break
    return count
