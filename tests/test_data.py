"""Datasets: digits splits and normalisation; the teacher-student task."""

import math

import numpy as np
import pytest
from sklearn.datasets import load_digits as sk_digits

from bnncore.data import load_digits, teacher_student


def test_digits_default_split(digits):
    Xtr, ytr, Xte, yte = digits
    assert Xtr.shape == (1347, 64) and Xte.shape == (450, 64)
    assert ytr.shape == (1347,) and yte.shape == (450,)
    assert Xtr.dtype == Xte.dtype == np.float32 and ytr.dtype == yte.dtype == np.int64
    assert Xtr.min() == 0.0 and Xtr.max() == 1.0 and Xte.max() <= 1.0
    assert set(np.unique(ytr)) == set(range(10)) and set(np.unique(yte)) <= set(range(10))


def test_digits_split_rule():
    # perm = default_rng(seed).permutation(N); n_test = ceil(test_size * N)
    bunch = sk_digits()
    for test_size, sizes, seed in ((0.25, (1347, 450), 0), (0.2, (1437, 360), 3)):
        Xtr, ytr, Xte, yte = load_digits(test_size=test_size, seed=seed, normalize=False)
        assert (len(ytr), len(yte)) == sizes
        n = len(bunch.target)
        perm = np.random.default_rng(seed).permutation(n)
        n_test = math.ceil(test_size * n)
        np.testing.assert_array_equal(Xte, bunch.data[perm[n - n_test:]].astype(np.float32))
        np.testing.assert_array_equal(ytr, bunch.target[perm[:n - n_test]])
        assert Xtr.max() == 16.0


def test_digits_images_and_normalisation():
    Xtr, _, Xte, _ = load_digits(flatten=False)
    assert Xtr.shape == (1347, 1, 8, 8) and Xte.shape == (450, 1, 8, 8)
    flat = load_digits()[0]
    np.testing.assert_array_equal(Xtr.reshape(len(Xtr), -1), flat)
    raw = load_digits(normalize=False)[0]
    np.testing.assert_array_equal(raw / 16, flat)


def test_digits_seed():
    a, b, c = load_digits(seed=0), load_digits(seed=0), load_digits(seed=1)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[1], c[1])


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"test_size": 0.0}, ValueError, "test_size must be finite and > 0"),
    ({"test_size": 1.0}, ValueError, r"test_size must be in \(0, 1\)"),
    ({"test_size": "0.2"}, TypeError, "test_size must be a real number"),
    ({"seed": -1}, ValueError, "seed must be >= 0"),
    ({"seed": 1.5}, TypeError, "seed must be an int"),
])
def test_digits_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        load_digits(**kwargs)


def test_teacher_student_shapes_and_values():
    Xtr, ytr, Xte, yte = teacher_student(200, 11, seed=0)
    assert Xtr.shape == (150, 11) and Xte.shape == (50, 11)
    assert Xtr.dtype == np.float32 and ytr.dtype == np.int64
    assert set(np.unique(np.concatenate([Xtr, Xte]))) == {-1.0, 1.0}
    assert set(np.unique(np.concatenate([ytr, yte]))) == {0, 1}
    Xtr, ytr, Xte, yte = teacher_student(101, 5, n_hidden=3, seed=2, test_size=0.2)
    assert Xtr.shape == (80, 5) and Xte.shape == (21, 5) and set(np.unique(ytr)) <= {0, 1}


def _teacher_labels(n, d, seed, n_hidden=None):
    """The documented draw order: X, then the +-1 teacher, from one default_rng(seed)."""
    g = np.random.default_rng(seed)
    X = 2 * g.integers(0, 2, (n, d)) - 1

    def sgn(z):
        return np.where(z >= 0, 1, -1)

    if n_hidden is None:
        out = sgn(X @ (2 * g.integers(0, 2, d) - 1))
    else:
        W1 = 2 * g.integers(0, 2, (n_hidden, d)) - 1
        out = sgn(sgn(X @ W1.T) @ (2 * g.integers(0, 2, n_hidden) - 1))
    return X, (1 + out) // 2, g


@pytest.mark.parametrize("n_hidden", [None, 3])
def test_teacher_student_labels_come_from_the_teacher(n_hidden):
    n, d, seed = 120, 9, 4
    X, y, _ = _teacher_labels(n, d, seed, n_hidden)
    perm = np.random.default_rng(seed).permutation(n)
    Xtr, ytr, Xte, yte = teacher_student(n, d, n_hidden=n_hidden, seed=seed)
    np.testing.assert_array_equal(np.concatenate([Xtr, Xte]), X[perm])
    np.testing.assert_array_equal(np.concatenate([ytr, yte]), y[perm])


def test_single_neuron_teacher_is_linearly_separable():
    # a perceptron (with bias) reaches zero training error on a separable set
    Xtr, ytr, Xte, yte = teacher_student(200, 7, seed=1)
    X = np.hstack([np.concatenate([Xtr, Xte]), np.ones((200, 1))])
    s = 2 * np.concatenate([ytr, yte]) - 1
    w = np.zeros(8)
    for _ in range(1000):
        wrong = np.flatnonzero(s * (X @ w) <= 0)
        if wrong.size == 0:
            break
        w += s[wrong[0]] * X[wrong[0]]
    assert np.all(s * (X @ w) > 0)


def test_teacher_student_determinism_and_noise():
    a, b = teacher_student(300, 8, seed=5), teacher_student(300, 8, seed=5)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    c = teacher_student(300, 8, seed=6)
    assert not np.array_equal(a[0], c[0])
    noisy = teacher_student(300, 8, seed=5, noise=0.3)
    np.testing.assert_array_equal(noisy[0], a[0])  # X is drawn before the noise
    np.testing.assert_array_equal(noisy[2], a[2])
    flipped = np.concatenate([noisy[1] != a[1], noisy[3] != a[3]])
    assert 0.15 < flipped.mean() < 0.45  # about 30% of the labels flipped


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"n_samples": 1, "n_features": 3}, ValueError, "n_samples must be >= 2"),
    ({"n_samples": 10, "n_features": 0}, ValueError, "n_features must be >= 1"),
    ({"n_samples": 10, "n_features": 3, "n_hidden": 0}, ValueError, "n_hidden must be >= 1"),
    ({"n_samples": 10, "n_features": 3, "noise": 0.6}, ValueError, r"noise must be in \[0, 0.5\]"),
    ({"n_samples": 10, "n_features": 3, "noise": -0.1}, ValueError, "noise must be finite"),
    ({"n_samples": 10.0, "n_features": 3}, TypeError, "n_samples must be an int"),
    ({"n_samples": 10, "n_features": 3, "seed": -2}, ValueError, "seed must be >= 0"),
])
def test_teacher_student_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        teacher_student(**kwargs)
