"""Carry-save-adder bgemm (gemm_csa): exact equality with the float ±1 matmul; the choice
of kernel by target ISA and product shape (gemm.pick_kernel)."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kernel_cases import DTYPES, LAYOUTS, as_pm1, pm1_array
from numba.core.codegen import get_host_cpu_features

from bnncore.kernels import gemm, gemm_csa, pack_bits
from bnncore.kernels._tiles import TILE_N, TILE_WORDS

GROUP_BITS = 64 * gemm_csa.GROUP_WORDS


def csa_kernels(aw, bw, k):
    """Results of the serial and the parallel CSA kernel, called directly."""
    bp = gemm_csa.panels(bw)
    n = bw.shape[0]
    return (gemm_csa._bgemm_csa_serial(aw, bp, k, n),
            gemm_csa._bgemm_csa_parallel(aw, bp, k, n))


@st.composite
def csa_cases(draw):
    m, n = draw(st.integers(1, 70)), draw(st.integers(1, 70))
    near_word = st.builds(lambda j, d: max(1, 64 * j + d), st.integers(1, 6), st.integers(-1, 1))
    near_group = st.builds(lambda j, d: max(1, GROUP_BITS * j + d), st.integers(1, 3),
                           st.sampled_from([-65, -64, -1, 0, 1, 64, 65]))
    k = draw(st.one_of(st.integers(1, 300), near_word, near_group))
    seed = draw(st.integers(0, 2**32 - 1))
    a = pm1_array((m, k), seed, draw(st.sampled_from(DTYPES)), draw(st.sampled_from(LAYOUTS)))
    b = pm1_array((n, k), seed + 1, draw(st.sampled_from(DTYPES)), draw(st.sampled_from(LAYOUTS)))
    return a, b


@settings(max_examples=200, deadline=None)
@given(csa_cases())
def test_csa_kernels_equal_float_matmul(case):
    a, b = case
    k = a.shape[1]
    expected = (as_pm1(a) @ as_pm1(b).T).astype(np.int64)
    aw, bw = pack_bits(a, axis=1).words, pack_bits(b, axis=1).words
    for c in csa_kernels(aw, bw, k):
        assert c.dtype == np.int32 and c.shape == expected.shape
        np.testing.assert_array_equal(c, expected)
    np.testing.assert_array_equal(gemm_csa.bgemm_csa_words(aw, bw, k), expected)


@pytest.mark.parametrize(("m", "k", "n"), [
    (33, 64 * TILE_WORDS + 65, 3),  # one word past a cache block
    (5, 2 * 64 * TILE_WORDS + GROUP_BITS + 7, 67),  # 3 blocks, a group and a word tail
    (70, 64 * TILE_WORDS - 1, TILE_N + 1),  # block minus one bit, 2 panels
    (1, 3 * GROUP_BITS + 64 * (gemm_csa.GROUP_WORDS - 1), 1),  # group - 1 word of tail
    (37, GROUP_BITS - 1, 130),
])
def test_long_rows_and_tails(m, k, n):
    a, b = pm1_array((m, k), seed=k), pm1_array((n, k), seed=k + 1)
    expected = a.astype(np.int64) @ b.T
    aw, bw = pack_bits(a).words, pack_bits(b).words
    for c in csa_kernels(aw, bw, k):
        np.testing.assert_array_equal(c, expected)


def test_all_mismatches_and_no_mismatches():
    """Extreme counts: every carry of the adders set (all bits differ), or none."""
    k = 3 * 64 * TILE_WORDS // 2 + 5
    ones = np.ones((3, k))
    aw = pack_bits(ones).words
    bw = pack_bits(np.vstack([ones[:1], -ones[:1]])).words
    for c in csa_kernels(aw, bw, k):
        np.testing.assert_array_equal(c, np.tile([k, -k], (3, 1)))


def test_panels_layout_and_padding():
    bw = np.random.default_rng(0).integers(0, 2**63, size=(TILE_N + 3, 5), dtype=np.uint64)
    flat = gemm_csa.panels(bw)
    assert flat.shape == (2, 5 * TILE_N) and flat.flags.c_contiguous
    p = flat.reshape(2, 5, TILE_N)
    np.testing.assert_array_equal(p[0].T, bw[:TILE_N])
    np.testing.assert_array_equal(p[1, :, :3].T, bw[TILE_N:])
    assert not p[1, :, 3:].any()


def test_thread_count_does_not_change_result():
    a, b = pm1_array((67, 4000), seed=5), pm1_array((90, 4000), seed=6)
    aw, bw = pack_bits(a).words, pack_bits(b).words
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        single = gemm_csa.bgemm_csa_words(aw, bw, 4000)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(single, gemm_csa.bgemm_csa_words(aw, bw, 4000))
    np.testing.assert_array_equal(single, a.astype(np.int64) @ b.T)


AVX2 = "+avx2,+popcnt,-avx512f,-avx512vpopcntdq"
AVX512 = "+avx2,+avx512f,+avx512vpopcntdq"


@pytest.mark.parametrize(("m", "n", "n_words", "name", "features", "kernel"), [
    (1024, 1024, 64, "znver3", AVX2, "csa"),
    (gemm.CSA_MIN_ROWS, 4096, gemm.CSA_MIN_WORDS, "haswell", "+avx2", "csa"),
    (1024, 1024, gemm.CSA_MIN_WORDS - 1, "znver3", AVX2, "short"),  # under one group
    (1024, 1024, 4, "znver4", AVX512, "short"),
    (gemm.SHORT_MIN_ROWS - 1, 1024, 4, "znver4", AVX512, "direct"),
    (1024, gemm.SHORT_MIN_ROWS - 1, 4, "znver3", AVX2, "direct"),
    (gemm.CSA_MIN_ROWS - 1, 1024, 64, "znver3", AVX2, "direct"),  # panels not repaid
    (1024, 1, 64, "znver3", AVX2, "direct"),
    (1024, 1024, 64, "znver4", AVX512, "direct"),  # vpopcntq beats the adders
    (1024, 1024, 64, "znver4", "+avx2", "direct"),  # the named CPU brings VPOPCNTDQ
    (1024, 1024, 64, "znver4", "+avx2,-avx512vpopcntdq", "csa"),
    (1024, 1024, 64, "x86-64", "+sse4.2,+popcnt", "direct"),  # no AVX2: not measured
    (1024, 1024, 64, "generic", "", "direct"),
])
def test_pick_kernel(m, n, n_words, name, features, kernel):
    assert gemm.pick_kernel(m, n, n_words, name, features) == kernel


def test_jit_target_follows_numba_config(monkeypatch):
    monkeypatch.setattr(numba.config, "CPU_NAME", "znver3")
    monkeypatch.setattr(numba.config, "CPU_FEATURES", "+avx2")
    assert gemm.jit_target() == ("znver3", "+avx2")
    assert gemm.pick_kernel(1024, 1024, 64) == "csa"
    monkeypatch.setattr(numba.config, "CPU_NAME", None)
    monkeypatch.setattr(numba.config, "CPU_FEATURES", None)
    assert gemm.jit_target() == (None, get_host_cpu_features())


@pytest.mark.parametrize("features", [AVX2, AVX512])
@pytest.mark.parametrize(("m", "n", "n_words"), [(200, 150, 40), (200, 150, 4), (5, 300, 4)])
def test_bgemm_words_is_exact_whichever_kernel_it_picks(monkeypatch, features, m, n, n_words):
    """Under both targets the dispatch reaches csa, short and direct; each result is exact.

    (Only the choice follows the patched config: the kernels were compiled for the host
    before it is patched, by the packing and the first call below.)"""
    k = 64 * n_words - 3
    a, b = pm1_array((m, k), seed=m), pm1_array((k, n), seed=n)
    aw, bw = pack_bits(a).words, pack_bits(b, axis=0).words
    expected = a.astype(np.int64) @ b
    np.testing.assert_array_equal(gemm.bgemm_words(aw, bw, k), expected)
    monkeypatch.setattr(numba.config, "CPU_NAME", "znver3")
    monkeypatch.setattr(numba.config, "CPU_FEATURES", features)
    np.testing.assert_array_equal(gemm.bgemm_words(aw, bw, k), expected)
    out = np.empty((m, n), np.float32)
    np.testing.assert_array_equal(gemm.bgemm_words(aw, bw, k, out=out), expected)
