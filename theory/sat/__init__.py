"""Exact training of binary networks with SAT and MaxSAT (python-sat), and its oracles.

One API, read top to bottom in this order (docs/theory.md, section "5. The API"):

- ``instances``: validated data (``make_*_instance``, ``random_instance``);
- ``encoding``: CNF of one neuron (``encode_perceptron``) or one hidden layer
  (``encode_bnn``), with the threshold arithmetic ``need``;
- ``solving``: ``solve`` (SAT), ``max_accuracy`` (MaxSAT), ``count_solutions``;
- ``portfolio``: the back ends behind them and the certified portfolio that picks one
  (``solver="auto"``, the default);
- ``anneal``: the incomplete search (Numba simulated annealing; finds, never proves);
- ``cpsat``: the OR-Tools CP-SAT boundary (native linear constraints; extra ``solvers``);
- ``runner``: the PySAT boundary: solver names, ``DEFAULT_SOLVER``, time limits;
- ``result``: ``SolveResult`` and ``BruteResult``;
- ``exhaustive``: ``brute_force``, the NumPy-only oracle;
- ``verification``: ``verify`` and ``misclassified``, NumPy only, trusting nothing.

Every entry point takes arrays ``(X, y)`` or a ready instance (then ``y=None``), and the
solving ones share one default solver. PySAT is imported lazily: ``brute_force`` and
``verify`` work without it.

Examples
--------
>>> import numpy as np
>>> from theory import sat
>>> X = np.array([[1, -1, 1, 1, -1], [-1, -1, 1, -1, 1], [1, 1, 1, -1, -1]])
>>> y = np.array([1, -1, 1])
>>> res = sat.solve(X, y)
>>> res.status, sat.verify(X, y, res.w), sat.brute_force(X, y).n_consistent > 0
('sat', True, True)
"""

from .encoding import Encoding, encode_bnn, encode_perceptron, need
from .exhaustive import brute_force
from .instances import (
    HiddenInstance,
    PerceptronInstance,
    RegressionInstance,
    make_hidden_instance,
    make_perceptron_instance,
    make_regression_instance,
    random_instance,
)
from .result import BruteResult, SolveResult
from .runner import BACKENDS, CDCL_SOLVER, DEFAULT_SOLVER
from .solving import count_solutions, max_accuracy, solve
from .verification import misclassified, verify

__all__ = [
    "BACKENDS", "CDCL_SOLVER", "DEFAULT_SOLVER", "BruteResult", "Encoding", "HiddenInstance",
    "PerceptronInstance", "RegressionInstance", "SolveResult", "brute_force", "count_solutions",
    "encode_bnn", "encode_perceptron", "make_hidden_instance", "make_perceptron_instance",
    "make_regression_instance", "max_accuracy", "misclassified", "need", "random_instance",
    "solve", "verify",
]
