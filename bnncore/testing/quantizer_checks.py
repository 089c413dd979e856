"""The quantizer-pair properties P1-P17 (shared/spec/quantizers_pcpp.md, Section 7).

Each property is a function ``(pair, x, g) -> None`` that raises ``AssertionError`` with a
readable witness; ``applicable(pair)`` lists the ids that apply to a pair in its current
state, and ``check_quantizer_pair(pair)`` runs them all on a built-in set of arrays. This
module needs only NumPy (the hypothesis strategies are in ``bnncore.testing.strategies``).

Float32 tolerances: bounds (P8, P9) allow ``4 eps`` of float32 relative slack, since a
float32 result is the rounding of the float64 value; values at 0 (P11) allow an absolute
``tiny`` of the dtype, since a hyper-parameter below it rounds to 0 in float32.
"""

from __future__ import annotations

import copy

import numpy as np

from .. import quantizers as Q
from ..quantizers import criteria
from ..quantizers.annealing import Annealed

SPEC_CLASSES = {"identity": Q.Identity, "ste": Q.STE, "clipped_ste": Q.ClippedSTE, "bnn": Q.BNN,
                "approxsign": Q.ApproxSign, "swishsign": Q.SwishSign, "bnn+": Q.SwishSign,
                "bnn++": Q.BNNPlusPlus, "dorefa": Q.DoReFa, "binaryrelax": Q.BinaryRelax,
                "parq": Q.PARQ, "proxquant": Q.ProxQuant, "proxconnect": Q.ProxConnect}
TITLES = {"P1": "shape and dtype preserved", "P2": "no input mutation, no shared memory",
          "P3": "finite in, finite out, no FP warnings", "P4": "backward == g * dB bitwise",
          "P5": "binary forward takes +-s, F(0) = +s", "P6": "sign(F(x)) == sign(x)",
          "P7": "F non-decreasing", "P8": "bounds on |F| and |dB|",
          "P9": "dB lower bound", "P10": "odd F and B, even dB", "P11": "values at 0",
          "P12": "dB matches central differences of B", "P13": "forward == prox(B(x))",
          "P14": "elementwise (vectorization)", "P15": "factor criterion passes",
          "P16": "determinism", "P17": "annealing monotone, hard state is sign"}
METHODS = ("forward", "B", "dB", "backward", "prox", "deploy")


class PropertyError(AssertionError):
    """A failed property; the message names the property, the pair and a witness."""


def _fail(pid: str, pair, detail: str) -> None:
    raise PropertyError(f"{pid} ({TITLES[pid]}) failed for {pair!r}: {detail}")


def _first(mask: np.ndarray, x: np.ndarray, *arrays) -> str:
    i = int(np.flatnonzero(np.ravel(mask))[0])
    values = ", ".join(f"{float(np.ravel(a)[i])!r}" for a in arrays)
    return f"at x = {float(np.ravel(x)[i])!r} (flat index {i}): {values}"


# -- what applies ---------------------------------------------------------------------------
def is_registered(pair) -> bool:
    """A spec pair: its name is one of the 13 canonical names, with that name's class."""
    return type(pair) is SPEC_CLASSES.get(getattr(pair, "name", None))


def has_prox(pair) -> bool:
    """Whether ``pair.prox`` is implemented in its current state."""
    try:
        pair.prox(np.zeros(1))
    except NotImplementedError:
        return False
    return True


def applicable(pair) -> list[str]:
    """The property ids that apply to ``pair`` in its current state."""
    reg, frozen = is_registered(pair), bool(getattr(pair, "frozen", False))
    ids = ["P1", "P2", "P3", "P4"]
    ids += ["P5"] if pair.binary else []
    ids += ["P6"] if reg else []
    ids += ["P7"] if pair.forward_monotone else []
    ids += ["P8"] if pair.forward_bound is not None or pair.backward_bound is not None else []
    ids += ["P9"] if pair.nonneg_backward or (reg and hasattr(pair, "beta")) else []
    ids += ["P10", "P11"] if reg else []
    ids += ["P12"] if pair.elementwise else []
    ids += ["P13"] if has_prox(pair) else []
    ids += ["P14"] if pair.elementwise else []
    structural = reg or isinstance(pair, Q.SynthesizedPair)
    ids += ["P15"] if structural and pair.elementwise and not frozen else []
    ids += ["P16"]
    ids += ["P17"] if reg and isinstance(pair, Annealed) else []
    return ids


