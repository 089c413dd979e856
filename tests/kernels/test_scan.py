"""Selective-scan kernels (bnncore.kernels.scan) against the NumPy reference.

docs/fsg.md, sections "The selective scan" and "Tests": equality on fixed and
hypothesis-drawn shapes (float64 ``< 1e-10``, float32 ``< 1e-4``), bitwise determinism
across thread counts, causality, finite-difference gradients of both backends, identical
argument errors, lazy compilation.
"""

from __future__ import annotations

import subprocess
import sys

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bnncore.fsg import (
    selective_scan,
    selective_scan_backward,
    selective_scan_forward,
    selective_scan_reference,
)
from bnncore.testing import gradcheck

NAMES = ("y", "h", "du", "ddelta", "dA", "dB", "dC", "dD")
SHAPES = [(3, 7, 4, 5), (1, 1, 1, 1), (5, 1, 3, 2), (1, 300, 4, 3), (64, 6, 16, 16)]


def scan_inputs(shape, seed, dtype=np.float64):
    bsz, T, E, N = shape
    g = np.random.default_rng(seed)
    u = g.normal(size=(bsz, T, E))
    delta = np.logaddexp(0, g.normal(size=(bsz, T, E)))
    A = -np.exp(g.normal(size=(E, N)))
    B, C = g.normal(size=(bsz, T, N)), g.normal(size=(bsz, T, N))
    D = g.normal(size=E)
    dy = g.normal(size=(bsz, T, E))
    return [a.astype(dtype) for a in (u, delta, A, B, C, D)], dy.astype(dtype)


def run(backend, args, dy):
    y, h = selective_scan_forward(*args, backend=backend)
    return (y, h) + tuple(selective_scan_backward(dy, *args, h, backend=backend))


def rel_err(a, b):
    return float(np.abs(a - b).max()) / max(float(np.abs(b).max()), 1e-30)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES)
def test_numba_equals_reference(shape, dtype):
    args, dy = scan_inputs(shape, seed=sum(shape), dtype=dtype)
    ref, fast = run("numpy", args, dy), run("numba", args, dy)
    tol = 1e-10 if dtype == np.float64 else 1e-4
    for name, a, b in zip(NAMES, fast, ref):
        assert a.dtype == dtype and a.shape == b.shape, name
        assert rel_err(a, b) < tol, (name, rel_err(a, b))


@settings(max_examples=25, deadline=None, derandomize=True)
@given(bsz=st.integers(1, 9), T=st.integers(1, 12), E=st.integers(1, 7), N=st.integers(1, 6),
       seed=st.integers(0, 2**16))
def test_numba_equals_reference_on_drawn_shapes(bsz, T, E, N, seed):
    """Shapes on both sides of the kernel's Bsz >= E switch; rtol 1e-10 in float64."""
    args, dy = scan_inputs((bsz, T, E, N), seed)
    for name, a, b in zip(NAMES, run("numba", args, dy), run("numpy", args, dy)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12 * max(1.0, np.abs(b).max()),
                                   err_msg=name)


