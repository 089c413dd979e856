"""Top-k selection and stochastic acceptance of flips (shared/spec/gft.md Section 3.5).

The paper's summary says "top-k, with probability proportional to the score"; the exact
procedure below is reconstructed. It is integer-only: ties are broken by a random
permutation and acceptance compares integer draws, so no float enters the update.

Order of random draws (both from the trainer's ``rng_flip``): ``permutation(n_c)``, then
``integers(0, smax * den, size=n_sel)``. When ``k == 0`` or there is no candidate nothing
is drawn at all, so a zero budget leaves the generator untouched.
"""

from __future__ import annotations

import numbers
from fractions import Fraction

import numpy as np

__all__ = ["accept_selected", "p_update_fraction", "select_flips", "select_top_k"]


def p_update_fraction(p_update: float) -> tuple[int, int]:
    """``(num, den)`` of ``Fraction(p_update).limit_denominator(2**16)``, checked.

    Raises
    ------
    TypeError
        If ``p_update`` is a bool.
    ValueError
        If it is not a real number in ``(0, 1]``.

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
    """The ``min(k, n_c)`` candidates with the largest scores, random tie-break (reconstructed).

    ``tie = rng.permutation(n_c)``; ``order = np.lexsort((tie, -scores[candidates]))``
    (score descending, then the random rank); the first ``min(k, n_c)`` of that order.

    Parameters
    ----------
    scores : numpy.ndarray of int, shape (n,)
        Flat scores (all candidates have a positive score).
    candidates : numpy.ndarray of int64, shape (n_c,)
        Candidate indices into ``scores``, ascending.
    k : int
        Budget ``>= 1`` (callers skip the call when ``k == 0``).
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray of int64, shape (min(k, n_c),), in selection order (best first)

    Examples
    --------
    >>> import numpy as np
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
    """Stochastic partial update (reconstructed): accept each with probability
    ``(num/den) * score / smax``, in integers.

    ``r = rng.integers(0, smax * den, size=n_sel)``; ``accept = r < score * num``. With
    ``num = den = 1`` (``p_update = 1``) a score equal to ``smax`` is always accepted, so
    the top-ranked candidate always passes.

    Parameters
    ----------
    scores_sel : numpy.ndarray of int, shape (n_sel,)
        Scores of the selected entries, each in ``[1, smax]``.
    smax : int
        Largest candidate score (>= 1).
    rng : numpy.random.Generator
    num, den : int
        ``p_update`` as a fraction (:func:`p_update_fraction`).

    Returns
    -------
    numpy.ndarray of bool, shape (n_sel,)

    Examples
    --------
    >>> import numpy as np
    >>> accept_selected(np.array([4, 4]), 4, np.random.default_rng(0)).tolist()
    [True, True]
    """
    r = rng.integers(0, int(smax) * int(den), size=scores_sel.size)
    return r < scores_sel.astype(np.int64) * int(num)


def select_flips(sigma: np.ndarray, k: int, rng: np.random.Generator, *,
                 p_update: float = 1.0,
                 candidates: np.ndarray | None = None) -> tuple[np.ndarray, int, int]:
    """Which weights to flip: top-``k`` by score, then stochastic acceptance (reconstructed).

    1. ``flat = sigma.ravel()`` (C order: weight ``(o, i)`` is ``o * I + i``);
       candidates ``cand = flatnonzero(flat > 0)``, ``n_c = cand.size``.
    2. ``k == 0`` or ``n_c == 0``: nothing is selected and **no random number is drawn**.
    3. ``sel`` = :func:`select_top_k` (random tie-break).
    4. ``smax = flat[cand].max()``; :func:`accept_selected` keeps each selected entry with
       probability ``p_update * flat[sel] / smax``.

    Parameters
    ----------
    sigma : numpy.ndarray of int, any shape
        Flip scores (:func:`~bnncore.gft.contribution.flip_scores`), or any positive
        integer scores when ``candidates`` is given (the bias update, Section 3.6).
    k : int
        Budget ``k_t >= 0``.
    rng : numpy.random.Generator
        The trainer's ``rng_flip``.
    p_update : float
        Acceptance factor in ``(0, 1]``; 1.0 is Section 3.5 exactly.
    candidates : numpy.ndarray of int, optional
        Candidate flat indices (ascending) instead of ``flat > 0``.

    Returns
    -------
    accepted : numpy.ndarray of int64
        Accepted flat indices, sorted ascending.
    n_c : int
        Number of candidates.
    n_sel : int
        Number selected, ``min(k, n_c)`` (0 when ``k == 0``).

    Examples
    --------
    >>> import numpy as np
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
