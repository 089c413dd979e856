"""The 17 property checks for every registered pair under hypothesis, and check_quantizer_pair.

docs/quantizers.md, "Testing your own pair". The second half breaks one property at a time
to show that each check can fail, with a readable witness.
"""

import re
import types

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bnncore.quantizers import QuantizerPair, available, get, sign, signswish, zoo
from bnncore.testing import (
    check_quantizer_pair,
    gradient_arrays,
    quantizer_arrays,
    quantizer_pairs,
)
from bnncore.testing.quantizer_checks import PROPERTIES, applicable, run_properties

NAMES = available()


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_properties_hold_for_every_registered_pair(name, data):
    pair = data.draw(quantizer_pairs(names=[name]), label="pair")
    x = data.draw(quantizer_arrays(pair), label="x")
    g = data.draw(gradient_arrays(x), label="g")
    ran = run_properties(pair, x, g)
    assert {"check_shape_and_dtype", "check_no_mutation", "check_finite_outputs",
            "check_backward_is_g_times_dB", "check_forward_keeps_sign", "check_symmetry",
            "check_values_at_zero", "check_deterministic"} <= set(ran)


@pytest.mark.parametrize("name", NAMES)
def test_check_quantizer_pair_passes_for_every_registered_pair(name):
    pair = get(name)
    check_quantizer_pair(pair)
    if hasattr(pair, "schedule_attr"):
        for epoch in (3, 9):
            pair.on_epoch(epoch, 10)
            check_quantizer_pair(pair)


def test_every_property_applies_somewhere():
    pairs = [get(n) for n in NAMES]
    frozen = get("proxquant")
    frozen.on_epoch(9, 10)
    covered = set().union(*(applicable(p) for p in pairs + [frozen] + zoo()))
    assert covered == set(PROPERTIES)
    assert applicable(get("swishsign")) == [
        "check_shape_and_dtype", "check_no_mutation", "check_finite_outputs",
        "check_backward_is_g_times_dB", "check_forward_is_binary", "check_forward_keeps_sign",
        "check_forward_nondecreasing", "check_bounds", "check_dB_lower_bound", "check_symmetry",
        "check_values_at_zero", "check_dB_matches_finite_differences",
        "check_forward_is_prox_of_B", "check_elementwise", "check_factor_criterion",
        "check_deterministic"]
    assert "check_factor_criterion" not in applicable(frozen)
    assert "check_forward_is_prox_of_B" not in applicable(frozen)
    assert {"check_dB_matches_finite_differences", "check_elementwise",
            "check_factor_criterion"}.isdisjoint(applicable(get("dorefa")))
    user = QuantizerPair.from_functions(sign, lambda x: x)
    assert {"check_forward_keeps_sign", "check_symmetry", "check_values_at_zero",
            "check_factor_criterion", "check_annealing"}.isdisjoint(applicable(user))


# -- each property can fail, with a witness ---------------------------------------------
def _user(F, B, **kw):
    return QuantizerPair.from_functions(F, B, validate=False, **kw)


class _WrongDtype(QuantizerPair):
    name = "wrong_dtype"

    def forward(self, w):
        return w.astype(np.float64) if w.dtype == np.float32 else w.astype(np.float32)

    _B = _dB = staticmethod(lambda w: w.copy())


class _Aliasing(QuantizerPair):
    name = "aliasing"

    def forward(self, w):
        return w

    _B = _dB = staticmethod(lambda w: w.copy())


class _OffBackward(QuantizerPair):
    name = "off_backward"
    _forward = _B = staticmethod(lambda w: w.copy())
    _dB = staticmethod(np.ones_like)

    def backward(self, w, g):
        return g * self.dB(w) + w.dtype.type(1e-3)


def _patched(name, attr, fn):
    q = get(name)
    setattr(q, attr, fn)
    return q


def _drifting_relax():
    q = get("binaryrelax")   # a bound method survives the deep copy that check_annealing makes
    q._anneal = types.MethodType(
        lambda self, epoch, total: setattr(self, "theta", 0.5 - epoch / (2 * total)), q)
    return q


def _random_forward(w):
    return w + np.random.default_rng().uniform(0, 1e-3, w.shape)


BROKEN = {   # check name -> (a pair that breaks it, a regex of the witness message)
    "check_shape_and_dtype": (lambda: _WrongDtype(), "forward of a float32 array"),
    "check_no_mutation": (lambda: _Aliasing(), "sharing memory"),
    "check_finite_outputs": (lambda: _user(sign, np.exp), "raised|non-finite"),
    "check_backward_is_g_times_dB": (lambda: _OffBackward(),
                                     "backward\\(w, g\\) != g \\* dB\\(w\\)"),
    "check_forward_is_binary": (lambda: _user(lambda x: 2 * sign(x), lambda x: x, binary=True),
                                "not in"),
    "check_forward_keeps_sign": (lambda: _patched("ste", "_forward", lambda w: -sign(w)),
                                 "sign\\(forward"),
    "check_forward_nondecreasing": (
        lambda: _user(lambda x: -np.sign(x), lambda x: x, forward_monotone=True), "F\\("),
    "check_bounds": (lambda: _user(sign, lambda x: x, forward_bound=0.5), "exceeds 0.5"),
    "check_dB_lower_bound": (lambda: _user(sign, lambda x: -x, nonneg_backward=True),
                             "dB below 0"),
    "check_symmetry": (lambda: _patched("swishsign", "_B", lambda w: signswish(w, 5.0) + 0.1),
                       "B\\(-x\\)"),
    "check_values_at_zero": (lambda: _patched("ste", "_dB", lambda w: 2 * np.ones_like(w)),
                             "B'\\(0\\) = 2"),
    "check_dB_matches_finite_differences": (
        lambda: _user(sign, np.tanh, dB=lambda x: np.ones_like(x)), "central difference"),
    "check_forward_is_prox_of_B": (lambda: _user(sign, lambda x: x, prox=lambda u: 2 * u),
                                   "forward\\(x\\) != prox"),
    "check_elementwise": (lambda: _user(lambda x: x - x.mean(), lambda x: x),
                          "forward\\(x\\)\\[0\\]"),
    "check_factor_criterion": (lambda: _patched("ste", "_forward", lambda w: -sign(w)),
                               "P_nondecreasing fails"),
    "check_deterministic": (lambda: _user(_random_forward, lambda x: x), "two calls of forward"),
    "check_annealing": (_drifting_relax, "theta over 2 epochs is not monotone"),
}


@pytest.mark.parametrize("check", list(BROKEN))
def test_each_property_detects_its_violation(check):
    make, witness = BROKEN[check]
    with pytest.raises(AssertionError, match=rf"^{check} \(") as info:
        check_quantizer_pair(make(), checks=[check])
    assert re.search(witness, str(info.value)), str(info.value)


def test_readable_failure_for_a_decreasing_user_pair():
    bad = QuantizerPair.from_functions(lambda x: -np.sign(x), lambda x: x, validate=False,
                                       forward_monotone=True)
    with pytest.raises(AssertionError) as info:
        check_quantizer_pair(bad)
    msg = str(info.value)
    assert msg.startswith("check_forward_nondecreasing (F non-decreasing) failed for "
                          "FunctionPair(name='custom')")
    assert "F(" in msg and "> F(" in msg
