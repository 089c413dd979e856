"""AGS and SAD (shared/spec/ovsw.md Sections 1-4 and 7): exact unit tests, the order in the
optimizer step, presets, errors, and hypothesis invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bnncore import quantizers
from bnncore.layers import (
    BatchNorm1d,
    BatchNorm2d,
    BinaryConv2d,
    BinaryDense,
    Conv2d,
    Dense,
    Flatten,
    Sequential,
    Sign,
)
from bnncore.optim import AGS, SAD, SGD, Adam, ovsw
from bnncore.optim.ovsw import channel_ratios, select_targets
from bnncore.params import Parameter

SHAPES = [(8, 5), (4, 3, 3, 3)]
PROPERTY = settings(max_examples=100, deadline=None, derandomize=True)


def _bin(data, grad=None, name="w", pair="ste") -> Parameter:
    p = Parameter(np.asarray(data), name, quantizer=quantizers.get(pair))
    if grad is not None:
        p.grad[...] = grad
    return p


def _norms(x) -> np.ndarray:
    return np.array([np.linalg.norm(row) for row in np.asarray(x, np.float64).reshape(
        x.shape[0], -1)])


def ags_reference(w, g, delta, eps_w=1e-3, eps_g=1e-6) -> np.ndarray:
    """Spec 3.1 channel by channel, written independently of the library."""
    out = np.array(g, dtype=np.float64, copy=True)
    for c in range(w.shape[0]):
        n_g = max(np.linalg.norm(np.asarray(g[c], np.float64)), eps_g)
        n_w = max(np.linalg.norm(np.asarray(w[c], np.float64)), eps_w)
        if n_g / n_w < delta:
            out[c] = out[c] * (delta * n_w / n_g)
    return out


def _ags(w, g, delta, **kw) -> np.ndarray:
    p = _bin(w.copy(), g)
    AGS(delta, **kw)([p])
    return p.grad


def _wg(rng, shape, g_scale=1e-2):
    return rng.standard_normal(shape), g_scale * rng.standard_normal(shape)


# -- Section 1: targeting ----------------------------------------------------------------

def _mlp():
    return Sequential(Dense(6, 8, rng=0), BatchNorm1d(8), Sign(),
                      BinaryDense(8, 5, bias=True, rng=1), BatchNorm1d(5), Sign(),
                      Dense(5, 3, rng=2))


def _cnn():
    return Sequential(Conv2d(1, 4, 3, padding=1, rng=0), BatchNorm2d(4), Sign(),
                      BinaryConv2d(4, 6, 3, padding=1, bias=True, rng=1), BatchNorm2d(6), Sign(),
                      Flatten(), Dense(6 * 5 * 5, 3, rng=2))


@pytest.mark.parametrize("build, expected", [(_mlp, ["3.weight"]), (_cnn, ["3.weight"])])
def test_default_targeting_selects_binary_weights_only(build, expected, rng):
    model = build()
    names = [name for name, _ in select_targets(model.parameters(), None, "test")]
    assert names == expected
    params = model.parameters()
    for p in params:
        p.grad[...] = 1e-4 * rng.standard_normal(p.shape)
    before = {p.name: p.grad.copy() for p in params}
    for transform in (AGS(0.5), SAD(0.5)):
        transform(params)
    for p in params:
        changed = not np.array_equal(p.grad, before[p.name])
        assert changed == (p.name in expected), p.name


@pytest.mark.parametrize("cls", [AGS, SAD])
def test_explicit_1d_parameter_is_refused(cls):
    bias = BinaryDense(4, 3, rng=0).bias
    bias.quantizer = quantizers.get("ste")        # even with a binarizer: 1-D is not a channel
    with pytest.raises(ValueError, match=r"params\[0\].*ndim >= 2"):
        cls(params=[bias])


@pytest.mark.parametrize("cls", [AGS, SAD])
def test_explicit_parameter_without_binarizer_is_refused(cls):
    weight = Dense(4, 3, rng=0).weight
    with pytest.raises(ValueError, match=r"params\[0\].*no binarizer"):
        cls(params=[weight])


def test_explicit_params_are_targeted_exactly(rng):
    a, b = _bin(rng.standard_normal((3, 4))), _bin(rng.standard_normal((3, 4)), name="b")
    for p in (a, b):
        p.grad[...] = 1e-6 * rng.standard_normal(p.shape)
    a_grad, b_grad = a.grad.copy(), b.grad.copy()
    AGS(0.1, params=[a])([b])                         # the call's list is ignored
    assert not np.array_equal(a.grad, a_grad)
    np.testing.assert_array_equal(b.grad, b_grad)


def test_empty_and_duplicate_names_become_param_index(rng):
    ps = [_bin(rng.standard_normal((2, 3)), name=n) for n in ("", "dup", "dup", "ok")]
    names = [name for name, _ in select_targets(ps, None, "test")]
    assert names == ["param0", "param1", "param2", "ok"]
    ags = AGS(0.01)
    ags(ps)
    assert sorted(ags.last_ratio) == sorted(names)


def test_no_binarized_weight_is_an_error():
    model = Sequential(Dense(3, 2, rng=0))
    with pytest.raises(ValueError, match="binarized weight"):
        AGS()(model.parameters())


# -- Section 2: place in the step, presets ---------------------------------------------

def _step_setup(rng):
    w = _bin(rng.standard_normal((4, 6)), 1e-3 * rng.standard_normal((4, 6)))
    bias = Parameter(rng.standard_normal(4), "bias")
    bias.grad[...] = rng.standard_normal(4)
    return w, bias


@pytest.mark.parametrize("wd", [0.0, 1e-2])
def test_one_sgd_step_with_ags_and_sad(rng, wd):
    w, bias = _step_setup(rng)
    w0, g0, b0, bg0 = w.data.copy(), w.grad.copy(), bias.data.copy(), bias.grad.copy()
    lr, delta, gamma = 0.1, 0.04, 0.3
    ags_g = ags_reference(w0, g0, delta)
    opt = SGD([w, bias], lr=lr, weight_decay=wd, transforms=[AGS(delta), SAD(gamma)])
    opt.step()
    silent = np.ones_like(w0, bool)               # first SAD call: everything is silent
    update = (ags_g + gamma * silent * w0) + wd * w0 if wd else ags_g + gamma * silent * w0
    np.testing.assert_allclose(w.data, w0 - lr * update, rtol=1e-12, atol=0)
    expected_bias = b0 - lr * (bg0 + wd * b0) if wd else b0 - lr * bg0
    np.testing.assert_array_equal(bias.data, expected_bias)   # plain SGD, bit for bit


def test_one_step_is_bitwise_in_the_spec_order(rng):
    w, bias = _step_setup(rng)
    w0 = w.data.copy()
    lr, gamma = 0.5, 0.25
    expected_g = _ags(w0, w.grad.copy(), 0.04)
    expected_g = expected_g + gamma * w0
    SGD([w, bias], lr=lr, transforms=[AGS(0.04), SAD(gamma)]).step()
    np.testing.assert_array_equal(w.data, w0 - lr * expected_g)


@pytest.mark.parametrize("opt_cls", [SGD, Adam])
def test_transforms_never_modify_data(rng, opt_cls):
    p = _bin(rng.standard_normal((5, 4)), 1e-3 * rng.standard_normal((5, 4)))
    data = p.data.copy()
    for transform in (AGS(0.5), SAD(0.5)):
        transform([p])
        np.testing.assert_array_equal(p.data, data)
    opt_cls([p], lr=0.1, transforms=ovsw()).step()   # the hook itself accepts the presets
    assert not np.array_equal(p.data, data)


@pytest.mark.parametrize("preset, delta, gamma", [("imagenet", 0.01, 2e-5),
                                                  ("cifar10", 0.04, 9e-4),
                                                  ("digits", 0.04, 1e-2)])
def test_presets_carry_the_table_values(preset, delta, gamma):
    ags, sad = ovsw(preset)
    assert isinstance(ags, AGS) and isinstance(sad, SAD)
    assert (ags.delta, ags.eps_w, ags.eps_g) == (delta, 1e-3, 1e-6)
    assert (sad.gamma, sad.momentum, sad.threshold, sad.init) == (gamma, 0.999, 1e-4, "zeros")


def test_default_preset_and_constructor_defaults_are_digits():
    ags, sad = ovsw()
    assert (ags.delta, sad.gamma) == (0.04, 1e-2)
    assert (AGS().delta, SAD().gamma) == (0.04, 1e-2)


def test_preset_overrides():
    ags, sad = ovsw("imagenet", delta=0.2, eps_w=1e-2, eps_g=1e-5, momentum=0.9,
                    threshold=1e-3, gamma=0.0, init="ones")
    assert (ags.delta, ags.eps_w, ags.eps_g) == (0.2, 1e-2, 1e-5)
    assert (sad.gamma, sad.momentum, sad.threshold, sad.init) == (0.0, 0.9, 1e-3, "ones")


def test_unknown_preset_lists_the_presets():
    with pytest.raises(ValueError, match=r"cifar10.*digits.*imagenet"):
        ovsw("nope")
    with pytest.raises(TypeError, match="lr"):
        ovsw(lr=0.1)


# -- Section 3: AGS, exact unit tests (float64) ---------------------------------------------

@pytest.mark.parametrize("shape", SHAPES)
def test_ags_matches_reference(rng, shape):
    w, g = _wg(rng, shape)
    np.testing.assert_allclose(_ags(w, g, 0.04), ags_reference(w, g, 0.04), rtol=1e-14)


@pytest.mark.parametrize("shape", SHAPES)
def test_ags_never_shrinks_and_keeps_direction(rng, shape):
    w, g = _wg(rng, shape)
    out = _ags(w, g, 0.04)
    before, after = _norms(g), _norms(out)
    assert np.all(after >= before)
    assert np.any(after > before)                     # the test is not vacuous
    G, O = g.reshape(shape[0], -1), out.reshape(shape[0], -1)
    s = after / before
    np.testing.assert_allclose(O, s[:, None] * G, rtol=1e-13)
    cosine = np.einsum("ij,ij->i", G, O) / (before * after)
    np.testing.assert_allclose(cosine, 1.0, rtol=1e-13)


@pytest.mark.parametrize("shape", SHAPES)
def test_ags_is_bitwise_identity_above_the_threshold(rng, shape):
    w, g = _wg(rng, shape)
    g[::2] *= 100                                     # half the channels above delta
    r = channel_ratios(w, g)
    delta = 0.04
    assert np.any(r >= delta) and np.any(r < delta)
    out = _ags(w, g, delta)
    keep = r >= delta
    np.testing.assert_array_equal(out[keep], g[keep])
    assert not np.any(out[~keep] == g[~keep])
    whole = _ags(w, g, float(r.min()))               # delta <= min_c r: nothing changes
    np.testing.assert_array_equal(whole, g)


@pytest.mark.parametrize("shape", SHAPES)
def test_ags_hits_the_threshold_exactly(rng, shape):
    w, g = _wg(rng, shape, g_scale=1e-3)
    delta = 0.04
    scaled = (channel_ratios(w, g) < delta) & (_norms(g) >= 1e-6)
    assert scaled.all()
    out = _ags(w, g, delta)
    ratio = _norms(out) / np.maximum(_norms(w), 1e-3)
    np.testing.assert_allclose(ratio[scaled], delta, rtol=1e-12)


def test_ags_zero_gradient_stays_zero(rng):
    w, g = _wg(rng, (8, 5))
    g[2] = 0.0
    out = _ags(w, g, 0.04)
    assert np.all(out[2] == 0.0)
    assert np.all(np.isfinite(out))


def test_ags_zero_weight_channel_uses_eps_w(rng):
    w, g = _wg(rng, (4, 3, 3, 3))
    delta = 0.04
    w[1] = 0.0
    g[1] *= 2e-5 / np.linalg.norm(g[1])               # 1e-6 <= ||g|| < delta * 1e-3
    out = _ags(w, g, delta)
    np.testing.assert_allclose(np.linalg.norm(out[1]), delta * 1e-3, rtol=1e-12)
    w[2], g[2] = 0.0, 0.0                              # both zero: finite, still zero
    out = _ags(w, g, delta)
    assert np.all(np.isfinite(out)) and np.all(out[2] == 0.0)


def test_ags_gradient_below_eps_g_gets_the_finite_factor(rng):
    # spec 3.1: ||g_c|| < eps_g is multiplied by delta * n_w / eps_g and stays below delta
    w, g = _wg(rng, (3, 4))
    g[0] *= 1e-8 / np.linalg.norm(g[0])
    out = _ags(w, g, 0.04)
    n_w = np.linalg.norm(w[0])
    np.testing.assert_allclose(out[0], g[0] * (0.04 * n_w / 1e-6), rtol=1e-13)
    assert np.linalg.norm(out[0]) / n_w < 0.04


@pytest.mark.parametrize("shape", SHAPES)
def test_ags_is_idempotent(rng, shape):
    w, g = _wg(rng, shape, g_scale=1e-3)
    once = _ags(w, g, 0.04)
    twice = _ags(w, once, 0.04)
    np.testing.assert_allclose(twice, once, rtol=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
def test_ags_channels_are_independent(rng, shape):
    w, g = _wg(rng, shape, g_scale=1e-3)
    out = _ags(w, g, 0.04)
    g2 = g.copy()
    g2[1] *= 7.0
    g2[1, ...] += 1e-3
    out2 = _ags(w, g2, 0.04)
    others = np.arange(shape[0]) != 1
    np.testing.assert_array_equal(out2[others], out[others])
    assert not np.array_equal(out2[1], out[1])


def test_ags_conv_equals_dense_on_the_reshape(rng):
    w, g = _wg(rng, (4, 3, 3, 3), g_scale=1e-3)
    conv = _ags(w, g, 0.04)
    dense = _ags(w.reshape(4, -1), g.reshape(4, -1), 0.04)
    np.testing.assert_array_equal(conv, dense.reshape(w.shape))


def test_ags_leaves_non_targets_untouched(rng):
    layer = BinaryDense(5, 4, bias=True, rng=0)
    norm = BatchNorm1d(4)
    float_dense = Dense(5, 4, rng=1)
    dorefa2 = Parameter(rng.standard_normal((4, 5)), "dorefa2", quantizers.get("dorefa", k=2))
    identity = Parameter(rng.standard_normal((4, 5)), "identity", quantizers.get("identity"))
    params = [layer.weight, layer.bias, *norm.parameters(), *float_dense.parameters(),
              dorefa2, identity]
    for p in params:
        p.grad[...] = 1e-6 * rng.standard_normal(p.shape)
    before = [p.grad.copy() for p in params]
    AGS(0.5)(params)
    assert not np.array_equal(params[0].grad, before[0])
    for p, b in zip(params[1:], before[1:]):
        np.testing.assert_array_equal(p.grad, b, err_msg=p.name)


def test_ags_logs_one_entry_per_call(rng):
    p = _bin(rng.standard_normal((6, 4)))
    ags = AGS(0.04)
    for k in range(3):
        p.grad[...] = 1e-3 * rng.standard_normal(p.shape)
        p.grad[:3] *= 1e4                              # half the channels above delta
        ags([p])
        assert len(ags.ratio_log) == len(ags.scaled_log) == k + 1
    assert ags.scaled_log[-1] == 0.5
    assert ags.last_ratio["w"].dtype == np.float64 and ags.last_ratio["w"].shape == (6,)
    np.testing.assert_allclose(ags.ratio_log[-1], ags.last_ratio["w"].mean(), rtol=1e-15)
    ags.reset()
    assert ags.ratio_log == [] and ags.scaled_log == [] and ags.last_ratio == {}


def test_ags_eps_is_an_alias_of_eps_w():
    assert AGS(0.04, eps=5e-3).eps_w == 5e-3
    with pytest.raises(ValueError, match="eps"):
        AGS(eps=0.0)


def test_ags_float32_keeps_dtype_and_hits_delta(rng):
    w = rng.standard_normal((8, 5)).astype(np.float32)
    g = (1e-3 * rng.standard_normal((8, 5))).astype(np.float32)
    out = _ags(w, g, 0.04)
    assert out.dtype == np.float32
    np.testing.assert_allclose(_norms(out) / _norms(w), 0.04, rtol=1e-5)


def test_channel_ratios_helper():
    w = np.array([[3.0, 4.0], [0.0, 0.0]])
    g = np.array([[0.5, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(channel_ratios(w, g), [0.1, 1e-6 / 1e-3], rtol=1e-15)
    with pytest.raises(ValueError, match="g must have"):
        channel_ratios(w, g[:1])
    with pytest.raises(ValueError, match="ndim >= 2"):
        channel_ratios(w[0], g[0])


@pytest.mark.parametrize("arg", ["delta", "eps_w", "eps_g"])
@pytest.mark.parametrize("value", [0.0, -1e-3, np.nan, np.inf])
def test_ags_bad_numbers(arg, value):
    with pytest.raises(ValueError, match=arg):
        AGS(**{arg: value})


@pytest.mark.parametrize("arg", ["delta", "eps_w", "eps_g"])
@pytest.mark.parametrize("value", [True, "0.04"])
def test_ags_bool_or_string_is_a_type_error(arg, value):
    with pytest.raises(TypeError, match=arg):
        AGS(**{arg: value})


def test_ags_bad_gradients(rng):
    p = _bin(rng.standard_normal((3, 2)), name="layer.weight")
    p.grad = None
    with pytest.raises(ValueError, match="layer.weight.*no gradient"):
        AGS()([p])
    p.grad = np.zeros((2, 3))
    with pytest.raises(ValueError, match="layer.weight.*shape"):
        AGS()([p])
    p.grad = np.zeros((3, 2))
    p.grad[1, 1] = np.nan
    with pytest.raises(ValueError, match="layer.weight.*non-finite"):
        AGS()([p])


def test_ags_error_leaves_every_gradient_unchanged(rng):
    good = _bin(rng.standard_normal((3, 2)), 1e-6 * np.ones((3, 2)), name="good")
    bad = _bin(rng.standard_normal((3, 2)), name="bad")
    bad.grad[0, 0] = np.inf
    with pytest.raises(ValueError, match="bad"):
        AGS()([good, bad])
    np.testing.assert_array_equal(good.grad, 1e-6)


# -- Section 4: SAD --------------------------------------------------------------------------

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
    p = _bin(np.array(seq[0]))
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
    p = _bin(np.array(seq[0]))
    sad = SAD(0.0)
    emas = []
    for w in seq:
        p.data[...] = w
        sad([p])
        emas.append(float(sad.ema("w")[0, 0]))
    np.testing.assert_allclose(emas, [0.0, 1e-3, 0.999e-3, 0.999 ** 2 * 1e-3], rtol=1e-12)


def test_sad_gamma_zero_is_the_identity(rng):
    p = _bin(rng.standard_normal((4, 5)))
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
    p = _bin(w.copy(), g)
    sad = SAD(0.3)
    sad([p])
    assert sad.flip_log == [0] and sad.silent_log == [1.0]
    assert sad.silent_mask("w").all()
    np.testing.assert_array_equal(p.grad, g + 0.3 * w)


def test_sad_dyadic_difference_is_exactly_gamma_w():
    w = np.array([[0.5, -0.25], [1.5, -2.0]])
    g = np.array([[0.125, 0.0625], [-1.0, 2.0]])
    p = _bin(w.copy(), g)
    SAD(0.5)([p])
    np.testing.assert_array_equal(p.grad - g, 0.5 * w)


def test_sad_resilence_timing():
    p = _bin(np.array([[1.0]]))
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
    p = _bin(np.array([[1.0]]))
    sad = SAD(0.0, init="ones")
    first = None
    for call in range(9300):
        sad([p])
        if sad.silent_mask("w")[0, 0]:
            first = call
            break
    assert first == 9205


def test_sad_ema_bounds_and_gamma_independence(rng):
    p1, p2 = _bin(np.zeros((5, 6))), _bin(np.zeros((5, 6)))
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
    p = _bin(rng.standard_normal((6, 7)))
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
    p = _bin(rng.standard_normal((6, 7)))
    ags, sad = AGS(0.04), SAD(0.3)
    p.grad[...] = 0.0
    sad([p])                                          # first call; state established
    p.data[:2] *= -1
    g = 1e-3 * rng.standard_normal(p.shape)
    expected_ags = _ags(p.data, g, 0.04)
    p.grad[...] = g
    ags([p])
    sad([p])
    silent = sad.silent_mask("w")
    assert silent.any() and not silent.all()
    np.testing.assert_array_equal(p.grad[~silent], expected_ags[~silent])
    np.testing.assert_array_equal(p.grad[silent],
                                  expected_ags[silent] + 0.3 * p.data[silent])


def test_sad_flip_detection_uses_sign_zero_plus_one():
    p = _bin(np.array([[-0.1, 0.1]]))
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
    p = _bin(rng.standard_normal((3, 4)))
    sad = SAD()
    sad([p])
    p.data, p.grad = np.ones((4, 3)), np.zeros((4, 3))
    with pytest.raises(ValueError, match="changed shape"):
        sad([p])


@pytest.mark.parametrize("where", ["data", "grad"])
def test_sad_non_finite_input_names_the_parameter(rng, where):
    p = _bin(rng.standard_normal((3, 4)), name="3.weight")
    getattr(p, where)[1, 2] = np.nan
    with pytest.raises(ValueError, match="3.weight"):
        SAD()([p])


def test_sad_unknown_name_is_a_key_error(rng):
    sad = SAD()
    sad([_bin(rng.standard_normal((2, 2)))])
    with pytest.raises(KeyError, match="w"):
        sad.silent_mask("nope")
    with pytest.raises(KeyError):
        sad.ema("nope")
    sad.reset()
    assert sad.silent_log == [] and sad.flip_log == []
    with pytest.raises(KeyError):
        sad.ema("w")


# -- Section 7: hypothesis invariants ----------------------------------------------------------

@st.composite
def weight_and_grad(draw):
    """``(w, g)`` of shape ``(o, i)`` or ``(o, i, k, k)``; float32/float64; some channels
    exactly zero; gradient scales spread over many orders of magnitude."""
    o, i = draw(st.integers(1, 16)), draw(st.integers(1, 16))
    shape = draw(st.sampled_from([(o, i), (o, i, 1, 1), (o, i, 3, 3)]))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    w = rng.standard_normal(shape) * 10.0 ** rng.uniform(-3, 1, (o,) + (1,) * (len(shape) - 1))
    g = rng.standard_normal(shape) * 10.0 ** rng.uniform(-5, 0, (o,) + (1,) * (len(shape) - 1))
    w[rng.random(o) < draw(st.floats(0, 0.5))] = 0.0
    g[rng.random(o) < draw(st.floats(0, 0.5))] = 0.0
    return w.astype(dtype), g.astype(dtype)


DELTAS = st.floats(1e-4, 1.0)


def _rtol(x):
    return 1e-12 if x.dtype == np.float64 else 1e-5


@PROPERTY
@given(weight_and_grad(), DELTAS)
def test_property_ags_never_shrinks_or_turns(wg, delta):
    w, g = wg
    out = _ags(w, g, delta)
    assert out.dtype == g.dtype and np.all(np.isfinite(out))
    G = g.reshape(g.shape[0], -1).astype(np.float64)
    O = out.reshape(g.shape[0], -1).astype(np.float64)
    n_g, n_o = _norms(G), _norms(O)
    assert np.all(n_o >= n_g * (1 - _rtol(g)))
    nz = n_g > 0
    cosine = np.einsum("ij,ij->i", G[nz], O[nz]) / (n_g[nz] * n_o[nz])
    np.testing.assert_allclose(cosine, 1.0, rtol=_rtol(g))


@PROPERTY
@given(weight_and_grad(), DELTAS)
def test_property_ags_identity_above_delta(wg, delta):
    w, g = wg
    keep = channel_ratios(w, g) >= delta
    out = _ags(w, g, delta)
    np.testing.assert_array_equal(out[keep], g[keep])


@PROPERTY
@given(weight_and_grad(), DELTAS)
def test_property_ags_scaled_channels_reach_delta(wg, delta):
    w, g = wg
    scaled = (channel_ratios(w, g) < delta) & (_norms(g) >= 1e-6)
    out = _ags(w, g, delta)
    ratio = _norms(out) / np.maximum(_norms(w), 1e-3)
    np.testing.assert_allclose(ratio[scaled], delta, rtol=_rtol(g))


@PROPERTY
@given(weight_and_grad(), DELTAS)
def test_property_ags_zero_and_idempotent(wg, delta):
    w, g = wg
    assert np.all(_ags(w, np.zeros_like(g), delta) == 0)
    # idempotent on channels that are zero or have ||g_c|| >= eps_g; a channel with
    # 0 < ||g_c|| < eps_g gets the finite factor of spec 3.1 and would be scaled again
    tiny = (_norms(g) > 0) & (_norms(g) < 1e-6)
    g = g.copy()
    g[tiny] = 0.0
    once = _ags(w, g, delta)
    np.testing.assert_allclose(_ags(w, once, delta), once, rtol=_rtol(g), atol=0)


@PROPERTY
@given(weight_and_grad(), DELTAS)
def test_property_ags_conv_equals_reshape(wg, delta):
    w, g = wg
    full = _ags(w, g, delta)
    flat = _ags(w.reshape(w.shape[0], -1), g.reshape(g.shape[0], -1), delta)
    np.testing.assert_array_equal(full, flat.reshape(w.shape))


@st.composite
def sad_run(draw):
    """A short run: a weight with random updates (some flip) and random gradients."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shape = draw(st.sampled_from([(3, 4), (2, 3, 3, 3), (16, 1)]))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    steps = draw(st.integers(1, 12))
    w0 = rng.standard_normal(shape)
    moves = rng.standard_normal((steps,) + shape) * draw(st.floats(0.01, 2.0))
    ws = (w0 + np.cumsum(moves, axis=0)).astype(dtype)
    grads = rng.standard_normal((steps,) + shape).astype(dtype)
    gamma = draw(st.floats(0.0, 1.0))
    momentum = draw(st.sampled_from([0.999, 0.9, 0.5]))
    init = draw(st.sampled_from(["zeros", "ones"]))
    return ws, grads, gamma, momentum, init


