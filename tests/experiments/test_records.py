"""Run records: atomic, checked on read, never silently used when corrupt or foreign."""

import json

import pytest

from bnncore import __version__
from bnncore.cli import main
from bnncore.experiments import Grid, RecordError, RunSpec, read_record, run_grid, write_record
from bnncore.experiments.records import record_path
from bnncore.experiments.runs import run

SPEC = RunSpec("ste", epochs=1, measure_speed=False)


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    out = tmp_path_factory.mktemp("records")
    path = write_record(out, SPEC, run(SPEC))
    return out, path, path.read_text()


def test_round_trip_and_no_temporary_files_left(stored):
    out, path, _ = stored
    result = read_record(path, SPEC)
    assert result.method == "ste" and result.steps == 22
    assert [p.name for p in (out / "runs").iterdir()] == [path.name]
    saved = json.loads(path.read_text())
    assert saved["bnncore"] == __version__ and saved["spec"] == SPEC.to_dict()
    assert saved["result"]["history"]["train_loss"] == result.history["train_loss"]


def _damaged(tmp_path, text):
    path = record_path(tmp_path, SPEC)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _edit(text, fn):
    payload = json.loads(text)
    fn(payload)
    return json.dumps(payload)


def _set(key, value):
    return lambda p: p.__setitem__(key, value)


def _set_result(key, value):
    return lambda p: p["result"].__setitem__(key, value)


def _set_spec(key, value):
    return lambda p: p["spec"].__setitem__(key, value)


@pytest.mark.parametrize("damage, match", [
    (lambda t: t[: len(t) // 2], "corrupt run record"),
    (lambda t: "", "corrupt run record"),
    (lambda t: json.dumps({"hello": 1}), "not a bnncore run record"),
    (lambda t: json.dumps([1, 2]), "not a bnncore run record"),
    (lambda t: _edit(t, _set("version", 99)), "format version 99"),
    (lambda t: _edit(t, _set("bnncore", "0.0.1")), "written by bnncore 0.0.1"),
    (lambda t: _edit(t, _set_result("test_accuracy", 1.0)), "checksum mismatch"),
    (lambda t: _edit(t, _set_spec("seed", 5)), "checksum mismatch"),
])
def test_damaged_records_raise_naming_the_file(stored, tmp_path, damage, match):
    path = _damaged(tmp_path, damage(stored[2]))
    with pytest.raises(RecordError, match=match) as info:
        run_grid([SPEC], tmp_path, progress=False)
    assert str(path) in str(info.value)
    assert path.read_text() == damage(stored[2])           # never overwritten


def test_a_record_of_another_run_under_this_name_is_refused(stored, tmp_path):
    other = RunSpec("ste", epochs=2, measure_speed=False)
    path = record_path(tmp_path, other)
    path.parent.mkdir(parents=True)
    path.write_text(stored[2])                             # a sound record, wrong place
    with pytest.raises(RecordError, match="expected"):
        read_record(path, other)


def test_the_cli_reports_a_corrupt_record_and_stops(stored, tmp_path, capsys):
    specs = Grid(["ste"], seeds=1, overrides={"epochs": 1, "batch_size": 64,
                                              "subset": None, "measure_speed": True}).specs()
    path = _damaged(tmp_path, "{ not json")
    path.rename(record_path(tmp_path, specs[0]))
    code = main(["compare", "--methods", "ste", "--epochs", "1", "--seeds", "1",
                 "--out", str(tmp_path), "--no-progress"])
    assert code == 2
    assert str(record_path(tmp_path, specs[0])) in capsys.readouterr().err


def test_specs_must_be_distinct_run_specs(tmp_path):
    with pytest.raises(ValueError, match="same run twice"):
        run_grid([SPEC, SPEC], tmp_path, progress=False)
    with pytest.raises(TypeError, match=r"specs\[0\]"):
        run_grid([{"method": "ste"}], tmp_path, progress=False)


@pytest.mark.parametrize("values, match", [
    ({"method": "ste", "colour": "red"}, "unknown fields"),
    ({"epochs": 2}, "missing"),
    ({"method": "ste", "epochs": 0}, "epochs"),
    ([1], "must be a dict"),
])
def test_run_spec_from_dict_names_the_source(values, match):
    with pytest.raises(ValueError, match=match):
        RunSpec.from_dict(values, source="somewhere.json")


@pytest.mark.parametrize("kwargs, match", [
    ({"dataset": "mnist"}, "dataset"), ({"model": "rnn"}, "model"),
    ({"schedule": "step"}, "schedule"), ({"optimizer": "rmsprop"}, "optimizer"),
    ({"lr": -1.0}, "lr"), ({"weight_decay": float("nan")}, "weight_decay"),
    ({"subset": 0}, "subset"),
])
def test_bad_run_specs(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RunSpec("ste", **kwargs)
