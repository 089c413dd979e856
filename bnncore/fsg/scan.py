"""The S6 selective scan: NumPy reference, validation and the backend dispatcher.

docs/fsg.md, "The selective scan" (equations F7-F9, B9-B7). With ``Delta > 0`` and
``A < 0`` (the block passes ``A = -exp(A_log)``, ``Delta = softplus(.)``) every
``Abar = exp(Delta * A)`` lies in ``(0, 1]``, so both recurrences are contractions::

    h[b,tau,e,n] = exp(delta[b,tau,e] A[e,n]) h[b,tau-1,e,n] + delta[b,tau,e] u[b,tau,e] B[b,tau,n]
    y[b,tau,e]   = sum_n C[b,tau,n] h[b,tau,e,n] + D[e] u[b,tau,e]

``backend="numba"`` runs ``bnncore.kernels.scan`` (imported on the first call, so
``import bnncore`` compiles nothing), ``"numpy"`` the reference below, ``"auto"`` Numba if
it imports.
"""

from __future__ import annotations

import importlib

import numpy as np

from .._validation import FLOAT_DTYPES, check_finite

__all__ = ["BACKENDS", "resolve_backend", "scan_backward_unchecked", "scan_forward_unchecked",
           "selective_scan", "selective_scan_backward",
           "selective_scan_backward_ref", "selective_scan_forward", "selective_scan_forward_ref",
           "selective_scan_reference"]

BACKENDS = ("auto", "numba", "numpy")
_KERNELS = None


def _kernels():
    """``bnncore.kernels.scan``, imported on first use (None if Numba is unavailable)."""
    global _KERNELS
    if _KERNELS is None:
        try:
            _KERNELS = importlib.import_module("bnncore.kernels.scan")
        except ImportError:   # pragma: no cover - Numba is a dependency
            _KERNELS = False
    return _KERNELS or None


