"""``forward(w, out=)`` and ``backward(w, g, out=)``: the same bits as the plain calls, for
every registered pair, and a clear error for a wrong ``out``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bnncore import quantizers
from bnncore.quantizers.base import sign
from bnncore.quantizers.ste import STE


@settings(max_examples=100, deadline=None)
@given(name=st.sampled_from(quantizers.available()), dtype=st.sampled_from(["f4", "f8"]),
       seed=st.integers(0, 2**31), shape=st.sampled_from([(1,), (7,), (5, 9), (2, 3, 4)]))
def test_out_gives_the_same_bits(name, dtype, seed, shape):
    q = quantizers.get(name)
    g = np.random.default_rng(seed)
    w = (1.5 * g.normal(size=shape)).astype(dtype)
    w.reshape(-1)[:3] = [0.0, -0.0, 1.0][: w.size]       # the ties of sign and of the clip
    grad = g.normal(size=shape).astype(dtype)
    out = np.full_like(w, np.nan)
    assert q.forward(w, out=out) is out
    assert out.tobytes() == q.forward(w).tobytes()
    out = np.full_like(w, np.nan)
    assert q.backward(w, grad, out=out) is out
    assert out.tobytes() == q.backward(w, grad).tobytes()


def test_sign_out_and_signed_zero():
    x = np.array([-2.0, -0.0, 0.0, 3.0, -1e-45], np.float32)
    out = np.empty_like(x)
    assert sign(x, out=out) is out
    np.testing.assert_array_equal(out, [-1, 1, 1, 1, -1])
    assert not np.signbit(out[1])
    sign(x, out=x)                                         # in place is allowed for sign
    np.testing.assert_array_equal(x, [-1, 1, 1, 1, -1])


def test_a_subclass_that_changes_dB_does_not_inherit_the_in_place_version():
    class Tent(STE):
        name = "tent"

        def _dB(self, w):
            return np.maximum(0.0, 1.0 - np.abs(w))

    w = np.array([-2.0, -0.5, 0.0, 0.25])
    g = np.ones_like(w)
    np.testing.assert_array_equal(Tent().backward(w, g, out=np.empty_like(w)),
                                  [0.0, 0.5, 1.0, 0.75])


@pytest.mark.parametrize("bad", [np.empty(3), np.empty((2, 2), np.float32), [0.0] * 4])
def test_wrong_out_is_refused(bad):
    w = np.zeros((2, 2))
    with pytest.raises(TypeError, match="out must be a float64 array of shape"):
        quantizers.get("ste").forward(w, out=bad)


def test_out_overlapping_an_input_is_refused():
    w, g = np.zeros((2, 2)), np.ones((2, 2))
    q = quantizers.get("clipped_ste")
    with pytest.raises(ValueError, match="must not overlap"):
        q.forward(w, out=w)
    with pytest.raises(ValueError, match="must not overlap"):
        q.backward(w, g, out=g)
    with pytest.raises(ValueError, match="writeable"):
        readonly = np.empty((2, 2))
        readonly.flags.writeable = False
        q.forward(w, out=readonly)


@pytest.mark.parametrize("name", ["ste", "clipped_ste", "bnn", "approxsign"])
@pytest.mark.parametrize("dtype", ["f4", "f8"])
def test_one_pass_kernels_and_numpy_fallback_agree(name, dtype):
    """C-contiguous arrays take the one-pass Numba loops, strided views the NumPy lines:
    the same bits either way, -0.0 included."""
    q = quantizers.get(name)
    g = np.random.default_rng(7)
    big = (1.5 * g.normal(size=(40, 30))).astype(dtype)
    big[0, :4] = [0.0, -0.0, 1.0, -1.0]
    grad_big = g.normal(size=big.shape).astype(dtype)
    for w, grad in ((big, grad_big), (big[::2, ::3], grad_big[::2, ::3])):
        expected_f = np.where(w >= 0, 1.0, -1.0).astype(dtype)
        assert q.forward(w, out=np.empty_like(w)).tobytes() == expected_f.tobytes()
        expected_b = (grad * q.dB(w)).tobytes()
        assert q.backward(w, grad, out=np.empty_like(w)).tobytes() == expected_b
