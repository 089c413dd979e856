"""The PC++ decomposition criterion (Corollary 1), checked numerically, with witnesses and plots.

docs/quantizers.md, section "Is a pair a PC++ pair? The checker". A pair ``(F, B)`` is a
PC++ pair when PC++ training with it is ProxConnect in disguise: some non-decreasing
proximal map ``P`` relates ``F`` and ``B``. Two readings of the (partly unavailable)
corollary are implemented, both reconstructed:

- ``criterion="factor"`` (default, Reading A): ``F = P o B`` on the latent domain;
- ``criterion="integral"`` (Reading B): ``B' > 0`` and ``F`` non-decreasing along
  ``Phi = integral of 1/B'``.

The numeric core is ``bnncore.quantizers.criteria``; this module adds the result objects,
argument handling and ``plot``.

Examples
--------
>>> from bnncore.quantizers import get
>>> result = check(get("bnn+"))
>>> result.ok, result.diagnostics["B_prime_nonnegative"]
(True, False)
>>> check(get("bnn+"), criterion="integral").conditions["multiplier_positive"]
False
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bnncore.quantizers.criteria import Violation, evaluate, run

__all__ = ["DecompositionResult", "Violation", "check", "plot"]


@dataclass(frozen=True)
class DecompositionResult:
    """The verdict of ``check``: truthy iff every condition of the criterion holds.

    Attributes
    ----------
    ok : bool
        ``all(conditions.values())``.
    criterion : str
        ``"factor"`` or ``"integral"``.
    pair_name : str
    domain : tuple of float
    n_points : int
        Number of distinct sample points.
    conditions : dict of str to bool
        factor: ``finite``, ``F_function_of_B``, ``P_nondecreasing``; integral: ``finite``,
        ``multiplier_positive``, ``F_nondecreasing_along_Phi``.
    diagnostics : dict of str to bool
        Informational (never affect ``ok``): ``B_prime_nonnegative``, ``F_nondecreasing``,
        ``dB_consistent``.
    violations : list of Violation
        Largest first (ties by x), at most ``max_witnesses``.
    n_violations : int
        Total before truncation.
    max_violation : float
        0.0 iff there is no violation.
    witness : dict of str to ndarray
        factor: the reconstructed ``P`` as ``u`` (values of ``B``) and ``p``; integral:
        ``x``, ``phi`` and ``p``.
    notes : list of str
        One sentence per failed diagnostic, with the x-intervals where it fails.
    """

    ok: bool
    criterion: str
    pair_name: str
    domain: tuple[float, float]
    n_points: int
    conditions: dict[str, bool]
    diagnostics: dict[str, bool]
    violations: list[Violation]
    n_violations: int
    max_violation: float
    witness: dict[str, np.ndarray] = field(repr=False)
    notes: list[str]

    def __bool__(self) -> bool:
        return self.ok

    def summary(self) -> str:
        """One line: name, criterion, domain, PASS/FAIL and the first violation."""
        lo, hi = self.domain
        line = (f"{self.pair_name}: {self.criterion} on [{lo:g}, {hi:g}]: "
                f"{'PASS' if self.ok else 'FAIL'}")
        if self.violations:
            line += f" ({self.n_violations} violations; first: {self.violations[0].message})"
        return line


def check(pair, grid=None, n_random: int = 10_000, rng=None, tol: float = 1e-9, *,
          criterion: str = "factor", domain=None, max_witnesses: int = 50
          ) -> DecompositionResult:
    """Check the PC++ decomposition criterion of ``pair`` on sampled points.

    This criterion is reconstructed: only the first line of the PC++ paper's Corollary 1
    was available; the two readings (``factor``, ``integral``) are the stand-ins described in
    docs/quantizers.md, section "Is a pair a PC++ pair? The checker".

    Parameters
    ----------
    pair : QuantizerPair or object
        Anything with callables ``forward``, ``B``, ``dB`` and (optional, with defaults)
        ``knots=()``, ``latent_domain=None``, ``elementwise=True``, ``name="custom"``.
    grid : array_like, optional
        1-D finite points (>= 2); then the domain is ``[grid.min(), grid.max()]``. Default:
        ``linspace(lo, hi, 20001)``.
    n_random : int
        Extra uniform points (>= 0).
    rng : None, int or numpy.random.Generator
        Draws the random points; None means seed 0 (deterministic).
    tol : float
        Relative tolerance (finite, > 0) on ``F`` and ``B'``.
    criterion : {"factor", "integral"}
    domain : (float, float), optional
        Default: ``pair.latent_domain``, else ``(-3, 3)``.
    max_witnesses : int
        Violations kept in the result (>= 1).

    Returns
    -------
    DecompositionResult

    Raises
    ------
    ValueError
        On a non-elementwise pair (message says "elementwise") or a bad argument.

    Examples
    --------
    >>> from bnncore.quantizers import QuantizerPair, get
    >>> check(get("clipped_ste"), criterion="integral").summary()[:44]
    'clipped_ste: integral on [-3, 3]: FAIL (2 vi'
    >>> bad = QuantizerPair.from_functions(lambda x: -np.sign(x), lambda x: x, validate=False)
    >>> r = check(bad)
    >>> r.ok, r.violations[0].condition
    (False, 'P_nondecreasing')
    """
    return DecompositionResult(**run(pair, criterion=criterion, domain=domain, grid=grid,
                                     n_random=n_random, rng=rng, tol=tol,
                                     max_witnesses=max_witnesses))


def plot(pair, *, criterion: str = "factor", domain=None, ax=None):
    """``F`` and ``B``, ``B'``, and the implied ``P`` on three panels; witnesses as red x.

    Both x values of every kept violation (``x`` and ``x_other``) are marked.

    Parameters
    ----------
    pair : QuantizerPair or object
        As for ``check``.
    criterion : {"factor", "integral"}
        Which implied ``P`` to draw: ``u -> p`` (factor) or ``Phi -> p`` (integral).
    domain : (float, float), optional
    ax : sequence of 3 matplotlib Axes, optional
        Draw into these; default: a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from bnncore.quantizers import get
    >>> len(plot(get("bnn++")).axes)
    3
    """
    from matplotlib.figure import Figure

    result = check(pair, criterion=criterion, domain=domain, n_random=0)
    lo, hi = result.domain
    x = np.linspace(lo, hi, 2001)
    f, b, d = evaluate(pair, x)
    if ax is None:
        fig = Figure(figsize=(12, 3.6), layout="constrained")
        axes = fig.subplots(1, 3)
    else:
        axes = list(ax)
        if len(axes) != 3:
            raise ValueError(f"ax must hold 3 Axes, got {len(axes)}")
        fig = axes[0].figure
    a0, a1, a2 = axes
    a0.plot(x, f, label="F (forward)")
    a0.plot(x, b, "--", label="B (backward)")
    a1.plot(x, d, color="C2", label="B'")
    a1.axhline(0.0, color="0.6", lw=0.8)
    w = result.witness
    if result.criterion == "factor":
        a2.plot(w["u"], w["p"], ".", ms=1.5, color="C3")
        a2.set_xlabel("u = B(x)")
    else:
        a2.plot(w["phi"], w["p"], ".", ms=1.5, color="C3")
        a2.set_xlabel("Phi(x)")
    a2.set_ylabel("p = P(u)")
    if result.violations:
        vx = np.array([v.x for v in result.violations] +
                      [v.x_other for v in result.violations if v.x_other is not None])
        vf, vb, vd = evaluate(pair, vx)
        a0.plot(vx, vf, "x", color="red", label="violation")
        a1.plot(vx, vd, "x", color="red")
        if result.criterion == "factor":
            a2.plot(vb, vf, "x", color="red")
    a0.set_xlabel("x (latent)")
    a1.set_xlabel("x (latent)")
    a0.legend(fontsize=8)
    a1.legend(fontsize=8)
    verdict = "PASS" if result.ok else "FAIL"
    a0.set_title(f"{result.pair_name}: F and B")
    a1.set_title("B' (gradient multiplier)")
    a2.set_title(f"implied P ({result.criterion}: {verdict})")
    return fig
