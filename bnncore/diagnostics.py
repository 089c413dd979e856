"""``FlipTracker``: sign flips, silent weights and gradient/weight ratios of binarized weights.

A callback for ``fit`` (docs/ovsw.md, section "FlipTracker") that observes the latent weights of
every binarized layer after each optimizer step. A flip of weight ``i`` at step ``t`` means
that ``sign(w_i)`` after the step differs from ``sign(w_i)`` before it (``sign(0) = +1``,
``bnncore.flips.sign_flips``);
for binary-target pairs this is a flip of the deployed binary network. The tracker is
independent of SAD and runs on plain STE baselines too; its flip EMA follows SAD's rule,
so with ``init="zeros"`` for both, its EMA after step ``t`` equals SAD's at call ``t + 1``.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_int, check_positive
from .flips import check_init, check_momentum, select_targets, sign_flips, update_flip_ema
from .optim.ags import channel_ratios
from .params import Parameter


class FlipTracker:
    """Record per step and per binarized layer the sign flips and the silent weights.

    Parameters
    ----------
    params : model, sequence of Parameter, or None
        Anything with ``.parameters()`` (``FlipTracker(model)``) or a list of
        Parameters; the binarized weights among them are tracked
        (``bnncore.flips.is_binarized``). None: take them from the model ``fit`` passes
        to ``on_train_begin``.
    momentum, threshold, init
        The flip EMA and the silence rule, as in ``SAD`` (``s < threshold`` is silent).

    Attributes
    ----------
    steps, n_tracked : int
        Steps observed so far; number of tracked weights.
    flips_per_step, flip_ratio_per_step : list
        Per step, over all tracked weights: the number of flips, and flips / n_tracked.
    per_param_flips_per_step, silent_fraction_per_step : dict of str -> list
        Per parameter and step: flips; ``mean(ema < threshold)`` after the step.
    grad_ratio_per_step : dict of str -> list of numpy.ndarray
        Per parameter and step: ``channel_ratios(w, p.grad)`` with ``w`` before the step and
        ``p.grad`` as the step left it (after the transforms), float64 ``(out,)``.
    epoch_flip_ratio, epoch_silent_fraction, epoch_never_flipped_fraction : list of float
        Appended by ``end_epoch``: the mean per-step flip ratio of the epoch, and the silent
        and never-flipped fractions at its end. ``epoch_end_step`` holds ``steps`` there.
    flip_count, first_flip_step, ever_flipped, init_values, ema : dict of str -> ndarray
        Per weight: flips so far (int32), step of the first flip (int64, -1 if none),
        whether it ever flipped, the latent ``w_0`` at ``start``, the flip EMA (float64).

    Examples
    --------
    >>> import bnncore as bc
    >>> Xtr, ytr, _, _ = bc.data.load_digits()
    >>> model = bc.models.mlp("ste", rng=0)
    >>> tracker = FlipTracker(model)
    >>> opt = bc.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    >>> h = bc.fit(model, bc.losses.SoftmaxCrossEntropy(), opt, (Xtr, ytr), epochs=1,
    ...            callbacks=[tracker], progress=False)
    >>> tracker.steps, tracker.n_tracked, len(tracker.epoch_flip_ratio)
    (22, 65536, 1)
    >>> 0.0 <= tracker.never_flipped_fraction() <= 1.0
    True
    """

    def __init__(self, params=None, *, momentum: float = 0.999, threshold: float = 1e-4,
                 init: str = "zeros") -> None:
        self.params = params
        self.momentum = check_momentum(momentum)
        self.threshold = check_positive(threshold, "threshold")
        self.init = check_init(init)
        self._targets: list[tuple[str, Parameter]] | None = None

    # -- the callback protocol of fit ----------------------------------------------------
    def on_train_begin(self, model) -> None:
        self.start(model if self.params is None else self.params)

    def on_step_end(self, step: int) -> None:
        self.update()

    def on_epoch_end(self, epoch: int, history) -> None:
        self.end_epoch()

    # -- recording ---------------------------------------------------------------------
    def start(self, params_or_model) -> None:
        """Select the binarized weights, snapshot ``w_0`` and reset every record."""
        if hasattr(params_or_model, "parameters"):
            params = list(params_or_model.parameters())
        elif isinstance(params_or_model, Parameter):
            params = [params_or_model]
        else:
            params = list(params_or_model)
        for i, p in enumerate(params):
            if not isinstance(p, Parameter):
                raise TypeError(f"params[{i}] must be a Parameter, got {type(p).__name__}")
        self._targets = select_targets(params, None, "FlipTracker")
        names = [name for name, _ in self._targets]
        self.n_tracked = sum(p.size for _, p in self._targets)
        self.steps = 0
        self.flips_per_step: list[int] = []
        self.flip_ratio_per_step: list[float] = []
        self.per_param_flips_per_step = {n: [] for n in names}
        self.silent_fraction_per_step = {n: [] for n in names}
        self.grad_ratio_per_step = {n: [] for n in names}
        self.epoch_flip_ratio: list[float] = []
        self.epoch_silent_fraction: list[float] = []
        self.epoch_never_flipped_fraction: list[float] = []
        self.epoch_end_step: list[int] = []
        fill = 0.0 if self.init == "zeros" else 1.0
        self.init_values = {n: p.data.copy() for n, p in self._targets}
        self.flip_count = {n: np.zeros(p.shape, np.int32) for n, p in self._targets}
        self.first_flip_step = {n: np.full(p.shape, -1, np.int64) for n, p in self._targets}
        self.ever_flipped = {n: np.zeros(p.shape, bool) for n, p in self._targets}
        self.ema = {n: np.full(p.shape, fill, np.float64) for n, p in self._targets}
        self._prev = {n: p.data.copy() for n, p in self._targets}
        self._epoch_first_step = 0

    def _require_start(self, method: str) -> None:
        if self._targets is None:
            raise RuntimeError(f"FlipTracker.{method}() before start(): pass the tracker to "
                               f"fit(callbacks=[...]) or call start(model) first")

    def update(self) -> None:
        """Observe the weights after one optimizer step (and ``post_step``)."""
        self._require_start("update")
        for name, p in self._targets:
            if p.data.shape != self._prev[name].shape:
                raise ValueError(f"FlipTracker: parameter {name!r} changed shape from "
                                 f"{self._prev[name].shape} to {p.data.shape}")
        total = 0
        for name, p in self._targets:
            w, prev = p.data, self._prev[name]
            flips = sign_flips(prev, w)
            n = int(np.count_nonzero(flips))
            self.flip_count[name] += flips
            self.first_flip_step[name][flips & ~self.ever_flipped[name]] = self.steps
            self.ever_flipped[name] |= flips
            update_flip_ema(self.ema[name], flips, self.momentum)
            self.per_param_flips_per_step[name].append(n)
            self.silent_fraction_per_step[name].append(
                float(np.mean(self.ema[name] < self.threshold)))
            self.grad_ratio_per_step[name].append(channel_ratios(prev, p.grad))
            prev[...] = w
            total += n
        self.flips_per_step.append(total)
        self.flip_ratio_per_step.append(total / self.n_tracked)
        self.steps += 1

    def end_epoch(self) -> None:
        """Close the current epoch: append its mean flip ratio and end-of-epoch fractions."""
        self._require_start("end_epoch")
        ratios = self.flip_ratio_per_step[self._epoch_first_step:]
        self.epoch_flip_ratio.append(float(np.mean(ratios)) if ratios else float("nan"))
        self.epoch_silent_fraction.append(self.silent_fraction())
        self.epoch_never_flipped_fraction.append(self.never_flipped_fraction())
        self.epoch_end_step.append(self.steps)
        self._epoch_first_step = self.steps

    # -- queries -----------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        """Names of the tracked parameters (``select_targets`` naming rule)."""
        self._require_start("names")
        return [name for name, _ in self._targets]

    def _gather(self, table: dict, name: str | None) -> np.ndarray:
        if name is None:
            return np.concatenate([table[n].ravel() for n in self.names])
        if name not in table:
            raise KeyError(f"{name!r} is not tracked; tracked parameters: {self.names}")
        return table[name].ravel()

    def _current(self) -> dict[str, np.ndarray]:
        return {n: p.data for n, p in self._targets}

    def never_flipped_fraction(self, name: str | None = None) -> float:
        """``1 - mean(ever_flipped)`` for one parameter, or all together (``name=None``)."""
        self._require_start("never_flipped_fraction")
        return 1.0 - float(np.mean(self._gather(self.ever_flipped, name)))

    def silent_fraction(self, name: str | None = None) -> float:
        """``mean(ema < threshold)``: the fraction SAD's rule calls silent now."""
        self._require_start("silent_fraction")
        return float(np.mean(self._gather(self.ema, name) < self.threshold))

    def flip_count_histogram(self, name: str | None = None,
                             max_count: int | None = None) -> np.ndarray:
        """``counts[k]`` = number of weights that flipped exactly ``k`` times.

        A reconstructed definition (the paper's sign-flip histogram was not available;
        docs/ovsw.md, section "FlipTracker"). Length ``max(flip_count) + 1``; with
        ``max_count``, length ``max_count + 1`` and the last bin counts the weights with
        ``>= max_count`` flips.
        """
        self._require_start("flip_count_histogram")
        counts = self._gather(self.flip_count, name).astype(np.int64)
        if max_count is None:
            return np.bincount(counts, minlength=1)
        max_count = check_int(max_count, "max_count", minimum=1)
        return np.bincount(np.minimum(counts, max_count), minlength=max_count + 1)

    def weight_histogram(self, name: str | None = None, *, bins: int = 50, at: str = "init",
                         range: tuple[float, float] | None = None,
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Histogram of latent values, all weights and the never-flipped ones in the same bins.

        A reconstructed "where are the silent weights" plot (the paper's figure was not
        available; docs/ovsw.md, section "FlipTracker"): silent weights sit in the tails of
        the initial distribution.

        Parameters
        ----------
        name : str, optional
            One tracked parameter; None pools all of them.
        bins : int
            Number of bins (>= 1).
        at : {"init", "final"}
            Histogram ``w_0`` (at ``start``) or the current latent.
        range : (float, float), optional
            Bin range; default ``(min, max)`` of the chosen values.

        Returns
        -------
        edges, counts_all, counts_never_flipped : numpy.ndarray
        """
        self._require_start("weight_histogram")
        bins = check_int(bins, "bins", minimum=1)
        if at not in ("init", "final"):
            raise ValueError(f"at must be 'init' or 'final', got {at!r}")
        values = self._gather(self.init_values if at == "init" else self._current(), name)
        never = ~self._gather(self.ever_flipped, name)
        if range is None:
            range = (float(values.min()), float(values.max()))
        edges = np.histogram_bin_edges(values, bins=bins, range=range)
        return edges, np.histogram(values, edges)[0], np.histogram(values[never], edges)[0]

    def never_flipped_by_magnitude(self, name: str | None = None,
                                   n_bins: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Never-flipped fraction per quantile bin of ``|w_0|``.

        Check C2 of docs/ovsw.md, section "Checks on digits".

        Returns
        -------
        edges : numpy.ndarray
            ``n_bins + 1`` quantiles of ``|w_0|``.
        fractions : numpy.ndarray
            ``(n_bins,)`` never-flipped fraction per bin, smallest magnitudes first (NaN
            for a bin left empty by ties).
        """
        self._require_start("never_flipped_by_magnitude")
        n_bins = check_int(n_bins, "n_bins", minimum=1)
        magnitude = np.abs(self._gather(self.init_values, name)).astype(np.float64)
        never = ~self._gather(self.ever_flipped, name)
        edges = np.quantile(magnitude, np.linspace(0.0, 1.0, n_bins + 1))
        idx = np.clip(np.searchsorted(edges, magnitude, side="right") - 1, 0, n_bins - 1)
        totals = np.bincount(idx, minlength=n_bins)
        nevers = np.bincount(idx, weights=never, minlength=n_bins)
        with np.errstate(invalid="ignore", divide="ignore"):
            return edges, np.where(totals > 0, nevers / np.maximum(totals, 1), np.nan)

    def overall_silent_fraction_per_step(self) -> list[float]:
        """Silent fraction over all tracked weights after each step (size-weighted)."""
        self._require_start("overall_silent_fraction_per_step")
        sizes = {n: p.size for n, p in self._targets}
        per = np.array([np.asarray(self.silent_fraction_per_step[n]) * sizes[n]
                        for n in self.names])
        return (per.sum(axis=0) / self.n_tracked).tolist() if self.steps else []

    # -- export ------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """Every record as JSON-serialisable values (lists; NaN becomes None).

        Per-weight arrays are included as nested lists (``flip_count``,
        ``first_flip_step``); ``init_values`` and ``ema`` are not (use the attributes).
        """
        self._require_start("to_dict")
        names = self.names

        def clean(values):
            return [None if v != v else float(v) for v in values]

        return {
            "names": names, "steps": self.steps, "n_tracked": self.n_tracked,
            "momentum": self.momentum, "threshold": self.threshold, "init": self.init,
            "flips_per_step": list(self.flips_per_step),
            "flip_ratio_per_step": list(self.flip_ratio_per_step),
            "per_param_flips_per_step": {n: list(self.per_param_flips_per_step[n])
                                         for n in names},
            "silent_fraction_per_step": {n: list(self.silent_fraction_per_step[n])
                                         for n in names},
            "grad_ratio_per_step": {n: [r.tolist() for r in self.grad_ratio_per_step[n]]
                                    for n in names},
            "epoch_flip_ratio": clean(self.epoch_flip_ratio),
            "epoch_silent_fraction": list(self.epoch_silent_fraction),
            "epoch_never_flipped_fraction": list(self.epoch_never_flipped_fraction),
            "epoch_end_step": list(self.epoch_end_step),
            "never_flipped_fraction": self.never_flipped_fraction(),
            "silent_fraction": self.silent_fraction(),
            "flip_count_histogram": self.flip_count_histogram().tolist(),
            "flip_count": {n: self.flip_count[n].tolist() for n in names},
            "first_flip_step": {n: self.first_flip_step[n].tolist() for n in names},
        }

    def plot(self, title: str | None = None):
        """Four panels: flip ratio per step, silent/never-flipped fractions, the weight
        histogram at init (all vs never flipped), the flips-per-weight histogram.

        Returns a ``matplotlib.figure.Figure`` (built without pyplot; save it with
        ``fig.savefig(path)``).
        """
        self._require_start("plot")
        from matplotlib.figure import Figure

        fig = Figure(figsize=(11, 7.5), layout="constrained")
        (ax_ratio, ax_frac), (ax_hist, ax_count) = fig.subplots(2, 2)
        step = np.arange(1, self.steps + 1)
        ratio = np.asarray(self.flip_ratio_per_step)
        ax_ratio.semilogy(step[ratio > 0], ratio[ratio > 0], lw=0.8)
        ax_ratio.set(title="flip ratio per step", xlabel="step", ylabel="flips / weights")
        ax_frac.plot(step, self.overall_silent_fraction_per_step(), label="silent (EMA rule)")
        ax_frac.plot(self.epoch_end_step, self.epoch_never_flipped_fraction, "o-",
                     label="never flipped (epoch end)")
        ax_frac.set(title="silent weights", xlabel="step", ylabel="fraction", ylim=(0, 1.02))
        ax_frac.legend(loc="lower left")
        edges, counts_all, counts_never = self.weight_histogram(at="init")
        ax_hist.stairs(counts_all, edges, label="all")
        ax_hist.stairs(counts_never, edges, fill=True, alpha=0.5, label="never flipped")
        ax_hist.set(title="latent weights at init", xlabel="w_0", ylabel="count")
        ax_hist.legend()
        counts = self.flip_count_histogram(max_count=10)
        ax_count.bar(np.arange(counts.size), counts)
        ax_count.set_xticks(np.arange(counts.size),
                            [str(k) for k in range(counts.size - 1)] + [f">={counts.size - 1}"])
        ax_count.set(title="flips per weight", xlabel="number of flips", ylabel="weights")
        if title:
            fig.suptitle(title)
        return fig

    def __repr__(self) -> str:
        if self._targets is None:
            return "FlipTracker(not started)"
        return (f"FlipTracker(steps={self.steps}, n_tracked={self.n_tracked}, "
                f"never_flipped={self.never_flipped_fraction():.3f})")


__all__ = ["FlipTracker"]
