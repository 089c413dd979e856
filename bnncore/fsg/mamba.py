"""``MambaBlock``: a minimal S6 (Mamba) block with a hand-written backward.

docs/fsg.md, "The Mamba block (F1-F11)": one plain block (no norm, no residual), as FSG's
slow-net uses it. Forward (F1-F11) on ``s`` of shape ``(Bsz, T, d)``::

    xz = s W_in^T;  x, z = split(xz)             (F1)
    xc = causal_conv(x);  u = silu(xc)           (F2, F3)
    rr, Bs, Cs = split(u W_x^T)                  (F4)
    Delta = softplus(rr W_dt^T + b_dt)           (F5)
    A = -exp(A_log)                              (F6)
    y = selective_scan(u, Delta, A, Bs, Cs, D)   (F7-F9)
    out = (y * silu(z)) W_out^T                  (F10, F11)

The backward (B11-B1) mirrors it line by line; the scan part (B9-B7) is
``selective_scan_backward``. Everything but the scan is NumPy on ``(Bsz*T, .)`` matrices.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_int, check_positive, check_rng
from .component import Component, float_dtype, uniform
from .conv1d import CausalConv1d
from .scan import resolve_backend, scan_backward_unchecked, scan_forward_unchecked

__all__ = ["MambaBlock", "sigmoid", "silu_grad", "softplus"]


def sigmoid(a: np.ndarray) -> np.ndarray:
    """``1/(1+exp(-a))`` as ``0.5*(1+tanh(a/2))`` (no overflow)."""
    return 0.5 * (1 + np.tanh(a / 2))


def softplus(a: np.ndarray) -> np.ndarray:
    """``log(1+exp(a))`` as ``logaddexp(0, a)``."""
    return np.logaddexp(0, a)


def silu_grad(a: np.ndarray, sig: np.ndarray) -> np.ndarray:
    """``silu'(a) = sigma(a) * (1 + a*(1 - sigma(a)))`` given ``sig = sigma(a)``."""
    return sig * (1 + a * (1 - sig))


