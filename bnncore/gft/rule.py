"""The GFT update rule, top to bottom in the order a step applies it (docs/gft.md, "One step").

GFT as reconstructed in bnncore: the paper's method section could not be read, so the
output error rule, the backward gate, the vote, the bias update, the acceptance and the
schedule formula are our designs (docs/gft.md, "What is reconstructed"). One step::

    xs, vs = model.forward_all(x)                                # pre-step weights
    D[L]   = output_error(vs[L], y, output, margin)              # targets: output error
    for l = L..1:
        S[l] = vote(D[l], xs[l-1])                               # contribution sums
        if l > 1: D[l-1] = propagate(D[l], W[l], xs[l-1], vs[l-1], gate, tau)
    for l = 1..L:                                                # input layer first
        sigma = flip_scores(W[l], S[l])                          # E - H per weight
        idx, n_c, n_sel = select_flips(sigma, k_t[l], rng_flip)  # top-k + acceptance
        W[l].ravel()[idx] *= -1                                  # XOR of the packed bits
        (bias) b[l][idx_b] += bias_step(bias_vote(D[l]))         # same selection

Every array here is an integer array; no float is computed. The budget ``k_t`` is
:func:`k_schedule` (``bnncore.gft.schedule``, re-exported here).

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

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from .schedule import k_schedule, resolve_k

__all__ = ["GATES", "accept_selected", "bias_candidates", "bias_step", "bias_vote",
           "contribution_tensor", "default_tau", "flip_scores", "k_schedule", "output_error",
           "p_update_fraction", "propagate", "resolve_k", "resolve_taus", "select_flips",
           "select_top_k", "sign", "targets", "tsign", "vote"]

GATES = ("none", "window", "flip")


# -- 1. Signs (docs/gft.md, "Conventions") ----------------------------------------------
def sign(z: np.ndarray) -> np.ndarray:
    """Activation sign ``+1 if z >= 0 else -1`` as ``int8`` (``sign(0) = +1``).

    Examples
    --------
    >>> sign(np.array([-3, 0, 2])).tolist()
    [-1, 1, 1]
    """
    return np.where(np.asarray(z) >= 0, np.int8(1), np.int8(-1))


def tsign(z: np.ndarray) -> np.ndarray:
    """Ternary sign ``np.sign(z)`` as ``int8`` (``tsign(0) = 0``: "no request"), errors only.

    Examples
    --------
    >>> tsign(np.array([-3, 0, 2])).tolist()
    [-1, 0, 1]
    """
    return np.sign(np.asarray(z)).astype(np.int8)


# -- 2. Contribution (docs/gft.md, "Contribution tensor", "Votes and flip scores") ------
def contribution_tensor(x: np.ndarray, W: np.ndarray) -> np.ndarray:
    """``c[b,o,i] = x[b,i] * W[o,i]``, ``int8`` ``(B, O, I)``; for tests and teaching only.

    The definition is the paper's; its use through :func:`vote` and :func:`flip_scores`
    is reconstructed. ``c.sum(axis=2) == x @ W.T``; the trainer never builds it.

    Examples
    --------
    >>> x = np.array([[1, -1]], np.int8); W = np.array([[1, 1], [-1, 1]], np.int8)
    >>> contribution_tensor(x, W).tolist()
    [[[1, -1], [-1, -1]]]
    """
    return (np.asarray(x, np.int8)[:, None, :] * np.asarray(W, np.int8)[None, :, :]).astype(
        np.int8)


def vote(D: np.ndarray, x_prev: np.ndarray) -> np.ndarray:
    """Votes ``S = D^T x`` (reconstructed), ``int32`` ``(O, I)``: ``S[o,i] = sum_b D[b,o] x[b,i]``.

    ``S[o,i] > 0``: the flagged samples of output ``o`` want ``W[o,i] = +1``. Operands are
    cast to ``int32`` first (``int8 @ int8`` would wrap for ``B > 127``).

    Examples
    --------
    >>> D = np.array([[1], [0], [-1]], np.int8); x = np.array([[1, 1], [1, -1], [-1, 1]], np.int8)
    >>> vote(D, x).tolist()
    [[2, 0]]
    """
    # einsum's integer loop measured ~6x faster than int32 matmul (NumPy has no integer BLAS).
    return np.einsum("bo,bi->oi", np.asarray(D).astype(np.int32),
                     np.asarray(x_prev).astype(np.int32))


def flip_scores(W: np.ndarray, S: np.ndarray) -> np.ndarray:
    """Flip scores ``sigma = -W * S`` (elementwise, reconstructed), ``int32`` ``(O, I)``.

    Exactly ``sigma = E - H``, erroneous minus helpful flagged contributions of each
    weight; flipping ``W[o,i]`` changes ``sum_b D[b,o] v[b,o]`` by ``+2 sigma[o,i]`` with
    ``D`` fixed. Candidates are ``sigma > 0`` (``tsign(S) == -W``); on them ``|S| = sigma``.

    Examples
    --------
    >>> flip_scores(np.array([[1, -1]], np.int8), np.array([[-3, -2]], np.int32)).tolist()
    [[3, -2]]
    """
    return -np.asarray(W).astype(np.int32) * np.asarray(S).astype(np.int32)


# -- 3. Back-propagated targets (docs/gft.md, "Output error signs", "Error signs backwards")
def targets(y: np.ndarray, n_out: int, output: str) -> np.ndarray:
    """±1 targets ``T`` (B, O), ``int8``: one-vs-all (``"multiclass"``) or ``y`` (``"binary"``).

    Examples
    --------
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
    """Output error signs ``D^(L)``, ``int8`` (B, O) in {-1, 0, +1} (reconstructed rule).

    With ±1 targets ``T`` (``targets``) and ``kappa = margin >= 0``::

        e = (sign(v) != T)  or  (T * v < kappa);     D = T * e

    ``D`` is the direction each flagged score should move. With ``kappa = 0`` only
    misclassified outputs are flagged (a target -1 with score 0 is, a target +1 is not).
    ``y``: classes ``0..O-1`` (``"multiclass"``) or ±1 (``"binary"``, ``O == 1``).

    Examples
    --------
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
    """The window gate's default half-width ``max(1, isqrt(fan_in))``.

    Examples
    --------
    >>> default_tau(64), default_tau(1), default_tau(255)
    (8, 1, 15)
    """
    return max(1, math.isqrt(int(fan_in)))


def propagate(D: np.ndarray, W: np.ndarray, x_prev: np.ndarray, v_prev: np.ndarray, *,
              gate: str = "none", tau: int | None = None,
              fan_in: int | None = None) -> np.ndarray:
    """Error signs of the layer below, ``int8`` (B, I) in {-1, 0, +1} (reconstructed rule)::

        P = D @ W   (int32: net push on each unit);     D_below = tsign(P) * G

    STE backprop with every magnitude replaced by a sign. ``D``, ``W`` are this layer's
    error signs and (pre-step) weights, ``x_prev = sign(v_prev)`` its input. The gate
    ``G`` (0/1): ``"none"`` 1; ``"window"`` ``|v_prev| <= tau`` (default
    ``default_tau(fan_in)``, ``fan_in`` of the layer producing ``v_prev``); ``"flip"``
    ``tsign(P) == -x_prev`` (only units whose output the request would change).

    Examples
    --------
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
    push = tsign(np.asarray(D).astype(np.int32) @ np.asarray(W).astype(np.int32))
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

    Examples
    --------
    >>> resolve_taus(None, (64, 256, 10)), resolve_taus([3], (64, 256, 10))
    ((8,), (3,))
    """
    n_hidden = len(sizes) - 2
    if tau is None:
        return tuple(default_tau(sizes[h]) for h in range(n_hidden))
    if isinstance(tau, (str, bytes)) or not hasattr(tau, "__len__"):
        raise ValueError(f"tau must be None or a sequence of {n_hidden} ints, got {tau!r}")
    if len(tau) != n_hidden:
        raise ValueError(f"tau must have one entry per hidden layer ({n_hidden}), "
                         f"got {len(tau)}")
    for t in tau:
        if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 0:
            raise ValueError(f"tau entries must be ints >= 0, got {t!r}")
    return tuple(int(t) for t in tau)


# -- 4. Bias (docs/gft.md, "Integer thresholds"; only with bias=True) -------------------
def bias_vote(D: np.ndarray) -> np.ndarray:
    """``Sb[o] = sum_b D[b,o]``, ``int32`` ``(O,)`` (reconstructed).

    Examples
    --------
    >>> bias_vote(np.array([[1, -1], [1, 0]], np.int8)).tolist()
    [2, -1]
    """
    return np.asarray(D).astype(np.int32).sum(axis=0, dtype=np.int32)


def bias_step(Sb: np.ndarray) -> np.ndarray:
    """The requested change ``2 * tsign(Sb)``, ``int32`` (reconstructed; 2 keeps ``v``'s parity).

    Examples
    --------
    >>> bias_step(np.array([5, 0, -2])).tolist()
    [2, 0, -2]
    """
    return 2 * tsign(Sb).astype(np.int32)


def bias_candidates(Sb: np.ndarray, b: np.ndarray, fan_in: int) -> np.ndarray:
    """Indices (ascending) where ``Sb != 0`` and ``|b + 2 tsign(Sb)| <= fan_in`` (reconstructed).

    They compete with score ``|Sb|`` in :func:`select_flips` (``candidates=``).

    Examples
    --------
    >>> bias_candidates(np.array([3, 0, -1]), np.array([2, 0, 0]), 3).tolist()  # |2+2| > 3
    [2]
    """
    step = bias_step(Sb)
    ok = (step != 0) & (np.abs(np.asarray(b).astype(np.int64) + step) <= int(fan_in))
    return np.flatnonzero(ok)


# -- 5. Selection: top-k, then acceptance (docs/gft.md, "Top-k, then stochastic acceptance")
def p_update_fraction(p_update: float) -> tuple[int, int]:
    """``(num, den)`` of ``Fraction(p_update).limit_denominator(2**16)``, checked.

    A bool is a ``TypeError``; anything but a real number in ``(0, 1]`` a ``ValueError``.

    Examples
    --------
    >>> p_update_fraction(1.0), p_update_fraction(0.3)
    ((1, 1), (3, 10))
    """
    if isinstance(p_update, bool):
        raise TypeError(f"p_update must be a float in (0, 1], got the bool {p_update!r}")
    if not isinstance(p_update, numbers.Real) or not 0 < float(p_update) <= 1:
        raise ValueError(f"p_update must be a float in (0, 1], got {p_update!r}")
    f = Fraction(float(p_update)).limit_denominator(2**16)
    if f == 0:
        raise ValueError(f"p_update is too small (below 2**-16), got {p_update!r}")
    return f.numerator, f.denominator


def select_top_k(scores: np.ndarray, candidates: np.ndarray, k: int,
                 rng: np.random.Generator) -> np.ndarray:
    """The ``min(k, n_c)`` best candidates, best first, random tie-break (reconstructed).

    ``tie = rng.permutation(n_c)``; ``order = lexsort((tie, -scores[candidates]))``.
    ``candidates`` are ascending indices into ``scores``; ``k >= 1``.

    Examples
    --------
    >>> s = np.array([0, 5, 2, 5, 1])
    >>> sorted(select_top_k(s, np.flatnonzero(s > 0), 2, np.random.default_rng(0)).tolist())
    [1, 3]
    """
    n_c = candidates.size
    tie = rng.permutation(n_c)
    s = scores[candidates].astype(np.int64)
    keep = np.arange(n_c)
    if k < n_c:
        # Only entries scoring at least the k-th largest score can be selected: sorting
        # just those gives the same result as sorting all n_c, faster.
        keep = np.flatnonzero(s >= np.partition(s, n_c - k)[n_c - k])
    order = np.lexsort((tie[keep], -s[keep]))
    return candidates[keep[order[:min(k, n_c)]]]


def accept_selected(scores_sel: np.ndarray, smax: int, rng: np.random.Generator,
                    num: int = 1, den: int = 1) -> np.ndarray:
    """Keep each selected entry with probability ``(num/den) * score / smax`` (reconstructed).

    In integers: ``r = rng.integers(0, smax * den, n_sel)``; ``accept = r < score * num``.
    With ``num = den = 1`` a score equal to ``smax`` always passes.

    Examples
    --------
    >>> accept_selected(np.array([4, 4]), 4, np.random.default_rng(0)).tolist()
    [True, True]
    """
    r = rng.integers(0, int(smax) * int(den), size=scores_sel.size)
    return r < scores_sel.astype(np.int64) * int(num)


def select_flips(sigma: np.ndarray, k: int, rng: np.random.Generator, *,
                 p_update: float = 1.0,
                 candidates: np.ndarray | None = None) -> tuple[np.ndarray, int, int]:
    """Which entries to change: top-``k`` by score, then stochastic acceptance (reconstructed).

    1. ``flat = sigma.ravel()`` (C order: ``(o, i)`` is ``o * I + i``); candidates
       ``flat > 0`` (or the given ascending ``candidates``, e.g. the bias's), ``n_c``.
    2. ``k == 0`` or ``n_c == 0``: nothing selected and **no random number drawn**.
    3. ``select_top_k`` (draws ``permutation(n_c)``), then ``accept_selected``
       with ``smax = max flat[cand]`` (draws ``integers``), from the trainer's ``rng_flip``.

    Returns
    -------
    accepted : numpy.ndarray of int64
        Accepted flat indices, ascending.
    n_c, n_sel : int
        Candidates, and selected ``min(k, n_c)`` (0 when ``k == 0``).

    Examples
    --------
    >>> sigma = np.array([[3, -1], [0, 3]])
    >>> acc, n_c, n_sel = select_flips(sigma, 5, np.random.default_rng(0))
    >>> acc.tolist(), n_c, n_sel       # both scores equal smax: both accepted
    ([0, 3], 2, 2)
    """
    num, den = p_update_fraction(p_update)
    flat = np.asarray(sigma).ravel()
    cand = (np.flatnonzero(flat > 0) if candidates is None
            else np.asarray(candidates, dtype=np.int64))
    n_c = int(cand.size)
    if k == 0 or n_c == 0:
        return np.empty(0, dtype=np.int64), n_c, 0
    sel = select_top_k(flat, cand, int(k), rng)
    accept = accept_selected(flat[sel], int(flat[cand].max()), rng, num, den)
    return np.sort(sel[accept]).astype(np.int64), n_c, int(sel.size)
