"""CausalConv1d and MambaBlock: gradient checks, causality, structure, initial values, errors."""

from __future__ import annotations

import numpy as np
import pytest
from fsg_helpers import check_layer, randomize

from bnncore.fsg import CausalConv1d, MambaBlock
from bnncore.fsg.mamba import softplus

BLOCK_PARAMS = ["W_in", "w_conv", "b_conv", "W_x", "W_dt", "b_dt", "A_log", "D", "W_out"]


@pytest.mark.parametrize("K", [1, 3, 4])
@pytest.mark.parametrize("T", [1, 2, 7])
def test_causal_conv_gradcheck(K, T):
    conv = CausalConv1d(3, K, rng=K, dtype=np.float64)
    randomize(conv.parameters(), seed=T)
    x = np.random.default_rng(K + T).normal(size=(2, T, 3))
    details = check_layer(conv, x)
    assert set(details) == {"x", "w_conv", "b_conv"}


def test_causal_conv_matches_definition():
    conv = CausalConv1d(2, 3, rng=0, dtype=np.float64)
    x = np.random.default_rng(1).normal(size=(2, 5, 2))
    y = conv.forward(x)
    w, b = conv.w_conv.data, conv.b_conv.data
    for tau in range(5):
        want = b.copy()
        for j in range(3):
            src = tau - 3 + 1 + j
            if src >= 0:
                want = want + w[:, j] * x[:, src]
        np.testing.assert_allclose(y[:, tau], want, rtol=1e-13)


def block(T=6, seed=0, **kw):
    args = dict(d_model=2, d_state=4, d_conv=3, expand=3, rng=seed, dtype=np.float64)
    args.update(kw)
    return MambaBlock(**args)


@pytest.mark.parametrize("T", [6, 2])
def test_mamba_block_gradcheck(T):
    """All nine parameters and the input; T = 6 > K and T = 2 < K = 3."""
    mb = block()
    randomize(mb.parameters(), seed=10 + T)
    s = np.random.default_rng(T).normal(size=(2, T, 2))
    details = check_layer(mb, s)
    assert set(details) == {"x", *BLOCK_PARAMS}


def test_mamba_block_gradcheck_numpy_backend():
    mb = block(backend="numpy")
    randomize(mb.parameters(), seed=3)
    check_layer(mb, np.random.default_rng(3).normal(size=(2, 5, 2)))


def test_block_causal_rows_independent_zero_rows():
    mb = block(d_model=1, T=7)
    randomize(mb.parameters(), seed=4)
    g = np.random.default_rng(5)
    s = g.normal(size=(3, 7, 1))
    out = mb.forward(s)
    for tau0 in range(7):
        p = s.copy()
        p[:, tau0 + 1:] += g.normal(size=p[:, tau0 + 1:].shape)
        np.testing.assert_array_equal(mb.forward(p)[:, :tau0 + 1], out[:, :tau0 + 1])
    p = s.copy()
    p[1] += 1.0                                       # another row changes: row 0 and 2 not
    o2 = mb.forward(p)
    np.testing.assert_array_equal(o2[[0, 2]], out[[0, 2]])
    assert not np.array_equal(o2[1], out[1])
    z = s.copy()
    z[2] = 0.0
    z[0, 4] = 0.0
    oz = mb.forward(z)
    assert np.all(oz[2] == 0) and np.all(oz[0, 4] == 0)


