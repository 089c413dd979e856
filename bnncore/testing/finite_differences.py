"""Finite-difference gradient checks for hand-written backward passes (float64).

The checked scalar is ``L = sum(R * f(x))`` with a fixed random ``R``; the analytic side is
``backward(R)``. Per tensor the error is
``max|analytic - numeric| / max(max|numeric|, floor)`` (the protocol of docs/fsg.md, "Tests"):
the floor keeps round-off from failing a correct tiny gradient, and ``return_details``
gives ``max|numeric|`` so a test can assert that the check was not vacuous.
"""

from __future__ import annotations

import copy

import numpy as np

from .._validation import check_array, check_positive, check_rng


def surrogate_model(model):
    """A float64 copy of ``model`` whose quantizers compute with ``B`` instead of ``F``.

    A binary layer's backward is, by design, not the derivative of its forward (the
    derivative of ``sign`` is zero). It *is* the exact derivative of the surrogate network
    that computes with ``B(w)``: gradcheck the surrogate to check the hand-written backward.
    """
    model = copy.deepcopy(model).astype(np.float64)
    for p in model.parameters():          # recurses through nested containers
        if p.quantizer is not None:
            p.quantizer = p.quantizer.surrogate()
    _swap_activation_pairs(model)
    return model


def _swap_activation_pairs(layer) -> None:
    if getattr(layer, "quantizer", None) is not None:
        layer.quantizer = layer.quantizer.surrogate()
    for child in getattr(layer, "layers", ()):
        _swap_activation_pairs(child)


def numeric_grad(f, arr: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences (float64) of the scalar ``f()`` w.r.t. ``arr``, perturbed in place
    and restored entry by entry."""
    grad = np.zeros_like(arr, dtype=np.float64)
    flat, gflat = arr.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = f()
        flat[i] = old - eps
        down = f()
        flat[i] = old
        gflat[i] = (up - down) / (2 * eps)
    return grad


def gradcheck(layer_or_fn, x, eps: float = 1e-6, rng=None, *, floor: float = 1e-3,
              wrt=None, training: bool = True, return_details: bool = False):
    """Compare a backward pass with central finite differences in float64.

    Parameters
    ----------
    layer_or_fn : Layer or tuple (fn, grad_fn)
        A layer (deep-copied and cast to float64; the original is untouched), or a pair of
        callables ``fn(x) -> y`` and ``grad_fn(x, dy) -> dx``.
    x : array_like
        Input batch (cast to float64).
    eps : float
        Finite-difference step.
    rng : None, int or Generator
        Draws ``R``; None means seed 0, so checks are reproducible.
    floor : float
        Denominator floor of the relative error.
    wrt : iterable of str, optional
        What to check: ``"x"`` and/or parameter names (``"weight"``, ``"1.bias"``).
        Default: ``x`` and every parameter.
    training : bool
        Mode of the forward passes.
    return_details : bool
        Also return ``{name: {"error": e, "max_abs": max|numeric|}}``.

    Returns
    -------
    float or (float, dict)
        The largest per-tensor relative error.

    Examples
    --------
    >>> import numpy as np
    >>> from bnncore.layers import Dense
    >>> x = np.random.default_rng(0).normal(size=(3, 4))
    >>> gradcheck(Dense(4, 2, rng=0), x) < 1e-6
    True
    """
    eps = check_positive(eps, "eps")
    x = check_array(x, "x", dtype="numeric").astype(np.float64)
    g = check_rng(0 if rng is None else rng)
    if isinstance(layer_or_fn, tuple):
        fn, grad_fn = layer_or_fn
        params = {}

        def forward():
            return np.asarray(fn(x), dtype=np.float64)

        y = forward()
        R = g.standard_normal(y.shape)
        analytic = {"x": np.asarray(grad_fn(x, R), dtype=np.float64)}
    else:
        layer = copy.deepcopy(layer_or_fn).astype(np.float64)
        params = {p.name: p for p in layer.parameters()}

        def forward():
            return layer.forward(x, training=training)

        y = forward()
        R = g.standard_normal(y.shape)
        layer.zero_grad()
        layer.forward(x, training=training)
        analytic = {"x": layer.backward(R)}
        analytic.update({name: p.grad.copy() for name, p in params.items()})
    names = list(analytic) if wrt is None else list(wrt)
    unknown = [n for n in names if n not in analytic]
    if unknown:
        raise ValueError(f"wrt names {unknown} not found; available: {list(analytic)}")

    def loss():
        return float(np.sum(R * forward()))

    details = {}
    for name in names:
        target = x if name == "x" else params[name].data
        numeric = numeric_grad(loss, target, eps)
        max_abs = float(np.abs(numeric).max()) if numeric.size else 0.0
        err = float(np.abs(analytic[name] - numeric).max()) / max(max_abs, floor)
        details[name] = {"error": err, "max_abs": max_abs}
    worst = max(d["error"] for d in details.values())
    return (worst, details) if return_details else worst
