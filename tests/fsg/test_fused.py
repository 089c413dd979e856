"""The fused per_weight slow-net kernels against the MambaBlock reference."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from bnncore.fsg import MambaBlock, SlowNet
from bnncore.fsg.fastpath import rows_backward, rows_forward
from bnncore.fsg.fused import CHUNK, NSLOT
from bnncore.testing.finite_differences import numeric_grad


def block(dtype=np.float64, **kw):
    sizes = dict(d_state=4, d_conv=3, expand=3) | kw
    b = MambaBlock(1, rng=0, dtype=dtype, **sizes)
    g = np.random.default_rng(5)
    for p in b.parameters():                      # away from the initial symmetries
        p.data[...] += 0.1 * g.normal(size=p.shape).astype(dtype)
    return b


def reference(b, s, dS):
    """Output at T-1, ds and the parameter gradients from MambaBlock.forward/backward."""
    b.zero_grad()
    out = b.forward(s[..., None])
    dout = np.zeros_like(out)
    dout[:, -1, 0] = dS
    ds = b.backward(dout)[..., 0]
    grads = [p.grad.copy() for p in b.parameters()]
    b.zero_grad()
    return out[:, -1, 0], ds, grads


def fused(b, s, dS):
    b.zero_grad()
    out = rows_forward(b, s)
    ds = rows_backward(b, s, dS)
    grads = [p.grad.copy() for p in b.parameters()]
    b.zero_grad()
    return out, ds, grads


# Row counts: below one chunk, not a multiple of it, more chunks than slots.
SHAPES = [(1, 1), (5, 4), (CHUNK + 3, 2), (NSLOT * CHUNK + 77, 6)]


@pytest.mark.parametrize("bsz, T", SHAPES)
def test_fused_matches_the_block_in_float64(bsz, T):
    b = block()
    g = np.random.default_rng(bsz + T)
    s, dS = g.normal(size=(bsz, T)), g.normal(size=bsz)
    ref, got = reference(b, s, dS), fused(b, s, dS)
    np.testing.assert_allclose(got[0], ref[0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(got[1], ref[1], rtol=1e-11, atol=1e-14)
    for p, a, r in zip(b.parameters(), got[2], ref[2]):
        np.testing.assert_allclose(a, r, rtol=1e-11, atol=1e-13, err_msg=p.name)


def test_fused_float32_with_the_default_sizes_agrees_to_single_precision():
    b = block(np.float32, d_state=16, d_conv=4, expand=16)
    g = np.random.default_rng(0)
    s = g.normal(scale=0.3, size=(300, 6)).astype(np.float32)
    dS = g.normal(size=300).astype(np.float32)
    ref, got = reference(b, s, dS), fused(b, s, dS)
    for a, r in [(got[0], ref[0]), (got[1], ref[1])] + list(zip(got[2], ref[2])):
        assert a.dtype == np.float32
        assert np.abs(a - r).max() <= 2e-5 * np.abs(r).max()


def test_fused_gradient_check_float64():
    """Central differences of L = sum(dS * out) w.r.t. s and every parameter."""
    b = block(d_state=3, d_conv=2, expand=2)
    g = np.random.default_rng(1)
    s, dS = g.normal(size=(7, 3)), g.normal(size=7)
    _, ds, grads = fused(b, s, dS)

    def loss():
        return float(dS @ rows_forward(b, s))

    num = numeric_grad(loss, s)
    assert np.all(np.abs(num - ds) <= 1e-7 * np.maximum(1.0, np.abs(ds)))
    for p, grad in zip(b.parameters(), grads):
        num = numeric_grad(loss, p.data)
        assert np.all(np.abs(num - grad) <= 1e-7 * np.maximum(1.0, np.abs(num))), p.name


def test_fused_results_do_not_depend_on_the_thread_count():
    b = block(np.float32, d_state=8, expand=4)
    g = np.random.default_rng(2)
    s = g.normal(size=(NSLOT * CHUNK + 130, 5)).astype(np.float32)
    dS = g.normal(size=s.shape[0]).astype(np.float32)
    before = numba.get_num_threads()
    try:
        runs = []
        for threads in sorted({1, before}):
            numba.set_num_threads(threads)
            runs.append(fused(b, s, dS))
    finally:
        numba.set_num_threads(before)
    for a, c in zip(runs[0][:2] + tuple(runs[0][2]), runs[-1][:2] + tuple(runs[-1][2])):
        assert np.array_equal(a, c)


def test_float32_exponential_and_softplus_are_accurate():
    """The vectorized float32 exp (behind sigmoid, softplus and Abar) over its range."""
    b = MambaBlock(1, d_state=1, d_conv=1, expand=1, rng=0, dtype=np.float32)
    for p in b.parameters():
        p.data[...] = 0
    # out = y * silu(z) * W_out with z = s * W_in[1]: silu over a wide range of s
    b.W_in.data[:] = 1
    b.D.data[:] = 1
    b.b_conv.data[:] = 1          # u = silu(1), y = D * u
    b.W_out.data[:] = 1
    s = np.linspace(-80, 80, 4001, dtype=np.float32)[:, None]
    got = rows_forward(b, s).astype(np.float64)
    u = 1 / (1 + np.exp(-1.0))
    want = u * s[:, 0].astype(np.float64) / (1 + np.exp(-s[:, 0].astype(np.float64)))
    assert np.all(np.abs(got - want) <= 4 * np.finfo(np.float32).eps * np.abs(want) + 1e-30)


def test_slownet_uses_the_fused_path_and_agrees_with_numpy_backend():
    hist = [np.random.default_rng(3).normal(size=(3, 70)),
            np.random.default_rng(4).normal(size=(3, 9))]
    fast = SlowNet(2, d_state=4, d_conv=2, expand=3, rng=0, dtype=np.float64)
    ref = SlowNet(2, d_state=4, d_conv=2, expand=3, rng=0, dtype=np.float64,
                  backend="numpy")
    assert fast.fused and not ref.fused
    S1, c1 = fast.forward(hist, return_cache=True)
    S0, c0 = ref.forward(hist, return_cache=True)
    for a, r in zip(S1, S0):
        np.testing.assert_allclose(a, r, rtol=1e-12, atol=1e-15)
    dS = [np.ones(70), -np.ones(9)]
    d1, d0 = fast.backward(dS, c1), ref.backward(dS, c0)
    for a, r in zip(d1, d0):
        np.testing.assert_allclose(a, r, rtol=1e-11, atol=1e-14)
    for p, q in zip(fast.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad, q.grad, rtol=1e-11, atol=1e-13, err_msg=p.name)
