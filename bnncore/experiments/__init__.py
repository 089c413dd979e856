"""Grids of runs, stored records and paired statistics (docs/experiments.md).

- :class:`RunSpec` / :class:`RunResult` (``spec``): what one run is and what it measured;
  :func:`run` (``runs``) trains and measures any method the same way;
  :func:`setup_for` (``setups``) builds a method's trainer and data.
- :class:`Protocol`, ``PROTOCOLS`` (``protocols``): each paper's training recipe.
- :class:`Grid`, :func:`run_grid` (``grid``): resumable grids, serial, in processes or on
  a Dask cluster; one atomic record per run (``records``).
- ``stats``: paired differences, intervals, tests, Holm, MDE, verdicts; ``forest``: the
  forest plot; ``claims``: the papers' claims as a grid and a verdict table.
"""

from .grid import Grid, run_grid
from .protocols import PROTOCOLS, Protocol
from .records import RecordError, read_record, write_record
from .runs import run, run_one_thread
from .setups import setup_for
from .spec import RunResult, RunSpec

__all__ = ["Grid", "PROTOCOLS", "Protocol", "RecordError", "RunResult", "RunSpec",
           "read_record", "run", "run_grid", "run_one_thread", "setup_for", "write_record"]
