"""FSG's two hypernetworks: the fast-net MLP and the slow-net (LRE + Mamba block).

docs/fsg.md, "Fast-net and the MetaQuant nets" and "HGS and LRE". Both are one network
shared by all binary tensors of the task model; only the slow-net's Layer Recognition
Embedding row differs per tensor.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .._validation import check_int, check_rng
from ..params import Parameter
from .component import Component, float_dtype, uniform
from .fastpath import rows_backward, rows_forward
from .mamba import MambaBlock
from .scan import resolve_backend

__all__ = ["ACTIVATIONS", "LAYOUTS", "ElementwiseMLP", "SlowNet"]

ACTIVATIONS = ("identity", "relu", "tanh")
LAYOUTS = ("per_weight", "flat")


def _phi(act: str, a: np.ndarray) -> np.ndarray:
    if act == "relu":
        return np.maximum(a, 0)
    if act == "tanh":
        return np.tanh(a)
    return a


def _dphi(act: str, a: np.ndarray, h: np.ndarray) -> np.ndarray | None:
    """``phi'(a)`` given ``h = phi(a)``; None for the identity (a factor of 1)."""
    if act == "relu":
        return (a > 0).astype(a.dtype)
    if act == "tanh":
        return 1 - h * h
    return None


class ElementwiseMLP(Component):
    """A bias-free MLP ``1 -> H [-> H] -> 1`` applied to every row (each weight) independently.

    The fast-net is ``ElementwiseMLP(3, 100, "identity")`` on ``wpre_prev`` (MetaQuant's
    MultiFC); the FC-Grad baseline net is ``ElementwiseMLP(2, 100, "identity")``.

    Parameters
    ----------
    depth : {2, 3}
        Number of linear layers.
    hidden : int
        ``H``.
    act : {"identity", "relu", "tanh"}
        Non-linearity ``phi`` after every layer but the last.
    rng : None, int or Generator
        Draws ``W1 (H, 1) ~ U(-1, 1)``, then ``W2`` [and ``W3``] ``~ U(-1/sqrt(H), 1/sqrt(H))``
        (PyTorch's linear default), float64, then cast.
    dtype : float32 or float64
    name : str
        Parameter-name prefix (``fast.W1``).

    Shapes
    ------
    x ``(M, 1)`` -> f ``(M, 1)``.

    Notes
    -----
    With ``"identity"`` the net is ``f = c * x`` with ``c = W3 @ W2 @ W1``; being bias-free,
    ``f(0) = 0``. It is computed that way: ``c`` once per call (``O(H^2)``), and the
    backward as ``dW_i = (df . x) r_i v_{i-1}^T`` with ``v_i = W_i ... W_1`` and
    ``r_i = W_L ... W_{i+1}``, instead of ``M`` rows through ``H x H`` matrices (the same
    values up to rounding; docs/fsg.md, "Cost of an FSG step").

    Examples
    --------
    >>> import numpy as np
    >>> net = ElementwiseMLP(3, 5, "identity", rng=0, dtype=np.float64)
    >>> x = np.array([[0.0], [0.5], [1.0]])
    >>> f = net.forward(x)
    >>> c = (net.W3.data @ net.W2.data @ net.W1.data).item()
    >>> np.allclose(f.ravel(), c * x.ravel()), float(f[0, 0]) == 0.0
    (True, True)
    """

    def __init__(self, depth: int = 3, hidden: int = 100, act: str = "identity", *, rng=None,
                 dtype=np.float32, name: str = "fast") -> None:
        self.depth = check_int(depth, "depth")
        if self.depth not in (2, 3):
            raise ValueError(f"depth must be 2 or 3, got {depth}")
        self.hidden = check_int(hidden, "hidden", minimum=1)
        if act is None:
            act = "identity"
        if act not in ACTIVATIONS:
            raise ValueError(f"act must be one of {ACTIVATIONS}, got {act!r}")
        self.act = act
        self.dtype = float_dtype(dtype)
        self.name = name
        g = check_rng(rng)
        H, b = self.hidden, 1 / math.sqrt(self.hidden)
        self.param_names = ("W1", "W2", "W3")[:self.depth]
        self._param("W1", uniform(g, 1.0, (H, 1), np.float64), name)
        if self.depth == 3:
            self._param("W2", uniform(g, b, (H, H), np.float64), name)
            self._param("W3", uniform(g, b, (1, H), np.float64), name)
        else:
            self._param("W2", uniform(g, b, (1, H), np.float64), name)

    def get_config(self) -> dict:
        return {"depth": self.depth, "hidden": self.hidden, "act": self.act}

    def forward_tensors(self, arrays: Sequence[np.ndarray]) -> tuple[list[np.ndarray], dict]:
        """One batched ``forward`` on every element of every array of ``arrays``.

        Returns the outputs split per array (``(a.size, 1)`` each) and the cache that
        ``backward(df, cache)`` takes with the concatenated ``df``.

        Examples
        --------
        >>> net = ElementwiseMLP(2, 3, rng=0, dtype=np.float64)
        >>> out, cache = net.forward_tensors([np.ones((2, 2)), np.zeros(3)])
        >>> [o.shape for o in out]
        [(4, 1), (3, 1)]
        """
        x = np.concatenate([a.reshape(-1, 1) for a in arrays]).astype(self.dtype, copy=False)
        out, cache = self.forward(x, return_cache=True)
        return np.split(out, np.cumsum([a.size for a in arrays])[:-1]), cache

    def _check_x(self, x, name):
        x = self._check_float_input(x, name)
        if x.ndim != 2 or x.shape[1] != 1:
            raise ValueError(f"{name} must be 2-D with one column (M, 1), got shape {x.shape}")
        return x

    def _run(self, x):
        act, Ws = self.act, [p.data for p in self.parameters()]
        if act == "identity":               # f = c * x: O(H^2) once, not O(M H^2)
            vs = [np.ones((1,), Ws[0].dtype)]
            for W in Ws:                     # v_i = W_i ... W_1 (a column; v_0 = 1)
                vs.append(W @ vs[-1])
            return vs[-1][0] * x, {"x": x, "vs": vs}
        hs, pre = [x], []
        for W in Ws[:-1]:                  # a_i = h_{i-1} W_i^T, h_i = phi(a_i)
            a = hs[-1] @ W.T
            pre.append(a)
            hs.append(_phi(act, a))
        return hs[-1] @ Ws[-1].T, {"hs": hs, "pre": pre}

    def _back(self, df, cache):
        params = self.parameters()
        if "vs" in cache:                    # identity: dW_i = (df . x) r_i v_{i-1}^T
            vs, sx = cache["vs"], float(np.dot(df[:, 0], cache["x"][:, 0]))
            r = np.ones((1,), vs[0].dtype)   # r_i = W_L ... W_{i+1} (a row; r_L = 1)
            for i in range(len(params) - 1, -1, -1):
                params[i].grad += sx * np.outer(r, vs[i])
                r = r @ params[i].data
            return df * vs[-1][0]
        hs, pre = cache["hs"], cache["pre"]
        d = df
        for i in range(len(params) - 1, -1, -1):    # dW_i += d^T h_{i-1}; d = d W_i phi'
            params[i].grad += d.T @ hs[i]
            d = d @ params[i].data
            if i > 0:
                dphi = _dphi(self.act, pre[i - 1], hs[i])
                if dphi is not None:
                    d = d * dphi
        return d


