"""Shared cases of the OvSW tests (test_ags.py, test_sad.py, test_presets.py):
binarized Parameters, small models, a reference AGS and hypothesis strategies."""

from __future__ import annotations

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st

from bnncore import quantizers
from bnncore.layers import (
    BatchNorm1d,
    BatchNorm2d,
    BinaryConv2d,
    BinaryDense,
    Conv2d,
    Dense,
    Flatten,
    Sequential,
    Sign,
)
from bnncore.optim import AGS
from bnncore.params import Parameter

SHAPES = [(8, 5), (4, 3, 3, 3)]
PROPERTY = settings(max_examples=100, deadline=None, derandomize=True)


def bin_param(data, grad=None, name="w", pair="ste") -> Parameter:
    p = Parameter(np.asarray(data), name, quantizer=quantizers.get(pair))
    if grad is not None:
        p.grad[...] = grad
    return p


def norms(x) -> np.ndarray:
    return np.array([np.linalg.norm(row) for row in np.asarray(x, np.float64).reshape(
        x.shape[0], -1)])


def ags_reference(w, g, delta, eps_w=1e-3, eps_g=1e-6) -> np.ndarray:
    """docs/ovsw.md "AGS" channel by channel, written independently of the library."""
    out = np.array(g, dtype=np.float64, copy=True)
    for c in range(w.shape[0]):
        n_g = max(np.linalg.norm(np.asarray(g[c], np.float64)), eps_g)
        n_w = max(np.linalg.norm(np.asarray(w[c], np.float64)), eps_w)
        if n_g / n_w < delta:
            out[c] = out[c] * (delta * n_w / n_g)
    return out


def run_ags(w, g, delta, **kw) -> np.ndarray:
    p = bin_param(w.copy(), g)
    AGS(delta, **kw)([p])
    return p.grad


def weight_grad(rng, shape, g_scale=1e-2):
    return rng.standard_normal(shape), g_scale * rng.standard_normal(shape)


def small_mlp():
    return Sequential(Dense(6, 8, rng=0), BatchNorm1d(8), Sign(),
                      BinaryDense(8, 5, bias=True, rng=1), BatchNorm1d(5), Sign(),
                      Dense(5, 3, rng=2))


def small_cnn():
    return Sequential(Conv2d(1, 4, 3, padding=1, rng=0), BatchNorm2d(4), Sign(),
                      BinaryConv2d(4, 6, 3, padding=1, bias=True, rng=1), BatchNorm2d(6), Sign(),
                      Flatten(), Dense(6 * 5 * 5, 3, rng=2))


@st.composite
def weight_and_grad(draw):
    """``(w, g)`` of shape ``(o, i)`` or ``(o, i, k, k)``; float32/float64; some channels
    exactly zero; gradient scales spread over many orders of magnitude."""
    o, i = draw(st.integers(1, 16)), draw(st.integers(1, 16))
    shape = draw(st.sampled_from([(o, i), (o, i, 1, 1), (o, i, 3, 3)]))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    w = rng.standard_normal(shape) * 10.0 ** rng.uniform(-3, 1, (o,) + (1,) * (len(shape) - 1))
    g = rng.standard_normal(shape) * 10.0 ** rng.uniform(-5, 0, (o,) + (1,) * (len(shape) - 1))
    w[rng.random(o) < draw(st.floats(0, 0.5))] = 0.0
    g[rng.random(o) < draw(st.floats(0, 0.5))] = 0.0
    return w.astype(dtype), g.astype(dtype)


DELTAS = st.floats(1e-4, 1.0)


def rtol_of(x):
    return 1e-12 if x.dtype == np.float64 else 1e-5


@st.composite
def sad_run(draw):
    """A short run: a weight with random updates (some flip) and random gradients."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shape = draw(st.sampled_from([(3, 4), (2, 3, 3, 3), (16, 1)]))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    steps = draw(st.integers(1, 12))
    w0 = rng.standard_normal(shape)
    moves = rng.standard_normal((steps,) + shape) * draw(st.floats(0.01, 2.0))
    ws = (w0 + np.cumsum(moves, axis=0)).astype(dtype)
    grads = rng.standard_normal((steps,) + shape).astype(dtype)
    gamma = draw(st.floats(0.0, 1.0))
    momentum = draw(st.sampled_from([0.999, 0.9, 0.5]))
    init = draw(st.sampled_from(["zeros", "ones"]))
    return ws, grads, gamma, momentum, init
