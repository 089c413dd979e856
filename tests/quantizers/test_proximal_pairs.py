"""BinaryRelax, PARQ, ProxQuant, ProxConnect and their proximal maps (docs/quantizers.md)."""

import numpy as np
import pytest

from bnncore.optim import SGD
from bnncore.params import Parameter
from bnncore.quantizers import (
    ProxQuant,
    get,
    parq_map,
    proxconnect_map,
    proxquant_map,
    relax_map,
    sign,
)

U = np.array([-2.0, -1.2, -0.5, -1e-9, 0.0, 0.3, 0.9, 1.5, 3.0])


def test_golden_binaryrelax_map():
    want = [-1.5, -1.1, -0.75, -(0.5 + 0.5e-9), 0.5, 0.65, 0.95, 1.25, 2.0]
    np.testing.assert_allclose(relax_map(U, 0.5), want, rtol=1e-12)
    q = get("binaryrelax", theta=0.5)
    np.testing.assert_allclose(q.forward(U), want, rtol=1e-12)
    np.testing.assert_array_equal(q.prox(U), q.forward(U))
    np.testing.assert_array_equal(q.B(U), U)


def test_golden_proxquant_map():
    want = [-1.7, -1.0, -0.8, -(0.3 + 1e-9), 0.3, 0.6, 1.0, 1.2, 2.7]
    np.testing.assert_allclose(proxquant_map(U, 0.3), want, rtol=1e-12)
    for lam in (0.0, 0.2, 0.7, 0.999, 1.0, 1.5):
        np.testing.assert_allclose(proxquant_map(np.zeros(1), lam), [lam if lam < 1 else 1.0],
                                   rtol=1e-12)
    np.testing.assert_allclose(proxquant_map(np.array([0.5, 2.0]), 0.3), [0.8, 1.7], rtol=1e-12)


def test_golden_proxconnect_map():
    want = [-4 / 3, -1.0, -1.0, -1 + (0.5 - 1e-9) / 1.5, 2 / 3, 0.8666666666666667, 1.0, 1.0, 2.0]
    np.testing.assert_allclose(proxconnect_map(U, 0.5, 1.0, 1.0), want, rtol=1e-12)
    np.testing.assert_allclose(get("proxconnect", mu=0.5).forward(U), want, rtol=1e-12)
    for rho, varrho in ((1.0, 1.0), (2.0, 0.0), (0.0, 3.0)):
        np.testing.assert_array_equal(proxconnect_map(U, 0.0, rho, varrho), U)   # mu = 0


def _literal_L(u, mu, rho, varrho):
    q = sign(u)
    e = u - q
    return q + np.sign(e) * np.maximum(np.abs(e) - mu * rho, 0) / (1 + mu * varrho)


@pytest.mark.parametrize("mu, rho, varrho", [(0.5, 1, 1), (1.0, 0.3, 2.0), (2.0, 1.0, 0.0),
                                             (0.7, 0.0, 1.0), (3.0, 3.0, 3.0)])
def test_proxconnect_map_is_the_spec_formula(mu, rho, varrho):
    u = np.linspace(-4, 4, 8001)
    np.testing.assert_allclose(proxconnect_map(u, mu, rho, varrho), _literal_L(u, mu, rho, varrho),
                               rtol=1e-12, atol=1e-15)


def test_proxconnect_special_cases_are_exact():
    u = np.concatenate([np.linspace(-3, 3, 6001), [-1e-300, 1e-300, -0.0]])
    for mu in (0.1, 0.5, 1.0, 2.5):
        for rho in (0.0, 0.4, 1.0, 3.0):
            np.testing.assert_array_equal(proxconnect_map(u, mu, rho, 0.0),
                                          proxquant_map(u, mu * rho))
        for varrho in (0.0, 0.5, 1.0, 3.0):
            th = mu * varrho / (1 + mu * varrho)
            np.testing.assert_array_equal(proxconnect_map(u, mu, 0.0, varrho), relax_map(u, th))


def test_parq_map():
    np.testing.assert_allclose(parq_map(U, 0.3), np.clip(U / 0.3, -1, 1), rtol=1e-12)
    np.testing.assert_array_equal(parq_map(U, 0.0), sign(U))
    np.testing.assert_array_equal(parq_map(U, 1.0), np.clip(U, -1, 1))
    tiny = np.array([-1e-20, 1e-45, 0.0], np.float32)   # s = 1e-300 underflows in float32
    np.testing.assert_array_equal(parq_map(tiny, 1e-300), [-1.0, 1.0, 0.0])


@pytest.mark.parametrize("name, P, params", [
    ("sign", lambda u, p: sign(u), [None]),
    ("F_th", relax_map, [0.0, 0.2, 0.5, 0.9, 1.0]),
    ("F_s", parq_map, [0.0, 0.01, 0.3, 1.0]),
    ("P_PQ", proxquant_map, [0.0, 0.1, 0.5, 1.0, 2.0]),
    ("L", lambda u, p: proxconnect_map(u, *p), [(0.5, 1, 1), (2, 0.2, 3), (3, 3, 0), (0.1, 0, 2)]),
    ("DoReFa P", lambda u, k: get("dorefa", k=k).prox(u), [2, 3, 5]),
])
def test_proximal_maps_are_nondecreasing(name, P, params):
    u = np.linspace(-3, 3, 100001)
    for p in params:
        out = P(u, p)
        assert np.all(np.diff(out) >= 0), (name, p)
        np.testing.assert_array_equal(sign(out), sign(u))


