"""Lazy access to python-sat, and the solver and encoding names it offers.

PySAT is imported only inside the functions that need it, so that ``theory.sat.brute`` and
``theory.sat.verify`` work without it (shared/spec/sat_theory.md, Dependencies and §14).
"""

from __future__ import annotations

import importlib
import math
import numbers
from types import ModuleType

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


def check_solver(solver: object, name: str = "solver") -> str:
    """Return ``solver`` if it is one of the long PySAT names, else raise ``ValueError``."""
    if not isinstance(solver, str) or solver not in SOLVERS:
        raise ValueError(f"{name} must be one of {list(SOLVERS)}, got {solver!r}")
    return solver


def check_encoding(encoding: object, name: str = "encoding") -> str:
    """Return ``encoding`` if it is an offered cardinality encoding, else raise."""
    if not isinstance(encoding, str) or encoding not in ENCODINGS:
        raise ValueError(f"{name} must be one of {list(ENCODINGS)}, got {encoding!r}")
    return encoding


def check_time_limit(time_limit: object) -> float | None:
    """``None`` (no limit) or a finite float > 0, else ``ValueError``."""
    if time_limit is None:
        return None
    if isinstance(time_limit, bool) or not isinstance(time_limit, numbers.Real):
        raise ValueError(f"time_limit must be None or a finite number > 0, got {time_limit!r}")
    value = float(time_limit)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"time_limit must be None or a finite number > 0, got {time_limit!r}")
    return value


def check_interruptible(solver: str, time_limit: float | None) -> None:
    """Refuse a time limit that python-sat cannot enforce on ``solver`` (before any work)."""
    if time_limit is not None and solver not in INTERRUPTIBLE:
        raise ValueError(f"solver {solver!r} cannot be interrupted by python-sat; use one of "
                         f"{list(INTERRUPTIBLE)} or time_limit=None")
