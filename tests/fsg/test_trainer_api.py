"""FSGTrainer's API: arguments and their errors, construction without work, History, reset,
determinism across runs, thread counts and backends, draw order, the ablation table."""

from __future__ import annotations

import inspect

import numba
import numpy as np
import pytest
from fsg_helpers import tiny_data, tiny_model

import bnncore as bc
from bnncore import fsg
from bnncore.fsg import ElementwiseMLP, FSGTrainer, SlowNet
from bnncore.fsg.ablation import ABLATION_ROWS, digits_task_model, format_table
from bnncore.losses import SoftmaxCrossEntropy

SMALL = dict(fast_hidden=5, expand=3, d_state=3, d_conv=2)


def make(build=True, **kw):
    args = dict(SMALL, dtype=np.float64)
    args.update(kw)
    tr = FSGTrainer(tiny_model(0), SoftmaxCrossEntropy(), **args)
    if build:
        tr.build(0)
    return tr


@pytest.mark.parametrize(("kw", "exc", "match"), [
    ({"method": "adam"}, ValueError, "method"),
    ({"layout": "grid"}, ValueError, "layout"),
    ({"persistent_update": "slow"}, ValueError, "persistent_update"),
    ({"task_optimizer": "lamb"}, ValueError, "task_optimizer"),
    ({"fast_act": "gelu"}, ValueError, "fast_act"),
    ({"alpha": 1.5}, ValueError, "alpha"),
    ({"alpha": -0.1}, ValueError, "alpha"),
    ({"alpha": float("nan")}, ValueError, "alpha"),
    ({"history_length": 0}, ValueError, "history_length"),
    ({"lr": 0.0}, ValueError, "lr"),
    ({"fast_lr": float("inf")}, ValueError, "fast_lr"),
    ({"slow_lr": -1.0}, ValueError, "slow_lr"),
    ({"meta_lr": float("nan")}, ValueError, "meta_lr"),
    ({"d_state": 0}, ValueError, "d_state"),
    ({"d_conv": 0}, ValueError, "d_conv"),
    ({"expand": 0}, ValueError, "expand"),
    ({"fast_hidden": 0}, ValueError, "fast_hidden"),
    ({"dtype": np.int32}, TypeError, "dtype"),
    ({"dtype": np.float16}, TypeError, "dtype"),
    ({"method": "fast_only", "alpha": 0.5}, ValueError, "contradicts"),
    ({"method": "slow_only", "alpha": 0.0}, ValueError, "contradicts"),
    ({"method": "ste", "alpha": 0.5}, ValueError, "does not apply"),
    ({"method": "fc_grad", "alpha": 0.9}, ValueError, "does not apply"),
    ({"backend": "gpu"}, ValueError, "backend"),
    ({"lr_step": 0}, ValueError, "lr_step"),
    ({"sgd_momentum": 1.0}, ValueError, "sgd_momentum"),
    ({"max_scan_elements": 0}, ValueError, "max_scan_elements"),
])
def test_constructor_errors(kw, exc, match):
    with pytest.raises(exc, match=match):
        make(build=False, **kw)


def test_loss_must_be_a_bnncore_loss():
    with pytest.raises(TypeError, match="loss"):
        FSGTrainer(tiny_model(0), lambda out, y: 0.0)
    with pytest.raises(TypeError, match="loss"):
        FSGTrainer(tiny_model(0))                                # the task loss is required


def test_constructor_does_no_work():
    model = tiny_model(0, dtype=np.float64)
    before = [(p.data.copy(), p.data.dtype) for p in model.parameters()]
    tr = FSGTrainer(model, SoftmaxCrossEntropy(), dtype=np.float32, **SMALL)
    for (a, dt), p in zip(before, model.parameters()):           # not cast, not touched
        assert p.data.dtype == dt == np.float64 and np.array_equal(a, p.data)
    assert tr.hgs is None and tr.task_optimizer is None and tr.hyper_parameters() == []
    assert tr.binary == [] and tr.hyper_optimizers == []
    with pytest.raises(RuntimeError, match="build"):
        tr.train_step(*tiny_data(6))
    X, y = tiny_data(12)
    tr.fit((X, y), epochs=1, batch_size=6, seed=0, progress=False)
    assert all(p.data.dtype == np.float32 for p in model.parameters())
    assert tr.hgs.count == 2 and len(tr.binary) == 2


