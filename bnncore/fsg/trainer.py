"""``FSGTrainer``: look-ahead meta-training with fast and slow generated gradients.

shared/spec/fsg.md Sections 1 and 7. One iteration ``t >= 1`` of ``method="fsg"``:

1. zero the hypernet and task gradients;
2. generate ``cal = J(W)``, ``F = g_prev * fast_net(wpre_prev)``, ``S = slow_net(HGS)``,
   ``G = alpha*S + (1-alpha)*(cal*F)``, ``Wm = W - eta*G``;
3. look-ahead pass at ``Wm`` (in place, restored after): loss ``L_t``, ``g = dL_t/dwq``;
4. meta backward: ``delta = g*J(Wm)``, ``dL/dS = -eta*alpha*delta``,
   ``dL/dF = -eta*(1-alpha)*cal*delta``, into both hypernets and the LRE;
5. fast-net Adam, slow-net Adam;
6. persistent step: ``p.grad = G`` (or ``cal*F``), task optimizer step;
7. carry ``g_prev = g``, ``wpre_prev = wpre(Wm)``, push ``g`` into the HGS.

Iteration 0 is a warm-up that only measures ``g^0``. The baselines ``ste``, ``fc_grad`` and
``multifc`` (MetaQuant) share the loop.
"""

from __future__ import annotations

import time

import numpy as np
from tqdm import tqdm

from .._validation import check_int
from ..history import History
from ..losses import SoftmaxCrossEntropy
from ..optim import SGD, Adam
from ..train import check_dataset
from .component import float_dtype
from .hgs import HistoricalGradientStorage
from .lookahead import J, combine_backward, wpre
from .monitor import check_ste, diagnostics
from .nets import ElementwiseMLP, SlowNet
from .options import resolve_options

__all__ = ["FSGTrainer"]

_FSG_FAMILY = ("fsg", "fast_only", "slow_only")


