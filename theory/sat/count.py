"""Model counting by enumeration with blocking clauses (shared/spec/sat_theory.md §7).

The blocking clause is projected onto the weight variables: the counter encodings'
auxiliary variables are not functionally determined by ``w``, so blocking a full model
would count one weight vector several times.
"""

from __future__ import annotations

from .encode import encode_consistency
from .instances import PerceptronInstance
from .solve import check_options, check_verified
from .verify import verify_perceptron

COUNT_MAX_N = 20


def count_instance(inst: PerceptronInstance, *, limit: int | None = None,
                   solver: str = "glucose4", encoding: str = "seqcounter") -> int:
    """Number of consistent ``w`` (at most ``limit``), each one verified.

    Examples
    --------
    >>> from theory.sat.instances import make_perceptron_instance
    >>> count_instance(make_perceptron_instance([[1, 1]], [1]))   # all but (-1, -1)
    3
    """
    from ._pysat import require

    check_options(solver, encoding, None)
    if not isinstance(inst, PerceptronInstance):
        raise TypeError(f"inst must be a PerceptronInstance, got {type(inst).__name__}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                              or limit < 0):
        raise ValueError(f"limit must be None or an int >= 0, got {limit!r}")
    if limit is None and inst.n > COUNT_MAX_N:
        raise ValueError(f"count_solutions without a limit enumerates up to 2^n models; "
                         f"n={inst.n} > {COUNT_MAX_N}: pass limit=")
    enc = encode_consistency(inst, encoding)
    if enc.trivially_unsat or limit == 0:
        return 0
    count = 0
    with require("solvers").Solver(name=solver, bootstrap_with=enc.clauses) as s:
        while (limit is None or count < limit) and s.solve():
            w = enc.decode(s.get_model())
            check_verified(verify_perceptron(inst.X, inst.y, w, inst.theta), "enumerated w")
            count += 1
            # block exactly this w: at least one weight must differ
            s.add_clause([-int(v) if wi == 1 else int(v) for v, wi in zip(enc.w_vars, w)])
    return count
