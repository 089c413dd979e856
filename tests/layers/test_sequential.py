"""Sequential: chained gradient checks, names, quantizers, summary counts, validation."""

import re

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import bnncore as bc
from bnncore.layers import (
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    BinaryConv2d,
    BinaryDense,
    Conv2d,
    Dense,
    Flatten,
    HardTanh,
    MaxPool2d,
    ReLU,
    Sequential,
    Sign,
)
from bnncore.testing import surrogate_model


def _preactivations_away_from(model, x, layer_types, kinks, margin=1e-3, training=True):
    """Assert that every input of a ``layer_types`` layer stays ``margin`` from the kinks."""
    h = np.asarray(x, dtype=np.float64)
    for layer in model:
        if isinstance(layer, layer_types):
            for k in kinks:
                assert np.abs(h - k).min() > margin, "pick another seed: input near a kink"
        h = layer._forward(h, training)


@pytest.mark.parametrize("training", [True, False])
def test_gradcheck_dense_stack(grad_ok, rng, training):
    # no bias before BatchNorm: batch statistics cancel it (its gradient is exactly 0)
    model = Sequential(Dense(4, 5, bias=False, rng=0), BatchNorm1d(5), ReLU(), Dense(5, 3, rng=1),
                       HardTanh(), Dense(3, 2, rng=2)).astype(np.float64)
    model[1].running_mean = rng.normal(size=5)
    model[1].running_var = rng.uniform(0.5, 2, size=5)
    x = rng.normal(size=(4, 4))
    _preactivations_away_from(model, x, (ReLU,), (0.0,), training=training)
    _preactivations_away_from(model, x, (HardTanh,), (-1.0, 1.0), training=training)
    details = grad_ok(model, x, training=training)
    assert set(details) == {"x", "0.weight", "1.weight", "1.bias", "3.weight",
                            "3.bias", "5.weight", "5.bias"}


def test_gradcheck_conv_stack(grad_ok, data_tools, rng):
    model = Sequential(Conv2d(1, 2, 3, padding=1, bias=False, rng=0), BatchNorm2d(2),
                       MaxPool2d(2), Conv2d(2, 2, 2, stride=1, rng=1), AvgPool2d(2, stride=1),
                       Flatten(), Dense(2, 3, rng=2)).astype(np.float64)
    x = data_tools.distinct(rng, (2, 1, 6, 6))
    details = grad_ok(model, x)
    assert len(details) == 1 + len(model.parameters())


def test_gradcheck_binary_mlp_surrogate(grad_ok, rng):
    # the surrogate of a whole binary network: Sign -> clip, BinaryDense -> B(w) = w (ste)
    model = bc.models.mlp("ste", in_features=5, hidden=(6, 4), n_classes=3, rng=3)
    surrogate = surrogate_model(model)
    x = rng.normal(size=(4, 5))
    _preactivations_away_from(surrogate, x, (Sign,), (-1.0, 1.0))
    # a bias right before a training-mode BatchNorm has an exactly-zero gradient
    cancelled = {"0.bias", "3.bias"}
    wrt = ["x"] + [p.name for p in surrogate.parameters() if p.name not in cancelled]
    details = grad_ok(surrogate, x, wrt=wrt)
    assert "3.weight" in details  # the BinaryDense latent weights are checked too
    surrogate.zero_grad()
    surrogate.backward(np.ones_like(surrogate.forward(x)))
    for p in surrogate.parameters():
        if p.name in cancelled:
            np.testing.assert_allclose(p.grad, 0, atol=1e-12)


def test_gradcheck_binary_cnn_surrogate_and_real_x(grad_ok, data_tools, rng):
    model = Sequential(BinaryConv2d(1, 2, 3, padding=1, weight_quantizer="clipped_ste",
                                    rng=0), MaxPool2d(2), Flatten(),
                       BinaryDense(8, 3, weight_quantizer="ste", rng=1)).astype(np.float64)
    model[0].weight.data = data_tools.away_from(rng, (2, 1, 3, 3), (-1.0, 0.0, 1.0))
    x = data_tools.distinct(rng, (2, 1, 4, 4))
    grad_ok(surrogate_model(model), x)
    # without Sign layers the real network is piecewise linear in x with used weights F(w)
    grad_ok(model, x, wrt=["x", "0.bias", "3.bias"])


@settings(max_examples=20, deadline=None, derandomize=True)
@given(n=st.integers(1, 4), widths=st.lists(st.integers(1, 4), min_size=2, max_size=4),
       seed=st.integers(0, 2**16))
def test_gradcheck_dense_chains(grad_ok, data_tools, n, widths, seed):
    g = np.random.default_rng(seed)
    layers = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        dense = Dense(a, b, rng=seed + i).astype(np.float64)
        dense.weight.data = data_tools.signed(g, (b, a))
        layers += [dense, HardTanh()]
    model = Sequential(*layers[:-1])  # linear output
    x = data_tools.signed(g, (n, widths[0]), 0.1, 0.6)
    h = x
    for layer in model:
        if isinstance(layer, HardTanh):
            assume(np.abs(np.abs(h) - 1).min() > 1e-3)  # no kink within the step
        h = layer.forward(h)
    grad_ok(model, x, generated=True)


