"""One set of input checks (``_validation``), and bad input at every public entry point.

Every error names the argument it is about.
"""

import numpy as np
import pytest

import bnncore as bc
from bnncore import _validation as v
from bnncore.layers import BinaryConv2d, BinaryDense, Conv2d, Dense, Sign


# -- the helpers ----------------------------------------------------------------------------
def test_check_array_conversions():
    out = v.check_array([[1, 2], [3, 4]], "x")
    assert isinstance(out, np.ndarray) and out.dtype == np.float64
    f32 = np.ones(3, np.float32)
    assert v.check_array(f32, "x") is f32  # float32/64 kept as is, no copy
    ints = np.arange(3)
    assert v.check_array(ints, "x", dtype="numeric") is ints
    assert v.check_array(np.array(["a"]), "x", dtype="any").dtype.kind == "U"
    assert v.check_array(np.zeros(0), "x", allow_empty=True).size == 0
    assert np.isnan(v.check_array([np.nan], "x", finite=False)).all()


@pytest.mark.parametrize("value, kwargs, exc, match", [
    ("abc", {}, TypeError, "arg must be a numeric array, got str"),
    (b"abc", {}, TypeError, "arg must be a numeric array, got bytes"),
    (None, {}, TypeError, "arg must be a numeric array, got NoneType"),
    ([[1, 2], [3]], {}, TypeError, "arg must be a numeric array, got list"),
    (np.array(["a", "b"]), {}, TypeError, "arg must have a real numeric dtype, got <U1"),
    (np.array([1, "a"], dtype=object), {}, TypeError, "arg must have a real numeric dtype"),
    (np.array([1 + 2j]), {}, TypeError, "arg must have a real numeric dtype"),
    (np.ones((2, 2)), {"ndim": 1}, ValueError, r"arg must have 1 dimensions, got shape \(2, 2\)"),
    (np.ones(2), {"ndim": (2, 4)}, ValueError, "arg must have 2 or 4 dimensions"),
    (np.zeros((0, 2)), {}, ValueError, r"arg must not be empty, got shape \(0, 2\)"),
    (np.array([0.0, np.inf]), {}, ValueError, r"arg contains non-finite values \(first at \(1,\)"),
])
def test_check_array_errors(value, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        v.check_array(value, "arg", **kwargs)


def test_check_pm1():
    np.testing.assert_array_equal(v.check_pm1([[1, -1], [-1, 1]], "x"), [[1, -1], [-1, 1]])
    assert v.check_pm1(np.zeros((0, 3)), "x").size == 0
    with pytest.raises(ValueError, match=r"x must be ±1, found 0 at \(1, 0\)"):
        v.check_pm1(np.array([[1, -1], [0, 1]]), "x")
    with pytest.raises(ValueError, match=r"w must be ±1, found nan at \(0,\)"):
        v.check_pm1(np.array([np.nan]), "w")
    with pytest.raises(TypeError, match="x must hold ±1 values, got a bool array"):
        v.check_pm1(np.array([True, False]), "x")
    with pytest.raises(TypeError, match="x must have a real numeric dtype"):
        v.check_pm1(np.array(["1"]), "x")


def test_check_shape():
    v.check_shape(np.ones((2, 3)), (None, 3), "x")
    with pytest.raises(ValueError, match=r"x must have shape \(\*, 4\), got \(2, 3\)"):
        v.check_shape(np.ones((2, 3)), (None, 4), "x")
    with pytest.raises(ValueError, match=r"x must have shape \(2\), got \(2, 3\)"):
        v.check_shape(np.ones((2, 3)), (2,), "x")


def test_check_rng():
    g = np.random.default_rng(0)
    assert v.check_rng(g) is g
    assert isinstance(v.check_rng(None), np.random.Generator)
    assert v.check_rng(5).integers(1 << 30) == np.random.default_rng(5).integers(1 << 30)
    assert isinstance(v.check_rng(np.random.SeedSequence(1)), np.random.Generator)
    assert isinstance(v.check_rng(np.int64(3)), np.random.Generator)
    with pytest.raises(ValueError, match="rng must be a non-negative int seed, got -1"):
        v.check_rng(-1)
    for bad in (True, 1.5, "0", np.random.RandomState(0)):
        with pytest.raises(TypeError, match="seed_arg must be None, an int or a numpy"):
            v.check_rng(bad, "seed_arg")


def test_check_int_and_positive():
    assert v.check_int(np.int32(4), "n", minimum=1) == 4
    with pytest.raises(TypeError, match="n must be an int, got True"):
        v.check_int(True, "n")
    with pytest.raises(TypeError, match="n must be an int, got 2.0"):
        v.check_int(2.0, "n")
    with pytest.raises(ValueError, match="n must be >= 1, got 0"):
        v.check_int(0, "n", minimum=1)
    assert v.check_positive(np.float32(0.5), "lr") == 0.5
    assert v.check_positive(0, "wd", allow_zero=True) == 0.0
    for bad in (0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="lr must be finite and > 0"):
            v.check_positive(bad, "lr")
    with pytest.raises(ValueError, match="wd must be finite and >= 0"):
        v.check_positive(-1e-9, "wd", allow_zero=True)
    for bad in (True, "1", None, 1j):
        with pytest.raises(TypeError, match="lr must be a real number"):
            v.check_positive(bad, "lr")


def test_check_labels():
    out = v.check_labels(np.array([0.0, 2.0, 1.0]), 3, 3)
    assert out.dtype == np.int64 and out.tolist() == [0, 2, 1]
    assert v.check_labels(np.array([5, 9]), 2, None).tolist() == [5, 9]
    assert v.check_labels(np.zeros(0, int), 0, 3).size == 0
    with pytest.raises(ValueError, match=r"y has label 3 out of range \[0, 3\)"):
        v.check_labels(np.array([0, 3]), 2, 3)
    with pytest.raises(ValueError, match=r"labels has label -2 out of range"):
        v.check_labels(np.array([-2, 0]), 2, None, name="labels")
    with pytest.raises(ValueError, match="y must hold integer class labels"):
        v.check_labels(np.array([0.5]), 1, 2)
    with pytest.raises(TypeError, match="y must hold integer class labels, got dtype bool"):
        v.check_labels(np.array([True]), 1, 2)
    with pytest.raises(ValueError, match="y has 2 labels but there are 3 samples"):
        v.check_labels(np.array([0, 1]), 3, 2)
    with pytest.raises(ValueError, match="y must have 1 dimensions"):
        v.check_labels(np.zeros((2, 1), int), 2, 2)


# -- public entry points: one table -----------------------------------------------------
def _sgd(lr):
    return bc.optim.SGD(Dense(2, 2, rng=0).parameters(), lr=lr)


def _adam(lr):
    return bc.optim.Adam(Dense(2, 2, rng=0).parameters(), lr=lr)


BAD = [
    # wrong ndim / shape
    (lambda: Dense(4, 2).forward(np.ones(4)), ValueError, "x must have 2 dimensions"),
    (lambda: Conv2d(1, 2, 3).forward(np.ones((1, 8, 8))), ValueError, "x must have 4 dim"),
    (lambda: Dense(4, 2).forward(np.ones((3, 5))), ValueError, "x has 5 features"),
    (lambda: BinaryConv2d(2, 2, 3).forward(np.ones((1, 1, 5, 5))), ValueError,
     "x has 1 channels"),
    # non-finite
    (lambda: Dense(2, 2).forward(np.array([[np.nan, 0]])), ValueError, "x contains non-finite"),
    (lambda: BinaryDense(2, 2).forward(np.array([[np.inf, 0]])), ValueError,
     "x contains non-finite"),
    # dtype: strings / objects
    (lambda: Dense(2, 2).forward(np.array([["a", "b"]])), TypeError, "x must have a real"),
    (lambda: Sign().forward(np.array([[object()]])), TypeError, "x must have a real"),
    (lambda: bc.predict(Dense(2, 2), "xx"), TypeError, "X must be a numeric array"),
    # empty batch
    (lambda: Dense(2, 2).forward(np.zeros((0, 2))), ValueError, "x must not be empty"),
    (lambda: bc.predict(Dense(2, 2), np.zeros((0, 2))), ValueError, "X must not be empty"),
    # labels out of range
    (lambda: bc.losses.SoftmaxCrossEntropy().forward(np.zeros((1, 3)), [3]), ValueError,
     "targets has label 3 out of range"),
    # lr <= 0
    (lambda: _sgd(0.0), ValueError, "lr must be finite and > 0"),
    (lambda: _adam(-1e-3), ValueError, "lr must be finite and > 0"),
    # unknown quantizer names
    (lambda: bc.quantizers.get("nope"), ValueError, "unknown quantizer 'nope'; available"),
    (lambda: BinaryDense(2, 2, weight_quantizer="xnor"), ValueError, "unknown quantizer 'xnor'"),
    (lambda: Sign("nope"), ValueError, "unknown quantizer 'nope'"),
    (lambda: bc.models.mlp("nope"), ValueError, "unknown quantizer 'nope'"),
    (lambda: bc.models.mlp("ste", activation="nope"), ValueError, "unknown quantizer 'nope'"),
    # models and data
    (lambda: bc.models.mlp("ste", n_classes=1), ValueError, "n_classes must be >= 2"),
    (lambda: bc.models.cnn("ste", image_size=1), ValueError, "image_size must be >= 2"),
    (lambda: bc.models.mlp("ste", rng="x"), TypeError, "rng must be None, an int"),
    (lambda: bc.data.load_digits(test_size=1.5), ValueError, "test_size must be in"),
]


@pytest.mark.parametrize("call, exc, match", BAD)
def test_public_entry_points_name_the_argument(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_all_finite_without_a_mask():
    from bnncore._validation import all_finite

    big = np.array([3e38, 3e38], np.float32)      # finite, though their sum overflows
    assert all_finite(big) and all_finite(np.zeros(0)) and all_finite(np.arange(3))
    for bad in (np.nan, np.inf, -np.inf):
        for where in (0, 5, 9):
            x = np.ones(10, np.float32)
            x[where] = bad
            assert not all_finite(x), (bad, where)
            assert not all_finite(x.reshape(2, 5)[:, ::-1]), (bad, where)   # a strided view
