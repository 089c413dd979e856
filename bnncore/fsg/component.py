"""``Component``: the calling convention of FSG's hypernet pieces (docs/fsg.md, "Architecture").

The fast-net and the slow-net are applied to several weight tensors per iteration, so the
trainer never relies on an internal cache: ``forward(x, return_cache=True)`` returns
``(output, cache)`` and ``backward(d_output, cache)`` uses that cache. Without
``return_cache`` a component keeps the last call's cache and follows the plain ``Layer``
protocol (``forward(x)``, ``backward(dy)``), so ``bnncore.testing.gradcheck`` applies.
Every backward accumulates (``+=``) into ``Parameter.grad``.
"""

from __future__ import annotations

import numpy as np

from .._validation import FLOAT_DTYPES, check_finite
from ..layers.base import Layer
from ..params import Parameter

__all__ = ["Component", "float_dtype", "uniform"]


def float_dtype(dtype) -> np.dtype:
    """``dtype`` as a NumPy dtype; ``TypeError`` unless float32 or float64."""
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}") from exc
    if dt not in FLOAT_DTYPES:
        raise TypeError(f"dtype must be float32 or float64, got {dt}")
    return dt


def uniform(rng: np.random.Generator, bound: float, shape, dtype) -> np.ndarray:
    """``U(-bound, bound)`` drawn in float64, then cast (PyTorch's default init ranges)."""
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


class Component(Layer):
    """Base class: subclasses set ``param_names`` and implement ``_check_x``, ``_run``
    (``x -> (out, cache)``) and ``_back`` (``(dy, cache) -> dx``)."""

    param_names: tuple[str, ...] = ()
    dtype: np.dtype

    def _param(self, attr: str, value: np.ndarray, prefix: str) -> None:
        name = f"{prefix}.{attr}" if prefix else attr
        setattr(self, attr, Parameter(np.asarray(value, dtype=self.dtype), name))

    def parameters(self) -> list[Parameter]:
        return [getattr(self, n) for n in self.param_names if getattr(self, n, None) is not None]

    def astype(self, dtype) -> Component:
        self.dtype = float_dtype(dtype)
        for child in self._children():
            child.astype(dtype)
        for p in self.parameters():
            if p.data.dtype != self.dtype:
                p.astype(self.dtype)
        return self

    def _children(self) -> list[Component]:
        return []

    def _check_float_input(self, x: object, name: str) -> np.ndarray:
        if not isinstance(x, np.ndarray):
            x = np.asarray(x)
        if x.dtype.kind != "f":
            raise TypeError(f"{name} must be a float array, got dtype {x.dtype}")
        if x.dtype != self.dtype:
            raise TypeError(f"{name} has dtype {x.dtype}, {type(self).__name__} computes in "
                            f"{self.dtype} (cast the input or call astype)")
        check_finite(x, name)
        return x

    def forward(self, x, training: bool = True, return_cache: bool = False):
        """Output for ``x``; with ``return_cache`` also the cache ``backward`` needs.

        ``training`` is accepted for the ``Layer`` protocol and has no effect.
        """
        x = self._check_x(x, "x")
        out, cache = self._run(x)
        cache["out_shape"] = out.shape
        if return_cache:
            return out, cache
        self._cache = cache
        return out

    def backward(self, dy, cache: dict | None = None) -> np.ndarray:
        """Accumulate parameter gradients for ``dL/d output = dy``; return ``dL/dx``."""
        if cache is None:
            cache = getattr(self, "_cache", None)
            if cache is None:
                raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        dy = np.asarray(dy)
        if dy.shape != cache["out_shape"]:
            raise ValueError(f"dy must have the output's shape {cache['out_shape']}, "
                             f"got {dy.shape}")
        if dy.dtype != self.dtype:
            dy = dy.astype(self.dtype)
        check_finite(dy, "dy")
        return self._back(dy, cache)

    def _check_x(self, x, name: str) -> np.ndarray:
        raise NotImplementedError

    def _run(self, x: np.ndarray) -> tuple[np.ndarray, dict]:
        raise NotImplementedError

    def _back(self, dy: np.ndarray, cache: dict) -> np.ndarray:
        raise NotImplementedError