def test_bnn_post_step_clips_and_sgd_respects_it():
    p = Parameter(np.array([0.5, -0.9, 0.95]), quantizer=get("bnn"))
    p.grad[...] = [-2.0, 3.0, 0.1]
    SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.data, [0.7, -1.0, 0.94])
    assert np.all(np.abs(p.data) <= 1.0)


def test_ste_post_step_is_plain_sgd():
    w0, g = np.array([0.5, -3.0, 7.0]), np.array([1.0, -2.0, 0.5])
    p = Parameter(w0.copy(), quantizer=get("ste"))
    p.grad[...] = g
    SGD([p], lr=0.1).step()
    np.testing.assert_array_equal(p.data, w0 - 0.1 * g)


def test_proxquant_post_step_and_freeze():
    q = get("proxquant", reg_rate=0.05)
    w = np.array([-2.0, -0.5, 0.0, 0.3, 0.9, 1.5])
    np.testing.assert_array_equal(q.post_step(w, 0.5), np.clip(w, -1, 1))      # lam_0 = 0
    q.on_epoch(3, 10)
    assert q.lam == pytest.approx(0.15) and not q.frozen
    want = np.clip(proxquant_map(w, 0.5 * q.lam), -1, 1)
    np.testing.assert_array_equal(q.post_step(w, 0.5), want)
    np.testing.assert_array_equal(q.forward(w), w)
    np.testing.assert_array_equal(q.dB(w), np.ones(6))
    q.on_epoch(7, 10)                                          # e_freeze = 7
    assert q.frozen and q.binary
    np.testing.assert_array_equal(q.forward(w), sign(w))
    np.testing.assert_array_equal(q.B(w), np.zeros(6))
    np.testing.assert_array_equal(q.dB(w), np.zeros(6))
    np.testing.assert_array_equal(q.post_step(w, 0.5), sign(w))
    with pytest.raises(NotImplementedError, match="proxquant has no PC\\+\\+ factorization"):
        q.prox(w)
    assert q.knots == (0.0,) and q.forward_bound == 1.0 and q.backward_bound == 0.0


def test_proxquant_freeze_rules():
    assert ProxQuant.freeze_epoch(10) == 7 and ProxQuant.freeze_epoch(1) == 1
    q = get("proxquant", lam=0.4, freeze_frac=1.0)      # fixed lam; 1.0 never freezes
    for e in range(5):
        q.on_epoch(e, 5)
        assert q.lam == 0.4 and not q.frozen
    q = get("proxquant", lam=0.4)                        # fixed lam still freezes
    q.on_epoch(2, 3)
    assert q.frozen


def test_proxquant_reg_rate_for_budget():
    rate = ProxQuant.reg_rate_for_budget(8.0, 1e-3, 22, 30)
    e_freeze = ProxQuant.freeze_epoch(30)
    spent = sum(1e-3 * 22 * rate * e for e in range(e_freeze))
    assert spent == pytest.approx(8.0, rel=1e-12)
    with pytest.raises(ValueError, match="freeze epoch is 1"):
        ProxQuant.reg_rate_for_budget(8.0, 1e-3, 22, 2)
    for bad in ({"budget": 0.0}, {"lr": np.inf}, {"steps_per_epoch": -1.0}):
        kwargs = {"budget": 8.0, "lr": 1e-3, "steps_per_epoch": 22, "total": 30, **bad}
        with pytest.raises(ValueError, match=next(iter(bad))):
            ProxQuant.reg_rate_for_budget(**kwargs)


def test_descriptor_table():
    c = 1.0
    table = {  # name: (forward_monotone, nonneg_backward, forward_bound, backward_bound, knots,
               #        latent_domain, binary_target, elementwise)
        "identity": (True, True, None, 1, (), None, False, True),
        "ste": (True, True, 1, 1, (0,), None, True, True),
        "clipped_ste": (True, True, 1, 1, (0, -c, c), None, True, True),
        "bnn": (True, True, 1, 1, (0, -c, c), (-c, c), True, True),
        "approxsign": (True, True, 1, 2, (0, -1, 1), None, True, True),
        "swishsign": (True, False, 1, 5.0, (0,), None, True, True),
        "bnn+": (True, False, 1, 5.0, (0,), None, True, True),
        "bnn++": (False, False, 1.1996786402577337, 5.0, (), None, True, True),
        "dorefa": (True, True, None, 1, (0,), None, True, False),
        "binaryrelax": (True, True, None, 1, (0,), None, True, True),
        "parq": (True, True, 1, 1, (-1.0, 1.0), None, True, True),
        "proxquant": (True, True, None, 1, (), (-1, 1), True, True),
        "proxconnect": (True, True, None, 1, (0, -1, -1, 1, 1), None, True, True),
    }
    attrs = ("forward_monotone", "nonneg_backward", "forward_bound", "backward_bound", "knots",
             "latent_domain", "binary_target", "elementwise")
    for name, row in table.items():
        q = get(name)
        assert tuple(getattr(q, a) for a in attrs) == row, name


def test_annealed_descriptors():
    q = get("proxconnect", mu=0.5, rho=0.4)
    assert q.knots == (0.0, -1.2, -0.8, 0.8, 1.2)
    q = get("proxconnect")
    q.on_epoch(9, 10)
    assert q.hard and q.binary and q.knots == (0.0,) and q.forward_bound == 1.0
    q = get("parq", inv_slope=0.3)
    assert q.knots == (-0.3, 0.3) and not q.binary
    q = get("parq")
    q.on_epoch(9, 10)
    assert q.knots == (0.0,) and q.binary
    q = get("binaryrelax", theta=1.0)
    assert q.binary
    np.testing.assert_array_equal(q.forward(U), sign(U))
