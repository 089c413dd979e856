"""One JSON record per finished run, written atomically and checked when read.

A record holds the run's spec, its result (per-epoch History, final metrics, flips,
wall time), the bnncore version and a SHA-256 checksum of spec and result. It is written
to a temporary file in the same folder, flushed to disk, then renamed over its final
name (``os.replace`` is atomic on POSIX and Windows): a run killed at any moment leaves
either a complete record or none, never a partial one. Reading checks everything and
raises :class:`RecordError` (a ``ValueError``) naming the file rather than use a record
that is truncated, edited, foreign, or from another version of bnncore.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from .. import __version__
from .spec import RunResult, RunSpec

FORMAT = "bnncore-run-record"
VERSION = 1


class RecordError(ValueError):
    """A stored run record that cannot be used (corrupt, foreign or stale)."""


def record_path(out: str | os.PathLike, spec: RunSpec) -> Path:
    """Where the record of ``spec`` lives: ``out/runs/<label>-<key>.json``."""
    return Path(out) / "runs" / f"{spec.label()}-{spec.key()}.json"


def _checksum(spec: dict, result: dict) -> str:
    text = json.dumps({"spec": spec, "result": result}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def write_record(out: str | os.PathLike, spec: RunSpec, result: RunResult) -> Path:
    """Store ``result`` as the record of ``spec`` (atomically); return its path.

    Examples
    --------
    >>> import tempfile
    >>> from bnncore.experiments.runs import run
    >>> spec = RunSpec("ste", epochs=1, measure_speed=False)
    >>> out = tempfile.mkdtemp()
    >>> path = write_record(out, spec, run(spec))
    >>> read_record(path, spec).method
    'ste'
    """
    path = record_path(out, spec)
    path.parent.mkdir(parents=True, exist_ok=True)
    spec_dict, result_dict = spec.to_dict(), result.to_dict()
    payload = {"format": FORMAT, "version": VERSION, "bnncore": __version__,
               "key": spec.key(), "spec": spec_dict, "result": result_dict,
               "checksum": _checksum(spec_dict, result_dict)}
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(payload, fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    if hasattr(os, "O_DIRECTORY"):                      # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return path


def read_record(path: str | os.PathLike, spec: RunSpec | None = None) -> RunResult:
    """The result stored at ``path``, after checking that it is sound.

    Parameters
    ----------
    path : path-like
    spec : RunSpec, optional
        The spec the record must belong to.

    Raises
    ------
    RecordError
        If the file is not valid JSON, not a bnncore run record, from another format
        version or bnncore version, fails its checksum, or belongs to another spec. The
        message names the file and says what to do.
    """
    path = Path(path)
    try:
        payload = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RecordError(f"{path}: corrupt run record ({exc}); delete it to re-run "
                          f"that run") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise RecordError(f"{path}: not a bnncore run record (no format {FORMAT!r}); "
                          f"move it out of the runs folder")
    if payload.get("version") != VERSION:
        raise RecordError(f"{path}: record format version {payload.get('version')!r}, "
                          f"this bnncore reads version {VERSION}")
    if payload.get("bnncore") != __version__:
        raise RecordError(f"{path}: written by bnncore {payload.get('bnncore')}, this is "
                          f"{__version__}; its numbers may differ: use a new output folder")
    stored_spec, stored_result = payload.get("spec"), payload.get("result")
    if payload.get("checksum") != _checksum(stored_spec, stored_result):
        raise RecordError(f"{path}: checksum mismatch (the record was edited or damaged); "
                          f"delete it to re-run that run")
    found = RunSpec.from_dict(stored_spec, source=str(path))
    if payload.get("key") != found.key():
        raise RecordError(f"{path}: its key does not match its spec")
    if spec is not None and found != spec:
        raise RecordError(f"{path}: holds the run {found}, expected {spec}")
    try:
        return RunResult.from_dict(stored_result, source=str(path))
    except (TypeError, ValueError) as exc:
        raise RecordError(str(exc)) from exc
