"""Invariants of GFT training as property tests over random shapes, modes, gates, seeds."""

from __future__ import annotations

import numpy as np
from gft_cases import labels_for, pm1, snapshot
from hypothesis import given, settings
from hypothesis import strategies as st

from bnncore.gft import FullyBinaryMLP, GFTTrainer
from bnncore.gft.rule import flip_scores, output_error, propagate, vote

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)


@st.composite
def setups(draw, budgets=True):
    n_layers = draw(st.integers(1, 3))
    sizes = [draw(st.integers(1, 9)) for _ in range(n_layers)]
    output = draw(st.sampled_from(["multiclass", "binary"]))
    sizes.append(1 if output == "binary" else draw(st.integers(2, 5)))
    if budgets:
        k0 = draw(st.one_of(st.integers(0, 6), st.sampled_from([0.0, 0.1, 0.5, 1.0])))
        k_min = draw(st.sampled_from([0, 0.0])) if draw(st.booleans()) else k0
    else:
        k0 = k_min = 0
    kwargs = {
        "k0": k0, "k_min": k_min,
        "schedule": draw(st.sampled_from(["linear", "constant"])),
        "total_steps": draw(st.integers(1, 8)),
        "margin": draw(st.integers(0, 4)),
        "gate": draw(st.sampled_from(["none", "window", "flip"])),
        "packed": draw(st.booleans()),
        "rng": draw(st.integers(0, 10**6)),
    }
    bias = draw(st.booleans())
    batch = draw(st.integers(1, 7))
    seed = draw(st.integers(0, 10**6))
    return tuple(sizes), output, bias, kwargs, batch, seed


def _make(setup):
    sizes, output, bias, kwargs, batch, seed = setup
    net = FullyBinaryMLP(sizes, output=output, bias=bias, rng=seed)
    largest = max(i * o for i, o in zip(sizes[:-1], sizes[1:]))
    if isinstance(kwargs["k0"], int) and kwargs["k0"] > largest:
        kwargs = dict(kwargs, k0=largest, k_min=min(kwargs["k_min"], largest))
    return net, GFTTrainer(net, **kwargs)


def _batches(net, batch, seed, n=6):
    for s in range(n):
        yield pm1((batch, net.sizes[0]), seed + s), labels_for(net, batch, seed + 100 + s)


def _pre_step_sigma(tr, x, y):
    """sigma of every layer recomputed from the pre-step state with the rule functions."""
    net = tr.model
    xs, vs = net.forward_all(x, packed=False)
    D = [None] * net.n_layers
    D[-1] = output_error(vs[-1], y, output=net.output, margin=tr.margin)
    for layer in reversed(range(1, net.n_layers)):
        D[layer - 1] = propagate(D[layer], net.weights[layer], xs[layer], vs[layer - 1],
                                 gate=tr.gate, tau=tr._taus[layer - 1])
    return [flip_scores(W, vote(d, xx)) for W, d, xx in zip(net.weights, D, xs)]


@SETTINGS
@given(setups())
def test_weights_pm1_int8_biases_bounded_and_flips_within_budget(setup):
    net, tr = _make(setup)
    total = 0
    for x, y in _batches(net, setup[4], setup[5]):
        before, _ = snapshot(net)
        sigma = _pre_step_sigma(tr, x, y)
        stats = tr.step(x, y)
        for layer, (w0, w1) in enumerate(zip(before, net.weights)):
            assert w1.dtype == np.int8 and np.isin(w1, (-1, 1)).all()          # (1)
            changed = w0 != w1
            assert stats.flips[layer] == int(changed.sum())
            assert stats.selected[layer] == min(stats.k[layer], stats.candidates[layer])
            assert stats.flips[layer] <= stats.selected[layer] <= stats.k[layer]   # (3)
            if stats.k[layer] >= 1 and stats.candidates[layer] >= 1:
                assert stats.flips[layer] >= 1                                  # (3)
            assert (sigma[layer][changed] > 0).all()                            # (7)
            assert stats.candidates[layer] == int((sigma[layer] > 0).sum())
            total += int(changed.sum())
        if net.biases is not None:
            for layer, b in enumerate(net.biases):
                assert np.abs(b).max() <= net.sizes[layer]                      # (1)
    assert tr.total_flips == total                                             # (8)


