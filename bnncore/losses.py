"""Losses with their gradients: ``forward(outputs, targets) -> float``, ``backward() -> dL/dout``.

Every loss is a mean over the batch, so its gradient carries a ``1/N``.
Targets are integer class labels ``(N,)`` or an ``(N, C)`` array (one-hot or, for the
cross-entropy, class probabilities).
"""

from __future__ import annotations

import numpy as np

from ._scratch import Scratch
from ._validation import check_array, check_labels


class Loss(Scratch):
    """Base class; subclasses implement ``_value(outputs, T)`` returning (loss, grad).

    The one-hot targets (and ``SoftmaxCrossEntropy``'s temporaries) live in reusable
    buffers (``bnncore._scratch``); ``backward`` returns a copy of the gradient.
    """

    def forward(self, outputs: np.ndarray, targets: np.ndarray) -> float:
        """The mean loss over the batch; caches the gradient for ``backward``.

        Parameters
        ----------
        outputs : ndarray, shape (N, C)
            The model's scores (logits).
        targets : ndarray, shape (N,) int labels in [0, C), or (N, C)
        """
        outputs = check_array(outputs, "outputs", ndim=2)
        targets = self._targets(targets, outputs)
        value, self._grad = self._value(outputs, targets)
        return float(value)

    __call__ = forward

    def backward(self) -> np.ndarray:
        """``dL/d outputs`` of the last ``forward``, shape (N, C)."""
        if getattr(self, "_grad", None) is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return self._detach(self._grad)

    def _targets(self, targets, outputs) -> np.ndarray:
        """Targets as an (N, C) float array in outputs' dtype."""
        n, c = outputs.shape
        t = check_array(targets, "targets", ndim=(1, 2), dtype="numeric")
        if t.ndim == 1:
            y = check_labels(t, n, c, name="targets")
            onehot = self._scratch("onehot", (n, c), outputs.dtype)
            onehot.fill(0)
            flat = self._scratch("flat", (n,), np.intp)
            np.add(self._row_starts(n, c), y, out=flat)   # flat index of (i, y[i])
            onehot.reshape(-1)[flat] = 1
            return onehot
        if t.shape != outputs.shape:
            raise ValueError(f"targets has shape {t.shape}, outputs has {outputs.shape}")
        return t.astype(outputs.dtype)

    def _row_starts(self, n: int, c: int) -> np.ndarray:
        """``c * arange(n)``, made once per ``(n, c)``."""
        key = ("row_starts", n, c)
        if getattr(self, "_rows_key", None) != key:
            self._rows, self._rows_key = c * np.arange(n, dtype=np.intp), key
        return self._rows

    def _value(self, outputs, targets):
        raise NotImplementedError


class SoftmaxCrossEntropy(Loss):
    """Mean cross-entropy of ``softmax(outputs)``, computed with log-sum-exp.

    Gradient: ``(softmax(outputs) * sum(t) - t) / N`` (``softmax - onehot`` for labels).

    Examples
    --------
    >>> import numpy as np
    >>> loss = SoftmaxCrossEntropy()
    >>> round(loss.forward(np.array([[1000.0, 0.0]]), np.array([0])), 6)
    0.0
    >>> loss.backward().round(6)
    array([[0., 0.]])
    """

    def _value(self, outputs, t):
        # In reusable buffers; each step is the expression in its comment.
        n, dt = outputs.shape[0], np.result_type(outputs, t)
        col = self._scratch("col", (n, 1), outputs.dtype)
        z = np.subtract(outputs, np.max(outputs, axis=1, keepdims=True, out=col),
                        out=self._scratch("z", outputs.shape, outputs.dtype))  # o - max o
        e = np.exp(z, out=self._scratch("e", z.shape, z.dtype))
        log_sum = np.sum(e, axis=1, keepdims=True, out=col)
        np.log(log_sum, out=log_sum)                           # log sum exp(z)
        per_entry = np.subtract(log_sum, z, out=e)
        per_entry *= t
        value = per_entry.sum() / n                            # -sum t log softmax / N
        grad = np.subtract(z, log_sum, out=self._scratch("grad", z.shape, dt))
        np.exp(grad, out=grad)                                 # softmax
        grad *= np.sum(t, axis=1, keepdims=True, out=self._scratch("t_sum", (n, 1), dt))
        grad -= t
        grad /= n                                  # (softmax * sum(t) - t) / N
        return value, grad.astype(outputs.dtype, copy=False)


class SquaredHinge(Loss):
    """Mean of ``max(0, 1 - t * o)^2`` over all entries, with ``t`` in ±1 (BinaryNet's loss).

    Integer labels become ±1 one-hot rows; ``(N, C)`` targets may be 0/1 or ±1.

    Examples
    --------
    >>> import numpy as np
    >>> SquaredHinge().forward(np.array([[0.5, -2.0]]), np.array([0]))
    0.125
    """

    def _targets(self, targets, outputs):
        t = super()._targets(targets, outputs)
        if np.isin(t, (0, 1)).all():
            return 2 * t - 1
        if not np.isin(t, (-1, 1)).all():
            raise ValueError("targets for SquaredHinge must be labels, 0/1 one-hot or ±1")
        return t

    def _value(self, outputs, t):
        margin = np.maximum(0, 1 - t * outputs)
        return (margin ** 2).mean(), (-2 * t * margin / margin.size).astype(outputs.dtype)


class MSE(Loss):
    """Mean squared error over all entries; integer labels become one-hot rows.

    Examples
    --------
    >>> import numpy as np
    >>> MSE().forward(np.array([[1.0, 0.0]]), np.array([[0.0, 0.0]]))
    0.5
    """

    def _value(self, outputs, t):
        diff = outputs - t
        return (diff ** 2).mean(), (2 * diff / diff.size).astype(outputs.dtype)


__all__ = ["MSE", "Loss", "SoftmaxCrossEntropy", "SquaredHinge"]
