"""AGS and SAD together: which parameters they target, their place in the optimizer step,
and the presets of ``ovsw()`` (docs/ovsw.md, "Which parameters, and when" and "Presets")."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from ovsw_cases import (
    DELTAS,
    PROPERTY,
    ags_reference,
    bin_param,
    run_ags,
    sad_run,
    small_cnn,
    small_mlp,
)

from bnncore import quantizers
from bnncore.flips import select_targets
from bnncore.layers import BinaryDense, Dense, Sequential
from bnncore.optim import AGS, SAD, SGD, Adam, ovsw
from bnncore.params import Parameter

# -- targeting (docs/ovsw.md, "Which parameters, and when") --------------------

@pytest.mark.parametrize("build, expected", [(small_mlp, ["3.weight"]), (small_cnn, ["3.weight"])])
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
    a, b = bin_param(rng.standard_normal((3, 4))), bin_param(rng.standard_normal((3, 4)), name="b")
    for p in (a, b):
        p.grad[...] = 1e-6 * rng.standard_normal(p.shape)
    a_grad, b_grad = a.grad.copy(), b.grad.copy()
    AGS(0.1, params=[a])([b])                         # the call's list is ignored
    assert not np.array_equal(a.grad, a_grad)
    np.testing.assert_array_equal(b.grad, b_grad)


def test_empty_and_duplicate_names_become_param_index(rng):
    ps = [bin_param(rng.standard_normal((2, 3)), name=n) for n in ("", "dup", "dup", "ok")]
    names = [name for name, _ in select_targets(ps, None, "test")]
    assert names == ["param0", "param1", "param2", "ok"]
    ags = AGS(0.01)
    ags(ps)
    assert sorted(ags.last_ratio) == sorted(names)


def test_no_binarized_weight_is_an_error():
    model = Sequential(Dense(3, 2, rng=0))
    with pytest.raises(ValueError, match="binarized weight"):
        AGS()(model.parameters())


# -- place in the step, presets (docs/ovsw.md, "Presets") --------------------

def _step_setup(rng):
    w = bin_param(rng.standard_normal((4, 6)), 1e-3 * rng.standard_normal((4, 6)))
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


def test_one_step_is_bitwise_in_the_documented_order(rng):
    w, bias = _step_setup(rng)
    w0 = w.data.copy()
    lr, gamma = 0.5, 0.25
    expected_g = run_ags(w0, w.grad.copy(), 0.04)
    expected_g = expected_g + gamma * w0
    SGD([w, bias], lr=lr, transforms=[AGS(0.04), SAD(gamma)]).step()
    np.testing.assert_array_equal(w.data, w0 - lr * expected_g)


@pytest.mark.parametrize("opt_cls", [SGD, Adam])
def test_transforms_never_modify_data(rng, opt_cls):
    p = bin_param(rng.standard_normal((5, 4)), 1e-3 * rng.standard_normal((5, 4)))
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


@PROPERTY
@given(sad_run(), DELTAS)
def test_property_transforms_leave_data_and_untargeted_grads(run, delta):
    ws, grads, gamma, momentum, init = run
    target = bin_param(ws[0].copy())
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