def special_values(pair=None) -> list[float]:
    """Inputs where pairs change behaviour: 0, -0.0, +-1, knots, clip and SignSwish points."""
    vals = [0.0, -0.0, 1.0, -1.0]
    if pair is not None:
        vals += [float(k) for k in getattr(pair, "knots", ())]
        for attr in ("clip_value", "inv_slope"):
            if getattr(pair, attr, None):
                vals += [getattr(pair, attr), -getattr(pair, attr)]
        if getattr(pair, "beta", None):
            vals += [Q.swish.SS_PEAK_Z / pair.beta, -Q.swish.SS_PEAK_Z / pair.beta]
    return [v for v in vals if abs(v) <= 1e3]


def _calls(pair, x, g) -> dict:
    calls = {"forward": lambda: pair.forward(x), "B": lambda: pair.B(x),
             "dB": lambda: pair.dB(x), "backward": lambda: pair.backward(x, g),
             "deploy": lambda: pair.deploy(x)}
    if has_prox(pair):
        calls["prox"] = lambda: pair.prox(x)
    return calls


def _rtol(dtype, f64: float = 1e-12) -> float:
    return f64 if dtype == np.float64 else 4 * float(np.finfo(np.float32).eps)


def _normal_or_zero(x: np.ndarray) -> np.ndarray:
    return (x == 0) | (np.abs(x) >= np.finfo(x.dtype).tiny)


# -- P1-P17 ----------------------------------------------------------------------------------
def p1(pair, x, g):
    for arr in (x, np.asarray(x.ravel()[0] if x.size else 0.5, dtype=x.dtype),
                np.zeros((0, 2), x.dtype)):
        for name, call in _calls(pair, arr, np.ones_like(arr)).items():
            out = call()
            if not isinstance(out, np.ndarray) or out.shape != arr.shape or out.dtype != arr.dtype:
                _fail("P1", pair, f"{name} of a {arr.dtype} array of shape {arr.shape} returned "
                                  f"{type(out).__name__} {getattr(out, 'dtype', '')} "
                                  f"{getattr(out, 'shape', '')}")


def p2(pair, x, g):
    calls = _calls(pair, x, g)
    calls["post_step"] = lambda: pair.post_step(x, 0.1)
    x0, g0 = x.tobytes(), g.tobytes()
    for name, call in calls.items():
        out = call()
        if x.tobytes() != x0 or g.tobytes() != g0:
            _fail("P2", pair, f"{name} modified its input")
        if np.shares_memory(out, x) or np.shares_memory(out, g):
            _fail("P2", pair, f"{name} returned an array sharing memory with its input")


def p3(pair, x, g):
    big = 1e30 if x.dtype == np.float64 else 3e38
    xb = np.concatenate([x.ravel(), np.array([big, -big, big / 3, -big / 7], x.dtype)])
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        for name, call in _calls(pair, xb, np.ones_like(xb)).items():
            if name == "backward":
                continue
            try:
                out = call()
            except FloatingPointError as exc:
                _fail("P3", pair, f"{name} raised {exc} on x with |x| up to {big:g}")
            if not np.all(np.isfinite(out)):
                _fail("P3", pair, f"{name} non-finite " + _first(~np.isfinite(out), xb, out))
        gc = np.asarray(np.clip(g, -1e3, 1e3), dtype=g.dtype)
        try:
            out = pair.backward(x, gc)
        except FloatingPointError as exc:
            _fail("P3", pair, f"backward raised {exc}")
        if not np.all(np.isfinite(out)):
            _fail("P3", pair, "backward non-finite " + _first(~np.isfinite(out), x, out))


