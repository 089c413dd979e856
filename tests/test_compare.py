"""`bnncore compare`: same numbers serial or parallel, outputs that match the table."""

import csv
import json

import numpy as np
import pytest

from bnncore import compare
from bnncore.cli import main
from bnncore.experiments import RunSpec, run, setup_for


def _strip_times(result):
    return json.dumps(result.outcome(), sort_keys=True)


@pytest.mark.slow
def test_parallel_jobs_give_the_serial_results():
    methods = ["ste", "gft", "float"]
    serial = compare.compare(methods, epochs=1, seeds=2, jobs=1, progress=False)
    parallel = compare.compare(methods, epochs=1, seeds=2, jobs=2, progress=False)
    assert [_strip_times(r) for r in serial] == [_strip_times(r) for r in parallel]
    assert [(r.method, r.seed) for r in serial] == [(m, s) for m in methods for s in (0, 1)]


def test_outputs_match_the_summary(tmp_path, capsys):
    assert main(["compare", "--methods", "ste,float", "--epochs", "1", "--seeds", "2",
                 "--out", str(tmp_path), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    saved = json.loads((tmp_path / "compare.json").read_text())
    with open(tmp_path / "compare.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["method"] for r in rows] == ["ste", "float"]
    assert len(saved["runs"]) == 4
    for row, summary in zip(rows, saved["summary"]):
        accs = [r["test_accuracy"] for r in saved["runs"] if r["method"] == row["method"]]
        assert float(row["test_accuracy_mean"]) == pytest.approx(np.mean(accs), abs=0)
        assert summary["test_accuracy_mean"] == pytest.approx(np.mean(accs), abs=0)
        assert f"{np.mean(accs):8.4f}" in printed
    assert (tmp_path / "compare.png").stat().st_size > 10_000
    ste = saved["summary"][0]
    assert ste["sign_flips"] > 0 and ste["float_bytes"] / ste["packed_bytes"] > 3
    assert saved["summary"][1]["packed_speedup"] is None          # float model: no packing


def test_every_method_is_measured_the_same_way():
    """One run function for all: flips per step, trainer.evaluate, model.nbytes."""
    from bnncore.flips import FlipCounter

    for method in ("ste", "gft", "fsg"):
        spec = RunSpec(method, epochs=1, seed=0)
        trainer, train, test = setup_for(method)(spec)
        counter = FlipCounter()
        trainer.fit(train, val=test, epochs=1, seed=0, callbacks=[counter], progress=False)
        result = run(spec)
        assert result.sign_flips == counter.total > 0
        assert result.test_accuracy == trainer.evaluate(test)["accuracy"]
        steps = -(-len(train[1]) // spec.batch_size)
        assert counter.steps == steps
        assert result.steps == steps and result.n_binary_weights == counter.n_weights
        assert result.weight_writes == counter.writes
        if method == "gft":                         # int8 weights: every write is a flip
            assert result.weight_writes == result.sign_flips
        else:                                       # latent floats move far more often
            assert result.sign_flips < result.weight_writes <= steps * counter.n_weights


@pytest.mark.parametrize("kwargs, match", [
    ({"methods": ["nope"]}, "unknown method 'nope'"),
    ({"methods": ["ste"], "dataset": "mnist"}, "dataset"),
    ({"methods": ["ste"], "model": "rnn"}, "model"),
    ({"methods": ["ste"], "epochs": 0}, "epochs"),
    ({"methods": ["ste"], "jobs": 0}, "jobs"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        compare.compare(progress=False, **kwargs)


def test_gft_needs_the_mlp():
    with pytest.raises(ValueError, match="mlp"):
        run(RunSpec("gft", model="cnn", epochs=1))