@PROPERTY
@given(sad_run())
def test_property_sad_modifies_only_silent_entries_by_gamma_w(run):
    ws, grads, gamma, momentum, init = run
    p = _bin(ws[0].copy())
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
    p = _bin(ws[0].copy())
    sad = SAD(0.0, momentum=momentum, init=init)
    for w, g in zip(ws, grads):
        p.data[...] = w
        p.grad[...] = g
        sad([p])
        np.testing.assert_array_equal(p.grad, g)
    assert len(sad.flip_log) == len(ws)


@PROPERTY
@given(sad_run(), DELTAS)
def test_property_transforms_leave_data_and_untargeted_grads(run, delta):
    ws, grads, gamma, momentum, init = run
    target = _bin(ws[0].copy())
    bias = Parameter(np.ones(ws.shape[1], ws.dtype), "bias")
    float_w = Parameter(np.ones(ws.shape[1:], ws.dtype), "float")
    transforms = [AGS(delta), SAD(gamma, momentum=momentum, init=init)]
    for w, g in zip(ws, grads):
        target.data[...] = w
        target.grad[...] = g
        for p in (bias, float_w):
            p.grad[...] = 0.5
        for tr in transforms:
            tr([target, bias, float_w])
        np.testing.assert_array_equal(target.data, w)
        for p in (bias, float_w):
            assert np.all(p.grad == 0.5) and np.all(p.data == 1.0)