def test_forward_backward_equal_manual_chain(rng):
    a, r, b = Dense(3, 4, rng=0), ReLU(), Dense(4, 2, rng=1)
    model = Sequential(a, r, b)
    x = rng.normal(size=(5, 3)).astype(np.float32)
    y = model.forward(x)
    np.testing.assert_array_equal(y, b.forward(r.forward(a.forward(x))))
    dy = rng.normal(size=y.shape).astype(np.float32)
    dx = model.backward(dy)
    dw_a = a.weight.grad.copy()
    model.zero_grad()
    np.testing.assert_array_equal(dx, a.backward(r.backward(b.backward(dy))))
    np.testing.assert_array_equal(a.weight.grad, dw_a)


def test_names_parameters_and_quantizers():
    model = Sequential([Dense(4, 3, rng=0), Sign(), BinaryDense(3, 2, rng=1), ReLU()])
    assert len(model) == 4 and isinstance(model[2], BinaryDense)
    assert [type(layer).__name__ for layer in model] == ["Dense", "Sign", "BinaryDense", "ReLU"]
    assert [p.name for p in model.parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert model.quantizers() == [model[1].quantizer, model[2].weight.quantizer]
    names = {q.name for q in model.quantizers()}
    assert names == {"clipped_ste", "ste"}


def test_nested_sequential_parameter_names_are_unique():
    # gradcheck and optimizer state are keyed by name: nested blocks must not collide
    inner = Sequential(Dense(2, 3, rng=0), ReLU(), Dense(3, 2, rng=1))
    model = Sequential(inner, Dense(2, 2, rng=2))
    names = [p.name for p in model.parameters()]
    assert len(names) == len(set(names)) == 6, names


def test_astype_casts_everything():
    model = bc.models.mlp("ste", in_features=4, hidden=(3, 3), n_classes=2, rng=0)
    model.astype(np.float64)
    assert all(p.data.dtype == np.float64 == p.grad.dtype for p in model.parameters())
    assert model[1].running_mean.dtype == np.float64


def _summary_table(text):
    lines = text.splitlines()
    starts = [m.start() for m in re.finditer(r"\S+(?: \S+)*", lines[0])]
    header = [lines[0][s:e].strip() for s, e in zip(starts, starts[1:] + [None])]
    rows = {}
    for line in lines[2:]:
        if set(line) <= {"-"}:
            continue
        cells = [line[s:e].strip() for s, e in zip(starts, starts[1:] + [None])]
        rows[cells[0]] = dict(zip(header, cells))
    return rows


def _count(cell):
    return int(cell.replace(",", ""))


def test_summary_counts_binary_mlp():
    model = bc.models.mlp("ste", rng=0)
    rows = _summary_table(model.summary())
    assert _count(rows["total"]["params"]) == 86_026 == sum(p.size for p in
                                                            model.parameters())
    assert _count(rows["total"]["binary params"]) == 256 * 256
    assert _count(rows["0: Dense"]["params"]) == 64 * 256 + 256
    assert rows["0: Dense"]["output shape"] == "(None, 256)"
    assert _count(rows["3: BinaryDense"]["params"]) == 256 * 256 + 256
    assert _count(rows["3: BinaryDense"]["binary params"]) == 256 * 256
    assert _count(rows["2: Sign"]["params"]) == 0
    assert rows["6: Dense"]["output shape"] == "(None, 10)"


def test_summary_counts_cnn_and_float():
    model = bc.models.cnn("clipped_ste", rng=0)
    rows = _summary_table(model.summary(input_shape=(1, 8, 8)))
    assert _count(rows["total"]["params"]) == sum(p.size for p in model.parameters())
    assert _count(rows["total"]["binary params"]) == 64 * 32 * 9
    assert rows["6: MaxPool2d"]["output shape"] == "(None, 64, 4, 4)"
    float_rows = _summary_table(bc.models.mlp("float", rng=0).summary())
    assert _count(float_rows["total"]["binary params"]) == 0
    with pytest.raises(ValueError, match="input_shape is needed"):
        model.summary()


def test_bad_construction_and_input():
    with pytest.raises(TypeError, match=r"layers\[1\] must be a bnncore Layer"):
        Sequential(Dense(2, 2), "relu")
    with pytest.raises(ValueError, match="Sequential has no layers"):
        Sequential().forward(np.ones((1, 2)))
    model = Sequential(Dense(4, 3, rng=0), ReLU(), Dense(5, 2, rng=1))
    with pytest.raises(ValueError, match=r"input of layer 2 \(Dense\) has 3 features"):
        model.forward(np.ones((2, 4)))
    with pytest.raises(ValueError, match="x has 3 features"):
        model.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="x contains non-finite"):
        model.forward(np.full((2, 4), np.nan))
    with pytest.raises(RuntimeError, match="before forward"):
        Sequential(Dense(2, 2)).backward(np.ones((1, 2)))
