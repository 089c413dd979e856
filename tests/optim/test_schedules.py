"""Learning-rate schedules: factors, how they set ``optimizer.lr``, and their use in fit."""

import math

import numpy as np
import pytest

import bnncore as bc
from bnncore.optim import SGD, CosineSchedule, LinearSchedule, Schedule, StepSchedule
from bnncore.params import Parameter


def _opt(lr=0.4):
    return SGD([Parameter(np.ones(2))], lr=lr)


def test_cosine_factors():
    s = CosineSchedule(total_epochs=5, min_factor=0.1)
    expected = [0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * e / 4)) for e in range(5)]
    np.testing.assert_allclose([s.factor(e) for e in range(5)], expected, rtol=1e-15)
    assert s.factor(0) == 1.0 and s.factor(4) == pytest.approx(0.1, rel=1e-15)
    assert s.factor(10) == pytest.approx(0.1, rel=1e-15)  # held after the last epoch


def test_cosine_to_zero_keeps_a_positive_rate():
    s = CosineSchedule(total_epochs=3)
    assert s.factor(1) == pytest.approx(0.5, rel=1e-15)
    assert 0 < s.factor(2) <= 1e-12
    opt = _opt()
    assert s(opt, 2) > 0 and opt.lr > 0


def test_cosine_single_epoch():
    assert CosineSchedule(total_epochs=1).factor(0) == 1.0


def test_step_factors():
    s = StepSchedule(step_size=3, gamma=0.5)
    assert [s.factor(e) for e in range(7)] == [1, 1, 1, 0.5, 0.5, 0.5, 0.25]


def test_linear_factors():
    s = LinearSchedule(total_epochs=5, end_factor=0.2, start_factor=1.0)
    np.testing.assert_allclose([s.factor(e) for e in range(6)], [1.0, 0.8, 0.6, 0.4, 0.2, 0.2],
                               rtol=1e-14)
    np.testing.assert_allclose([LinearSchedule(2, end_factor=2.0, start_factor=0.5).factor(e)
                                for e in range(2)], [0.5, 2.0])


@pytest.mark.parametrize("schedule", [CosineSchedule(4), StepSchedule(2, 0.1),
                                      LinearSchedule(4, 0.25)])
def test_call_sets_lr_from_initial_lr(schedule):
    opt = _opt(0.4)
    for epoch in (0, 2, 3, 2):
        lr = schedule(opt, epoch)
        assert lr == opt.lr == 0.4 * schedule.factor(epoch)
        assert opt.initial_lr == 0.4
    assert schedule(opt, 1) == schedule(opt, 1)  # a function of the epoch only


def test_call_validates_epoch():
    opt = _opt()
    with pytest.raises(ValueError, match="epoch must be >= 0"):
        StepSchedule(2)(opt, -1)
    with pytest.raises(TypeError, match="epoch must be an int"):
        StepSchedule(2)(opt, 1.0)
    with pytest.raises(NotImplementedError):
        Schedule().factor(0)


@pytest.mark.parametrize("factory, match", [
    (lambda: CosineSchedule(0), "total_epochs must be >= 1"),
    (lambda: CosineSchedule(3, min_factor=-0.1), "min_factor must be finite and >= 0"),
    (lambda: StepSchedule(0), "step_size must be >= 1"),
    (lambda: StepSchedule(2, gamma=0.0), "gamma must be finite and > 0"),
    (lambda: LinearSchedule(3, end_factor=0.0), "end_factor must be finite and > 0"),
    (lambda: LinearSchedule(3, start_factor=-1.0), "start_factor must be finite and > 0"),
])
def test_bad_arguments(factory, match):
    with pytest.raises(ValueError, match=match):
        factory()


def test_fit_applies_the_schedule_before_each_epoch(tiny_digits):
    Xtr, ytr, _, _ = tiny_digits
    model = bc.layers.Sequential(bc.layers.Dense(64, 10, rng=0))
    opt = bc.optim.SGD(model.parameters(), lr=0.2)
    seen = []

    class LrSpy:
        def on_epoch_begin(self, epoch):
            seen.append(opt.lr)

    bc.fit(model, bc.losses.SoftmaxCrossEntropy(), opt, (Xtr, ytr), epochs=4, batch_size=128,
           schedule=StepSchedule(1, 0.5), callbacks=[LrSpy()], progress=False)
    assert seen == [0.2 * 0.5**e for e in range(4)]
