"""Exact training of binary networks with SAT and MaxSAT (python-sat), and its oracles.

The issue's array-level names (``solve``, ``max_accuracy``, ``verify``, ``brute_force``,
``encode_perceptron``, ``encode_bnn``, ``count_solutions``) wrap the instance API of
shared/spec/sat_theory.md: ``instances`` (validation), ``encode`` / ``hidden`` (CNF),
``solve`` / ``maxsat`` / ``count`` (oracles, time limits), ``brute`` and ``verify``
(NumPy-only references). PySAT is imported lazily: ``brute`` and ``verify`` work without it.

The functions ``solve`` and ``verify`` share their names with the modules ``solve.py`` and
``verify.py``; reach module members with ``from theory.sat.solve import ...``.

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

from . import facade
from .brute import BruteResult, brute_force_hidden, brute_force_perceptron, brute_force_regression
from .count import count_instance
from .encode import encode_consistency, encode_max_accuracy, encode_regression_zero
from .encoding import Encoding, decode
from .facade import (
    brute_force,
    count_solutions,
    encode_bnn,
    encode_perceptron,
    max_accuracy,
)
from .hidden import encode_hidden, reified_atleast
from .instances import (
    HiddenInstance,
    PerceptronInstance,
    RegressionInstance,
    make_hidden_instance,
    make_perceptron_instance,
    make_regression_instance,
    random_perceptron_instance,
)
from .maxsat import solve_hidden_max_accuracy, solve_max_accuracy
from .result import SatResult, SolveResult
from .solve import solve_consistency, solve_hidden, solve_regression_zero
from .threshold import need
from .verify import (
    Verification,
    verify_hidden,
    verify_partition,
    verify_perceptron,
    verify_regression,
)

# Loading a submodule sets the package attribute of the same name; bind the issue's
# functions last, so that theory.sat.solve and theory.sat.verify are the functions.
solve, verify = facade.solve, facade.verify

__all__ = [
    "BruteResult", "Encoding", "HiddenInstance", "PerceptronInstance", "RegressionInstance",
    "SatResult", "SolveResult", "Verification", "brute_force", "brute_force_hidden",
    "brute_force_perceptron", "brute_force_regression", "count_instance", "count_solutions",
    "decode", "encode_bnn", "encode_consistency", "encode_hidden", "encode_max_accuracy",
    "encode_perceptron", "encode_regression_zero", "make_hidden_instance",
    "make_perceptron_instance", "make_regression_instance", "max_accuracy", "need",
    "random_perceptron_instance", "reified_atleast", "solve", "solve_consistency",
    "solve_hidden", "solve_hidden_max_accuracy", "solve_max_accuracy",
    "solve_regression_zero", "verify", "verify_hidden", "verify_partition",
    "verify_perceptron", "verify_regression",
]
