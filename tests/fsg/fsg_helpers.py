"""Helpers of the FSG tests: the gradient-check protocol on arbitrary arrays, tiny models.

Protocol (docs/fsg.md, "Gradient-check protocol"): float64, central differences with eps 1e-5,
per-tensor error ``max|analytic - numeric| / max(max|numeric|, 1e-3) < 1e-6``, and every
checked tensor must have ``max|numeric| > 1e-3`` (otherwise the check is vacuous).
"""

from __future__ import annotations

import numpy as np

import bnncore as bc
from bnncore.testing import gradcheck
from bnncore.testing.finite_differences import numeric_grad as _numeric_grad

EPS, FLOOR, TOL = 1e-5, 1e-3, 1e-6


def numeric_grad(loss, arr: np.ndarray, eps: float = EPS) -> np.ndarray:
    """Central differences of the scalar ``loss()`` w.r.t. ``arr`` (the library's loop)."""
    return _numeric_grad(loss, arr, eps)


def assert_close_grads(loss, targets: dict) -> dict:
    """``targets``: name -> (array perturbed in place, analytic gradient). Asserts the
    protocol for every tensor and returns ``{name: (error, max|numeric|)}``."""
    details = {}
    for name, (arr, analytic) in targets.items():
        numeric = numeric_grad(loss, arr)
        max_abs = float(np.abs(numeric).max())
        err = float(np.abs(np.asarray(analytic) - numeric).max()) / max(max_abs, FLOOR)
        details[name] = (err, max_abs)
    for name, (err, max_abs) in details.items():
        assert err < TOL, (name, err, details)
        assert max_abs > FLOOR, f"vacuous check for {name}: {details}"
    return details


def check_layer(layer, x, wrt=None) -> dict:
    """``bnncore.testing.gradcheck`` under the protocol (eps 1e-5, floor 1e-3)."""
    worst, details = gradcheck(layer, x, eps=EPS, rng=1, floor=FLOOR, wrt=wrt,
                               return_details=True)
    for name, d in details.items():
        assert d["error"] < TOL, (name, d, details)
        assert d["max_abs"] > FLOOR, f"vacuous check for {name}: {details}"
    return details


def randomize(params, seed: int, scale: float = 0.7) -> None:
    """Overwrite every Parameter with ``scale * N(0, 1)`` float64 draws (the protocol's)."""
    g = np.random.default_rng(seed)
    for p in params:
        p.data = (scale * g.standard_normal(p.shape)).astype(np.float64)
        p.grad = np.zeros_like(p.data)


def tiny_model(seed: int = 0, dtype=np.float64, sizes=(5, 4, 3)):
    """Two ``ste`` binary dense layers (bias-free) with BatchNorm after the first (5-4-3)."""
    g = np.random.default_rng(seed)
    a, b, c = sizes
    l1 = bc.layers.BinaryDense(a, b, bias=False, rng=g)
    l2 = bc.layers.BinaryDense(b, c, bias=False, rng=g)
    return bc.layers.Sequential(l1, bc.layers.BatchNorm1d(b), l2).astype(dtype)


def tiny_data(n: int = 24, d: int = 5, classes: int = 3, seed: int = 0, dtype=np.float64):
    g = np.random.default_rng(seed)
    return g.normal(size=(n, d)).astype(dtype), g.integers(0, classes, n)
