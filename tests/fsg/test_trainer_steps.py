"""One FSG iteration, step by step: warm-up, look-ahead, chain rule, persistent update, carry.

docs/fsg.md, sections "One training iteration" and "Baselines and invariants".
"""

from __future__ import annotations

import numpy as np
import pytest
from fsg_helpers import tiny_data, tiny_model

from bnncore.fsg import FSGTrainer, J
from bnncore.fsg.monitor import FSG_FAMILY
from bnncore.losses import SoftmaxCrossEntropy

SMALL = dict(history_length=3, fast_hidden=5, expand=3, d_state=3, d_conv=2)


def trainer(method="fsg", seed=0, dtype=np.float64, **kw):
    args = dict(SMALL)
    args.update(kw)
    tr = FSGTrainer(tiny_model(seed, dtype), SoftmaxCrossEntropy(), method=method, dtype=dtype,
                    **args)
    tr.build(seed)
    return tr


def batches(n, seed=0, dtype=np.float64):
    X, y = tiny_data(6 * n, seed=seed, dtype=dtype)
    return [(X[6 * i:6 * i + 6], y[6 * i:6 * i + 6]) for i in range(n)]


class Spy:
    """Wraps a callable; records what a probe returns at every call."""

    def __init__(self, fn, probe):
        self.fn, self.probe, self.seen = fn, probe, []

    def __call__(self, *args, **kwargs):
        self.seen.append(self.probe(*args, **kwargs))
        return self.fn(*args, **kwargs)


def snapshot(tr):
    return [p.data.copy() for p in tr.model.parameters() + tr.hyper_parameters()]


def test_warmup_changes_nothing():
    tr = trainer()
    before = snapshot(tr)
    xb, yb = batches(1)[0]
    tr.train_step(xb, yb)
    for a, b in zip(before, snapshot(tr)):
        assert np.array_equal(a, b)
    for opt in [tr.task_optimizer, *tr.hyper_optimizers]:
        assert all(st.get("t", 0) == 0 for st in opt.state)
    assert tr.hgs.count == 1 and tr.iteration == 1


def test_lookahead_formula_forward_sees_wm_and_weights_step_from_w():
    tr = trainer(alpha=0.3)
    bs = batches(4)
    tr.train_step(*bs[0])
    for xb, yb in bs[1:]:
        W = [p.data.copy() for p in tr.binary]
        spy = Spy(tr.model.forward, lambda *a, **k: [p.data.copy() for p in tr.binary])
        tr.model.forward = spy
        step_spy = Spy(tr.task_optimizer.step, lambda: ([p.data.copy() for p in tr.binary],
                                                       [p.grad.copy() for p in tr.binary]))
        tr.task_optimizer.step = step_spy
        tr.train_step(xb, yb)
        del tr.model.forward, tr.task_optimizer.step
        gen, a, eta = tr.generated, tr.alpha, tr.eta
        for ell, w in enumerate(W):
            want = w - eta * (a * gen["S"][ell] + (1 - a) * (J(w) * gen["F"][ell]))
            assert np.array_equal(gen["Wm"][ell], want)                 # invariant 1
            assert np.array_equal(spy.seen[0][ell], want)               # the forward saw Wm
            data_before_step, grad_before_step = step_spy.seen[0]
            assert np.array_equal(data_before_step[ell], w)            # W restored first
            assert np.array_equal(grad_before_step[ell], gen["G"][ell])
            assert not np.array_equal(tr.binary[ell].data, want)       # never left at Wm
            assert not np.array_equal(tr.binary[ell].data, w)
        assert len(spy.seen) == 1 and len(step_spy.seen) == 1


@pytest.mark.parametrize("update", ["combined", "fast"])
def test_persistent_update_writes_G_or_calF(update):
    tr = trainer(persistent_update=update)
    bs = batches(3)
    tr.train_step(*bs[0])
    for xb, yb in bs[1:]:
        spy = Spy(tr.task_optimizer.step, lambda: [p.grad.copy() for p in tr.binary])
        tr.task_optimizer.step = spy
        tr.train_step(xb, yb)
        del tr.task_optimizer.step
        gen = tr.generated
        want = gen["G"] if update == "combined" else [J(w) * f for w, f in
                                                       zip(gen["W"], gen["F"])]
        for got, w in zip(spy.seen[0], want):
            assert np.array_equal(got, w)