class MambaBlock(Component):
    """One S6 block: projections, causal depthwise conv, SiLU, selective scan, gate.

    Parameters
    ----------
    d_model : int
        Token width ``d`` (FSG: 1, one gradient value per token).
    d_state : int
        ``N``, state size per channel.
    d_conv : int
        ``K``, taps of the causal convolution.
    expand : int
        ``E = expand * d_model`` inner channels.
    dt_rank : "auto" or int
        ``R``; ``"auto"`` is ``ceil(d_model / 16)``.
    dt_min, dt_max, dt_init_floor : float
        Range of the initial step sizes ``dt``: ``max(exp(U(log dt_min, log dt_max)),
        dt_init_floor)``; ``b_dt`` is the inverse softplus of ``dt``.
    rng : None, int or Generator
        Draws, in order: ``W_in, w_conv, b_conv, W_x, W_dt``, the ``E`` uniforms of ``dt``,
        ``W_out`` (float64, then cast). ``A_log = log(1..N)`` and ``D = 1`` are fixed.
    dtype : float32 or float64
    backend : {"auto", "numba", "numpy"}
        Selective-scan implementation.
    name : str
        Parameter-name prefix (``"slow"`` gives ``slow.W_in``, ...).

    Shapes
    ------
    s ``(Bsz, T, d_model)`` -> out ``(Bsz, T, d_model)``. Parameters (weights ``(out, in)``):
    ``W_in (2E, d)``, ``w_conv (E, K)``, ``b_conv (E,)``, ``W_x (R+2N, E)``,
    ``W_dt (E, R)``, ``b_dt (E,)``, ``A_log (E, N)``, ``D (E,)``, ``W_out (d, E)``.

    Notes
    -----
    The defaults ``expand=16, d_conv=4`` are reconstructed (the released code uses 100 and
    8, about 6-8x the cost; the CPU budget of one digits epoch in seconds would not hold).
    The block is causal (``out[:, tau]`` depends on ``s[:, :tau+1]`` only), rows are
    independent, and ``out[b, tau] = 0`` exactly where ``s[b, tau] = 0`` (``W_in`` and
    ``W_out`` have no bias, so ``silu(z) = 0`` there).

    Examples
    --------
    >>> import numpy as np
    >>> block = MambaBlock(d_model=1, d_state=4, d_conv=2, expand=3, rng=0, dtype=np.float64)
    >>> s = np.random.default_rng(1).normal(size=(2, 5, 1))
    >>> out = block.forward(s)
    >>> ds = block.backward(np.ones_like(out))
    >>> out.shape, ds.shape, len(block.parameters())
    ((2, 5, 1), (2, 5, 1), 9)
    """

    param_names = ("W_in", "w_conv", "b_conv", "W_x", "W_dt", "b_dt", "A_log", "D", "W_out")

    def __init__(self, d_model: int = 1, d_state: int = 16, d_conv: int = 4, expand: int = 16,
                 dt_rank="auto", dt_min: float = 1e-3, dt_max: float = 1e-1,
                 dt_init_floor: float = 1e-4, *, rng=None, dtype=np.float32,
                 backend: str = "auto", name: str = "") -> None:
        self.d_model = check_int(d_model, "d_model", minimum=1)
        self.d_state = check_int(d_state, "d_state", minimum=1)
        self.d_conv = check_int(d_conv, "d_conv", minimum=1)
        self.expand = check_int(expand, "expand", minimum=1)
        if isinstance(dt_rank, str) and dt_rank == "auto":
            self.dt_rank = math.ceil(self.d_model / 16)
        else:
            self.dt_rank = check_int(dt_rank, "dt_rank", minimum=1)
        self.dt_min = check_positive(dt_min, "dt_min")
        self.dt_max = check_positive(dt_max, "dt_max")
        if self.dt_max < self.dt_min:
            raise ValueError(f"dt_max must be >= dt_min, got dt_min={dt_min}, dt_max={dt_max}")
        self.dt_init_floor = check_positive(dt_init_floor, "dt_init_floor", allow_zero=True)
        self.dtype = float_dtype(dtype)
        self.backend = resolve_backend(backend) if backend != "auto" else "auto"
        self.name = name
        g = check_rng(rng)
        d, E, N, R = self.d_model, self.d_inner, self.d_state, self.dt_rank
        self._param("W_in", uniform(g, 1 / math.sqrt(d), (2 * E, d), np.float64), name)
        self.conv = CausalConv1d(E, self.d_conv, rng=g, dtype=self.dtype, name=name)
        self._param("W_x", uniform(g, 1 / math.sqrt(E), (R + 2 * N, E), np.float64), name)
        self._param("W_dt", uniform(g, R ** -0.5, (E, R), np.float64), name)
        u = g.uniform(size=E)
        dt = np.exp(u * (math.log(self.dt_max) - math.log(self.dt_min)) + math.log(self.dt_min))
        dt = np.maximum(dt, self.dt_init_floor)
        self.dt_init = dt                                   # the drawn dt (for tests, docs)
        self._param("b_dt", dt + np.log(-np.expm1(-dt)), name)         # inverse softplus
        self._param("A_log", np.tile(np.log(np.arange(1, N + 1, dtype=np.float64)), (E, 1)),
                    name)
        self._param("D", np.ones(E), name)
        self._param("W_out", uniform(g, 1 / math.sqrt(E), (d, E), np.float64), name)

    @property
    def d_inner(self) -> int:
        """``E = expand * d_model``."""
        return self.expand * self.d_model

    # the conv's Parameters appear under the block's names (w_conv, b_conv)
    @property
    def w_conv(self):
        return self.conv.w_conv

    @property
    def b_conv(self):
        return self.conv.b_conv

    def _children(self):
        return [self.conv]

    def get_config(self) -> dict:
        return {"d_model": self.d_model, "d_state": self.d_state, "d_conv": self.d_conv,
                "expand": self.expand, "dt_rank": self.dt_rank}

    def scan_elements(self, bsz: int, T: int) -> int:
        """Values of the state ``h`` for a ``(bsz, T, d)`` input: ``bsz*T*E*N``."""
        return bsz * T * self.d_inner * self.d_state

    def _check_x(self, s, name):
        s = self._check_float_input(s, name)
        if s.ndim != 3 or s.shape[2] != self.d_model:
            raise ValueError(f"{name} must have shape (Bsz, T, d_model={self.d_model}), "
                             f"got {s.shape}")
        if s.shape[1] == 0 or s.shape[0] == 0:
            raise ValueError(f"{name} must have Bsz >= 1 and T >= 1, got shape {s.shape}")
        return s

    def _run(self, s):
        bsz, T, d = s.shape
        E, N, R = self.d_inner, self.d_state, self.dt_rank
        xz = (s.reshape(-1, d) @ self.W_in.data.T).reshape(bsz, T, 2 * E)      # (F1)
        x, z = xz[..., :E], xz[..., E:]
        xc, conv_cache = self.conv._run(x)                                      # (F2)
        sig_xc = sigmoid(xc)
        u = xc * sig_xc                                                         # (F3)
        xdbl = (u.reshape(-1, E) @ self.W_x.data.T).reshape(bsz, T, R + 2 * N)  # (F4)
        rr, Bs, Cs = xdbl[..., :R], xdbl[..., R:R + N], xdbl[..., R + N:]
        a = rr @ self.W_dt.data.T + self.b_dt.data                              # (F5)
        Delta = softplus(a)
        A = -np.exp(self.A_log.data)                                            # (F6)
        y, h = scan_forward_unchecked(u, Delta, A, Bs, Cs, self.D.data,         # (F7-F9)
                                      backend=self.backend)
        sig_z = sigmoid(z)
        silu_z = z * sig_z
        o = y * silu_z                                                          # (F10)
        out = (o.reshape(-1, E) @ self.W_out.data.T).reshape(bsz, T, d)         # (F11)
        cache = {"s": s, "z": z, "xc": xc, "sig_xc": sig_xc, "u": u, "rr": rr, "a": a,
                 "Delta": Delta, "A": A, "Bs": Bs, "Cs": Cs, "h": h, "y": y,
                 "sig_z": sig_z, "silu_z": silu_z, "o": o, "conv": conv_cache}
        return out, cache

    def _back(self, dout, c):
        bsz, T, d = dout.shape
        R = self.dt_rank
        flat = (bsz * T, -1)
        self.W_out.grad += dout.reshape(flat).T @ c["o"].reshape(flat)          # (B11)
        do = dout @ self.W_out.data
        dy = do * c["silu_z"]                                                   # (B10)
        dz = do * c["y"] * silu_grad(c["z"], c["sig_z"])
        du_scan, dDelta, dA, dBs, dCs, dD = scan_backward_unchecked(            # (B9-B7)
            dy, c["u"], c["Delta"], c["A"], c["Bs"], c["Cs"], self.D.data, c["h"],
            backend=self.backend)
        self.D.grad += dD
        self.A_log.grad += dA * c["A"]                                          # (B6)
        da = dDelta * sigmoid(c["a"])                                           # (B5)
        self.b_dt.grad += da.sum(axis=(0, 1))
        self.W_dt.grad += da.reshape(flat).T @ c["rr"].reshape(bsz * T, R)
        drr = da @ self.W_dt.data
        dxdbl = np.concatenate([drr, dBs, dCs], axis=-1)                        # (B4)
        self.W_x.grad += dxdbl.reshape(flat).T @ c["u"].reshape(flat)
        du = du_scan + dxdbl @ self.W_x.data
        dxc = du * silu_grad(c["xc"], c["sig_xc"])                              # (B3)
        dx = self.conv._back(dxc, c["conv"])                                    # (B2)
        dxz = np.concatenate([dx, dz], axis=-1)                                 # (B1)
        self.W_in.grad += dxz.reshape(flat).T @ c["s"].reshape(bsz * T, d)
        return dxz @ self.W_in.data
