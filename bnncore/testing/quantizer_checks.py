"""The quantizer-pair property checks (docs/quantizers.md, "Testing your own pair").

Each check is a function ``check_<what it checks>(pair, x, g) -> None`` that raises
``PropertyError`` (an ``AssertionError``) with its name, a one-line description
(``TITLES``) and a readable witness. ``applicable(pair)`` lists the names of the checks
that apply to a pair in its current state, and ``check_quantizer_pair(pair)`` runs them all
on a built-in set of arrays. NumPy only (the hypothesis strategies are in
``bnncore.testing.strategies``).

Float32 tolerances: the bounds (``check_bounds``, ``check_dB_lower_bound``) allow ``4 eps``
of float32 relative slack, since a float32 result is the rounding of the float64 value;
``check_values_at_zero`` allows an absolute ``tiny`` of the dtype, since a hyper-parameter
below it rounds to 0 in float32.
"""

from __future__ import annotations

import copy

import numpy as np

from .. import quantizers as Q
from ..quantizers import criteria
from ..quantizers.annealing import Annealed
from .quantizer_facts import is_registered, special_values, values_at_zero

TITLES = {
    "check_shape_and_dtype": "shape and dtype preserved",
    "check_no_mutation": "no input mutation, no shared memory",
    "check_finite_outputs": "finite in, finite out, no FP warnings",
    "check_backward_is_g_times_dB": "backward == g * dB bitwise",
    "check_forward_is_binary": "binary forward takes +-s, F(0) = +s",
    "check_forward_keeps_sign": "sign(F(x)) == sign(x)",
    "check_forward_nondecreasing": "F non-decreasing",
    "check_bounds": "bounds on |F| and |dB|",
    "check_dB_lower_bound": "dB lower bound",
    "check_symmetry": "odd F and B, even dB",
    "check_values_at_zero": "values at 0",
    "check_dB_matches_finite_differences": "dB matches central differences of B",
    "check_forward_is_prox_of_B": "forward == prox(B(x))",
    "check_elementwise": "elementwise (vectorization)",
    "check_factor_criterion": "factor criterion passes",
    "check_deterministic": "determinism",
    "check_annealing": "annealing monotone, hard state is sign",
}


class PropertyError(AssertionError):
    """A failed check; the message names the check, the pair and a witness."""


def _fail(check: str, pair, detail: str) -> None:
    raise PropertyError(f"{check} ({TITLES[check]}) failed for {pair!r}: {detail}")


def _first(mask: np.ndarray, x: np.ndarray, *arrays) -> str:
    i = int(np.flatnonzero(np.ravel(mask))[0])
    values = ", ".join(f"{float(np.ravel(a)[i])!r}" for a in arrays)
    return f"at x = {float(np.ravel(x)[i])!r} (flat index {i}): {values}"


# -- what applies ---------------------------------------------------------------------------
def has_prox(pair) -> bool:
    """Whether ``pair.prox`` is implemented in its current state."""
    try:
        pair.prox(np.zeros(1))
    except NotImplementedError:
        return False
    return True


def applicable(pair) -> list[str]:
    """The names of the checks that apply to ``pair`` in its current state."""
    reg, frozen = is_registered(pair), bool(getattr(pair, "frozen", False))
    bounded = pair.forward_bound is not None or pair.backward_bound is not None
    structural = reg or isinstance(pair, Q.SynthesizedPair)
    when = {
        check_shape_and_dtype: True, check_no_mutation: True, check_finite_outputs: True,
        check_backward_is_g_times_dB: True, check_forward_is_binary: pair.binary,
        check_forward_keeps_sign: reg, check_forward_nondecreasing: pair.forward_monotone,
        check_bounds: bounded,
        check_dB_lower_bound: pair.nonneg_backward or (reg and hasattr(pair, "beta")),
        check_symmetry: reg, check_values_at_zero: reg,
        check_dB_matches_finite_differences: pair.elementwise,
        check_forward_is_prox_of_B: has_prox(pair), check_elementwise: pair.elementwise,
        check_factor_criterion: structural and pair.elementwise and not frozen,
        check_deterministic: True, check_annealing: reg and isinstance(pair, Annealed),
    }
    return [check.__name__ for check, applies in when.items() if applies]


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


