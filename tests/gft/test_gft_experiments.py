"""The experiments E1-E5 (docs/gft.md, "Experiments"): asserted lines, plain numbers, determinism.

Thresholds are those of docs/gft.md, set from bnncore's own calibration runs; none is a
number from the paper.
"""

from __future__ import annotations

import json
import numbers

import pytest

from bnncore.gft import experiments as E


def _plain(value) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return isinstance(value, (int, float)) and type(value).__module__ == "builtins"


@pytest.fixture(scope="module")
def e2_30():
    return E.e2_digits(seed=0, epochs=30)


def test_e1_teacher_student_perceptron():
    r = E.e1_teacher_student(seed=0)
    assert r["train_accuracy"] >= 0.98
    assert r["agreement"] >= 95
    assert r["total_flips"] <= 3 * r["hamming_init"]
    assert r["flips_last5"] == 0
    assert sum(r["flips_per_epoch"]) == r["total_flips"]
    # the same check on bnncore.data.teacher_student (same architecture as the teacher)
    assert r["data_train_accuracy"] >= 0.95
    assert _plain(r) and json.loads(json.dumps(r)) == r
    assert E.e1_teacher_student(seed=0) == r


def test_e2_digits_10_epochs():
    r = E.e2_digits(seed=0, epochs=10)
    assert r["test_accuracy"] >= 0.78
    assert r["n_steps"] == 10 * 22 and r["max_step_excess"] <= 0
    assert _plain(r)


def test_e2_same_seed_same_dict():
    assert E.e2_digits(seed=1, epochs=2) == E.e2_digits(seed=1, epochs=2)


@pytest.mark.slow
def test_e2_digits_30_epochs(e2_30):
    assert e2_30["test_accuracy"] >= 0.80
    assert e2_30["train_accuracy"] >= 0.83
    assert sum(e2_30["flips_per_layer"]) == e2_30["total_flips"] == sum(
        e2_30["flips_per_epoch"])
    assert _plain(e2_30) and json.loads(json.dumps(e2_30)) == e2_30


@pytest.mark.slow
def test_e3_update_counts(e2_30):
    r = E.e3_updates(seed=0, epochs=30, gft=e2_30)
    assert r["gft_writes"] / r["ste_latent_writes"] <= 0.01
    bound = (64 * 256 + 256 * 10) * 30 * 22           # every latent written at every step
    assert 0.95 * bound <= r["ste_latent_writes"] <= bound
    assert r["gft_flips"] == e2_30["total_flips"] and r["ste_sign_flips"] > 0
    assert _plain(r)


@pytest.mark.slow
def test_e4_the_schedule_drives_the_update_count(e2_30):
    r = E.e4_schedule(seed=0, epochs=30, linear=e2_30)
    assert r["flips_last3"] <= 0.25 * r["flips_first3"]
    assert r["max_step_excess"] <= 0                  # every step: sum(flips) <= sum(k)
    assert r["constant_total_flips"] > r["linear_total_flips"]
    assert _plain(r)


def test_e5_energy_proxy(e2_30):
    r = E.e5_energy(seed=0, epochs=30, gft=e2_30)
    assert r["ratio"] >= 3
    assert r["gft_ops"]["fp_mac"] == 0 and r["ste_ops"]["int_add"] == 0
    assert r["ratio"] == pytest.approx(r["ste_pj_per_step"] / r["gft_pj_per_step"])
    assert _plain(r)


def test_plain_helper_rejects_numpy_scalars():
    import numpy as np
    assert not _plain({"a": np.float64(1.0)}) and _plain({"a": [1, 2.0]})
    assert isinstance(1, numbers.Integral)