def test_model_errors():
    loss = SoftmaxCrossEntropy()
    plain = bc.layers.Sequential(bc.layers.Dense(5, 3, rng=0))
    with pytest.raises(ValueError, match="no binarized weight"):
        FSGTrainer(plain, loss).build()
    with pytest.raises(ValueError, match="no binarized weight"):
        FSGTrainer(plain, loss).fit(tiny_data(6), progress=False)
    clipped = tiny_model(0)
    clipped[0].weight.quantizer = bc.quantizers.get("clipped_ste")
    with pytest.raises(ValueError, match="requires the 'ste' weight quantizer.*clipped_ste"):
        FSGTrainer(clipped, loss, dtype=np.float64).build()
    dorefa = tiny_model(0)  # (dorefa k=1 passes the probe: mean|probe| = 1)
    dorefa[2].weight.quantizer = bc.quantizers.get("approxsign")
    with pytest.raises(ValueError, match="'ste'"):
        FSGTrainer(dorefa, loss, dtype=np.float64).build()
    with pytest.raises(ValueError, match="seed"):
        FSGTrainer(tiny_model(0), loss).build(seed=-1)


def test_settings_and_their_canonical_names():
    tr = make(history_length=3, method="fast_only", fast_lr=0.05, slow_lr=0.002)
    assert tr.method == "fast_only" and tr.history_length == 3 and tr.alpha == 0.0
    assert tr.hyper_optimizers[0].lr == 0.05 and tr.hgs.length == 3
    tr = make(method="slow_only", fast_lr=0.05, slow_lr=0.002)
    assert tr.method == "slow_only" and tr.hyper_optimizers[0].lr == 0.002
    assert make(method="ste").method == "ste"
    assert make(method="slow_only").alpha == 1.0
    assert make(history_length=4).history_length == 4
    assert make(alpha=0.25).alpha == 0.25
    assert make(method="fsg").alpha == 0.9
    sig = inspect.signature(FSGTrainer)
    for name in ("loss", "method", "history_length", "alpha", "lre", "lr", "fast_lr", "slow_lr"):
        assert name in sig.parameters
    for gone in ("history", "fast", "slow", "hyper_lr", "seed"):
        assert gone not in sig.parameters
    assert "seed" in inspect.signature(FSGTrainer.fit).parameters


def test_history_fields_and_continuation():
    tr = make()
    X, y = tiny_data(24)
    h = tr.fit((X, y), val=(X[:12], y[:12]), epochs=2, batch_size=6, progress=False)
    assert isinstance(h, bc.History) and h.epoch == [0, 1]
    assert isinstance(tr, bc.train.Trainer)
    d = h.to_dict()
    for key in ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "seconds",
                "fsg_slow_rms", "fsg_fast_rms", "fsg_align"):
        assert len(d[key]) == 2 and all(np.isfinite(d[key])), key
    assert d["fsg_slow_rms"][1] > 0 and d["fsg_fast_rms"][1] > 0
    assert -1 <= d["fsg_align"][1] <= 1
    assert tr.iteration == 8
    tr.fit((X, y), epochs=1, batch_size=6, progress=False)
    assert tr.iteration == 12 and tr.hgs.count == 5
    scores = tr.evaluate((X, y))
    assert sorted(scores) == ["accuracy", "loss"]
    assert np.isfinite(scores["loss"]) and 0 <= scores["accuracy"] <= 1
    ste = make(method="ste").fit((X, y), epochs=1, batch_size=6, progress=False)
    assert ste.extra["fsg_slow_rms"] == [0.0] and ste.extra["fsg_align"] == [0.0]


def test_reset_keeps_parameters_and_optimizer_states():
    tr = make()
    X, y = tiny_data(24)
    tr.fit((X, y), epochs=1, batch_size=6, progress=False)
    params = [p.data.copy() for p in tr.model.parameters() + tr.hyper_parameters()]
    steps = tr.task_optimizer.state[0]["t"]
    tr.reset()
    assert tr.iteration == 0 and tr.hgs.count == 0 and tr.g_prev is None
    for a, p in zip(params, tr.model.parameters() + tr.hyper_parameters()):
        assert np.array_equal(a, p.data)
    assert tr.task_optimizer.state[0]["t"] == steps
    tr.train_step(X[:6], y[:6])                                  # a warm-up again
    for a, p in zip(params, tr.model.parameters() + tr.hyper_parameters()):
        assert np.array_equal(a, p.data)
    assert tr.hgs.count == 1


def run(seed=0, threads=None, backend="auto", epochs=2, **kw):
    before = numba.get_num_threads()
    if threads:
        numba.set_num_threads(threads)
    try:
        tr = FSGTrainer(tiny_model(seed), SoftmaxCrossEntropy(), backend=backend,
                        dtype=np.float64, **dict(SMALL, **kw))
        X, y = tiny_data(30, seed=seed)
        h = tr.fit((X, y), epochs=epochs, batch_size=6, seed=seed, progress=False)
    finally:
        numba.set_num_threads(before)
    d = h.to_dict()
    del d["seconds"]
    return d, [p.data.copy() for p in tr.model.parameters() + tr.hyper_parameters()]


def test_same_seed_bitwise_identical_across_runs_and_threads():
    h1, p1 = run(threads=1)
    h2, p2 = run(threads=min(2, numba.config.NUMBA_NUM_THREADS))
    h3, p3 = run(threads=1)
    assert h1 == h2 == h3
    assert all(np.array_equal(a, b) and np.array_equal(a, c) for a, b, c in zip(p1, p2, p3))
    h4, _ = run(seed=1)
    assert h4 != h1


