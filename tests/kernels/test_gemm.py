"""bgemm / binary_matmul: exact equality with the float ±1 matmul, layouts, input checks."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kernel_cases import DTYPES, LAYOUTS, as_pm1, pm1_array

from bnncore.kernels import bgemm, binary_matmul, pack_bits
from bnncore.kernels import gemm as gemm_module
from bnncore.kernels.reference import bgemm_reference, matmul_pm1_reference


@st.composite
def matmul_cases(draw):
    m, n = draw(st.integers(1, 70)), draw(st.integers(1, 70))
    k = draw(st.one_of(st.integers(1, 300), st.sampled_from([1, 63, 64, 65, 127, 128, 129])))
    seed = draw(st.integers(0, 2**32 - 1))
    a = pm1_array((m, k), seed, draw(st.sampled_from(DTYPES)), draw(st.sampled_from(LAYOUTS)))
    b = pm1_array((k, n), seed + 1, draw(st.sampled_from(DTYPES)), draw(st.sampled_from(LAYOUTS)))
    return a, b


@settings(max_examples=200, deadline=None)
@given(matmul_cases())
def test_binary_matmul_equals_float_matmul(case):
    a, b = case
    expected = matmul_pm1_reference(as_pm1(a), as_pm1(b))
    c = binary_matmul(a, b)
    assert c.dtype == np.int32 and c.shape == expected.shape
    np.testing.assert_array_equal(c, expected)


@settings(max_examples=200, deadline=None)
@given(matmul_cases())
def test_bgemm_on_rows_matches_references(case):
    a, b = case
    bt = b.T  # (N, K) rows; a transposed view when b was C-ordered
    pa, pb = pack_bits(a, axis=1), pack_bits(bt, axis=-1)
    c = bgemm(pa, pb)
    np.testing.assert_array_equal(c, as_pm1(a) @ as_pm1(bt).T)
    np.testing.assert_array_equal(c, bgemm_reference(pa.words, pb.words, a.shape[1]))
    # small products take the serial kernel: check the parallel one on the same input
    out = np.empty(c.shape, np.int32)
    np.testing.assert_array_equal(
        gemm_module._bgemm_parallel(pa.words, pb.words, a.shape[1], out), c)
    # a matrix packed along axis 0 gives rows of its columns
    np.testing.assert_array_equal(bgemm(pack_bits(a.T, axis=0), pb), c)


@pytest.mark.parametrize(("m", "k", "n"), [(33, 16384 + 65, 3), (70, 200, 130), (1, 5, 1),
                                           (5, 64, 1), (1, 64, 7), (37, 129, 65)])
def test_tails_and_word_tiles(m, k, n):
    """Row counts off the 4x2 micro-kernel and the tiles; K beyond one 256-word block."""
    a, b = pm1_array((m, k), seed=k), pm1_array((k, n), seed=k + 1)
    expected = a.astype(np.int64) @ b
    np.testing.assert_array_equal(binary_matmul(a, b), expected)
    aw, bw = pack_bits(a).words, pack_bits(b, axis=0).words
    for kernel in (gemm_module._bgemm_parallel, gemm_module._bgemm_serial):
        np.testing.assert_array_equal(kernel(aw, bw, k, np.empty((m, n), np.int32)), expected)


@pytest.mark.parametrize("dtype", [np.int32, np.float32, np.float64])
@pytest.mark.parametrize(("m", "k", "n"), [(3, 70, 5), (130, 4000, 150)])
def test_out_receives_the_products_in_its_dtype(dtype, m, k, n):
    """bgemm_words(..., out=) writes exact products into an int or float array."""
    a, b = pm1_array((m, k), seed=m), pm1_array((k, n), seed=n)
    aw, bw = pack_bits(a).words, pack_bits(b, axis=0).words
    out = np.full((m, n), 7, dtype)
    assert gemm_module.bgemm_words(aw, bw, k, out=out) is out
    np.testing.assert_array_equal(out, a.astype(np.float64) @ b)
    with pytest.raises(ValueError, match="out must be a C-contiguous"):
        gemm_module.bgemm_direct_words(aw, bw, k, out=np.empty((n, m), dtype).T)
    with pytest.raises(ValueError, match="out must be a C-contiguous"):
        gemm_module.bgemm_direct_words(aw, bw, k, out=np.empty((m, n), np.int64))


def test_large_product_takes_parallel_path():
    a, b = pm1_array((130, 4000), seed=3), pm1_array((4000, 150), seed=4)
    assert 130 * 150 * 63 >= gemm_module.SERIAL_WORK  # so bgemm_words picks prange
    np.testing.assert_array_equal(binary_matmul(a, b), a.astype(np.float64) @ b)


def test_thread_count_does_not_change_result():
    a, b = pm1_array((67, 333), seed=1), pm1_array((333, 45), seed=2)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        single = binary_matmul(a, b)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(single, binary_matmul(a, b))


def test_empty_dimensions():
    assert binary_matmul(np.ones((0, 5)), np.ones((5, 3))).shape == (0, 3)
    np.testing.assert_array_equal(binary_matmul(np.ones((2, 0)), np.ones((0, 3))),
                                  np.zeros((2, 3)))


def test_k_mismatch_is_value_error():
    with pytest.raises(ValueError, match="same row length K, got 10 and 11"):
        bgemm(pack_bits(np.ones((2, 10))), pack_bits(np.ones((3, 11))))
    with pytest.raises(ValueError, match="do not chain"):
        binary_matmul(np.ones((2, 10)), np.ones((11, 3)))


def test_non_packed_is_type_error():
    with pytest.raises(TypeError, match="^a must be a PackedBits"):
        bgemm(np.ones((2, 2)), pack_bits(np.ones((2, 2))))
    with pytest.raises(TypeError, match="^b must be a PackedBits"):
        bgemm(pack_bits(np.ones((2, 2))), "b")
    with pytest.raises(ValueError, match="2-D"):
        bgemm(pack_bits(np.ones((2, 2, 2))), pack_bits(np.ones((2, 2))))


@pytest.mark.parametrize(("bad", "exc"), [(0.0, ValueError), (np.nan, ValueError),
                                          (3.0, ValueError)])
def test_binary_matmul_bad_values_name_the_argument(bad, exc):
    b = np.ones((4, 2))
    b[2, 1] = bad
    with pytest.raises(exc, match=r"^b must be ±1"):
        binary_matmul(np.ones((3, 4)), b)
    with pytest.raises(exc, match=r"^a must be ±1"):
        binary_matmul(b.T.copy(), np.ones((4, 1)))


def test_binary_matmul_type_and_rank_checks():
    with pytest.raises(TypeError, match="^a must be a numeric array"):
        binary_matmul("ab", np.ones((2, 2)))
    with pytest.raises(TypeError, match="^b must be a numeric array"):
        binary_matmul(np.ones((2, 2)), None)
    with pytest.raises(ValueError, match="^a must have 2 dimensions"):
        binary_matmul(np.ones(3), np.ones((3, 2)))


def test_kernel_constants_are_sane():
    assert gemm_module.TILE_M % 4 == 0 and gemm_module.TILE_N % 2 == 0
