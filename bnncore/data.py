"""Datasets that never touch the network: scikit-learn's bundled digits, generated tasks.

Every loader returns ``(X_train, y_train, X_test, y_test)`` with ``X`` float32 and ``y``
int64 class indices. The split rule is shared: ``perm = default_rng(seed).permutation(N)``,
``n_test = ceil(test_size * N)``, train ``perm[:N - n_test]``, test ``perm[N - n_test:]``.
"""

from __future__ import annotations

import math
import os

import numpy as np

from ._validation import check_int, check_positive
from .idx import read_idx

#: Where Debian's ``dataset-fashion-mnist`` package puts the files.
FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                         "Shirt", "Sneaker", "Bag", "Ankle boot")


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


def _fashion_mnist_dir() -> str:
    """Where the Fashion-MNIST IDX files are read from: ``$BNNCORE_DATA``, else Debian's."""
    return os.environ.get("BNNCORE_DATA") or FASHION_MNIST_DIR


def _fashion_mnist_paths() -> list[str]:
    """The four IDX files (train images, labels, then test), or ``FileNotFoundError``."""
    return [_find_idx(_fashion_mnist_dir(), f"{split}-{kind}")
            for split in ("train", "t10k") for kind in ("images-idx3-ubyte", "labels-idx1-ubyte")]


def _find_idx(directory: str, stem: str) -> str:
    for name in (stem, stem + ".gz"):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(
        f"Fashion-MNIST file {stem}(.gz) not found in {directory!r}. Install the data with "
        f"'apt-get install dataset-fashion-mnist' (Debian; files go to {FASHION_MNIST_DIR}) "
        f"or point the BNNCORE_DATA environment variable at a directory holding the four "
        f"IDX files.")


def load_fashion_mnist(subset: int | tuple[int, int] | None = None, seed: int = 0,
                       flatten: bool = True, normalize: bool = True):
    """Fashion-MNIST (60k train / 10k test 28x28 grey images, 10 classes) from local files.

    The IDX files are read from ``$BNNCORE_DATA`` if set, else from
    ``/usr/share/datasets/fashion-mnist`` (``apt-get install dataset-fashion-mnist``).
    Nothing is downloaded.

    Parameters
    ----------
    subset : int or (int, int), optional
        Keep a random subset: ``(n_train, n_test)``, or an int ``n`` for
        ``(n, min(n, 10000))``. Drawn with ``default_rng(seed)`` (train first, then test).
    seed : int
    flatten : bool
        ``(N, 784)`` if True, else ``(N, 1, 28, 28)``.
    normalize : bool
        Divide the pixels (0..255) by 255.

    Returns
    -------
    X_train, y_train, X_test, y_test
        ``X`` float32, ``y`` int64 in 0..9 (names in ``FASHION_MNIST_CLASSES``).

    Raises
    ------
    FileNotFoundError
        If a file is missing; the message gives the install command.
    ValueError
        If a file is truncated, corrupted or not the expected IDX file (named).
    """
    paths = _fashion_mnist_paths()
    parts = []
    for img_path, lab_path in (paths[:2], paths[2:]):
        images, labels = read_idx(img_path, 3), read_idx(lab_path, 1)
        if images.shape[1:] != (28, 28) or images.dtype != np.uint8:
            raise ValueError(f"{img_path!r} does not hold 28x28 uint8 images "
                             f"(shape {images.shape}, dtype {images.dtype})")
        if labels.shape[0] != images.shape[0]:
            raise ValueError(f"{lab_path!r} has {labels.shape[0]} labels for "
                             f"{images.shape[0]} images")
        if labels.max() > 9:
            raise ValueError(f"{lab_path!r} has label {labels.max()} outside 0..9")
        parts.append((images, labels.astype(np.int64)))
    rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
    if subset is not None:
        n_train, n_test = (subset, min(subset, 10000)) if isinstance(subset, int) else subset
        sizes = (check_int(n_train, "subset", minimum=1), check_int(n_test, "subset", minimum=1))
        for i, n in enumerate(sizes):
            if n > parts[i][0].shape[0]:
                raise ValueError(f"subset asks for {n} samples, the split has "
                                 f"{parts[i][0].shape[0]}")
            idx = np.sort(rng.permutation(parts[i][0].shape[0])[:n])
            parts[i] = (parts[i][0][idx], parts[i][1][idx])
    out = []
    for images, labels in parts:
        X = images.astype(np.float32)
        if normalize:
            X /= 255.0
        out += [X.reshape(len(X), -1) if flatten else X.reshape(len(X), 1, 28, 28), labels]
    return tuple(out)


__all__ = ["FASHION_MNIST_CLASSES", "FASHION_MNIST_DIR", "load_digits", "load_fashion_mnist",
           "teacher_student"]