def p4(pair, x, g):
    out, ref = pair.backward(x, g), g * pair.dB(x)
    if out.tobytes() != ref.tobytes():
        _fail("P4", pair, "backward(w, g) != g * dB(w) " + _first(out != ref, x, out, ref))


def p5(pair, x, g):
    f = pair.forward(x)
    s = np.broadcast_to(np.abs(pair._deploy_scale(x)), x.shape)
    bad = np.abs(f) != s
    if bad.any():
        _fail("P5", pair, "F(x) not in {-s, +s} " + _first(bad, x, f, s))
    for zero in (0.0, -0.0):
        z = np.full(1, zero, x.dtype)
        fz, sz = pair.forward(z)[0], np.abs(np.ravel(pair._deploy_scale(z))[0])
        if not (fz == sz and not np.signbit(fz)):
            _fail("P5", pair, f"F({zero!r}) = {float(fz)!r}, expected +s = {float(sz)!r}")


def p6(pair, x, g):
    m = _normal_or_zero(x)
    sx = Q.sign(x)
    outs = {"forward": pair.forward(x)}
    if pair.binary_target:
        outs["deploy"] = pair.deploy(x)
    for name, out in outs.items():
        bad = m & (Q.sign(out) != sx)
        if bad.any():
            _fail("P6", pair, f"sign({name}(x)) != sign(x) " + _first(bad, x, out))


def p7(pair, x, g):
    xs = np.sort(np.concatenate([x.ravel(), np.linspace(-3, 3, 61).astype(x.dtype)]))
    f = pair.forward(xs)
    scale = np.maximum(1.0, np.maximum(np.abs(f[:-1]), np.abs(f[1:])))
    bad = np.diff(f) < -4 * np.finfo(x.dtype).eps * scale
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        a, b = (float(v) for v in (xs[i], xs[i + 1]))
        _fail("P7", pair, f"F({a!r}) = {float(f[i])!r} > F({b!r}) = {float(f[i + 1])!r}")


def p8(pair, x, g):
    r = _rtol(x.dtype)
    for name, bound, out in (("|F|", pair.forward_bound, pair.forward),
                             ("|dB|", pair.backward_bound, pair.dB)):
        if bound is not None:
            v = np.abs(out(x)).astype(np.float64)
            bad = v > bound * (1 + r)
            if bad.any():
                _fail("P8", pair, f"{name} exceeds {bound!r} " + _first(bad, x, v))


def p9(pair, x, g):
    d = pair.dB(x).astype(np.float64)
    if pair.nonneg_backward:
        low = 0.0
    else:
        low = Q.swish.SS_MIN_GRAD * pair.beta * (1 + _rtol(x.dtype, 1e-9))
    bad = d < low
    if bad.any():
        _fail("P9", pair, f"dB below {low!r} " + _first(bad, x, d))


def _half_integer_boundary(pair, x):
    if pair.name != "dorefa" or pair.k == 1:
        return np.zeros(x.shape, bool)
    y = pair.n * (pair.B(x).astype(np.float64) / 2 + 0.5)
    return np.abs(y - np.floor(y) - 0.5) < 1e-6


def p10(pair, x, g):
    neg = np.array(-x, dtype=x.dtype)     # an ndarray also for 0-d x
    keep = (x != 0) & ~_half_integer_boundary(pair, x) & ~_half_integer_boundary(pair, neg)
    r = 1e-12 if x.dtype == np.float64 else 1e-6
    for name, fn, parity in (("F", pair.forward, -1), ("B", pair.B, -1), ("dB", pair.dB, 1)):
        a, b = fn(neg), parity * fn(x)
        bad = keep & ~np.isclose(a, b, rtol=r, atol=0)
        if bad.any():
            _fail("P10", pair, f"{name}(-x) != {'-' if parity < 0 else ''}{name}(x) "
                               + _first(bad, x, a, b))


