"""Optimality gap: how far heuristic BNN trainers land from the exact optimum.

On one small instance (a single binary neuron), each heuristic trainer of ``bnncore`` is
run from several seeds and its training errors are compared with the exact minimum
(brute force for ``n <= 20``, RC2 MaxSAT above). The exact value is a lower bound, so a
negative gap would be a bug (docs/theory.md, section "6. The optimality gap"). Sign flips
are counted by ``bnncore.flips``.

Trainers (docs/theory.md, section "6. The optimality gap"): ``"ste"``, ``"bnn++"`` and
``"gft"``. A trainer whose implementation is not importable raises ``ValueError`` listing
the available ones.

Examples
--------
>>> from theory.sat import random_instance
>>> X, y = random_instance(11, 1.0, "random", seed=0)
>>> recs = optimality_gap(X, y, trainers=("ste",), seeds=(0, 1), epochs=50)
>>> all(r.gap_best >= 0 and r.errors_best <= r.errors_final for r in recs)
True
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bnncore.flips import sign_flips
from theory.sat import brute_force, max_accuracy, random_instance, solve
from theory.sat.instances import as_instance

TRAINERS = ("gft", "ste", "bnn++")
EXACT = ("auto", "brute", "maxsat", "both")


@dataclass(frozen=True)
class GapRecord:
    """One (instance, trainer, seed) run against the exact optimum."""

    n: int
    m: int
    alpha: float
    rep: int
    exact_errors: int | None
    exact_method: str
    exact_status: str
    heuristic: str
    errors_final: int
    errors_best: int
    gap_final: int | None
    gap_best: int | None
    updates: int
    seconds: float


def _gft_classes():
    from bnncore.gft import FullyBinaryMLP, GFTTrainer

    return FullyBinaryMLP, GFTTrainer


def _unavailable(name: str) -> str | None:
    """Why trainer ``name`` cannot run here, or ``None`` if it can."""
    try:
        if name == "gft":
            _gft_classes()
        elif name == "bnn++":
            from bnncore import quantizers

            quantizers.get("bnn++")
    except (ImportError, KeyError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def available_trainers() -> tuple[str, ...]:
    """The trainers whose ``bnncore`` implementation is importable now."""
    return tuple(t for t in TRAINERS if _unavailable(t) is None)


def check_trainers(trainers: Sequence[str]) -> tuple[str, ...]:
    """Validate trainer names (before any work); ``ValueError`` lists the available ones."""
    if isinstance(trainers, str):
        trainers = (trainers,)
    trainers = tuple(trainers)
    if not trainers:
        raise ValueError(f"trainers must name at least one of {list(TRAINERS)}")
    for t in trainers:
        if t not in TRAINERS:
            raise ValueError(f"unknown trainer {t!r}; trainers are {list(TRAINERS)} "
                             f"(available now: {list(available_trainers())})")
        why = _unavailable(t)
        if why is not None:
            raise ValueError(f"trainer {t!r} is not available in this bnncore ({why}); "
                             f"available trainers: {list(available_trainers())}")
    return trainers


def _errors(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> int:
    return int((np.where(X @ w >= 0, 1, -1) != y).sum())


def _latent_perceptron(X, y, seed, epochs, lr, pair_name):
    """STE / BNN++ on one neuron: hinge loss on ``s = X F(u) / sqrt(n)``, Adam, clip."""
    from bnncore.layers import BinaryDense
    from bnncore.optim import Adam

    X, y = np.asarray(X, np.int64), np.asarray(y, np.int64)
    m, n = X.shape
    layer = BinaryDense(n, 1, bias=False, weight_quantizer=pair_name, rng=seed)
    layer.weight.data = np.random.default_rng(seed).uniform(-1, 1, (1, n))   # u ~ U(-1, 1)^n
    layer.weight.grad = np.zeros_like(layer.weight.data)
    pair, opt = layer.weight.quantizer, Adam(layer.parameters(), lr=lr)
    Xf, yf, root = X.astype(np.float64), y.astype(np.float64), np.sqrt(n)
    w = np.where(layer.weight.data[0] >= 0, 1, -1)
    best, w_best, updates = m + 1, w, 0
    for e in range(epochs):
        pair.on_epoch(e, epochs)                    # annealing (bnn++'s beta); no-op for bnn
        opt.zero_grad()
        s = layer.forward(Xf, training=True)[:, 0] / root
        ds = -yf * (yf * s < 1) / m                  # d mean(max(0, 1 - y s)) / ds
        layer.backward((ds / root)[:, None])         # g_u = B'(u) * X^T ds / sqrt(n)
        before = layer.weight.data.copy()
        opt.step()                                   # Adam, then the pair's post_step
        np.clip(layer.weight.data, -1, 1, out=layer.weight.data)
        updates += int(sign_flips(before, layer.weight.data).sum())
        w = np.where(layer.weight.data[0] >= 0, 1, -1)
        err = _errors(X, y, w)
        if err < best:
            best, w_best = err, w
    return w.astype(np.int8), w_best.astype(np.int8), updates


def ste_perceptron(X, y, seed: int, *, epochs: int = 200,
                   lr: float = 0.01) -> tuple[np.ndarray, np.ndarray, int]:
    """Latent-weight STE (clipped, the ``bnn`` pair): ``(w_final, w_best, flips)``.

    Examples
    --------
    >>> X = np.array([[1, 1, -1], [-1, 1, 1], [1, -1, 1]]); y = np.array([1, -1, 1])
    >>> w_final, w_best, flips = ste_perceptron(X, y, seed=0, epochs=30)
    >>> int((np.where(X @ w_best >= 0, 1, -1) != y).sum())
    0
    """
    return _latent_perceptron(X, y, seed, epochs, lr, "bnn")


def bnnpp_perceptron(X, y, seed: int, *, epochs: int = 200,
                     lr: float = 0.01) -> tuple[np.ndarray, np.ndarray, int]:
    """The STE loop with the ``bnn++`` pair (SignSwish forward and backward, annealed)."""
    return _latent_perceptron(X, y, seed, epochs, lr, "bnn++")


def gft_perceptron(X, y, seed: int, *, epochs: int = 200, k0: int = 1,
                   margin: int = 0) -> tuple[np.ndarray, np.ndarray, int]:
    """GFT on one binary neuron, full batch: ``(w_final, w_best, flips)``.

    ``FullyBinaryMLP((n, 1), output="binary", rng=seed)`` trained by
    ``GFTTrainer(k0=k0, k_min=0, margin=margin, rng=seed + 1)``; after each epoch the
    errors are counted and the first weights reaching the minimum are kept.
    """
    FullyBinaryMLP, GFTTrainer = _gft_classes()
    X, y = np.asarray(X, np.int64), np.asarray(y, np.int64)
    m, n = X.shape
    model = FullyBinaryMLP((n, 1), output="binary", rng=seed)
    trainer = GFTTrainer(model, k0=k0, k_min=0, margin=margin, rng=seed + 1)
    seen = {"best": m + 1, "w_best": None}

    class _Best:
        def on_epoch_end(self, epoch, history):
            w = model.weights[0][0].astype(np.int64)
            err = _errors(X, y, w)
            if err < seen["best"]:
                seen["best"], seen["w_best"] = err, w.copy()

    trainer.fit((X.astype(np.int8), y.astype(np.int8)), epochs=epochs, batch_size=m,
                progress=False, callbacks=[_Best()])
    w_final = model.weights[0][0].astype(np.int8)
    w_best = w_final if seen["w_best"] is None else seen["w_best"].astype(np.int8)
    return w_final, w_best, int(trainer.total_flips)


_RUNNERS = {"ste": ste_perceptron, "bnn++": bnnpp_perceptron}


def _exact(inst, exact: str, time_limit: float) -> tuple[int | None, str, str]:
    use_brute = exact in ("brute", "both") or (exact == "auto" and inst.n <= 20)
    # "auto" uses brute force only for n <= 20; an explicit "brute"/"both" allows n <= 24
    brute = brute_force(inst, max_n=24).min_errors if use_brute else None
    if exact == "brute" or (exact == "auto" and use_brute):
        return brute, "brute", "optimal"
    res = max_accuracy(inst, time_limit=time_limit)
    if exact == "both" and res.n_errors != brute:
        raise RuntimeError(f"exact references disagree: brute force {brute} errors, "
                           f"MaxSAT {res.n_errors} ({res.status})")
    return res.n_errors, "maxsat", res.status


def optimality_gap(X, y, trainers: Sequence[str] = ("ste", "bnn++", "gft"),
                   seeds: Sequence[int] = (0, 1, 2), *, epochs: int = 200,
                   exact: str = "auto", time_limit: float = 30.0,
                   rep: int | None = None) -> list[GapRecord]:
    """Train each heuristic on ``(X, y)`` (±1, one binary neuron, sign(0) = +1) and compare
    its training errors with the exact minimum.

    Parameters
    ----------
    X : array_like (m, n) of ±1
    y : array_like (m,) of ±1
    trainers : sequence of str
        Any of ``"ste"``, ``"bnn++"``, ``"gft"``.
    seeds : sequence of int
        One run per trainer and seed; ``rep`` of the record is the seed's index.
    epochs : int
        Full-batch epochs per run.
    exact : {"auto", "brute", "maxsat", "both"}
        ``"auto"``: brute force for ``n <= 20``, else RC2 MaxSAT with ``time_limit``;
        ``"both"`` raises ``RuntimeError`` if they disagree.
    time_limit : float
        Seconds for MaxSAT; an ``"unknown"`` optimum leaves the gaps ``None``.
    rep : int, optional
        Record this value as ``rep`` for every run (used by ``optimality_gap_grid``).

    Returns
    -------
    list of GapRecord
        One per (trainer, seed): ``errors_final``, ``errors_best`` (best-seen weights),
        ``gap_* = errors_* - exact_errors``, ``updates`` (visible sign flips).
    """
    trainers = check_trainers(trainers)
    if exact not in EXACT:
        raise ValueError(f"exact must be one of {list(EXACT)}, got {exact!r}")
    inst = as_instance(X, y)
    opt, method, status = _exact(inst, exact, time_limit)
    records = []
    for name in trainers:
        run = gft_perceptron if name == "gft" else _RUNNERS[name]
        for idx, seed in enumerate(seeds):
            start = time.perf_counter()
            w_final, w_best, updates = run(inst.X, inst.y, int(seed), epochs=epochs)
            seconds = time.perf_counter() - start
            e_final, e_best = _errors(inst.X, inst.y, w_final), _errors(inst.X, inst.y, w_best)
            known = opt is not None and status == "optimal"
            records.append(GapRecord(
                inst.n, inst.m, inst.alpha, idx if rep is None else rep,
                opt if known else None, method, status, name, e_final, e_best,
                e_final - opt if known else None, e_best - opt if known else None,
                updates, seconds))
    return records


def optimality_gap_grid(n_values: Sequence[int] = (11, 15),
                        alphas: Sequence[float] = (0.6, 1.0, 2.0), reps: int = 5,
                        seed: int = 0, trainers: Sequence[str] = ("gft", "ste"),
                        exact: str = "auto", time_limit: float = 30.0,
                        epochs: int = 200) -> list[GapRecord]:
    """``optimality_gap`` on random-label instances ``default_rng([seed, n, 1000 alpha,
    rep, 1])``, each trainer run with ``seeds=(seed,)``.

    Examples
    --------
    >>> recs = optimality_gap_grid((9,), (0.6,), reps=2, trainers=("ste",), epochs=20)
    >>> [(r.n, r.m, r.rep, r.heuristic) for r in recs]
    [(9, 5, 0, 'ste'), (9, 5, 1, 'ste')]
    """
    trainers = check_trainers(trainers)
    records = []
    for n in n_values:
        for alpha in alphas:
            for r in range(reps):
                inst = random_instance(n, alpha, "random", [seed, n, round(alpha * 1000), r, 1])
                records += optimality_gap(inst.X, inst.y, trainers, (seed,), epochs=epochs,
                                          exact=exact, time_limit=time_limit, rep=r)
    return records


def summarize_gap(records: Sequence[GapRecord]) -> list[dict]:
    """Means per ``(n, m, heuristic)``: optimum, errors, gaps, how often the optimum is hit.

    Examples
    --------
    >>> recs = optimality_gap_grid((9,), (0.6,), reps=2, trainers=("ste",), epochs=20)
    >>> row = summarize_gap(recs)[0]
    >>> row["heuristic"], row["runs"], 0.0 <= row["frac_optimal_best"] <= 1.0
    ('ste', 2, True)
    """
    groups: dict[tuple, list[GapRecord]] = {}
    for r in records:
        groups.setdefault((r.n, r.m, r.heuristic), []).append(r)
    rows = []
    for (n, m, name), rs in sorted(groups.items()):
        known = [r for r in rs if r.gap_best is not None]

        def mean(values):
            return float(np.mean(values)) if values else None

        rows.append({"n": n, "m": m, "heuristic": name, "runs": len(rs),
                     "exact_errors": mean([r.exact_errors for r in known]),
                     "errors_best": mean([r.errors_best for r in rs]),
                     "errors_final": mean([r.errors_final for r in rs]),
                     "gap_best": mean([r.gap_best for r in known]),
                     "gap_final": mean([r.gap_final for r in known]),
                     "frac_optimal_best": mean([float(r.gap_best == 0) for r in known]),
                     "updates": mean([r.updates for r in rs])})
    return rows


def gap_table(records: Sequence[GapRecord]) -> str:
    """The summary as a fixed-width text table (errors are means over runs).

    Examples
    --------
    >>> recs = optimality_gap_grid((9,), (0.6,), reps=1, trainers=("ste",), epochs=20)
    >>> gap_table(recs).splitlines()[0].split()[:4]
    ['n', 'm', 'trainer', 'runs']
    """
    head = (f"{'n':>3} {'m':>3} {'trainer':<7} {'runs':>4} {'optimum':>7} {'best':>6} "
            f"{'final':>6} {'gap_best':>8} {'gap_final':>9} {'hit_opt':>7}")
    lines = [head]

    def fmt(x, width):
        return f"{'-':>{width}}" if x is None else f"{x:>{width}.2f}"

    for r in summarize_gap(records):
        lines.append(f"{r['n']:>3} {r['m']:>3} {r['heuristic']:<7} {r['runs']:>4} "
                     f"{fmt(r['exact_errors'], 7)} {fmt(r['errors_best'], 6)} "
                     f"{fmt(r['errors_final'], 6)} {fmt(r['gap_best'], 8)} "
                     f"{fmt(r['gap_final'], 9)} {fmt(r['frac_optimal_best'], 7)}")
    return "\n".join(lines)


def plot_gap(records: Sequence[GapRecord], ax=None):
    """Training accuracy per trainer (final bars, best-seen markers) vs the exact optimum
    (black bars), one group per instance size ``(n, m)``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    rows = summarize_gap(records)
    sizes = sorted({(r["n"], r["m"]) for r in rows})
    names = [t for t in TRAINERS if any(r["heuristic"] == t for r in rows)]
    width = 0.8 / (len(names) + 1)
    for gi, (n, m) in enumerate(sizes):
        group = {r["heuristic"]: r for r in rows if (r["n"], r["m"]) == (n, m)}
        opt = next((r["exact_errors"] for r in group.values() if r["exact_errors"] is not None),
                   None)
        if opt is not None:
            ax.bar(gi, 1 - opt / m, width, color="black",
                   label="exact optimum" if gi == 0 else None)
        for ti, name in enumerate(names):
            if name not in group:
                continue
            x = gi + (ti + 1) * width
            bar = ax.bar(x, 1 - group[name]["errors_final"] / m, width, alpha=0.6,
                         color=f"C{ti}", label=f"{name} (final)" if gi == 0 else None)
            ax.plot([x], [1 - group[name]["errors_best"] / m], "v",
                    color=bar.patches[0].get_facecolor(), markersize=7,
                    label=f"{name} (best seen)" if gi == 0 else None)
    ax.set_xticks([gi + 0.4 - width / 2 for gi in range(len(sizes))],
                  [f"n={n}, m={m}" for n, m in sizes])
    ax.set_ylabel("training accuracy (mean over runs)")
    ax.set_ylim(0.5, 1.16)
    ax.set_title("heuristic trainers vs the exact optimum (one binary neuron)")
    ax.legend(fontsize=7, loc="upper center", ncol=4)
    return ax


def parity_gap(H_values: Sequence[int] = (3, 5, 9), seeds: int = 20,
               epochs: int = 300) -> list[dict]:
    """3-bit parity with ``H`` hidden units: exact status (SAT at ``H = 3``) vs GFT successes.

    Needs ``bnncore.gft``; raises ``ValueError`` listing the available trainers otherwise.
    """
    import itertools

    check_trainers(("gft",))
    FullyBinaryMLP, GFTTrainer = _gft_classes()
    X = np.array(list(itertools.product([-1, 1], repeat=3)), dtype=np.int64)
    y = X.prod(axis=1)
    rows = []
    for H in H_values:
        status = solve(X, y, hidden=H, output="weights").status
        successes = 0
        for s in range(seeds):
            model = FullyBinaryMLP((3, H, 1), output="binary", rng=s)
            trainer = GFTTrainer(model, k0=1, k_min=0, margin=0, rng=s + 1)
            history = trainer.fit((X.astype(np.int8), y.astype(np.int8)), epochs=epochs,
                                  batch_size=len(X), progress=False)
            successes += int(max(history.train_accuracy) >= 1.0)
        rows.append({"H": H, "exact_status": status, "gft_successes": successes,
                     "seeds": seeds})
    return rows
