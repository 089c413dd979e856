"""The four papers' headline claims as one grid of paired runs, and the verdict table.

Each :class:`Claim` compares two arms (A, B) under one protocol on one dataset and model,
on one metric, over paired seeds: the same seed gives both arms the same data order and,
where the architectures agree, the same initial weights. :func:`evaluate` turns the
stored runs into one row per claim (effect, 95% CI, paired test, Holm-adjusted p, MDE,
verdict; docs/evidence.md), :func:`run_claims` runs the grid and writes
``claims.json``, ``claims.md`` and the forest plot ``claims.png``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .grid import run_grid
from .protocols import protocol
from .records import record_path
from .spec import RunResult, RunSpec
from .stats import bootstrap_interval, holm, seeds_for_mde, summarize_pair, verdict

#: metric name -> (function of a RunResult, unit)
METRICS = {
    "test_accuracy": (lambda r: 100.0 * r.test_accuracy, "points"),
    "epoch1_train_loss": (lambda r: float(r.history["train_loss"][0]), "nats"),
    "log10_sign_flips": (lambda r: math.log10(max(r.sign_flips, 1)), "log10"),
}


@dataclass(frozen=True)
class Arm:
    """One side of a comparison: a method with optional RunSpec settings."""

    label: str
    method: str
    settings: tuple = ()               # ((name, value), ...): hashable RunSpec overrides


@dataclass(frozen=True)
class Claim:
    """``metric(A) - metric(B)`` has the sign ``direction`` (or lies within ``margin``)."""

    paper: str
    statement: str
    protocol: str
    dataset: str
    model: str
    a: Arm
    b: Arm
    metric: str = "test_accuracy"
    direction: int = 1
    margin: float | None = None        # an equivalence ("comparable") claim
    seeds: int = 10

    def arm_specs(self, arm: Arm, seeds: int, smoke: bool = False) -> list[RunSpec]:
        """The runs of one arm: protocol settings, the arm's settings, then smoke cuts."""
        extra = dict(arm.settings)
        if smoke:
            extra["epochs"] = 1
            if self.dataset == "fashion-mnist":
                extra["subset"] = 1000
        return [protocol(self.protocol).spec(arm.method, self.dataset, self.model, seed,
                                             **extra) for seed in range(seeds)]


def _ste(label="STE"):
    return Arm(label, "ste")


_AGS_SAD = Arm("AGS+SAD", "ste", (("ags", 0.04), ("sad", 0.01)))
_PCPP = "PC++ (BNN++)"

#: The claims table (the number of seeds per claim: docs/experiments.md, "Seeds").
CLAIMS: tuple[Claim, ...] = (
    Claim(_PCPP, "BNN++ >= BNN", "pcpp", "digits", "mlp",
          Arm("BNN++", "bnn++"), Arm("BNN", "bnn"), seeds=20),
    Claim(_PCPP, "BNN++ > STE", "pcpp", "digits", "mlp",
          Arm("BNN++", "bnn++"), _ste(), seeds=20),
    Claim(_PCPP, "BNN++ > clipped STE", "pcpp", "digits", "mlp",
          Arm("BNN++", "bnn++"), Arm("clipped STE", "clipped_ste"), seeds=20),
    Claim(_PCPP, "BNN++ >= BNN", "pcpp", "teacher-student", "mlp",
          Arm("BNN++", "bnn++"), Arm("BNN", "bnn"), seeds=20),
    Claim(_PCPP, "BNN++ >= BNN", "pcpp", "fashion-mnist", "mlp",
          Arm("BNN++", "bnn++"), Arm("BNN", "bnn"), seeds=8),
    Claim(_PCPP, "BNN++ > STE", "pcpp", "fashion-mnist", "mlp",
          Arm("BNN++", "bnn++"), _ste(), seeds=8),
    Claim(_PCPP, "BNN++ >= BNN", "pcpp", "fashion-mnist", "small-cnn",
          Arm("BNN++", "bnn++"), Arm("BNN", "bnn"), seeds=4),
    Claim("GFT", "GFT accuracy within 1 point of STE", "gft", "digits", "mlp",
          Arm("GFT", "gft"), Arm("STE", "gft-ste"), margin=1.0, seeds=20),
    Claim("GFT", "GFT flips fewer weights than STE", "gft", "digits", "mlp",
          Arm("GFT", "gft"), Arm("STE", "gft-ste"), metric="log10_sign_flips",
          direction=-1, seeds=20),
    Claim("GFT", "GFT accuracy within 1 point of STE", "gft", "teacher-student", "mlp",
          Arm("GFT", "gft"), Arm("STE", "gft-ste"), margin=1.0, seeds=20),
    Claim("OvSW", "AGS+SAD flips more weights than STE", "ovsw", "digits", "mlp",
          _AGS_SAD, _ste(), metric="log10_sign_flips", seeds=20),
    Claim("OvSW", "AGS+SAD > STE", "ovsw", "digits", "mlp", _AGS_SAD, _ste(), seeds=20),
    Claim("OvSW", "AGS+SAD > STE", "ovsw", "fashion-mnist", "mlp", _AGS_SAD, _ste(),
          seeds=8),
    Claim("FSG", "FSG epoch-1 training loss < STE", "fsg", "digits", "mlp",
          Arm("FSG", "fsg"), Arm("STE", "fsg-ste"), metric="epoch1_train_loss",
          direction=-1, seeds=20),
    Claim("FSG", "FSG > STE", "fsg", "digits", "mlp",
          Arm("FSG", "fsg"), Arm("STE", "fsg-ste"), seeds=20),
)
#: Seeds of every claim in the smoke grid (1 epoch, 1,000 Fashion-MNIST samples).
SMOKE_SEEDS = 3


