"""The back ends behind ``solve`` and ``max_accuracy``, and the portfolio that picks one.

``dispatch`` hands a built instance to the back end its ``solver`` names (docs/theory.md,
section "The certified portfolio"):

- ``"auto"``: for one neuron, the incomplete search (``anneal``) for at most
  ``ANNEAL_BASE_RESTARTS + n`` restarts within ``ANNEAL_SHARE`` of the time limit, then
  CP-SAT (``cpsat``) for the rest; a hidden layer, regression and maximum accuracy go to
  CP-SAT directly. Without OR-Tools, CDCL on the CNF (``runner.CDCL_SOLVER``) takes its
  place, with a warning;
- ``"anneal"``, ``"cpsat"``, or a python-sat name (CDCL on the CNF, RC2 for MaxSAT).

Each back end decodes its model and hands it to ``verification``: a complete back end whose
model fails raises ``RuntimeError``; a wrong model of the incomplete search is dropped
(``solver="auto"``, with a warning) or raises (``solver="anneal"``). One time limit covers
the whole call: encoding, loading the clauses and the search.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import replace

import numpy as np

from . import cpsat
from .anneal import anneal
from .encoding import Encoding, encode_bnn, encode_perceptron, encode_regression
from .instances import HiddenInstance, PerceptronInstance, RegressionInstance
from .result import SolveResult
from .runner import CDCL_SOLVER, Outcome, run_maxsat, run_sat
from .verification import misclassified, residual

#: The portfolio's share of the time limit for the incomplete search ...
ANNEAL_SHARE = 0.25
#: ... and its work cap, ``8 + n`` restarts: a small or UNSAT instance goes to CP-SAT
#: quickly, and the cap grows with the work one restart needs at large ``n``.
ANNEAL_BASE_RESTARTS = 8


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
    out: Outcome = (run_maxsat(enc.clauses, enc.soft, solver, limit, spent=encode_s)
                    if maximize else run_sat(enc.clauses, solver, limit, spent=encode_s))
    common = dict(solve_seconds=out.seconds, conflicts=out.conflicts, reason=out.reason,
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


def dispatch(inst, maximize: bool, solver: str, encoding: str, limit: float | None,
             seed: int, pb_backend: str, max_unary: int) -> SolveResult:
    """Answer ``inst`` (checked options, built instance) with the back end ``solver``
    names; ``"auto"`` is the portfolio of the module docstring."""
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
