"""OvSW gradient transforms: Adaptive Gradient Scaling (AGS) and Silence Awareness Decaying (SAD).

OvSW (arXiv 2407.05257) observes that most latent weights of a BNN never change sign,
because the gradient reaching a latent does not depend on its magnitude. Two gradient
transforms (shared/spec/ovsw.md) plug into every optimizer's ``transforms=`` hook and run
after backward, before weight decay and momentum, in this order:

- ``AGS`` rescales each output channel's gradient so that ``||g_c|| / ||w_c|| >= delta``;
- ``SAD`` tracks sign flips with an EMA and adds ``gamma * w`` to the gradient of the
  weights that have not flipped recently ("silent"), pulling them toward zero.

Both act on binarized weights only (Section 1): parameters with a quantizer whose
``binary_target`` is true and ``ndim >= 2``. ``ovsw(preset)`` returns both, configured.
The flip diagnostics live in ``bnncore.diagnostics.FlipTracker``.

Note: ``bnncore.optim.ovsw`` is the preset *function* (it shadows this module's name on the
package, as ``bnncore.kernels.bgemm`` does); import helpers with
``from bnncore.optim.ovsw import channel_ratios``.
"""

from __future__ import annotations

import numbers
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from .._validation import check_array, check_finite, check_positive
from ..params import Parameter

# -- targeting and shared rules (spec Sections 1 and 4.1) --------------------------------


def is_binarized_weight(p: Parameter) -> bool:
    """Whether OvSW targets ``p`` by default: a binary-target quantizer and ``ndim >= 2``.

    Examples
    --------
    >>> from bnncore.layers import BinaryDense
    >>> layer = BinaryDense(3, 2, rng=0)
    >>> is_binarized_weight(layer.weight), is_binarized_weight(layer.bias)
    (True, False)
    """
    q = p.quantizer
    return q is not None and bool(getattr(q, "binary_target", False)) and p.data.ndim >= 2


def check_explicit_params(params: Iterable[Parameter] | None, owner: str) -> list | None:
    """Validate an explicit ``params=[...]`` list: each entry a binarized ``ndim >= 2`` tensor."""
    if params is None:
        return None
    if isinstance(params, Parameter):
        params = [params]
    params = list(params)
    if not params:
        raise ValueError(f"{owner}: params is empty; pass None to target every binarized weight")
    for i, p in enumerate(params):
        if not isinstance(p, Parameter):
            raise TypeError(f"{owner}: params[{i}] must be a Parameter, got {type(p).__name__}")
        if p.data.ndim < 2:
            raise ValueError(f"{owner}: params[{i}] ({p.name!r}) has shape {p.data.shape}; "
                             f"it works per output channel and needs a weight with ndim >= 2")
        if p.quantizer is None:
            raise ValueError(f"{owner}: params[{i}] ({p.name!r}) has no binarizer "
                             f"(quantizer is None); it applies to binarized weights only")
    return params


def select_targets(params: Sequence[Parameter], explicit: list | None,
                   owner: str) -> list[tuple[str, Parameter]]:
    """``(name, parameter)`` pairs a transform or tracker acts on (spec 1 and 3.3).

    ``explicit`` (already validated) wins over ``params``. Empty or duplicate names become
    ``f"param{i}"``, ``i`` being the index in the list the parameter was taken from.
    """
    source = explicit if explicit is not None else list(params)
    chosen = [(i, p) for i, p in enumerate(source)
              if explicit is not None or is_binarized_weight(p)]
    if not chosen:
        raise ValueError(f"{owner}: none of the {len(source)} parameters is a binarized weight "
                         f"(quantizer with binary_target and ndim >= 2); pass params=[...]")
    counts = Counter(p.name for _, p in chosen)
    return [(p.name if p.name and counts[p.name] == 1 else f"param{i}", p) for i, p in chosen]


