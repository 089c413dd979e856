"""SignSwish pairs (swishsign, bnn+, bnn++) and ApproxSign: goldens, facts, float32 accuracy.

docs/quantizers.md, sections "`approxsign`", "`swishsign`", "SignSwish in float32", "`bnn++`".
"""

import numpy as np
import pytest

from bnncore.quantizers import BNNPlusPlus, SwishSign, get, sign, signswish, signswish_grad
from bnncore.quantizers.swish import (
    SS_MIN_GRAD,
    SS_MIN_GRAD_Z,
    SS_ONE_Z,
    SS_PEAK,
    SS_PEAK_Z,
)

X = np.array([-1.5, -1.0, -0.5, 0.0, 0.25, 0.5, 1.0, 1.5])
SS5 = [-1.0071815388166854, -1.0530948648593317, -1.1988022226830537, 0.0,
       0.9873616898306249, 1.1988022226830537, 1.0530948648593317, 1.0071815388166854]
DSS5 = [-0.03034020970180985, -0.19499225490032435, -0.0846215652336886, 5.0,
        2.262047404807593, -0.0846215652336886, -0.19499225490032435, -0.03034020970180985]
A = [-1.0, -1.0, -0.75, 0.0, 0.4375, 0.75, 1.0, 1.0]
DA = [0.0, 0.0, 1.0, 2.0, 1.5, 1.0, 0.0, 0.0]
RAISE = {"over": "raise", "invalid": "raise", "divide": "raise"}


def test_golden_signswish():
    np.testing.assert_allclose(signswish(X, 5.0), SS5, rtol=1e-12)
    np.testing.assert_allclose(signswish_grad(X, 5.0), DSS5, rtol=1e-12)
    np.testing.assert_allclose(signswish(np.array([0.2]), 5.0), [0.8553410237429735], rtol=1e-12)
    np.testing.assert_allclose(signswish_grad(np.array([0.2]), 5.0), [3.023661188100153],
                               rtol=1e-12)


@pytest.mark.parametrize("name", ["swishsign", "bnn+"])
def test_golden_swishsign_pair(name):
    q = get(name)
    np.testing.assert_array_equal(q.forward(X), sign(X))
    np.testing.assert_allclose(q.B(X), SS5, rtol=1e-12)
    np.testing.assert_allclose(q.dB(X), DSS5, rtol=1e-12)
    np.testing.assert_array_equal(q.prox(q.B(X)), q.forward(X))
    assert q.name == name and isinstance(q, SwishSign) and q.beta == 5.0


def test_golden_bnnpp_pair():
    q = get("bnn++")
    np.testing.assert_allclose(q.forward(X), SS5, rtol=1e-12)
    np.testing.assert_allclose(q.B(X), SS5, rtol=1e-12)
    np.testing.assert_allclose(q.dB(X), DSS5, rtol=1e-12)
    np.testing.assert_array_equal(q.prox(X), X)
    np.testing.assert_array_equal(q.deploy(X), sign(X))   # truly binary at inference
    assert isinstance(q, BNNPlusPlus) and not q.binary and q.binary_target


def test_golden_approxsign():
    q = get("approxsign")
    np.testing.assert_allclose(q.B(X), A, rtol=1e-12)
    np.testing.assert_allclose(q.dB(X), DA, rtol=1e-12)
    np.testing.assert_array_equal(q.forward(X), sign(X))
    tiny = np.array([-1e-300, 1e-300, -5e-17])
    np.testing.assert_array_equal(sign(q.B(tiny)), sign(tiny))   # product form, no cancellation


