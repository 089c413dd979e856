"""HistoricalGradientStorage: fill rule, ring order, copies, reset, bounded memory, errors."""

from __future__ import annotations

import numpy as np
import pytest

from bnncore.fsg import HistoricalGradientStorage


def pushes(m, sizes=(3, 2), seed=0):
    g = np.random.default_rng(seed)
    return [[g.normal(size=n) for n in sizes] for _ in range(m)]


@pytest.mark.parametrize("length", [1, 3, 5])
def test_view_is_last_pushes_in_order(length):
    for m in range(1, 2 * length + 2):
        hgs = HistoricalGradientStorage([3, 2], length=length, dtype=np.float64)
        data = pushes(m)
        for grads in data:
            hgs.push(grads)
        k = min(m, length)
        assert hgs.count == k
        for ell in range(2):
            want = np.stack([d[ell] for d in data[-k:]])       # no padding, no repetition
            np.testing.assert_array_equal(hgs.view(ell), want)
            np.testing.assert_array_equal(hgs.latest(ell), data[-1][ell])


def test_fill_rule_before_full_and_memory_bounded():
    hgs = HistoricalGradientStorage([4], length=3, dtype=np.float32)
    memory = hgs.memory
    assert memory == 12
    for t in range(10):
        hgs.push([np.full(4, t)])
        assert hgs.view(0).shape == (min(t + 1, 3), 4)
        assert hgs.view(0)[0, 0] == max(0, t - 2)               # oldest kept
        assert hgs.memory == memory                             # never grows
        assert sum(b.nbytes for b in hgs._buf) == 12 * 4


def test_copies_in_and_out():
    hgs = HistoricalGradientStorage([2], length=2, dtype=np.float64)
    g = np.array([1.0, 2.0])
    hgs.push([g])
    g[:] = 9.0
    np.testing.assert_array_equal(hgs.view(0), [[1.0, 2.0]])
    v = hgs.view(0)
    v[:] = -1.0
    lat = hgs.latest(0)
    lat[:] = -1.0
    np.testing.assert_array_equal(hgs.view(0), [[1.0, 2.0]])


def test_push_casts_and_ravels():
    hgs = HistoricalGradientStorage([6], length=2, dtype=np.float32)
    hgs.push([np.arange(6.0).reshape(2, 3)])
    assert hgs.view(0).dtype == np.float32
    np.testing.assert_array_equal(hgs.view(0)[0], np.arange(6.0))


def test_reset_empties_and_next_push_is_first():
    hgs = HistoricalGradientStorage([2], length=3, dtype=np.float64)
    for t in range(5):
        hgs.push([np.full(2, float(t))])
    hgs.reset()
    assert hgs.count == 0
    with pytest.raises(ValueError, match="empty"):
        hgs.view(0)
    with pytest.raises(ValueError, match="empty"):
        hgs.latest(0)
    assert all(not b.any() for b in hgs._buf)
    hgs.push([np.array([7.0, 8.0])])
    assert hgs.count == 1
    np.testing.assert_array_equal(hgs.view(0), [[7.0, 8.0]])
    hgs.push([np.array([1.0, 1.0])])
    np.testing.assert_array_equal(hgs.view(0), [[7.0, 8.0], [1.0, 1.0]])


def test_state_dict_round_trip(tmp_path):
    hgs = HistoricalGradientStorage([3, 2], length=3, dtype=np.float64)
    for grads in pushes(5):
        hgs.push(grads)
    np.savez(tmp_path / "hgs.npz", **hgs.state_dict())
    other = HistoricalGradientStorage([3, 2], length=3, dtype=np.float64)
    with np.load(tmp_path / "hgs.npz", allow_pickle=False) as f:
        other.load_state_dict(dict(f))
    assert other.count == hgs.count
    for ell in range(2):
        np.testing.assert_array_equal(other.view(ell), hgs.view(ell))
    grads = pushes(1, seed=7)[0]
    hgs.push(grads)
    other.push(grads)
    np.testing.assert_array_equal(other.view(0), hgs.view(0))
    with pytest.raises(ValueError, match="sizes"):
        HistoricalGradientStorage([3], length=3).load_state_dict(hgs.state_dict())


def test_errors():
    with pytest.raises(ValueError, match="length"):
        HistoricalGradientStorage([2], length=0)
    with pytest.raises(ValueError, match=r"sizes\[1\]"):
        HistoricalGradientStorage([2, 0])
    with pytest.raises(TypeError, match="dtype"):
        HistoricalGradientStorage([2], dtype=np.int32)
    hgs = HistoricalGradientStorage([2, 3], length=2)
    with pytest.raises(ValueError, match="2 tensors"):
        hgs.push([np.zeros(2)])
    with pytest.raises(ValueError, match=r"grads\[1\]"):
        hgs.push([np.zeros(2), np.zeros(4)])
    with pytest.raises(ValueError, match=r"grads\[0\].*finite"):
        hgs.push([np.array([np.nan, 0.0]), np.zeros(3)])
    assert hgs.count == 0                                # nothing stored by a failed push
    hgs.push([np.zeros(2), np.zeros(3)])
    with pytest.raises(IndexError):
        hgs.view(2)
    with pytest.raises(IndexError):
        hgs.latest(-1)
