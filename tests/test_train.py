"""fit / evaluate / predict: accuracy targets, determinism, callbacks, hooks, validation."""

import numpy as np
import pytest

import bnncore as bc
from bnncore import quantizers
from bnncore.layers import BinaryDense, Dense, Sequential, Sign


def _train(model, data, epochs, seed=0, val=None, **kwargs):
    opt = bc.optim.Adam(model.parameters(), lr=1e-3)
    return bc.fit(model, bc.losses.SoftmaxCrossEntropy(), opt, data, val=val, epochs=epochs,
                  batch_size=64, seed=seed, progress=False, **kwargs)


# -- the accuracy targets (one full run each) -------------------------------------
@pytest.mark.slow
def test_binary_mlp_reaches_90_percent_on_digits(digits):
    Xtr, ytr, Xte, yte = digits
    model = bc.models.mlp("ste", rng=0)
    history = _train(model, (Xtr, ytr), epochs=20, seed=0)
    accuracy = bc.evaluate(model, (Xte, yte))["accuracy"]
    assert accuracy >= 0.90, accuracy
    assert len(history) == 20 and history.train_loss[-1] < history.train_loss[0]
    # evaluation computes with sign(w~): the reported accuracy is a truly binary network's
    hidden = model[3]
    assert isinstance(hidden, BinaryDense)
    np.testing.assert_array_equal(np.abs(hidden.weight.quantizer.deploy(hidden.weight.data)), 1)


@pytest.mark.slow
def test_float_mlp_reaches_95_percent_on_digits(digits):
    Xtr, ytr, Xte, yte = digits
    model = bc.models.mlp("float", rng=0)
    _train(model, (Xtr, ytr), epochs=20, seed=0)
    accuracy = bc.evaluate(model, (Xte, yte))["accuracy"]
    assert accuracy >= 0.95, accuracy


# -- determinism --------------------------------------------------------------------------
def _small_run(tiny_digits, seed, model_rng=0):
    Xtr, ytr, Xte, yte = tiny_digits
    model = bc.models.mlp("ste", hidden=(32, 32), rng=model_rng)
    history = _train(model, (Xtr, ytr), epochs=2, seed=seed, val=(Xte, yte))
    return model, history


def _without_seconds(history):
    d = history.to_dict()
    d.pop("seconds")
    return d


def test_same_seed_same_history_and_weights(tiny_digits):
    model_a, hist_a = _small_run(tiny_digits, seed=0)
    model_b, hist_b = _small_run(tiny_digits, seed=0)
    assert _without_seconds(hist_a) == _without_seconds(hist_b)  # floats compared exactly
    assert len(hist_a.val_accuracy) == 2
    for pa, pb in zip(model_a.parameters(), model_b.parameters()):
        np.testing.assert_array_equal(pa.data, pb.data)
    np.testing.assert_array_equal(model_a[1].running_var, model_b[1].running_var)


def test_different_seed_different_weights(tiny_digits):
    model_a, hist_a = _small_run(tiny_digits, seed=0)
    model_b, hist_b = _small_run(tiny_digits, seed=1)
    assert not all(np.array_equal(pa.data, pb.data)
                   for pa, pb in zip(model_a.parameters(), model_b.parameters()))
    assert hist_a.train_loss != hist_b.train_loss


def test_model_rng_controls_the_initialisation():
    a, b, c = (bc.models.mlp("ste", rng=r) for r in (0, 0, 1))
    for pa, pb in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(pa.data, pb.data)
    assert not np.array_equal(a[0].weight.data, c[0].weight.data)


# -- the History ----------------------------------------------------------------------------
def test_history_fields(tiny_digits):
    Xtr, ytr, Xte, yte = tiny_digits
    model = Sequential(Dense(64, 10, rng=0))
    h = _train(model, (Xtr, ytr), epochs=3)
    assert h.epoch == [0, 1, 2] and len(h) == 3
    assert h.val_loss == [] and h.val_accuracy == []
    assert len(h.seconds) == 3 and all(s >= 0 for s in h.seconds)
    assert all(0 <= a <= 1 for a in h.train_accuracy)
    h = _train(model, (Xtr, ytr), epochs=1, val=(Xte, yte))
    scores = bc.evaluate(model, (Xte, yte), bc.losses.SoftmaxCrossEntropy())
    assert h.val_accuracy == [scores["accuracy"]] and h.val_loss == [scores["loss"]]


