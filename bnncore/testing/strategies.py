"""Hypothesis strategies for BNN code: quantizer pairs, their inputs, +-1 arrays, layer shapes.

Needs hypothesis (the ``test`` extra); ``bnncore.testing`` imports this module only when one
of its names is used. Ranges: docs/quantizers.md, "Testing your own pair".

Examples
--------
>>> from hypothesis import given, settings
>>> from bnncore.testing import check_quantizer_pair, quantizer_pairs
>>> @settings(max_examples=3, deadline=None)
... @given(quantizer_pairs(names=["bnn++"]))
... def test_pairs(pair):
...     check_quantizer_pair(pair, checks=["check_backward_is_g_times_dB",
...                                        "check_forward_is_prox_of_B"])
>>> test_pairs()
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .. import quantizers as Q
from .quantizer_facts import REGISTERED_CLASSES, special_values

DTYPES = (np.float32, np.float64)


def _floats(lo: float, hi: float):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def _optional(strategy):
    return st.one_of(st.none(), strategy)


@st.composite
def _window(draw) -> dict:
    a = draw(_floats(0.0, 0.5))
    return {"anneal_start": a, "anneal_end": draw(_floats(a + 0.1, 1.0))}


@st.composite
def pair_params(draw, name: str) -> dict:
    """Random valid constructor keywords for the registered pair ``name``."""
    if name in ("clipped_ste", "bnn"):
        return {"clip_value": draw(_floats(0.1, 4.0))}
    if name in ("swishsign", "bnn+"):
        return {"beta": draw(_floats(0.5, 20.0))}
    if name == "bnn++":
        beta = draw(_floats(0.5, 20.0))
        return {"beta": beta, "beta_end": draw(_optional(_floats(beta, 200.0)))}
    if name == "dorefa":
        k = draw(st.integers(1, 8))
        scale = draw(st.one_of(st.sampled_from(["tensor", "channel"]), _floats(0.01, 10.0)))
        return {"k": k, "scale": scale if k == 1 else "tensor",
                "m": draw(_optional(_floats(0.1, 1.0)))}
    if name == "binaryrelax":
        return {**draw(_window()), "theta": draw(_optional(_floats(0.0, 1.0)))}
    if name == "parq":
        return {**draw(_window()), "steepness": draw(_floats(1.0, 20.0)),
                "center": draw(_floats(0.0, 1.0)),
                "inv_slope": draw(_optional(_floats(0.0, 1.0)))}
    if name == "proxquant":
        return {"reg_rate": draw(_floats(0.0, 1e-2)), "freeze_frac": draw(_floats(0.05, 1.0)),
                "lam": draw(_optional(_floats(0.0, 2.0)))}
    if name == "proxconnect":
        return {"rho": draw(_floats(0.0, 3.0)), "varrho": draw(_floats(0.0, 3.0)),
                "mu_max": draw(_floats(0.0, 3.0)), **draw(_window()),
                "mu": draw(_optional(_floats(0.0, 3.0)))}
    return {}


@st.composite
def quantizer_pairs(draw, names=None) -> Q.QuantizerPair:
    """Registered pairs with random valid hyper-parameters and annealing state.

    Parameters
    ----------
    names : sequence of str, optional
        Draw from these registry names (default: the 13 registered pairs).
    """
    name = draw(st.sampled_from(sorted(names or REGISTERED_CLASSES)))
    pair = Q.get(name, **draw(pair_params(name)))
    if isinstance(pair, Q.annealing.Annealed) and draw(st.booleans()):
        total = draw(st.integers(1, 50))
        pair.on_epoch(draw(st.integers(0, total - 1)), total)
    return pair


@st.composite
def _shape(draw, max_size: int = 64) -> tuple[int, ...]:
    shape, budget = [], max_size
    for _ in range(draw(st.integers(0, 3))):
        side = draw(st.integers(0, min(budget, 16)))
        shape.append(side)
        budget //= max(side, 1)
    return tuple(shape)


@st.composite
def quantizer_arrays(draw, pair=None, dtype=None, max_size: int = 64) -> np.ndarray:
    """float32/float64 arrays (0-3 dims, <= ``max_size`` elements, ``|x| <= 1e3``) mixed with
    the pair's special values (0, -0.0, +-1, knots, +-c, +-2.399/beta)."""
    dtype = draw(st.sampled_from(DTYPES)) if dtype is None else np.dtype(dtype).type
    width = 32 if dtype == np.float32 else 64
    specials = [float(dtype(v)) for v in special_values(pair)]
    elements = st.one_of(st.sampled_from(specials),
                         st.floats(-1e3, 1e3, allow_nan=False, width=width))
    return draw(hnp.arrays(dtype, draw(_shape(max_size)), elements=elements))


