"""SGD against hand-computed PyTorch-convention updates; transforms; the post_step contract."""

import numpy as np
import pytest

from bnncore import quantizers
from bnncore.optim import SGD
from bnncore.params import Parameter


def _param(values, grad=None, quantizer=None):
    p = Parameter(np.array(values, dtype=np.float64), "w", quantizer=quantizer)
    if grad is not None:
        p.grad[...] = grad
    return p


def _steps(opt, p, grads):
    out = []
    for g in grads:
        p.grad[...] = g
        opt.step()
        out.append(p.data.copy())
    return out


def test_plain_step():
    p = _param([1.0, -2.0], grad=[0.5, -1.0])
    SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.data, [1.0 - 0.05, -2.0 + 0.1], rtol=1e-15)


def test_momentum_two_steps():
    # buf1 = g1; w1 = w0 - lr g1; buf2 = m buf1 + g2; w2 = w1 - lr buf2
    w0, g1, g2, lr, m = np.array([1.0, 2.0]), np.array([0.5, -1.0]), np.array([0.25, 2.0]), 0.1, 0.9
    p = _param(w0)
    w1, w2 = _steps(SGD([p], lr=lr, momentum=m), p, [g1, g2])
    np.testing.assert_allclose(w1, w0 - lr * g1, rtol=1e-15)
    np.testing.assert_allclose(w2, w0 - lr * g1 - lr * (m * g1 + g2), rtol=1e-15)


def test_nesterov_two_steps():
    # update = g + m buf, with buf = m buf + g (PyTorch)
    w0, g1, g2, lr, m = np.array([1.0, 2.0]), np.array([0.5, -1.0]), np.array([0.25, 2.0]), 0.1, 0.9
    p = _param(w0)
    w1, w2 = _steps(SGD([p], lr=lr, momentum=m, nesterov=True), p, [g1, g2])
    buf1 = g1
    np.testing.assert_allclose(w1, w0 - lr * (g1 + m * buf1), rtol=1e-15)
    buf2 = m * buf1 + g2
    np.testing.assert_allclose(w2, w1 - lr * (g2 + m * buf2), rtol=1e-15)


def test_weight_decay_with_momentum():
    # g' = g + wd w, before the momentum buffer (PyTorch)
    w0, g1, g2, lr, m, wd = np.array([1.0, -3.0]), np.array([0.5, 0.5]), np.array([-1.0, 1.0]), \
        0.1, 0.5, 0.01
    p = _param(w0)
    w1, w2 = _steps(SGD([p], lr=lr, momentum=m, weight_decay=wd), p, [g1, g2])
    d1 = g1 + wd * w0
    np.testing.assert_allclose(w1, w0 - lr * d1, rtol=1e-15)
    d2 = g2 + wd * w1
    np.testing.assert_allclose(w2, w1 - lr * (m * d1 + d2), rtol=1e-15)
    np.testing.assert_array_equal(p.grad, g2)  # the decay does not write into p.grad


def test_exact_binary_fractions():
    p = _param([1.0], grad=[1.0])
    opt = SGD([p], lr=0.5, momentum=0.5)
    opt.step()
    assert p.data[0] == 0.5
    opt.step()  # buf = 0.5 * 1 + 1 = 1.5
    assert p.data[0] == 0.5 - 0.75


def test_each_parameter_has_its_own_state():
    a, b = _param([1.0], grad=[1.0]), _param([1.0], grad=[-1.0])
    opt = SGD([a, b], lr=0.1, momentum=0.9)
    opt.step()
    opt.step()
    np.testing.assert_allclose(a.data, 1.0 - 0.1 - 0.1 * 1.9, rtol=1e-15)
    np.testing.assert_allclose(b.data, 1.0 + 0.1 + 0.1 * 1.9, rtol=1e-15)


def test_float32_stays_float32():
    p = Parameter(np.ones(3, np.float32))
    p.grad[...] = 0.5
    SGD([p], lr=0.1, momentum=0.9, weight_decay=1e-4).step()
    assert p.data.dtype == np.float32


def test_zero_grad():
    p, q = _param([1.0], grad=[3.0]), _param([2.0], grad=[4.0])
    SGD([p, q], lr=0.1).zero_grad()
    assert p.grad[0] == 0 and q.grad[0] == 0


