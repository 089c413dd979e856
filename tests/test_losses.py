"""Losses: values against direct formulas, gradients by finite differences, stability."""

import numpy as np
import pytest

from bnncore.losses import MSE, Loss, SoftmaxCrossEntropy, SquaredHinge
from bnncore.testing import gradcheck

LOSSES = [SoftmaxCrossEntropy, SquaredHinge, MSE]


def _onehot(y, c):
    return np.eye(c)[y]


def _direct(loss_cls, out, t):
    """The textbook formula, computed naively (inputs are moderate)."""
    n = out.shape[0]
    if loss_cls is SoftmaxCrossEntropy:
        p = np.exp(out) / np.exp(out).sum(axis=1, keepdims=True)
        return -(t * np.log(p)).sum() / n
    if loss_cls is SquaredHinge:
        s = 2 * t - 1 if np.isin(t, (0, 1)).all() else t
        return (np.maximum(0, 1 - s * out) ** 2).mean()
    return ((out - t) ** 2).mean()


@pytest.mark.parametrize("loss_cls", LOSSES)
def test_value_matches_formula(loss_cls, rng):
    out, y = rng.normal(size=(6, 4)) * 2, rng.integers(0, 4, 6)
    value = loss_cls().forward(out, y)
    assert isinstance(value, float)
    np.testing.assert_allclose(value, _direct(loss_cls, out, _onehot(y, 4)), rtol=1e-13)


def test_cross_entropy_with_probability_targets(rng):
    out = rng.normal(size=(5, 3))
    t = rng.dirichlet(np.ones(3), size=5)
    loss = SoftmaxCrossEntropy()
    np.testing.assert_allclose(loss.forward(out, t), _direct(SoftmaxCrossEntropy, out, t),
                               rtol=1e-13)
    p = np.exp(out) / np.exp(out).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(loss.backward(), (p - t) / 5, rtol=1e-12)


@pytest.mark.parametrize("targets", ["labels", "onehot", "soft"])
@pytest.mark.parametrize("loss_cls", LOSSES)
def test_gradient_by_finite_differences(loss_cls, targets, rng):
    out = rng.normal(size=(4, 3)) * 1.5
    if targets == "labels":
        t = rng.integers(0, 3, 4)
    elif targets == "onehot":
        t = _onehot(rng.integers(0, 3, 4), 3)
    elif loss_cls is SquaredHinge:
        t = rng.choice([-1.0, 1.0], size=(4, 3))  # +-1 targets
    else:
        t = rng.dirichlet(np.ones(3), size=4)
    if loss_cls is SquaredHinge:  # keep margins away from the hinge at 1
        out = np.where(np.abs(np.abs(out) - 1) < 0.05, out + 0.2, out)
    loss = loss_cls()

    def value(o):
        return np.array(loss.forward(o, t))

    def grad(o, r):
        loss.forward(o, t)
        return r * loss.backward()

    worst, details = gradcheck((value, grad), out, return_details=True)
    assert worst < 1e-6 and details["x"]["max_abs"] > 1e-3


@pytest.mark.parametrize("loss_cls", LOSSES)
def test_int_labels_and_onehot_are_equivalent(loss_cls, rng):
    out, y = rng.normal(size=(7, 5)), rng.integers(0, 5, 7)
    a, b = loss_cls(), loss_cls()
    assert a.forward(out, y) == b.forward(out, _onehot(y, 5))
    np.testing.assert_array_equal(a.backward(), b.backward())
    # float labels with integer values are labels too
    c = loss_cls()
    assert c.forward(out, y.astype(np.float64)) == a.forward(out, y)


def test_squared_hinge_pm1_targets_equal_labels(rng):
    out, y = rng.normal(size=(4, 3)), rng.integers(0, 3, 4)
    pm1 = 2 * _onehot(y, 3) - 1
    a, b = SquaredHinge(), SquaredHinge()
    assert a.forward(out, y) == b.forward(out, pm1)
    np.testing.assert_array_equal(a.backward(), b.backward())
    with pytest.raises(ValueError, match="targets for SquaredHinge must be labels"):
        SquaredHinge().forward(out, np.full((4, 3), 0.5))


