"""``Layer``: the protocol every layer follows, and the one place inputs are validated.

``forward(x, training)`` computes and caches what backward needs; ``backward(dy)``
returns ``dx`` and adds the parameter gradients into ``Parameter.grad``. The public
methods check their arguments, then call ``_forward`` / ``_backward``, which hold the
math. ``Sequential`` validates once at its boundary and calls the children's private
methods, so a deep model pays for one check, not one per layer.

Scratch buffers
---------------
The layers of a training step write their outputs and gradients into arrays they own
(``bnncore._scratch``), made once and reused while the batch shape stays the same, so a
step of ``fit`` allocates no batch-sized array. The public ``forward`` / ``backward``
hand out copies of such buffers, so what a user holds is never overwritten by the next
call; the private methods (``Sequential``'s children, the trainer's step) pass the
buffers along. ``_backward_params(dy)`` is ``_backward`` without ``dL/dx`` where a layer
can skip it (the first layer of a model: nothing needs the gradient of the data).
"""

from __future__ import annotations

import numpy as np

from .._scratch import Scratch
from .._validation import check_array
from ..params import Parameter


class Layer(Scratch):
    """Base class: explicit forward and backward, no autograd.

    Subclasses set ``input_ndim`` (allowed ``x.ndim`` values) and implement
    ``_forward(x, training)`` and ``_backward(dy)``.
    """

    input_ndim: tuple[int, ...] | None = None

    # -- public protocol ---------------------------------------------------------------
    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        """Compute the layer's output for a batch ``x`` and cache what backward needs.

        Parameters
        ----------
        x : numpy.ndarray
            A float batch; the first axis is the batch axis.
        training : bool
            Training mode (batch statistics, training-time quantizers) or evaluation mode.
        """
        x = self._check_input(x, "x")
        y = self._forward(x, bool(training))
        self._out_shape = y.shape
        return self._detach(y)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """Given ``dL/dy``, accumulate parameter gradients and return ``dL/dx``."""
        shape = getattr(self, "_out_shape", None)
        if shape is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        dy = check_array(dy, "dy")
        if dy.shape != shape:
            raise ValueError(f"dy must have the output's shape {shape}, got {dy.shape}")
        return self._detach(self._backward(dy))

    def __call__(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        return self.forward(x, training)

    def parameters(self) -> list[Parameter]:
        """The layer's trainable parameters (an empty list for parameter-free layers)."""
        return [v for v in vars(self).values() if isinstance(v, Parameter)]

    def quantizers(self) -> list:
        """Every quantizer pair this layer uses (weights' and activations')."""
        return [p.quantizer for p in self.parameters() if p.quantizer is not None]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()

    # -- serialisation hooks (bnncore.io) ---------------------------------------------
    def get_config(self) -> dict:
        """Constructor arguments as JSON-compatible values."""
        return {}

    def buffers(self) -> dict[str, np.ndarray]:
        """Non-trainable state that must be saved (e.g. BatchNorm running statistics)."""
        return {}

    def set_buffer(self, name: str, value: np.ndarray) -> None:
        setattr(self, name, value)

    def astype(self, dtype) -> Layer:
        """Cast parameters and float buffers to ``dtype`` in place; returns ``self``."""
        for p in self.parameters():
            p.astype(dtype)
        for name, value in self.buffers().items():
            if value.dtype.kind == "f":
                self.set_buffer(name, value.astype(dtype))
        return self

    # -- helpers -----------------------------------------------------------------------
    def _check_input(self, x: object, name: str) -> np.ndarray:
        x = check_array(x, name, dtype="numeric")
        if x.dtype.kind != "f":
            x = x.astype(np.float32)
        self._check_structure(x, name)
        return x

    def _check_structure(self, x: np.ndarray, name: str) -> None:
        """The cheap checks (ndim, sizes) that ``Sequential`` runs for every child."""
        if self.input_ndim is not None and x.ndim not in self.input_ndim:
            want = " or ".join(map(str, self.input_ndim))
            raise ValueError(f"{name} must have {want} dimensions for {type(self).__name__}, "
                             f"got shape {x.shape}")
        self._check_features(x, name)

    def _check_features(self, x: np.ndarray, name: str) -> None:
        """Check non-batch sizes (overridden by layers with a fixed input width)."""

    def _forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        raise NotImplementedError

    def _backward(self, dy: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _backward_params(self, dy: np.ndarray) -> None:
        """Accumulate the parameter gradients only (``dL/dx`` is not needed)."""
        self._backward(dy)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class WeightLayer(Layer):
    """A layer with a ``weight`` Parameter, and the two hooks a binary layer overrides:
    which weight the forward pass uses, and how the gradient w.r.t. that used weight
    reaches the latent parameter (``bnncore.layers.binary``)."""

    def _used_weight(self, training: bool) -> np.ndarray:
        return self.weight.data

    def _accumulate_weight_grad(self, dw_used: np.ndarray) -> None:
        self.weight.grad += dw_used

    def _output_scale(self) -> np.ndarray | None:
        """Per-output-channel factor ``(out,)`` applied after the product, or None."""
        return None
