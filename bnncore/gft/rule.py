"""The GFT update rule as small pure functions (shared/spec/gft.md Section 3).

GFT as reconstructed in bnncore: the paper body (method section, Algorithm 1) could not be
read, so the output error rule, the backward gate, the vote, the acceptance probability and
the schedule formula are our designs, kept here as replaceable functions. The trainer
(``bnncore.gft.trainer``) only sequences them. One step, for a batch ``x, y``::

    xs, vs = model.forward_all(x)                               # pre-step weights
    D[L]   = output_error(vs[L], y, output, margin)             # 3.2  int8 (B, O_L)
    for l = L..1:
        S[l] = vote(D[l], xs[l-1])                              # 3.4  int32 (O, I)
        if l > 1: D[l-1] = propagate(D[l], W[l], xs[l-1], vs[l-1], gate, tau)   # 3.3
    for l = 1..L:
        sigma = flip_scores(W[l], S[l])                         # 3.4  int32, E - H
        idx, n_c, n_sel = select_flips(sigma, k_t[l], rng_flip) # 3.5  top-k + acceptance
        W[l].ravel()[idx] *= -1                                 # XOR of the packed bits

Every array of the update is an integer array; no float is computed.

Examples
--------
>>> import numpy as np
>>> from bnncore.gft import FullyBinaryMLP
>>> net = FullyBinaryMLP((4, 2), rng=0)
>>> x = np.array([[1, 1, -1, 1], [-1, 1, 1, 1]], np.int8); y = np.array([0, 1])
>>> xs, vs = net.forward_all(x)
>>> D = output_error(vs[-1], y, output="multiclass", margin=2)
>>> sigma = flip_scores(net.weights[0], vote(D, xs[0]))
>>> sigma.dtype.name, sigma.shape
('int32', (2, 4))
"""

from .backprop import default_tau, output_error, propagate, targets
from .bias import bias_candidates, bias_step, bias_vote
from .contribution import contribution_tensor, flip_scores, vote
from .schedule import k_schedule, resolve_k
from .selection import accept_selected, select_flips, select_top_k
from .signs import sign, tsign

__all__ = ["accept_selected", "bias_candidates", "bias_step", "bias_vote",
           "contribution_tensor", "default_tau", "flip_scores", "k_schedule", "output_error",
           "propagate", "resolve_k", "select_flips", "select_top_k", "sign", "targets",
           "tsign", "vote"]
