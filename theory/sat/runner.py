"""Everything that touches PySAT's solvers: lazy import, names, and time limits.

PySAT is imported only inside the functions that need it (:func:`require`), so that
``theory.sat.exhaustive`` and ``theory.sat.verification`` work without it.

A time limit never hangs (docs/theory.md, section "Time limits"): an interruptible solver
(``INTERRUPTIBLE``) is stopped in-process by a ``threading.Timer`` calling ``interrupt()``
(``solve_limited(expect_interrupt=True)`` or ``RC2.compute`` then return ``None``); any other
solver (CaDiCaL, Kissat, ...) runs in a child process that is terminated at the deadline.
Either way the answer is ``status="unknown"`` with a ``reason``.

Examples
--------
>>> run_sat([[1, 2], [-1]], CDCL_SOLVER).model
[-1, 2]
"""

from __future__ import annotations

import importlib
import math
import multiprocessing as mp
import numbers
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType

#: The solver of every entry point: the certified portfolio (docs/theory.md, section
#: "The certified portfolio"); ``portfolio`` dispatches it.
DEFAULT_SOLVER = "auto"
#: The CDCL solver of the portfolio and of every CNF helper here (docs/theory.md, section
#: "The default solver").
CDCL_SOLVER = "glucose4"
#: Names that are not PySAT solvers: the portfolio, the incomplete search, OR-Tools CP-SAT.
BACKENDS = ("auto", "anneal", "cpsat")

PYSAT_HINT = "theory.sat needs python-sat: pip install python-sat"
PB_HINT = ("pb_backend='pysat-pb' needs pysat.pb, which needs pindakaas: "
           "pip install 'python-sat[pb]'")

#: The long solver names of python-sat 1.9 (the only names accepted).
SOLVERS = ("cadical103", "cadical153", "cadical195", "cadical300", "cryptosat", "ergo",
           "gluecard3", "gluecard4", "glucose3", "glucose4", "glucose42", "kissat404",
           "lingeling", "maplechrono", "maplecm", "maplesat", "mergesat3", "minicard",
           "minisat22", "minisatgh", "minisatep")

#: Solvers whose ``solve_limited`` honours ``interrupt()`` (checked against 1.9.dev24).
INTERRUPTIBLE = ("glucose3", "glucose4", "glucose42", "gluecard4", "maplechrono", "maplecm",
                 "maplesat", "mergesat3", "minicard", "minisat22", "minisatep")

#: Cardinality encodings offered, by their ``pysat.card.EncType`` names.
ENCODINGS = ("seqcounter", "totalizer", "kmtotalizer", "sortnetwrk", "cardnetwrk",
             "mtotalizer")


def require(submodule: str) -> ModuleType:
    """Import ``pysat.<submodule>``, or raise ``ImportError`` with the install hint."""
    try:
        return importlib.import_module(f"pysat.{submodule}")
    except ImportError as exc:
        raise ImportError(PYSAT_HINT) from exc


def require_pb() -> ModuleType:
    """Import ``pysat.pb``; in python-sat 1.9 it asserts at import without pindakaas."""
    require("card")
    try:
        return importlib.import_module("pysat.pb")
    except (ImportError, AssertionError) as exc:
        raise ImportError(PB_HINT) from exc


def check_options(solver: object, encoding: object, time_limit: object) -> float | None:
    """Validate the solver and encoding names and the time limit before any work.

    Returns the time limit as a float (``None``: no limit).
    """
    if not isinstance(solver, str) or solver not in BACKENDS + SOLVERS:
        raise ValueError(f"solver must be one of the back ends {list(BACKENDS)} or a "
                         f"python-sat solver {list(SOLVERS)}, got {solver!r}")
    if not isinstance(encoding, str) or encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {list(ENCODINGS)}, got {encoding!r}")
    if time_limit is None:
        return None
    bad = isinstance(time_limit, bool) or not isinstance(time_limit, numbers.Real)
    if bad or not math.isfinite(float(time_limit)) or float(time_limit) <= 0:
        raise ValueError(f"time_limit must be None or a finite number > 0, got {time_limit!r}")
    return float(time_limit)


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


def _timer(time_limit: float | None, stop) -> tuple[threading.Timer | None, threading.Event]:
    """Start a timer that sets the returned event and calls ``stop()`` at the deadline."""
    fired = threading.Event()
    if time_limit is None:
        return None, fired

    def fire() -> None:
        fired.set()
        stop()

    timer = threading.Timer(time_limit, fire)
    timer.start()
    return timer, fired


def _stop(timer: threading.Timer | None) -> None:
    if timer is not None:
        timer.cancel()
        timer.join()   # a callback already running finishes before the solver dies


