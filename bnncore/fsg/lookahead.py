"""The DoReFa tanh chain and the look-ahead combination (docs/fsg.md, "One training iteration").

FSG binarizes with ``wq(X) = sign(X)`` and backpropagates through the DoReFa 1-bit tanh
chain (released code, ``bitW = 1``)::

    M(X)    = max_p |tanh(X_p)|            (float64, cast; 1 if 0; a stop-gradient constant)
    wpre(X) = tanh(X) / (2 M(X)) + 1/2     "pre-quantized weight", in [0, 1]
    J(X)    = (1 - tanh(X)^2) / M(X)       the chain factor d wq / d X

``J`` is ``bnncore.quantizers.get("dorefa", k=2).dB`` (one formula, one guard): it is
computed by that pair, not copied.
"""

from __future__ import annotations

import numpy as np

from ..quantizers import DoReFa, sign

__all__ = ["J", "M", "combine", "combine_backward", "wpre", "wq"]

_TANH_CHAIN = DoReFa(k=2)   # B(X) = tanh(X)/M(X), B'(X) = (1 - tanh^2)/M(X)


def M(X: np.ndarray):
    """``max|tanh(X)|`` computed in float64, cast to ``X.dtype``; 1 for an all-zero tensor.

    Examples
    --------
    >>> float(M(np.zeros(3)))
    1.0
    """
    return _TANH_CHAIN._M(np.asarray(X))


def wpre(X: np.ndarray) -> np.ndarray:
    """``tanh(X) / (2 M(X)) + 1/2``, in ``[0, 1]`` (``1/2`` at 0).

    Examples
    --------
    >>> wpre(np.array([-2.0, 0.0, 2.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    X = np.asarray(X)
    return np.tanh(X) / (2 * M(X)) + X.dtype.type(0.5)


def wq(X: np.ndarray) -> np.ndarray:
    """The binary weight of the forward pass, ``sign(X)`` with ``sign(0) = +1``.

    Examples
    --------
    >>> wq(np.array([-0.5, 0.0, 0.5])).tolist()
    [-1.0, 1.0, 1.0]
    """
    return sign(np.asarray(X))


def J(X: np.ndarray) -> np.ndarray:
    """The STE chain factor ``(1 - tanh(X)^2) / M(X)`` (``get("dorefa", k=2).dB``).

    Examples
    --------
    >>> J(np.zeros(2)).tolist()        # M = 1 for an all-zero tensor
    [1.0, 1.0]
    """
    return _TANH_CHAIN._dB(np.asarray(X))


def combine(W, S, F, cal, eta: float, alpha: float) -> np.ndarray:
    """The look-ahead latent ``Wm = W - eta * (alpha*S + (1-alpha)*(cal*F))``.

    docs/fsg.md, "One training iteration", step 1.

    Parameters
    ----------
    W : ndarray
        Persistent latent weight.
    S, F : ndarray
        Slow grad and fast grad, shape of ``W``.
    cal : ndarray
        ``J(W)``, the calibration of the fast grad.
    eta : float
        Current task learning rate.
    alpha : float
        Weight of the slow grad, in ``[0, 1]``.

    Returns
    -------
    ndarray
        ``Wm``, same shape and dtype as ``W``.

    Examples
    --------
    >>> import numpy as np
    >>> combine(np.ones(2), np.ones(2), np.ones(2), np.ones(2), 0.5, 0.25).tolist()
    [0.5, 0.5]
    """
    G = alpha * S + (1 - alpha) * (cal * F)
    return W - eta * G


def combine_backward(g, Wm, cal, g_prev, eta: float, alpha: float):
    """The chain rule from ``g = dL/dwq`` at ``Wm`` to ``(dS, df)``.

    docs/fsg.md, "One training iteration", step 3.

    ``delta = g * J(Wm)``; ``dS = -eta*alpha*delta``;
    ``dF = -eta*(1-alpha)*cal*delta``; ``df = (g_prev * dF).reshape(N, 1)``.

    Returns
    -------
    dS : ndarray
        Shape of ``Wm``.
    df : ndarray
        Shape ``(N, 1)``, the gradient w.r.t. the fast-net output.

    Examples
    --------
    >>> import numpy as np
    >>> dS, df = combine_backward(np.ones(2), np.zeros(2), np.ones(2), np.ones(2), 1.0, 0.5)
    >>> dS.tolist(), df.shape
    ([-0.5, -0.5], (2, 1))
    """
    delta = g * J(Wm)
    dS = -eta * alpha * delta
    dF = -eta * (1 - alpha) * cal * delta
    return dS, (g_prev * dF).reshape(-1, 1)
