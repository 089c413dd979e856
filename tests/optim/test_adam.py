"""Adam against hand-computed steps (bias-corrected, PyTorch's L2 weight decay)."""

import numpy as np
import pytest

from bnncore import quantizers
from bnncore.optim import Adam
from bnncore.params import Parameter


def _param(values, quantizer=None):
    return Parameter(np.array(values, dtype=np.float64), "w", quantizer=quantizer)


def _reference(w, grads, lr, b1, b2, eps, wd=0.0):
    """Adam, written out: PyTorch's form lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps)."""
    m, v, out = np.zeros_like(w), np.zeros_like(w), []
    for t, g in enumerate(grads, start=1):
        g = g + wd * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w = w - lr / (1 - b1 ** t) * m / (np.sqrt(v) / np.sqrt(1 - b2 ** t) + eps)
        out.append(w)
    return out


def _run(opt, p, grads):
    out = []
    for g in grads:
        p.grad[...] = g
        opt.step()
        out.append(p.data.copy())
    return out


def test_first_step_moves_by_lr_times_sign():
    p = _param([1.0, -1.0, 0.5])
    p.grad[...] = [5.0, -0.01, 1e3]
    Adam([p], lr=0.1).step()
    # m_hat = g, v_hat = g^2: the step is lr * g / (|g| + eps)
    g = np.array([5.0, -0.01, 1e3])
    np.testing.assert_allclose(p.data, [1.0, -1.0, 0.5] - 0.1 * g / (np.abs(g) + 1e-8),
                               rtol=1e-14)


def test_two_steps_by_hand():
    w0 = np.array([1.0, 2.0])
    g1, g2 = np.array([0.5, -1.0]), np.array([-0.25, 3.0])
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    p = _param(w0)
    w1, w2 = _run(Adam([p], lr=lr, betas=(b1, b2), eps=eps), p, [g1, g2])
    m1, v1 = 0.1 * g1, 0.001 * g1 ** 2
    np.testing.assert_allclose(w1, w0 - lr * (m1 / 0.1) / (np.sqrt(v1 / 0.001) + eps),
                               rtol=1e-14)
    m2, v2 = 0.9 * m1 + 0.1 * g2, 0.999 * v1 + 0.001 * g2 ** 2
    bc1, bc2 = 1 - 0.9 ** 2, 1 - 0.999 ** 2
    np.testing.assert_allclose(w2, w1 - lr * (m2 / bc1) / (np.sqrt(v2 / bc2) + eps),
                               rtol=1e-14)


@pytest.mark.parametrize("wd", [0.0, 0.1])
@pytest.mark.parametrize("betas", [(0.9, 0.999), (0.5, 0.9), (0.0, 0.0)])
def test_many_steps_match_reference(rng, betas, wd):
    w0, grads = rng.normal(size=(2, 3)), rng.normal(size=(6, 2, 3))
    p = _param(w0)
    got = _run(Adam([p], lr=0.05, betas=betas, eps=1e-6, weight_decay=wd), p, grads)
    for a, b in zip(got, _reference(w0, grads, 0.05, *betas, 1e-6, wd)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_state_and_step_counter_per_parameter():
    a, b = _param([1.0]), _param([1.0])
    opt = Adam([a, b], lr=0.1)
    a.grad[...] = 1.0
    opt.step()
    assert [s["t"] for s in opt.state] == [1, 1]
    np.testing.assert_array_equal(b.data, [1.0])  # zero gradient, zero moment: no move
    assert opt.state[0]["m"] is not opt.state[1]["m"]


def test_float32_stays_float32():
    p = Parameter(np.ones(3, np.float32))
    p.grad[...] = 0.5
    Adam([p], lr=1e-3, weight_decay=1e-4).step()
    assert p.data.dtype == np.float32 and p.data[0] < 1


def test_transforms_and_post_step():
    p = _param([0.99, -0.99, 0.0], quantizer=quantizers.get("bnn"))
    seen = []
    p.grad[...] = [-1.0, 1.0, 2.0]
    Adam([p], lr=0.5, transforms=[lambda ps: seen.append(ps[0].grad.copy())]).step()
    np.testing.assert_array_equal(seen[0], [-1.0, 1.0, 2.0])
    np.testing.assert_allclose(p.data, [1.0, -1.0, -0.5], rtol=1e-7)
    assert ((p.data >= -1) & (p.data <= 1)).all()


def test_ste_post_step_equals_plain_adam(rng):
    w, grads = rng.normal(size=4), rng.normal(size=(3, 4))
    q, plain = _param(w, quantizer=quantizers.get("ste")), _param(w)
    for a, b in zip(_run(Adam([q], lr=0.1), q, grads), _run(Adam([plain], lr=0.1), plain, grads)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"lr": 0.0}, ValueError, "lr must be finite and > 0"),
    ({"lr": -1e-3}, ValueError, "lr must be finite and > 0"),
    ({"betas": (1.0, 0.999)}, ValueError, r"betas\[0\] must be in \[0, 1\)"),
    ({"betas": (0.9, -0.1)}, ValueError, r"betas\[1\] must be finite and >= 0"),
    ({"betas": (0.9,)}, ValueError, "betas must be a pair"),
    ({"betas": ("a", 0.9)}, TypeError, r"betas\[0\] must be a real number"),
    ({"eps": 0.0}, ValueError, "eps must be finite and > 0"),
    ({"weight_decay": -1.0}, ValueError, "weight_decay must be finite and >= 0"),
])
def test_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Adam([_param([1.0])], **kwargs)