@pytest.mark.parametrize("beta", [0.5, 1.0, 5.0, 37.0])
def test_signswish_facts(beta):
    z = np.array([SS_PEAK_Z]) / beta
    np.testing.assert_allclose(signswish(z, beta), [SS_PEAK], rtol=1e-12)
    np.testing.assert_allclose(signswish(-z, beta), [-SS_PEAK], rtol=1e-12)
    assert abs(signswish_grad(z, beta)[0]) < 1e-12 * beta        # SS' changes sign here
    x = np.linspace(-4, 4, 80001) / beta
    s, d = signswish(x, beta), signswish_grad(x, beta)
    assert s.max() <= SS_PEAK * (1 + 1e-12) and s.min() >= -SS_PEAK * (1 + 1e-12)
    assert np.all(d[np.abs(beta * x) > SS_PEAK_Z + 1e-6] < 0)
    assert np.all(d[np.abs(beta * x) < SS_PEAK_Z - 1e-6] > 0)
    np.testing.assert_allclose(d.min(), SS_MIN_GRAD * beta, rtol=1e-8)
    np.testing.assert_allclose(signswish_grad(np.array([SS_MIN_GRAD_Z / beta]), beta),
                               [SS_MIN_GRAD * beta], rtol=1e-12)
    np.testing.assert_allclose(signswish(np.array([SS_ONE_Z / beta]), beta), [1.0], rtol=1e-12)
    assert signswish(np.zeros(1), beta)[0] == 0.0 and signswish_grad(np.zeros(1), beta)[0] == beta
    np.testing.assert_array_equal(signswish(-x, beta), -s)          # odd
    np.testing.assert_array_equal(signswish_grad(-x, beta), d)      # even
    np.testing.assert_allclose(signswish(np.array([60.0, -60.0]) / beta, beta), [1.0, -1.0],
                               rtol=1e-12)


def test_larq_forms_agree():
    beta = 5.0
    x = np.linspace(-3, 3, 10001)
    z = beta * x
    sig = 1 / (1 + np.exp(-z))
    larq = 2 * sig * (1 + z * (1 - sig)) - 1
    larq_grad = beta * (2 - z * np.tanh(z / 2)) / (1 + np.cosh(z))
    assert np.abs(signswish(x, beta) - larq).max() < 1e-14
    assert np.abs(signswish_grad(x, beta) - larq_grad).max() < 1e-14


@pytest.mark.parametrize("dtype, big", [(np.float64, 1e300), (np.float32, 3e38)])
def test_signswish_is_finite_and_warning_free_for_huge_inputs(dtype, big):
    x = np.array([-big, -1e10, -1.0, 0.0, 1e-30, 1.0, 1e10, big], dtype)
    with np.errstate(**RAISE):
        for beta in (0.5, 5.0, 200.0):
            s, d = signswish(x, beta), signswish_grad(x, beta)
            assert s.dtype == d.dtype == dtype
            assert np.all(np.isfinite(s)) and np.all(np.isfinite(d))
            np.testing.assert_array_equal(s[[0, -1]], [-1.0, 1.0])


def test_bnn_plus_and_swishsign_are_the_same_formulas(rng):
    w = rng.normal(size=(5, 7))
    a, b = get("bnn+", beta=3.0), get("swishsign", beta=3.0)
    for method in ("forward", "B", "dB", "deploy"):
        np.testing.assert_array_equal(getattr(a, method)(w), getattr(b, method)(w))
    assert a.name == "bnn+" and b.name == "swishsign"


def test_bnnpp_descriptors_follow_beta():
    q = get("bnn++")
    assert q.backward_bound == 5.0 and q.forward_bound == SS_PEAK
    assert q.forward_monotone is False and q.nonneg_backward is False and q.knots == ()
    q.on_epoch(9, 10)
    assert q.beta == 100.0 and q.backward_bound == 100.0
    assert q.hyperparams() == {"beta": 5.0, "beta_end": 100.0, "epoch": 9, "total": 10}


@pytest.mark.parametrize("beta", [1.0, 5.0, 10.0, 20.0])
def test_float32_signswish_grad_matches_float64(beta):
    # docs/quantizers.md, "SignSwish in float32": 1 - t^2 is computed as 4e/(1+e)^2.
    x = np.linspace(-3, 3, 2001)
    v = signswish_grad(x, beta)
    v32 = signswish_grad(x.astype(np.float32), beta)
    assert v32.dtype == np.float32
    err = np.abs(v32.astype(np.float64) - v)
    assert np.all(err <= 1e-6 * np.maximum(1.0, np.abs(v)))


@pytest.mark.parametrize("beta", [1.0, 5.0, 20.0])
def test_float32_signswish_tails_match_float64(beta):
    # |beta x| in [7, 20]: t = tanh(z/2) rounds to 1 in float32, so 1 - t*t would cancel
    # (the old form gave SS' up to 13x too large there).
    z = np.concatenate([np.linspace(7, 20, 1301), -np.linspace(7, 20, 1301)])
    x32 = (z / beta).astype(np.float32)
    x = x32.astype(np.float64)                        # the same points in both precisions
    for f in (signswish_grad, signswish):
        v, v32 = f(x, beta), f(x32, beta)
        assert v32.dtype == np.float32
        np.testing.assert_allclose(v32, v, rtol=1e-5, atol=0)
