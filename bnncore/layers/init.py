"""Weight initialisation shared by dense and convolutional layers."""

from __future__ import annotations

import numpy as np

from .._validation import check_rng


def kaiming_normal(shape: tuple[int, ...], fan_in: int, rng=None,
                   dtype=np.float32) -> np.ndarray:
    """He/Kaiming-normal weights: ``N(0, 2 / fan_in)``, drawn from ``rng``.

    Examples
    --------
    >>> kaiming_normal((3, 4), fan_in=4, rng=0).shape
    (3, 4)
    """
    g = check_rng(rng)
    return (g.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(dtype)
