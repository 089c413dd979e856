"""The column-vectorised bgemm kernel for short rows (gemm_short) against the float matmul."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from kernel_cases import DTYPES, LAYOUTS, as_pm1, pm1_array

from bnncore.kernels import gemm_short, pack_bits
from bnncore.kernels.gemm_csa import panels


@st.composite
def short_cases(draw):
    m, n = draw(st.integers(1, 150)), draw(st.integers(1, 150))
    near_word = st.builds(lambda j, d: max(1, 64 * j + d), st.integers(1, 8), st.integers(-1, 1))
    k = draw(st.one_of(st.integers(1, 300), near_word))
    seed = draw(st.integers(0, 2**32 - 1))
    a = pm1_array((m, k), seed, draw(st.sampled_from(DTYPES)), draw(st.sampled_from(LAYOUTS)))
    b = pm1_array((n, k), seed + 1, draw(st.sampled_from(DTYPES)), draw(st.sampled_from(LAYOUTS)))
    return a, b


@settings(max_examples=200, deadline=None)
@given(short_cases(), st.sampled_from([np.int32, np.float32, np.float64]))
def test_short_kernels_equal_float_matmul(case, dtype):
    """Serial and parallel kernels called directly, and the entry point, in int and float
    outputs; M and N cross panel (64) and tile (32) boundaries, K crosses words."""
    a, b = case
    k = a.shape[1]
    expected = (as_pm1(a) @ as_pm1(b).T).astype(np.int64)
    aw, bw = pack_bits(a, axis=1).words, pack_bits(b, axis=1).words
    bp = panels(bw)
    for kernel in (gemm_short._bgemm_short_serial, gemm_short._bgemm_short_parallel):
        out = np.full(expected.shape, 3, dtype)
        np.testing.assert_array_equal(kernel(aw, bp, k, out), expected)
    c = gemm_short.bgemm_short_words(aw, bw, k)
    assert c.dtype == np.int32
    np.testing.assert_array_equal(c, expected)
