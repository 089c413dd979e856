"""Run a SAT or MaxSAT oracle under a wall-clock limit (shared/spec/sat_theory.md §7).

Interruptible solvers: a ``threading.Timer`` calls ``interrupt()`` at the deadline and
``solve_limited(expect_interrupt=True)`` (or ``RC2.compute``) returns ``None``.
Solvers python-sat cannot interrupt (CaDiCaL, Kissat, ...) run, when a limit is requested
through the array-level facade, in a child process that is terminated at the deadline.
Either way a time limit gives ``status="unknown"``, never a hang.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
from dataclasses import dataclass

from ._pysat import INTERRUPTIBLE, require


@dataclass
class Outcome:
    """Raw oracle answer: ``status`` in {"sat", "unsat", "optimal", "unknown"}."""

    status: str
    model: list[int] | None
    seconds: float
    conflicts: int | None = None
    cost: int | None = None
    reason: str | None = None


def _limit_reason(time_limit: float) -> str:
    return f"time limit {time_limit:g} s reached"


def _sat(clauses: list[list[int]], solver: str, time_limit: float | None) -> Outcome:
    solvers = require("solvers")
    fired = threading.Event()
    start = time.perf_counter()
    with solvers.Solver(name=solver, bootstrap_with=clauses) as s:
        if time_limit is None:
            res = s.solve()
        else:
            def fire() -> None:
                fired.set()
                s.interrupt()

            timer = threading.Timer(time_limit, fire)
            timer.start()
            try:
                res = s.solve_limited(expect_interrupt=True)
            finally:
                timer.cancel()
                timer.join()   # a callback already running finishes before the solver dies
        seconds = time.perf_counter() - start
        conflicts = int(s.accum_stats().get("conflicts", 0))
        if res is None:
            return Outcome("unknown", None, seconds, conflicts,
                           reason=_limit_reason(time_limit or 0.0))
        return Outcome("sat" if res else "unsat", s.get_model() if res else None, seconds,
                       conflicts)


def _maxsat(hard: list[list[int]], soft: list[tuple[list[int], int]], solver: str,
            time_limit: float | None) -> Outcome:
    formula, rc2mod = require("formula"), require("examples.rc2")
    wcnf = formula.WCNF()
    for clause in hard:
        wcnf.append(clause)
    for clause, weight in soft:
        wcnf.append(clause, weight=weight)
    fired = threading.Event()
    start = time.perf_counter()
    with rc2mod.RC2(wcnf, solver=solver) as rc2:   # adapt/exhaust/minz off: prompt interrupts
        timer = None
        if time_limit is not None:
            def fire() -> None:
                fired.set()
                rc2.interrupt()

            timer = threading.Timer(time_limit, fire)
            timer.start()
        try:
            model = rc2.compute(expect_interrupt=time_limit is not None)
        finally:
            if timer is not None:
                timer.cancel()
                timer.join()
        seconds = time.perf_counter() - start
        if model is None:
            if not fired.is_set():
                raise RuntimeError("hard clauses unsatisfiable: encoding bug")
            return Outcome("unknown", None, seconds, cost=int(rc2.cost),
                           reason=_limit_reason(time_limit))
        return Outcome("optimal", list(model), seconds, cost=int(rc2.cost))


def _child_main(conn, kind: str, args: tuple) -> None:
    try:
        out = _sat(*args, None) if kind == "sat" else _maxsat(*args, None)
        conn.send(("ok", out))
    except BaseException as exc:  # report anything to the parent, which re-raises
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _in_child(kind: str, args: tuple, time_limit: float) -> Outcome:
    methods = mp.get_all_start_methods()
    ctx = mp.get_context("fork" if "fork" in methods else "spawn")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child_main, args=(send, kind, args), daemon=True)
    start = time.perf_counter()
    proc.start()
    send.close()
    try:
        if receive.poll(time_limit):
            try:
                tag, payload = receive.recv()
            except EOFError:
                raise RuntimeError("the solver child process died without an answer") from None
            if tag == "error":
                raise RuntimeError(f"solver child process failed: {payload}")
            return payload
        return Outcome("unknown", None, time.perf_counter() - start,
                       reason=_limit_reason(time_limit) + " (child process terminated)")
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join()
        receive.close()


def run_sat(clauses: list[list[int]], solver: str, time_limit: float | None = None) -> Outcome:
    """Decide ``clauses``; a limit on a non-interruptible solver uses a child process."""
    if time_limit is not None and solver not in INTERRUPTIBLE:
        require("solvers")
        return _in_child("sat", (clauses, solver), time_limit)
    return _sat(clauses, solver, time_limit)


def run_maxsat(hard: list[list[int]], soft: list[tuple[list[int], int]], solver: str,
               time_limit: float | None = None) -> Outcome:
    """Minimise the cost of ``soft`` subject to ``hard`` with RC2 (``status="optimal"``)."""
    if time_limit is not None and solver not in INTERRUPTIBLE:
        require("examples.rc2")
        return _in_child("maxsat", (hard, soft, solver), time_limit)
    return _maxsat(hard, soft, solver, time_limit)
