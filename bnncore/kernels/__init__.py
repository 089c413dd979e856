"""Bit-packed XNOR-popcount kernels (Numba): packing, popcount, binary GEMM and conv.

``pack_bits`` turns ±1 arrays into ``uint64`` words (layout and padding rule: ``bitpack``),
``bgemm`` multiplies packed rows, ``binary_matmul`` and ``bconv2d`` wrap it for ±1 arrays.
``reference`` holds the plain NumPy versions the kernels are tested against.

Importing this package compiles nothing; each kernel is compiled on its first call and
cached on disk. The function ``bgemm`` shadows its module's name here: reach the module
with ``importlib.import_module("bnncore.kernels.bgemm")``.

Examples
--------
>>> import numpy as np
>>> from bnncore.kernels import binary_matmul
>>> a = np.array([[1, -1, 1]]); b = np.array([[1], [1], [-1]])
>>> binary_matmul(a, b).tolist()
[[-1]]
"""

from . import reference
from .bconv import bconv2d
from .bgemm import bgemm, binary_matmul
from .bitpack import PackedBits, pack_bits, unpack_bits

__all__ = ["PackedBits", "bconv2d", "bgemm", "binary_matmul", "pack_bits", "reference",
           "unpack_bits"]
