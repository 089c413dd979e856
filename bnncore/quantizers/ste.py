"""Straight-through pairs: the forward is ``sign``, the backward pretends it was ``B``.

docs/quantizers.md, section "The pairs" (``identity`` to ``approxsign``).
"""

from __future__ import annotations

import numpy as np

from .._validation import check_positive
from .base import QuantizerPair, sign


class Identity(QuantizerPair):
    """Full precision: ``F(w) = B(w) = w``, ``B'(w) = 1`` (the float reference).

    Examples
    --------
    >>> Identity().forward(np.array([-0.5, 2.0]))
    array([-0.5,  2. ])
    """

    name = "identity"
    forward_monotone = True
    nonneg_backward = True
    backward_bound = 1.0

    def _forward(self, w):
        return w.copy()

    _B = _forward
    _prox = _forward

    def _dB(self, w):
        return np.ones_like(w)


class STE(QuantizerPair):
    """BinaryConnect's straight-through estimator: ``F = sign``, ``B(w) = w``, ``B' = 1``.

    The gradient reaches the latent weight unchanged; the latent is never clipped.

    Examples
    --------
    >>> q = STE()
    >>> q.forward(np.array([-0.3, 0.0, 0.7]))
    array([-1.,  1.,  1.])
    >>> q.backward(np.array([-0.3, 0.0, 5.0]), np.array([1.0, 2.0, 3.0]))
    array([1., 2., 3.])
    """

    name = "ste"
    binary = True
    binary_target = True
    forward_monotone = True
    nonneg_backward = True
    forward_bound = 1.0
    backward_bound = 1.0
    knots = (0.0,)

    def _forward(self, w):
        return sign(w)

    def _forward_into(self, w, out):
        from ..kernels.elementwise import sign_into

        return out if sign_into(w, out) else sign(w, out=out)   # one pass where it can

    def _B(self, w):
        return w.copy()

    def _dB(self, w):
        return np.ones_like(w)

    def _dB_into(self, w, out):
        out.fill(1)
        return out

    def _backward_into(self, w, g, out):
        np.copyto(out, g)        # g * 1
        return out

    def _prox(self, u):
        return sign(u)


class ClippedSTE(STE):
    """Hardtanh STE: ``F = sign``, ``B(w) = clip(w, -c, c)``, ``B'(w) = 1[|w| <= c]``.

    The default activation quantizer of the ``Sign`` layer. The gradient is cut where the
    input is outside ``[-c, c]`` (inclusive at ``+-c``).

    Parameters
    ----------
    clip_value : float
        ``c``, finite and > 0.

    Examples
    --------
    >>> ClippedSTE().dB(np.array([-2.0, -1.0, 0.5, 1.5]))
    array([0., 1., 1., 0.])
    """

    name = "clipped_ste"

    def __init__(self, clip_value: float = 1.0) -> None:
        self.clip_value = check_positive(clip_value, "clip_value")
        c = self.clip_value
        self.knots = (0.0, -c, c)

    def _B(self, w):
        c = self.clip_value
        return np.clip(w, -c, c)

    def _dB(self, w):
        return (np.abs(w) <= self.clip_value).astype(w.dtype)

    def _dB_into(self, w, out):
        # 1[|w| <= c]: the comparison writes 0.0 / 1.0 straight into out
        np.abs(w, out=out)
        return np.less_equal(out, self.clip_value, out=out)

    def _backward_into(self, w, g, out):
        from ..kernels.elementwise import clipped_grad_into

        if not clipped_grad_into(w, g, self.clip_value, out):   # one pass where it can
            np.multiply(g, self._dB_into(w, out), out=out)
        return out

    def hyperparams(self) -> dict:
        return {"clip_value": self.clip_value}


class BNN(ClippedSTE):
    """BinaryNet (Hubara et al.): clipped STE plus the latent clip ``post_step = clip(w, -c, c)``.

    Examples
    --------
    >>> BNN().post_step(np.array([-3.0, 0.2, 1.5]), lr=0.1)
    array([-1. ,  0.2,  1. ])
    """

    name = "bnn"

    def __init__(self, clip_value: float = 1.0) -> None:
        super().__init__(clip_value)
        self.latent_domain = (-self.clip_value, self.clip_value)

    def _post_step(self, w, lr):
        c = self.clip_value
        return np.clip(w, -c, c)


class ApproxSign(STE):
    """Bi-Real Net's ApproxSign: ``F = sign``, ``B = A``, ``B'(w) = max(0, 2 - 2|w|)``.

    ``A(w) = sign0(w) * m * (2 - m)`` with ``m = min(|w|, 1)``, the piecewise quadratic whose
    derivative is Bi-Real's triangle. The product form keeps ``sign(A(w)) =
    sign(w)`` for tiny ``|w|``, where ``1 - (1 - m)^2`` would round to 0.

    Examples
    --------
    >>> q = ApproxSign()
    >>> q.B(np.array([-1.5, -0.5, 0.25, 1.0]))
    array([-1.    , -0.75  ,  0.4375,  1.    ])
    >>> q.dB(np.array([-1.5, -0.5, 0.0, 0.25]))
    array([0. , 1. , 2. , 1.5])
    """

    name = "approxsign"
    backward_bound = 2.0
    knots = (0.0, -1.0, 1.0)

    def _B(self, w):
        m = np.minimum(np.abs(w), 1.0)
        return np.sign(w) * m * (2.0 - m)

    def _dB(self, w):
        # 2 * (1 - min(|w|, 1)) cannot overflow for huge |w|, unlike 2 - 2|w|.
        return 2.0 * (1.0 - np.minimum(np.abs(w), 1.0))
