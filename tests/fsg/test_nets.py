"""Fast-net (ElementwiseMLP) and slow-net (SlowNet with LRE): gradients and structure."""

from __future__ import annotations

import numpy as np
import pytest
from fsg_helpers import assert_close_grads, check_layer, randomize

from bnncore.fsg import ElementwiseMLP, SlowNet


# -- fast-net --------------------------------------------------------------------------
@pytest.mark.parametrize("depth", [2, 3])
@pytest.mark.parametrize("act", ["identity", "relu", "tanh"])
def test_mlp_gradcheck(depth, act):
    net = ElementwiseMLP(depth, 5, act, rng=depth, dtype=np.float64)
    x = np.random.default_rng(3).uniform(-1, 1, size=(7, 1))
    if act == "relu":                 # no pre-activation within 1e-3 of the kink
        _, cache = net.forward(x, return_cache=True)
        assert all(np.abs(a).min() > 1e-3 for a in cache["pre"])
    details = check_layer(net, x)
    assert set(details) == {"x", "fast.W1", "fast.W2"} | ({"fast.W3"} if depth == 3 else set())


def test_mlp_identity_is_linear_and_rows_independent():
    net = ElementwiseMLP(3, 6, "identity", rng=0, dtype=np.float64)
    x = np.random.default_rng(1).uniform(0, 1, size=(9, 1))
    x[4] = 0.0
    f = net.forward(x)
    c = (net.W3.data @ net.W2.data @ net.W1.data).item()
    np.testing.assert_allclose(f, c * x, rtol=1e-12)
    assert f[4, 0] == 0.0
    for act in ("identity", "relu", "tanh"):
        net = ElementwiseMLP(3, 6, act, rng=2, dtype=np.float64)
        f = net.forward(x)
        x2 = x.copy()
        x2[3] += 0.5
        f2 = net.forward(x2)
        assert np.array_equal(np.delete(f2, 3, 0), np.delete(f, 3, 0))
        assert f2[3] != f[3] or act == "relu"


def test_mlp_initial_values_and_draw_order():
    net = ElementwiseMLP(3, 4, rng=5, dtype=np.float32, name="fast")
    g = np.random.default_rng(5)
    W1, W2, W3 = g.uniform(-1, 1, (4, 1)), g.uniform(-.5, .5, (4, 4)), g.uniform(-.5, .5, (1, 4))
    for p, want in zip(net.parameters(), (W1, W2, W3)):
        np.testing.assert_array_equal(p.data, want.astype(np.float32))
        assert p.data.dtype == np.float32
    net2 = ElementwiseMLP(2, 4, rng=5, name="meta")
    assert [p.name for p in net2.parameters()] == ["meta.W1", "meta.W2"]
    assert net2.W2.shape == (1, 4)
    big = ElementwiseMLP(3, 100, rng=0)
    assert np.abs(big.W1.data).max() <= 1 and np.abs(big.W2.data).max() <= 0.1


def test_mlp_errors():
    with pytest.raises(ValueError, match="depth"):
        ElementwiseMLP(4, 5)
    with pytest.raises(ValueError, match="hidden"):
        ElementwiseMLP(3, 0)
    with pytest.raises(ValueError, match="act"):
        ElementwiseMLP(3, 5, "gelu")
    net = ElementwiseMLP(3, 5, dtype=np.float64)
    with pytest.raises(ValueError, match="one column"):
        net.forward(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="one column"):
        net.forward(np.zeros(4))
    net.forward(np.zeros((4, 1)))
    with pytest.raises(ValueError, match="dy must have"):
        net.backward(np.zeros((3, 1)))


# -- slow-net --------------------------------------------------------------------------
def slow(layout="per_weight", lre=True, L=2, seed=0, **kw):
    args = dict(d_state=4, d_conv=2, expand=3, lre=lre, layout=layout, rng=seed,
                dtype=np.float64)
    args.update(kw)
    return SlowNet(L, **args)


def histories(k, sizes=(6, 4), seed=0):
    g = np.random.default_rng(seed)
    return [g.normal(size=(k, n)) for n in sizes]


@pytest.mark.parametrize(("layout", "k"), [("per_weight", 3), ("flat", 1)])
def test_slownet_gradcheck_with_lre(layout, k):
    net = slow(layout)
    randomize(net.parameters(), seed=21)
    hist = histories(k, seed=22)
    R = [np.random.default_rng(23 + i).normal(size=h.shape[1]) for i, h in enumerate(hist)]

    def loss():
        return float(sum(np.sum(r * s) for r, s in zip(R, net.forward(hist))))

    net.zero_grad()
    S, cache = net.forward(hist, return_cache=True)
    dhist = net.backward(R, cache)
    targets = {p.name: (p.data, p.grad.copy()) for p in net.parameters()}
    assert "slow.lre" in targets and len(targets) == 10
    targets.update({f"hist{i}": (h, d) for i, (h, d) in enumerate(zip(hist, dhist))})
    assert_close_grads(loss, targets)