def test_numpy_and_numba_backends_agree():
    h_numba, p_numba = run(backend="numba", epochs=1, history_length=2)
    h_numpy, p_numpy = run(backend="numpy", epochs=1, history_length=2)
    for key, values in h_numba.items():
        np.testing.assert_allclose(values, h_numpy[key], rtol=1e-6, err_msg=key)
    for a, b in zip(p_numba, p_numpy):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)


def test_hypernet_initial_values_follow_the_draw_order():
    tr = FSGTrainer(tiny_model(0), SoftmaxCrossEntropy(), dtype=np.float32, **SMALL)
    tr.fit(tiny_data(6), epochs=1, batch_size=6, seed=7, progress=False)   # one warm-up
    rng_init = np.random.default_rng(np.random.SeedSequence(7).spawn(2)[0])
    fast = ElementwiseMLP(3, 5, "identity", rng=rng_init, dtype=np.float32)
    slow = SlowNet(2, d_state=3, d_conv=2, expand=3, rng=rng_init, dtype=np.float32)
    for a, b in zip(tr.hyper_parameters(), fast.parameters() + slow.parameters()):
        assert np.array_equal(a.data, b.data) and a.data.dtype == np.float32   # warm-up: no step
    assert [p.name for p in tr.hyper_parameters()][-1] == "slow.lre"
    only_slow = FSGTrainer(tiny_model(0), SoftmaxCrossEntropy(), method="slow_only", **SMALL)
    only_slow.build(seed=7)
    rng_init = np.random.default_rng(np.random.SeedSequence(7).spawn(2)[0])
    slow = SlowNet(2, d_state=3, d_conv=2, expand=3, rng=rng_init, dtype=np.float32)
    assert np.array_equal(only_slow.slow_net.lre.data, slow.lre.data)


def test_reconstructed_items_say_so():
    """Every reconstructed item of docs/fsg.md carries the word in its docstring."""
    from bnncore.fsg import ablation, hgs, lookahead, mamba, nets, trainer
    from bnncore.kernels import scan

    items = [trainer.FSGTrainer, nets.SlowNet, ablation, ablation.digits_task_model, scan,
             scan.ssm_scan_backward, trainer.FSGTrainer._end_epoch, mamba.MambaBlock]
    for obj in items:
        assert "reconstructed" in (obj.__doc__ or "").lower(), obj
    text = inspect.getsource(trainer.FSGTrainer)
    doc = trainer.FSGTrainer.__doc__
    for reason in ("combined", "lr_step", "SeedSequence", "without look-ahead", "step_prev",
                   "FloatingPointError"):
        assert reason in doc and reason in text
    assert hgs and lookahead                      # not reconstructed: nothing to assert


def test_format_table_golden():
    results = [{"row": r, "seed": s, "epoch1_loss": 1.0 + 0.1 * s, "final_loss": 0.4,
                "final_acc": 0.9 + 0.01 * s, "sec_per_epoch": 1.5}
               for r in ("fsg", "ste-adam") for s in (0, 1, 2)]
    assert format_table(results) == (
        "| row | seeds | epoch-1 loss | final loss | test accuracy | s/epoch |\n"
        "|---|---|---|---|---|---|\n"
        "| ste-adam | 3 | 1.100 ± 0.100 | 0.400 ± 0.000 | 0.910 ± 0.010 | 1.50 |\n"
        "| fsg | 3 | 1.100 ± 0.100 | 0.400 ± 0.000 | 0.910 ± 0.010 | 1.50 |")


def test_ablation_rows_and_digits_protocol():
    ids = [r for r, _ in ABLATION_ROWS]
    for want in ("ste-adam", "ste-sgd", "fc-grad", "multifc", "fast-only", "slow-only", "fsg",
                 "fsg-no-lre", "fsg-l1", "fsg-l7", "fsg-a0.3", "fsg-fastupd", "fsg-flat",
                 "fsg-code"):
        assert want in ids
    Xtr, ytr, Xte, yte = bc.data.load_digits(test_size=0.2, seed=0)
    assert Xtr.shape == (1437, 64) and Xte.shape == (360, 64)
    assert Xtr.min() >= 0 and Xtr.max() <= 1
    model = digits_task_model(3)
    W = [p.data for p in model.parameters() if p.quantizer is not None]
    assert [w.shape for w in W] == [(32, 64), (10, 32)]
    assert np.abs(W[0]).max() <= np.sqrt(6 / 96) and np.abs(W[1]).max() <= np.sqrt(6 / 42)
    g = np.random.default_rng(3)
    np.testing.assert_array_equal(W[0], g.uniform(-np.sqrt(6 / 96), np.sqrt(6 / 96), (32, 64))
                                  .astype(np.float32))
    assert fsg.FSGTrainer is FSGTrainer