@pytest.mark.parametrize("scale", [1e4, 1e5, 3e38])
def test_cross_entropy_is_stable_for_huge_logits(scale):
    out = np.array([[scale, 0.0, -scale], [0.0, scale, 0.0], [-scale, -scale, -scale]])
    y = np.array([0, 0, 2])
    loss = SoftmaxCrossEntropy()
    value = loss.forward(out, y)
    # row 0 is right with certainty (loss 0), row 1 is wrong by scale, row 2 is uniform
    np.testing.assert_allclose(value, (0 + scale + np.log(3)) / 3, rtol=1e-12)
    g = loss.backward()
    assert np.isfinite(g).all()
    np.testing.assert_allclose(g.sum(axis=1), 0, atol=1e-15)
    np.testing.assert_allclose(g, np.array([[0, 0, 0], [-1, 1, 0], [1 / 3, 1 / 3, -2 / 3]]) / 3,
                               atol=1e-15)


def test_cross_entropy_float32_logits_1e4():
    out = np.array([[1e4, -1e4]], np.float32)
    loss = SoftmaxCrossEntropy()
    assert loss.forward(out, np.array([1])) == pytest.approx(2e4, rel=1e-6)
    g = loss.backward()
    assert g.dtype == np.float32 and np.isfinite(g).all()


@pytest.mark.parametrize("loss_cls", LOSSES)
def test_gradient_dtype_follows_outputs(loss_cls):
    out = np.array([[0.5, -0.5], [1.0, 2.0]], np.float32)
    loss = loss_cls()
    loss.forward(out, np.array([0, 1]))
    assert loss.backward().dtype == np.float32 and loss.backward().shape == (2, 2)


def test_mse_value_and_gradient():
    out, t = np.array([[1.0, 2.0], [0.0, -1.0]]), np.array([[0.0, 2.0], [1.0, 1.0]])
    loss = MSE()
    assert loss.forward(out, t) == (1 + 0 + 1 + 4) / 4
    np.testing.assert_array_equal(loss.backward(), 2 * (out - t) / 4)


def test_call_is_forward():
    out, y = np.array([[1.0, 0.0]]), np.array([1])
    assert SoftmaxCrossEntropy()(out, y) == SoftmaxCrossEntropy().forward(out, y)
    assert isinstance(SoftmaxCrossEntropy(), Loss)


@pytest.mark.parametrize("loss_cls", LOSSES)
@pytest.mark.parametrize("outputs, targets, exc, match", [
    (np.zeros((2, 3)), np.array([0, 3]), ValueError, r"targets has label 3 out of range"),
    (np.zeros((2, 3)), np.array([-1, 0]), ValueError, r"targets has label -1 out of range"),
    (np.zeros((2, 3)), np.array([0, 1, 2]), ValueError, r"targets has 3 labels but there are 2"),
    (np.zeros((2, 3)), np.array([0.5, 1.0]), ValueError, r"targets must hold integer class"),
    (np.zeros((2, 3)), np.zeros((2, 4)), ValueError, r"targets has shape \(2, 4\)"),
    (np.zeros((2, 3)), np.array(["a", "b"]), TypeError, r"targets must have a real numeric"),
    (np.zeros((2, 3)), np.array([True, False]), TypeError, r"targets must hold integer class"),
    (np.zeros((2, 3)), np.array([0.0, np.nan]), ValueError, r"targets contains non-finite"),
    (np.zeros(3), np.array([0]), ValueError, r"outputs must have 2 dimensions"),
    (np.array([[0.0, np.inf]]), np.array([0]), ValueError, r"outputs contains non-finite"),
    (np.zeros((0, 3)), np.zeros(0, np.int64), ValueError, r"outputs must not be empty"),
    (np.array([["a", "b"]]), np.array([0]), TypeError, r"outputs must have a real numeric"),
])
def test_bad_input(loss_cls, outputs, targets, exc, match):
    with pytest.raises(exc, match=match):
        loss_cls().forward(outputs, targets)


def test_backward_before_forward():
    with pytest.raises(RuntimeError, match="SoftmaxCrossEntropy.backward called before forward"):
        SoftmaxCrossEntropy().backward()

