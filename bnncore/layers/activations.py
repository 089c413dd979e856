"""Elementwise activations: ``ReLU``, ``HardTanh`` and the binarizer ``Sign``."""

from __future__ import annotations

import numpy as np

from .. import quantizers
from .base import Layer


class ReLU(Layer):
    """``y = max(x, 0)``; backward passes ``dy`` where ``x > 0``.

    Examples
    --------
    >>> import numpy as np
    >>> ReLU().forward(np.array([[-1.0, 2.0]]))
    array([[0., 2.]])
    """

    def _forward(self, x, training):
        self._mask = x > 0
        return np.where(self._mask, x, x.dtype.type(0))

    def _backward(self, dy):
        return dy * self._mask


class HardTanh(Layer):
    """``y = clip(x, -1, 1)``; backward passes ``dy`` where ``-1 < x < 1``.

    Examples
    --------
    >>> import numpy as np
    >>> HardTanh().forward(np.array([[-3.0, 0.5]]))
    array([[-1. ,  0.5]])
    """

    def _forward(self, x, training):
        self._mask = np.abs(x) < 1
        return np.clip(x, -1, 1)

    def _backward(self, dy):
        return dy * self._mask


class Sign(Layer):
    """Activation binarizer: forward ``sign(x)`` (``sign(0) = +1``), backward from a pair.

    In training mode the output is ``quantizer.forward(x)``, in evaluation mode
    ``quantizer.deploy(x)`` (``sign(x)`` for every binary pair). Backward returns
    ``quantizer.backward(x, dy) = dy * B'(x)``; with the default ``"clipped_ste"`` that is
    ``dy * 1[|x| <= 1]``, the hardtanh straight-through estimator.

    Parameters
    ----------
    quantizer : str or QuantizerPair
        The activation's forward/backward pair, kept as ``self.quantizer``.

    Examples
    --------
    >>> import numpy as np
    >>> s = Sign()
    >>> s.forward(np.array([[-0.5, 0.0, 2.0]]))
    array([[-1.,  1.,  1.]])
    >>> s.backward(np.ones((1, 3)))
    array([[1., 1., 0.]])
    """

    def __init__(self, quantizer="clipped_ste") -> None:
        pair = quantizers.get(quantizer)
        if not pair.elementwise:
            raise ValueError(f"Sign needs an elementwise quantizer pair: {pair.name!r} uses "
                             f"tensor statistics (elementwise=False)")
        self.quantizer = pair

    def quantizers(self) -> list:
        return [self.quantizer]

    def get_config(self) -> dict:
        return {"quantizer": self.quantizer.name,
                "quantizer_params": self.quantizer.hyperparams()}

    def _forward(self, x, training):
        self._x = x
        q = self.quantizer
        if not training:
            return q.deploy(x)
        if not x.flags.c_contiguous:   # e.g. a convolution's NCHW view: NumPy's layout
            return q.forward(x)
        # forward(x, out=...) without re-checking x (checked where it entered the model)
        return q._forward_out(x, self._scratch("y", x.shape, x.dtype))

    def _backward(self, dy):
        x = self._x
        dy = dy.astype(x.dtype, copy=False)
        if not (x.flags.c_contiguous and dy.flags.c_contiguous):
            return self.quantizer.backward(x, dy)
        # backward(x, dy, out=...), unchecked likewise
        return self.quantizer._backward_out(x, dy, self._scratch("dx", x.shape, x.dtype))
