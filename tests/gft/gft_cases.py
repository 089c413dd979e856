"""Helpers shared by the GFT tests: random ±1 data and a few tiny problems."""

from __future__ import annotations

import numpy as np

from bnncore.gft import FullyBinaryMLP


def pm1(shape, seed: int) -> np.ndarray:
    """A random ±1 int8 array."""
    g = np.random.default_rng(seed)
    return (2 * g.integers(0, 2, size=shape) - 1).astype(np.int8)


def labels_for(model: FullyBinaryMLP, n: int, seed: int) -> np.ndarray:
    """Random valid labels for ``model``: classes, or ±1 in binary mode."""
    g = np.random.default_rng(seed)
    if model.output == "binary":
        return 2 * g.integers(0, 2, n) - 1
    return g.integers(0, model.sizes[-1], n)


def float_forward_all(model: FullyBinaryMLP, x: np.ndarray):
    """The float64 reference: ``v = x W^T + b`` layer by layer, ``x = sign(v)``."""
    xs, vs = [np.asarray(x, np.float64)], []
    for layer, W in enumerate(model.weights):
        v = xs[-1] @ W.T.astype(np.float64)
        if model.biases is not None:
            v = v + model.biases[layer].astype(np.float64)
        vs.append(v)
        if layer < model.n_layers - 1:
            xs.append(np.where(v >= 0, 1.0, -1.0))
    return xs, vs


def snapshot(model: FullyBinaryMLP):
    """Copies of the weights and biases."""
    ws = [w.copy() for w in model.weights]
    bs = None if model.biases is None else [b.copy() for b in model.biases]
    return ws, bs