class SlowNet(Component):
    """The slow-net: Layer Recognition Embedding + one ``MambaBlock(d_model=1)``.

    ``forward(histories)`` takes the ``L`` HGS views (``(k, N_ell)``, oldest first) and
    returns the ``L`` slow grads (flat, length ``N_ell``): the block output at the positions
    of the newest gradient.

    Parameters
    ----------
    L : int
        Number of binary tensors (rows of the LRE table).
    d_state, d_conv, expand : int
        Block sizes; the defaults 16, 4, 16 are reconstructed (the released code's
        ``d_conv=8, expand=100`` costs 6-8x more, beyond the CPU budget).
    lre : bool
        Prepend the learnable token ``lre[ell]`` (``slow.lre``, ``(L, 1)``, ``N(0, 1)``) to
        every sequence of tensor ``ell``.
    layout : {"per_weight", "flat"}
        ``"per_weight"`` (reconstructed: the minimal form of the paper's idea, a learned,
        input-selective momentum over each weight's own gradient history, independent of the
        weight order and parallel over weights): every weight is a batch row, time is
        ``[lre, g^{t-k}, ..., g^{t-1}]``, one call for all tensors. ``"flat"`` (released
        code): one sequence per tensor, history-major, ``T = 1 + k*N_ell``.
    rng : None, int or Generator
        Draws the block (its order), then the LRE table.
    dtype : float32 or float64
    backend : {"auto", "numba", "numpy"}
        With Numba, the per_weight layout runs on the fused kernels of
        ``bnncore.fsg.fused`` (``fused = True``: the whole block in one pass over the rows,
        only the output at ``T-1``, no ``Bsz*T*E*N`` state in memory; docs/fsg.md, "Cost of
        an FSG step"); ``"numpy"``, and the flat layout, call ``MambaBlock.forward`` /
        ``backward``. Both give the same values up to rounding.
    max_scan_elements : int
        Refuse (``ValueError``) a block call whose state ``Bsz*T*E*N`` would exceed this
        (reconstructed: the flat layout on large layers would allocate gigabytes silently;
        the fused path holds no such state and is not limited).
    name : str

    Examples
    --------
    >>> import numpy as np
    >>> net = SlowNet(2, d_state=4, d_conv=2, expand=3, rng=0, dtype=np.float64)
    >>> hist = [np.ones((3, 6)), np.ones((3, 4))]          # k = 3 gradients of 6 and 4 weights
    >>> S, cache = net.forward(hist, return_cache=True)
    >>> [s.shape for s in S]
    [(6,), (4,)]
    >>> _ = net.backward([np.ones(6), np.ones(4)], cache)
    >>> net.lre.grad.shape
    (2, 1)
    """

    def __init__(self, L: int, *, d_state: int = 16, d_conv: int = 4, expand: int = 16,
                 lre: bool = True, layout: str = "per_weight", rng=None, dtype=np.float32,
                 backend: str = "auto", max_scan_elements: int = 2 ** 26,
                 name: str = "slow") -> None:
        self.L = check_int(L, "L", minimum=1)
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
        self.layout = layout
        self.max_scan_elements = check_int(max_scan_elements, "max_scan_elements", minimum=1)
        self.dtype = float_dtype(dtype)
        self.name = name
        g = check_rng(rng)
        self.block = MambaBlock(1, d_state, d_conv, expand, rng=g, dtype=self.dtype,
                                backend=backend, name=name)
        #: per_weight on the fused kernels (``bnncore.fsg.fused``) unless backend="numpy"
        self.fused = layout == "per_weight" and resolve_backend(backend) == "numba"
        self.use_lre = bool(lre)
        self.lre = (Parameter(g.standard_normal((self.L, 1)).astype(self.dtype), f"{name}.lre")
                    if self.use_lre else None)

    def parameters(self) -> list[Parameter]:
        return self.block.parameters() + ([self.lre] if self.lre is not None else [])

    def _children(self):
        return [self.block]

    def get_config(self) -> dict:
        return {"L": self.L, "lre": self.use_lre, "layout": self.layout,
                **self.block.get_config()}

    # -- checks --------------------------------------------------------------------------
    def _check_histories(self, histories: Sequence[np.ndarray]) -> list[np.ndarray]:
        if isinstance(histories, np.ndarray) or len(histories) != self.L:
            n = "an array" if isinstance(histories, np.ndarray) else len(histories)
            raise ValueError(f"histories must be a list of L={self.L} arrays, got {n}")
        out = []
        for ell, h in enumerate(histories):
            h = self._check_float_input(h, f"histories[{ell}]")
            if h.ndim != 2 or min(h.shape) < 1:
                raise ValueError(f"histories[{ell}] must have shape (k >= 1, N >= 1), "
                                 f"got {h.shape}")
            out.append(h)
        ks = {h.shape[0] for h in out}
        if self.layout == "per_weight" and len(ks) > 1:
            raise ValueError(f"histories must share one length k in the per_weight layout, "
                             f"got {sorted(ks)}")
        return out

    def _guard(self, bsz: int, T: int) -> None:
        n = self.block.scan_elements(bsz, T)
        if n > self.max_scan_elements:
            raise ValueError(f"slow-net layout {self.layout!r}: one scan would hold {n:,} state "
                             f"values (> max_scan_elements={self.max_scan_elements:,}); use "
                             f"layout='per_weight' or a smaller expand")

    # -- forward / backward ------------------------------------------------------------
    def forward(self, histories, training: bool = True, return_cache: bool = False):
        """Slow grads ``S_ell`` (flat, ``(N_ell,)``) for the ``L`` histories ``(k, N_ell)``."""
        hist = self._check_histories(histories)
        t0 = int(self.use_lre)
        sizes = [h.shape[1] for h in hist]
        if self.layout == "per_weight":      # rows: weights (by tensor, then C order)
            k = hist[0].shape[0]
            T = t0 + k
            s = np.empty((sum(sizes), T, 1), self.dtype)
            off = 0
            for ell, h in enumerate(hist):
                rows = slice(off, off + sizes[ell])
                if t0:
                    s[rows, 0, 0] = self.lre.data[ell, 0]
                s[rows, t0:, 0] = h.T
                off += sizes[ell]
            if self.fused:                   # only out[:, T-1], no (Bsz, T, E, N) state
                last = rows_forward(self.block, s[..., 0])
                caches = [{"fused": True, "s": s[..., 0], "out_shape": s.shape}]
            else:
                self._guard(s.shape[0], T)
                out, bc = self.block.forward(s, return_cache=True)
                last, caches = out[:, T - 1, 0], [bc]
            S = np.split(last.copy(), np.cumsum(sizes)[:-1])
        else:                                # one long sequence per tensor
            S, caches = [], []
            for h in hist:
                self._guard(1, t0 + h.size)
            for ell, h in enumerate(hist):
                T = t0 + h.size
                s = np.empty((1, T, 1), self.dtype)
                if t0:
                    s[0, 0, 0] = self.lre.data[ell, 0]
                s[0, t0:, 0] = h.reshape(-1)
                out, bc = self.block.forward(s, return_cache=True)
                S.append(out[0, T - sizes[ell]:, 0].copy())
                caches.append(bc)
        cache = {"blocks": caches, "sizes": sizes, "k": [h.shape[0] for h in hist]}
        if return_cache:
            return S, cache
        self._cache = cache
        return S

    def backward(self, dS_list, cache: dict | None = None) -> list[np.ndarray]:
        """Accumulate the block's and the LRE's gradients for ``dL/dS_ell``.

        Returns the gradients w.r.t. the histories, ``(k, N_ell)`` each.
        """
        if cache is None:
            cache = getattr(self, "_cache", None)
            if cache is None:
                raise RuntimeError("SlowNet.backward called before forward")
        sizes, t0 = cache["sizes"], int(self.use_lre)
        if len(dS_list) != len(sizes):
            raise ValueError(f"dS must hold {len(sizes)} arrays, got {len(dS_list)}")
        dS = []
        for ell, d in enumerate(dS_list):
            d = np.asarray(d, dtype=self.dtype)
            if d.size != sizes[ell]:
                raise ValueError(f"dS[{ell}] must have {sizes[ell]} values, got {d.size}")
            dS.append(d.reshape(-1))
        dhist = []
        if self.layout == "per_weight":
            bc = cache["blocks"][0]
            if bc.get("fused"):
                ds = rows_backward(self.block, bc["s"], np.concatenate(dS))[..., None]
            else:
                bsz, T, _ = bc["out_shape"]
                dout = np.zeros((bsz, T, 1), self.dtype)
                dout[:, T - 1, 0] = np.concatenate(dS)
                ds = self.block.backward(dout, bc)
            off = 0
            for ell, n in enumerate(sizes):
                if t0:
                    self.lre.grad[ell, 0] += ds[off:off + n, 0, 0].sum()
                dhist.append(ds[off:off + n, t0:, 0].T.copy())
                off += n
        else:
            for ell, (n, bc) in enumerate(zip(sizes, cache["blocks"])):
                T = bc["out_shape"][1]
                dout = np.zeros((1, T, 1), self.dtype)
                dout[0, T - n:, 0] = dS[ell]
                ds = self.block.backward(dout, bc)
                if t0:
                    self.lre.grad[ell, 0] += ds[0, 0, 0]
                dhist.append(ds[0, t0:, 0].reshape(cache["k"][ell], n))
        return dhist
