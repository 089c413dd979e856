"""Error signs at the output and their propagation backwards (shared/spec/gft.md 3.2-3.3).

No magnitudes travel backwards, only signs: ``D^(l)`` (``int8`` in {-1, 0, +1}) says in
which direction each output of layer ``l`` should move (0: leave it). Both rules are
GFT as reconstructed in bnncore; the paper only confirms "sign checks".
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .signs import sign, tsign

__all__ = ["GATES", "default_tau", "output_error", "propagate", "targets"]

GATES = ("none", "window", "flip")


def targets(y: np.ndarray, n_out: int, output: str) -> np.ndarray:
    """±1 targets ``T`` (B, O) as ``int8``: one-vs-all for ``"multiclass"``, ``y`` for ``"binary"``.

    Examples
    --------
    >>> import numpy as np
    >>> targets(np.array([2, 0]), 3, "multiclass").tolist()
    [[-1, -1, 1], [1, -1, -1]]
    """
    y = np.asarray(y)
    if output == "binary":
        return y.reshape(-1, 1).astype(np.int8)
    T = np.full((y.shape[0], n_out), -1, dtype=np.int8)
    T[np.arange(y.shape[0]), y] = 1
    return T


def _check_labels(y, n_samples: int, n_out: int, output: str) -> np.ndarray:
    y = np.asarray(y)
    if y.shape != (n_samples,):
        raise ValueError(f"y must have shape ({n_samples},), got {y.shape}")
    if y.dtype.kind not in "iu":
        raise ValueError(f"y must hold integer labels, got dtype {y.dtype}")
    if output == "binary":
        bad = (y != 1) & (y != -1)
        if bad.any():
            raise ValueError(f"y must be ±1 for output='binary', found {y[bad][0]}")
    elif y.size and (y.min() < 0 or y.max() >= n_out):
        bad = y[(y < 0) | (y >= n_out)][0]
        raise ValueError(f"y has label {bad} out of range [0, {n_out})")
    return y


def output_error(v: np.ndarray, y: np.ndarray, *, output: str, margin: int = 0) -> np.ndarray:
    """Output error signs ``D^(L)`` (reconstructed rule, spec Section 3.2).

    With ±1 targets ``T`` (:func:`targets`) and the integer margin ``kappa = margin``::

        e[b,o] = (sign(v[b,o]) != T[b,o])  or  (T[b,o] * v[b,o] < kappa)
        D[b,o] = T[b,o] * e[b,o]

    ``D`` is the direction each flagged score should move; correct outputs with margin
    at least ``kappa`` get 0. With ``kappa = 0`` only misclassified outputs are flagged;
    since ``sign(0) = +1``, a target of -1 with score 0 is flagged, a target of +1 with
    score 0 is not.

    Parameters
    ----------
    v : numpy.ndarray of int, shape (B, O)
        Output scores ``v^(L)``.
    y : numpy.ndarray of int, shape (B,)
        Class indices ``0..O-1`` (``"multiclass"``) or ±1 (``"binary"``, ``O == 1``).
    output : {"multiclass", "binary"}
    margin : int
        ``kappa >= 0``.

    Returns
    -------
    numpy.ndarray of int8, shape (B, O), entries in {-1, 0, +1}

    Examples
    --------
    >>> import numpy as np
    >>> v = np.array([[0, 0, 5]])
    >>> output_error(v, np.array([0]), output="multiclass").tolist()  # class 1 (0) and 2 (5) wrong
    [[0, -1, -1]]
    >>> output_error(v, np.array([0]), output="multiclass", margin=1).tolist()
    [[1, -1, -1]]
    """
    if output not in ("multiclass", "binary"):
        raise ValueError(f"output must be 'multiclass' or 'binary', got {output!r}")
    if isinstance(margin, bool) or not isinstance(margin, (int, np.integer)) or margin < 0:
        raise ValueError(f"margin must be an int >= 0, got {margin!r}")
    v = np.asarray(v)
    if v.ndim != 2 or (output == "binary" and v.shape[1] != 1):
        raise ValueError(f"v must have shape (B, O) (O == 1 for 'binary'), got {v.shape}")
    y = _check_labels(y, v.shape[0], v.shape[1], output)
    T = targets(y, v.shape[1], output)
    flagged = (sign(v) != T) | (T.astype(np.int32) * v < int(margin))
    return (T * flagged).astype(np.int8)


def default_tau(fan_in: int) -> int:
    """The window gate's default half-width ``max(1, isqrt(fan_in))`` (spec Section 3.3).

    Examples
    --------
    >>> default_tau(64), default_tau(1), default_tau(255)
    (8, 1, 15)
    """
    return max(1, math.isqrt(int(fan_in)))


def propagate(D: np.ndarray, W: np.ndarray, x_prev: np.ndarray, v_prev: np.ndarray, *,
              gate: str = "none", tau: int | None = None,
              fan_in: int | None = None) -> np.ndarray:
    """Error signs of the layer below (reconstructed rule, spec Section 3.3)::

        P^(l-1) = D^(l) @ W^(l)                   int32 (B, I_l): net push on each unit
        D^(l-1) = tsign(P^(l-1)) * G^(l-1)        int8

    The routing through the weights is STE backprop with every magnitude replaced by a
    sign. The gate ``G`` (0/1) of the sign activation:

    - ``"none"``: 1, every hidden unit receives its sign;
    - ``"window"``: ``|v^(l-1)| <= tau``, only units near their threshold (STE-style);
    - ``"flip"``: ``tsign(P) == -x^(l-1)``, only units whose requested direction would
      change their current output.

    Parameters
    ----------
    D : numpy.ndarray of int8, shape (B, O)
        Error signs ``D^(l)`` of this layer's outputs.
    W : numpy.ndarray of int8, shape (O, I)
        This layer's weights ``W^(l)`` (pre-step).
    x_prev : numpy.ndarray of int8, shape (B, I)
        This layer's input ``x^(l-1) = sign(v^(l-1))``.
    v_prev : numpy.ndarray of int32, shape (B, I)
        Pre-activations ``v^(l-1)`` of the layer below.
    gate : {"none", "window", "flip"}
    tau : int, optional
        Window half-width; default ``default_tau(fan_in)``.
    fan_in : int, optional
        ``I_(l-1)``, the fan-in of the layer producing ``v^(l-1)``; needed only for the
        window default.

    Returns
    -------
    numpy.ndarray of int8, shape (B, I), entries in {-1, 0, +1}

    Examples
    --------
    >>> import numpy as np
    >>> D = np.array([[1, -1]], np.int8); W = np.array([[1, 1, -1], [1, -1, -1]], np.int8)
    >>> x = np.array([[1, -1, 1]], np.int8); v = np.array([[3, -1, 9]], np.int32)
    >>> propagate(D, W, x, v).tolist()       # P = [0, 2, 0]
    [[0, 1, 0]]
    >>> propagate(D, W, x, v, gate="window", tau=0).tolist()
    [[0, 0, 0]]
    >>> propagate(D, W, x, v, gate="flip").tolist()   # unit 1 is -1 and is asked up
    [[0, 1, 0]]
    """
    if gate not in GATES:
        raise ValueError(f"gate must be one of {GATES}, got {gate!r}")
    P = np.asarray(D).astype(np.int32) @ np.asarray(W).astype(np.int32)
    push = tsign(P)
    if gate == "none":
        return push
    if gate == "window":
        if tau is None:
            if fan_in is None:
                raise ValueError("gate='window' needs tau or fan_in (tau = isqrt(fan_in))")
            tau = default_tau(fan_in)
        open_ = np.abs(np.asarray(v_prev)) <= int(tau)
    else:
        open_ = push == -np.asarray(x_prev)
    return (push * open_).astype(np.int8)


def resolve_taus(tau: Sequence[int] | None, sizes: Sequence[int]) -> tuple[int, ...]:
    """Per-hidden-layer window widths: ``tau`` checked, or the defaults from ``sizes``.

    Hidden layer ``h`` (0-based, ``h < L - 1``) has fan-in ``sizes[h]``.
    """
    n_hidden = len(sizes) - 2
    if tau is None:
        return tuple(default_tau(sizes[h]) for h in range(n_hidden))
    if isinstance(tau, (str, bytes)) or not hasattr(tau, "__len__"):
        raise ValueError(f"tau must be None or a sequence of {n_hidden} ints, got {tau!r}")
    if len(tau) != n_hidden:
        raise ValueError(f"tau must have one entry per hidden layer ({n_hidden}), "
                         f"got {len(tau)}")
    out = []
    for t in tau:
        if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 0:
            raise ValueError(f"tau entries must be ints >= 0, got {t!r}")
        out.append(int(t))
    return tuple(out)
