"""``Sequential``: a chain of layers, validated once at its boundary."""

from __future__ import annotations

import numpy as np

from ..flips import is_binarized
from ..params import Parameter
from .activations import Sign
from .base import Layer
from .binary import BinaryWeightMixin
from .norm import _BatchNorm
from .packed import fold_threshold, packed_product


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
            if isinstance(layer, Sequential):    # nested: keep the child's full path
                for p in layer.parameters():
                    p.name = f"{i}.{p.name}"
            else:
                for attr, p in vars(layer).items():
                    if isinstance(p, Parameter):
                        p.name = f"{i}.{attr}"
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
        if self._plan is not None:
            if training:
                raise RuntimeError("the model is packed (inference only): call unpack() "
                                   "before training")
            return self._packed_forward(x)
        for i, layer in enumerate(self.layers):
            if i:
                layer._check_structure(x, f"input of layer {i} ({type(layer).__name__})")
            x = layer._forward(x, training)
        return x

    def _backward(self, dy):
        for layer in reversed(self.layers):
            dy = layer._backward(dy)
        return dy

    def _backward_params(self, dy):
        for layer in reversed(self.layers[1:]):
            dy = layer._backward(dy)
        if self.layers:
            self.layers[0]._backward_params(dy)

    def _scratch_list(self) -> list[np.ndarray]:
        return [b for layer in self.layers for b in layer._scratch_list()]

    # -- packed inference --------------------------------------------------------------
    _plan = None

    @property
    def packed(self) -> bool:
        return self._plan is not None

    def pack(self) -> Sequential:
        """Pack every binary layer and fold ``binary -> [BatchNorm] -> Sign`` runs into
        integer thresholds (``bnncore.layers.packed``). Evaluation-mode predictions stay
        exactly those of the float path; training needs ``unpack()``. Returns ``self``.
        """
        plan, i, layers = [], 0, self.layers
        while i < len(layers):
            layer = layers[i]
            if isinstance(layer, BinaryWeightMixin):
                layer.pack()
                j = i + 1
                norm = layers[j] if j < len(layers) and isinstance(layers[j], _BatchNorm) else None
                j += norm is not None
                if j < len(layers) and isinstance(layers[j], Sign) and _is_plain_sign(layers[j]):
                    plan.append(("threshold", layer, fold_threshold(layer, norm, layers[j])))
                    i = j + 1
                    continue
            plan.append(("layer", layer, None))
            i += 1
        self._plan = plan
        return self

    def unpack(self) -> Sequential:
        """Return every layer to the float, trainable path."""
        for layer in self.layers:
            if isinstance(layer, BinaryWeightMixin):
                layer.unpack()
        self._plan = None
        return self

    def _packed_forward(self, x):
        for kind, layer, threshold in self._plan:
            if kind == "threshold":
                x = threshold(packed_product(layer, x), layer._packed.dtype)
            else:
                x = layer._forward(x, False)
        return x

    def nbytes(self, packed: bool = False) -> int:
        """Bytes of the parameters: all float32, or with the binarized weights packed.

        ``packed=True`` counts each binarized weight of ``out`` rows of ``fan_in`` as
        ``out * ceil(fan_in / 64) * 8`` bytes (64 weights per ``uint64``) and every other
        parameter as float32; the totals of :meth:`summary`.

        Examples
        --------
        >>> from bnncore.layers import BinaryDense
        >>> m = Sequential(BinaryDense(100, 3, bias=False, rng=0))
        >>> m.nbytes(), m.nbytes(packed=True)
        (1200, 48)
        """
        return sum(_memory(layer)[2 if packed else 1] for layer in self.layers)

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
        rows = [("layer", "output shape", "params", "binary params", "float32 bytes",
                 "packed bytes", "ratio")]
        total = binary_total = float_bytes = packed_bytes = 0
        for i, layer in enumerate(self.layers):
            # shapes come from the float path, also for packed layers
            x = (super(BinaryWeightMixin, layer)._forward(x, False)
                 if isinstance(layer, BinaryWeightMixin) else layer._forward(x, False))
            n = sum(p.size for p in layer.parameters())
            nb, fb, pb, note = _memory(layer)
            total, binary_total = total + n, binary_total + nb
            float_bytes, packed_bytes = float_bytes + fb, packed_bytes + pb
            rows.append((f"{i}: {type(layer).__name__}", str((None,) + x.shape[1:]),
                         f"{n:,}", f"{nb:,}", f"{fb:,}", f"{pb:,}", note))
        rows.append(("total", "", f"{total:,}", f"{binary_total:,}", f"{float_bytes:,}",
                     f"{packed_bytes:,}", f"{float_bytes / max(packed_bytes, 1):.1f}x"))
        widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
        lines.insert(1, "-" * len(lines[0]))
        lines.insert(len(lines) - 1, "-" * len(lines[0]))
        return "\n".join(lines)


def _is_plain_sign(layer: Sign) -> bool:
    """Whether the Sign layer deploys to exactly ±1 (so a threshold can replace it)."""
    probe = np.array([-1.0, 0.0, 1.0], np.float32)
    return bool(np.array_equal(layer.quantizer.deploy(probe), [-1.0, 1.0, 1.0]))


def _memory(layer: Layer) -> tuple[int, int, int, str]:
    """(binary weights, float32 bytes, packed bytes, ratio note) of one layer's parameters.

    A binary weight of ``out`` rows of ``fan_in`` takes ``out * ceil(fan_in / 64) * 8``
    bytes packed; every other parameter stays float32.
    """
    binary = fb = pb = 0
    note = ""
    for p in layer.parameters():
        fb += 4 * p.size
        if is_binarized(p):
            rows, fan_in = p.data.shape[0], p.size // p.data.shape[0]
            words = -(-fan_in // 64)
            binary += p.size
            pb += rows * words * 8
            pad = words * 64 - fan_in
            note = f"{4 * p.size / (rows * words * 8):.1f}x" + (f" (pad {pad} bits/row)"
                                                                 if pad else "")
        else:
            pb += 4 * p.size
    return binary, fb, pb, note
