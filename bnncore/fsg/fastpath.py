"""The per_weight slow-net on the fused row kernels (docs/fsg.md, "Cost of an FSG step").

``rows_forward(block, s)`` and ``rows_backward(block, s, dS)`` run a ``MambaBlock`` with
``d_model = 1`` on the rows of ``s`` ``(Bsz, T)`` (one scalar token per position) and
return or differentiate ``out[:, T-1]`` only, with ``bnncore.fsg.fused`` (imported on the
first call, so that ``import bnncore`` compiles nothing). Same mathematics as
``MambaBlock.forward``/``backward`` (F1-F11, B11-B1); the results agree with them to
rounding (summation order, and the float32 exponential of ``fused``).
"""

from __future__ import annotations

import importlib

import numpy as np

__all__ = ["rows_backward", "rows_forward"]

_FUSED = None


def _fused():
    global _FUSED
    if _FUSED is None:
        _FUSED = importlib.import_module("bnncore.fsg.fused")
    return _FUSED


def _block_args(block):
    dt = block.dtype
    A = -np.exp(block.A_log.data)
    args = (np.ascontiguousarray(block.W_in.data[:, 0]), block.w_conv.data, block.b_conv.data,
            np.ascontiguousarray(block.W_x.data), block.W_dt.data, block.b_dt.data,
            np.ascontiguousarray(A.T), block.D.data, np.ascontiguousarray(block.W_out.data[0]))
    return args, np.array([0.5, 1.0, 0.0], dt), bool(dt == np.float32), A


def rows_forward(block, s: np.ndarray) -> np.ndarray:
    """``block.forward(s[..., None])[:, -1, 0]`` for ``s`` ``(Bsz, T)`` (block dtype).

    Examples
    --------
    >>> import numpy as np
    >>> from bnncore.fsg import MambaBlock
    >>> block = MambaBlock(1, d_state=3, d_conv=2, expand=2, rng=0, dtype=np.float64)
    >>> s = np.random.default_rng(0).normal(size=(5, 4))
    >>> ref = block.forward(s[..., None])[:, -1, 0]
    >>> bool(np.allclose(rows_forward(block, s), ref, rtol=1e-12, atol=0))
    True
    """
    args, c, fast, _ = _block_args(block)
    out = np.empty(s.shape[0], block.dtype)
    _fused().slow_forward(np.ascontiguousarray(s), *args, c, fast, out)
    return out


def rows_backward(block, s: np.ndarray, dS: np.ndarray) -> np.ndarray:
    """Accumulate the block's parameter gradients for ``dL/d out[:, T-1] = dS``; return
    ``dL/ds`` ``(Bsz, T)``.

    Examples
    --------
    >>> import numpy as np
    >>> from bnncore.fsg import MambaBlock
    >>> block = MambaBlock(1, d_state=3, d_conv=2, expand=2, rng=0, dtype=np.float64)
    >>> s = np.random.default_rng(0).normal(size=(5, 4))
    >>> ds = rows_backward(block, s, np.ones(5))
    >>> grads = [p.grad.copy() for p in block.parameters()]
    >>> block.zero_grad()
    >>> dout = np.zeros((5, 4, 1)); dout[:, -1] = 1
    >>> _ = block.forward(s[..., None]); ref = block.backward(dout)[..., 0]
    >>> bool(np.allclose(ds, ref, rtol=1e-12, atol=1e-15))
    True
    >>> all(np.allclose(g, p.grad, rtol=1e-12, atol=1e-15)
    ...     for g, p in zip(grads, block.parameters()))
    True
    """
    fused = _fused()
    args, c, fast, A = _block_args(block)
    s = np.ascontiguousarray(s)
    E, N, K, R = block.d_inner, block.d_state, block.d_conv, block.dt_rank
    sizes = fused.lane_sizes(E, K, R, N)
    grad = np.empty(sum(sizes), block.dtype)
    ds = np.empty_like(s)
    fused.slow_backward(s, np.ascontiguousarray(dS, dtype=block.dtype), *args, c, fast, ds,
                        grad)
    gWi, gwc, gbc, gWx, gWdt, gbdt, gAT, gD, gWo = np.split(grad, np.cumsum(sizes)[:-1])
    block.W_in.grad[:, 0] += gWi
    block.w_conv.grad += gwc.reshape(E, K)
    block.b_conv.grad += gbc
    block.W_x.grad += gWx.reshape(R + 2 * N, E)
    block.W_dt.grad += gWdt.reshape(E, R)
    block.b_dt.grad += gbdt
    block.A_log.grad += gAT.reshape(N, E).T * A                 # (B6)
    block.D.grad += gD
    block.W_out.grad[0] += gWo
    return ds
