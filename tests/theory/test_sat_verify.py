"""Independent verification (sat_theory.md §9)."""

import ast
import importlib
from pathlib import Path

import numpy as np
import pytest

from theory.sat.encoding import Encoding
from theory.sat.instances import make_perceptron_instance
from theory.sat.verify import (
    verify_hidden,
    verify_partition,
    verify_perceptron,
    verify_regression,
)


def test_hand_cases_including_zero_score():
    X = np.array([[1, -1], [1, 1], [-1, -1]])
    ver = verify_perceptron(X, [1, 1, -1], [1, 1])     # scores 0, 2, -2
    assert ver.ok and ver.n_errors == 0
    ver = verify_perceptron(X, [-1, 1, -1], [1, 1])    # score 0 predicts +1: wrong
    assert not ver.ok and ver.wrong.tolist() == [0]
    assert verify_perceptron(X, [1, 1, -1], [1, 1], theta=1).wrong.tolist() == [0]
    assert verify_perceptron([[4, -2, 1]], [1], [1, 1, -1]).ok   # integer features


def test_hidden_hand_cases():
    X = np.array([[1, 1, 1], [-1, -1, -1]])
    W = np.array([[1, 1, 1], [1, -1, -1]])    # h(x0) = (+1, -1), h(x1) = (-1, +1)
    assert verify_hidden(X, [1, 1], W).ok                       # sum 0 predicts +1
    assert verify_hidden(X, [1, -1], W, v=[1, -1]).ok           # <v, h> = 2, -2
    assert verify_hidden(X, [1, -1], W, v=[1, -1], output="weights").ok
    assert verify_hidden(X, [1, 1], W, v=[1, -1]).wrong.tolist() == [1]
    with pytest.raises(ValueError, match="v is required"):
        verify_hidden(X, [1, 1], W, output="weights")
    with pytest.raises(ValueError, match="v must be None"):
        verify_hidden(X, [1, 1], W, v=[1, 1], output="majority")


@pytest.mark.parametrize("w, match", [([1, 0, 1], r"w must be ±1, found 0 at \(1,\)"),
                                      ([1, 1], r"w must be a ±1 array of shape \(3,\)"),
                                      ([[1, 1, 1]], "shape"),
                                      ([1.0, -1.0, np.nan], "w must be ±1")])
def test_bad_weights(w, match):
    with pytest.raises(ValueError, match=match):
        verify_perceptron([[1, 1, 1]], [1], w)


def test_bad_hidden_weights():
    with pytest.raises(ValueError, match=r"W must have shape \(H, 2\)"):
        verify_hidden([[1, 1]], [1], [[1, 1, 1]])
    with pytest.raises(ValueError, match="W must be ±1"):
        verify_hidden([[1, 1]], [1], [[1, 2]])
    with pytest.raises(ValueError, match=r"v must be a ±1 array of shape \(1,\)"):
        verify_hidden([[1, 1]], [1], [[1, 1]], v=[1, 1])


def test_regression_and_partition():
    r, sq = verify_regression([[3, 1, 2], [1, 1, 1]], [0, 1], [1, -1, -1])
    assert r.tolist() == [0, -2] and sq == 4
    assert verify_partition([3, 1, 1, 2, 2, 1], [0, 1, 2])
    assert not verify_partition([3, 1, 1, 2, 2, 1], [0, 1])
    assert not verify_partition([1, 1], [0, 0])          # repeated index
    assert not verify_partition([1, 1], [2])             # out of range


def test_module_imports_only_numpy_and_stdlib():
    import theory.sat.verify  # noqa: F401  (the module object below)

    source = Path(importlib.import_module("theory.sat.verify").__file__).read_text()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "verify must not import sibling modules"
            imported.add(node.module.split(".")[0])
    assert imported <= {"__future__", "collections", "dataclasses", "numpy"}, imported


def test_corrupted_decode_raises(monkeypatch):
    from theory.sat.maxsat import solve_max_accuracy
    from theory.sat.solve import solve_consistency

    inst = make_perceptron_instance([[1, 1, 1]], [1])
    monkeypatch.setattr(Encoding, "decode",
                        lambda self, model: -np.ones(self.w_vars.shape, np.int8))
    with pytest.raises(RuntimeError, match="independent verification failed"):
        solve_consistency(inst)
    with pytest.raises(RuntimeError, match="independent verification failed"):
        solve_max_accuracy(inst)
    from theory import sat

    with pytest.raises(RuntimeError, match="independent verification failed"):
        sat.solve(inst)
