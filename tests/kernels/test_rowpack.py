"""pack_pm1_rows / all_pm1: packing while checking ±1, against pack_bits and a float check."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kernel_cases import LAYOUTS, pm1_array

from bnncore.kernels import pack_bits
from bnncore.kernels.rowpack import all_pm1, pack_pm1_rows


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 12), d=st.one_of(st.integers(1, 300), st.sampled_from([63, 64, 65, 128])),
       dtype=st.sampled_from([np.float32, np.float64]), layout=st.sampled_from(LAYOUTS),
       seed=st.integers(0, 2**31), spoil=st.booleans())
def test_packs_like_pack_bits_and_detects_non_pm1(n, d, dtype, layout, seed, spoil):
    x = pm1_array((n, d), seed, dtype, layout)
    words = np.empty((n, -(-d // 64)), np.uint64)
    if spoil:
        g = np.random.default_rng(seed)
        i, j = int(g.integers(n)), int(g.integers(d))
        x[i, j] = g.choice([0.0, 0.5, -2.0, np.nan, np.inf])
        assert not pack_pm1_rows(x, words)
        assert not all_pm1(x)
        return
    assert pack_pm1_rows(x, words)
    assert all_pm1(x)
    np.testing.assert_array_equal(words, pack_bits(x, axis=1).words)


def test_arguments_are_checked():
    x = np.ones((2, 70))
    with pytest.raises(TypeError, match="x must be a float32 or float64"):
        pack_pm1_rows(x.astype(int), np.empty((2, 2), np.uint64))
    with pytest.raises(TypeError, match="words must be"):
        pack_pm1_rows(x, np.empty((2, 2), np.int64))
    with pytest.raises(ValueError, match="words must have shape"):
        pack_pm1_rows(x, np.empty((2, 1), np.uint64))
    with pytest.raises(TypeError, match="x must be a float32 or float64"):
        all_pm1([1.0, -1.0])
