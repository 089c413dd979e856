"""bnncore.testing: gradcheck detects wrong backwards; surrogate_model swaps F for B."""

import numpy as np
import pytest

from bnncore import quantizers
from bnncore.layers import BinaryDense, Dense, Layer, ReLU, Sequential, Sign
from bnncore.testing import gradcheck, surrogate_model


class _WrongBackward(Layer):
    """y = x^2 with a backward that forgets the factor 2."""

    def _forward(self, x, training):
        self._x = x
        return x * x

    def _backward(self, dy):
        return dy * self._x


def test_detects_a_wrong_backward(rng):
    worst, details = gradcheck(_WrongBackward(), rng.normal(size=(3, 2)), return_details=True)
    assert 0.3 < worst and details["x"]["max_abs"] > 1e-3


def test_detects_a_wrong_parameter_gradient(rng):
    class HalfWeightGrad(Dense):
        def _accumulate_weight_grad(self, dw_used):
            self.weight.grad += 0.5 * dw_used

    _, details = gradcheck(HalfWeightGrad(3, 2, rng=0), rng.normal(size=(4, 3)),
                           return_details=True)
    assert details["x"]["error"] < 1e-6 and details["bias"]["error"] < 1e-6
    assert details["weight"]["error"] > 0.3


def test_function_pair_form(rng):
    x = rng.normal(size=(3, 3))
    assert gradcheck((np.sin, lambda x, dy: dy * np.cos(x)), x) < 1e-6
    assert gradcheck((np.sin, lambda x, dy: dy * np.sin(x)), x) > 0.1


def test_floor_and_details():
    # a zero gradient: the floor keeps the error finite, max_abs reveals the vacuity
    worst, details = gradcheck((lambda x: 0 * x, lambda x, dy: 0 * dy), np.ones(3),
                               return_details=True)
    assert worst == 0.0 and details == {"x": {"error": 0.0, "max_abs": 0.0}}


def test_wrt_selection_and_unknown_names(rng):
    layer, x = Dense(3, 2, rng=0), rng.normal(size=(2, 3))
    _, details = gradcheck(layer, x, wrt=["bias"], return_details=True)
    assert set(details) == {"bias"}
    with pytest.raises(ValueError, match=r"wrt names \['nope'\] not found"):
        gradcheck(layer, x, wrt=["nope"])
    with pytest.raises(ValueError, match="eps must be finite and > 0"):
        gradcheck(layer, x, eps=0)


def test_the_checked_layer_is_untouched_and_reproducible(rng):
    layer, x = Dense(3, 2, rng=0), rng.normal(size=(2, 3)).astype(np.float32)
    before = layer.weight.data.copy()
    a = gradcheck(layer, x)
    assert layer.weight.data.dtype == np.float32 and not layer.weight.grad.any()
    np.testing.assert_array_equal(layer.weight.data, before)
    assert gradcheck(layer, x) == a == gradcheck(layer, x, rng=0)


def test_training_flag_is_used(rng):
    # eval-mode BatchNorm is affine in x: the checks differ between the modes
    from bnncore.layers import BatchNorm1d
    bn, x = BatchNorm1d(2), rng.normal(size=(4, 2))
    _, train = gradcheck(bn, x, wrt=["x"], training=True, return_details=True)
    _, evaluation = gradcheck(bn, x, wrt=["x"], training=False, return_details=True)
    assert train["x"]["max_abs"] != evaluation["x"]["max_abs"]


def test_surrogate_model_swaps_every_quantizer(rng):
    model = Sequential(Dense(3, 4, rng=0), Sign(), BinaryDense(4, 2, weight_quantizer="bnn",
                                                               rng=1))
    sur = surrogate_model(model)
    assert sur is not model
    assert sur[1].quantizer.name == "surrogate(clipped_ste)"
    assert sur[2].weight.quantizer.name == "surrogate(bnn)"
    assert all(p.data.dtype == np.float64 for p in sur.parameters())
    # the original is untouched
    assert model[1].quantizer.name == "clipped_ste"
    assert model[2].weight.quantizer.name == "bnn"
    assert model[0].weight.data.dtype == np.float32
    # the surrogate computes with B: clip for both pairs
    x = rng.normal(size=(2, 3))
    h = np.clip(sur[0].forward(x), -1, 1)
    w = np.clip(sur[2].weight.data, -1, 1)
    np.testing.assert_allclose(sur.forward(x), h @ w.T + sur[2].bias.data, rtol=1e-12)


def test_surrogate_of_a_single_layer():
    layer = BinaryDense(3, 2, weight_quantizer=quantizers.get("clipped_ste", clip_value=0.5))
    sur = surrogate_model(layer)
    assert isinstance(sur, BinaryDense) and sur.weight.quantizer.name.startswith("surrogate(")
    sign = surrogate_model(Sign("ste"))
    assert sign.quantizer.name == "surrogate(ste)"
    assert surrogate_model(ReLU()).forward(np.array([[-1.0, 1.0]])).tolist() == [[0.0, 1.0]]


def test_surrogate_reaches_nested_sequentials():
    # a binary layer inside a nested block must be swapped too, or gradcheck of the
    # "surrogate" silently checks the real (sign) forward
    model = Sequential(Sequential(BinaryDense(3, 2, rng=0), Sign()), Dense(2, 2, rng=1))
    sur = surrogate_model(model)
    assert sur[0][0].weight.quantizer.name == "surrogate(ste)"
    assert sur[0][1].quantizer.name == "surrogate(clipped_ste)"