def resolve_backend(backend: str) -> str:
    """``"auto"`` -> ``"numba"`` if the kernels import, else ``"numpy"``; checks the name."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "auto":
        return "numba" if _kernels() is not None else "numpy"
    if backend == "numba" and _kernels() is None:   # pragma: no cover
        raise ValueError("backend='numba' needs Numba, which failed to import")
    return backend


# -- NumPy reference (docs/fsg.md, "Implementations") ----------------------------------
def selective_scan_forward_ref(u, delta, A, B, C, D):
    """Reference forward (F7)-(F9) on validated arrays; returns ``(y, h)``."""
    Abar = np.exp(delta[..., None] * A)                         # (Bsz, T, E, N)
    X = (delta * u)[..., None] * B[:, :, None, :]
    h = np.empty_like(Abar)
    hcur = np.zeros_like(Abar[:, 0])
    for tau in range(u.shape[1]):
        hcur = Abar[:, tau] * hcur + X[:, tau]                  # (F8)
        h[:, tau] = hcur
    y = np.einsum("bten,btn->bte", h, C) + u * D                # (F9)
    return y, h


def selective_scan_backward_ref(dy, u, delta, A, B, C, D, h):
    """Reference backward (B9)-(B7); returns ``(du, ddelta, dA, dB, dC, dD)``."""
    Abar = np.exp(delta[..., None] * A)
    lam = np.empty_like(h)
    nxt = np.zeros_like(h[:, 0])                                # Abar[tau+1] * lam[tau+1]
    for tau in range(u.shape[1] - 1, -1, -1):
        lam[:, tau] = dy[:, tau, :, None] * C[:, tau, None, :] + nxt      # (B9)
        nxt = Abar[:, tau] * lam[:, tau]
    h_prev = np.concatenate([np.zeros_like(h[:, :1]), h[:, :-1]], axis=1)
    dAbar_Abar = lam * h_prev * Abar                            # dAbar * Abar
    Bx = B[:, :, None, :]
    ddelta = (dAbar_Abar * A + lam * u[..., None] * Bx).sum(-1)   # (B7)
    dA = (dAbar_Abar * delta[..., None]).sum((0, 1))
    dB = (lam * (delta * u)[..., None]).sum(2)
    dC = np.einsum("bte,bten->btn", dy, h)
    dD = (dy * u).sum((0, 1))
    du = D * dy + delta * (lam * Bx).sum(-1)
    return du, ddelta, dA, dB, dC, dD


# -- validation and dispatch ------------------------------------------------------------
def _check_float(x, name: str) -> np.ndarray:
    if not isinstance(x, np.ndarray):
        x = np.asarray(x)
    if x.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name} must be a float32 or float64 array, got dtype {x.dtype}")
    return x


def _validate(arrays: dict, h_name: str | None = None) -> list[np.ndarray]:
    """Check shapes, one common float dtype and finiteness; return C-contiguous arrays."""
    out = {name: _check_float(a, name) for name, a in arrays.items()}
    dtypes = {a.dtype for a in out.values()}
    if len(dtypes) > 1:
        found = ", ".join(f"{n}={a.dtype}" for n, a in out.items())
        raise TypeError(f"all selective-scan arrays must share one float dtype, got {found}")
    first = "u"
    ref = out[first]
    if ref.ndim != 3:
        raise ValueError(f"{first} must have shape (Bsz, T, E), got {ref.shape}")
    bsz, T, E = ref.shape
    if min(bsz, T, E) < 1:
        raise ValueError(f"{first} must have Bsz, T, E >= 1, got shape {ref.shape}")
    A = out["A"]
    if A.ndim != 2 or A.shape[0] != E or A.shape[1] < 1:
        raise ValueError(f"A must have shape (E, N) = ({E}, N >= 1), got {A.shape}")
    N = A.shape[1]
    want = {"dy": (bsz, T, E), "u": (bsz, T, E), "delta": (bsz, T, E), "B": (bsz, T, N),
            "A": (E, N), "C": (bsz, T, N), "D": (E,), "h": (bsz, T, E, N)}
    for name, a in out.items():
        if a.shape != want[name]:
            raise ValueError(f"{name} must have shape {want[name]} (from {first} {ref.shape} "
                             f"and A {A.shape}), got {a.shape}")
    for name, a in out.items():
        check_finite(a, name)
    return [np.ascontiguousarray(a) for a in out.values()]


def _zeros_D(D, u):
    return np.zeros(np.shape(u)[-1], dtype=getattr(u, "dtype", np.float64)) if D is None else D


def selective_scan_forward(u, delta, A, B, C, D, *, backend: str = "auto"):
    """The selective scan (F7)-(F9): states ``h`` and outputs ``y``.

    Parameters
    ----------
    u, delta : ndarray, shape (Bsz, T, E)
        Input and step sizes (the block passes ``delta = softplus(.) > 0``).
    A : ndarray, shape (E, N)
        State matrix diagonal (the block passes ``A = -exp(A_log) < 0``).
    B, C : ndarray, shape (Bsz, T, N)
        Input-dependent input and output projections.
    D : ndarray, shape (E,), or None
        Skip connection; None means zeros.
    backend : {"auto", "numba", "numpy"}

    Returns
    -------
    y : ndarray, shape (Bsz, T, E)
    h : ndarray, shape (Bsz, T, E, N)

    Raises
    ------
    TypeError
        Non-float or mixed dtypes.
    ValueError
        Inconsistent shapes, ``T == 0``, non-finite values (the message names the argument),
        unknown backend.

    Examples
    --------
    >>> import numpy as np
    >>> one = np.ones((1, 2, 1))
    >>> y, h = selective_scan_forward(one, one, -np.ones((1, 1)), one, one, None,
    ...                               backend="numpy")
    >>> np.round(y.ravel(), 6).tolist()
    [1.0, 1.367879]
    """
    backend = resolve_backend(backend)
    arrays = _validate({"u": u, "delta": delta, "A": A, "B": B, "C": C, "D": _zeros_D(D, u)})
    return scan_forward_unchecked(*arrays, backend=backend)


def selective_scan_backward(dy, u, delta, A, B, C, D, h, *, backend: str = "auto"):
    """Gradients of ``sum(dy * y)`` for the scan's six inputs (B9)-(B7).

    Parameters
    ----------
    dy : ndarray, shape (Bsz, T, E)
    u, delta, A, B, C, D :
        The forward inputs (``D`` None means zeros).
    h : ndarray, shape (Bsz, T, E, N)
        The states returned by ``selective_scan_forward``.
    backend : {"auto", "numba", "numpy"}

    Returns
    -------
    du, ddelta, dA, dB, dC, dD
        Shapes of ``u, delta, A, B, C, D``; ``du`` includes ``D * dy``, ``dA`` is w.r.t.
        ``A`` (the block applies ``dA_log = dA * A``).

    Examples
    --------
    >>> import numpy as np
    >>> one = np.ones((1, 1, 1))
    >>> y, h = selective_scan_forward(one, one, -np.ones((1, 1)), one, one, None)
    >>> grads = selective_scan_backward(one, one, one, -np.ones((1, 1)), one, one, None, h)
    >>> [float(g.ravel()[0]) for g in grads]
    [1.0, 1.0, 0.0, 1.0, 1.0, 1.0]
    """
    backend = resolve_backend(backend)
    arrays = _validate({"dy": dy, "u": u, "delta": delta, "A": A, "B": B, "C": C,
                        "D": _zeros_D(D, u), "h": h})
    return scan_backward_unchecked(*arrays, backend=backend)


def scan_forward_unchecked(u, delta, A, B, C, D, *, backend: str):
    """``selective_scan_forward`` without validation, for callers that built the arrays
    themselves (``MambaBlock``): same dtype, consistent shapes, finite values."""
    arrays = [np.ascontiguousarray(a) for a in (u, delta, A, B, C, D)]
    if resolve_backend(backend) == "numba":
        return _kernels().ssm_scan_forward(*arrays)
    return selective_scan_forward_ref(*arrays)


def scan_backward_unchecked(dy, u, delta, A, B, C, D, h, *, backend: str):
    """``selective_scan_backward`` without validation (see ``scan_forward_unchecked``)."""
    arrays = [np.ascontiguousarray(a) for a in (dy, u, delta, A, B, C, D, h)]
    if resolve_backend(backend) == "numba":
        return _kernels().ssm_scan_backward(*arrays)
    return selective_scan_backward_ref(*arrays)


def selective_scan(x, delta, A, B, C, D=None, *, backend: str = "auto") -> np.ndarray:
    """``y`` of ``selective_scan_forward`` (``x`` is ``u``).

    Examples
    --------
    >>> import numpy as np
    >>> one = np.ones((1, 3, 1))
    >>> selective_scan(one, one, -np.ones((1, 1)), one, one).shape
    (1, 3, 1)
    """
    return selective_scan_forward(x, delta, A, B, C, D, backend=backend)[0]


def selective_scan_reference(x, delta, A, B, C, D=None) -> np.ndarray:
    """``selective_scan`` with ``backend="numpy"``: the readable definition of the math.

    Examples
    --------
    >>> import numpy as np
    >>> one = np.ones((1, 2, 1))
    >>> np.round(selective_scan_reference(one, one, -np.ones((1, 1)), one, one), 6).ravel()
    array([1.      , 1.367879])
    """
    return selective_scan_forward(x, delta, A, B, C, D, backend="numpy")[0]
