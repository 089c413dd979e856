"""The ``QuantizerPair`` contract and the name registry.

A quantizer pair is the whole of a binarization method's effect on one tensor: the
forward quantizer ``F`` that the network computes with, and the backward quantizer ``B``
whose derivative ``B'`` replaces the (zero almost everywhere) derivative of ``F`` when the
gradient flows back to the latent weight. ``backward(w, g) = g * B'(w)`` is the only place
where a layer touches ``B'`` (docs/quantizers.md, section "The contract").
"""

from __future__ import annotations

import copy
import numbers
import sys
from collections.abc import Callable

import numpy as np

from .._validation import FLOAT_DTYPES, all_finite, check_positive


def _validate_finite() -> bool:
    # The flag is ``bnncore.quantizers.VALIDATE_FINITE``: users set it on the package.
    return getattr(sys.modules.get(__package__), "VALIDATE_FINITE", True)


def sign(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """The library's one sign: ``+1`` where ``x >= 0`` (so ``sign(0) = sign(-0.0) = +1``).

    Returns a new array of ``x``'s dtype, or writes into ``out`` (same shape and dtype,
    may be ``x`` itself) and returns it.

    Examples
    --------
    >>> sign(np.array([-2.0, -0.0, 0.0, 3.0]))
    array([-1.,  1.,  1.,  1.])
    """
    if out is None:
        out = np.empty_like(x)
    # (x >= 0) * 2 - 1, in place: the comparison writes 0.0 / 1.0 straight into out.
    np.greater_equal(x, 0, out=out)
    out *= 2
    out -= 1
    return out


_IN_PLACE: dict[tuple[type, str, str], bool] = {}


def _in_place(cls: type, plain: str, fast: str | None = None) -> bool:
    """Whether the class that gives ``cls`` its ``plain`` method also defines ``fast``
    (default ``plain + "_into"``; see ``QuantizerPair._forward_into``)."""
    fast = fast or plain + "_into"
    key = (cls, plain, fast)
    if key not in _IN_PLACE:
        owner = next(k for k in cls.__mro__ if plain in vars(k))
        _IN_PLACE[key] = owner is not QuantizerPair and fast in vars(owner)
    return _IN_PLACE[key]


class QuantizerPair:
    """Base class of forward/backward quantizer pairs (PC++'s ``(F, B)``).

    Subclasses implement ``_forward``, ``_B``, ``_dB`` (and ``_prox`` where the pair has a
    PC++ factorization ``F = P o B``) on arrays that are already validated. The public
    methods validate (float32/float64 ndarray, finite values), keep the input dtype and
    never return a view of an input.

    Descriptors (class attributes, overridden where the state changes them) tell property
    tests and layers what holds: ``binary`` (``F`` takes two values), ``binary_target``
    (``deploy`` is ``s * sign``, so packed inference applies), ``elementwise``,
    ``forward_monotone``, ``nonneg_backward``, ``forward_bound``, ``backward_bound``,
    ``knots`` and ``latent_domain``.

    ``QuantizerPair.from_functions(F, B)`` builds a pair from two plain callables; it is
    defined in ``bnncore.quantizers.custom`` next to the class it returns, so that this
    module does not import that one.
    """

    name: str = "base"
    binary: bool = False
    binary_target: bool = False
    elementwise: bool = True
    forward_monotone: bool | None = None
    nonneg_backward: bool | None = None
    forward_bound: float | None = None
    backward_bound: float | None = None
    knots: tuple[float, ...] = ()
    latent_domain: tuple[float, float] | None = None

    # -- validation ------------------------------------------------------------------
    def _check(self, x: object, arg: str, method: str) -> np.ndarray:
        if not isinstance(x, np.ndarray):
            raise TypeError(f"{self.name}.{method}: {arg} must be a numpy.ndarray, "
                            f"got {type(x).__name__}")
        if x.dtype not in FLOAT_DTYPES:
            raise TypeError(f"{self.name}.{method}: {arg} must be float32 or float64, "
                            f"got dtype {x.dtype}")
        if _validate_finite() and not all_finite(x):
            i = int(np.flatnonzero(~np.isfinite(x.ravel()))[0])
            raise ValueError(f"{self.name}.{method}: {arg} contains non-finite values "
                             f"(first at flat index {i}: {x.ravel()[i]})")
        return x

    @staticmethod
    def _out(y: np.ndarray, like: np.ndarray) -> np.ndarray:
        y = np.asarray(y, dtype=like.dtype)
        if y.shape != like.shape:
            y = np.broadcast_to(y, like.shape)
        if np.may_share_memory(y, like) or not y.flags.writeable:
            y = y.copy()
        return y

    def _check_into(self, out: object, w: np.ndarray, method: str, *inputs) -> np.ndarray:
        """``out=`` must be an array of ``w``'s shape and dtype that overlaps no input."""
        if not isinstance(out, np.ndarray) or out.shape != w.shape or out.dtype != w.dtype:
            raise TypeError(f"{self.name}.{method}: out must be a {w.dtype} array of shape "
                            f"{w.shape}, got {type(out).__name__} "
                            f"{getattr(out, 'dtype', '')} {getattr(out, 'shape', '')}")
        if not out.flags.writeable or any(np.may_share_memory(out, a) for a in inputs):
            raise ValueError(f"{self.name}.{method}: out must be writeable and must not "
                             f"overlap the inputs")
        return out

    # -- the public contract ---------------------------------------------------------
    def forward(self, w: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``F(w)``: the values the network computes with. Same shape and dtype as ``w``.

        With ``out`` (an array of ``w``'s shape and dtype, not overlapping ``w``) the
        result is written there and ``out`` is returned: the same values bit for bit, and
        for the built-in sign pairs no temporary array (what a training step uses).
        """
        w = self._check(w, "w", "forward")
        if out is None:
            return self._out(self._forward(w), w)
        return self._forward_out(w, self._check_into(out, w, "forward", w))

    def B(self, w: np.ndarray) -> np.ndarray:
        """The backward quantizer ``B(w)``: backprop treats the layer as computing with it."""
        w = self._check(w, "w", "B")
        return self._out(self._B(w), w)

    def dB(self, w: np.ndarray) -> np.ndarray:
        """``B'(w)``, the elementwise multiplier applied to the gradient in backward."""
        w = self._check(w, "w", "dB")
        return self._out(self._dB(w), w)

    def backward(self, w: np.ndarray, g: np.ndarray,
                 out: np.ndarray | None = None) -> np.ndarray:
        """``g * B'(w)``: the gradient delivered to the latent ``w`` (bit for bit).

        ``out`` as in :meth:`forward` (it must overlap neither ``w`` nor ``g``).
        """
        w = self._check(w, "w", "backward")
        g = self._check(g, "g", "backward")
        if g.shape != w.shape:
            raise ValueError(f"{self.name}.backward: g has shape {g.shape}, w has {w.shape}")
        if g.dtype != w.dtype:
            raise TypeError(f"{self.name}.backward: g has dtype {g.dtype}, w has {w.dtype}")
        if out is None:
            return self._out(g * self._out(self._dB(w), w), w)   # 0-d: keep an ndarray
        return self._backward_out(w, g, self._check_into(out, w, "backward", w, g))

    def prox(self, u: np.ndarray) -> np.ndarray:
        """The proximal quantizer ``P`` of the factorization ``F = P o B``."""
        u = self._check(u, "u", "prox")
        return self._out(self._prox(u), u)

    def deploy(self, w: np.ndarray) -> np.ndarray:
        """Weights used at inference: ``sign(w)`` for binary targets, else ``F(w)``."""
        w = self._check(w, "w", "deploy")
        if self.binary_target:
            return self._out(self._deploy_scale(w) * sign(w), w)
        return self._out(self._forward(w), w)

    def on_epoch(self, epoch: int, total: int) -> None:
        """Annealing hook, called by ``fit`` before each epoch; validates its arguments."""
        for arg, value in (("epoch", epoch), ("total", total)):
            if isinstance(value, bool):
                raise TypeError(f"{self.name}.on_epoch: {arg} must be an int, got {value!r}")
            if not isinstance(value, numbers.Integral):
                raise ValueError(f"{self.name}.on_epoch: {arg} must be an int, got {value!r}")
        if total < 1 or not 0 <= epoch < total:
            raise ValueError(f"{self.name}.on_epoch: need 0 <= epoch < total and total >= 1, "
                             f"got epoch={epoch}, total={total}")
        self._on_epoch(int(epoch), int(total))

    def post_step(self, w: np.ndarray, lr: float) -> np.ndarray:
        """Latent projection applied by every optimizer after its update (default: copy).

        ``lr`` is the optimizer's current base learning rate (finite, > 0).
        """
        w = self._check(w, "w", "post_step")
        lr = check_positive(lr, "lr")
        return self._out(self._post_step(w, lr), w)

    @property
    def has_post_step(self) -> bool:
        """Whether ``post_step`` changes anything (the default is a plain copy, which
        optimizers then skip)."""
        return type(self)._post_step is not QuantizerPair._post_step

    def hyperparams(self) -> dict:
        """Constructor keyword arguments that rebuild this pair in its current state.

        ``get(pair.name, **pair.hyperparams())`` is an equal pair (``bnncore.io`` relies on
        it). Annealed pairs add ``epoch`` and ``total`` once ``on_epoch`` has run; their
        constructors accept both and replay that call.
        """
        return {}

    def surrogate(self) -> QuantizerPair:
        """The pair ``(B, B)``: what backprop assumes the network computed.

        A layer using the surrogate computes with ``B(w)`` and its backward multiplies by
        ``B'(w)``, so its backward is the exact derivative of its forward. Finite
        differences on the surrogate therefore check a binary layer's hand-written
        backward (``bnncore.testing.surrogate_model``).
        """
        return _Surrogate(self)

    # -- defaults for subclasses ------------------------------------------------------
    def _forward(self, w):
        raise NotImplementedError

    def _B(self, w):
        raise NotImplementedError

    def _dB(self, w):
        raise NotImplementedError

    def _prox(self, u):
        raise NotImplementedError(f"{self.name} has no PC++ factorization")

    # -- unchecked out= paths, for layers (their inputs are checked at the model's
    # boundary; a non-finite value inside a model shows up as a non-finite loss) ---------
    def _forward_out(self, w, out):
        if _in_place(type(self), "_forward"):
            return self._forward_into(w, out)
        np.copyto(out, self._forward(w))
        return out

    def _backward_out(self, w, g, out):
        if _in_place(type(self), "_dB", "_backward_into"):
            return self._backward_into(w, g, out)
        if _in_place(type(self), "_dB"):
            self._dB_into(w, out)
        else:
            np.copyto(out, self._dB(w))
        return np.multiply(g, out, out=out)

    # ``out=`` versions, written by pairs that can compute in place (``quantizers.ste``).
    # They are used only where the class that defines ``_forward`` (``_dB``) also defines
    # ``_forward_into`` (``_dB_into``), so a subclass that changes ``_dB`` alone never
    # inherits a stale in-place version; otherwise the result is computed and copied.
    def _forward_into(self, w, out):
        raise NotImplementedError

    def _dB_into(self, w, out):
        raise NotImplementedError

    def _backward_into(self, w, g, out):     # g * B'(w) in one go, where a pair can
        raise NotImplementedError

    def _deploy_scale(self, w):
        return w.dtype.type(1)

    def _on_epoch(self, epoch: int, total: int) -> None:
        return None

    def _post_step(self, w, lr):
        return w.copy()

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparams().items())
        return f"{type(self).__name__}(name={self.name!r}{', ' if args else ''}{args})"


class _Surrogate(QuantizerPair):
    """Forward ``B`` and backward ``B'`` of another pair (see ``QuantizerPair.surrogate``)."""

    def __init__(self, pair: QuantizerPair) -> None:
        self.pair = pair
        self.name = f"surrogate({pair.name})"
        self.knots = pair.knots

    def _forward(self, w):
        return self.pair._B(w)

    def _B(self, w):
        return self.pair._B(w)

    def _dB(self, w):
        return self.pair._dB(w)

    def _prox(self, u):
        return u.copy()

    def _on_epoch(self, epoch, total):
        self.pair._on_epoch(epoch, total)


# -- registry --------------------------------------------------------------------------
_REGISTRY: dict[str, Callable[..., QuantizerPair]] = {}
_ALIASES: dict[str, str] = {}


def register(factory, name: str | None = None, *, aliases=(), overwrite: bool = False) -> None:
    """Register a pair factory (or a pair instance) under ``name``.

    Parameters
    ----------
    factory : callable or QuantizerPair
        ``factory(**kwargs)`` must return a new pair. An instance is registered under
        ``pair.name`` (or ``name``) and ``get`` returns a deep copy of it.
    name : str, optional
        Canonical name; required for a callable factory.
    aliases : sequence of str
        Extra names that resolve to ``name``.
    overwrite : bool
        Allow replacing an existing name.

    Examples
    --------
    >>> from bnncore.quantizers import STE
    >>> register(STE, "my_ste", aliases=("mine",))
    >>> get("mine").name
    'my_ste'
    >>> unregister("my_ste")
    """
    if isinstance(factory, QuantizerPair):
        instance = factory
        name = name or instance.name
        def factory(**kwargs):  # noqa: E306
            if kwargs:
                raise TypeError(f"{name} was registered as an instance and takes no arguments")
            return copy.deepcopy(instance)
    elif not callable(factory):
        raise TypeError(f"factory must be a QuantizerPair or a callable, got {factory!r}")
    if not isinstance(name, str) or not name:
        raise ValueError("name must be a non-empty string for a callable factory")
    key = name.lower()
    if not overwrite and (key in _REGISTRY or key in _ALIASES):
        raise ValueError(f"quantizer name {key!r} is already registered (overwrite=True replaces)")
    _REGISTRY[key] = factory
    for alias in aliases:
        _ALIASES[alias.lower()] = key


def unregister(name: str) -> None:
    """Remove a canonical name and its aliases from the registry.

    Raises
    ------
    ValueError
        If ``name`` is not a registered canonical name.
    """
    key = name.lower() if isinstance(name, str) else name
    if key not in _REGISTRY:
        raise ValueError(f"unknown quantizer {name!r}; available: {', '.join(available())}")
    del _REGISTRY[key]
    for alias in [a for a, target in _ALIASES.items() if target == key]:
        del _ALIASES[alias]


def get(name, **kwargs) -> QuantizerPair:
    """A new pair instance for ``name`` (or the pair itself if one is passed).

    Raises
    ------
    TypeError
        If ``name`` is neither a string nor a ``QuantizerPair``.
    ValueError
        If ``name`` is unknown; the message lists the available names.

    Examples
    --------
    >>> get("clipped_ste").name
    'clipped_ste'
    """
    if isinstance(name, QuantizerPair):
        if kwargs:
            raise TypeError("keyword arguments apply to a registry name, not to a pair instance")
        return name
    if not isinstance(name, str):
        raise TypeError(f"quantizer name must be a str, got {type(name).__name__}")
    key = name.lower()
    key = _ALIASES.get(key, key)
    if key not in _REGISTRY:
        raise ValueError(f"unknown quantizer {name!r}; available: {', '.join(available())}")
    pair = _REGISTRY[key](**kwargs)
    pair.name = key
    return pair


def available() -> list[str]:
    """Sorted canonical names of every registered pair."""
    return sorted(_REGISTRY)
