"""Forward/backward quantizer pairs, by name: ``bnncore.quantizers.get("bnn++")``.

Every pair is a ``QuantizerPair``: ``forward`` (``F``, what the network computes with),
``B`` (the backward quantizer), ``dB`` (``B'``), ``backward(w, g) = g * B'(w)``, ``prox``
(``P`` with ``F = P o B``), ``deploy`` (the weights used at inference), ``on_epoch``
(annealing) and ``post_step`` (latent projection). docs/quantizers.md has the contract
(section "The contract") and every pair's formulas, plots and verdicts ("The pairs").

Examples
--------
>>> import numpy as np
>>> from bnncore import quantizers
>>> q = quantizers.get("bnn+")
>>> q.forward(np.array([-0.2, 0.0])), q.dB(np.array([0.0]))
(array([-1.,  1.]), array([5.]))
"""

from . import criteria
from .base import QuantizerPair, available, get, register, sign, unregister
from .custom import FunctionPair
from .dorefa import DoReFa
from .proximal import PARQ, BinaryRelax, ProxConnect, ProxQuant
from .proxmaps import parq_map, proxconnect_map, proxquant_map, relax_map
from .ste import BNN, STE, ApproxSign, ClippedSTE, Identity
from .swish import BNNPlusPlus, SwishSign, signswish, signswish_grad
from .synthesis import ZOO, SynthesizedPair, synthesize, zoo

register(Identity, "identity")
register(STE, "ste", aliases=("bc", "binaryconnect"))
register(ClippedSTE, "clipped_ste", aliases=("hardtanh_ste",))
register(BNN, "bnn")
register(ApproxSign, "approxsign", aliases=("approx_sign", "bireal"))
register(SwishSign, "swishsign", aliases=("swish_sign",))
register(SwishSign, "bnn+", aliases=("bnnplus",))
register(BNNPlusPlus, "bnn++", aliases=("bnnpp",))
register(DoReFa, "dorefa")
register(BinaryRelax, "binaryrelax", aliases=("binary_relax",))
register(PARQ, "parq")
register(ProxQuant, "proxquant")
register(ProxConnect, "proxconnect", aliases=("pc",))

#: Set to False to skip the O(n) non-finite scan in every pair method, for speed
#: (dtype and shape checks always run).
VALIDATE_FINITE = True


__all__ = ["BNN", "PARQ", "STE", "ZOO", "ApproxSign", "BNNPlusPlus", "BinaryRelax",
           "ClippedSTE", "DoReFa", "FunctionPair", "Identity", "ProxConnect", "ProxQuant",
           "QuantizerPair", "SwishSign", "SynthesizedPair", "VALIDATE_FINITE", "available",
           "criteria", "get", "parq_map", "proxconnect_map", "proxquant_map", "register",
           "relax_map", "sign", "signswish", "signswish_grad", "synthesize", "unregister", "zoo"]
