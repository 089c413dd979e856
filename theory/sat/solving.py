"""Exact training: ``solve`` (SAT), ``max_accuracy`` (MaxSAT) and ``count_solutions``.

Every entry point validates its options before any work, builds the instance
(``instances.as_instance``) and hands it to ``portfolio.dispatch`` (docs/theory.md, section
"The certified portfolio"):

- ``"auto"`` (the default, ``runner.DEFAULT_SOLVER``): for one neuron, the incomplete search
  (``anneal``) for a short share of the time, then CP-SAT (``cpsat``) for the rest; for a
  hidden layer, regression and maximum accuracy, CP-SAT directly. Without OR-Tools, CDCL
  on the CNF encoding (``runner.CDCL_SOLVER``) takes CP-SAT's place;
- ``"anneal"``: the incomplete search alone (``"sat"`` or ``"unknown"``, never ``"unsat"``);
- ``"cpsat"``: OR-Tools CP-SAT on native linear constraints (extra ``solvers``);
- a python-sat name (``runner.SOLVERS``): CDCL on the CNF encoding (``encoding``), with RC2
  for maximum accuracy.

Whatever answers, a model is decoded and handed to ``verification``: weights that fail the
independent check are never returned as ``"sat"`` (a complete back end raises
``RuntimeError``; the portfolio drops a wrong model of the incomplete search, warns, and
lets the complete back end decide). ``"unsat"`` and ``"optimal"`` come only from a complete
back end and are proofs (``SolveResult.proof``); ``SolveResult.backend`` names who answered.

Examples
--------
>>> res = solve([[1, 1, -1], [-1, 1, 1]], [1, -1])
>>> res.status, res.n_errors, res.backend, res.solver
('sat', 0, 'anneal', 'auto')
>>> solve([[1, 1], [1, 1]], [1, -1], solver="glucose4").proof      # CDCL proved UNSAT
True
"""

from __future__ import annotations

import numpy as np

from .encoding import encode_perceptron
from .exhaustive import brute_force
from .instances import PerceptronInstance, as_instance
from .portfolio import dispatch
from .result import SolveResult
from .runner import BACKENDS, CDCL_SOLVER, DEFAULT_SOLVER, check_options, models
from .verification import misclassified

#: ``count_solutions`` without a ``limit`` refuses larger ``n`` (up to ``2^n`` models).
COUNT_MAX_N = 20


def _check_cnf_options(solver: str, encoding: str, pb_backend: str, max_unary: int) -> None:
    """CNF options change nothing for a back end that does not encode to CNF: refuse them."""
    if solver not in BACKENDS:
        return
    for name, value, default in (("encoding", encoding, "seqcounter"),
                                 ("pb_backend", pb_backend, "unary"),
                                 ("max_unary", max_unary, 4096)):
        if value != default:
            raise ValueError(f"{name}={value!r} applies to the CNF encoding of a python-sat "
                             f"solver, and solver={solver!r} does not encode to CNF: pass a "
                             f"python-sat solver (e.g. solver={CDCL_SOLVER!r}) or drop {name}")


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an int >= 0, got {seed!r}")
    return int(seed)


def solve(X: object, y: object = None, hidden: int | None = None, *, theta: int = 0,
          integer_features: bool = False, solver: str = DEFAULT_SOLVER,
          encoding: str = "seqcounter", time_limit: float | None = None,
          output: str = "majority", pb_backend: str = "unary",
          max_unary: int = 4096, seed: int = 0) -> SolveResult:
    """Decide whether some binary weights classify every sample correctly.

    Parameters
    ----------
    X : array_like (m, n), or a PerceptronInstance / HiddenInstance / RegressionInstance
        A ``RegressionInstance`` asks whether ``X w = t`` has a binary solution.
    y : array_like (m,) of ±1, or None when ``X`` is an instance
    hidden : int, optional
        ``H`` hidden sign units (one-hidden-layer fully binary network) instead of one neuron.
    theta : int
        Threshold of one neuron: ``pred(x) = +1`` iff ``<w, x> >= theta`` (sign(0) = +1).
    integer_features : bool
        Allow integer features (PARTITION reduction).
    solver : str
        ``"auto"`` (the certified portfolio), ``"anneal"`` (incomplete search), ``"cpsat"``
        (OR-Tools, extra ``solvers``) or a python-sat solver (``runner.SOLVERS``, CDCL).
    encoding : str
        Cardinality encoding of the CNF (``runner.ENCODINGS``), used by CDCL only.
    time_limit : float, optional
        Seconds for the search; reaching it gives ``status="unknown"``, never a hang. The
        first call of a session also compiles the incomplete search (Numba, cached on disk).
    output : {"majority", "weights"}
        Output rule of the hidden layer.
    pb_backend, max_unary
        Integer features: ``encode_perceptron``.
    seed : int
        Seeds the incomplete search and CP-SAT's ``random_seed``.

    Returns
    -------
    SolveResult
        ``status`` ``"sat"`` (``w`` verified independently), ``"unsat"`` (a proof by a
        complete back end) or ``"unknown"``; ``backend`` says which back end answered.

    Examples
    --------
    >>> import itertools
    >>> X = np.array(list(itertools.product([-1, 1], repeat=3)))
    >>> [solve(X, X.prod(axis=1), hidden=H, solver="glucose4").status for H in (1, 2, 3)]
    ['unsat', 'unsat', 'sat']
    """
    limit = check_options(solver, encoding, time_limit)
    _check_cnf_options(solver, encoding, pb_backend, max_unary)
    seed = _check_seed(seed)
    inst = as_instance(X, y, hidden, theta=theta, integer_features=integer_features,
                       output=output, regression=True)
    return dispatch(inst, False, solver, encoding, limit, seed, pb_backend, max_unary)