def test_transforms_run_before_the_update_and_see_the_gradients():
    p = _param([1.0, 2.0], grad=[0.5, -0.5])
    seen = []

    def spy(params):
        seen.append([(q.data.copy(), q.grad.copy()) for q in params])

    def halve(params):
        for q in params:
            q.grad *= 0.5

    SGD([p], lr=0.1, transforms=[spy, halve, spy]).step()
    (data0, grad0), = seen[0]
    (data1, grad1), = seen[1]
    np.testing.assert_array_equal(data0, [1.0, 2.0])   # not yet updated
    np.testing.assert_array_equal(grad0, [0.5, -0.5])  # the backward's gradient
    np.testing.assert_array_equal(grad1, [0.25, -0.25])  # transforms run in order
    np.testing.assert_array_equal(data1, [1.0, 2.0])
    np.testing.assert_allclose(p.data, [1.0 - 0.025, 2.0 + 0.025], rtol=1e-15)


@pytest.mark.parametrize("lr", [0.5, 2.0])
def test_post_step_bnn_clips_to_the_latent_domain(lr):
    p = _param([0.9, -0.9, 0.0, 3.0], grad=[-1.0, 1.0, 0.25, 0.0],
               quantizer=quantizers.get("bnn"))
    SGD([p], lr=lr, momentum=0.9).step()
    assert ((p.data >= -1) & (p.data <= 1)).all()
    expected = np.clip(np.array([0.9, -0.9, 0.0, 3.0]) - lr * np.array([-1.0, 1.0, 0.25, 0.0]),
                       -1, 1)
    np.testing.assert_array_equal(p.data, expected)


@pytest.mark.parametrize("name", ["ste", "clipped_ste", "identity"])
def test_post_step_copy_pairs_equal_plain_sgd(name, rng):
    w, grads = rng.normal(size=(3, 4)) * 3, rng.normal(size=(2, 3, 4))
    quantized, plain = _param(w, quantizer=quantizers.get(name)), _param(w)
    opt_q = SGD([quantized], lr=0.3, momentum=0.9, nesterov=True, weight_decay=1e-3)
    opt_p = SGD([plain], lr=0.3, momentum=0.9, nesterov=True, weight_decay=1e-3)
    for a, b in zip(_steps(opt_q, quantized, grads), _steps(opt_p, plain, grads)):
        np.testing.assert_array_equal(a, b)


def test_post_step_receives_the_current_lr():
    calls = []

    class Spy(quantizers.STE):
        def _post_step(self, w, lr):
            calls.append(lr)
            return w * 0 + 0.25

    p = _param([1.0], grad=[1.0], quantizer=Spy())
    opt = SGD([p], lr=0.1)
    opt.step()
    opt.lr = 0.05
    opt.step()
    assert calls == [0.1, 0.05]
    assert p.data[0] == 0.25


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"lr": 0.0}, ValueError, "lr must be finite and > 0"),
    ({"lr": -0.1}, ValueError, "lr must be finite and > 0"),
    ({"lr": float("nan")}, ValueError, "lr must be finite and > 0"),
    ({"lr": float("inf")}, ValueError, "lr must be finite and > 0"),
    ({"lr": "0.1"}, TypeError, "lr must be a real number"),
    ({"lr": 0.1, "momentum": 1.0}, ValueError, r"momentum must be in \[0, 1\)"),
    ({"lr": 0.1, "momentum": -0.5}, ValueError, "momentum must be finite and >= 0"),
    ({"lr": 0.1, "nesterov": True}, ValueError, "nesterov=True needs momentum > 0"),
    ({"lr": 0.1, "weight_decay": -1e-4}, ValueError, "weight_decay must be finite and >= 0"),
    ({"lr": 0.1, "transforms": [3]}, TypeError, r"transforms\[0\] must be callable"),
])
def test_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        SGD([_param([1.0])], **kwargs)


def test_bad_params_and_lr_assignment():
    with pytest.raises(ValueError, match="params is empty"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match=r"params\[1\] must be a Parameter, got ndarray"):
        SGD([_param([1.0]), np.ones(2)], lr=0.1)
    opt = SGD([_param([1.0])], lr=0.1)
    with pytest.raises(ValueError, match="lr must be finite and > 0"):
        opt.lr = 0
    assert opt.lr == 0.1 and opt.initial_lr == 0.1
