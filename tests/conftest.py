"""Shared fixtures: the gradient-check protocol, signed test data, the digits dataset.

The gradient-check protocol (docs/fsg.md, section "Tests"): per tensor,
``max|analytic - numeric| / max(max|numeric|, 1e-3) < 1e-6`` in float64, and the check
must not be vacuous: ``max|numeric| > 1e-3`` for every checked tensor.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # before anything imports pyplot

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import reject  # noqa: E402

import bnncore as bc  # noqa: E402
from bnncore.testing import gradcheck  # noqa: E402

# Hypothesis tests here use @settings(deadline=None, derandomize=True): gradient checks are
# O(size) forward passes (no per-example deadline), and derandomized draws make a failure
# reproduce on every run. No global profile, so tests/kernels keeps its own settings.

GRAD_TOL = 1e-6
NONVACUOUS = 1e-3


def signed_uniform(rng: np.random.Generator, shape, low: float = 0.5,
                   high: float = 1.5) -> np.ndarray:
    """float64 values with ``low <= |v| <= high`` and random signs (no value near 0)."""
    magnitude = rng.uniform(low, high, shape)
    return magnitude * rng.choice([-1.0, 1.0], size=shape)


def away_from(rng: np.random.Generator, shape, kinks, margin: float = 1e-2,
              scale: float = 1.5) -> np.ndarray:
    """Uniform values in ``[-scale, scale]`` kept at least ``margin`` from every kink."""
    x = rng.uniform(-scale, scale, shape)
    for k in kinks:
        close = np.abs(x - k) < margin
        x[close] = k + np.where(x[close] >= k, margin, -margin) * 2
    for k in kinks:
        assert np.abs(x - k).min() >= margin
    return x


def distinct_values(rng: np.random.Generator, shape, spacing: float = 0.05) -> np.ndarray:
    """A random arrangement of well-separated values (no ties: max pooling is smooth)."""
    n = int(np.prod(shape))
    return (rng.permutation(n) - n / 2).reshape(shape) * spacing


def check_gradients(layer, x, *, wrt=None, training: bool = True,
                    generated: bool = False) -> dict:
    """Run ``bnncore.testing.gradcheck`` under the protocol and return its details.

    With ``generated=True`` (inside a hypothesis test) a draw whose gradient happens to
    cancel to ``<= 1e-3`` is rejected as degenerate data instead of failing; the error
    bound is asserted first in every case, and hypothesis fails the test if it has to
    reject too many draws, so a gradient that is always zero still fails.
    """
    worst, details = gradcheck(layer, x, wrt=wrt, training=training, return_details=True)
    assert worst < GRAD_TOL, details
    if wrt is not None:
        assert set(details) == set(wrt)
    for name, d in details.items():
        assert d["error"] < GRAD_TOL, (name, d)
    for name, d in details.items():
        if generated and d["max_abs"] <= NONVACUOUS:
            reject()
        assert d["max_abs"] > NONVACUOUS, f"vacuous gradient check for {name!r}: {d}"
    return details


@pytest.fixture(scope="session")
def grad_ok():
    """The protocol as a callable: ``grad_ok(layer, x, wrt=..., training=...)``."""
    return check_gradients


@pytest.fixture(scope="session")
def data_tools():
    """Test-data helpers (a namespace, usable from hypothesis tests)."""

    class Tools:
        signed = staticmethod(signed_uniform)
        away_from = staticmethod(away_from)
        distinct = staticmethod(distinct_values)

    return Tools


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def digits():
    """``load_digits()`` with the default split (1347 / 450)."""
    return bc.data.load_digits()


@pytest.fixture(scope="session")
def tiny_digits(digits):
    """A 256-sample training subset and 100 test samples, for quick loop tests."""
    Xtr, ytr, Xte, yte = digits
    return Xtr[:256], ytr[:256], Xte[:100], yte[:100]
