"""FlipTracker (docs/ovsw.md, "FlipTracker"): scripted flips, totals, histograms, agreement
with SAD, export, plots, errors, and hypothesis invariants."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

import bnncore as bc
from bnncore import quantizers
from bnncore.diagnostics import FlipTracker
from bnncore.optim import SAD, SGD
from bnncore.optim.ags import channel_ratios
from bnncore.params import Parameter

PROPERTY = settings(max_examples=100, deadline=None, derandomize=True)

# A scripted 5-step run of two binarized weights (A: dense (2, 3), B: conv-like (2, 1, 1, 2)).
A = [[[1.0, -1.0, 2.0], [0.0, -0.5, 3.0]],
     [[-1.0, -1.0, 2.0], [0.0, -0.5, 3.0]],      # step 0: (0,0)                  -> 1
     [[-1.0, 1.0, -2.0], [0.0, -0.5, 3.0]],      # step 1: (0,1) (0,2)            -> 2
     [[-1.0, 1.0, -2.0], [-1.0, 0.0, 3.0]],      # step 2: 0 -> -1, -0.5 -> 0.0    -> 2
     [[-1.0, 1.0, -2.0], [-1.0, 0.0, 3.0]],      # step 3: nothing                -> 0
     [[1.0, 1.0, -2.0], [-1.0, 0.0, -3.0]]]      # step 4: (0,0) (1,2)            -> 2
B = [[0.5, -0.5, 1.0, 1.0],
     [0.5, -0.5, 1.0, 1.0],                      # step 0                         -> 0
     [-0.5, -0.5, 1.0, 1.0],                     # step 1                         -> 1
     [-0.5, -0.5, 1.0, 1.0],                     # step 2                         -> 0
     [-0.5, -0.5, -1.0, -1.0],                   # step 3                         -> 2
     [0.5, -0.5, -1.0, -1.0]]                    # step 4                         -> 1


def _bin(data, name):
    return Parameter(np.array(data, dtype=np.float64), name, quantizers.get("ste"))


def _scripted(epoch_ends=(2,)):
    a, b = _bin(A[0], "a"), _bin(np.reshape(B[0], (2, 1, 1, 2)), "b")
    others = [Parameter(np.ones(3), "bias"), Parameter(np.ones((2, 3)), "float")]
    tracker = FlipTracker([a, others[0], b, others[1]])
    tracker.on_train_begin(None)
    for t in range(5):
        a.data[...] = A[t + 1]
        b.data[...] = np.reshape(B[t + 1], b.shape)
        a.grad[...], b.grad[...] = t + 1.0, -(t + 1.0)
        tracker.on_step_end(t + 1)
        if t + 1 in epoch_ends:
            tracker.on_epoch_end(0, None)
    tracker.end_epoch()
    return tracker, a, b


def test_scripted_flips_per_step():
    tracker, _, _ = _scripted()
    assert tracker.names == ["a", "b"] and tracker.n_tracked == 10 and tracker.steps == 5
    assert tracker.per_param_flips_per_step == {"a": [1, 2, 2, 0, 2], "b": [0, 1, 0, 2, 1]}
    assert tracker.flips_per_step == [1, 3, 2, 2, 3]
    np.testing.assert_allclose(tracker.flip_ratio_per_step, [0.1, 0.3, 0.2, 0.2, 0.3])


def test_scripted_per_weight_records():
    tracker, _, _ = _scripted()
    np.testing.assert_array_equal(tracker.flip_count["a"], [[2, 1, 1], [1, 1, 1]])
    np.testing.assert_array_equal(tracker.flip_count["b"].ravel(), [2, 0, 1, 1])
    np.testing.assert_array_equal(tracker.first_flip_step["a"], [[0, 1, 1], [2, 2, 4]])
    np.testing.assert_array_equal(tracker.first_flip_step["b"].ravel(), [1, -1, 3, 3])
    assert tracker.flip_count["a"].dtype == np.int32
    assert tracker.first_flip_step["a"].dtype == np.int64
    np.testing.assert_array_equal(tracker.init_values["a"], A[0])
    assert tracker.never_flipped_fraction() == pytest.approx(0.1)
    assert tracker.never_flipped_fraction("a") == 0.0
    assert tracker.never_flipped_fraction("b") == 0.25


def test_totals_agree():
    tracker, _, _ = _scripted()
    total = sum(int(c.sum()) for c in tracker.flip_count.values())
    assert total == sum(tracker.flips_per_step) == 11
    for name in tracker.names:
        np.testing.assert_array_equal(tracker.ever_flipped[name], tracker.flip_count[name] > 0)
        np.testing.assert_array_equal(tracker.first_flip_step[name] >= 0,
                                      tracker.ever_flipped[name])


def test_histograms():
    tracker, _, _ = _scripted()
    np.testing.assert_array_equal(tracker.flip_count_histogram(), [1, 7, 2])
    np.testing.assert_array_equal(tracker.flip_count_histogram(max_count=1), [1, 9])
    np.testing.assert_array_equal(tracker.flip_count_histogram("b", max_count=3), [1, 2, 1, 0])
    for at in ("init", "final"):
        edges, counts_all, counts_never = tracker.weight_histogram(bins=7, at=at)
        assert edges.shape == (8,)
        assert counts_all.sum() == tracker.n_tracked
        assert counts_never.sum() == 1
        assert np.all(counts_never <= counts_all)
    edges, _, counts_never = tracker.weight_histogram(at="init", bins=2, range=(-1.0, 1.0))
    np.testing.assert_array_equal(edges, [-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(counts_never, [1, 0])    # b's never-flipped -0.5


def test_never_flipped_by_magnitude():
    a = _bin(np.arange(1.0, 11.0).reshape(2, 5), "a")        # |w_0| = 1..10
    tracker = FlipTracker([a])
    tracker.start([a])
    a.data[...] = np.where(a.data <= 5, -a.data, a.data)      # the five smallest flip
    tracker.update()
    edges, fractions = tracker.never_flipped_by_magnitude(n_bins=2)
    np.testing.assert_allclose(edges, [1.0, 5.5, 10.0])
    np.testing.assert_array_equal(fractions, [0.0, 1.0])


def test_epoch_flip_ratio_is_the_mean_of_its_steps():
    tracker, _, _ = _scripted(epoch_ends=(2,))
    np.testing.assert_allclose(tracker.epoch_flip_ratio, [0.2, (0.2 + 0.2 + 0.3) / 3])
    assert tracker.epoch_end_step == [2, 5]
    assert tracker.epoch_never_flipped_fraction[-1] == pytest.approx(0.1)
    assert len(tracker.epoch_silent_fraction) == 2


def test_grad_ratio_uses_weights_before_the_step():
    tracker, _, _ = _scripted()
    for t in range(5):
        expected = channel_ratios(np.array(A[t]), np.full((2, 3), t + 1.0))
        np.testing.assert_array_equal(tracker.grad_ratio_per_step["a"][t], expected)


def test_unchanged_weights_never_flip(rng):
    p = _bin(rng.standard_normal((4, 4)), "w")
    tracker = FlipTracker([p])
    tracker.start([p])
    for _ in range(6):
        tracker.update()
    assert tracker.flips_per_step == [0] * 6
    assert tracker.never_flipped_fraction() == 1.0
    assert tracker.silent_fraction() == 1.0
    assert tracker.flip_count_histogram().tolist() == [16]


def test_ema_follows_the_sad_rule():
    tracker, _, _ = _scripted()
    m = 0.999
    # weight a[0, 0] flips at steps 0 and 4
    expected = ((1 - m) * m ** 3 * m) + (1 - m)
    assert tracker.ema["a"][0, 0] == pytest.approx(expected, rel=1e-14)
    assert tracker.silent_fraction_per_step["b"][0] == 1.0
    assert tracker.silent_fraction_per_step["b"][-1] == 0.25
    e = np.concatenate([v.ravel() for v in tracker.ema.values()])
    assert np.all((e >= 0) & (e <= 1))


def test_tracker_agrees_with_sad_during_fit(tiny_digits):
    Xtr, ytr, _, _ = tiny_digits
    model = bc.models.mlp("ste", hidden=(32, 32), channel_scale=True, rng=0)
    tracker, sad = FlipTracker(), SAD(1e-2)
    checked = []

    def compare(params):                      # runs after SAD: SAD call t+1 vs tracker step t
        for name in tracker.names:
            np.testing.assert_array_equal(sad.ema(name), tracker.ema[name])
            np.testing.assert_array_equal(sad.silent_mask(name), ~tracker.ever_flipped[name])
        checked.append(sad.flip_log[-1])

    opt = SGD(model.parameters(), lr=0.2, momentum=0.9, transforms=[sad, compare])
    bc.fit(model, bc.losses.SoftmaxCrossEntropy(), opt, (Xtr, ytr), epochs=3, batch_size=32,
           callbacks=[tracker], progress=False)
    assert len(checked) == tracker.steps == 24
    assert sum(checked) > 0 and tracker.never_flipped_fraction() < 1.0   # flips happened
    assert sad.flip_log[1:] == tracker.flips_per_step[:-1]


def test_tracker_takes_the_model_from_fit_or_the_constructor(tiny_digits):
    Xtr, ytr, _, _ = tiny_digits
    model = bc.models.mlp("ste", hidden=(16, 16, 16), rng=0)
    a, b = FlipTracker(), FlipTracker(model)
    opt = SGD(model.parameters(), lr=0.1)
    bc.fit(model, bc.losses.SoftmaxCrossEntropy(), opt, (Xtr, ytr), epochs=2,
           callbacks=[a, b], progress=False)
    assert a.names == b.names == ["3.weight", "6.weight"]
    assert a.flips_per_step == b.flips_per_step and a.steps == 8
    assert len(a.epoch_flip_ratio) == 2


def test_to_dict_is_json():
    tracker, _, _ = _scripted()
    d = json.loads(json.dumps(tracker.to_dict(), allow_nan=False))
    assert d["flips_per_step"] == [1, 3, 2, 2, 3]
    assert d["flip_count"]["a"] == [[2, 1, 1], [1, 1, 1]]
    assert d["never_flipped_fraction"] == pytest.approx(0.1)
    assert len(d["grad_ratio_per_step"]["b"]) == 5


def test_to_dict_maps_an_empty_epoch_to_none(rng):
    p = _bin(rng.standard_normal((2, 2)), "w")
    tracker = FlipTracker([p])
    tracker.start([p])
    tracker.end_epoch()
    assert json.loads(json.dumps(tracker.to_dict(), allow_nan=False))["epoch_flip_ratio"] == [None]


def test_plot_has_four_axes():
    tracker, _, _ = _scripted()
    fig = tracker.plot(title="scripted")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 4
    assert fig.axes[0].get_yscale() == "log"


def test_histogram_docstrings_say_reconstructed():
    assert "reconstructed" in FlipTracker.weight_histogram.__doc__
    assert "reconstructed" in FlipTracker.flip_count_histogram.__doc__


def test_flip_tracker_has_one_home():
    assert bc.diagnostics.FlipTracker is FlipTracker
    assert not hasattr(bc.optim, "FlipTracker")       # no re-export from optim


# -- errors ------------------------------------------------------------------------------

def test_update_before_start():
    with pytest.raises(RuntimeError, match="start"):
        FlipTracker().update()
    with pytest.raises(RuntimeError, match="start"):
        FlipTracker().never_flipped_fraction()


def test_shape_change(rng):
    p = _bin(rng.standard_normal((2, 3)), "w")
    tracker = FlipTracker([p])
    tracker.start([p])
    p.data = np.ones((3, 2))
    with pytest.raises(ValueError, match="changed shape"):
        tracker.update()


def test_unknown_name_lists_the_tracked_names():
    tracker, _, _ = _scripted()
    for query in (tracker.never_flipped_fraction, tracker.silent_fraction,
                  tracker.flip_count_histogram, tracker.weight_histogram,
                  tracker.never_flipped_by_magnitude):
        with pytest.raises(KeyError, match=r"\['a', 'b'\]"):
            query("nope")


@pytest.mark.parametrize("kwargs", [{"at": "middle"}, {"bins": 0}])
def test_bad_histogram_arguments(kwargs):
    tracker, _, _ = _scripted()
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        tracker.weight_histogram(**kwargs)


def test_bad_n_bins():
    tracker, _, _ = _scripted()
    with pytest.raises(ValueError, match="n_bins"):
        tracker.never_flipped_by_magnitude(n_bins=0)


@pytest.mark.parametrize("kwargs, match", [({"momentum": 1.0}, "momentum"),
                                           ({"momentum": 0.0}, "momentum"),
                                           ({"threshold": 0.0}, "threshold"),
                                           ({"threshold": np.nan}, "threshold"),
                                           ({"init": "half"}, "init")])
def test_bad_ema_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        FlipTracker(**kwargs)


def test_nothing_to_track():
    with pytest.raises(ValueError, match="binarized weight"):
        FlipTracker().start(bc.layers.Sequential(bc.layers.Dense(3, 2, rng=0)))


# -- hypothesis invariants ------------------------------------------------------------------

@st.composite
def weight_runs(draw):
    """Two binarized weights moved by random steps (sometimes across zero)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    steps = draw(st.integers(1, 15))
    scale = draw(st.floats(0.01, 2.0))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    shapes = [(draw(st.integers(1, 6)), draw(st.integers(1, 6))),
              (draw(st.integers(1, 4)), 2, draw(st.sampled_from([1, 3])), 3)]
    runs = []
    for shape in shapes:
        w = rng.standard_normal(shape) + np.cumsum(
            scale * rng.standard_normal((steps,) + shape), axis=0)
        w[rng.random(w.shape) < 0.05] = 0.0               # exact zeros: sign(0) = +1
        runs.append(np.concatenate([rng.standard_normal((1,) + shape), w]).astype(dtype))
    return runs, draw(st.sampled_from(["zeros", "ones"]))


