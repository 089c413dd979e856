"""Adaptive Gradient Scaling (AGS), OvSW's first gradient transform (docs/ovsw.md, "AGS").

OvSW (arXiv 2407.05257) observes that most latent weights of a BNN never change sign,
because the gradient reaching a latent does not depend on its magnitude. AGS plugs into
every optimizer's ``transforms=`` hook (before SAD, weight decay and momentum) and rescales
each output channel's gradient so that ``||g_c|| / ||w_c|| >= delta``. It acts on the
binarized weights (``bnncore.flips.is_binarized``) or an explicit ``params=[...]`` list.
``channel_ratios`` computes the ratio alone (``bnncore.diagnostics.FlipTracker`` logs it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._validation import check_array, check_positive
from ..flips import check_explicit_params, select_targets
from ..params import Parameter
from .base import checked_grad

__all__ = ["AGS", "channel_ratios"]


def _channel_norms(x: np.ndarray) -> np.ndarray:
    x2 = x.reshape(x.shape[0], -1).astype(np.float64)
    return np.sqrt(np.einsum("ij,ij->i", x2, x2))


def _ags_factors(w: np.ndarray, g: np.ndarray, delta: float, eps_w: float,
                 eps_g: float) -> tuple[np.ndarray, np.ndarray]:
    n_g = np.maximum(_channel_norms(g), eps_g)            # (3.1) n_g[c]
    n_w = np.maximum(_channel_norms(w), eps_w)            # (3.1) n_w[c]
    r = n_g / n_w                                         # (3.1) r[c]
    s = np.where(r < delta, delta * n_w / n_g, 1.0)       # (3.1) s[c]
    return r, s


def channel_ratios(w: np.ndarray, g: np.ndarray, eps_w: float = 1e-3,
                   eps_g: float = 1e-6) -> np.ndarray:
    """Per-output-channel ``max(||g_c||, eps_g) / max(||w_c||, eps_w)`` (docs/ovsw.md, "AGS").

    Parameters
    ----------
    w, g : numpy.ndarray
        Latent weight and its gradient, same shape ``(out, ...)``, ``ndim >= 2``.
    eps_w, eps_g : float
        Floors of the weight and gradient norms (finite, > 0).

    Returns
    -------
    numpy.ndarray
        float64, shape ``(out,)``; norms are accumulated in float64.

    Examples
    --------
    >>> w = np.array([[3.0, 4.0], [0.0, 0.0]])
    >>> g = np.array([[0.3, 0.4], [1e-3, 0.0]])
    >>> channel_ratios(w, g)
    array([0.1, 1. ])
    """
    w = check_array(w, "w", dtype="float")
    g = check_array(g, "g", dtype="float")
    if w.ndim < 2:
        raise ValueError(f"w must have ndim >= 2 (out, ...), got shape {w.shape}")
    if g.shape != w.shape:
        raise ValueError(f"g must have w's shape {w.shape}, got {g.shape}")
    eps_w, eps_g = check_positive(eps_w, "eps_w"), check_positive(eps_g, "eps_g")
    return np.maximum(_channel_norms(g), eps_g) / np.maximum(_channel_norms(w), eps_w)


class AGS:
    """Adaptive Gradient Scaling: a lower bound ``delta`` on each channel's ``||g|| / ||w||``.

    Per targeted parameter and output channel ``c`` (docs/ovsw.md, "AGS")::

        n_g = max(||g_c||, eps_g),  n_w = max(||w_c||, eps_w),  r = n_g / n_w
        g_c <- max(1, delta * n_w / n_g) * g_c

    A channel with ``r >= delta`` is left bitwise unchanged; a scaled one ends with ratio
    ``delta`` (when ``||g_c|| >= eps_g``). AGS never shrinks a gradient nor turns it, and
    modifies ``p.grad`` in place, never ``p.data``. Conv weights ``(out, in, kh, kw)`` are
    treated as the matrix ``(out, in * kh * kw)``.

    Parameters
    ----------
    delta : float
        The ratio floor (the paper's lambda); finite, > 0. 0.04 suits digits and CIFAR-10,
        0.01 ImageNet.
    eps_w, eps_g : float
        Floors of the weight and gradient norms (finite, > 0).
    params : sequence of Parameter, optional
        Target exactly these (each ``ndim >= 2`` with a quantizer). Default: every
        binarized weight among the parameters the optimizer passes in.

    Attributes
    ----------
    last_ratio : dict of str -> numpy.ndarray
        Pre-scaling ratios ``r`` (float64, ``(out,)``) of the latest call, by parameter name.
    ratio_log, scaled_log : list of float
        Per call: the mean ``r`` over all targeted channels; the fraction of channels scaled.

    Examples
    --------
    >>> from bnncore.params import Parameter
    >>> from bnncore import quantizers
    >>> p = Parameter(np.array([[3.0, 4.0], [0.3, 0.4]]), "w", quantizers.get("ste"))
    >>> p.grad[...] = [[0.03, 0.04], [0.3, 0.4]]        # ratios 0.01 and 1.0
    >>> ags = AGS(delta=0.04)
    >>> ags([p])
    >>> p.grad                                          # channel 0 scaled up to ratio 0.04
    array([[0.12, 0.16],
           [0.3 , 0.4 ]])
    >>> ags.scaled_log
    [0.5]
    """

    def __init__(self, delta: float = 0.04, *, eps_w: float = 1e-3, eps_g: float = 1e-6,
                 params: Sequence[Parameter] | None = None) -> None:
        self.delta = check_positive(delta, "delta")
        self.eps_w = check_positive(eps_w, "eps_w")
        self.eps_g = check_positive(eps_g, "eps_g")
        self.params = check_explicit_params(params, "AGS")
        self.reset()

    def reset(self) -> None:
        """Clear the logs."""
        self.last_ratio: dict[str, np.ndarray] = {}
        self.ratio_log: list[float] = []
        self.scaled_log: list[float] = []

    def __call__(self, params: Sequence[Parameter]) -> None:
        """Rescale the gradients of the targeted parameters in place."""
        targets = select_targets(params, self.params, "AGS")
        grads = [checked_grad("AGS", name, p) for name, p in targets]   # all, before any change
        ratios, n_scaled = {}, 0
        for (name, p), g in zip(targets, grads):
            r, s = _ags_factors(p.data, g, self.delta, self.eps_w, self.eps_g)
            g *= s.astype(g.dtype).reshape((-1,) + (1,) * (g.ndim - 1))
            ratios[name] = r
            n_scaled += int(np.count_nonzero(s > 1))
        self.last_ratio = ratios
        all_r = np.concatenate(list(ratios.values()))
        self.ratio_log.append(float(all_r.mean()))
        self.scaled_log.append(n_scaled / all_r.size)

    def __repr__(self) -> str:
        return f"AGS(delta={self.delta}, eps_w={self.eps_w}, eps_g={self.eps_g})"
