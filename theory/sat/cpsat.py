"""The OR-Tools CP-SAT back end: native linear constraints instead of a CNF counter.

OR-Tools is optional (extra ``solvers``: ``pip install "bnncore[solvers]"``) and imported on
first use (:func:`require_ortools`). Variables are Booleans ``b_i`` with ``w_i = 2 b_i - 1``
(docs/theory.md, section "The certified portfolio"). One neuron with threshold ``theta``
gives one linear constraint per sample:

- ``y_j = +1``: ``sum_i 2 x_ji b_i >= theta + sum_i x_ji``  (``<w, x_j> >= theta``)
- ``y_j = -1``: ``sum_i 2 x_ji b_i <= theta - 1 + sum_i x_ji``  (``<w, x_j> <= theta - 1``)

A hidden layer adds one Boolean ``h_kj`` per unit and sample, tied to its unit's sum by two
half-reified constraints (``h_kj -> <W_k, x_j> >= 0``, ``not h_kj -> <W_k, x_j> <= -1``),
then the output rule on the ``h`` (majority, or ``v`` with ``p_kj = v_k XNOR h_kj``).
Regression is ``X w = t``. Maximum accuracy enforces sample ``j``'s constraint only if a
Boolean ``ok_j`` holds and maximises ``sum_j ok_j``.

The search uses every core (``num_workers``), stops at ``max_time_in_seconds`` inside the
solver (no child process) and is seeded (``random_seed``). With several workers the model
returned may differ between runs; the status does not.

Examples
--------
>>> from theory.sat.instances import make_perceptron_instance
>>> out = run(make_perceptron_instance([[1, 1, -1], [-1, 1, 1]], [1, -1]))
>>> out.status, out.w.tolist()
('sat', [1, -1, -1])
"""

from __future__ import annotations

import importlib
import os
import time
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from .instances import HiddenInstance, PerceptronInstance, RegressionInstance

SOLVERS_HINT = ('the CP-SAT back end needs OR-Tools: pip install "bnncore[solvers]" '
                '(or pip install ortools)')


def require_ortools() -> ModuleType:
    """Import ``ortools.sat.python.cp_model``, or raise ``ImportError`` with the install hint.
    """
    try:
        return importlib.import_module("ortools.sat.python.cp_model")
    except ImportError as exc:
        raise ImportError(SOLVERS_HINT) from exc


def available() -> bool:
    """Whether OR-Tools can be imported (without importing it twice)."""
    try:
        require_ortools()
    except ImportError:
        return False
    return True


