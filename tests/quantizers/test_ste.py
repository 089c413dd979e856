"""Quantizer pairs: the method contract (docs/quantizers.md, "The contract"), the STE family."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from bnncore import quantizers
from bnncore.quantizers import BNN, STE, ClippedSTE, Identity, get, sign

PAIRS = quantizers.available()
DTYPES = [np.float32, np.float64]
UNARY = ["forward", "B", "dB", "deploy", "prox"]


def _has_prox(pair):
    try:
        pair.prox(np.zeros(1))
    except NotImplementedError:
        return False
    return True


def _sample(dtype, rng):
    w = np.concatenate([rng.normal(size=40) * 2, [0.0, -0.0, 1.0, -1.0, 3.0, -3.0]])
    return w.reshape(2, 23).astype(dtype)


def _call(pair, method, w):
    if method == "post_step":
        return pair.post_step(w, 0.1)
    return getattr(pair, method)(w)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", UNARY + ["post_step"])
@pytest.mark.parametrize("name", PAIRS)
def test_unary_methods_keep_dtype_copy_and_input(name, method, dtype, rng):
    pair = get(name)
    if method == "prox" and not _has_prox(pair):
        pytest.raises(NotImplementedError, pair.prox, np.zeros(2, dtype))
        return
    w = _sample(dtype, rng)
    before = w.copy()
    out = _call(pair, method, w)
    assert isinstance(out, np.ndarray) and out.dtype == dtype and out.shape == w.shape
    np.testing.assert_array_equal(w, before)  # no input mutation
    assert not np.shares_memory(out, w)
    out[...] = 7  # writable, and writing to it leaves the input alone
    np.testing.assert_array_equal(w, before)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", PAIRS)
def test_backward_is_g_times_dB_bitwise(name, dtype, rng):
    pair = get(name)
    w, g = _sample(dtype, rng), _sample(dtype, rng)[::-1].copy()
    w0, g0 = w.copy(), g.copy()
    out = pair.backward(w, g)
    assert out.dtype == dtype and out.shape == w.shape
    np.testing.assert_array_equal(out, g * pair.dB(w))
    np.testing.assert_array_equal(w, w0)
    np.testing.assert_array_equal(g, g0)
    assert not np.shares_memory(out, w) and not np.shares_memory(out, g)


@pytest.mark.parametrize("name", [n for n in PAIRS if _has_prox(get(n))])
def test_forward_is_prox_of_B(name, rng):
    pair = get(name)
    w = _sample(np.float64, rng)
    np.testing.assert_array_equal(pair.forward(w), pair.prox(pair.B(w)))


@pytest.mark.parametrize("name", [n for n in PAIRS if get(n).binary_target])
def test_binary_pairs_sign_of_zero_and_deploy(name):
    # deploy(w) = s * sign(w) with sign(0) = sign(-0.0) = +1 (s = 1 except scaled pairs)
    pair = get(name)
    for dtype in DTYPES:
        w = np.array([-2.0, -0.5, -0.0, 0.0, 0.5, 2.0], dtype)
        expected = np.array([-1, -1, 1, 1, 1, 1], dtype)
        deployed = pair.deploy(w)
        s = np.abs(deployed).max()
        assert s > 0
        np.testing.assert_array_equal(deployed, s * expected)
        if pair.binary:
            f = pair.forward(w)
            np.testing.assert_array_equal(f, np.abs(f).max() * expected)


@pytest.mark.parametrize("name", ["ste", "clipped_ste", "bnn"])
def test_engine_pairs_are_plain_sign(name):
    w = np.array([-2.0, -0.0, 0.0, 0.5])
    np.testing.assert_array_equal(get(name).forward(w), [-1.0, 1.0, 1.0, 1.0])
    np.testing.assert_array_equal(get(name).deploy(w), [-1.0, 1.0, 1.0, 1.0])


@pytest.mark.parametrize("name", PAIRS)
def test_hyperparams_rebuild_the_pair(name, rng):
    pair = get(name)
    clone = get(pair.name, **pair.hyperparams())
    assert clone.hyperparams() == pair.hyperparams() and clone is not pair
    w = _sample(np.float64, rng)
    np.testing.assert_array_equal(clone.forward(w), pair.forward(w))
    np.testing.assert_array_equal(clone.dB(w), pair.dB(w))


@pytest.mark.parametrize("name", PAIRS)
def test_zero_d_and_empty_arrays(name):
    pair = get(name)
    for w in (np.array(0.5), np.zeros((0, 3)), np.zeros(0, np.float32)):
        for method in ("forward", "B", "dB", "deploy"):
            out = getattr(pair, method)(w)
            assert np.shape(out) == w.shape and out.dtype == w.dtype
        out = pair.backward(w, np.ones_like(w))
        assert np.shape(out) == w.shape and out.dtype == w.dtype


@pytest.mark.parametrize("method", ["forward", "B", "dB", "deploy", "post_step", "backward"])
@pytest.mark.parametrize("name", PAIRS)
def test_bad_input(name, method):
    pair = get(name)

    def call(w):
        if method == "backward":
            return pair.backward(w, np.ones(np.shape(w)))
        return _call(pair, method, w)

    for bad in (np.array([1.0, np.nan]), np.array([np.inf, 0.0]), np.array([-np.inf])):
        pattern = rf"{re.escape(pair.name)}\.{method}: w contains non-finite"
        with pytest.raises(ValueError, match=pattern):
            call(bad)
    for dtype in (np.int64, np.int8, np.bool_, np.float16, np.complex128, object):
        with pytest.raises(TypeError, match=rf"{method}: w must be float32 or float64"):
            call(np.zeros(3, dtype=dtype))
    with pytest.raises(TypeError, match=rf"{method}: w must be a numpy.ndarray, got list"):
        call([0.5, 1.0])


@pytest.mark.parametrize("name", PAIRS)
def test_backward_checks_g(name):
    pair = get(name)
    w = np.zeros((2, 3))
    with pytest.raises(ValueError, match="g has shape"):
        pair.backward(w, np.zeros((3, 2)))
    with pytest.raises(TypeError, match="g has dtype float32, w has float64"):
        pair.backward(w, np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="g contains non-finite"):
        pair.backward(w, np.full((2, 3), np.nan))
    with pytest.raises(TypeError, match="g must be float32 or float64"):
        pair.backward(w, np.zeros((2, 3), np.int32))


def test_validate_finite_flag(monkeypatch):
    pair = get("ste")
    monkeypatch.setattr(quantizers, "VALIDATE_FINITE", False)
    out = pair.forward(np.array([np.inf, -np.inf]))
    np.testing.assert_array_equal(out, [1.0, -1.0])
    with pytest.raises(TypeError, match="float32 or float64"):
        pair.forward(np.zeros(2, np.int64))  # dtype checks always run
    monkeypatch.setattr(quantizers, "VALIDATE_FINITE", True)
    with pytest.raises(ValueError, match="non-finite"):
        pair.forward(np.array([np.inf]))


def test_sign():
    for dtype in DTYPES:
        x = np.array([-2.0, -1e-300, -0.0, 0.0, 1e-300, 3.0], dtype)
        out = sign(x)
        assert out.dtype == dtype and not np.shares_memory(out, x)
        np.testing.assert_array_equal(out, [-1, -1 if dtype == np.float64 else 1, 1, 1, 1, 1])


def test_identity():
    w = np.array([-2.0, 0.0, 0.5])
    q = Identity()
    for method in ("forward", "B", "deploy", "prox"):
        np.testing.assert_array_equal(getattr(q, method)(w), w)
    np.testing.assert_array_equal(q.dB(w), [1.0, 1.0, 1.0])
    assert not q.binary and not q.binary_target


def test_ste():
    w = np.array([-2.0, -0.3, 0.0, 0.7, 5.0])
    q = STE()
    np.testing.assert_array_equal(q.forward(w), [-1, -1, 1, 1, 1])
    np.testing.assert_array_equal(q.B(w), w)
    np.testing.assert_array_equal(q.dB(w), np.ones(5))
    np.testing.assert_array_equal(q.post_step(w, 0.1), w)  # the latent is never clipped
    assert q.binary and q.binary_target and q.knots == (0.0,) and q.latent_domain is None


@pytest.mark.parametrize("c", [1.0, 0.5, 2.0])
def test_clipped_ste(c):
    q = ClippedSTE(c)
    w = np.array([-3 * c, -c, -c / 2, 0.0, c / 2, c, 3 * c])
    np.testing.assert_array_equal(q.forward(w), [-1, -1, -1, 1, 1, 1, 1])
    np.testing.assert_array_equal(q.B(w), np.clip(w, -c, c))
    np.testing.assert_array_equal(q.dB(w), [0, 1, 1, 1, 1, 1, 0])  # inclusive at +-c
    np.testing.assert_array_equal(q.post_step(w, 0.1), w)
    assert q.knots == (0.0, -c, c) and q.hyperparams() == {"clip_value": c}


def test_bnn_clips_the_latent():
    q = BNN()
    w = np.array([-3.0, -1.0, 0.2, 1.5])
    np.testing.assert_array_equal(q.post_step(w, lr=0.1), [-1.0, -1.0, 0.2, 1.0])
    np.testing.assert_array_equal(q.dB(w), [0, 1, 1, 0])
    assert q.latent_domain == (-1.0, 1.0) and BNN(0.5).latent_domain == (-0.5, 0.5)
    with pytest.raises(ValueError, match="clip_value"):
        BNN(-1.0)


@pytest.mark.parametrize("name", PAIRS)
def test_surrogate_computes_with_B(name, rng):
    pair = get(name)
    sur = pair.surrogate()
    w, g = _sample(np.float64, rng), rng.normal(size=(2, 23))
    assert sur.name == f"surrogate({pair.name})"
    np.testing.assert_array_equal(sur.forward(w), pair.B(w))
    np.testing.assert_array_equal(sur.dB(w), pair.dB(w))
    np.testing.assert_array_equal(sur.backward(w, g), pair.backward(w, g))


@pytest.mark.parametrize("name", PAIRS)
def test_on_epoch_validation(name):
    pair = get(name)
    pair.on_epoch(0, 1)
    pair.on_epoch(np.int64(2), 3)
    with pytest.raises(TypeError, match="epoch must be an int"):
        pair.on_epoch(True, 3)
    with pytest.raises(ValueError, match="epoch must be an int"):
        pair.on_epoch(0.5, 3)
    with pytest.raises(ValueError, match="total must be an int"):
        pair.on_epoch(0, "3")
    for epoch, total in ((3, 3), (-1, 3), (0, 0)):
        with pytest.raises(ValueError, match="need 0 <= epoch < total"):
            pair.on_epoch(epoch, total)


def test_repr_shows_name_and_hyperparameters():
    assert repr(get("clipped_ste", clip_value=0.5)) == \
        "ClippedSTE(name='clipped_ste', clip_value=0.5)"
    assert repr(get("ste")) == "STE(name='ste')"


finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, width=32)
float_arrays = st.sampled_from(DTYPES).flatmap(
    lambda dt: hnp.arrays(dt, hnp.array_shapes(max_dims=2, max_side=6), elements=finite))


@settings(max_examples=30, deadline=None, derandomize=True)
@given(name=st.sampled_from(PAIRS), w=float_arrays, data=st.data())
def test_properties_on_generated_arrays(name, w, data):
    pair = get(name)
    g = data.draw(hnp.arrays(w.dtype, w.shape, elements=finite))
    np.testing.assert_array_equal(pair.backward(w, g), g * pair.dB(w))
    f, d = pair.forward(w), pair.dB(w)
    assert f.dtype == d.dtype == w.dtype
    if pair.binary and w.size:
        s = np.abs(f).max()
        np.testing.assert_array_equal(f, s * np.where(w >= 0, 1, -1))
    if pair.forward_monotone:
        order = np.argsort(w.ravel(), kind="stable")
        assert np.all(np.diff(f.ravel()[order]) >= 0)
    if pair.nonneg_backward:
        assert (d >= 0).all()
    if pair.backward_bound is not None:
        assert (np.abs(d) <= pair.backward_bound).all()
    if pair.latent_domain is not None:
        lo, hi = pair.latent_domain
        p = pair.post_step(w, 0.1)
        assert ((p >= lo) & (p <= hi)).all()
