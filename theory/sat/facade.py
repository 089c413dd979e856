"""The issue's array-level API over the instance API (sat_theory.md, "Names shared").

``solve``, ``max_accuracy``, ``verify``, ``brute_force``, ``encode_perceptron``,
``encode_bnn`` and ``count_solutions`` take ``(X, y)`` arrays (or a ready instance with
``y=None``), reject an empty instance, and dispatch to ``hidden=H`` networks. A time limit
with a solver python-sat cannot interrupt (the default ``cadical195``) runs the solve in a
child process terminated at the deadline.
"""

from __future__ import annotations

import numpy as np

from bnncore._validation import check_int

from .brute import BruteResult, brute_force_hidden, brute_force_perceptron, count_hidden_candidates
from .instances import (
    HiddenInstance,
    PerceptronInstance,
    make_hidden_instance,
    make_perceptron_instance,
)
from .verify import verify_hidden, verify_perceptron


def _reject_empty(inst) -> None:
    if inst.m == 0 or inst.n == 0:
        raise ValueError(f"X must not be empty: got shape {inst.X.shape} (an instance needs "
                         f"at least one sample and one feature)")


def as_instance(X, y=None, hidden=None, *, theta=0, integer_features=False,
                output="majority"):
    """A validated, non-empty ``PerceptronInstance`` or ``HiddenInstance`` from arrays.

    Examples
    --------
    >>> as_instance([[1, -1]], [1], hidden=2).H
    2
    """
    if isinstance(X, (PerceptronInstance, HiddenInstance)):
        if y is not None:
            raise ValueError("y must be None when X is already an instance")
        if hidden is not None and isinstance(X, HiddenInstance):
            raise ValueError("hidden must be None when X is a HiddenInstance")
        inst = X if hidden is None else make_hidden_instance(X.X, X.y, hidden, output)
    else:
        if y is None:
            raise ValueError("y is required when X is an array")
        if hidden is None:
            inst = make_perceptron_instance(X, y, theta, integer_features=integer_features)
        else:
            inst = make_hidden_instance(X, y, check_int(hidden, "hidden", minimum=1), output)
    _reject_empty(inst)
    return inst


def solve(X, y=None, hidden=None, *, theta=0, integer_features=False, solver="cadical195",
          encoding="seqcounter", time_limit=None, output="majority"):
    """Decide whether some binary weights classify every sample correctly.

    Parameters
    ----------
    X : array_like (m, n) of ±1, or a PerceptronInstance / HiddenInstance
    y : array_like (m,) of ±1, or None when ``X`` is an instance
    hidden : int, optional
        ``H`` hidden sign units (one-hidden-layer fully binary network) instead of one neuron.
    theta : int
        Perceptron threshold: ``pred(x) = +1`` iff ``<w, x> >= theta`` (sign(0) = +1).
    integer_features : bool
        Allow integer features (PARTITION reduction).
    solver, encoding : str
        python-sat solver and cardinality encoding names.
    time_limit : float, optional
        Seconds; reaching it gives ``status="unknown"``, never a hang.
    output : {"majority", "weights"}
        Output rule of the hidden network.

    Returns
    -------
    SatResult
        ``status`` ``"sat"`` (``w`` verified by ``theory.sat.verify``), ``"unsat"`` or
        ``"unknown"``; ``seconds``, ``n_vars``, ``n_clauses``, ``conflicts``.

    Examples
    --------
    >>> res = solve([[1, 1, -1], [-1, 1, 1]], [1, -1])
    >>> res.status, verify([[1, 1, -1], [-1, 1, 1]], [1, -1], res.w)
    ('sat', True)
    """
    from .solve import check_options, solve_consistency, solve_hidden

    check_options(solver, encoding, time_limit, child_ok=True)
    inst = as_instance(X, y, hidden, theta=theta, integer_features=integer_features,
                       output=output)
    if isinstance(inst, HiddenInstance):
        return solve_hidden(inst, solver=solver, encoding=encoding, time_limit=time_limit,
                            _child_ok=True)
    return solve_consistency(inst, solver=solver, encoding=encoding, time_limit=time_limit,
                             _child_ok=True)


