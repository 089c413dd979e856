"""bconv2d: exact equality with the float cross-correlation with zero padding."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from kernel_cases import DTYPES, LAYOUTS, as_pm1, pm1_array

from bnncore.kernels import bconv2d
from bnncore.kernels.reference import conv2d_reference


@st.composite
def conv_cases(draw):
    n, c, o = draw(st.integers(1, 2)), draw(st.integers(1, 70)), draw(st.integers(1, 4))
    h, w = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride, padding = draw(st.integers(1, 2)), draw(st.integers(0, 2))
    assume(kh <= h + 2 * padding and kw <= w + 2 * padding)
    seed = draw(st.integers(0, 2**32 - 1))
    x = pm1_array((n, c, h, w), seed, draw(st.sampled_from(DTYPES)), draw(st.sampled_from(LAYOUTS)))
    wt = pm1_array((o, c, kh, kw), seed + 1, draw(st.sampled_from(DTYPES)))
    return x, wt, stride, padding


@settings(max_examples=200, deadline=None)
@given(conv_cases())
def test_bconv2d_equals_float_conv_with_zero_padding(case):
    x, w, stride, padding = case
    expected = conv2d_reference(as_pm1(x), as_pm1(w), stride, padding)
    y = bconv2d(x, w, stride=stride, padding=padding)
    assert y.dtype == np.int32 and y.shape == expected.shape and y.flags.c_contiguous
    np.testing.assert_array_equal(y, expected)


@pytest.mark.parametrize(("c", "k"), [(64, 3), (60, 3), (3, 3), (70, 1), (130, 2), (1, 3)])
@pytest.mark.parametrize("padding", [0, 1, 2])
def test_both_packing_layouts(c, k, padding):
    """(64, 3), (60, 3), (70, 1): channel-packed; (3, 3), (130, 2), (1, 3): patch-packed."""
    x, w = pm1_array((2, c, 6, 5), seed=c), pm1_array((3, c, k, k), seed=c + 1)
    for stride in (1, 2):
        np.testing.assert_array_equal(bconv2d(x, w, stride, padding),
                                      conv2d_reference(x, w, stride, padding))


def test_zero_padding_not_plus_one_padding():
    x, w = np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3))
    np.testing.assert_array_equal(bconv2d(x, w, padding=1)[0, 0], [[4, 4], [4, 4]])


def test_bad_inputs():
    x, w = np.ones((1, 2, 4, 4)), np.ones((3, 2, 3, 3))
    with pytest.raises(ValueError, match="^w has 2 input channels but x has 3"):
        bconv2d(np.ones((1, 3, 4, 4)), w)
    with pytest.raises(ValueError, match="larger than the padded input"):
        bconv2d(np.ones((1, 2, 2, 2)), w)
    with pytest.raises(ValueError, match="^stride must be >= 1"):
        bconv2d(x, w, stride=0)
    with pytest.raises(ValueError, match="^padding must be >= 0"):
        bconv2d(x, w, padding=-1)
    with pytest.raises(TypeError, match="^stride must be an int"):
        bconv2d(x, w, stride=1.5)
    with pytest.raises(ValueError, match="^x must have 4 dimensions"):
        bconv2d(np.ones((2, 4, 4)), w)
    bad = x.copy()
    bad[0, 1, 2, 3] = 0
    with pytest.raises(ValueError, match=r"^x must be ±1, found 0.0 at \(0, 1, 2, 3\)"):
        bconv2d(bad, w)
    bad_w = w.copy()
    bad_w[2, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="^w must be ±1, found nan"):
        bconv2d(x, bad_w)
    with pytest.raises(TypeError, match="^x must be a numeric array"):
        bconv2d("x", w)