def values_at_zero(pair) -> tuple[float, float, float]:
    """``F(0), B(0), B'(0)`` of a spec pair in its current state (the table of Section 7)."""
    n = pair.name
    if n == "identity":
        return 0.0, 0.0, 1.0
    if n in ("ste", "clipped_ste", "bnn"):
        return 1.0, 0.0, 1.0
    if n == "approxsign":
        return 1.0, 0.0, 2.0
    if n in ("swishsign", "bnn+"):
        return 1.0, 0.0, pair.beta
    if n == "bnn++":
        return 0.0, 0.0, pair.beta
    if n == "dorefa":
        if pair.k == 1:   # E of an all-zero tensor is 0
            return (pair.scale if isinstance(pair.scale, float) else 0.0), 0.0, 1.0
        return 1 / pair.n, 0.0, 1 / (pair.m or 1.0)
    if n == "binaryrelax":
        return pair.theta, 0.0, 1.0
    if n == "parq":
        return float(pair.hard), 0.0, 1.0
    if n == "proxquant":
        return (1.0, 0.0, 0.0) if pair.frozen else (0.0, 0.0, 1.0)
    if pair.hard:          # proxconnect; (min(mu rho, 1) + mu varrho) / (1 + mu varrho)
        return 1.0, 0.0, 1.0
    lam, a = pair.mu * pair.rho, pair.mu * pair.varrho
    return (min(lam, 1.0) + a) / (1.0 + a), 0.0, 1.0


def p11(pair, x, g):
    z = np.zeros(1, x.dtype)
    r = 1e-12 if x.dtype == np.float64 else 1e-6
    got = [pair.forward(z)[0], pair.B(z)[0], pair.dB(z)[0]]
    for name, v, want in zip(("F(0)", "B(0)", "B'(0)"), got, values_at_zero(pair)):
        if not np.isclose(float(v), want, rtol=r, atol=4 * float(np.finfo(x.dtype).tiny)):
            _fail("P11", pair, f"{name} = {float(v)!r}, expected {want!r} ({x.dtype})")


def p12(pair, x, g):
    xs = np.concatenate([x.ravel().astype(np.float64), np.linspace(-3, 3, 61)])
    for k in pair.knots:
        xs = xs[np.abs(xs - k) > 1e-4]
    up, down = xs + 1e-6, xs - 1e-6
    fd = (pair.B(up) - pair.B(down)) / (up - down)
    d = pair.dB(xs)
    bad = np.abs(fd - d) > 1e-5 * np.maximum(1.0, np.abs(d))
    if bad.any():
        _fail("P12", pair, "dB != central difference of B " + _first(bad, xs, d, fd))


def p13(pair, x, g):
    f, pb = pair.forward(x), pair.prox(pair.B(x))
    bad = _normal_or_zero(x) & (f != pb)
    if bad.any():
        _fail("P13", pair, "forward(x) != prox(B(x)) " + _first(bad, x, f, pb))


def p14(pair, x, g):
    flat = x.ravel()
    for name in ("forward", "B", "dB"):
        whole = getattr(pair, name)(flat)
        for i in range(min(flat.size, 64)):
            one = getattr(pair, name)(flat[i:i + 1])[0]
            if not (one == whole[i] or (np.isnan(one) and np.isnan(whole[i]))):
                _fail("P14", pair, f"{name}(x)[{i}] = {float(whole[i])!r} but "
                                   f"{name}(x[{i}:{i + 1}]) = {float(one)!r} at x = "
                                   f"{float(flat[i])!r}")


def p15(pair, x, g):
    res = criteria.run(pair, criterion="factor", diagnose=False, max_witnesses=1)
    if not res["ok"]:
        _fail("P15", pair, res["violations"][0].message)


def p16(pair, x, g):
    for name, call in _calls(pair, x, g).items():
        if call().tobytes() != call().tobytes():
            _fail("P16", pair, f"two calls of {name} on the same input differ")


