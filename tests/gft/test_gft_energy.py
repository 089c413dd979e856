"""Operation counts (docs/gft.md, "Operation counts and energy") on a hand-worked step."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

from bnncore.gft import ENERGY_PJ, FullyBinaryMLP, GFTTrainer, OpCounts, ste_step_ops


def _hand_case(bias=False, gate="none"):
    """sizes (3, 2, 2), B = 2. Worked by hand:

    v1 = [[3, 1], [-1, 1]], x1 = [[1, 1], [-1, 1]], v2 = [[2, 0], [0, -2]], y = [1, 0]
    D2 = [[-1, 0], [0, 0]] (z2 = 1), D1 = tsign(D2 W2) = [[-1, -1], [0, 0]] (z1 = 2)
    sigma1 = W1 (5 candidates), sigma2 = [[1, 1], [0, 0]] (2 candidates); k = 1 each.
    """
    net = FullyBinaryMLP((3, 2, 2), bias=bias, rng=0)
    net.weights[0] = np.array([[1, 1, 1], [1, -1, 1]], np.int8)
    net.weights[1] = np.array([[1, 1], [1, -1]], np.int8)
    tr = GFTTrainer(net, k0=1, k_min=1, schedule="constant", gate=gate, tau=[5], rng=0)
    x = np.array([[1, 1, 1], [1, -1, -1]])
    return tr, x, np.array([1, 0])


def test_hand_worked_step_counts():
    tr, x, y = _hand_case()
    stats = tr.step(x, y)
    assert stats.candidates == (5, 2) and stats.selected == (1, 1) and stats.flips == (1, 1)
    assert stats.n_error_entries == 1 and stats.n_misclassified == 1
    B = 2
    # layer 1 (I=3, O=2, first): forward, sign, vote z1*I, scores O*I, candidates O*I,
    # selection n_c + n_sel
    l1 = dict(bin_word_ops=B * 2 * 1, int_add=B * 2 + 2 * 3 + 2 * 3,
              int_cmp=B * 2 + 2 * 3 + (5 + 1), rng_draws=5 + 1, param_writes=1)
    # layer 2 (I=2, O=2, last): forward, output error 2*B*O, propagation z2*I and B*I,
    # vote z2*I, scores, candidates, selection
    l2 = dict(bin_word_ops=B * 2 * 1, int_add=B * 2 + 1 * 2 + 1 * 2 + 2 * 2,
              int_cmp=2 * B * 2 + B * 2 + 2 * 2 + (2 + 1), rng_draws=2 + 1, param_writes=1)
    expected = OpCounts(**{k: l1[k] + l2[k] for k in l1})
    assert stats.ops == expected
    assert expected.as_dict() == {"bin_word_ops": 8, "int_add": 28, "int_cmp": 35,
                                  "int_mul": 0, "fp_mac": 0, "fp_add": 0, "fp_mul": 0,
                                  "fp_cmp": 0, "rng_draws": 9, "param_writes": 2}


def test_hand_worked_step_counts_with_gate_and_bias():
    tr, x, y = _hand_case(gate="window")
    assert tr.step(x, y).ops.int_cmp == 35 + 2 * 2   # + B*I for the gate (tau = 5: all open)
    tr, x, y = _hand_case(bias=True)
    stats = tr.step(x, y)
    assert stats.bias_updates == (1, 1)
    # bias: forward + B*O adds per layer; votes z adds; O compares; selections over the
    # bias candidates: layer 1 Sb = [-1, -1] (2 candidates), layer 2 Sb = [-1, 0] (1)
    assert stats.ops.as_dict() == {"bin_word_ops": 8, "int_add": 28 + (4 + 2) + (4 + 1),
                                   "int_cmp": 35 + (2 + 3) + (2 + 2), "int_mul": 0,
                                   "fp_mac": 0, "fp_add": 0, "fp_mul": 0, "fp_cmp": 0,
                                   "rng_draws": 9 + 3 + 2, "param_writes": 4}


def test_no_selection_no_draws_counted():
    tr, x, y = _hand_case()
    tr.k0 = tr.k_min = 0
    stats = tr.step(x, y)
    assert stats.flips == (0, 0) and stats.ops.rng_draws == 0
    assert stats.ops.int_cmp == 35 - (5 + 1) - (2 + 1)


def test_ste_step_ops_by_hand():
    B, C = 2, 2
    ops = ste_step_ops((3, 2, 2), B, C)
    assert ops.fp_mac == 2 * B * 2 * 3 + (2 * B * 2 * 2 + B * 2 * 2)
    assert ops.fp_cmp == (B * 2 + 2 * 3) + (B * 2 + 2 * 2)
    assert ops.fp_mul == 6 * (6 + 4) + 3 * B * C
    assert ops.fp_add == 4 * (6 + 4) + 3 * B * C
    assert ops.param_writes == 6 + 4
    assert ops.int_add == ops.bin_word_ops == ops.rng_draws == 0


def test_opcounts_add_is_fieldwise_and_energy_is_the_dot_product():
    g = np.random.default_rng(0)
    names = [f.name for f in fields(OpCounts)]
    a = OpCounts(**{n: int(g.integers(0, 1000)) for n in names})
    b = OpCounts(**{n: int(g.integers(0, 1000)) for n in names})
    s = a + b
    assert all(getattr(s, n) == getattr(a, n) + getattr(b, n) for n in names)
    assert s.energy_pj() == pytest.approx(sum(getattr(s, n) * ENERGY_PJ[n] for n in names),
                                          rel=1e-12)
    assert OpCounts(fp_mac=2).energy_pj({n: 1.0 for n in names}) == 2.0
    with pytest.raises(ValueError, match="lacks"):
        a.energy_pj({"fp_mac": 1.0})
    assert a.scaled(3) == a + a + a


def test_energy_table_is_the_documented_table():
    assert dict(ENERGY_PJ) == {"fp_add": 0.9, "fp_mul": 3.7, "fp_mac": 4.6, "int_add": 0.1,
                               "int_mul": 3.1, "int_cmp": 0.1, "fp_cmp": 0.9,
                               "bin_word_ops": 0.3, "rng_draws": 0.5, "param_writes": 0.0}
    with pytest.raises(TypeError):
        ENERGY_PJ["fp_add"] = 1.0          # read-only
