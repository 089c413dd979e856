"""bnncore.flips: what counts as binarized, what counts as a flip, one counter for all."""

import numpy as np
import pytest

import bnncore as bc
from bnncore.flips import (
    FlipCounter,
    binary_tensors,
    check_explicit_params,
    is_binarized,
    select_targets,
    sign_flips,
    update_flip_ema,
)
from bnncore.params import Parameter
from bnncore.quantizers import get


def test_is_binarized_needs_a_binary_target_and_a_matrix():
    assert is_binarized(Parameter(np.ones((2, 3)), quantizer=get("ste")))
    assert not is_binarized(Parameter(np.ones(3), quantizer=get("ste")))       # a vector
    assert not is_binarized(Parameter(np.ones((2, 3))))                        # float
    assert not is_binarized(Parameter(np.ones((2, 3)), quantizer=get("dorefa", k=2)))


def test_sign_flips_use_sign_of_zero_plus_one():
    before = np.array([0.5, -0.2, 0.3, 0.0, -1e-9])
    after = np.array([-0.1, -0.3, 0.0, -1e-9, 0.0])
    np.testing.assert_array_equal(sign_flips(before, after), [True, False, False, True, True])


def test_flip_ema_follows_its_recursion():
    ema, m = np.zeros(3), 0.9
    flips = np.array([True, False, True])
    update_flip_ema(ema, flips, m)
    update_flip_ema(ema, ~flips, m)
    np.testing.assert_allclose(ema, [0.9 * 0.1, 0.1, 0.9 * 0.1])


def test_counter_counts_sign_changes_per_step():
    model = bc.layers.Sequential(bc.layers.BinaryDense(2, 2, rng=0))
    w = model[0].weight
    w.data[...] = [[0.5, -0.2], [0.1, 0.3]]
    counter = FlipCounter()
    counter.on_train_begin(model)
    w.data[0, 0], w.data[1, 1] = -0.1, 0.0      # one flip: 0.3 -> 0.0 keeps sign(0) = +1
    w.data[0, 1] = -0.3                         # same sign: no flip
    counter.on_step_end(1)
    assert counter.total == 1
    w.data[1, 1] = -1e-9                        # 0.0 -> negative: a flip
    counter.on_step_end(2)
    counter.on_epoch_end(0, None)
    assert (counter.total, counter.per_epoch, counter.steps) == (2, [2], 2)
    # writes: values that changed at all (3 in step 1, 1 in step 2), flips or not
    assert counter.writes == 3 + 1 and counter.n_weights == 4


def test_counter_ignores_float_parameters_and_counts_int8_weights():
    class Int8Model:
        def __init__(self):
            self.w = np.array([[1, -1, 1]], np.int8)

        def binary_weights(self):
            return [("w", self.w)]

    model = Int8Model()
    counter = FlipCounter()
    counter.on_train_begin(model)
    model.w = np.array([[-1, -1, -1]], np.int8)        # a new array, as GFT's flips make
    counter.on_step_end(1)
    assert counter.total == 2 and counter.writes == 2          # an int8 write is a flip
    float_model = bc.layers.Sequential(bc.layers.Dense(3, 2, rng=0))
    assert binary_tensors(float_model) == []


def test_counter_before_train_begin_is_refused():
    with pytest.raises(RuntimeError, match="on_train_begin"):
        FlipCounter().on_step_end(1)


def test_explicit_params_are_validated_with_the_owner_named():
    with pytest.raises(TypeError, match=r"AGS: params\[0\] must be a Parameter"):
        check_explicit_params([np.ones((2, 2))], "AGS")
    with pytest.raises(ValueError, match=r"SAD: params\[0\].*ndim >= 2"):
        check_explicit_params([Parameter(np.ones(2), quantizer=get("ste"))], "SAD")
    with pytest.raises(ValueError, match="SAD: params is empty; pass None"):
        check_explicit_params([], "SAD")
    single = Parameter(np.ones((2, 2)), quantizer=get("ste"))
    assert check_explicit_params(single, "AGS") == [single]
    with pytest.raises(ValueError, match="none of the 1 parameters is a binarized weight"):
        select_targets([Parameter(np.ones((2, 2)))], None, "FlipTracker")