def test_train_metrics_are_batch_means_of_the_training_forward(tiny_digits):
    Xtr, ytr, _, _ = tiny_digits
    model = Sequential(Dense(64, 10, rng=0))
    loss = bc.losses.SoftmaxCrossEntropy()
    record = []

    class Recorder(bc.losses.SoftmaxCrossEntropy):
        def forward(self, outputs, targets):
            value = super().forward(outputs, targets)
            record.append((value, float(np.mean(outputs.argmax(axis=1) == targets))))
            return value

    opt = bc.optim.SGD(model.parameters(), lr=0.1)
    h = bc.fit(model, Recorder(), opt, (Xtr, ytr), epochs=1, batch_size=100, progress=False)
    assert len(record) == 3  # 256 samples: batches of 100, 100, 56
    assert h.train_loss[0] == pytest.approx(np.mean([r[0] for r in record]), rel=1e-12)
    assert h.train_accuracy[0] == pytest.approx(np.mean([r[1] for r in record]), rel=1e-12)
    assert isinstance(loss, bc.losses.Loss)


# -- callbacks and hooks ----------------------------------------------------------------------
class _SpyPair(quantizers.STE):
    def __init__(self, log, label):
        self.log, self.label = log, label

    def _on_epoch(self, epoch, total):
        self.log.append(("on_epoch", self.label, epoch, total))


def test_callback_order_and_on_epoch_for_every_quantizer(tiny_digits):
    Xtr, ytr, _, _ = tiny_digits
    log = []
    model = Sequential(Dense(64, 8, rng=0), Sign(), BinaryDense(8, 10, rng=1))
    model[1].quantizer = _SpyPair(log, "sign")
    model[2].weight.quantizer = _SpyPair(log, "weight")

    class Recorder:
        def on_train_begin(self, m):
            log.append(("train_begin", m is model))

        def on_epoch_begin(self, epoch):
            log.append(("epoch_begin", epoch))

        def on_step_end(self, step):
            log.append(("step_end", step))

        def on_epoch_end(self, epoch, history):
            log.append(("epoch_end", epoch, len(history)))

        def on_train_end(self, history):
            log.append(("train_end", len(history)))

    class OnlySteps:  # missing methods are skipped
        def on_step_end(self, step):
            log.append(("only", step))

    opt = bc.optim.SGD(model.parameters(), lr=0.01)
    bc.fit(model, bc.losses.SoftmaxCrossEntropy(), opt, (Xtr, ytr), epochs=2, batch_size=128,
           callbacks=[Recorder(), OnlySteps()], progress=False)
    expected = [("train_begin", True)]
    step = 0
    for epoch in range(2):
        expected += [("on_epoch", "sign", epoch, 2), ("on_epoch", "weight", epoch, 2),
                     ("epoch_begin", epoch)]
        for _ in range(2):
            step += 1
            expected += [("step_end", step), ("only", step)]
        expected.append(("epoch_end", epoch, epoch + 1))
    expected.append(("train_end", 2))
    assert log == expected


def test_step_end_comes_after_the_update_and_post_step(tiny_digits):
    Xtr, ytr, _, _ = tiny_digits
    model = Sequential(Dense(64, 8, rng=0), Sign(), BinaryDense(8, 10, weight_quantizer="bnn",
                                                                rng=1))
    model[2].weight.data[0, :] = 5.0  # outside the latent domain: post_step must clip it
    seen = {}

    def transform(params):
        seen.setdefault("before", [p.data.copy() for p in params])
        seen.setdefault("grads", [p.grad.copy() for p in params])

    class AfterStep:
        def on_step_end(self, step):
            seen.setdefault("after", [p.data.copy() for p in model.parameters()])

    opt = bc.optim.SGD(model.parameters(), lr=0.05, transforms=[transform])
    bc.fit(model, bc.losses.SoftmaxCrossEntropy(), opt, (Xtr, ytr), epochs=1, batch_size=64,
           callbacks=[AfterStep()], progress=False)
    before, grads, after = seen["before"], seen["grads"], seen["after"]
    assert any(np.abs(g).max() > 0 for g in grads)
    # the first Dense: plain SGD; the bnn-quantized weight: SGD then clip to [-1, 1]
    np.testing.assert_array_equal(after[0], before[0] - 0.05 * grads[0])
    np.testing.assert_array_equal(after[2], np.clip(before[2] - 0.05 * grads[2], -1, 1))
    assert np.abs(after[2]).max() <= 1


def test_one_step_per_batch(tiny_digits):
    Xtr, ytr, _, _ = tiny_digits
    model = Sequential(Dense(64, 10, rng=0))
    steps = []

    class Count:
        def on_step_end(self, step):
            steps.append(step)

    _train(model, (Xtr, ytr), epochs=2, callbacks=[Count()])
    assert steps == list(range(1, 2 * 4 + 1))  # ceil(256 / 64) = 4 steps per epoch


# -- predict / evaluate ----------------------------------------------------------------------
def test_predict_is_batched_eval_forward(tiny_digits):
    Xtr, ytr, Xte, _ = tiny_digits
    model = bc.models.mlp("ste", hidden=(16, 16), rng=0)
    _train(model, (Xtr, ytr), epochs=1)
    model.astype(np.float64)  # float32 matmuls round differently per batch size
    whole = model.forward(Xte, training=False)
    np.testing.assert_allclose(bc.predict(model, Xte, batch_size=7), whole, rtol=1e-12,
                               atol=1e-12)
    assert bc.predict(model, Xte).shape == (100, 10)