def max_accuracy(X: object, y: object = None, hidden: int | None = None, *, theta: int = 0,
                 integer_features: bool = False, solver: str = DEFAULT_SOLVER,
                 encoding: str = "seqcounter", time_limit: float | None = None,
                 output: str = "majority", pb_backend: str = "unary",
                 max_unary: int = 4096, seed: int = 0) -> SolveResult:
    """Fewest training errors over binary weights (docs/theory.md, "Maximum accuracy").

    ``solver="auto"`` and ``"cpsat"``: CP-SAT maximising the number of correct samples
    (RC2 when OR-Tools is absent); a python-sat name: RC2 MaxSAT with one soft clause per
    sample. ``"anneal"`` cannot prove an optimum (``ValueError``). The other arguments are
    those of :func:`solve`.

    Returns
    -------
    SolveResult
        ``status="optimal"`` (a proof) with ``w``, ``n_errors`` and ``n_correct``, or
        ``"unknown"`` with ``lower_bound`` (the proven bound on the errors reached before
        the limit). The optimum a back end reports must equal the errors counted
        independently, else ``RuntimeError``.

    Examples
    --------
    >>> res = max_accuracy([[1, 1, 1], [1, 1, 1], [-1, 1, 1]], [1, -1, 1])
    >>> res.status, res.n_errors, res.n_correct, res.proof
    ('optimal', 1, 2, True)
    """
    limit = check_options(solver, encoding, time_limit)
    _check_cnf_options(solver, encoding, pb_backend, max_unary)
    seed = _check_seed(seed)
    inst = as_instance(X, y, hidden, theta=theta, integer_features=integer_features,
                       output=output)
    return dispatch(inst, True, solver, encoding, limit, seed, pb_backend, max_unary)


def count_solutions(X: object, y: object = None, limit: int | None = None, *,
                    theta: int = 0, integer_features: bool = False,
                    solver: str = DEFAULT_SOLVER, encoding: str = "seqcounter") -> int:
    """Number of consistent weight vectors of one neuron (at most ``limit``), each verified.

    ``solver="auto"`` without a ``limit`` (and with the default ``encoding``) scores all
    ``2^n`` weight vectors (``exhaustive.brute_force``, NumPy); otherwise
    models are enumerated with blocking clauses projected onto the weights
    (``runner.models``, CDCL). Without a ``limit``, ``n > 20`` raises ``ValueError``.

    Examples
    --------
    >>> count_solutions([[1, 1]], [1]), count_solutions([[1, 1]], [-1])   # all but (-1, -1)
    (3, 1)
    """
    check_options(solver, encoding, None)
    if solver in ("anneal", "cpsat"):
        raise ValueError(f"count_solutions enumerates by brute force ('auto') or with a "
                         f"python-sat solver, got solver={solver!r}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                              or limit < 0):
        raise ValueError(f"limit must be None or an int >= 0, got {limit!r}")
    inst = as_instance(X, y, theta=theta, integer_features=integer_features)
    if not isinstance(inst, PerceptronInstance):
        raise TypeError(f"count_solutions counts one neuron's weights, got "
                        f"{type(inst).__name__}")
    if limit is None and inst.n > COUNT_MAX_N:
        raise ValueError(f"count_solutions without a limit enumerates up to 2^n models; "
                         f"n={inst.n} > {COUNT_MAX_N}: pass limit=")
    if limit == 0:
        return 0
    if solver == "auto" and limit is None and encoding == "seqcounter":
        return int(brute_force(inst, max_n=COUNT_MAX_N).n_consistent)
    enc = encode_perceptron(inst, encoding=encoding)
    if enc.trivially_unsat:
        return 0
    count = 0
    for model in models(enc.clauses, enc.w_vars.tolist(),
                        CDCL_SOLVER if solver == "auto" else solver):
        w = enc.decode(model)
        wrong = misclassified(inst.X, inst.y, w, theta=inst.theta)
        if wrong.size:
            raise RuntimeError(f"independent verification failed: an enumerated w gets "
                               f"samples {wrong.tolist()} wrong (encoding bug)")
        count += 1
        if count == limit:
            break
    return count