def p17(pair, x, g):
    q = copy.deepcopy(pair)
    attr = q.schedule_attr
    direction = q.schedule_direction
    if q.name == "bnn++":
        direction = 0 if q.beta_end is None else (1 if q.beta_end >= q.beta_start else -1)
    for total in (1, 2, 5, 10):
        values = []
        for epoch in range(total):
            q.on_epoch(epoch, total)
            values.append(getattr(q, attr))
            if q.binary:
                f = q.forward(x)
                if f.tobytes() != Q.sign(x).tobytes():
                    _fail("P17", pair, f"hard state at epoch {epoch}/{total}: forward != sign "
                                       + _first(f != Q.sign(x), x, f))
        steps = np.diff(values) * (direction or 1)
        if (direction == 0 and np.any(np.diff(values) != 0)) or np.any(steps < 0):
            _fail("P17", pair, f"{attr} over {total} epochs is not monotone: {values}")


PROPERTIES = {"P1": p1, "P2": p2, "P3": p3, "P4": p4, "P5": p5, "P6": p6, "P7": p7, "P8": p8,
              "P9": p9, "P10": p10, "P11": p11, "P12": p12, "P13": p13, "P14": p14,
              "P15": p15, "P16": p16, "P17": p17}


def run_properties(pair, x: np.ndarray, g: np.ndarray | None = None, ids=None) -> list[str]:
    """Run the applicable properties (or ``ids``) on one input; return the ids that ran."""
    if g is None:
        g = np.linspace(-2.0, 3.0, x.size).reshape(x.shape).astype(x.dtype)
    ran = []
    for pid in applicable(pair):
        if ids is None or pid in ids:
            PROPERTIES[pid](pair, x, g)
            ran.append(pid)
    return ran


def default_arrays(pair=None, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(x, g)`` inputs of ``check_quantizer_pair``: both dtypes, specials, wide magnitudes."""
    rng = np.random.default_rng(seed)
    special = np.array(special_values(pair))
    out = []
    for dtype in (np.float32, np.float64):
        grid = np.concatenate([rng.uniform(-3, 3, 64 - special.size), special])
        wide = np.concatenate([rng.choice([-1, 1], 56) * 10.0 ** rng.uniform(-30, 3, 56),
                               [1e-40, -1e-40, 5e-324, -5e-324, 1e3, -1e3, 2.0, -2.0]])
        for x in (grid.reshape(4, 16), wide, np.array(0.25), np.zeros((0, 3))):
            x = x.astype(dtype)
            out.append((x, rng.uniform(-1e3, 1e3, x.shape).astype(dtype)))
    return out


def check_quantizer_pair(pair, arrays=None, *, ids=None) -> None:
    """Run the spec's property list (P1-P17) on ``pair``; raise AssertionError on failure.

    Parameters
    ----------
    pair : QuantizerPair
        A registered pair, a synthesized pair or a user pair (``from_functions``).
    arrays : list of (x, g), optional
        Inputs; default ``default_arrays(pair)`` (float32 and float64, special values,
        magnitudes from 1e-30 to 1e3, a 0-d and an empty array).
    ids : iterable of str, optional
        Restrict to these property ids.

    Raises
    ------
    AssertionError
        Naming the property, the pair and a witness (the x value and the outputs there).

    Examples
    --------
    >>> import numpy as np
    >>> from bnncore.quantizers import QuantizerPair, get
    >>> check_quantizer_pair(get("bnn++"))
    >>> bad = QuantizerPair.from_functions(lambda x: -np.sign(x), lambda x: x,
    ...                                    validate=False, forward_monotone=True)
    >>> check_quantizer_pair(bad)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    bnncore.testing.quantizer_checks.PropertyError: P7 (F non-decreasing) failed for ...
    """
    for x, g in (default_arrays(pair) if arrays is None else arrays):
        run_properties(pair, x, g, ids)
