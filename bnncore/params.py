"""``Parameter``: a latent float array, its gradient, and (for binarized weights) a quantizer."""

from __future__ import annotations

import numpy as np


class Parameter:
    """A trainable array and the gradient that backward passes accumulate into it.

    Parameters
    ----------
    data : numpy.ndarray
        The latent float values the optimizer updates (float32 for training, float64 for
        gradient checks).
    name : str
        A dotted name (``"1.weight"`` inside a ``Sequential``).
    quantizer : QuantizerPair or None
        For a binarized weight, the forward/backward pair the layer reads at every forward;
        ``None`` for every other parameter. Optimizers call ``quantizer.post_step`` after
        each update of a parameter that has one.

    Attributes
    ----------
    grad : numpy.ndarray
        Same shape and dtype as ``data``, zero-initialised; layers add to it (``+=``).

    Examples
    --------
    >>> import numpy as np
    >>> p = Parameter(np.ones((2, 3)), name="weight")
    >>> p.grad.shape, float(p.grad.sum())
    ((2, 3), 0.0)
    """

    def __init__(self, data: np.ndarray, name: str = "", quantizer=None) -> None:
        data = np.asarray(data)
        if data.dtype.kind != "f":
            raise TypeError(f"Parameter data must be a float array, got dtype {data.dtype}")
        self.data = data
        self.grad = np.zeros_like(data)
        self.name = name
        self.quantizer = quantizer

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def size(self) -> int:
        return int(self.data.size)

    def zero_grad(self) -> None:
        """Reset ``grad`` to zeros in place."""
        self.grad[...] = 0

    def astype(self, dtype) -> None:
        """Cast ``data`` and ``grad`` to ``dtype`` in place (used by gradient checks)."""
        self.data = self.data.astype(dtype)
        self.grad = self.grad.astype(dtype)

    def __repr__(self) -> str:
        q = f", quantizer={self.quantizer.name!r}" if self.quantizer is not None else ""
        return f"Parameter(name={self.name!r}, shape={self.data.shape}, dtype={self.data.dtype}{q})"
