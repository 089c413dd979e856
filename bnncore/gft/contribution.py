"""Contribution tensor, votes and flip scores (shared/spec/gft.md Sections 3.1 and 3.4).

For a layer with input ``x`` (B, I) and weights ``W`` (O, I), the contribution of input
``i`` of sample ``b`` to output ``o`` is ``c[b,o,i] = x[b,i] * W[o,i]`` (the paper's
``c_{b,i,o} = x_{b,i} w_{i,o}``), so that ``v[b,o] = sum_i c[b,o,i] + b[o]``.

Given the error signs ``D`` (B, O) of the layer's outputs, a flagged contribution is
*erroneous* if ``c[b,o,i] = -D[b,o]`` (it pushes ``v[b,o]`` away from where ``D`` asks)
and *helpful* if ``c[b,o,i] = +D[b,o]``. The trainer never builds ``c`` (``B*O*I``
entries): the count it needs, ``E - H``, is one integer matrix product away.
"""

from __future__ import annotations

import numpy as np

__all__ = ["contribution_tensor", "flip_scores", "vote"]


def contribution_tensor(x: np.ndarray, W: np.ndarray) -> np.ndarray:
    """``c[b,o,i] = x[b,i] * W[o,i]``, ``int8`` ``(B, O, I)``; for tests and teaching only.

    The definition is the paper's (confirmed); its use through :func:`vote` and
    :func:`flip_scores` is GFT as reconstructed in bnncore.

    Parameters
    ----------
    x : numpy.ndarray of int8, shape (B, I), entries ±1
    W : numpy.ndarray of int8, shape (O, I), entries ±1

    Returns
    -------
    numpy.ndarray of int8, shape (B, O, I)
        ``c.sum(axis=2) == x @ W.T``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1, -1]], np.int8); W = np.array([[1, 1], [-1, 1]], np.int8)
    >>> contribution_tensor(x, W).tolist()
    [[[1, -1], [-1, -1]]]
    """
    return (np.asarray(x, np.int8)[:, None, :] * np.asarray(W, np.int8)[None, :, :]).astype(
        np.int8)


def vote(D: np.ndarray, x_prev: np.ndarray) -> np.ndarray:
    """Votes ``S = D^T x`` (reconstructed), ``int32`` ``(O, I)``: ``S[o,i] = sum_b D[b,o] x[b,i]``.

    ``S[o,i] > 0`` means the flagged samples of output ``o`` would like a larger product
    with input ``i``, i.e. ``W[o,i] = +1``. The (in, out)-indexed form ``X^T D`` of the
    paper's notation is this matrix transposed. Operands are cast to ``int32`` before the
    product: ``int8 @ int8`` would overflow silently for ``B > 127``.

    Parameters
    ----------
    D : numpy.ndarray of int8, shape (B, O), entries in {-1, 0, +1}
    x_prev : numpy.ndarray of int8, shape (B, I), entries ±1

    Returns
    -------
    numpy.ndarray of int32, shape (O, I), ``|S| <= B``

    Examples
    --------
    >>> import numpy as np
    >>> D = np.array([[1], [0], [-1]], np.int8); x = np.array([[1, 1], [1, -1], [-1, 1]], np.int8)
    >>> vote(D, x).tolist()
    [[2, 0]]
    """
    # einsum's integer loop measured ~6x faster than int32 matmul (NumPy has no integer BLAS).
    return np.einsum("bo,bi->oi", np.asarray(D).astype(np.int32),
                     np.asarray(x_prev).astype(np.int32))


def flip_scores(W: np.ndarray, S: np.ndarray) -> np.ndarray:
    """Flip scores ``sigma = -W * S`` (elementwise, reconstructed), ``int32`` ``(O, I)``.

    Exactly ``sigma[o,i] = E[o,i] - H[o,i]``: erroneous minus helpful flagged
    contributions of weight ``(o,i)``. Flipping ``W[o,i]`` changes
    ``sum_b D[b,o] * v[b,o]`` by exactly ``+2 * sigma[o,i]`` with ``D`` held fixed, so a
    flip with ``sigma > 0`` moves the flagged scores of output ``o`` towards their targets
    by ``2 * sigma`` in aggregate (to first order: it ignores unflagged samples and the
    other flips of the same step, which is why GFT is a heuristic). Candidates are
    ``sigma > 0``, i.e. ``tsign(S) == -W``; on them ``|S| = sigma``.

    Parameters
    ----------
    W : numpy.ndarray of int8, shape (O, I), entries ±1
    S : numpy.ndarray of int32, shape (O, I)
        Votes from :func:`vote`.

    Returns
    -------
    numpy.ndarray of int32, shape (O, I)

    Examples
    --------
    >>> import numpy as np
    >>> flip_scores(np.array([[1, -1]], np.int8), np.array([[-3, -2]], np.int32)).tolist()
    [[3, -2]]
    """
    return -np.asarray(W).astype(np.int32) * np.asarray(S).astype(np.int32)