@PROPERTY
@given(weight_runs())
def test_property_tracker_invariants(run):
    runs, init = run
    params = [Parameter(r[0].copy(), f"p{i}", quantizers.get("ste")) for i, r in enumerate(runs)]
    tracker = FlipTracker(params, init=init)
    tracker.start(params)
    sad = SAD(0.0, init=init)                 # SAD call t sees the weights after step t - 1
    steps = runs[0].shape[0] - 1
    for t in range(steps):
        sad(params)
        for name in tracker.names:
            if init == "zeros":
                np.testing.assert_array_equal(sad.ema(name), tracker.ema[name])
                np.testing.assert_array_equal(sad.silent_mask(name), ~tracker.ever_flipped[name])
            else:                             # SAD's first call decays once more
                never = ~tracker.ever_flipped[name]
                np.testing.assert_allclose(sad.ema(name)[never],
                                           sad.momentum * tracker.ema[name][never], rtol=1e-12)
        for p, r in zip(params, runs):
            p.data[...] = r[t + 1]
            p.grad[...] = 1.0
        tracker.update()
        for p, r in zip(params, runs):
            expected = int(np.count_nonzero((r[t] >= 0) != (r[t + 1] >= 0)))
            assert tracker.per_param_flips_per_step[p.name][-1] == expected
        for name in tracker.names:
            e = tracker.ema[name]
            assert np.all((e >= 0) & (e <= 1))
            if init == "zeros":
                np.testing.assert_array_equal(e < tracker.threshold, ~tracker.ever_flipped[name])
    assert sum(int(c.sum()) for c in tracker.flip_count.values()) == sum(tracker.flips_per_step)
    assert tracker.flip_count_histogram().sum() == tracker.n_tracked
    _, counts_all, counts_never = tracker.weight_histogram(at="final")
    assert counts_all.sum() == tracker.n_tracked
    n_never = sum(int((~f).sum()) for f in tracker.ever_flipped.values())
    assert counts_never.sum() == n_never and np.all(counts_never <= counts_all)
