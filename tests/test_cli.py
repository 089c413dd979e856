"""The command line: ``bnncore train`` prints a table and a test accuracy; errors exit 2."""

import re

import numpy as np
import pytest

import bnncore as bc
from bnncore.cli import main


def test_train_one_epoch_prints_a_table_and_saves(capsys, tmp_path):
    path = tmp_path / "model.npz"
    code = main(["train", "--epochs", "1", "--no-progress", "--save", str(path)])
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("bnncore train: digits, mlp, method=ste, adam, epochs=1")
    assert re.match(r"\s*epoch\s+train loss\s+train acc\s+val acc\s+seconds\s+flips$",
                    lines[1])
    row = re.match(r"\s*1\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+[\d.]+\s+(\d+)$", lines[2])
    assert row is not None, lines[2]
    match = re.search(r"^test accuracy: (\d\.\d{4})\s+\(test loss [\d.]+, 450 samples\)$", out,
                      flags=re.M)
    assert match is not None, out
    accuracy = float(match.group(1))
    assert 0.5 < accuracy <= 1.0
    assert float(row.group(3)) == accuracy  # the val column is the test split
    assert int(row.group(4)) > 0             # sign flips of the binary weights that epoch
    assert f"saved model to {path}" in out
    model = bc.io.load(path)  # the saved model reproduces the printed accuracy
    _, _, Xte, yte = bc.data.load_digits(seed=0)
    assert round(bc.evaluate(model, (Xte, yte))["accuracy"], 4) == accuracy


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"bnncore {bc.__version__}"


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "usage: bnncore" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--epochs", "0"], "epochs must be >= 1"),
    (["--method", "nope"], "unknown method 'nope'"),
    (["--method", "gft", "--lr", "0.1"], "gft takes no lr setting"),
    (["--method", "float", "--ags", "0.04"], "AGS/SAD act on binarized weights"),
    (["--lr", "-1"], "lr must be finite and > 0"),
    (["--lr", "0"], "lr must be finite and > 0"),
    (["--batch-size", "0"], "batch_size must be >= 1"),
    (["--seed", "-3"], "seed must be >= 0"),
])
def test_bad_arguments_exit_2_with_a_message(capsys, argv, message):
    assert main(["train", "--no-progress", "--epochs", "1", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bnncore: error: ") and message in err


def test_argparse_errors(capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", "--epochs", "two"])
    assert info.value.code == 2
    assert "invalid int value: 'two'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "--model", "transformer"])


def test_table_rows_follow_the_history(capsys):
    assert main(["train", "--epochs", "2", "--no-progress", "--method", "clipped_ste",
                 "--optimizer", "sgd"]) == 0
    out = capsys.readouterr().out
    rows = re.findall(r"^\s*(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+[\d.]+\s+\d+$", out,
                      flags=re.M)
    assert [r[0] for r in rows] == ["1", "2"]
    losses = np.array([float(r[1]) for r in rows])
    assert np.all(np.isfinite(losses)) and losses[1] < losses[0]


@pytest.mark.parametrize("method", ["gft", "fsg"])
def test_every_method_prints_the_same_table_and_saves(capsys, tmp_path, method):
    path = tmp_path / f"{method}.npz"
    assert main(["train", "--method", method, "--epochs", "1", "--no-progress",
                 "--save", str(path)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^\s*epoch\s+train loss\s+train acc\s+val acc\s+seconds\s+flips$", out,
                     flags=re.M)
    row = re.search(r"^\s*1\s+[\d.]+\s+[\d.]+\s+([\d.]+)\s+[\d.]+\s+(\d+)$", out, flags=re.M)
    assert row is not None, out
    assert int(row.group(2)) > 0
    accuracy = float(re.search(r"^test accuracy: (\d\.\d{4}) ", out, flags=re.M).group(1))
    assert float(row.group(1)) == accuracy
    model = bc.io.load(path)        # every trained model saves and loads
    assert type(model).__name__ == ("FullyBinaryMLP" if method == "gft" else "Sequential")
