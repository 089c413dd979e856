"""pack_bits / unpack_bits: round trip, layout, padding rule, input checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kernel_cases import DTYPES, LAYOUTS, as_pm1, pm1_array

from bnncore.kernels import PackedBits, pack_bits, unpack_bits
from bnncore.kernels.reference import pack_bits_reference

LENGTHS = [1, 63, 64, 65, 127, 129, 1000]


@st.composite
def pm1_cases(draw):
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(1, 6)) for _ in range(ndim))
    axis = draw(st.integers(-ndim, ndim - 1))
    shape = shape[:axis % ndim] + (draw(st.sampled_from(LENGTHS + [2, 31, 130])),) + shape[
        axis % ndim + 1 :]
    dtype = draw(st.sampled_from(DTYPES))
    layout = draw(st.sampled_from(LAYOUTS))
    return pm1_array(shape, draw(st.integers(0, 2**32 - 1)), dtype, layout), axis


@settings(max_examples=200, deadline=None)
@given(pm1_cases())
def test_round_trip_any_axis_dtype_layout(case):
    a, axis = case
    p = pack_bits(a, axis=axis)
    assert p.shape == a.shape and p.axis == axis % a.ndim and p.n == a.shape[axis]
    assert p.words.dtype == np.uint64 and p.words.flags.c_contiguous
    back = unpack_bits(p)
    assert back.dtype == np.int8 and back.shape == a.shape
    np.testing.assert_array_equal(back, as_pm1(a))
    np.testing.assert_array_equal(p.words, pack_bits_reference(as_pm1(a), axis=axis))


@pytest.mark.parametrize("n", LENGTHS)
def test_round_trip_lengths(n):
    a = pm1_array((3, n), seed=n)
    p = pack_bits(a)
    assert p.words.shape == (3, -(-n // 64)) and p.n_words == -(-n // 64)
    np.testing.assert_array_equal(unpack_bits(p), a)
    np.testing.assert_array_equal(p.words, pack_bits_reference(a))


@pytest.mark.parametrize("n", LENGTHS)
def test_padding_rule_pad_bits_cancel(n):
    """Pad bits are 0, so popcount counts the +1s and dot = n - 2 popcount(a ^ b), true n."""
    a = pm1_array((4, n), seed=2 * n)
    b = pm1_array((5, n), seed=2 * n + 1)
    pa, pb = pack_bits(a), pack_bits(b)
    if n % 64:
        assert not np.any(pa.words[:, -1] >> np.uint64(n % 64))  # pad bits are 0
    assert np.array_equal(np.bitwise_count(pa.words).sum(axis=1), (a > 0).sum(axis=1))
    mismatches = np.bitwise_count(pa.words[:, None, :] ^ pb.words[None, :, :]).sum(axis=-1)
    np.testing.assert_array_equal(n - 2 * mismatches.astype(np.int64), a @ b.T.astype(np.int64))
    all_minus = pack_bits(-np.ones(n))  # all -1: every bit, pads included, is 0
    assert not np.any(all_minus.words)


def test_bit_layout_lsb_first():
    a = -np.ones(130, dtype=np.int8)
    a[[0, 5, 63, 64, 129]] = 1
    words = pack_bits(a).words
    assert words.tolist() == [(1 << 0) | (1 << 5) | (1 << 63), 1, 2]


def test_bool_means_true_plus_one():
    b = np.array([[True, False, True]])
    np.testing.assert_array_equal(unpack_bits(pack_bits(b)), [[1, -1, 1]])


def test_empty_axis_and_lists():
    p = pack_bits(np.ones((3, 0)))
    assert p.words.shape == (3, 0) and unpack_bits(p).shape == (3, 0)
    np.testing.assert_array_equal(unpack_bits(pack_bits([1, -1, -1])), [1, -1, -1])


@pytest.mark.parametrize("bad", [0, 2, 0.5, -3])
def test_values_not_pm1_name_the_argument(bad):
    a = np.ones((2, 5))
    a[1, 3] = bad
    with pytest.raises(ValueError, match=r"^a must be ±1.*\(1, 3\)"):
        pack_bits(a)
    with pytest.raises(ValueError, match=r"^x must be ±1"):
        pack_bits(a, name="x")


def test_nan_is_value_error():
    with pytest.raises(ValueError, match=r"^a must be ±1, found nan"):
        pack_bits(np.array([1.0, np.nan]))


@pytest.mark.parametrize("bad", ["abc", None, {"a": 1}])
def test_non_array_is_type_error(bad):
    with pytest.raises(TypeError, match=r"^a "):
        pack_bits(bad)


def test_axis_and_rank_checks():
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        pack_bits(np.ones((2, 2)), axis=2)
    with pytest.raises(TypeError, match="axis must be an int"):
        pack_bits(np.ones(3), axis=0.0)
    with pytest.raises(ValueError, match="at least 1 dimension"):
        pack_bits(np.float64(1.0))


def test_unpack_and_packedbits_checks():
    with pytest.raises(TypeError, match="p must be a PackedBits"):
        unpack_bits(np.zeros((2, 1), dtype=np.uint64))
    with pytest.raises(ValueError, match="expected"):
        PackedBits(np.zeros((2, 2), dtype=np.uint64), n=64, shape=(2, 64), axis=1)
    with pytest.raises(TypeError, match="uint64"):
        PackedBits(np.zeros((2, 1), dtype=np.int64), n=64, shape=(2, 64), axis=1)
    assert "PackedBits(shape=(2, 64)" in repr(pack_bits(np.ones((2, 64))))
