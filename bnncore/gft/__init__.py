"""Gradient-free training (GFT) of fully binary networks (docs/gft.md).

GFT as reconstructed in bnncore, after "Gradient-Free Training of Quantized Neural
Networks" (arXiv 2410.09734). A :class:`FullyBinaryMLP` holds only ±1 ``int8`` weights and
optional integer thresholds; :class:`GFTTrainer` trains it with integer sign checks and
bit flips, no gradients and no float arithmetic, on the library's one epoch loop
(``bnncore.train.Trainer``):

- ``rule``: the update rule in one module, in the order a step applies it (signs,
  contribution, back-propagated targets, bias, selection), each function with its equation;
- ``schedule``: the flip budget ``k_t``;
- ``energy``: exact operation counts and an energy *proxy* (a model, not a measurement);
- ``experiments``: the experiments E1-E5 of docs/gft.md, each a function returning plain
  numbers; ``baseline``: the latent-weight STE twin they compare with.

Examples
--------
>>> import numpy as np
>>> import bnncore as bc
>>> from bnncore.gft import FullyBinaryMLP, GFTTrainer, binarize
>>> Xtr, ytr, Xte, yte = bc.data.load_digits()
>>> Xtr, Xte = binarize(Xtr, 0.5), binarize(Xte, 0.5)      # pixel >= 8 -> +1
>>> net = FullyBinaryMLP((64, 256, 10), rng=0)
>>> trainer = GFTTrainer(net, k0=0.001, margin=16, rng=1000)
>>> h = trainer.fit((Xtr, ytr), val=(Xte, yte), epochs=2, progress=False)
>>> net.weights[0].dtype.name, sorted(np.unique(net.weights[0]).tolist())
('int8', [-1, 1])
>>> h.extra["flips"][0] <= 22 * (17 + 3)          # 22 steps, k_t <= 17 and 3 per layer
True
"""

from . import rule
from .energy import ENERGY_PJ, OpCounts, gft_layer_ops, ste_step_ops
from .model import FullyBinaryMLP, binarize, check_binary_input
from .packed import flip_bits_packed
from .rule import (
    contribution_tensor,
    flip_scores,
    k_schedule,
    output_error,
    propagate,
    resolve_k,
    select_flips,
    vote,
)
from .trainer import GFTTrainer, StepStats

__all__ = ["ENERGY_PJ", "FullyBinaryMLP", "GFTTrainer", "OpCounts", "StepStats",
           "binarize", "check_binary_input", "contribution_tensor", "flip_bits_packed",
           "flip_scores", "gft_layer_ops", "k_schedule", "output_error", "propagate",
           "resolve_k", "rule", "select_flips", "ste_step_ops", "vote"]
