"""A declarative grid of runs, executed resumably: :class:`Grid` and :func:`run_grid`.

``run_grid(specs, out)`` stores one record per finished run under ``out/runs/`` and, when
run again on the same folder, reads the finished runs back instead of training them. Kill
it at any point (Ctrl-C, SIGKILL, a lost worker) and run it again: the results equal an
uninterrupted run's (wall times aside), with no run lost or duplicated, because every run
is a pure function of its spec and every record is written atomically by this process
(:mod:`.records`). The same grid runs serially, in local processes (``jobs``) or on a
Dask cluster (``scheduler``) with identical results (:mod:`.backends`).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .._validation import check_int
from . import backends
from .protocols import protocol
from .records import read_record, record_path, write_record
from .runs import run_one_thread
from .spec import RunResult, RunSpec


@dataclass(frozen=True)
class Grid:
    """``methods x seeds x datasets x models x protocols``, each cell one :class:`RunSpec`.

    Parameters
    ----------
    methods : sequence of str
    seeds : int or sequence of int
        An int ``n`` means seeds ``0..n-1``.
    datasets, models, protocols : sequence of str
    overrides : dict, optional
        RunSpec settings applied to every cell (e.g. ``{"epochs": 1}``).

    Examples
    --------
    >>> g = Grid(["ste", "bnn"], seeds=2, protocols=("pcpp",))
    >>> [(s.method, s.seed) for s in g.specs()]
    [('ste', 0), ('ste', 1), ('bnn', 0), ('bnn', 1)]
    """

    methods: Sequence[str]
    seeds: int | Sequence[int] = 3
    datasets: Sequence[str] = ("digits",)
    models: Sequence[str] = ("mlp",)
    protocols: Sequence[str] = ("default",)
    overrides: dict | None = None

    def specs(self) -> list[RunSpec]:
        """The runs, protocol-major then dataset, model, method, seed."""
        seeds = (range(check_int(self.seeds, "seeds", minimum=1))
                 if isinstance(self.seeds, int) else self.seeds)
        out = []
        for name, dataset, model, method, seed in itertools.product(
                self.protocols, self.datasets, self.models, self.methods, seeds):
            out.append(protocol(name).spec(method, dataset, model, seed,
                                           **(self.overrides or {})))
        return out


def _check_specs(specs: Sequence[RunSpec]) -> list[RunSpec]:
    specs = list(specs)
    for i, spec in enumerate(specs):
        if not isinstance(spec, RunSpec):
            raise TypeError(f"specs[{i}] must be a RunSpec, got {type(spec).__name__}")
    keys = [s.key() for s in specs]
    if len(set(keys)) != len(keys):
        twice = next(s for s, k in zip(specs, keys) if keys.count(k) > 1)
        raise ValueError(f"specs lists the same run twice: {twice}")
    return specs


def finished(specs: Sequence[RunSpec], out: str | os.PathLike) -> dict[int, RunResult]:
    """The runs of ``specs`` already stored under ``out`` (index -> result); each record is
    checked (a corrupt or foreign one raises, naming the file)."""
    done = {}
    for i, spec in enumerate(specs):
        path = record_path(out, spec)
        if path.exists():
            done[i] = read_record(path, spec)
    return done


def run_grid(specs: Sequence[RunSpec], out: str | os.PathLike | None = None, *,
             jobs: int = 1, scheduler: str | None = None, progress: bool = True,
             fn: Callable[[RunSpec], RunResult] = run_one_thread) -> list[RunResult]:
    """Run every spec (skipping those already stored under ``out``); results in spec order.

    Parameters
    ----------
    specs : sequence of RunSpec
        Distinct runs.
    out : path-like, optional
        Folder of the records (``out/runs/*.json``); None keeps nothing (no resuming).
    jobs : int
        Local worker processes (1: this process).
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://host:port``); overrides ``jobs``.
    progress : bool
        A tqdm bar over runs (finished ones count as done).
    fn : callable
        The run function (top-level, picklable); :func:`~.runs.run_one_thread` by default.

    Returns
    -------
    list of RunResult

    Raises
    ------
    bnncore.experiments.records.RecordError
        If a stored record of one of the specs is corrupt, foreign or stale.

    Examples
    --------
    >>> import tempfile
    >>> specs = Grid(["ste"], seeds=1, overrides={"epochs": 1}).specs()
    >>> out = tempfile.mkdtemp()
    >>> first = run_grid(specs, out, progress=False)
    >>> again = run_grid(specs, out, progress=False)       # read back, not retrained
    >>> again[0].outcome() == first[0].outcome()
    True
    """
    from tqdm import tqdm

    specs = _check_specs(specs)
    jobs = check_int(jobs, "jobs", minimum=1)
    results: dict[int, RunResult] = finished(specs, out) if out is not None else {}
    todo = [i for i in range(len(specs)) if i not in results]
    pending = [specs[i] for i in todo]
    if scheduler is not None:
        stream = backends.dask(fn, pending, scheduler)
    elif jobs > 1 and len(pending) > 1:
        stream = backends.processes(fn, pending, jobs)
    else:
        stream = backends.serial(fn, pending)
    bar = tqdm(total=len(specs), initial=len(results), desc="runs", disable=not progress)
    try:
        for j, result in stream:
            i = todo[j]
            if out is not None:
                write_record(out, specs[i], result)
            results[i] = result
            bar.set_postfix(last=f"{specs[i].method}/s{specs[i].seed}")
            bar.update()
    finally:
        stream.close()
        bar.close()
    return [results[i] for i in range(len(specs))]