def n_workers() -> int:
    """The cores this process may use (CP-SAT's ``num_workers``)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:   # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class CpOutcome:
    """CP-SAT's answer, decoded: ``status`` in {"sat", "unsat", "optimal", "unknown"}.

    ``w`` int8 ``(n,)`` (hidden: ``(H, n)``), ``v`` int8 ``(H,)`` or None; ``n_correct`` is
    the objective of a maximisation (CP-SAT's count, verified by the caller) and
    ``upper_bound`` its proven bound; ``n_vars`` / ``n_constraints`` the model's size.
    """

    status: str
    w: np.ndarray | None
    v: np.ndarray | None
    n_correct: int | None
    upper_bound: int | None
    n_vars: int
    n_constraints: int
    build_seconds: float
    seconds: float
    reason: str | None


def _dot(cp, row: np.ndarray, b: list) -> object:
    """``sum_i row_i b_i`` as a CP-SAT expression (no zero coefficients)."""
    nz = np.flatnonzero(row)
    return cp.LinearExpr.WeightedSum([b[i] for i in nz], [int(row[i]) for i in nz])


def _perceptron(cp, model, inst: PerceptronInstance, ok: list | None, b: list) -> None:
    for j in range(inst.m):
        x = inst.X[j]
        expr, total = _dot(cp, 2 * x, b), int(x.sum())
        c = (model.Add(expr >= inst.theta + total) if inst.y[j] == 1
             else model.Add(expr <= inst.theta - 1 + total))
        if ok is not None:
            c.OnlyEnforceIf(ok[j])


def _hidden(cp, model, inst: HiddenInstance, ok: list | None,
            b: list) -> tuple[list[list], list | None]:
    n, H = inst.n, inst.H
    W = [b[k * n:(k + 1) * n] for k in range(H)]
    h = [[model.NewBoolVar(f"h{k}_{j}") for j in range(inst.m)] for k in range(H)]
    for j in range(inst.m):
        x, total = inst.X[j], int(inst.X[j].sum())
        for k in range(H):
            expr = _dot(cp, 2 * x, W[k])                 # = <W_k, x_j> + total
            model.Add(expr >= total).OnlyEnforceIf(h[k][j])
            model.Add(expr <= total - 1).OnlyEnforceIf(h[k][j].Not())
    v = None
    if inst.output == "weights":
        v = [model.NewBoolVar(f"v{k}") for k in range(H)]
        agree = [[model.NewBoolVar(f"p{k}_{j}") for j in range(inst.m)] for k in range(H)]
        for k in range(H):
            for j in range(inst.m):
                model.AddBoolXOr([agree[k][j], v[k], h[k][j]])   # p = v XNOR h
        units = agree
    else:
        units = h
    for j in range(inst.m):
        ones = sum(units[k][j] for k in range(H))          # sum_k (+1) units
        c = (model.Add(2 * ones >= H) if inst.y[j] == 1 else model.Add(2 * ones <= H - 1))
        if ok is not None:
            c.OnlyEnforceIf(ok[j])
    return W, v


def _regression(cp, model, inst: RegressionInstance, b: list) -> None:
    for j in range(inst.m):
        x = inst.X[j]
        model.Add(_dot(cp, 2 * x, b) == int(inst.t[j]) + int(x.sum()))


def run(inst, *, maximize: bool = False, time_limit: float | None = None, seed: int = 0,
        workers: int | None = None, hint: np.ndarray | None = None) -> CpOutcome:
    """Build the CP-SAT model of ``inst`` and solve it.

    Parameters
    ----------
    inst : PerceptronInstance, HiddenInstance or RegressionInstance
    maximize : bool
        Maximise the number of correct samples (not for regression).
    time_limit : float, optional
        ``max_time_in_seconds``; reaching it gives ``"unknown"``.
    seed : int
        ``random_seed`` of the search.
    workers : int, optional
        ``num_workers`` (default: every core of this process).
    hint : numpy.ndarray, optional
        ±1 weights ``(n,)`` to start from (``AddHint``), e.g. the incomplete search's best.

    Returns
    -------
    CpOutcome
    """
    cp = require_ortools()
    start = time.perf_counter()
    model = cp.CpModel()
    hidden = isinstance(inst, HiddenInstance)
    n_w = inst.n * (inst.H if hidden else 1)
    b = [model.NewBoolVar(f"b{i}") for i in range(n_w)]
    ok = [model.NewBoolVar(f"ok{j}") for j in range(inst.m)] if maximize else None
    v = None
    if isinstance(inst, RegressionInstance):
        _regression(cp, model, inst, b)
    elif hidden:
        _, v = _hidden(cp, model, inst, ok, b)
    else:
        _perceptron(cp, model, inst, ok, b)
    if maximize:
        model.Maximize(sum(ok))
    if hint is not None:
        for var, wi in zip(b, np.asarray(hint).ravel().tolist()):
            model.AddHint(var, int(wi) > 0)
    proto = model.Proto()
    n_vars, n_constraints = len(proto.variables), len(proto.constraints)
    solver = cp.CpSolver()
    solver.parameters.num_workers = int(workers or n_workers())
    solver.parameters.random_seed = int(seed) % (2 ** 31)
    if time_limit is not None:
        solver.parameters.max_time_in_seconds = float(time_limit)
    build = time.perf_counter() - start
    code = solver.Solve(model)
    seconds = time.perf_counter() - start - build
    found = code in (cp.OPTIMAL, cp.FEASIBLE)
    w = vv = None
    if found:
        bits = np.array([solver.Value(x) for x in b], np.int8)
        w = 2 * bits - 1
        w = w.reshape(inst.H, inst.n) if hidden else w
        if v is not None:
            vv = (2 * np.array([solver.Value(x) for x in v], np.int8) - 1)
    n_correct = upper = None
    if maximize:
        n_correct = int(round(solver.ObjectiveValue())) if found else None
        bound = solver.BestObjectiveBound()
        upper = min(inst.m, int(np.floor(bound + 1e-9))) if np.isfinite(bound) else inst.m
    if code == cp.INFEASIBLE:
        status, reason = "unsat", None
    elif code == cp.OPTIMAL:
        status, reason = ("optimal" if maximize else "sat"), None
    elif code == cp.FEASIBLE and not maximize:
        status, reason = "sat", None
    elif code in (cp.FEASIBLE, cp.UNKNOWN):
        status = "unknown"
        reason = (f"time limit {time_limit:g} s reached (cpsat)" if time_limit is not None
                  else "cpsat stopped without an answer")
        if not maximize:
            w = None
    else:
        raise RuntimeError(f"CP-SAT returned {solver.StatusName(code)}: "
                           f"{model.Validate() or 'invalid model'} (model bug)")
    return CpOutcome(status, w, vv, n_correct, upper, n_vars, n_constraints, build, seconds,
                     reason)
