"""Bit-packed XNOR-popcount kernels (Numba): packing, popcount, binary GEMM and conv.

``pack_bits`` turns ±1 arrays into ``uint64`` words (layout and padding rule: ``bitpack``),
``bgemm`` multiplies packed rows, ``binary_matmul`` and ``bconv2d`` wrap it for ±1 arrays.
``reference`` holds the plain NumPy versions the kernels are tested against.

Modules: ``bitpack`` (packing), ``popcount``, ``gemm`` (``bgemm``, ``binary_matmul``),
``gemm_csa`` (the carry-save-adder kernel ``bgemm`` uses on AVX2 CPUs), ``gemm_short``
(the column-vectorised kernel for rows of a few words), ``bconv`` (``bconv2d``), ``scan``
(FSG's selective scan) and ``reference``. For training steps: ``rowpack`` (pack while
checking ±1), ``batchnorm`` and ``elementwise`` (fused loops of the layers' NumPy
lines). Importing this package compiles nothing; each kernel is compiled on its
first call and cached on disk.

Examples
--------
>>> import numpy as np
>>> from bnncore.kernels import binary_matmul
>>> a = np.array([[1, -1, 1]]); b = np.array([[1], [1], [-1]])
>>> binary_matmul(a, b).tolist()
[[-1]]
"""

import os

import numba

# Threading layer. Numba's default (OpenMP here) keeps its workers spinning after each
# parallel kernel; on a 2-core machine they then fight OpenBLAS's spinning workers, and a
# packed model, which alternates BLAS float layers with Numba binary layers, ran 10-30x
# slower than either alone. The "workqueue" layer parks its workers: measured equal or
# faster bgemm, and no slowdown of the BLAS calls around it. A layer chosen by the user
# (NUMBA_THREADING_LAYER or numba.config) is kept. Like every Numba layer choice, this must
# happen before the first parallel call of the process; workqueue does not support
# parallel kernels launched concurrently from several Python threads.
if "NUMBA_THREADING_LAYER" not in os.environ and numba.config.THREADING_LAYER == "default":
    numba.config.THREADING_LAYER = "workqueue"

from . import reference  # noqa: E402
from .bconv import bconv2d  # noqa: E402
from .bitpack import PackedBits, pack_bits, unpack_bits  # noqa: E402
from .gemm import bgemm, binary_matmul  # noqa: E402

__all__ = ["PackedBits", "bconv2d", "bgemm", "binary_matmul", "pack_bits", "reference",
           "unpack_bits"]