def test_chain_rule_into_both_nets_bitwise():
    tr = trainer(alpha=0.4)
    bs = batches(3)
    tr.train_step(*bs[0])
    tr.train_step(*bs[1])
    g_prev = [g.copy() for g in tr.g_prev]
    slow_spy = Spy(tr.slow_net.backward, lambda dS, cache: [d.copy() for d in dS])
    fast_spy = Spy(tr.fast_net.backward, lambda df, cache: df.copy())
    tr.slow_net.backward, tr.fast_net.backward = slow_spy, fast_spy
    tr.train_step(*bs[2])
    gen, eta, a = tr.generated, tr.eta, tr.alpha
    g = tr.g_prev                                           # g^t, carried after the step
    assert len(slow_spy.seen) == len(fast_spy.seen) == 1
    dfs = []
    for ell in range(2):
        delta = g[ell] * J(gen["Wm"][ell])
        assert np.array_equal(slow_spy.seen[0][ell], (-eta * a * delta).reshape(-1))
        dF = -eta * (1 - a) * gen["cal"][ell] * delta
        dfs.append((g_prev[ell] * dF).reshape(-1, 1))
    assert np.array_equal(fast_spy.seen[0], np.concatenate(dfs))


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_alpha_extremes(alpha):
    tr = trainer(alpha=alpha)
    bs = batches(3)
    tr.train_step(*bs[0])
    for xb, yb in bs[1:]:
        W = [p.data.copy() for p in tr.binary]
        tr.train_step(xb, yb)
        gen = tr.generated
        if alpha == 0.0:
            for w, wm, f in zip(W, gen["Wm"], gen["F"]):
                assert np.array_equal(wm, w - tr.eta * (J(w) * f))
            assert all(not p.grad.any() for p in tr.slow_net.parameters())
            assert any(p.grad.any() for p in tr.fast_net.parameters())
        else:
            assert all(not p.grad.any() for p in tr.fast_net.parameters())
            assert any(p.grad.any() for p in tr.slow_net.parameters())


def test_hgs_count_latest_and_sequence_length():
    tr = trainer(history_length=3)
    lengths = []
    for t, (xb, yb) in enumerate(batches(6)):
        tr.train_step(xb, yb)
        if t > 0:                                       # the slow-net's input (Bsz, T, 1)
            lengths.append(tr._gen["slow_cache"]["blocks"][0]["out_shape"][1])
        assert tr.hgs.count == min(t + 1, 3)                       # invariant 4
        for ell in range(len(tr.binary)):
            assert np.array_equal(tr.hgs.latest(ell), tr.g_prev[ell].ravel())
    assert lengths == [1 + min(t, 3) for t in range(1, 6)]           # T = 1 + min(t, l)
    S_shapes = [s.shape for s in tr.generated["S"]]
    assert S_shapes == [p.shape for p in tr.binary]


def test_each_optimizer_steps_once_per_iteration():
    for method in ("fsg", "fc_grad", "multifc", "fast_only", "slow_only"):
        tr = trainer(method)
        for t, (xb, yb) in enumerate(batches(4)):
            tr.train_step(xb, yb)
            for opt in [tr.task_optimizer, *tr.hyper_optimizers]:
                assert {st.get("t", 0) for st in opt.state} == {t}, method


def test_ste_uses_the_tanh_chain_without_lookahead():
    tr = trainer("ste")
    assert tr.hyper_parameters() == [] and tr.hyper_optimizers == []
    for xb, yb in batches(3):
        W = [p.data.copy() for p in tr.binary]
        seen = Spy(tr.model.forward, lambda *a, **k: [p.data.copy() for p in tr.binary])
        tr.model.forward = seen
        grads = Spy(tr.task_optimizer.step, lambda: [p.grad.copy() for p in tr.binary])
        tr.task_optimizer.step = grads
        tr.train_step(xb, yb)
        del tr.model.forward, tr.task_optimizer.step
        for ell, w in enumerate(W):
            assert np.array_equal(seen.seen[0][ell], w)                # forward at W
            assert np.array_equal(grads.seen[0][ell], J(w) * tr.g_prev[ell])
            assert not np.array_equal(tr.binary[ell].data, w)          # no warm-up