def gradient_arrays(x: np.ndarray):
    """Gradients for ``backward(x, g)``: same shape and dtype, ``|g| <= 1e3``."""
    width = 32 if x.dtype == np.float32 else 64
    return hnp.arrays(x.dtype, x.shape, elements=st.floats(-1e3, 1e3, allow_nan=False,
                                                           width=width))


class MonotoneFunction:
    """A non-decreasing function ``R -> R`` (readable ``repr`` for hypothesis reports)."""

    def __init__(self, kind: str, **params) -> None:
        self.kind, self.params = kind, params

    def __call__(self, x):
        x = np.asarray(x)
        p = self.params
        if self.kind == "piecewise_linear":
            y = np.interp(x, p["xk"], p["yk"])
        elif self.kind == "smooth":
            y = p["a"] * np.tanh(p["b"] * (x - p["c"])) + p["d"] * x + p["e"]
        else:
            y = np.where(x >= p["t"], p["hi"], p["lo"])
        return np.asarray(y, dtype=x.dtype if x.dtype.kind == "f" else np.float64)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={np.round(v, 4).tolist()!r}" for k, v in self.params.items())
        return f"MonotoneFunction({self.kind!r}, {args})"


@st.composite
def monotone_functions(draw, kinds=("piecewise_linear", "smooth", "step"),
                       strict: bool = False) -> MonotoneFunction:
    """Random non-decreasing functions (piecewise-linear, ``a tanh(b(x-c)) + d x + e``, step).

    With ``strict=True`` only strictly increasing ones (the smooth kind with ``d > 0``).
    """
    kind = "smooth" if strict else draw(st.sampled_from(list(kinds)))
    if kind == "piecewise_linear":
        n = draw(st.integers(2, 6))
        gaps = np.array(draw(st.lists(_floats(0.05, 1.5), min_size=n, max_size=n)))
        xk = draw(_floats(-3, 0)) + np.cumsum(gaps) - gaps[0]      # strictly increasing
        steps = np.array(draw(st.lists(_floats(0, 2), min_size=n, max_size=n)))
        return MonotoneFunction(kind, xk=xk, yk=np.cumsum(steps) - steps.sum() / 2)
    if kind == "smooth":
        return MonotoneFunction(kind, a=draw(_floats(0, 2)), b=draw(_floats(0.1, 10)),
                                c=draw(_floats(-1, 1)),
                                d=draw(_floats(0.05 if strict else 0.0, 1.0)),
                                e=draw(_floats(-1, 1)))
    lo = draw(_floats(-2, 1))
    return MonotoneFunction("step", t=draw(_floats(-1, 1)), lo=lo, hi=lo + draw(_floats(0, 2)))


def pm1_arrays(shape=None, dtype=np.float32):
    """Arrays of +-1 (``dtype`` float32, float64 or int8); ``shape`` a tuple or a strategy."""
    if shape is None:
        shape = hnp.array_shapes(min_dims=1, max_dims=3, max_side=16)
    return hnp.arrays(dtype, shape, elements=st.sampled_from([-1, 1]))


@st.composite
def layer_shapes(draw, kind: str | None = None) -> dict:
    """Shapes of a dense or conv2d layer with a batch (a dict of its sizes).

    ``{"kind": "dense", "batch", "in_features", "out_features"}`` or
    ``{"kind": "conv2d", "batch", "in_channels", "out_channels", "height", "width",
    "kernel_size", "stride", "padding"}`` with at least one output pixel.
    """
    kind = kind or draw(st.sampled_from(["dense", "conv2d"]))
    batch = draw(st.integers(1, 4))
    if kind == "dense":
        return {"kind": kind, "batch": batch, "in_features": draw(st.integers(1, 70)),
                "out_features": draw(st.integers(1, 16))}
    k = draw(st.integers(1, 3))
    padding = draw(st.integers(0, k // 2))
    h = draw(st.integers(max(k - 2 * padding, 1), 8))
    w = draw(st.integers(max(k - 2 * padding, 1), 8))
    return {"kind": kind, "batch": batch, "in_channels": draw(st.integers(1, 3)),
            "out_channels": draw(st.integers(1, 4)), "height": h, "width": w,
            "kernel_size": k, "stride": draw(st.integers(1, 2)), "padding": padding}
