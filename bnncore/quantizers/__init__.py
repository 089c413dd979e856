"""Forward/backward quantizer pairs, by name: ``bnncore.quantizers.get("clipped_ste")``.

See shared/spec/quantizers_pcpp.md for the contract every pair keeps.
"""

from .base import QuantizerPair, available, get, register, sign
from .ste import BNN, STE, ClippedSTE, Identity

register(Identity, "identity")
register(STE, "ste", aliases=("bc", "binaryconnect"))
register(ClippedSTE, "clipped_ste", aliases=("hardtanh_ste",))
register(BNN, "bnn")

#: Set to False to skip the O(n) non-finite scan in every pair method, for speed
#: (dtype and shape checks always run).
VALIDATE_FINITE = True


__all__ = ["BNN", "STE", "ClippedSTE", "Identity", "QuantizerPair", "available", "get",
           "register", "sign"]
