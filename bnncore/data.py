"""Datasets that never touch the network: scikit-learn's bundled digits, generated tasks.

Every loader returns ``(X_train, y_train, X_test, y_test)`` with ``X`` float32 and ``y``
int64 class indices. The split rule is shared: ``perm = default_rng(seed).permutation(N)``,
``n_test = ceil(test_size * N)``, train ``perm[:N - n_test]``, test ``perm[N - n_test:]``.
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import check_int, check_positive


def _split(X, y, test_size: float, seed: int):
    test_size = check_positive(test_size, "test_size")
    if test_size >= 1:
        raise ValueError(f"test_size must be in (0, 1), got {test_size}")
    n = X.shape[0]
    perm = np.random.default_rng(check_int(seed, "seed", minimum=0)).permutation(n)
    n_test = math.ceil(test_size * n)
    tr, te = perm[:n - n_test], perm[n - n_test:]
    return X[tr], y[tr], X[te], y[te]


def load_digits(test_size: float = 0.25, seed: int = 0, flatten: bool = True,
                normalize: bool = True):
    """scikit-learn's bundled 8x8 handwritten digits (1797 images, 10 classes).

    Parameters
    ----------
    test_size : float
        Fraction held out (0.25 gives 1347 / 450).
    seed : int
        Seeds the split permutation.
    flatten : bool
        ``(N, 64)`` if True, else images ``(N, 1, 8, 8)``.
    normalize : bool
        Divide the pixels (0..16) by 16.

    Returns
    -------
    X_train, y_train, X_test, y_test

    Examples
    --------
    >>> Xtr, ytr, Xte, yte = load_digits()
    >>> Xtr.shape, Xte.shape, Xtr.dtype, ytr.dtype
    ((1347, 64), (450, 64), dtype('float32'), dtype('int64'))
    """
    from sklearn.datasets import load_digits as _sk_digits

    bunch = _sk_digits()
    X = bunch.data.astype(np.float32)
    if normalize:
        X /= 16.0
    if not flatten:
        X = X.reshape(-1, 1, 8, 8)
    return _split(X, bunch.target.astype(np.int64), test_size, seed)


def teacher_student(n_samples: int, n_features: int, n_hidden: int | None = None,
                    seed: int = 0, noise: float = 0.0, test_size: float = 0.25):
    """A binary task labelled by a random binary teacher network (100% reachable).

    ``g = default_rng(seed)`` draws ``X`` (±1 rows), then the ±1 teacher: one ``sign``
    neuron ``w`` (``n_hidden=None``), or ``n_features -> n_hidden -> 1`` with ``sign`` units
    and no biases. Labels ``y = (1 + teacher(X)) // 2`` in {0, 1}; each is flipped with
    probability ``noise`` (drawn after the teacher).

    Returns
    -------
    X_train, y_train, X_test, y_test
        ``X`` float32 in {-1, +1}, ``y`` int64 in {0, 1}.

    Examples
    --------
    >>> Xtr, ytr, Xte, yte = teacher_student(200, 11, seed=0)
    >>> sorted(np.unique(Xtr).tolist()), sorted(np.unique(ytr).tolist())
    ([-1.0, 1.0], [0, 1])
    """
    n_samples = check_int(n_samples, "n_samples", minimum=2)
    n_features = check_int(n_features, "n_features", minimum=1)
    noise = check_positive(noise, "noise", allow_zero=True)
    if noise > 0.5:
        raise ValueError(f"noise must be in [0, 0.5], got {noise}")
    g = np.random.default_rng(check_int(seed, "seed", minimum=0))

    def sgn(z):
        return np.where(z >= 0, 1, -1)

    X = 2 * g.integers(0, 2, (n_samples, n_features)) - 1
    if n_hidden is None:
        w = 2 * g.integers(0, 2, n_features) - 1
        out = sgn(X @ w)
    else:
        n_hidden = check_int(n_hidden, "n_hidden", minimum=1)
        W1 = 2 * g.integers(0, 2, (n_hidden, n_features)) - 1
        w2 = 2 * g.integers(0, 2, n_hidden) - 1
        out = sgn(sgn(X @ W1.T) @ w2)
    y = ((1 + out) // 2).astype(np.int64)
    if noise:
        flip = g.random(n_samples) < noise
        y[flip] = 1 - y[flip]
    return _split(X.astype(np.float32), y, test_size, seed)
