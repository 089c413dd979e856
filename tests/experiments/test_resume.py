"""Kill a grid at any point, run it again: the same results, no run lost or duplicated."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from bnncore.experiments.spec import TIMING_FIELDS

ARGS = ["compare", "--methods", "ste,bnn,float", "--epochs", "3", "--seeds", "3",
        "--no-progress"]
N_RUNS = 9


def _cli(out, *extra):
    return [sys.executable, "-m", "bnncore.cli", *ARGS, "--out", str(out), *extra]


def _outcomes(out):
    runs = json.loads((out / "compare.json").read_text())["runs"]
    for r in runs:
        for key in TIMING_FIELDS:
            r.pop(key)
        r["history"].pop("seconds")
    return runs


def _records(out):
    return sorted(p.name for p in (out / "runs").glob("*.json"))


def _interrupt_after(cmd, out, n_records, sig):
    """Start ``cmd``, wait until ``n_records`` records exist, send ``sig``; return its code."""
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if (out / "runs").is_dir() and len(_records(out)) >= n_records:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the grid finished before it could be interrupted"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err.decode()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("uninterrupted")
    subprocess.run(_cli(out), check=True, capture_output=True,
                   env=dict(os.environ, MPLBACKEND="Agg"))
    return out


def test_sigkill_mid_grid_then_rerun_gives_the_uninterrupted_results(reference, tmp_path):
    code, _ = _interrupt_after(_cli(tmp_path), tmp_path, 2, signal.SIGKILL)
    assert code == -signal.SIGKILL
    done_before = _records(tmp_path)
    assert 2 <= len(done_before) < N_RUNS and not (tmp_path / "compare.json").exists()
    rerun = subprocess.run(_cli(tmp_path), capture_output=True, text=True,
                           env=dict(os.environ, MPLBACKEND="Agg"))
    assert rerun.returncode == 0, rerun.stderr
    assert _records(tmp_path) == _records(reference)              # none lost, none twice
    assert set(done_before) <= set(_records(tmp_path))
    assert _outcomes(tmp_path) == _outcomes(reference)


def test_sigint_with_worker_processes_keeps_finished_runs(reference, tmp_path):
    code, err = _interrupt_after(_cli(tmp_path, "--jobs", "2"), tmp_path, 1, signal.SIGINT)
    assert code == 130 and "run the same command again to resume" in err
    kept = _records(tmp_path)
    assert 1 <= len(kept) < N_RUNS
    assert not list((tmp_path / "runs").glob(".*.tmp"))           # no half-written record
    subprocess.run(_cli(tmp_path, "--jobs", "2"), check=True, capture_output=True,
                   env=dict(os.environ, MPLBACKEND="Agg"))
    assert _records(tmp_path) == _records(reference)
    assert _outcomes(tmp_path) == _outcomes(reference)


def test_finished_runs_are_read_back_not_retrained(reference, tmp_path):
    import shutil

    shutil.copytree(reference / "runs", tmp_path / "runs")
    mtimes = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "runs").glob("*.json")}
    subprocess.run(_cli(tmp_path), check=True, capture_output=True,
                   env=dict(os.environ, MPLBACKEND="Agg"))
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "runs").glob("*.json")} == mtimes
    assert _outcomes(tmp_path) == _outcomes(reference)