@SETTINGS
@given(setups(budgets=False))
def test_zero_budget_changes_nothing(setup):
    net, tr = _make(setup)
    w0, b0 = snapshot(net)
    for x, y in _batches(net, setup[4], setup[5], n=3):
        assert tr.step(x, y).flips == (0,) * net.n_layers                      # (2)
    X = np.concatenate([x for x, _ in _batches(net, 4, 9)])
    Y = np.concatenate([y for _, y in _batches(net, 4, 9)])
    h = tr.fit((X, Y), epochs=2, batch_size=5, progress=False)
    assert h.extra["flips"] == [0, 0] and h.extra["bias_updates"] == [0, 0]
    for a, b in zip(w0, net.weights):
        np.testing.assert_array_equal(a, b)
    if b0 is not None:
        for a, b in zip(b0, net.biases):
            np.testing.assert_array_equal(a, b)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(setups())
def test_same_seeds_same_everything_packed_or_not(setup):
    sizes, output, bias, kwargs, batch, seed = setup
    X = np.concatenate([pm1((batch, sizes[0]), seed + s) for s in range(3)])
    runs = []
    for packed in (True, False, True):
        net, tr = _make((sizes, output, bias, dict(kwargs, packed=packed, total_steps=None,
                                                    record_steps=True), batch, seed))
        Y = labels_for(net, X.shape[0], seed)
        h = tr.fit((X, Y), epochs=2, batch_size=max(1, batch // 2), progress=False)
        d = h.to_dict()
        d.pop("seconds")
        runs.append((snapshot(net), d))
    (w, b), d = runs[0]
    for (w2, b2), d2 in runs[1:]:                                              # (4)
        assert d2 == d
        for x1, x2 in zip(w, w2):
            np.testing.assert_array_equal(x1, x2)
        if b is not None:
            for x1, x2 in zip(b, b2):
                np.testing.assert_array_equal(x1, x2)


@SETTINGS
@given(st.integers(1, 3), st.integers(1, 8), st.integers(1, 6), st.integers(0, 10**6),
       st.sampled_from(["none", "window", "flip"]), st.booleans())
def test_no_flagged_output_means_no_update(n_layers, width, batch, seed, gate, bias):
    sizes = (width,) * n_layers + (1,)
    net = FullyBinaryMLP(sizes, output="binary", bias=bias, rng=seed)
    tr = GFTTrainer(net, k0=1.0, k_min=1.0, schedule="constant", gate=gate, rng=seed)
    x = pm1((batch, width), seed)
    w0, b0 = snapshot(net)
    stats = tr.step(x, net.predict(x))        # all correct, margin 0: D^(L) = 0    (6)
    assert stats.n_error_entries == 0 and sum(stats.flips) == sum(stats.bias_updates) == 0
    for a, b in zip(w0, net.weights):
        np.testing.assert_array_equal(a, b)


def test_no_flagged_output_multiclass():
    net = FullyBinaryMLP((5, 2), rng=0)
    w = net.weights[0][0]
    net.weights[0] = np.stack([w, -w])        # v1 = -v0, odd fan-in: never a tie
    x = pm1((16, 5), 1)
    tr = GFTTrainer(net, k0=1.0, schedule="constant", rng=0)
    stats = tr.step(x, net.predict(x))
    assert stats.n_error_entries == 0 and stats.flips == (0,)


def test_smallest_shapes_work():
    # L = 1, B = 1, O_L = 2, I = 1                                                   (9)
    net = FullyBinaryMLP((1, 2), rng=0)
    tr = GFTTrainer(net, k0=1, k_min=0, rng=0)
    x = np.array([[1]])
    y = np.array([1 if net.predict(x)[0] == 0 else 0])     # the wrong class
    h = tr.fit((x, y), epochs=3, batch_size=1, progress=False)
    # train_accuracy is measured before each step: wrong at first, right after one flip
    assert h.extra["flips"][0] == 1 and h.train_accuracy == [0.0, 1.0, 1.0]
    assert tr.evaluate((x, y))["accuracy"] == 1.0
    assert net.predict(x)[0] == y[0]
    binary = FullyBinaryMLP((1, 1), output="binary", rng=0)
    stats = GFTTrainer(binary, k0=1, schedule="constant", rng=0).step(
        np.array([[1]]), -binary.predict(np.array([[1]])))
    assert stats.flips == (1,)
