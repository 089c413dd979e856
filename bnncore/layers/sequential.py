"""``Sequential``: a chain of layers, validated once at its boundary."""

from __future__ import annotations

import numpy as np

from ..params import Parameter
from .base import Layer


class Sequential(Layer):
    """Apply layers in order; backward runs them in reverse.

    Parameter names are prefixed with the layer index (``"1.weight"``).

    Parameters
    ----------
    *layers : Layer

    Examples
    --------
    >>> import numpy as np
    >>> from bnncore.layers import Dense, ReLU
    >>> model = Sequential(Dense(4, 8, rng=0), ReLU(), Dense(8, 2, rng=1))
    >>> y = model.forward(np.ones((3, 4), np.float32))
    >>> dx = model.backward(np.ones_like(y))
    >>> [p.name for p in model.parameters()]
    ['0.weight', '0.bias', '2.weight', '2.bias']
    """

    def __init__(self, *layers: Layer) -> None:
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layers[{i}] must be a bnncore Layer, got {type(layer).__name__}")
            for p in layer.parameters():
                p.name = f"{i}.{p.name.rsplit('.', 1)[-1]}"
        self.layers = list(layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> Layer:
        return self.layers[i]

    def __iter__(self):
        return iter(self.layers)

    def parameters(self) -> list[Parameter]:
        return [p for layer in self.layers for p in layer.parameters()]

    def quantizers(self) -> list:
        return [q for layer in self.layers for q in layer.quantizers()]

    def astype(self, dtype) -> Sequential:
        for layer in self.layers:
            layer.astype(dtype)
        return self

    def _check_input(self, x, name):
        if not self.layers:
            raise ValueError("Sequential has no layers")
        return self.layers[0]._check_input(x, name)

    def _forward(self, x, training):
        for i, layer in enumerate(self.layers):
            if i:
                layer._check_structure(x, f"input of layer {i} ({type(layer).__name__})")
            x = layer._forward(x, training)
        return x

    def _backward(self, dy):
        for layer in reversed(self.layers):
            dy = layer._backward(dy)
        return dy

    def summary(self, input_shape: tuple[int, ...] | None = None) -> str:
        """A table of each layer's output shape, parameter count and binary weight count.

        Parameters
        ----------
        input_shape : tuple, optional
            Shape of one sample, e.g. ``(64,)`` or ``(1, 8, 8)``; inferred from a first
            ``Dense`` layer when omitted.

        Returns
        -------
        str
        """
        if input_shape is None:
            first = self.layers[0] if self.layers else None
            if not hasattr(first, "in_features"):
                raise ValueError("input_shape is needed when the first layer is not dense")
            input_shape = (first.in_features,)
        x = np.zeros((2,) + tuple(input_shape), np.float32)
        rows = [("layer", "output shape", "params", "binary params")]
        total = binary_total = 0
        for i, layer in enumerate(self.layers):
            x = layer._forward(x, False)
            n = sum(p.size for p in layer.parameters())
            nb = sum(p.size for p in layer.parameters()
                     if p.quantizer is not None and p.quantizer.binary_target)
            total, binary_total = total + n, binary_total + nb
            rows.append((f"{i}: {type(layer).__name__}", str((None,) + x.shape[1:]),
                         f"{n:,}", f"{nb:,}"))
        rows.append(("total", "", f"{total:,}", f"{binary_total:,}"))
        widths = [max(len(r[c]) for r in rows) for c in range(4)]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
        lines.insert(1, "-" * len(lines[0]))
        lines.insert(len(lines) - 1, "-" * len(lines[0]))
        return "\n".join(lines)
