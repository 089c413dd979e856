"""One hidden layer, fully binary, as CNF (shared/spec/sat_theory.md §5).

Model: ``h = sign(W x)`` with ``W in {-1,+1}^{H x n}`` and sign(0) = +1, then
``"majority"``: ``y_hat = sign(sum_k h_k)`` or ``"weights"``: ``y_hat = sign(<v, h>)``.
Each hidden activation is tied to its pre-activation by a *reified* counter
(``a[j,k] <=> at least ceil(n/2) agreements``, Narodytska-style): PySAT's ``CardEnc`` only
enforces a bound, it does not define a literal equal to one.

Variable numbering (n inputs, m samples, H units):

=========================  ==========================================  ================
variable                   id                                          exists
=========================  ==========================================  ================
``w[k,i]``                 ``k*n + i + 1``                             always
``v[k]``                   ``H*n + k + 1``                             ``"weights"``
``a[j,k]``                 ``base_a + j*H + k + 1``                    always
``e[j,k] <=> (v <=> a)``   ``base_e + j*H + k + 1``                    ``"weights"``
``s[j]``                   ``base_s + j + 1``                          MaxSAT
counters                   from ``base_s + (m if maxsat) + 1`` up      always
=========================  ==========================================  ================
"""

from __future__ import annotations

import numpy as np

from ._pysat import check_encoding, require
from .encoding import Encoding
from .instances import HiddenInstance
from .threshold import need


def reified_atleast(lits: list[int], K: int, top: int,
                    clauses: list[list[int]]) -> tuple[int, int]:
    """Append clauses defining ``out <=> (sum of true lits >= K)``; return ``(out, top)``.

    A bidirectional sequential counter: ``R[i][k]`` ("at least ``k`` of the first ``i``
    literals are true") is ``R[i-1][k] or (lits[i-1] and R[i-1][k-1])``, with ``R[i-1][0]``
    TRUE and ``R[i-1][k]`` FALSE for ``k > i-1``. At most ``n*K`` variables and ``4*n*K``
    clauses. ``K <= 0`` gives a fresh true ``out``, ``K > len(lits)`` a fresh false one.

    Examples
    --------
    >>> clauses = []
    >>> out, top = reified_atleast([1, 2], 2, 2, clauses)
    >>> out, top, len(clauses)
    (5, 5, 8)
    """
    L = len(lits)
    if K <= 0 or K > L:
        top += 1
        clauses.append([top] if K <= 0 else [-top])
        return top, top
    prev: dict[int, int] = {}  # R[i-1][k] for k = 1..min(i-1, K)
    for i in range(1, L + 1):
        lit, cur = lits[i - 1], {}
        for k in range(1, min(i, K) + 1):
            top += 1
            R = cur[k] = top
            a = prev.get(k)                       # None: FALSE (k > i-1)
            b = prev[k - 1] if k > 1 else None    # None: TRUE  (k-1 == 0)
            if a is not None:
                clauses.append([-a, R])
            clauses.append([-lit, R] if b is None else [-lit, -b, R])
            clauses.append([-R, lit] if a is None else [-R, a, lit])
            if b is not None:
                clauses.append([-R, b] if a is None else [-R, a, b])
        prev = cur
    return prev[K], top


def encode_hidden(inst: HiddenInstance, maxsat: bool = False,
                  encoding: str = "seqcounter") -> Encoding:
    """CNF (or WCNF with ``maxsat=True``) for the one-hidden-layer network (§5).

    With ``maxsat`` only the output constraints are relaxed by ``s[j]``; the hidden
    definitions stay hard (they are satisfiable for every ``W``).

    Examples
    --------
    >>> from theory.sat.instances import make_hidden_instance
    >>> inst = make_hidden_instance([[1, -1, 1], [1, 1, 1]], [1, -1], 2, "weights")
    >>> enc = encode_hidden(inst)
    >>> enc.w_vars.shape, enc.v_vars.tolist(), enc.a_vars.tolist()
    ((2, 3), [7, 8], [[9, 10], [11, 12]])
    """
    if not isinstance(inst, HiddenInstance):
        raise TypeError(f"inst must be a HiddenInstance (make_hidden_instance), "
                        f"got {type(inst).__name__}")
    check_encoding(encoding)
    card = require("card")
    n, m, H, weights = inst.n, inst.m, inst.H, inst.output == "weights"
    w = np.arange(1, H * n + 1).reshape(H, n)
    v = np.arange(H * n + 1, H * n + H + 1) if weights else None
    base_a = H * n + (H if weights else 0)
    a = base_a + np.arange(m * H).reshape(m, H) + 1
    base_e = base_a + m * H
    e = base_e + np.arange(m * H).reshape(m, H) + 1
    base_s = base_e + (m * H if weights else 0)
    s = base_s + np.arange(m) + 1 if maxsat else None
    top, clauses = base_s + (m if maxsat else 0), []
    K_hidden = need(n, 1, 0)   # h = +1 iff <w, x> >= 0 iff ceil(n/2) agreements
    for j in range(m):
        x, yj = inst.X[j], int(inst.y[j])
        for k in range(H):
            lits = [int(w[k, i]) if x[i] == 1 else -int(w[k, i]) for i in range(n)]
            out, top = reified_atleast(lits, K_hidden, top, clauses)
            ajk = int(a[j, k])
            clauses += [[-ajk, out], [ajk, -out]]
            if weights:
                ejk, vk = int(e[j, k]), int(v[k])
                clauses += [[-ejk, -vk, ajk], [-ejk, vk, -ajk], [ejk, vk, ajk],
                            [ejk, -vk, -ajk]]
        agree = e[j] if weights else a[j]
        lits = [int(t) if yj == 1 else -int(t) for t in agree]
        cnf = card.CardEnc.atleast(lits=lits, bound=need(H, yj, 0), top_id=top,
                                   encoding=getattr(card.EncType, encoding))
        top = max(top, cnf.nv)
        relax = [-int(s[j])] if maxsat else []
        clauses.extend(relax + list(cl) for cl in cnf.clauses)
    soft = [([int(sj)], 1) for sj in s] if maxsat else []
    return Encoding(clauses, soft, top, w, v_vars=v, a_vars=a, selectors=s)
