"""The same grid on a real Dask cluster (scheduler + 2 worker processes on 127.0.0.1)."""

import json

import pytest
from dask.distributed import LocalCluster

from bnncore.cli import main
from bnncore.experiments import Grid, run_grid
from bnncore.experiments.backends import dask as dask_backend

SPECS = Grid(["ste", "bnn++", "gft", "fsg"], seeds=2, overrides={"epochs": 2}).specs()


def _outcomes(results):
    return [json.dumps(r.outcome(), sort_keys=True) for r in results]


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as c:
        yield c


def test_dask_results_are_bit_identical_to_serial(cluster, tmp_path):
    serial = run_grid(SPECS, None, progress=False)
    on_cluster = run_grid(SPECS, tmp_path, scheduler=cluster.scheduler_address,
                          progress=False)
    assert _outcomes(on_cluster) == _outcomes(serial)
    assert len(list((tmp_path / "runs").glob("*.json"))) == len(SPECS)
    workers = cluster.scheduler_info["workers"]
    assert len(workers) == 2 and all("127.0.0.1" in w for w in workers)


def test_cli_compare_on_the_cluster_resumes_from_local_records(cluster, tmp_path, capsys):
    args = ["compare", "--methods", "ste,float", "--epochs", "1", "--seeds", "2",
            "--out", str(tmp_path), "--no-progress"]
    assert main(args + ["--scheduler", cluster.scheduler_address]) == 0
    first = json.loads((tmp_path / "compare.json").read_text())
    assert main(args) == 0                                  # resumed locally: read back
    again = json.loads((tmp_path / "compare.json").read_text())
    assert first["runs"] == again["runs"]
    assert [r["method"] for r in first["summary"]] == ["ste", "float"]
    assert "test_accuracy_mean" in first["summary"][0]


def test_bad_scheduler_address_is_a_value_error():
    with pytest.raises(ValueError, match="scheduler"):
        list(dask_backend(lambda s: s, SPECS[:1], "localhost"))