@dataclass
class ClaimsPlan:
    """The claims with their seed counts and the distinct runs they need."""

    claims: Sequence[Claim]
    seeds: list[int]
    specs: list[RunSpec] = field(default_factory=list)
    smoke: bool = False


def plan(claims: Sequence[Claim] = CLAIMS, smoke: bool = False,
         seeds: int | None = None) -> ClaimsPlan:
    """The distinct runs of ``claims`` (an arm shared by two claims runs once).

    Examples
    --------
    >>> p = plan(smoke=True)
    >>> len(p.claims) == len(p.seeds), len(p.specs) < 2 * sum(p.seeds)
    (True, True)
    """
    counts = [seeds or (SMOKE_SEEDS if smoke else c.seeds) for c in claims]
    specs: dict[str, RunSpec] = {}
    for claim, n in zip(claims, counts):
        for arm in (claim.a, claim.b):
            for spec in claim.arm_specs(arm, n, smoke):
                specs.setdefault(spec.key(), spec)
    return ClaimsPlan(list(claims), counts, list(specs.values()), smoke)


#: The effect each unit's seed calculation aims at: half an accuracy point, a 12% ratio
#: of flip counts (0.05 in log10), 0.05 nats of training loss.
TARGETS = {"points": 0.5, "log10": 0.05, "nats": 0.05}


def _bootstrap(d: np.ndarray) -> tuple[float, float]:
    """BCa bootstrap 95% interval of the mean difference (percentile if BCa degenerates)."""
    try:
        return bootstrap_interval(d, 0.95, method="BCa", seed=0)
    except ValueError:
        return bootstrap_interval(d, 0.95, method="percentile", seed=0)


def evaluate(p: ClaimsPlan, results: Sequence[RunResult]) -> list[dict]:
    """One row per claim from the plan's results (in ``p.specs`` order).

    Each row holds the claim, the :class:`~.stats.PairedSummary` fields (paired
    t-interval; exact permutation test up to 16 seeds, Wilcoxon above), the BCa bootstrap
    95% interval (``bootstrap_low``, ``bootstrap_high``; reported, the verdict uses the
    t-interval: docs/evidence.md, "Confidence intervals"), the Holm-adjusted
    p over the table, the verdict, and ``seeds_for_target``: the seeds that would bring
    the MDE down to ``TARGETS[unit]`` at the observed sd of the differences.
    """
    by_key = {spec.key(): r for spec, r in zip(p.specs, results)}
    rows = []
    for claim, n in zip(p.claims, p.seeds):
        fn, unit = METRICS[claim.metric]
        target = TARGETS[unit]
        a = [fn(by_key[s.key()]) for s in claim.arm_specs(claim.a, n, p.smoke)]
        b = [fn(by_key[s.key()]) for s in claim.arm_specs(claim.b, n, p.smoke)]
        summary = summarize_pair(a, b, interval="t")
        boot = _bootstrap(np.subtract(a, b))
        try:
            needed = seeds_for_mde(summary.sd, target) if summary.sd > 0 else 2
        except ValueError:
            needed = None
        rows.append({"paper": claim.paper, "claim": claim.statement,
                     "protocol": claim.protocol, "dataset": claim.dataset,
                     "model": claim.model, "a": claim.a.label, "b": claim.b.label,
                     "metric": claim.metric, "unit": unit, "direction": claim.direction,
                     "margin": claim.margin, **summary.to_dict(),
                     "seeds_for_target": needed, "target": target,
                     "bootstrap_low": boot[0], "bootstrap_high": boot[1],
                     "values_a": a, "values_b": b})
    adjusted = holm([r["p_value"] for r in rows]) if rows else []
    for row, p_holm in zip(rows, adjusted):
        row["p_holm"] = float(p_holm)
        row["verdict"] = verdict(row, direction=row["direction"], margin=row["margin"])
    return rows


def run_claims(out: str, *, smoke: bool = False, seeds: int | None = None, jobs: int = 1,
               scheduler: str | None = None, progress: bool = True,
               claims: Sequence[Claim] = CLAIMS) -> list[dict]:
    """Run (or resume) the claims grid under ``out`` and write its table and plot.

    Writes ``out/claims.json`` (rows, runs, wall time), ``out/claims.md`` (the table the
    README includes) and ``out/claims.png`` (the forest plot); the runs' records go to
    ``out/runs/``, so the same call again resumes.

    Parameters
    ----------
    out : str
    smoke : bool
        The reduced grid: every claim with 3 seeds, 1 epoch, 1,000 Fashion-MNIST samples.
    seeds : int, optional
        Seeds per claim (default: each claim's own count).
    jobs, scheduler, progress
        As in :func:`bnncore.experiments.run_grid`.
    claims : sequence of Claim

    Returns
    -------
    list of dict
        One row per claim (see :func:`evaluate`).
    """
    import time

    from .report import write_claims

    p = plan(claims, smoke=smoke, seeds=seeds)
    stored = sum(record_path(out, spec).exists() for spec in p.specs)  # run_grid reads them
    start = time.perf_counter()
    results = run_grid(p.specs, out, jobs=jobs, scheduler=scheduler, progress=progress)
    rows = evaluate(p, results)
    write_claims(out, rows, p, results, seconds=time.perf_counter() - start, stored=stored)
    return rows