def _left(time_limit: float | None, spent: float, start: float) -> float | None:
    """What is left of ``time_limit`` after ``spent`` seconds before ``start`` and the
    time since (``None``: no limit)."""
    return None if time_limit is None else time_limit - spent - (time.perf_counter() - start)


def _sat(clauses: list[list[int]], solver: str, time_limit: float | None,
         spent: float = 0.0) -> Outcome:
    start = time.perf_counter()
    with require("solvers").Solver(name=solver, bootstrap_with=clauses) as s:
        left = _left(time_limit, spent, start)
        if left is None:
            res = s.solve()
        elif left <= 0:     # loading the clauses used up the budget
            res = None
        else:
            timer, _ = _timer(left, s.interrupt)
            try:
                res = s.solve_limited(expect_interrupt=True)
            finally:
                _stop(timer)
        seconds = time.perf_counter() - start
        try:
            conflicts = int(s.accum_stats().get("conflicts", 0))
        except NotImplementedError:   # Kissat exposes no statistics in PySAT
            conflicts = None
        if res is None:
            return Outcome("unknown", None, seconds, conflicts,
                           reason=_limit_reason(time_limit or 0.0))
        return Outcome("sat" if res else "unsat", s.get_model() if res else None, seconds,
                       conflicts)


def _maxsat(hard: list[list[int]], soft: list[tuple[list[int], int]], solver: str,
            time_limit: float | None, spent: float = 0.0) -> Outcome:
    start = time.perf_counter()     # the limit covers building the formula
    formula, rc2mod = require("formula"), require("examples.rc2")
    wcnf = formula.WCNF()
    for clause in hard:
        wcnf.append(clause)
    for clause, weight in soft:
        wcnf.append(clause, weight=weight)
    with rc2mod.RC2(wcnf, solver=solver) as rc2:   # adapt/exhaust/minz off: prompt interrupts
        left = _left(time_limit, spent, start)
        left = None if left is None else max(left, 1e-3)
        timer, fired = _timer(left, lambda: rc2.interrupt())
        try:
            model = rc2.compute(expect_interrupt=time_limit is not None)
        finally:
            _stop(timer)
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


def _in_child(kind: str, args: tuple, time_limit: float, spent: float) -> Outcome:
    methods = mp.get_all_start_methods()
    ctx = mp.get_context("fork" if "fork" in methods else "spawn")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child_main, args=(send, kind, args), daemon=True)
    start = time.perf_counter()
    proc.start()
    send.close()
    try:
        if receive.poll(max(time_limit - spent, 0.0)):
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


def run_sat(clauses: list[list[int]], solver: str = CDCL_SOLVER,
            time_limit: float | None = None, spent: float = 0.0) -> Outcome:
    """Decide ``clauses``; a limit on a non-interruptible solver uses a child process.

    ``spent`` seconds of ``time_limit`` are already used (by the encoding): the solver gets
    the rest, loading the clauses included, and a time-out reports ``time_limit``.
    """
    if time_limit is not None and solver not in INTERRUPTIBLE:
        require("solvers")
        return _in_child("sat", (clauses, solver), time_limit, spent)
    return _sat(clauses, solver, time_limit, spent)


def run_maxsat(hard: list[list[int]], soft: list[tuple[list[int], int]],
               solver: str = CDCL_SOLVER, time_limit: float | None = None,
               spent: float = 0.0) -> Outcome:
    """Minimise the cost of ``soft`` subject to ``hard`` with RC2 (``status="optimal"``);
    ``spent`` as in :func:`run_sat`."""
    if time_limit is not None and solver not in INTERRUPTIBLE:
        require("examples.rc2")
        return _in_child("maxsat", (hard, soft, solver), time_limit, spent)
    return _maxsat(hard, soft, solver, time_limit, spent)


def models(clauses: list[list[int]], project: list[int],
           solver: str = CDCL_SOLVER) -> Iterator[list[int]]:
    """Enumerate models that differ on the ``project`` variables (blocking clauses).

    After each model, the clause "at least one ``project`` variable differs" is added. The
    projection matters: a counter's auxiliary variables are not fixed by the weights, so
    blocking whole models would yield one weight vector several times.

    Examples
    --------
    >>> len(list(models([[1, 2]], [1, 2])))
    3
    """
    with require("solvers").Solver(name=solver, bootstrap_with=clauses) as s:
        while s.solve():
            model = s.get_model()
            yield model
            negative = {-lit for lit in model if lit < 0}   # a missing variable reads +1
            s.add_clause([v if v in negative else -v for v in project])