def sign_flips(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Boolean mask of sign changes with the library's ``sign(0) = +1``.

    Examples
    --------
    >>> sign_flips(np.array([-0.1, 0.1, 2.0]), np.array([0.0, 0.0, -1.0]))
    array([ True, False,  True])
    """
    return (before >= 0) != (after >= 0)


def update_flip_ema(ema: np.ndarray, flips: np.ndarray, momentum: float) -> None:
    """``s = m * s + (1 - m) * f`` in place (spec 4.1); SAD and FlipTracker share it."""
    ema *= momentum
    ema[flips] += 1.0 - momentum


def check_momentum(momentum: object) -> float:
    """The EMA momentum: a real number in the open interval (0, 1)."""
    if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real):
        raise TypeError(f"momentum must be a real number, got {momentum!r}")
    momentum = float(momentum)
    if not 0.0 < momentum < 1.0:
        raise ValueError(f"momentum must be in the open interval (0, 1), got {momentum}")
    return momentum


def check_init(init: object) -> str:
    """The EMA's initial state: ``"zeros"`` (silent until the first flip) or ``"ones"``."""
    if init not in ("zeros", "ones"):
        raise ValueError(f"init must be 'zeros' or 'ones', got {init!r}")
    return str(init)


def _checked_grad(owner: str, name: str, p: Parameter) -> np.ndarray:
    g = p.grad
    if g is None:
        raise ValueError(f"{owner}: parameter {name!r} has no gradient (grad is None)")
    if g.shape != p.data.shape:
        raise ValueError(f"{owner}: parameter {name!r} has grad of shape {g.shape} "
                         f"but data of shape {p.data.shape}")
    check_finite(g, f"{owner}: gradient of {name!r}")
    return g


# -- AGS (spec Section 3) -----------------------------------------------------------------


def _channel_norms(x: np.ndarray) -> np.ndarray:
    x2 = x.reshape(x.shape[0], -1).astype(np.float64)
    return np.sqrt(np.einsum("ij,ij->i", x2, x2))


def _ags_factors(w: np.ndarray, g: np.ndarray, delta: float, eps_w: float,
                 eps_g: float) -> tuple[np.ndarray, np.ndarray]:
    n_g = np.maximum(_channel_norms(g), eps_g)            # (3.1) n_g[c]
    n_w = np.maximum(_channel_norms(w), eps_w)            # (3.1) n_w[c]
    r = n_g / n_w                                         # (3.1) r[c]
    s = np.where(r < delta, delta * n_w / n_g, 1.0)       # (3.1) s[c]
    return r, s


def channel_ratios(w: np.ndarray, g: np.ndarray, eps_w: float = 1e-3,
                   eps_g: float = 1e-6) -> np.ndarray:
    """Per-output-channel ``max(||g_c||, eps_g) / max(||w_c||, eps_w)`` (spec 3.1, 3.3).

    Parameters
    ----------
    w, g : numpy.ndarray
        Latent weight and its gradient, same shape ``(out, ...)``, ``ndim >= 2``.
    eps_w, eps_g : float
        Floors of the weight and gradient norms (finite, > 0).

    Returns
    -------
    numpy.ndarray
        float64, shape ``(out,)``; norms are accumulated in float64.

    Examples
    --------
    >>> w = np.array([[3.0, 4.0], [0.0, 0.0]])
    >>> g = np.array([[0.3, 0.4], [1e-3, 0.0]])
    >>> channel_ratios(w, g)
    array([0.1, 1. ])
    """
    w = check_array(w, "w", dtype="float")
    g = check_array(g, "g", dtype="float")
    if w.ndim < 2:
        raise ValueError(f"w must have ndim >= 2 (out, ...), got shape {w.shape}")
    if g.shape != w.shape:
        raise ValueError(f"g must have w's shape {w.shape}, got {g.shape}")
    eps_w, eps_g = check_positive(eps_w, "eps_w"), check_positive(eps_g, "eps_g")
    return np.maximum(_channel_norms(g), eps_g) / np.maximum(_channel_norms(w), eps_w)


class AGS:
    """Adaptive Gradient Scaling: a lower bound ``delta`` on each channel's ``||g|| / ||w||``.

    Per targeted parameter and output channel ``c`` (spec 3.1)::

        n_g = max(||g_c||, eps_g),  n_w = max(||w_c||, eps_w),  r = n_g / n_w
        g_c <- max(1, delta * n_w / n_g) * g_c

    A channel with ``r >= delta`` is left bitwise unchanged; a scaled one ends with ratio
    ``delta`` (when ``||g_c|| >= eps_g``). AGS never shrinks a gradient nor turns it, and
    modifies ``p.grad`` in place, never ``p.data``. Conv weights ``(out, in, kh, kw)`` are
    treated as the matrix ``(out, in * kh * kw)``.

    Parameters
    ----------
    delta : float
        The ratio floor (the paper's lambda); finite, > 0. 0.04 suits digits and CIFAR-10,
        0.01 ImageNet.
    eps_w, eps_g : float
        Floors of the weight and gradient norms (finite, > 0).
    params : sequence of Parameter, optional
        Target exactly these (each ``ndim >= 2`` with a quantizer). Default: every
        binarized weight among the parameters the optimizer passes in.
    eps : float, optional
        The issue's spelling ``AGS(delta, eps)``: an alias that sets ``eps_w``.

    Attributes
    ----------
    last_ratio : dict of str -> numpy.ndarray
        Pre-scaling ratios ``r`` (float64, ``(out,)``) of the latest call, by parameter name.
    ratio_log, scaled_log : list of float
        Per call: the mean ``r`` over all targeted channels; the fraction of channels scaled.

    Examples
    --------
    >>> from bnncore.params import Parameter
    >>> from bnncore import quantizers
    >>> p = Parameter(np.array([[3.0, 4.0], [0.3, 0.4]]), "w", quantizers.get("ste"))
    >>> p.grad[...] = [[0.03, 0.04], [0.3, 0.4]]        # ratios 0.01 and 1.0
    >>> ags = AGS(delta=0.04)
    >>> ags([p])
    >>> p.grad                                          # channel 0 scaled up to ratio 0.04
    array([[0.12, 0.16],
           [0.3 , 0.4 ]])
    >>> ags.scaled_log
    [0.5]
    """

    def __init__(self, delta: float = 0.04, *, eps_w: float = 1e-3, eps_g: float = 1e-6,
                 params: Sequence[Parameter] | None = None, eps: float | None = None) -> None:
        self.delta = check_positive(delta, "delta")
        self.eps_w = check_positive(eps_w if eps is None else eps,
                                    "eps_w" if eps is None else "eps")
        self.eps_g = check_positive(eps_g, "eps_g")
        self.params = check_explicit_params(params, "AGS")
        self.reset()

    def reset(self) -> None:
        """Clear the logs."""
        self.last_ratio: dict[str, np.ndarray] = {}
        self.ratio_log: list[float] = []
        self.scaled_log: list[float] = []

    def __call__(self, params: Sequence[Parameter]) -> None:
        """Rescale the gradients of the targeted parameters in place."""
        targets = select_targets(params, self.params, "AGS")
        grads = [_checked_grad("AGS", name, p) for name, p in targets]   # all, before any change
        ratios, n_scaled = {}, 0
        for (name, p), g in zip(targets, grads):
            r, s = _ags_factors(p.data, g, self.delta, self.eps_w, self.eps_g)
            g *= s.astype(g.dtype).reshape((-1,) + (1,) * (g.ndim - 1))
            ratios[name] = r
            n_scaled += int(np.count_nonzero(s > 1))
        self.last_ratio = ratios
        all_r = np.concatenate(list(ratios.values()))
        self.ratio_log.append(float(all_r.mean()))
        self.scaled_log.append(n_scaled / all_r.size)

    def __repr__(self) -> str:
        return f"AGS(delta={self.delta}, eps_w={self.eps_w}, eps_g={self.eps_g})"


# -- SAD (spec Section 4) -----------------------------------------------------------------


class SAD:
    """Silence Awareness Decaying: extra L2 decay on weights that have not flipped recently.

    Per targeted parameter, at each call (after backward and AGS, before the step; spec 4.1)::

        f      = 1[sign(w) != sign(w_prev)]       flips made by the previous step
        s      = m * s + (1 - m) * f              flip-rate EMA, float64
        silent = s < threshold
        g     <- g + gamma * silent * w
        w_prev <- w

    The state is created at the first call that sees a parameter (``s = 0`` or ``1``,
    ``w_prev = w``, so that call sees no flip). With ``init="zeros"`` every weight is silent
    until its first flip, and a flipped weight becomes silent again after 2302 calls without
    a flip; runs shorter than that decay exactly the never-flipped weights.

    Parameters
    ----------
    gamma : float
        Decay coefficient, finite and >= 0 (0: pure tracking, gradients untouched).
        1e-2 for digits, 9e-4 CIFAR-10, 2e-5 ImageNet.
    momentum : float
        EMA momentum ``m`` in (0, 1).
    threshold : float
        ``sigma``: a weight is silent when ``s < sigma`` (finite, > 0).
    init : {"zeros", "ones"}
        Initial EMA; ``"ones"`` delays silence by about 9206 calls (a warm-up).
    params : sequence of Parameter, optional
        Target exactly these (each ``ndim >= 2`` with a quantizer); default: every
        binarized weight among the parameters the optimizer passes in.

    Attributes
    ----------
    silent_log : list of float
        Per call: the fraction of targeted weights that are silent.
    flip_log : list of int
        Per call: the number of flips detected.

    Examples
    --------
    >>> from bnncore.params import Parameter
    >>> from bnncore import quantizers
    >>> p = Parameter(np.array([[1.0, -2.0]]), "w", quantizers.get("ste"))
    >>> sad = SAD(gamma=0.5)
    >>> sad([p])                        # first call: no flip seen, every weight is silent
    >>> p.grad
    array([[ 0.5, -1. ]])
    >>> p.data[0, 0] = -1.0             # a sign change, as a step would make
    >>> p.grad[...] = 0.0
    >>> sad([p])
    >>> p.grad, sad.flip_log
    (array([[ 0., -1.]]), [0, 1])
    """

    def __init__(self, gamma: float = 1e-2, *, momentum: float = 0.999,
                 threshold: float = 1e-4, init: str = "zeros",
                 params: Sequence[Parameter] | None = None) -> None:
        self.gamma = check_positive(gamma, "gamma", allow_zero=True)
        self.momentum = check_momentum(momentum)
        self.threshold = check_positive(threshold, "threshold")
        self.init = check_init(init)
        self.params = check_explicit_params(params, "SAD")
        self.reset()

    def reset(self) -> None:
        """Forget every parameter's state and clear the logs."""
        self._ema: dict[str, np.ndarray] = {}
        self._prev: dict[str, np.ndarray] = {}
        self.silent_log: list[float] = []
        self.flip_log: list[int] = []

    def __call__(self, params: Sequence[Parameter]) -> None:
        """Update the flip EMAs and add ``gamma * w`` to the silent weights' gradients."""
        targets = select_targets(params, self.params, "SAD")
        for name, p in targets:                     # validate everything before any change
            _checked_grad("SAD", name, p)
            check_finite(p.data, f"SAD: weight {name!r}")
            prev = self._prev.get(name)
            if prev is not None and prev.shape != p.data.shape:
                raise ValueError(f"SAD: parameter {name!r} changed shape from {prev.shape} "
                                 f"to {p.data.shape}; call reset() after resizing a model")
        n_silent = n_total = n_flips = 0
        for name, p in targets:
            g, w = p.grad, p.data
            flips = self._observe(name, w)
            silent = self._ema[name] < self.threshold
            if self.gamma:
                np.add(g, self.gamma * w, out=g, where=silent)   # (4.1) g + gamma*silent*w
            n_flips += int(np.count_nonzero(flips))
            n_silent += int(np.count_nonzero(silent))
            n_total += silent.size
        self.silent_log.append(n_silent / n_total)
        self.flip_log.append(n_flips)

    def _observe(self, name: str, w: np.ndarray) -> np.ndarray:
        """Flip mask since the previous call, EMA update, ``w_prev <- w``."""
        prev = self._prev.get(name)
        if prev is None:
            fill = 0.0 if self.init == "zeros" else 1.0
            self._ema[name] = np.full(w.shape, fill, dtype=np.float64)
            prev = self._prev[name] = w.copy()
        flips = sign_flips(prev, w)
        update_flip_ema(self._ema[name], flips, self.momentum)
        prev[...] = w
        return flips

    def _state(self, name: str, table: dict) -> np.ndarray:
        if name not in table:
            raise KeyError(f"SAD has no state for {name!r}; known: {sorted(table)}")
        return table[name]

    def silent_mask(self, name: str) -> np.ndarray:
        """Current silent mask ``s < threshold`` of one parameter (bool, its shape)."""
        return self._state(name, self._ema) < self.threshold

    def ema(self, name: str) -> np.ndarray:
        """A copy of the current flip EMA ``s`` of one parameter (float64)."""
        return self._state(name, self._ema).copy()

    def __repr__(self) -> str:
        return (f"SAD(gamma={self.gamma}, momentum={self.momentum}, "
                f"threshold={self.threshold}, init={self.init!r})")


# -- presets (spec 2.3) -------------------------------------------------------------------

PRESETS: dict[str, dict] = {
    "imagenet": {"delta": 0.01, "momentum": 0.999, "threshold": 1e-4, "gamma": 2e-5},
    "cifar10": {"delta": 0.04, "momentum": 0.999, "threshold": 1e-4, "gamma": 9e-4},
    "digits": {"delta": 0.04, "momentum": 0.999, "threshold": 1e-4, "gamma": 1e-2},
}
_OVERRIDES = ("delta", "eps_w", "eps_g", "momentum", "threshold", "gamma", "init")


def ovsw(preset: str = "digits", **overrides) -> list:
    """``[AGS(...), SAD(...)]`` configured from a preset (spec 2.3), in the verified order.

    Parameters
    ----------
    preset : {"digits", "cifar10", "imagenet"}
        ``"digits"`` (delta 0.04, gamma 1e-2) is the library's choice for small data and
        short runs; the other two are the reference settings.
    **overrides
        Any of ``delta``, ``eps_w``, ``eps_g``, ``momentum``, ``threshold``, ``gamma``,
        ``init``.

    Examples
    --------
    >>> ags, sad = ovsw("cifar10", gamma=1e-3)
    >>> ags.delta, sad.gamma, sad.momentum
    (0.04, 0.001, 0.999)
    """
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {sorted(PRESETS)}, got {preset!r}")
    unknown = sorted(set(overrides) - set(_OVERRIDES))
    if unknown:
        raise TypeError(f"unknown ovsw override(s) {unknown}; allowed: {list(_OVERRIDES)}")
    cfg = {**PRESETS[preset], **overrides}
    ags = AGS(cfg["delta"], eps_w=cfg.get("eps_w", 1e-3), eps_g=cfg.get("eps_g", 1e-6))
    sad = SAD(cfg["gamma"], momentum=cfg["momentum"], threshold=cfg["threshold"],
              init=cfg.get("init", "zeros"))
    return [ags, sad]


def __getattr__(name: str):
    # spec 5: FlipTracker is defined in bnncore.diagnostics and reachable from here too
    # (imported lazily: diagnostics imports this module).
    if name == "FlipTracker":
        from ..diagnostics import FlipTracker

        return FlipTracker
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["AGS", "PRESETS", "SAD", "channel_ratios", "is_binarized_weight", "ovsw",
           "select_targets", "sign_flips", "update_flip_ema"]
