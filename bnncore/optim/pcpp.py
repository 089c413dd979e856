"""ProxConnect++ (PC++): the training rule of every quantizer pair.

docs/quantizers.md, section "The PC++ training rule".

For a quantized parameter with latent ``w~`` and pair ``(F, B)`` at its current state:

    forward :  w        = F(w~)                              (layer)
    backward:  g~       = B'(w~) * dL/dw                     (layer, via pair.backward)
    update  :  w~_next  = post_step(w~ - lr * g~, lr)        (optimizer, then pair.post_step)

Every bnncore optimizer already runs this rule (``Optimizer.step`` calls ``post_step``);
``pcpp_step`` is the one-array functional reference and ``PCPP`` names the method.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import quantizers
from .._validation import check_positive
from .sgd import SGD


def pcpp_step(w_latent: np.ndarray, grad_fn: Callable[[np.ndarray], np.ndarray], pair,
              lr: float) -> tuple[np.ndarray, np.ndarray]:
    """One PC++ step on one array: returns ``(new latent, weight used by the forward)``.

    ``w = F(w~)``, ``g = grad_fn(w)``, ``new = post_step(w~ - lr * g * B'(w~), lr)``. The form
    of the rule is reconstructed from the PC++ Figure 1 caption and from how BNN, BNN+ and
    Bi-Real are implemented (the paper's text was not available).

    Parameters
    ----------
    w_latent : ndarray
        The latent ``w~`` (float32 or float64); never modified.
    grad_fn : callable
        ``grad_fn(w) -> dL/dw`` at the used weight, same shape as ``w``.
    pair : QuantizerPair or str
        The pair (a registry name is looked up with ``quantizers.get``).
    lr : float
        Finite and > 0.

    Returns
    -------
    (ndarray, ndarray)
        The new latent and ``F(w~)``.

    Raises
    ------
    TypeError
        If ``grad_fn`` is not callable.
    ValueError
        If ``lr`` is not finite and > 0, or ``grad_fn`` returns a different shape.

    Examples
    --------
    >>> w = np.array([0.2])
    >>> new, used = pcpp_step(w, lambda v: v + 1.0, "bnn+", lr=0.1)   # L = (w + 1)^2 / 2
    >>> used, new.round(6)
    (array([1.]), array([-0.404732]))
    """
    lr = check_positive(lr, "lr")
    if not callable(grad_fn):
        raise TypeError(f"grad_fn must be callable, got {type(grad_fn).__name__}")
    pair = quantizers.get(pair)
    w = pair.forward(w_latent)
    g = np.asarray(grad_fn(w))
    if g.shape != w.shape:
        raise ValueError(f"grad_fn returned shape {g.shape}, expected {w.shape}")
    g = g.astype(w_latent.dtype, copy=False)
    stepped = np.asarray(w_latent - lr * pair.backward(w_latent, g), dtype=w_latent.dtype)
    return pair.post_step(stepped, lr), w


class PCPP(SGD):
    """ProxConnect++ with SGD (momentum, Nesterov, weight decay on the latent).

    The rule (reconstructed from the PC++ Figure 1 caption) is what every bnncore optimizer
    does for a parameter with a quantizer: layers deliver ``B'(w~) * dL/dw`` to ``p.grad``,
    the update uses it in place of a plain gradient, and ``post_step`` follows. ``PCPP``
    adds no behaviour to ``SGD``; it exists so that code can name the method.

    Examples
    --------
    >>> from bnncore.params import Parameter
    >>> p = Parameter(np.array([0.2]), quantizer=quantizers.get("bnn"))
    >>> p.grad[:] = 2.0
    >>> PCPP([p], lr=1.0).step()   # 0.2 - 2.0, then BNN's latent clip
    >>> p.data
    array([-1.])
    """
