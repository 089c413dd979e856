"""GFTTrainer: StepStats, fit and History, streams, defaults and validation."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
from gft_cases import pm1, snapshot

from bnncore.flips import FlipCounter
from bnncore.gft import FullyBinaryMLP, GFTTrainer, StepStats
from bnncore.gft.rule import output_error
from bnncore.history import History
from bnncore.train import Trainer


def _data(n=90, sizes=(12, 8, 3), seed=0):
    g = np.random.default_rng(seed)
    return pm1((n, sizes[0]), seed), g.integers(0, sizes[-1], n)


def _trainer(seed=0, sizes=(12, 8, 3), **kw):
    kw = {"k0": 2, "k_min": 0, "margin": 2, "rng": seed, **kw}
    return GFTTrainer(FullyBinaryMLP(sizes, rng=seed), **kw)


def test_step_stats_match_a_recount_of_the_weights():
    tr = _trainer(total_steps=10)
    X, y = _data()
    for t in range(6):
        before, _ = snapshot(tr.model)
        k = tr.k_at()
        stats = tr.step(X[:20], y[:20])
        assert isinstance(stats, StepStats) and stats.t == t
        assert stats.k == k
        for field in ("k", "candidates", "selected", "flips", "bias_updates"):
            assert len(getattr(stats, field)) == tr.model.n_layers
        for layer, (w0, w1) in enumerate(zip(before, tr.model.weights)):
            assert stats.flips[layer] == int(np.count_nonzero(w0 != w1))
            assert stats.flips[layer] <= stats.selected[layer] <= stats.k[layer]
    assert tr.t == 6


def test_step_counts_errors_with_the_pre_step_weights():
    tr = _trainer(schedule="constant")
    X, y = _data()
    v = tr.model.forward(X[:30])
    D = output_error(v, y[:30], output="multiclass", margin=2)
    stats = tr.step(X[:30], y[:30])
    assert stats.n_error_entries == int(np.count_nonzero(D))
    assert stats.n_misclassified == int(np.count_nonzero(v.argmax(axis=1) != y[:30]))


def test_fit_history_fields_and_totals():
    tr = _trainer()
    X, y = _data()
    h = tr.fit((X, y), val=(X[:30], y[:30]), epochs=4, batch_size=16, progress=False)
    assert isinstance(h, History) and h.epoch == [0, 1, 2, 3]
    for name in ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "seconds"):
        assert len(getattr(h, name)) == 4
    for name in ("flips", "flips_per_layer", "k_end", "bias_updates", "ops"):
        assert len(h.extra[name]) == 4
    assert sum(h.extra["flips"]) == tr.total_flips > 0
    assert all(sum(p) == f for p, f in zip(h.extra["flips_per_layer"], h.extra["flips"]))
    ends = [sum(k) for k in h.extra["k_end"]]
    assert all(a >= b for a, b in zip(ends, ends[1:]))
    assert h.extra["k_end"][-1] == [0, 0]                     # k_(T-1) = k_min
    assert tr.T == 4 * math.ceil(90 / 16) == tr.t
    # train_accuracy is the batch mean before each update (as for every trainer); the
    # accuracy of the trained model on the whole training set is evaluate()'s
    assert tr.evaluate((X, y))["accuracy"] == float(np.mean(tr.model.predict(X) == y))
    assert h.val_accuracy[-1] == tr.evaluate((X[:30], y[:30]))["accuracy"]
    assert 0.0 <= min(h.train_loss) and max(h.train_loss) <= 1.0


def test_train_accuracy_is_the_mean_pre_step_batch_accuracy():
    tr = _trainer(record_steps=True)
    X, y = _data()
    h = tr.fit((X, y), epochs=2, batch_size=16, progress=False)
    for epoch, steps in enumerate(h.extra["steps"]):
        sizes = [16] * 5 + [10]
        accs = [(b - s.n_misclassified) / b for s, b in zip(steps, sizes)]
        assert h.train_accuracy[epoch] == float(np.mean(accs))


def test_evaluate_returns_accuracy_and_flagged_fraction():
    tr = _trainer()
    X, y = _data()
    scores = tr.evaluate((X, y))
    D = output_error(tr.model.forward(X), y, output="multiclass", margin=2)
    assert scores == {"loss": np.count_nonzero(D) / D.size,
                      "accuracy": float(np.mean(tr.model.predict(X) == y))}


def test_train_loss_is_the_fraction_of_flagged_outputs():
    tr = _trainer(record_steps=True)
    X, y = _data()
    h = tr.fit((X, y), epochs=2, batch_size=30, progress=False)
    for epoch, steps in enumerate(h.extra["steps"]):
        assert len(steps) == 3 and all(isinstance(s, StepStats) for s in steps)
        flagged = [s.n_error_entries / (30 * 3) for s in steps]
        assert h.train_loss[epoch] == float(np.mean(flagged))


def test_bare_linear_step_needs_total_steps():
    tr = _trainer()
    X, y = _data()
    with pytest.raises(ValueError, match="total_steps"):
        tr.step(X[:5], y[:5])
    _trainer(schedule="constant").step(X[:5], y[:5])


def test_fit_twice_continues_the_counter_and_replans_T():
    tr = _trainer()
    X, y = _data()
    tr.fit((X, y), epochs=2, batch_size=30, progress=False)
    assert tr.t == 6 and tr.T == 6
    h = tr.fit((X, y), epochs=1, batch_size=45, progress=False)
    assert tr.t == 8 and tr.T == 6 + 2
    assert h.extra["k_end"][-1] == [0, 0]
    fixed = _trainer(total_steps=100)
    fixed.fit((X, y), epochs=1, batch_size=30, progress=False)
    assert fixed.T == 100 and fixed.k_at() == (2, 2)


def test_same_seed_identical_weights_stats_and_history():
    def run(packed):
        tr = _trainer(packed=packed, rng=None, record_steps=True)
        X, y = _data()
        h = tr.fit((X, y), epochs=3, batch_size=16, seed=5, progress=False)
        d = h.to_dict()
        d.pop("seconds")
        return tr.model.weights, d
    w1, h1 = run(True)
    w2, h2 = run(True)
    w3, h3 = run(False)
    for a, b, c in zip(w1, w2, w3):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    assert h1 == h2 == h3


def test_rng_none_streams_come_from_fit_seed_and_explicit_rng_ignores_seed():
    X, y = _data()

    def weights(seed, rng):
        tr = _trainer(rng=rng)
        tr.fit((X, y), epochs=2, batch_size=16, seed=seed, progress=False)
        return np.concatenate([w.ravel() for w in tr.model.weights])

    assert (weights(1, None) != weights(2, None)).any()
    np.testing.assert_array_equal(weights(1, 7), weights(2, 7))
    np.testing.assert_array_equal(weights(7, None), weights(0, 7))


def test_packed_and_reference_paths_agree_for_five_steps():
    X, y = _data()
    trs = [_trainer(packed=p, schedule="constant", k0=0.05) for p in (True, False)]
    for t in range(5):
        sa, sb = (tr.step(X[t * 16:(t + 1) * 16], y[t * 16:(t + 1) * 16]) for tr in trs)
        assert sa == sb
    for a, b in zip(trs[0].model.weights, trs[1].model.weights):
        np.testing.assert_array_equal(a, b)


def test_count_ops_false_gives_none_and_changes_nothing():
    X, y = _data()
    a = _trainer(count_ops=True, record_steps=True)
    b = _trainer(count_ops=False, record_steps=True)
    ha = a.fit((X, y), epochs=2, batch_size=16, progress=False)
    hb = b.fit((X, y), epochs=2, batch_size=16, progress=False)
    assert all(s.ops is None for s in hb.extra["steps"][0])
    assert all(s.ops is not None for s in ha.extra["steps"][0])
    assert hb.extra["ops"] == [None, None]
    assert ha.extra["flips"] == hb.extra["flips"] and ha.train_loss == hb.train_loss
    for wa, wb in zip(a.model.weights, b.model.weights):
        np.testing.assert_array_equal(wa, wb)


def test_callbacks_are_called_like_bnncore_fit():
    calls = []

    class Recorder:
        def on_train_begin(self, model):
            calls.append(("begin", type(model).__name__))

        def on_epoch_begin(self, epoch):
            calls.append(("epoch", epoch))

        def on_step_end(self, step):
            calls.append(("step", step))

        def on_epoch_end(self, epoch, history):
            calls.append(("epoch_end", epoch, len(history)))

        def on_train_end(self, history):
            calls.append(("end", len(history)))

    X, y = _data(n=40)
    _trainer().fit((X, y), epochs=2, batch_size=20, callbacks=[Recorder(), object()],
                   progress=False)
    assert calls == [("begin", "FullyBinaryMLP"), ("epoch", 0), ("step", 1), ("step", 2),
                     ("epoch_end", 0, 1), ("epoch", 1), ("step", 3), ("step", 4),
                     ("epoch_end", 1, 2), ("end", 2)]


def test_defaults_match_the_documented_signature():
    init = inspect.signature(GFTTrainer.__init__).parameters
    expected = {"k0": 0.001, "k_min": 0.0, "schedule": "linear", "total_steps": None,
                "margin": 0, "gate": "none", "tau": None, "packed": True, "p_update": 1.0,
                "count_ops": True, "shuffle": True, "record_steps": False, "rng": None}
    assert {k: init[k].default for k in expected} == expected
    # fit is the one epoch loop of every trainer, with its defaults
    assert GFTTrainer.fit is Trainer.fit
    fit = inspect.signature(GFTTrainer.fit).parameters
    assert {k: fit[k].default for k in ("epochs", "batch_size", "seed", "progress")} == {
        "epochs": 1, "batch_size": 64, "seed": 0, "progress": True}
    assert inspect.signature(FullyBinaryMLP.__init__).parameters["rng"].default is None


# -- validation ---------------------------------------------------------------------------
NET = (12, 8, 3)


@pytest.mark.parametrize(("kwargs", "arg"), [
    ({"k0": 1, "k_min": 2}, "k_min"),
    ({"k0": 0.001, "k_min": 0.5}, "k_min"),
    ({"k0": 97}, "k0"),                       # largest layer has 96 weights
    ({"k0": -1}, "k0"),
    ({"k0": 1.5}, "k0"),
    ({"k_min": -0.5}, "k_min"),
    ({"margin": -1}, "margin"),
    ({"margin": 2.0}, "margin"),
    ({"gate": "ste"}, "gate"),
    ({"schedule": "cosine"}, "schedule"),
    ({"tau": [1, 2]}, "tau"),
    ({"p_update": 0.0}, "p_update"),
    ({"p_update": 1.2}, "p_update"),
    ({"total_steps": 0}, "total_steps"),
])
def test_bad_trainer_arguments_raise_value_error_naming_them(kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        GFTTrainer(FullyBinaryMLP(NET, rng=0), **kwargs)


def test_type_errors():
    with pytest.raises(TypeError, match="FullyBinaryMLP"):
        GFTTrainer(object())
    with pytest.raises(TypeError, match="p_update"):
        GFTTrainer(FullyBinaryMLP(NET, rng=0), p_update=True)
    with pytest.raises(TypeError, match="k0"):
        GFTTrainer(FullyBinaryMLP(NET, rng=0), k0=True)


def test_k0_equal_to_the_largest_layer_is_allowed():
    tr = GFTTrainer(FullyBinaryMLP(NET, rng=0), k0=96, schedule="constant")
    assert tr.k_at() == (96, 24)


def test_bad_data_raise_naming_the_argument():
    tr = _trainer(schedule="constant")
    X, y = _data()
    Xf = X.astype(float)
    Xf[3, 4] = 0.5
    with pytest.raises(ValueError, match=r"x must be ±1, found 0.5 at \(3, 4\)"):
        tr.step(Xf, y)
    with pytest.raises(ValueError, match=r"train\[0\] \(X\) must be ±1"):
        tr.fit((Xf, y), epochs=1, progress=False)
    with pytest.raises(ValueError, match="x has 11 features"):
        tr.step(X[:, :11], y)
    with pytest.raises(ValueError, match="y has 89 labels"):
        tr.step(X, y[:89])
    with pytest.raises(ValueError, match=r"y has label 3 out of range \[0, 3\)"):
        tr.step(X, np.full(90, 3))
    with pytest.raises(ValueError, match="y has label -1"):
        tr.step(X, np.full(90, -1))
    with pytest.raises(ValueError, match="x must not be empty"):
        tr.step(X[:0], y[:0])
    with pytest.raises(ValueError, match=r"val\[1\] \(y\)"):
        tr.fit((X, y), val=(X, np.full(90, 5)), epochs=1, progress=False)
    with pytest.raises(ValueError, match="epochs"):
        tr.fit((X, y), epochs=0, progress=False)
    with pytest.raises(ValueError, match="batch_size"):
        tr.fit((X, y), batch_size=0, progress=False)


def test_binary_mode_labels_must_be_pm1():
    tr = GFTTrainer(FullyBinaryMLP((5, 1), output="binary", rng=0), k0=1,
                    schedule="constant")
    X = pm1((4, 5), 0)
    with pytest.raises(ValueError, match="y must be ±1"):
        tr.step(X, np.array([0, 1, 1, 0]))
    with pytest.raises(ValueError, match="y must have shape"):
        tr.step(X, np.array([1, -1, 1]))
    assert tr.step(X, np.array([1, -1, 1, -1])).t == 0


def test_shuffle_off_visits_the_data_in_order():
    X, y = _data()
    a = _trainer(shuffle=False, schedule="constant")
    b = _trainer(shuffle=False, schedule="constant")
    a.fit((X, y), epochs=1, batch_size=30, progress=False)
    for lo in range(0, 90, 30):
        b.step(X[lo:lo + 30], y[lo:lo + 30])
    for wa, wb in zip(a.model.weights, b.model.weights):
        np.testing.assert_array_equal(wa, wb)


def test_flip_counter_counts_every_gft_flip():
    tr = _trainer(rng=3)
    X, y = _data()
    counter = FlipCounter()
    h = tr.fit((X, y), epochs=3, batch_size=16, callbacks=[counter], progress=False)
    assert counter.total == tr.total_flips == sum(h.extra["flips"]) > 0
    assert counter.per_epoch == h.extra["flips"]
    assert counter.n_weights == tr.model.n_weights() and counter.writes == counter.total


def test_constructor_does_no_work():
    net = FullyBinaryMLP((12, 8, 3), rng=0)
    before = [w.copy() for w in net.weights]
    tr = GFTTrainer(net, k0=2, rng=0)
    assert tr.t == 0 and tr.T is None and tr._rng_flip is None
    for a, b in zip(before, net.weights):
        np.testing.assert_array_equal(a, b)
