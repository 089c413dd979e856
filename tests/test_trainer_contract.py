"""One training protocol: every method's trainer keeps the same contract.

Each trainer is built as ``bnncore compare`` builds it (``experiments.setup_for``): the
gradient trainer (``ste``, ``bnn++``, ``ags+sad``), GFT and FSG. Same History fields, the
same callbacks in the same order with the same arguments, the same ``evaluate`` keys,
bit-identical Histories for the same seed, and identical predictions after save/load.
"""

import json

import numpy as np
import pytest

import bnncore as bc
from bnncore.experiments import RunSpec, setup_for
from bnncore.history import History

METHODS = ["ste", "bnn++", "ags+sad", "gft", "fsg"]
EPOCHS, BATCH = 2, 256
COMMON = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "seconds")


class Recorder:
    """Every callback hook, recorded with its arguments."""

    def __init__(self):
        self.calls = []

    def on_train_begin(self, model):
        self.calls.append(("on_train_begin", model))

    def on_epoch_begin(self, epoch):
        self.calls.append(("on_epoch_begin", epoch))

    def on_step_end(self, step):
        self.calls.append(("on_step_end", step))

    def on_epoch_end(self, epoch, history):
        self.calls.append(("on_epoch_end", epoch, history))

    def on_train_end(self, history):
        self.calls.append(("on_train_end", history))


def _train(method, callbacks=()):
    trainer, train, test = setup_for(method)(RunSpec(method, seed=1))
    history = trainer.fit(train, val=test, epochs=EPOCHS, batch_size=BATCH, seed=1,
                          callbacks=callbacks, progress=False)
    return trainer, train, test, history


def _without_seconds(history):
    return json.dumps({k: v for k, v in history.to_dict().items() if k != "seconds"})


@pytest.fixture(scope="module", params=METHODS)
def run(request):
    recorder = Recorder()
    trainer, train, test, history = _train(request.param, [recorder])
    return request.param, trainer, train, test, history, recorder


def test_fit_returns_a_history_with_the_common_fields(run):
    _, _, _, _, history, _ = run
    assert isinstance(history, History)
    fields = history.to_dict()
    assert set(COMMON) <= set(fields)
    assert all(len(fields[name]) == EPOCHS for name in COMMON)
    assert history.epoch == list(range(EPOCHS))
    for name in COMMON[1:]:
        assert all(isinstance(v, float) and np.isfinite(v) for v in fields[name]), name
    assert all(0.0 <= a <= 1.0 for a in history.train_accuracy + history.val_accuracy)


def test_callbacks_fire_in_the_same_order_with_the_same_arguments(run):
    _, trainer, train, _, history, recorder = run
    steps = -(-len(train[1]) // BATCH)
    expected = [("on_train_begin", trainer.model)]
    for epoch in range(EPOCHS):
        expected.append(("on_epoch_begin", epoch))
        expected += [("on_step_end", epoch * steps + s) for s in range(1, steps + 1)]
        expected.append(("on_epoch_end", epoch, history))
    expected.append(("on_train_end", history))
    assert len(recorder.calls) == len(expected)
    for got, want in zip(recorder.calls, expected):
        assert got[0] == want[0] and len(got) == len(want)
        for a, b in zip(got[1:], want[1:]):
            assert a is b if not isinstance(b, int) else a == b, (got, want)


def test_evaluate_returns_loss_and_accuracy(run):
    _, trainer, _, test, history, _ = run
    scores = trainer.evaluate(test)
    assert sorted(scores) == ["accuracy", "loss"]
    assert all(isinstance(v, float) for v in scores.values())
    assert scores["accuracy"] == history.val_accuracy[-1]     # val is the test split here
    assert scores["loss"] == history.val_loss[-1]


def test_the_same_seed_gives_the_same_history(run):
    method, _, _, _, history, _ = run
    _, _, _, again = _train(method)
    assert _without_seconds(again) == _without_seconds(history)


def test_save_and_load_give_identical_predictions(run, tmp_path):
    method, trainer, _, test, _, _ = run
    path = tmp_path / f"{method}.npz"
    bc.io.save(trainer.model, path)
    loaded = bc.io.load(path, expected=type(trainer.model))
    assert type(loaded) is type(trainer.model)
    np.testing.assert_array_equal(bc.predict(loaded, test[0]), bc.predict(trainer.model, test[0]))