# -- the checks ------------------------------------------------------------------------------
def check_shape_and_dtype(pair, x, g):
    for arr in (x, np.asarray(x.ravel()[0] if x.size else 0.5, dtype=x.dtype),
                np.zeros((0, 2), x.dtype)):
        for name, call in _calls(pair, arr, np.ones_like(arr)).items():
            out = call()
            if not isinstance(out, np.ndarray) or out.shape != arr.shape or out.dtype != arr.dtype:
                _fail("check_shape_and_dtype", pair,
                      f"{name} of a {arr.dtype} array of shape {arr.shape} returned "
                      f"{type(out).__name__} {getattr(out, 'dtype', '')} "
                      f"{getattr(out, 'shape', '')}")


def check_no_mutation(pair, x, g):
    calls = _calls(pair, x, g)
    calls["post_step"] = lambda: pair.post_step(x, 0.1)
    x0, g0 = x.tobytes(), g.tobytes()
    for name, call in calls.items():
        out = call()
        if x.tobytes() != x0 or g.tobytes() != g0:
            _fail("check_no_mutation", pair, f"{name} modified its input")
        if np.shares_memory(out, x) or np.shares_memory(out, g):
            _fail("check_no_mutation", pair,
                  f"{name} returned an array sharing memory with its input")


def check_finite_outputs(pair, x, g):
    big = 1e30 if x.dtype == np.float64 else 3e38
    xb = np.concatenate([x.ravel(), np.array([big, -big, big / 3, -big / 7], x.dtype)])
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        for name, call in _calls(pair, xb, np.ones_like(xb)).items():
            if name == "backward":
                continue
            try:
                out = call()
            except FloatingPointError as exc:
                _fail("check_finite_outputs", pair,
                      f"{name} raised {exc} on x with |x| up to {big:g}")
            if not np.all(np.isfinite(out)):
                _fail("check_finite_outputs", pair,
                      f"{name} non-finite " + _first(~np.isfinite(out), xb, out))
        gc = np.asarray(np.clip(g, -1e3, 1e3), dtype=g.dtype)
        try:
            out = pair.backward(x, gc)
        except FloatingPointError as exc:
            _fail("check_finite_outputs", pair, f"backward raised {exc}")
        if not np.all(np.isfinite(out)):
            _fail("check_finite_outputs", pair,
                  "backward non-finite " + _first(~np.isfinite(out), x, out))


def check_backward_is_g_times_dB(pair, x, g):
    out, ref = pair.backward(x, g), g * pair.dB(x)
    if out.tobytes() != ref.tobytes():
        _fail("check_backward_is_g_times_dB", pair,
              "backward(w, g) != g * dB(w) " + _first(out != ref, x, out, ref))


def check_forward_is_binary(pair, x, g):
    f = pair.forward(x)
    s = np.broadcast_to(np.abs(pair._deploy_scale(x)), x.shape)
    bad = np.abs(f) != s
    if bad.any():
        _fail("check_forward_is_binary", pair, "F(x) not in {-s, +s} " + _first(bad, x, f, s))
    for zero in (0.0, -0.0):
        z = np.full(1, zero, x.dtype)
        fz, sz = pair.forward(z)[0], np.abs(np.ravel(pair._deploy_scale(z))[0])
        if not (fz == sz and not np.signbit(fz)):
            _fail("check_forward_is_binary", pair,
                  f"F({zero!r}) = {float(fz)!r}, expected +s = {float(sz)!r}")


def check_forward_keeps_sign(pair, x, g):
    m = _normal_or_zero(x)
    sx = Q.sign(x)
    outs = {"forward": pair.forward(x)}
    if pair.binary_target:
        outs["deploy"] = pair.deploy(x)
    for name, out in outs.items():
        bad = m & (Q.sign(out) != sx)
        if bad.any():
            _fail("check_forward_keeps_sign", pair,
                  f"sign({name}(x)) != sign(x) " + _first(bad, x, out))


