"""bnncore.testing strategies: quantizer_pairs, monotone_functions, pm1_arrays, layer_shapes."""

import subprocess
import sys

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bnncore.layers import BinaryConv2d, BinaryDense
from bnncore.quantizers import QuantizerPair, available
from bnncore.testing import (
    check_quantizer_pair,
    layer_shapes,
    monotone_functions,
    pm1_arrays,
    quantizer_arrays,
    quantizer_pairs,
)
from theory.decomposition import check


def test_import_bnncore_does_not_import_hypothesis_or_theory():
    code = ("import sys, bnncore, bnncore.testing; "
            "print(sorted(m for m in ('hypothesis', 'theory', 'numba') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@settings(max_examples=60, deadline=None)
@given(quantizer_pairs())
def test_quantizer_pairs_draws_valid_registered_pairs(pair):
    assert pair.name in available()
    if hasattr(pair, "beta"):
        assert 0.5 <= (getattr(pair, "beta_start", pair.beta)) <= 20
    if pair.name in ("clipped_ste", "bnn"):
        assert 0.1 <= pair.clip_value <= 4
    if pair.name == "dorefa":
        assert 1 <= pair.k <= 8 and (pair.k == 1 or pair.scale == "tensor")


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_quantizer_arrays_respect_the_limits(data):
    pair = data.draw(quantizer_pairs())
    x = data.draw(quantizer_arrays(pair))
    assert x.dtype in (np.float32, np.float64) and x.ndim <= 3 and x.size <= 64
    assert np.all(np.isfinite(x)) and np.all(np.abs(x) <= 1e3)


@settings(max_examples=60, deadline=None)
@given(monotone_functions())
def test_monotone_functions_are_nondecreasing(f):
    x = np.linspace(-5, 5, 2001)
    y = f(x)
    assert y.shape == x.shape and np.all(np.diff(y) >= 0), repr(f)
    assert f(x.astype(np.float32)).dtype == np.float32


@settings(max_examples=40, deadline=None)
@given(P=monotone_functions(), B=monotone_functions(strict=True))
def test_user_pairs_from_monotone_functions_pass_the_checker(P, B):
    def F(x):
        return P(B(x))

    pair = QuantizerPair.from_functions(F, B, forward_monotone=True, nonneg_backward=True)
    assert check(pair, n_random=500).ok
    check_quantizer_pair(pair, checks=[
        "check_shape_and_dtype", "check_no_mutation", "check_backward_is_g_times_dB",
        "check_forward_nondecreasing", "check_dB_lower_bound",
        "check_dB_matches_finite_differences", "check_elementwise", "check_deterministic"])


@settings(max_examples=30, deadline=None)
@given(pm1_arrays(), pm1_arrays(shape=(3, 5), dtype=np.int8))
def test_pm1_arrays(a, b):
    assert a.dtype == np.float32 and set(np.unique(a)) <= {-1.0, 1.0}
    assert b.shape == (3, 5) and b.dtype == np.int8 and set(np.unique(b)) <= {-1, 1}


@settings(max_examples=30, deadline=None)
@given(layer_shapes())
def test_layer_shapes_build_working_layers(s):
    if s["kind"] == "dense":
        layer = BinaryDense(s["in_features"], s["out_features"], rng=0)
        y = layer.forward(np.ones((s["batch"], s["in_features"]), np.float32))
        assert y.shape == (s["batch"], s["out_features"])
    else:
        layer = BinaryConv2d(s["in_channels"], s["out_channels"], s["kernel_size"],
                             stride=s["stride"], padding=s["padding"], rng=0)
        x = np.ones((s["batch"], s["in_channels"], s["height"], s["width"]), np.float32)
        y = layer.forward(x)
        assert y.shape[:2] == (s["batch"], s["out_channels"]) and y.size > 0