def test_evaluate(tiny_digits):
    _, _, Xte, yte = tiny_digits
    model = Sequential(Dense(64, 10, rng=0))
    scores = bc.evaluate(model, (Xte, yte))
    out = model.forward(Xte, training=False)
    assert scores["loss"] is None
    assert scores["accuracy"] == np.mean(out.argmax(axis=1) == yte)
    with_loss = bc.evaluate(model, (Xte, yte), bc.losses.SoftmaxCrossEntropy())
    assert with_loss["loss"] == bc.losses.SoftmaxCrossEntropy().forward(out, yte)


# -- bad input --------------------------------------------------------------------------------
def _fit(model=None, train=None, **kwargs):
    model = model or Sequential(Dense(4, 3, rng=0))
    train = train if train is not None else (np.ones((5, 4)), np.array([0, 1, 2, 0, 1]))
    opt = bc.optim.SGD(model.parameters(), lr=0.1)
    loss = kwargs.pop("loss", bc.losses.SoftmaxCrossEntropy())
    return bc.fit(model, loss, opt, train, progress=False, **kwargs)


X5, Y5 = np.ones((5, 4)), np.array([0, 1, 2, 0, 1])


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"train": [X5]}, TypeError, r"train must be an \(X, y\) tuple"),
    ({"train": X5}, TypeError, r"train must be an \(X, y\) tuple"),
    ({"train": (np.full((5, 4), "a"), Y5)}, TypeError, r"train\[0\] \(X\) must have a real"),
    ({"train": (X5.astype(object), Y5)}, TypeError, r"train\[0\] \(X\) must have a real"),
    ({"train": (np.ones(5), Y5)}, ValueError, r"train\[0\] \(X\) must have a batch axis"),
    ({"train": (np.zeros((0, 4)), Y5[:0])}, ValueError, r"train\[0\] \(X\) must not be empty"),
    ({"train": (np.full((5, 4), np.nan), Y5)}, ValueError, r"train\[0\] \(X\) contains non-fin"),
    ({"train": (X5, Y5[:4])}, ValueError, r"train\[1\] \(y\) has 4 labels but there are 5"),
    ({"train": (X5, -Y5 - 1)}, ValueError, r"train\[1\] \(y\) has label -1 out of range"),
    ({"train": (X5, Y5 + 0.5)}, ValueError, r"train\[1\] \(y\) must hold integer class"),
    ({"train": (X5, Y5.reshape(5, 1))}, ValueError, r"train\[1\] \(y\) must have 1 dim"),
    ({"train": (X5, np.full(5, "a"))}, TypeError, r"train\[1\] \(y\) must have a real"),
    ({"val": (X5, Y5[:2])}, ValueError, r"val\[1\] \(y\) has 2 labels"),
    ({"val": (np.ones((5, 3)), Y5)}, ValueError, r"x has 3 features"),
    ({"epochs": 0}, ValueError, "epochs must be >= 1"),
    ({"epochs": 1.5}, TypeError, "epochs must be an int"),
    ({"batch_size": 0}, ValueError, "batch_size must be >= 1"),
    ({"seed": -1}, ValueError, "seed must be >= 0"),
    ({"seed": None}, TypeError, "seed must be an int"),
    ({"loss": "ce"}, TypeError, "loss must be a bnncore Loss"),
])
def test_fit_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        _fit(**kwargs)


def test_fit_refuses_labels_out_of_range_before_training():
    # label 3 for a 3-class model, in a late batch: the error must name fit's argument and
    # come before any update (the STYLE rule: every public function validates first)
    model = Sequential(Dense(4, 3, rng=0))
    before = [p.data.copy() for p in model.parameters()]
    X = np.random.default_rng(0).normal(size=(64, 4))
    y = np.zeros(64, np.int64)
    y[-1] = 3
    with pytest.raises(ValueError, match=r"train\[1\] \(y\) has label 3 out of range"):
        _fit(model, (X, y), batch_size=8, seed=0)
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.data, b)


def test_evaluate_refuses_labels_out_of_range():
    model = Sequential(Dense(4, 3, rng=0))
    with pytest.raises(ValueError, match=r"data\[1\] \(y\) has label 7 out of range"):
        bc.evaluate(model, (np.ones((2, 4)), np.array([0, 7])))


def test_predict_and_evaluate_bad_input():
    model = Sequential(Dense(4, 3, rng=0))
    with pytest.raises(TypeError, match="X must have a real numeric dtype"):
        bc.predict(model, np.full((2, 4), "a"))
    with pytest.raises(ValueError, match="X contains non-finite"):
        bc.predict(model, np.full((2, 4), np.inf))
    with pytest.raises(TypeError, match=r"data must be an \(X, y\) tuple"):
        bc.evaluate(model, np.ones((2, 4)))