def test_lre_changes_slow_grads_and_equal_rows_agree():
    net = slow()
    randomize(net.parameters(), seed=1)
    hist = histories(2, sizes=(5, 5), seed=2)
    hist[1] = hist[0].copy()                         # identical histories
    S = net.forward(hist)
    assert net.lre.data[0, 0] != net.lre.data[1, 0]
    assert not np.array_equal(S[0], S[1])
    net.lre.data[1] = net.lre.data[0]
    S = net.forward(hist)
    assert np.array_equal(S[0], S[1])


def test_lre_shape_init_and_removal():
    net = SlowNet(3, d_state=2, expand=2, rng=4, dtype=np.float32)
    assert net.lre.shape == (3, 1) and net.lre.data.dtype == np.float32
    g = np.random.default_rng(4)                    # block draws first, then the LRE table
    from bnncore.fsg import MambaBlock

    MambaBlock(1, 2, 4, 2, rng=g)
    np.testing.assert_array_equal(net.lre.data, g.standard_normal((3, 1)).astype(np.float32))
    no = slow(lre=False)
    assert all("lre" not in p.name for p in no.parameters()) and no.lre is None
    with_lre = slow()
    _, c1 = with_lre.forward(histories(3), return_cache=True)
    _, c0 = no.forward(histories(3), return_cache=True)
    assert c1["blocks"][0]["out_shape"] == (10, 4, 1)         # (sum N, 1 + k, 1)
    assert c0["blocks"][0]["out_shape"] == (10, 3, 1)
    _, cf = slow("flat").forward(histories(3), return_cache=True)
    assert [b["out_shape"] for b in cf["blocks"]] == [(1, 19, 1), (1, 13, 1)]


def test_per_weight_permutation_independence_and_batching():
    net = slow()
    randomize(net.parameters(), seed=5)
    hist = histories(3, seed=6)
    S = net.forward(hist)
    perm = np.random.default_rng(7).permutation(6)
    Sp = net.forward([hist[0][:, perm], hist[1]])
    assert np.array_equal(Sp[0], S[0][perm]) and np.array_equal(Sp[1], S[1])
    other = [h.copy() for h in hist]
    other[0][:, 2] += 1.0                           # another weight's history changes
    So = net.forward(other)
    assert np.array_equal(np.delete(So[0], 2), np.delete(S[0], 2))
    assert np.array_equal(So[1], S[1])
    for ell in range(2):                             # batched == per-tensor calls
        single = SlowNet(1, d_state=4, d_conv=2, expand=3, rng=0, dtype=np.float64)
        for p, q in zip(single.block.parameters(), net.block.parameters()):
            p.data = q.data.copy()
        single.lre.data = net.lre.data[ell:ell + 1].copy()
        np.testing.assert_allclose(single.forward([hist[ell]])[0], S[ell], rtol=1e-12)


def test_flat_layout_is_causal_in_c_order():
    net = slow("flat")
    randomize(net.parameters(), seed=8)
    hist = histories(2, seed=9)
    S = net.forward(hist)
    p = 3
    later = [h.copy() for h in hist]
    later[0][-1, p + 1:] += 1.0                      # newest gradient of weights q > p
    assert np.array_equal(net.forward(later)[0][:p + 1], S[0][:p + 1])
    earlier = [h.copy() for h in hist]
    earlier[0][-1, :p] += 1.0                        # q < p: influences p
    assert not np.array_equal(net.forward(earlier)[0][p], S[0][p])


@pytest.mark.parametrize("layout", ["per_weight", "flat"])
def test_zero_newest_gradient_gives_zero_slow_grad(layout):
    net = slow(layout)
    randomize(net.parameters(), seed=10)
    hist = histories(3, seed=11)
    hist[0][-1, [1, 4]] = 0.0
    hist[1][-1, 0] = 0.0
    S = net.forward(hist)
    assert S[0][1] == 0 and S[0][4] == 0 and S[1][0] == 0
    assert np.all(S[0][[0, 2, 3, 5]] != 0)


def test_max_scan_elements_guard_and_errors():
    net = slow("flat", max_scan_elements=100)
    with pytest.raises(ValueError, match="'flat'.*per_weight"):
        net.forward(histories(2))
    with pytest.raises(ValueError, match="layout"):
        slow("tree")
    net = slow()
    with pytest.raises(ValueError, match="L=2"):
        net.forward(histories(2)[:1])
    with pytest.raises(ValueError, match="one length k"):
        net.forward([np.ones((2, 6)), np.ones((3, 4))])
    with pytest.raises(TypeError, match="dtype"):
        net.forward([h.astype(np.float32) for h in histories(2)])
    _, cache = net.forward(histories(2), return_cache=True)
    with pytest.raises(ValueError, match=r"dS\[1\]"):
        net.backward([np.ones(6), np.ones(5)], cache)