@pytest.mark.parametrize("shape", [(64, 6, 16, 16), (2, 40, 8, 4)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bitwise_identical_across_thread_counts(shape, dtype):
    args, dy = scan_inputs(shape, seed=3, dtype=dtype)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = run("numba", args, dy)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = run("numba", args, dy)
    finally:
        numba.set_num_threads(before)
    for name, a, b in zip(NAMES, one, two):
        assert np.array_equal(a, b), name


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_scan_is_causal(backend):
    """Perturbing u, delta, B, C after tau0 leaves y[:, :tau0+1] (and h) bitwise unchanged."""
    args, _ = scan_inputs((3, 7, 4, 5), seed=5)
    y0, h0 = selective_scan_forward(*args, backend=backend)
    g = np.random.default_rng(9)
    for tau0 in range(7):
        for i in (0, 1, 3, 4):                       # u, delta, B, C
            pert = [a.copy() for a in args]
            noise = g.normal(size=pert[i][:, tau0 + 1:].shape)
            pert[i][:, tau0 + 1:] += np.abs(noise) if i == 1 else noise
            y1, h1 = selective_scan_forward(*pert, backend=backend)
            assert np.array_equal(y1[:, :tau0 + 1], y0[:, :tau0 + 1])
            assert np.array_equal(h1[:, :tau0 + 1], h0[:, :tau0 + 1])
            if tau0 < 6:
                assert not np.array_equal(y1[:, tau0 + 1:], y0[:, tau0 + 1:])


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_scan_gradients_match_finite_differences(backend):
    """The gradient-check protocol (docs/fsg.md, "Tests") on sum(R * y).

    Bsz=3, T=7, E=4, N=5, every input; float64, eps 1e-5, error < 1e-6 with floor 1e-3, and
    every gradient above the floor."""
    args, _ = scan_inputs((3, 7, 4, 5), seed=11)
    names = ("u", "delta", "A", "B", "C", "D")
    for i, name in enumerate(names):
        def fn(xi, i=i):
            return selective_scan_forward(*args[:i], xi, *args[i + 1:], backend=backend)[0]

        def grad_fn(xi, R, i=i):
            a = [*args[:i], xi, *args[i + 1:]]
            h = selective_scan_forward(*a, backend=backend)[1]
            return selective_scan_backward(R, *a, h, backend=backend)[i]

        err, details = gradcheck((fn, grad_fn), args[i], eps=1e-5, rng=i, floor=1e-3,
                                 return_details=True)
        assert err < 1e-6, (name, details)
        assert details["x"]["max_abs"] > 1e-3, (name, details)


def test_selective_scan_wrappers():
    args, _ = scan_inputs((2, 5, 3, 4), seed=2)
    y = selective_scan_forward(*args, backend="numba")[0]
    np.testing.assert_allclose(selective_scan(*args), y, rtol=1e-12)
    np.testing.assert_allclose(selective_scan_reference(*args), y, rtol=1e-12)
    no_d = selective_scan(*args[:5])                 # D=None means D = 0
    np.testing.assert_allclose(no_d, selective_scan(*args[:5], np.zeros(3)), rtol=0)
    assert not np.allclose(no_d, y)


def _errors(backend, args):
    try:
        selective_scan_forward(*args, backend=backend)
    except (ValueError, TypeError) as exc:
        return type(exc), str(exc)
    return None


@pytest.mark.parametrize("case", ["u_ndim", "delta_shape", "A_shape", "B_shape", "C_shape",
                                  "D_shape", "T0", "mixed", "int", "nan_u", "inf_B"])
def test_argument_errors_are_identical_for_both_backends(case):
    args, _ = scan_inputs((2, 4, 3, 2), seed=1)
    u, delta, A, B, C, D = args
    bad = {"u_ndim": lambda: [u[0], delta, A, B, C, D],
           "delta_shape": lambda: [u, delta[:, :3], A, B, C, D],
           "A_shape": lambda: [u, delta, A[:2], B, C, D],
           "B_shape": lambda: [u, delta, A, B[:, :, :1], C, D],
           "C_shape": lambda: [u, delta, A, B, C[:1], D],
           "D_shape": lambda: [u, delta, A, B, C, D[:2]],
           "T0": lambda: [u[:, :0], delta[:, :0], A, B[:, :0], C[:, :0], D],
           "mixed": lambda: [u.astype(np.float32), delta, A, B, C, D],
           "int": lambda: [u, delta, A.astype(int), B, C, D],
           "nan_u": lambda: [np.where(u > 0, np.nan, u), delta, A, B, C, D],
           "inf_B": lambda: [u, delta, A, np.full_like(B, np.inf), C, D]}[case]()
    numba_err, numpy_err = _errors("numba", bad), _errors("numpy", bad)
    assert numba_err is not None and numba_err == numpy_err
    exc_type, message = numba_err
    expected = {"mixed": TypeError, "int": TypeError}.get(case, ValueError)
    assert exc_type is expected
    named = {"u_ndim": "u", "delta_shape": "delta", "A_shape": "A", "B_shape": "B",
             "C_shape": "C", "D_shape": "D", "T0": "u", "nan_u": "u", "inf_B": "B",
             "mixed": "u=float32", "int": "A"}[case]
    assert named in message, message


def test_backward_checks_dy_and_h():
    args, dy = scan_inputs((2, 4, 3, 2), seed=1)
    y, h = selective_scan_forward(*args)
    with pytest.raises(ValueError, match="h must have shape"):
        selective_scan_backward(dy, *args, h[:, :, :, :1])
    with pytest.raises(ValueError, match="dy must have shape"):
        selective_scan_backward(dy[:, :3], *args, h)
    with pytest.raises(ValueError, match="backend must be one of"):
        selective_scan_forward(*args, backend="cuda")


def test_import_bnncore_compiles_nothing():
    code = ("import sys, bnncore, bnncore.fsg\n"
            "m = sys.modules.get('bnncore.kernels.scan')\n"
            "print('absent' if m is None else "
            "len(m.ssm_scan_forward.signatures) + len(m.ssm_scan_backward.signatures))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out in ("absent", "0"), out
