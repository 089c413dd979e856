"""Can a ±1 operand make the backward of a binary layer cheaper? Sign-select vs float32 BLAS.

The two backward products of a ``BinaryDense`` after ``Sign`` have one ±1 operand:
``dX = dY W_b`` (``W_b`` is ±1) and ``dW = dY^T X`` (``X`` is ±1). With a ±1 operand a
multiply-add becomes "add or subtract" (sign-select accumulation). This script times
``dX = dY W_b`` on the hidden layer of the benchmark MLP (N x 256 x 256): float32 BLAS
(``np.matmul``) against Numba kernels that accumulate ``+g`` or ``-g`` chosen by the ±1
operand, stored as bytes (4x less memory than float32) or as packed bits (32x less), each
checked equal to the BLAS result (up to float rounding: the order of additions differs).
``dW = dY^T X`` has the same structure (a sum of ``+-dY`` over the batch). It prints each
kernel's time and its ratio to BLAS, measured in the same run.

Run: ``python benchmarks/bench_sign_select.py [--threads N]``
"""

from __future__ import annotations

import argparse
import os
from functools import partial

import numba
import numpy as np
from _timing import calls_per_second
from numba import njit, prange
from threadpoolctl import threadpool_limits

from bnncore.kernels import pack_bits


@njit(parallel=True, cache=True)
def dx_bytes(dy, w_pos, out):
    """out = dy @ w with w = +1 where w_pos else -1 (w_pos: (O, D) uint8)."""
    n, o = dy.shape
    d = w_pos.shape[1]
    for i in prange(n):
        for j in range(d):
            out[i, j] = 0.0
        for k in range(o):
            g = dy[i, k]
            for j in range(d):
                out[i, j] += g if w_pos[k, j] else -g
    return out


@njit(parallel=True, cache=True)
def dx_bits(dy, w_words, out):
    """out = dy @ w with w's rows packed along D (bit 1 = +1), D a multiple of 64."""
    n, o = dy.shape
    d = out.shape[1]
    for i in prange(n):
        for j in range(d):
            out[i, j] = 0.0
        for k in range(o):
            g = dy[i, k]
            for word in range(d // 64):
                bits = w_words[k, word]
                for b in range(64):
                    out[i, word * 64 + b] += g if (bits >> np.uint64(b)) & np.uint64(1) else -g
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args()
    numba.set_num_threads(args.threads)
    g = np.random.default_rng(0)
    print(f"threads: {args.threads}; times are the best of 5 rounds (µs per product)")
    with threadpool_limits(limits=args.threads, user_api="blas"):
        for n in (32, 128, 512):
            dy = g.normal(size=(n, 256)).astype(np.float32)
            w = np.where(g.random((256, 256)) < 0.5, -1.0, 1.0).astype(np.float32)
            w_pos = (w > 0).astype(np.uint8)
            w_words = pack_bits(w, axis=1).words
            out = np.empty((n, 256), np.float32)
            ref = dy @ w
            for kernel, operand in ((dx_bytes, w_pos), (dx_bits, w_words)):
                np.testing.assert_allclose(kernel(dy, operand, out), ref, rtol=1e-4, atol=1e-3)
            blas = 1e6 / calls_per_second(partial(np.matmul, dy, w, out=out), args.seconds)
            line = f"dX = dY W_b, N={n:4d}: float32 BLAS {blas:8.1f}"
            for name, kernel, operand in (("bytes", dx_bytes, w_pos), ("bits", dx_bits, w_words)):
                t = 1e6 / calls_per_second(partial(kernel, dy, operand, out), args.seconds)
                line += f" | sign-select ({name}) {t:8.1f} = {t / blas:5.2f}x BLAS time"
            print(line, flush=True)


if __name__ == "__main__":
    main()
