"""Minimum training errors with RC2 MaxSAT (shared/spec/sat_theory.md §4, §5).

One soft clause per sample; ``status="optimal"`` is a proof that no weights make fewer
errors. The cost RC2 reports must equal the errors ``verify`` counts, else
``RuntimeError``.

Examples
--------
>>> from theory.sat.instances import make_perceptron_instance
>>> inst = make_perceptron_instance([[1, 1, 1], [1, 1, 1]], [1, -1])   # contradictory
>>> res = solve_max_accuracy(inst)
>>> res.status, res.n_errors, res.n_correct
('optimal', 1, 1)
"""

from __future__ import annotations

from .encode import encode_max_accuracy
from .hidden import encode_hidden
from .instances import HiddenInstance, PerceptronInstance
from .result import SolveResult
from .runner import run_maxsat
from .solve import check_options, make_result, timed
from .verify import verify_hidden, verify_perceptron


def _check_cost(cost: int, n_errors: int) -> None:
    if cost != n_errors:
        raise RuntimeError(f"independent verification failed: RC2 cost {cost} but the "
                           f"decoded weights make {n_errors} errors (encoding bug)")


def solve_max_accuracy(inst: PerceptronInstance, *, solver: str = "glucose4",
                       encoding: str = "seqcounter", time_limit: float | None = None,
                       pb_backend: str = "unary", max_unary: int = 4096,
                       _child_ok: bool = False) -> SolveResult:
    """``min_w #errors(w)`` over ``w in {-1,+1}^n`` for a perceptron instance.

    Returns
    -------
    SolveResult
        ``"optimal"`` with ``w`` and ``n_errors`` (verified), or ``"unknown"`` with
        ``lower_bound`` (the core-guided bound reached before the time limit).
    """
    limit = check_options(solver, encoding, time_limit, _child_ok)
    if not isinstance(inst, PerceptronInstance):
        raise TypeError(f"inst must be a PerceptronInstance, got {type(inst).__name__}")
    enc, encode_s = timed(encode_max_accuracy, inst, encoding, pb_backend, max_unary)
    out = run_maxsat(enc.clauses, enc.soft, solver, limit)
    if out.status != "optimal":
        return make_result("max_accuracy", inst, enc, out, encode_s, solver, encoding,
                           lower_bound=out.cost)
    w = enc.decode(out.model)
    ver = verify_perceptron(inst.X, inst.y, w, inst.theta)
    _check_cost(out.cost, ver.n_errors)
    return make_result("max_accuracy", inst, enc, out, encode_s, solver, encoding, w=w,
                       n_errors=ver.n_errors)


def solve_hidden_max_accuracy(inst: HiddenInstance, *, solver: str = "glucose4",
                              encoding: str = "seqcounter", time_limit: float | None = None,
                              _child_ok: bool = False) -> SolveResult:
    """Minimum errors of a one-hidden-layer BNN (``solve_hidden(..., maxsat=True)``)."""
    limit = check_options(solver, encoding, time_limit, _child_ok)
    if not isinstance(inst, HiddenInstance):
        raise TypeError(f"inst must be a HiddenInstance, got {type(inst).__name__}")
    enc, encode_s = timed(encode_hidden, inst, True, encoding)
    out = run_maxsat(enc.clauses, enc.soft, solver, limit)
    if out.status != "optimal":
        return make_result("hidden_max_accuracy", inst, enc, out, encode_s, solver, encoding,
                           lower_bound=out.cost)
    W, v = enc.decode(out.model), enc.decode_v(out.model)
    ver = verify_hidden(inst.X, inst.y, W, v, inst.output)
    _check_cost(out.cost, ver.n_errors)
    return make_result("hidden_max_accuracy", inst, enc, out, encode_s, solver, encoding,
                       w=W, W=W, v=v, n_errors=ver.n_errors)