def test_initial_values_and_draw_order():
    mb = MambaBlock(d_model=1, d_state=5, d_conv=4, expand=6, rng=7, dtype=np.float32)
    np.testing.assert_allclose(-np.exp(mb.A_log.data), -np.tile(np.arange(1, 6), (6, 1)),
                               rtol=1e-6)
    np.testing.assert_array_equal(mb.D.data, np.ones(6))
    dt = softplus(mb.b_dt.data.astype(np.float64))
    assert dt.min() >= mb.dt_init_floor and dt.max() <= mb.dt_max * (1 + 1e-6)
    np.testing.assert_allclose(dt, mb.dt_init, rtol=1e-6)
    g = np.random.default_rng(7)                     # W_in, w_conv, b_conv, W_x, W_dt, dt, W_out
    E, N, K = 6, 5, 4
    W_in = g.uniform(-1, 1, (2 * E, 1))
    w_conv = g.uniform(-0.5, 0.5, (E, K))
    b_conv = g.uniform(-0.5, 0.5, E)
    W_x = g.uniform(-E ** -0.5, E ** -0.5, (1 + 2 * N, E))
    W_dt = g.uniform(-1, 1, (E, 1))
    u = g.uniform(size=E)
    W_out = g.uniform(-E ** -0.5, E ** -0.5, (1, E))
    for p, want in [(mb.W_in, W_in), (mb.w_conv, w_conv), (mb.b_conv, b_conv), (mb.W_x, W_x),
                    (mb.W_dt, W_dt), (mb.W_out, W_out)]:
        np.testing.assert_array_equal(p.data, want.astype(np.float32), err_msg=p.name)
    dt_want = np.exp(u * (np.log(0.1) - np.log(1e-3)) + np.log(1e-3))
    np.testing.assert_allclose(mb.dt_init, np.maximum(dt_want, 1e-4), rtol=1e-12)
    assert all(p.data.dtype == np.float32 for p in mb.parameters())
    assert sum(p.size for p in MambaBlock(rng=0).parameters()) == 960
    assert sum(p.size for p in MambaBlock(expand=100, d_conv=8, rng=0).parameters()) == 6400


def test_names_and_astype():
    mb = MambaBlock(d_state=2, expand=2, rng=0, name="slow")
    assert [p.name for p in mb.parameters()] == [f"slow.{n}" for n in BLOCK_PARAMS]
    mb.astype(np.float64)
    assert mb.dtype == np.float64 and all(p.data.dtype == np.float64 for p in mb.parameters())


def test_forward_backward_with_cache_argument():
    mb = block()
    g = np.random.default_rng(0)
    s1, s2 = g.normal(size=(2, 4, 2)), g.normal(size=(1, 3, 2))
    o1, c1 = mb.forward(s1, return_cache=True)
    mb.forward(s2)                                     # the internal cache now holds s2
    mb.zero_grad()
    d1 = mb.backward(np.ones_like(o1), c1)
    grads = [p.grad.copy() for p in mb.parameters()]
    mb.zero_grad()
    mb.forward(s1)
    np.testing.assert_array_equal(mb.backward(np.ones_like(o1)), d1)
    for p, gr in zip(mb.parameters(), grads):
        np.testing.assert_array_equal(p.grad, gr)


def test_block_errors():
    for kw in ({"d_model": 0}, {"d_state": 0}, {"d_conv": 0}, {"expand": 0}, {"dt_rank": 0},
               {"dt_min": 0.0}, {"dt_max": 1e-4}):
        with pytest.raises(ValueError):
            MambaBlock(rng=0, **kw)
    mb = block()
    with pytest.raises(ValueError, match="x must have shape"):
        mb.forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="x must have shape"):
        mb.forward(np.zeros((2, 3, 1)))
    with pytest.raises(ValueError, match="T >= 1"):
        mb.forward(np.zeros((2, 0, 2)))
    with pytest.raises(TypeError, match="float"):
        mb.forward(np.zeros((2, 3, 2), dtype=int))
    with pytest.raises(TypeError, match="dtype"):
        mb.forward(np.zeros((2, 3, 2), dtype=np.float32))
    with pytest.raises(ValueError, match="non-finite"):
        mb.forward(np.full((2, 3, 2), np.nan))
    out = mb.forward(np.ones((2, 3, 2)))
    with pytest.raises(ValueError, match="dy must have"):
        mb.backward(np.ones((2, 3, 1)))
    with pytest.raises(RuntimeError, match="before forward"):
        block().backward(out)
    with pytest.raises(ValueError, match="backend"):
        MambaBlock(rng=0, backend="gpu")
    with pytest.raises(ValueError, match="kernel_size"):
        CausalConv1d(2, 0)
