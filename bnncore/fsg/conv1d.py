"""``CausalConv1d``: the depthwise causal convolution of the Mamba block (F2/B2).

docs/fsg.md, "The Mamba block (F1-F11)". PyTorch's depthwise ``Conv1d(padding=K-1)``
truncated to the first ``T`` outputs: tap ``j = K-1`` multiplies the current input, inputs at
negative time are 0, and ``T < K`` is valid. A loop over the ``K`` taps with whole-array
slices; no kernel needed.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_int, check_rng
from .component import Component, float_dtype, uniform

__all__ = ["CausalConv1d"]


class CausalConv1d(Component):
    """``xc[b,tau,e] = b_conv[e] + sum_j w_conv[e,j] * x[b, tau-K+1+j, e]`` (F2).

    Parameters
    ----------
    channels : int
        ``E``, convolved independently (depthwise).
    kernel_size : int
        ``K``, the number of taps (``>= 1``).
    rng : None, int or Generator
        Draws ``w_conv (E, K)`` then ``b_conv (E,)``, both ``U(-1/sqrt(K), 1/sqrt(K))``
        (float64, then cast).
    dtype : float32 or float64
    name : str
        Prefix of the parameter names (``"slow"`` gives ``slow.w_conv``).

    Shapes
    ------
    x ``(Bsz, T, E)`` -> xc ``(Bsz, T, E)``.

    Examples
    --------
    >>> import numpy as np
    >>> conv = CausalConv1d(2, 3, rng=0, dtype=np.float64)
    >>> x = np.zeros((1, 4, 2)); x[0, 2] = 1.0                    # an impulse at tau = 2
    >>> y = conv.forward(x) - conv.b_conv.data                     # no response before it
    >>> bool(np.all(y[0, :2] == 0)), np.allclose(y[0, 2], conv.w_conv.data[:, -1])
    (True, True)
    """

    param_names = ("w_conv", "b_conv")

    def __init__(self, channels: int, kernel_size: int, *, rng=None, dtype=np.float32,
                 name: str = "") -> None:
        self.channels = check_int(channels, "channels", minimum=1)
        self.kernel_size = check_int(kernel_size, "kernel_size", minimum=1)
        self.dtype = float_dtype(dtype)
        g = check_rng(rng)
        bound = 1.0 / np.sqrt(self.kernel_size)
        self._param("w_conv", uniform(g, bound, (self.channels, self.kernel_size), self.dtype),
                    name)
        self._param("b_conv", uniform(g, bound, (self.channels,), self.dtype), name)

    def get_config(self) -> dict:
        return {"channels": self.channels, "kernel_size": self.kernel_size}

    def _check_x(self, x, name):
        x = self._check_float_input(x, name)
        if x.ndim != 3 or x.shape[2] != self.channels or x.shape[1] < 1:
            raise ValueError(f"{name} must have shape (Bsz, T >= 1, {self.channels}), "
                             f"got {x.shape}")
        return x

    def _run(self, x):
        K, T = self.kernel_size, x.shape[1]
        w = self.w_conv.data
        xc = np.broadcast_to(self.b_conv.data, x.shape).copy()
        for j in range(K):                       # (F2): tap j sees x shifted by K-1-j
            s = K - 1 - j
            if s < T:
                xc[:, s:] += w[:, j] * x[:, :T - s]
        return xc, {"x": x}

    def _back(self, dxc, cache):
        x, K, T = cache["x"], self.kernel_size, dxc.shape[1]
        w = self.w_conv.data
        self.b_conv.grad += dxc.sum(axis=(0, 1))                             # (B2)
        dw = np.zeros_like(w)
        dx = np.zeros_like(x)
        for j in range(K):
            s = K - 1 - j
            if s < T:
                dw[:, j] = np.einsum("bte,bte->e", dxc[:, s:], x[:, :T - s])
                dx[:, :T - s] += w[:, j] * dxc[:, s:]
        self.w_conv.grad += dw
        return dx