def check_forward_nondecreasing(pair, x, g):
    xs = np.sort(np.concatenate([x.ravel(), np.linspace(-3, 3, 61).astype(x.dtype)]))
    f = pair.forward(xs)
    scale = np.maximum(1.0, np.maximum(np.abs(f[:-1]), np.abs(f[1:])))
    bad = np.diff(f) < -4 * np.finfo(x.dtype).eps * scale
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        a, b = (float(v) for v in (xs[i], xs[i + 1]))
        _fail("check_forward_nondecreasing", pair,
              f"F({a!r}) = {float(f[i])!r} > F({b!r}) = {float(f[i + 1])!r}")


def check_bounds(pair, x, g):
    r = _rtol(x.dtype)
    for name, bound, out in (("|F|", pair.forward_bound, pair.forward),
                             ("|dB|", pair.backward_bound, pair.dB)):
        if bound is not None:
            v = np.abs(out(x)).astype(np.float64)
            bad = v > bound * (1 + r)
            if bad.any():
                _fail("check_bounds", pair, f"{name} exceeds {bound!r} " + _first(bad, x, v))


def check_dB_lower_bound(pair, x, g):
    d = pair.dB(x).astype(np.float64)
    if pair.nonneg_backward:
        low = 0.0
    else:
        low = Q.swish.SS_MIN_GRAD * pair.beta * (1 + _rtol(x.dtype, 1e-9))
    bad = d < low
    if bad.any():
        _fail("check_dB_lower_bound", pair, f"dB below {low!r} " + _first(bad, x, d))


def _half_integer_boundary(pair, x):
    if pair.name != "dorefa" or pair.k == 1:
        return np.zeros(x.shape, bool)
    y = pair.n * (pair.B(x).astype(np.float64) / 2 + 0.5)
    return np.abs(y - np.floor(y) - 0.5) < 1e-6


def check_symmetry(pair, x, g):
    neg = np.array(-x, dtype=x.dtype)     # an ndarray also for 0-d x
    keep = (x != 0) & ~_half_integer_boundary(pair, x) & ~_half_integer_boundary(pair, neg)
    r = 1e-12 if x.dtype == np.float64 else 1e-6
    for name, fn, parity in (("F", pair.forward, -1), ("B", pair.B, -1), ("dB", pair.dB, 1)):
        a, b = fn(neg), parity * fn(x)
        bad = keep & ~np.isclose(a, b, rtol=r, atol=0)
        if bad.any():
            _fail("check_symmetry", pair,
                  f"{name}(-x) != {'-' if parity < 0 else ''}{name}(x) " + _first(bad, x, a, b))


def check_values_at_zero(pair, x, g):
    z = np.zeros(1, x.dtype)
    r = 1e-12 if x.dtype == np.float64 else 1e-6
    got = [pair.forward(z)[0], pair.B(z)[0], pair.dB(z)[0]]
    for name, v, want in zip(("F(0)", "B(0)", "B'(0)"), got, values_at_zero(pair)):
        if not np.isclose(float(v), want, rtol=r, atol=4 * float(np.finfo(x.dtype).tiny)):
            _fail("check_values_at_zero", pair,
                  f"{name} = {float(v)!r}, expected {want!r} ({x.dtype})")


def check_dB_matches_finite_differences(pair, x, g):
    xs = np.concatenate([x.ravel().astype(np.float64), np.linspace(-3, 3, 61)])
    for k in pair.knots:
        xs = xs[np.abs(xs - k) > 1e-4]
    up, down = xs + 1e-6, xs - 1e-6
    fd = (pair.B(up) - pair.B(down)) / (up - down)
    d = pair.dB(xs)
    bad = np.abs(fd - d) > 1e-5 * np.maximum(1.0, np.abs(d))
    if bad.any():
        _fail("check_dB_matches_finite_differences", pair,
              "dB != central difference of B " + _first(bad, xs, d, fd))


