"""Checks and per-iteration diagnostics of ``FSGTrainer`` (shared/spec/fsg.md 1.1, 1.9)."""

from __future__ import annotations

import numpy as np

__all__ = ["check_ste", "diagnostics"]

_PROBE = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])


def _rms(arrays) -> float:
    n = sum(a.size for a in arrays)
    return float(np.sqrt(sum(float(np.sum(np.square(a, dtype=np.float64))) for a in arrays) / n))


def _cos(a_list, b_list) -> float:
    a = np.concatenate([x.ravel() for x in a_list]).astype(np.float64)
    b = np.concatenate([x.ravel() for x in b_list]).astype(np.float64)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    return 0.0 if na == 0 or nb == 0 else float(a @ b / (na * nb))


def check_ste(p, dtype) -> None:
    """``ValueError`` unless ``p.quantizer`` behaves as ``ste`` on ``[-2, -0.5, 0, 0.5, 2]``:
    forward ``[-1, -1, 1, 1, 1]`` and ``backward(w, ones) == ones`` (so that ``p.grad`` holds
    the raw ``dL/dwq`` after the task backward)."""
    q = p.quantizer
    w = _PROBE.astype(dtype)
    try:
        ok = (np.array_equal(q.forward(w), [-1, -1, 1, 1, 1])
              and np.array_equal(q.backward(w, np.ones_like(w)), np.ones_like(w)))
    except Exception:   # noqa: BLE001 - any failure of the probe means "not ste"
        ok = False
    if not ok:
        raise ValueError(f"FSG requires the 'ste' weight quantizer (sign forward, identity "
                         f"backward); got {getattr(q, 'name', q)!r} on {p.name!r}")


def diagnostics(gen: dict, g_prev, alpha, fsg_family: bool) -> tuple[float, float, float]:
    """``(rms(alpha*S), rms((1-alpha)*cal*F), cos(G, J(W)*g_prev))`` of one generation.

    Reconstructed (lets a tutorial show what each net contributes). The MetaQuant methods
    report ``(0, rms(cal*G), cos)``; methods without a generated gradient ``(0, 0, 0)``.
    """
    if gen.get("G") is None:
        return 0.0, 0.0, 0.0
    ste = [c * gp for c, gp in zip(gen["cal"], g_prev)]
    if fsg_family:
        slow = _rms([alpha * s for s in gen["S"]])
        fast = _rms([(1 - alpha) * cf for cf in gen["calF"]])
    else:
        slow, fast = 0.0, _rms([c * G for c, G in zip(gen["cal"], gen["G"])])
    return slow, fast, _cos(gen["G"], ste)
