"""NP-hardness, made executable, and the two faces of the problem it describes.

- ``reductions``: PARTITION -> binary perceptron and -> binary-weight regression
  (docs/theory.md, section "3. NP-hardness"), with the easy continuous relaxation;
- ``solve_time``: solve time versus ``n`` by back end, SAT and UNSAT instances apart
  (section "4. Scaling"): ``scaling``, ``summarize_scaling``, ``plot_scaling``;
- ``threshold``: the capacity curve P(SAT) versus ``alpha``, its crossing per ``n`` and
  the ``1/n`` extrapolation, against ``alpha_c = 0.833`` (section "7. The capacity curve");
- ``entropy``: exact solution counts next to the annealed and replica-symmetric entropies
  (section "8. The entropy of solutions").
"""

from .entropy import (
    RSSolution,
    annealed_entropy,
    plot_entropy,
    rs_capacity,
    rs_entropy,
    rs_solution,
    solution_counts,
)
from .reductions import (
    has_partition_dp,
    partition_to_perceptron,
    partition_to_regression,
    partition_to_weights,
    perceptron_to_partition,
    real_relaxation,
    regression_solution_to_subset,
    subset_sum_dp,
    subset_sum_to_regression,
    verify_partition,
)
from .solve_time import ScalingRecord, plot_scaling, scaling, summarize_scaling
from .threshold import (
    ALPHA_C,
    CapacityRecord,
    Crossing,
    Extrapolation,
    capacity,
    crossings,
    extrapolate,
    p_sat,
    plot_capacity,
)

__all__ = ["ALPHA_C", "CapacityRecord", "Crossing", "Extrapolation", "RSSolution",
           "ScalingRecord", "annealed_entropy", "capacity", "crossings", "extrapolate",
           "has_partition_dp", "p_sat", "partition_to_perceptron", "partition_to_regression",
           "partition_to_weights", "perceptron_to_partition", "plot_capacity", "plot_entropy",
           "plot_scaling", "real_relaxation", "regression_solution_to_subset", "rs_capacity",
           "rs_entropy", "rs_solution", "scaling", "solution_counts", "subset_sum_dp",
           "subset_sum_to_regression", "summarize_scaling", "verify_partition"]