@pytest.mark.parametrize("method", ["fc_grad", "multifc"])
def test_metaquant_lookahead_repeats_the_last_step(method):
    tr = trainer(method)
    bs = batches(5)
    tr.train_step(*bs[0])
    W = [p.data.copy() for p in tr.binary]
    tr.train_step(*bs[1])
    eta = tr.eta
    for t in range(2, 5):
        W = [p.data.copy() for p in tr.binary]
        step_prev = [s.copy() for s in tr.step_prev]
        seen = Spy(tr.model.forward, lambda *a, **k: [p.data.copy() for p in tr.binary])
        tr.model.forward = seen
        tr.train_step(*bs[t])
        del tr.model.forward
        for ell in range(2):
            assert np.array_equal(seen.seen[0][ell], W[ell] - step_prev[ell])
            assert np.array_equal(tr.step_prev[ell], W[ell] - tr.binary[ell].data)
    assert eta == tr.eta


@pytest.mark.parametrize("method", ["fsg", "fast_only", "slow_only", "ste", "fc_grad", "multifc"])
def test_every_method_runs_and_moves_the_weights(method):
    tr = trainer(method)
    W = [p.data.copy() for p in tr.binary]
    X, y = tiny_data(18)
    h = tr.fit((X, y), epochs=1, batch_size=6, progress=False)
    assert tr.iteration == 3
    assert all(not np.array_equal(w, p.data) for w, p in zip(W, tr.binary))
    assert np.isfinite(h.train_loss[0])
    names = {p.name.split(".")[0] for p in tr.hyper_parameters()}
    want = {"fsg": {"fast", "slow"}, "fast_only": {"fast"}, "slow_only": {"slow"},
            "ste": set(), "fc_grad": {"meta"}, "multifc": {"meta"}}[method]
    assert names == want
    assert (tr.slow_net is None) == (method not in ("fsg", "slow_only"))
    assert (tr.fast_net is None) == (method not in ("fsg", "fast_only"))
    if method in FSG_FAMILY:
        assert tr.alpha == {"fsg": 0.9, "fast_only": 0.0, "slow_only": 1.0}[method]


def test_generate_shapes_and_float32_stays_float32():
    tr = trainer(dtype=np.float32)
    X, y = tiny_data(24, dtype=np.float32)
    h = tr.fit((X, y), epochs=1, batch_size=6, progress=False)
    Wm = tr.generate()
    assert [w.shape for w in Wm] == [p.shape for p in tr.binary]
    for key in ("cal", "F", "S", "G", "Wm", "calF"):
        assert all(a.dtype == np.float32 for a in tr.generated[key]), key
    for p in tr.model.parameters() + tr.hyper_parameters():
        assert p.data.dtype == np.float32 and p.grad.dtype == np.float32, p.name
    assert tr.hgs.view(0).dtype == np.float32
    assert all(np.isfinite(v[0]) for v in h.extra.values())


def test_nonfinite_loss_raises_and_restores_weights():
    tr = trainer()
    bs = batches(2)
    tr.train_step(*bs[0])
    W = [p.data.copy() for p in tr.binary]
    tr.loss.forward = lambda out, y: float("nan")          # e.g. an overflowing model
    with pytest.raises(FloatingPointError, match="iteration 1"):
        tr.train_step(*bs[1])
    for w, p in zip(W, tr.binary):
        assert np.array_equal(w, p.data)


def test_generate_before_warmup_raises():
    tr = trainer()
    with pytest.raises(RuntimeError, match="warm-up"):
        tr.generate()
    with pytest.raises(RuntimeError, match="generate"):
        tr.meta_backward([np.zeros(p.shape) for p in tr.binary])