def max_accuracy(X, y=None, hidden=None, *, theta=0, integer_features=False,
                 solver="glucose4", encoding="seqcounter", time_limit=None,
                 output="majority"):
    """Fewest training errors over binary weights, with RC2 MaxSAT (one soft clause per sample).

    Returns
    -------
    SatResult
        ``status="optimal"`` (proven) with ``w``, ``n_errors`` and ``n_correct``, or
        ``"unknown"`` with ``lower_bound`` when the time limit hits.

    Examples
    --------
    >>> res = max_accuracy([[1, 1, 1], [1, 1, 1], [-1, 1, 1]], [1, -1, 1])
    >>> res.status, res.n_correct
    ('optimal', 2)
    """
    from .maxsat import solve_hidden_max_accuracy, solve_max_accuracy
    from .solve import check_options

    check_options(solver, encoding, time_limit, child_ok=True)
    inst = as_instance(X, y, hidden, theta=theta, integer_features=integer_features,
                       output=output)
    if isinstance(inst, HiddenInstance):
        return solve_hidden_max_accuracy(inst, solver=solver, encoding=encoding,
                                         time_limit=time_limit, _child_ok=True)
    return solve_max_accuracy(inst, solver=solver, encoding=encoding, time_limit=time_limit,
                              _child_ok=True)


def verify(X, y, w, hidden=None, theta=0) -> bool:
    """Whether ``w`` classifies every sample correctly (plain NumPy, no solver).

    With ``hidden=H``, ``w`` is ``W`` of shape ``(H, n)`` (majority output) or a pair
    ``(W, v)`` (output weights).

    Examples
    --------
    >>> verify([[1, -1], [-1, -1]], [1, -1], [1, 1]), verify([[1, 1]], [-1], [1, 1])
    (True, False)
    """
    if hidden is None:
        return verify_perceptron(X, y, w, theta).ok
    H = check_int(hidden, "hidden", minimum=1)
    W, v = (w[0], w[1]) if isinstance(w, tuple) else (w, None)
    W = np.asarray(W)
    if W.ndim != 2 or W.shape[0] != H:
        raise ValueError(f"w must hold W of shape ({H}, n) for hidden={H}, got {W.shape}")
    return verify_hidden(X, y, W, v).ok


def brute_force(X, y=None, hidden=None, *, max_n=20, theta=0, integer_features=False,
                output="majority", chunk=65536, keep_solutions=False,
                max_bits=20) -> BruteResult:
    """Exhaustive search (``n <= max_n``): consistent count, max accuracy, first minimiser.

    Examples
    --------
    >>> res = brute_force([[1, 1]], [1], keep_solutions=True)
    >>> res.n_consistent, res.max_accuracy, res.solutions.tolist()
    (3, 1.0, [[1, -1], [-1, 1], [1, 1]])
    """
    inst = as_instance(X, y, hidden, theta=theta, integer_features=integer_features,
                       output=output)
    if isinstance(inst, PerceptronInstance):
        return brute_force_perceptron(inst, max_n=max_n, chunk=chunk,
                                      keep_solutions=keep_solutions)
    errors, W, v = brute_force_hidden(inst, max_bits=max_bits)
    return BruteResult(errors, W, None, count_hidden_candidates(inst.n, inst.H, inst.output),
                       inst.m, None, v)


def encode_perceptron(X, y=None, encoding="seqcounter", theta=0, *, integer_features=False):
    """The consistency CNF of a binary perceptron; ``.decode(model)`` gives ``w``.

    ``X`` may also be a validated instance (then ``y`` stays None); integer-valued
    features (the PARTITION reduction) need ``integer_features=True``.

    Examples
    --------
    >>> enc = encode_perceptron([[1, 1, 1]], [1])
    >>> enc.decode([1, -2, 3]).tolist()
    [1, -1, 1]
    """
    from .encode import encode_consistency

    return encode_consistency(as_instance(X, y, theta=theta, integer_features=integer_features),
                              encoding)


def encode_bnn(X, y, hidden, output="majority", encoding="seqcounter", maxsat=False):
    """The CNF of a one-hidden-layer fully binary network; ``.decode(model)`` gives ``W``.

    Examples
    --------
    >>> encode_bnn([[1, 1, 1]], [1], 2).w_vars.shape
    (2, 3)
    """
    from .hidden import encode_hidden

    return encode_hidden(as_instance(X, y, hidden, output=output), maxsat, encoding)


def count_solutions(X, y=None, limit=None, **kw) -> int:
    """Number of consistent weight vectors, enumerated with blocking clauses.

    Examples
    --------
    >>> count_solutions([[1, 1]], [-1]), count_solutions([[1, 1]], [1], limit=2)
    (1, 2)
    """
    from .count import count_instance

    theta = kw.pop("theta", 0)
    integer_features = kw.pop("integer_features", False)
    return count_instance(as_instance(X, y, theta=theta, integer_features=integer_features),
                          limit=limit, **kw)