def check_forward_is_prox_of_B(pair, x, g):
    f, pb = pair.forward(x), pair.prox(pair.B(x))
    bad = _normal_or_zero(x) & (f != pb)
    if bad.any():
        _fail("check_forward_is_prox_of_B", pair,
              "forward(x) != prox(B(x)) " + _first(bad, x, f, pb))


def check_elementwise(pair, x, g):
    flat = x.ravel()
    for name in ("forward", "B", "dB"):
        whole = getattr(pair, name)(flat)
        for i in range(min(flat.size, 64)):
            one = getattr(pair, name)(flat[i:i + 1])[0]
            if not (one == whole[i] or (np.isnan(one) and np.isnan(whole[i]))):
                _fail("check_elementwise", pair,
                      f"{name}(x)[{i}] = {float(whole[i])!r} but {name}(x[{i}:{i + 1}]) = "
                      f"{float(one)!r} at x = {float(flat[i])!r}")


def check_factor_criterion(pair, x, g):
    res = criteria.run(pair, criterion="factor", diagnose=False, max_witnesses=1)
    if not res["ok"]:
        _fail("check_factor_criterion", pair, res["violations"][0].message)


def check_deterministic(pair, x, g):
    for name, call in _calls(pair, x, g).items():
        if call().tobytes() != call().tobytes():
            _fail("check_deterministic", pair, f"two calls of {name} on the same input differ")


def check_annealing(pair, x, g):
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
                    _fail("check_annealing", pair,
                          f"hard state at epoch {epoch}/{total}: forward != sign "
                          + _first(f != Q.sign(x), x, f))
        steps = np.diff(values) * (direction or 1)
        if (direction == 0 and np.any(np.diff(values) != 0)) or np.any(steps < 0):
            _fail("check_annealing", pair, f"{attr} over {total} epochs is not monotone: {values}")


CHECKS = (check_shape_and_dtype, check_no_mutation, check_finite_outputs,
          check_backward_is_g_times_dB, check_forward_is_binary, check_forward_keeps_sign,
          check_forward_nondecreasing, check_bounds, check_dB_lower_bound, check_symmetry,
          check_values_at_zero, check_dB_matches_finite_differences, check_forward_is_prox_of_B,
          check_elementwise, check_factor_criterion, check_deterministic, check_annealing)
PROPERTIES = {check.__name__: check for check in CHECKS}


def run_properties(pair, x: np.ndarray, g: np.ndarray | None = None,
                   checks=None) -> list[str]:
    """Run the applicable checks (or those of them named in ``checks``) on one input.

    Returns the names of the checks that ran.
    """
    if g is None:
        g = np.linspace(-2.0, 3.0, x.size).reshape(x.shape).astype(x.dtype)
    ran = []
    for name in applicable(pair):
        if checks is None or name in checks:
            PROPERTIES[name](pair, x, g)
            ran.append(name)
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


def check_quantizer_pair(pair, arrays=None, *, checks=None) -> None:
    """Run the 17 property checks that apply to ``pair``; raise AssertionError on failure.

    Parameters
    ----------
    pair : QuantizerPair
        A registered pair, a synthesized pair or a user pair (``from_functions``).
    arrays : list of (x, g), optional
        Inputs; default ``default_arrays(pair)`` (float32 and float64, special values,
        magnitudes from 1e-30 to 1e3, a 0-d and an empty array).
    checks : iterable of str, optional
        Restrict to the checks of these names (e.g. ``["check_symmetry"]``).

    Raises
    ------
    AssertionError
        Naming the check, the pair and a witness (the x value and the outputs there).

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
    bnncore.testing.quantizer_checks.PropertyError: check_forward_nondecreasing (F ...
    """
    for x, g in (default_arrays(pair) if arrays is None else arrays):
        run_properties(pair, x, g, checks)
