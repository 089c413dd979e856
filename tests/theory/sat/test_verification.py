"""theory.sat.verification: independent checks (docs/theory.md, section "Trust nothing")."""

import ast
import importlib
from pathlib import Path

import numpy as np
import pytest

from theory import sat
from theory.sat import max_accuracy, misclassified, solve, verify
from theory.sat.encoding import Encoding
from theory.sat.instances import make_perceptron_instance
from theory.sat.verification import residual


def test_hand_cases_including_zero_score():
    X = np.array([[1, -1], [1, 1], [-1, -1]])
    assert verify(X, [1, 1, -1], [1, 1])                     # scores 0, 2, -2
    assert misclassified(X, [1, 1, -1], [1, 1]).size == 0
    assert not verify(X, [-1, 1, -1], [1, 1])                # score 0 predicts +1: wrong
    assert misclassified(X, [-1, 1, -1], [1, 1]).tolist() == [0]
    assert misclassified(X, [1, 1, -1], [1, 1], theta=1).tolist() == [0]
    assert verify([[4, -2, 1]], [1], [1, 1, -1])             # integer features


def test_hidden_hand_cases():
    X = np.array([[1, 1, 1], [-1, -1, -1]])
    W = np.array([[1, 1, 1], [1, -1, -1]])    # h(x0) = (+1, -1), h(x1) = (-1, +1)
    assert verify(X, [1, 1], W, hidden=2)                            # sum 0 predicts +1
    assert verify(X, [1, -1], (W, [1, -1]), hidden=2)                # <v, h> = 2, -2
    assert verify(X, [1, -1], (W, [1, -1]), hidden=2, output="weights")
    assert misclassified(X, [1, 1], (W, [1, -1]), hidden=2).tolist() == [1]
    with pytest.raises(ValueError, match="v is required"):
        verify(X, [1, 1], W, hidden=2, output="weights")
    with pytest.raises(ValueError, match="v must be None"):
        verify(X, [1, 1], (W, [1, 1]), hidden=2, output="majority")


def test_verify_rejects_bad_values():
    with pytest.raises(ValueError, match="y must be ±1"):
        verify([[1, 1]], [0], [1, 1])
    with pytest.raises(ValueError, match="w must be ±1"):
        verify([[1, 1]], [1], [1, 0])


@pytest.mark.parametrize("w, match", [([1, 0, 1], r"w must be ±1, found 0 at \(1,\)"),
                                      ([1, 1], r"w must be a ±1 array of shape \(3,\)"),
                                      ([[1, 1, 1]], "shape"),
                                      ([1.0, -1.0, np.nan], "w must be ±1")])
def test_bad_weights(w, match):
    with pytest.raises(ValueError, match=match):
        verify([[1, 1, 1]], [1], w)


def test_bad_hidden_weights():
    with pytest.raises(ValueError, match=r"w must hold W of shape \(hidden, n\) = \(1, 2\)"):
        verify([[1, 1]], [1], [[1, 1, 1]], hidden=1)
    with pytest.raises(ValueError, match=r"w must hold W of shape \(hidden, n\) = \(2, 2\)"):
        verify([[1, 1]], [1], np.ones((3, 2)), hidden=2)
    with pytest.raises(ValueError, match="W must be ±1"):
        verify([[1, 1]], [1], [[1, 2]], hidden=1)
    with pytest.raises(ValueError, match=r"v must be a ±1 array of shape \(1,\)"):
        verify([[1, 1]], [1], ([[1, 1]], [1, 1]), hidden=1)
    with pytest.raises(ValueError, match="hidden must be >= 1"):
        verify([[1, 1]], [1], [[1, 1]], hidden=0)
    with pytest.raises(TypeError, match="hidden must be an int"):
        verify([[1, 1]], [1], [[1, 1]], hidden=1.0)


def test_regression_residual():
    r, sq = residual([[3, 1, 2], [1, 1, 1]], [0, 1], [1, -1, -1])
    assert r.tolist() == [0, -2] and sq == 4
    with pytest.raises(ValueError, match=r"t must have shape \(2,\)"):
        residual([[3, 1, 2], [1, 1, 1]], [0], [1, -1, -1])


def test_module_imports_only_numpy_and_stdlib():
    source = Path(importlib.import_module("theory.sat.verification").__file__).read_text()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "verification must not import sibling modules"
            imported.add(node.module.split(".")[0])
    assert imported <= {"__future__", "numbers", "numpy"}, imported


def test_corrupted_decode_raises(monkeypatch):
    inst = make_perceptron_instance([[1, 1, 1]], [1])
    monkeypatch.setattr(Encoding, "decode",
                        lambda self, model: -np.ones(self.w_vars.shape, np.int8))
    with pytest.raises(RuntimeError, match="independent verification failed"):
        solve(inst, solver="glucose4")
    with pytest.raises(RuntimeError, match="independent verification failed"):
        max_accuracy(inst, solver="glucose4")
    with pytest.raises(RuntimeError, match="independent verification failed"):
        sat.solve([[1, 1, 1]], [1], solver="cadical195")
    with pytest.raises(RuntimeError, match="independent verification failed"):
        sat.count_solutions(inst, solver="glucose4")