class FSGTrainer:
    """Fast and Slow Gradient generation (FSG) for binary networks, and its baselines.

    Parameters
    ----------
    model : Layer
        The task model, trained in place (cast to ``dtype`` if needed). Its FSG-managed
        tensors are the Parameters with a quantizer, in ``model.parameters()`` order; each
        must use the ``ste`` pair.
    method : {"fsg", "fast_only", "slow_only", "ste", "fc_grad", "multifc"}
    alpha : float in [0, 1], optional
        Weight of the slow grad; None means 0.9 (fsg), 0 (fast_only), 1 (slow_only).
    history_length : int
        ``l``, gradients kept per tensor by the HGS.
    lre : bool
        Layer Recognition Embedding in the slow-net.
    layout : {"per_weight", "flat"}
        Slow-net sequences (``SlowNet``).
    persistent_update : {"combined", "fast"}
        ``p.grad = G`` (default; reconstructed: the paper's weighted sum, and the only choice
        that makes slow_only move the weights) or ``cal*F`` (released code).
    lr : float
        Task learning rate ``eta`` (Adam, or SGD with ``sgd_momentum``).
    task_optimizer : {"adam", "sgd"}
    sgd_momentum : float
    lr_step : int, optional
        Multiply ``eta`` by ``lr_gamma`` every ``lr_step`` epochs (counted over all ``fit``
        calls); None keeps it constant (reconstructed: 5-epoch runs never reach a decay).
    lr_gamma : float
    fast_lr, slow_lr, meta_lr : float
        Adam rates of the fast-net, the slow-net (with LRE) and the MetaQuant nets.
    fast_hidden : int
    fast_act : {"identity", "relu", "tanh"}
    d_state, d_conv, expand : int
        Slow-net block sizes.
    dtype : float32 or float64
    seed : int
        ``SeedSequence(seed).spawn(2)`` gives ``rng_init`` (hypernet initial values, in the
        order fast-net or MetaQuant net, slow-net block, LRE) and ``rng_data`` (shuffling)
        (reconstructed: bit-reproducible runs).
    backend : {"auto", "numba", "numpy"}
        Selective-scan implementation.
    max_scan_elements : int
        Slow-net guard (``SlowNet``).
    history, fast, slow, hyper_lr :
        The issue's spellings of ``history_length``, ``method`` (``fast``/``slow`` flags,
        None counts as True) and ``(fast_lr, slow_lr)``; they override a canonical argument
        left at its default, and two different explicit values raise ``ValueError``.

    Notes
    -----
    Reconstructed choices (shared/spec/fsg.md, each with its reason): non-binary Parameters
    (BatchNorm, biases) are used at their current values without look-ahead (the released
    code's bias look-ahead reuses an already applied gradient); the MetaQuant baselines
    store the applied step ``W_before - W_after`` as ``step_prev`` (identical for a constant
    ``eta``, and needs no optimizer internals); a non-finite task loss raises
    ``FloatingPointError`` naming the iteration (fail loudly rather than train on NaN).

    Attributes
    ----------
    iteration : int
        ``t``, the next iteration's index (0 means the next one is a warm-up).
    hgs : HistoricalGradientStorage
    fast_net, slow_net, meta_net : component or None
        The networks the method builds.

    Examples
    --------
    >>> import numpy as np
    >>> import bnncore as bc
    >>> from bnncore.fsg import FSGTrainer
    >>> Xtr, ytr, Xte, yte = bc.data.load_digits(test_size=0.2)
    >>> model = bc.layers.Sequential(
    ...     bc.layers.BinaryDense(64, 16, bias=False, rng=0), bc.layers.BatchNorm1d(16),
    ...     bc.layers.ReLU(), bc.layers.BinaryDense(16, 10, bias=False, rng=1),
    ...     bc.layers.BatchNorm1d(10))
    >>> trainer = FSGTrainer(model, history=3, alpha=0.5, expand=4, d_state=4, seed=0)
    >>> h = trainer.fit((Xtr[:256], ytr[:256]), epochs=2, batch_size=64, progress=False)
    >>> len(h.train_loss), trainer.iteration, trainer.hgs.count
    (2, 8, 3)
    """

    CODE_PRESET = dict(alpha=0.9, history_length=5, layout="flat", persistent_update="fast",
                       expand=100, d_state=16, d_conv=8, fast_hidden=100, fast_act="identity",
                       lr=1e-3)

    def __init__(self, model, *, method="fsg", alpha=None, history_length=5, lre=True,
                 layout="per_weight", persistent_update="combined", lr=1e-2,
                 task_optimizer="adam", sgd_momentum=0.9, lr_step=None, lr_gamma=0.1,
                 fast_lr=1e-2, slow_lr=1e-3, meta_lr=1e-3, fast_hidden=100,
                 fast_act="identity", d_state=16, d_conv=4, expand=16, dtype=np.float32,
                 seed=0, backend="auto", max_scan_elements=2 ** 26, history=None, fast=None,
                 slow=None, hyper_lr=None) -> None:
        args = dict(locals())
        del args["self"], args["model"], args["dtype"]
        self.dtype = float_dtype(dtype)
        o = resolve_options(args)
        self.options = o
        for key in ("method", "alpha", "history_length", "lre", "layout", "persistent_update",
                    "lr", "lr_step", "lr_gamma", "seed", "backend"):
            setattr(self, key, o[key])
        params = list(model.parameters())
        self.binary = [p for p in params if p.quantizer is not None]
        if not self.binary:
            raise ValueError("model has no quantized Parameter: FSG needs binary weights")
        if any(p.data.dtype != self.dtype for p in params):
            model.astype(self.dtype)
        for p in self.binary:
            check_ste(p, self.dtype)
        self.model = model
        self.loss = SoftmaxCrossEntropy()
        rng_init, self._rng_data = (np.random.default_rng(s)
                                    for s in np.random.SeedSequence(o["seed"]).spawn(2))
        m, dt = self.method, self.dtype
        self.fast_net = self.slow_net = self.meta_net = None
        if m in ("fsg", "fast_only"):
            self.fast_net = ElementwiseMLP(3, o["fast_hidden"], o["fast_act"], rng=rng_init,
                                           dtype=dt, name="fast")
        elif m == "fc_grad":
            self.meta_net = ElementwiseMLP(2, 100, "identity", rng=rng_init, dtype=dt,
                                           name="meta")
        elif m == "multifc":
            self.meta_net = ElementwiseMLP(3, o["fast_hidden"], o["fast_act"], rng=rng_init,
                                           dtype=dt, name="meta")
        if m in ("fsg", "slow_only"):
            self.slow_net = SlowNet(len(self.binary), d_state=o["d_state"], d_conv=o["d_conv"],
                                    expand=o["expand"], lre=o["lre"], layout=o["layout"],
                                    rng=rng_init, dtype=dt, backend=o["backend"],
                                    max_scan_elements=o["max_scan_elements"], name="slow")
        if o["task_optimizer"] == "sgd":
            self.task_optimizer = SGD(params, lr=o["lr"], momentum=o["sgd_momentum"])
        else:
            self.task_optimizer = Adam(params, lr=o["lr"])
        self.hyper_optimizers = [Adam(net.parameters(), lr=lr) for net, lr in (
            (self.fast_net, o["fast_lr"]), (self.slow_net, o["slow_lr"]),
            (self.meta_net, o["meta_lr"])) if net is not None]
        self.hgs = HistoricalGradientStorage([p.size for p in self.binary],
                                             self.history_length, dt)
        self.epochs_done = 0
        self.reset()

    # -- state -------------------------------------------------------------------------
    def reset(self) -> None:
        """Clear the HGS and the carried state; the next iteration is a warm-up.

        Parameters and optimizer states are kept.
        """
        self.hgs.reset()
        self.g_prev = self.wpre_prev = self.step_prev = None
        self._gen = None
        self.iteration = 0

    def hyper_parameters(self) -> list:
        """Every hypernet Parameter (fast-net, slow-net with LRE, MetaQuant net)."""
        return [p for net in (self.fast_net, self.slow_net, self.meta_net) if net is not None
                for p in net.parameters()]

    @property
    def generated(self) -> dict | None:
        """What the last ``generate`` computed: ``eta``, ``W``, ``cal``, ``Wm``, ``G`` and, for
        the FSG methods, ``F``, ``S``, ``calF`` (lists per tensor; None before any)."""
        if self._gen is None:
            return None
        return {k: v for k, v in self._gen.items() if not k.endswith("_cache")}

    @property
    def eta(self) -> float:
        """The task optimizer's current learning rate."""
        return self.task_optimizer.lr

    # -- Section 1.3: generation -------------------------------------------------------
    def generate(self) -> list[np.ndarray]:
        """The look-ahead latents ``Wm`` of this iteration (one per binary tensor).

        Keeps what ``meta_backward`` needs. Needs a previous gradient (``iteration >= 1``).
        """
        if self.g_prev is None:
            raise RuntimeError("generate needs g_prev: run the warm-up iteration first")
        eta, W = self.eta, [p.data.copy() for p in self.binary]
        cal = [J(w) for w in W]
        gen = {"eta": eta, "cal": cal, "W": W}
        if self.method == "ste":
            gen.update(Wm=[w.copy() for w in W], G=None)
        elif self.method in _FSG_FAMILY:
            a = self.alpha
            if self.fast_net is not None:
                f, gen["fast_cache"] = self._elementwise(self.fast_net, self.wpre_prev)
                F = [gp * fi.reshape(gp.shape) for gp, fi in zip(self.g_prev, f)]
            else:
                F = [np.zeros_like(w) for w in W]
            if self.slow_net is not None:
                views = [self.hgs.view(ell) for ell in range(len(W))]
                S, gen["slow_cache"] = self.slow_net.forward(views, return_cache=True)
                S = [s.reshape(w.shape) for s, w in zip(S, W)]
            else:
                S = [np.zeros_like(w) for w in W]
            calF = [c * f for c, f in zip(cal, F)]
            G = [a * s + (1 - a) * cf for s, cf in zip(S, calF)]
            gen.update(F=F, S=S, calF=calF, G=G, Wm=[w - eta * g for w, g in zip(W, G)])
        else:                                   # MetaQuant look-ahead
            if self.step_prev is None:          # t = 1: the warm-up's raw STE step
                self.step_prev = [eta * c * g for c, g in zip(cal, self.g_prev)]
            x = self.g_prev if self.method == "fc_grad" else self.wpre_prev
            out, gen["meta_cache"] = self._elementwise(self.meta_net, x)
            out = [o.reshape(w.shape) for o, w in zip(out, W)]
            G = out if self.method == "fc_grad" else [gp * o for gp, o in zip(self.g_prev, out)]
            gen.update(G=G, Wm=[w - s for w, s in zip(W, self.step_prev)])
        self._gen = gen
        return [wm.copy() for wm in gen["Wm"]]

    def _elementwise(self, net, arrays):
        """One batched call of an elementwise net on all rows of all tensors."""
        x = np.concatenate([a.reshape(-1, 1) for a in arrays]).astype(self.dtype, copy=False)
        out, cache = net.forward(x, return_cache=True)
        sizes = np.cumsum([a.size for a in arrays])[:-1]
        return np.split(out, sizes), cache

    # -- Section 1.4: the chain rule into the hypernets --------------------------------
    def meta_backward(self, grads_wq: list[np.ndarray]) -> None:
        """Backpropagate ``g = dL_t/dwq`` (measured at ``Wm``) into the hypernets.

        Accumulates into every hypernet ``Parameter.grad`` (the trainer zeroes them at the
        start of an iteration). Uses what the last ``generate`` kept.
        """
        gen = self._gen
        if gen is None:
            raise RuntimeError("meta_backward needs a preceding generate()")
        if len(grads_wq) != len(self.binary):
            raise ValueError(f"grads_wq must hold {len(self.binary)} arrays, got {len(grads_wq)}")
        g = []
        for ell, (gi, w) in enumerate(zip(grads_wq, gen["W"])):
            gi = np.asarray(gi)
            if gi.shape != w.shape:
                raise ValueError(f"grads_wq[{ell}] must have shape {w.shape}, got {gi.shape}")
            g.append(gi.astype(self.dtype, copy=False))
        eta, cal, Wm = gen["eta"], gen["cal"], gen["Wm"]
        if self.method in _FSG_FAMILY:
            dS, df = zip(*(combine_backward(gi, wm, c, gp, eta, self.alpha)
                           for gi, wm, c, gp in zip(g, Wm, cal, self.g_prev)))
            if self.fast_net is not None:
                self.fast_net.backward(np.concatenate(df), gen["fast_cache"])
            if self.slow_net is not None:
                self.slow_net.backward([d.reshape(-1) for d in dS], gen["slow_cache"])
        elif self.method in ("fc_grad", "multifc"):
            dG = [-eta * c * (gi * J(wm)) for gi, wm, c in zip(g, Wm, cal)]
            if self.method == "multifc":
                dG = [gp * d for gp, d in zip(self.g_prev, dG)]
            self.meta_net.backward(np.concatenate([d.reshape(-1, 1) for d in dG]),
                                   gen["meta_cache"])

    # -- one iteration -----------------------------------------------------------------
    def _task_pass(self, xb, yb) -> tuple[float, float]:
        out = self.model.forward(xb, training=True)
        value = self.loss.forward(out, yb)
        if not np.isfinite(value):
            return value, 0.0
        self.model.backward(self.loss.backward())
        return value, float(np.mean(out.argmax(axis=1) == yb))

    def _fail(self, value) -> None:
        raise FloatingPointError(f"non-finite task loss {value} at iteration {self.iteration}")

    def step(self, xb: np.ndarray, yb: np.ndarray) -> tuple[float, float, tuple | None]:
        """Run one iteration on a batch; returns ``(loss, accuracy, diagnostics or None)``."""
        for p in self.hyper_parameters():
            p.zero_grad()
        self.task_optimizer.zero_grad()
        if self.iteration == 0 and self.method != "ste":            # warm-up
            value, acc = self._task_pass(xb, yb)
            if not np.isfinite(value):
                self._fail(value)
            self._carry([p.grad.copy() for p in self.binary], [p.data for p in self.binary])
            return value, acc, None
        started = self.g_prev is not None and self.method != "ste"
        Wm = self.generate() if started else [p.data.copy() for p in self.binary]
        saved = [p.data.copy() for p in self.binary]
        for p, wm in zip(self.binary, Wm):
            p.data[...] = wm
        try:
            value, acc = self._task_pass(xb, yb)
            g = [p.grad.copy() for p in self.binary]
        finally:
            for p, w in zip(self.binary, saved):
                p.data[...] = w
        if not np.isfinite(value):
            self._fail(value)
        gen = self._gen if started else None
        if self.method == "ste":
            for p, gi in zip(self.binary, g):
                p.grad[...] = J(p.data) * gi
        else:
            self.meta_backward(g)
            for opt in self.hyper_optimizers:
                opt.step()
            if self.method in _FSG_FAMILY:
                new = gen["G"] if self.persistent_update == "combined" else gen["calF"]
            else:
                new = [c * G for c, G in zip(gen["cal"], gen["G"])]
            for p, v in zip(self.binary, new):
                p.grad[...] = v
        self.task_optimizer.step()
        if self.method in ("fc_grad", "multifc"):
            self.step_prev = [w - p.data for w, p in zip(saved, self.binary)]
        diag = (None if gen is None else
                diagnostics(gen, self.g_prev, self.alpha, self.method in _FSG_FAMILY))
        self._carry(g, Wm)
        return value, acc, diag

    def _carry(self, g, Wm) -> None:
        self.g_prev = g
        self.wpre_prev = [wpre(w) for w in Wm]
        self.hgs.push(g)
        self.iteration += 1

    # -- training loop -----------------------------------------------------------------
    def fit(self, train, val=None, *, epochs: int = 5, batch_size: int = 32,
            progress: bool = True) -> History:
        """Train for ``epochs`` epochs; returns a ``History`` like ``bnncore.fit``.

        Per epoch: ``train_loss`` and ``train_accuracy`` (means over the epoch's iterations,
        warm-up included), ``val_loss``/``val_accuracy`` with ``val``, ``seconds``, and
        ``fsg_slow_rms``, ``fsg_fast_rms``, ``fsg_align`` (means over iterations ``t >= 1``;
        reconstructed: they let a tutorial show what each net contributes). A second call
        continues from the current state.
        """
        X, y = check_dataset(train, "train", self.model)
        if val is not None:
            val = check_dataset(val, "val", self.model)
        epochs = check_int(epochs, "epochs", minimum=1)
        batch_size = check_int(batch_size, "batch_size", minimum=1)
        X = X.astype(self.dtype, copy=False)
        history, n = History(), X.shape[0]
        quantizers = getattr(self.model, "quantizers", lambda: [])()
        for epoch in range(epochs):
            for q in quantizers:
                q.on_epoch(epoch, epochs)
            lr = self.lr
            if self.lr_step is not None:
                lr = self.lr * self.lr_gamma ** (self.epochs_done // self.lr_step)
            self.task_optimizer.lr = lr
            start = time.perf_counter()
            order = self._rng_data.permutation(n)
            losses, accs, diags = [], [], []
            bar = tqdm(range(0, n, batch_size), desc=f"fsg epoch {epoch + 1}/{epochs}",
                       disable=not progress, leave=False)
            for lo in bar:
                idx = order[lo:lo + batch_size]
                value, acc, diag = self.step(X[idx], y[idx])
                losses.append(value)
                accs.append(acc)
                if diag is not None:
                    diags.append(diag)
                bar.set_postfix(loss=f"{value:.4f}")
            d = np.mean(diags, axis=0) if diags else np.zeros(3)
            record = {"epoch": epoch, "train_loss": float(np.mean(losses)),
                      "train_accuracy": float(np.mean(accs))}
            if val is not None:
                record["val_loss"], record["val_accuracy"] = self.evaluate(*val)
            record["seconds"] = time.perf_counter() - start
            record.update(fsg_slow_rms=float(d[0]), fsg_fast_rms=float(d[1]),
                          fsg_align=float(d[2]))
            history.record(**record)
            self.epochs_done += 1
        return history

    def evaluate(self, X, y, batch_size: int = 1024) -> tuple[float, float]:
        """``(mean cross-entropy, accuracy)`` with deploy weights ``sign(W)``, eval mode."""
        X, y = check_dataset((X, y), "data", self.model)
        X = X.astype(self.dtype, copy=False)
        out = np.concatenate([self.model.forward(X[i:i + batch_size], training=False)
                              for i in range(0, X.shape[0], batch_size)])
        return float(self.loss.forward(out, y)), float(np.mean(out.argmax(axis=1) == y))

    def __repr__(self) -> str:
        return (f"FSGTrainer(method={self.method!r}, alpha={self.alpha}, "
                f"history_length={self.history_length}, iteration={self.iteration})")

