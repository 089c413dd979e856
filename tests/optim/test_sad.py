"""SAD (docs/ovsw.md, "SAD"): hand-computed runs, timing of silence, errors, and hypothesis
invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from ovsw_cases import (
    PROPERTY,
    bin_param,
    run_ags,
    sad_run,
)

from bnncore.optim import AGS, SAD


def _sad_calls(sad, p, sequence, grads=None):
    """Set ``p.data`` to each entry of ``sequence`` and call SAD; return the new grads."""
    out = []
    for k, w in enumerate(sequence):
        p.data[...] = w
        p.grad[...] = 0.0 if grads is None else grads[k]
        sad([p])
        out.append(p.grad.copy())
    return out


def test_sad_hand_computed_three_steps():
    # m = 0.5, sigma = 0.2: s after each call, with f = flips since the previous call
    # call 0: f = 000, s = (0, 0, 0)        call 1: f = 100, s = (0.5, 0, 0)
    # call 2: f = 010, s = (0.25, 0.5, 0)   call 3: f = 100, s = (0.625, 0.25, 0)
    seq = [[[1.0, -1.0, 2.0]], [[-1.0, -1.0, 2.0]], [[-1.0, 1.0, 2.0]], [[1.0, 1.0, 2.0]]]
    p = bin_param(np.array(seq[0]))
    sad = SAD(0.5, momentum=0.5, threshold=0.2)
    emas, masks = [], []
    for w in seq:
        p.data[...] = w
        p.grad[...] = 0.0
        sad([p])
        emas.append(sad.ema("w")[0].tolist())
        masks.append(sad.silent_mask("w")[0].tolist())
    assert emas == [[0, 0, 0], [0.5, 0, 0], [0.25, 0.5, 0], [0.625, 0.25, 0]]
    assert masks == [[True] * 3, [False, True, True], [False, False, True],
                     [False, False, True]]
    assert sad.flip_log == [0, 1, 1, 1]
    np.testing.assert_array_equal(p.grad, [[0.0, 0.0, 1.0]])   # gamma * w on the silent one
    np.testing.assert_allclose(sad.silent_log, [1.0, 2 / 3, 1 / 3, 1 / 3], rtol=1e-15)


def test_sad_hand_computed_with_default_momentum():
    seq = [[[0.5]], [[-0.5]], [[-0.5]], [[-0.5]]]
    p = bin_param(np.array(seq[0]))
    sad = SAD(0.0)
    emas = []
    for w in seq:
        p.data[...] = w
        sad([p])
        emas.append(float(sad.ema("w")[0, 0]))
    np.testing.assert_allclose(emas, [0.0, 1e-3, 0.999e-3, 0.999 ** 2 * 1e-3], rtol=1e-12)


def test_sad_gamma_zero_is_the_identity(rng):
    p = bin_param(rng.standard_normal((4, 5)))
    sad = SAD(0.0)
    for _ in range(4):
        p.data[...] = rng.standard_normal(p.shape)
        g = rng.standard_normal(p.shape)
        p.grad[...] = g
        sad([p])
        np.testing.assert_array_equal(p.grad, g)
    assert len(sad.silent_log) == len(sad.flip_log) == 4
    assert sum(sad.flip_log) > 0


def test_sad_first_call_decays_everything(rng):
    w, g = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    p = bin_param(w.copy(), g)
    sad = SAD(0.3)
    sad([p])
    assert sad.flip_log == [0] and sad.silent_log == [1.0]
    assert sad.silent_mask("w").all()
    np.testing.assert_array_equal(p.grad, g + 0.3 * w)


def test_sad_dyadic_difference_is_exactly_gamma_w():
    w = np.array([[0.5, -0.25], [1.5, -2.0]])
    g = np.array([[0.125, 0.0625], [-1.0, 2.0]])
    p = bin_param(w.copy(), g)
    SAD(0.5)([p])
    np.testing.assert_array_equal(p.grad - g, 0.5 * w)


def test_sad_resilence_timing():
    p = bin_param(np.array([[1.0]]))
    sad = SAD(0.0)
    n0 = 3
    silent = []
    for call in range(n0 + 2303):
        p.data[0, 0] = 1.0 if call < n0 else -1.0     # one flip, seen at call n0
        sad([p])
        silent.append(bool(sad.silent_mask("w")[0, 0]))
    assert all(silent[:n0])
    assert not any(silent[n0:n0 + 2302])
    assert silent[n0 + 2302]


def test_sad_init_ones_first_silent_call_is_9205():
    p = bin_param(np.array([[1.0]]))
    sad = SAD(0.0, init="ones")
    first = None
    for call in range(9300):
        sad([p])
        if sad.silent_mask("w")[0, 0]:
            first = call
            break
    assert first == 9205


def test_sad_ema_bounds_and_gamma_independence(rng):
    p1, p2 = bin_param(np.zeros((5, 6))), bin_param(np.zeros((5, 6)))
    s1, s2 = SAD(0.0, momentum=0.5, init="ones"), SAD(0.7, momentum=0.5, init="ones")
    for _ in range(30):
        w = rng.standard_normal((5, 6))
        p1.data[...], p2.data[...] = w, w
        s1([p1])
        s2([p2])
        e = s1.ema("w")
        assert np.all((e >= 0) & (e <= 1))
        np.testing.assert_array_equal(e, s2.ema("w"))


def test_sad_changes_only_silent_entries(rng):
    p = bin_param(rng.standard_normal((6, 7)))
    sad = SAD(0.3)
    sad([p])
    p.data[:3] *= -1                                  # rows 0-2 flip: not silent at the next call
    g = rng.standard_normal(p.shape)
    p.grad[...] = g
    sad([p])
    silent = sad.silent_mask("w")
    assert silent[3:].all() and not silent[:3].any()
    np.testing.assert_array_equal(p.grad[~silent], g[~silent])
    np.testing.assert_array_equal(p.grad[silent], g[silent] + 0.3 * p.data[silent])


def test_ags_then_sad_does_not_rescale_the_sad_term(rng):
    p = bin_param(rng.standard_normal((6, 7)))
    ags, sad = AGS(0.04), SAD(0.3)
    p.grad[...] = 0.0
    sad([p])                                          # first call; state established
    p.data[:2] *= -1
    g = 1e-3 * rng.standard_normal(p.shape)
    expected_ags = run_ags(p.data, g, 0.04)
    p.grad[...] = g
    ags([p])
    sad([p])
    silent = sad.silent_mask("w")
    assert silent.any() and not silent.all()
    np.testing.assert_array_equal(p.grad[~silent], expected_ags[~silent])
    np.testing.assert_array_equal(p.grad[silent],
                                  expected_ags[silent] + 0.3 * p.data[silent])


def test_sad_flip_detection_uses_sign_zero_plus_one():
    p = bin_param(np.array([[-0.1, 0.1]]))
    sad = SAD(0.0)
    sad([p])
    p.data[...] = 0.0
    sad([p])
    assert sad.flip_log == [0, 1]
    np.testing.assert_array_equal(sad.silent_mask("w"), [[False, True]])


@pytest.mark.parametrize("value", [0.0, 1.0, -0.5, 1.5, np.nan])
def test_sad_bad_momentum(value):
    with pytest.raises(ValueError, match="momentum"):
        SAD(momentum=value)


@pytest.mark.parametrize("value", [0.0, -1e-4, np.nan, np.inf])
def test_sad_bad_threshold(value):
    with pytest.raises(ValueError, match="threshold"):
        SAD(threshold=value)


@pytest.mark.parametrize("value", [-1e-3, np.nan, np.inf])
def test_sad_bad_gamma(value):
    with pytest.raises(ValueError, match="gamma"):
        SAD(gamma=value)


@pytest.mark.parametrize("arg", ["gamma", "momentum", "threshold"])
@pytest.mark.parametrize("value", [True, "0.5"])
def test_sad_bool_or_string_is_a_type_error(arg, value):
    with pytest.raises(TypeError, match=arg):
        SAD(**{arg: value})


def test_sad_bad_init():
    with pytest.raises(ValueError, match="init"):
        SAD(init="random")


def test_sad_shape_change_is_an_error(rng):
    p = bin_param(rng.standard_normal((3, 4)))
    sad = SAD()
    sad([p])
    p.data, p.grad = np.ones((4, 3)), np.zeros((4, 3))
    with pytest.raises(ValueError, match="changed shape"):
        sad([p])


@pytest.mark.parametrize("where", ["data", "grad"])
def test_sad_non_finite_input_names_the_parameter(rng, where):
    p = bin_param(rng.standard_normal((3, 4)), name="3.weight")
    getattr(p, where)[1, 2] = np.nan
    with pytest.raises(ValueError, match="3.weight"):
        SAD()([p])


def test_sad_unknown_name_is_a_key_error(rng):
    sad = SAD()
    sad([bin_param(rng.standard_normal((2, 2)))])
    with pytest.raises(KeyError, match="w"):
        sad.silent_mask("nope")
    with pytest.raises(KeyError):
        sad.ema("nope")
    sad.reset()
    assert sad.silent_log == [] and sad.flip_log == []
    with pytest.raises(KeyError):
        sad.ema("w")


# -- hypothesis invariants ------------------------------------------------------------

@PROPERTY
@given(sad_run())
def test_property_sad_modifies_only_silent_entries_by_gamma_w(run):
    ws, grads, gamma, momentum, init = run
    p = bin_param(ws[0].copy())
    sad = SAD(gamma, momentum=momentum, init=init)
    for w, g in zip(ws, grads):
        p.data[...] = w
        p.grad[...] = g
        sad([p])
        silent = sad.silent_mask("w")
        np.testing.assert_array_equal(p.grad[~silent], g[~silent])
        np.testing.assert_array_equal(p.grad[silent], g[silent] + gamma * w[silent])
        np.testing.assert_array_equal(p.data, w)       # never touches the weights
        e = sad.ema("w")
        assert np.all((e >= 0) & (e <= 1))


@PROPERTY
@given(sad_run())
def test_property_sad_gamma_zero_is_identity(run):
    ws, grads, _, momentum, init = run
    p = bin_param(ws[0].copy())
    sad = SAD(0.0, momentum=momentum, init=init)
    for w, g in zip(ws, grads):
        p.data[...] = w
        p.grad[...] = g
        sad([p])
        np.testing.assert_array_equal(p.grad, g)
    assert len(sad.flip_log) == len(ws)
