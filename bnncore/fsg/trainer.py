"""``FSGTrainer``: look-ahead meta-training with fast and slow generated gradients.

One iteration ``t >= 1`` generates ``G`` from the fast-net and the slow-net, measures the task
gradient at the look-ahead weight ``Wm = W - eta*G``, backpropagates it into both hypernets
and steps the latent weights with ``G``, in the order of docs/fsg.md, section "One training
iteration"; iteration 0 is a warm-up that only measures ``g^0``. The baselines ``ste``,
``fc_grad`` and ``multifc`` (MetaQuant) share the iteration. The epoch loop is
``bnncore.train.Trainer.fit``; the settings are checked by ``monitor.check_settings``.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_int
from ..flips import is_binarized
from ..losses import Loss
from ..optim import SGD, Adam
from ..train import Trainer, check_dataset, predict
from .component import float_dtype
from .hgs import HistoricalGradientStorage
from .lookahead import J, combine_backward, wpre
from .monitor import FSG_FAMILY, check_settings, check_ste, diagnostics
from .nets import ElementwiseMLP, SlowNet

__all__ = ["FSGTrainer"]


class FSGTrainer(Trainer):
    """Fast and Slow Gradient generation (FSG) for binary networks, and its baselines.

    ``__init__`` only stores and checks the settings. The first ``fit`` (or ``build``)
    casts the model to ``dtype``, builds the hypernets, the optimizers and the HGS; a
    later ``fit`` continues from the current state.

    Parameters
    ----------
    model : Layer
        The task model, trained in place. Its FSG-managed tensors are its binarized
        weights (``bnncore.flips.is_binarized``), in ``model.parameters()`` order; each must
        use the ``ste`` pair, and no other Parameter may have a quantizer.
    loss : Loss
        The task loss, e.g. ``SoftmaxCrossEntropy()``; also what ``evaluate`` reports.
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
    lr_step, lr_gamma : int or None, float
        Multiply ``eta`` by ``lr_gamma`` every ``lr_step`` epochs (counted over all ``fit``
        calls); None keeps it constant (reconstructed: 5-epoch runs never reach a decay).
    fast_lr, slow_lr, meta_lr : float
        Adam rates of the fast-net, the slow-net (with LRE) and the MetaQuant nets.
    fast_hidden : int
    fast_act : {"identity", "relu", "tanh"}
    d_state, d_conv, expand : int
        Slow-net block sizes.
    dtype : float32 or float64
    backend : {"auto", "numba", "numpy"}
        Selective-scan implementation.
    max_scan_elements : int
        Slow-net guard (``SlowNet``).

    Notes
    -----
    Reconstructed choices (docs/fsg.md, section "Reconstructed choices", each with its
    reason): ``fit(seed=s)`` splits ``SeedSequence(s).spawn(2)`` into ``rng_init``
    (hypernet initial values, in the order fast-net or MetaQuant net, slow-net block, LRE;
    drawn on the first ``fit``) and ``rng_data`` (the batch order of that ``fit``)
    (bit-reproducible runs); non-binary Parameters (BatchNorm, biases) are used at their
    current values without look-ahead (the released code's bias look-ahead reuses an
    already applied gradient); the MetaQuant baselines store the applied step
    ``W_before - W_after`` as ``step_prev`` (identical for a constant ``eta``, and needs no
    optimizer internals); a non-finite task loss raises ``FloatingPointError`` naming the
    iteration (fail loudly rather than train on NaN).

    Attributes
    ----------
    iteration : int
        ``t``, the next iteration's index (0 means the next one is a warm-up).
    binary : list of Parameter
        The FSG-managed tensors (empty before ``build``).
    hgs : HistoricalGradientStorage or None
    fast_net, slow_net, meta_net : component or None
        The networks the method builds.
    step_diagnostics : list of tuple
        ``monitor.diagnostics`` of each iteration ``t >= 1`` of the current epoch.

    Examples
    --------
    >>> import bnncore as bc
    >>> Xtr, ytr, Xte, yte = bc.data.load_digits(test_size=0.2)
    >>> model = bc.layers.Sequential(
    ...     bc.layers.BinaryDense(64, 16, bias=False, rng=0), bc.layers.BatchNorm1d(16),
    ...     bc.layers.ReLU(), bc.layers.BinaryDense(16, 10, bias=False, rng=1),
    ...     bc.layers.BatchNorm1d(10))
    >>> trainer = FSGTrainer(model, bc.losses.SoftmaxCrossEntropy(), history_length=3,
    ...                      alpha=0.5, expand=4, d_state=4)
    >>> h = trainer.fit((Xtr[:256], ytr[:256]), epochs=2, batch_size=64, seed=0,
    ...                 progress=False)
    >>> len(h.train_loss), trainer.iteration, trainer.hgs.count
    (2, 8, 3)
    >>> sorted(trainer.evaluate((Xte, yte)))
    ['accuracy', 'loss']
    """

    CODE_PRESET = dict(alpha=0.9, history_length=5, layout="flat", persistent_update="fast",
                       expand=100, d_state=16, d_conv=8, fast_hidden=100, fast_act="identity",
                       lr=1e-3)

    def __init__(self, model, loss: Loss, *, method: str = "fsg", alpha: float | None = None,
                 history_length: int = 5, lre: bool = True, layout: str = "per_weight",
                 persistent_update: str = "combined", lr: float = 1e-2,
                 task_optimizer: str = "adam", sgd_momentum: float = 0.9,
                 lr_step: int | None = None, lr_gamma: float = 0.1, fast_lr: float = 1e-2,
                 slow_lr: float = 1e-3, meta_lr: float = 1e-3, fast_hidden: int = 100,
                 fast_act: str = "identity", d_state: int = 16, d_conv: int = 4,
                 expand: int = 16, dtype=np.float32, backend: str = "auto",
                 max_scan_elements: int = 2 ** 26) -> None:
        if not isinstance(loss, Loss):
            raise TypeError(f"loss must be a bnncore Loss, got {type(loss).__name__}")
        args = dict(locals())
        for key in ("self", "model", "loss", "dtype", "__class__"):
            args.pop(key, None)
        self.dtype = float_dtype(dtype)
        self.options = check_settings(args)
        for key in ("method", "alpha", "history_length", "lre", "layout", "persistent_update",
                    "lr", "lr_step", "lr_gamma", "backend"):
            setattr(self, key, self.options[key])
        self.model, self.loss = model, loss
        self.binary, self.hyper_optimizers = [], []
        self.fast_net = self.slow_net = self.meta_net = self.task_optimizer = self.hgs = None
        self.epochs_done, self.step_diagnostics = 0, []
        self.reset()

    def build(self, seed: int = 0) -> None:
        """Cast the model, build the hypernets, the optimizers and the HGS; reset the state.

        What the first ``fit(seed=seed)`` does; call it to drive ``train_step`` by hand.
        Calling it again rebuilds everything from ``seed`` (the model's weights are kept).
        """
        seed = check_int(seed, "seed", minimum=0)
        o, dt, params = self.options, self.dtype, list(self.model.parameters())
        self.binary = [p for p in params if is_binarized(p)]
        other = [p.name for p in params if p.quantizer is not None and not is_binarized(p)]
        if other:
            raise ValueError(f"model has quantized Parameters that are not binarized weights "
                             f"{other}: FSG manages binarized weights only")
        if not self.binary:
            raise ValueError("model has no binarized weight: FSG needs binary weights")
        if any(p.data.dtype != dt for p in params):
            self.model.astype(dt)
        for p in self.binary:
            check_ste(p, dt)
        rng_init, self._rng_data = (np.random.default_rng(s)
                                    for s in np.random.SeedSequence(seed).spawn(2))
        m = self.method
        self.fast_net = self.slow_net = self.meta_net = None
        if m in ("fsg", "fast_only"):
            self.fast_net = ElementwiseMLP(3, o["fast_hidden"], o["fast_act"], rng=rng_init,
                                           dtype=dt, name="fast")
        elif m in ("fc_grad", "multifc"):       # FC-Grad's net is fixed; MultiFC's is sized
            depth, hidden, act = ((2, 100, "identity") if m == "fc_grad" else
                                  (3, o["fast_hidden"], o["fast_act"]))
            self.meta_net = ElementwiseMLP(depth, hidden, act, rng=rng_init, dtype=dt,
                                           name="meta")
        if m in ("fsg", "slow_only"):
            self.slow_net = SlowNet(len(self.binary), d_state=o["d_state"], d_conv=o["d_conv"],
                                    expand=o["expand"], lre=o["lre"], layout=o["layout"],
                                    rng=rng_init, dtype=dt, backend=o["backend"],
                                    max_scan_elements=o["max_scan_elements"], name="slow")
        self.task_optimizer = (SGD(params, lr=o["lr"], momentum=o["sgd_momentum"])
                               if o["task_optimizer"] == "sgd" else Adam(params, lr=o["lr"]))
        self.hyper_optimizers = [Adam(net.parameters(), lr=lr) for net, lr in (
            (self.fast_net, o["fast_lr"]), (self.slow_net, o["slow_lr"]),
            (self.meta_net, o["meta_lr"])) if net is not None]
        self.hgs = HistoricalGradientStorage([p.size for p in self.binary],
                                             self.history_length, dt)
        self.epochs_done = 0
        self.reset()

    def reset(self) -> None:
        """Clear the HGS and the carried state; the next iteration is a warm-up.

        Parameters and optimizer states are kept.
        """
        if self.hgs is not None:
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

    # -- generation (docs/fsg.md, "One training iteration", step 1) ------------------------
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
        elif self.method in FSG_FAMILY:
            a = self.alpha
            if self.fast_net is not None:
                f, gen["fast_cache"] = self.fast_net.forward_tensors(self.wpre_prev)
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
            out, gen["meta_cache"] = self.meta_net.forward_tensors(x)
            out = [o.reshape(w.shape) for o, w in zip(out, W)]
            G = out if self.method == "fc_grad" else [gp * o for gp, o in zip(self.g_prev, out)]
            gen.update(G=G, Wm=[w - s for w, s in zip(W, self.step_prev)])
        self._gen = gen
        return [wm.copy() for wm in gen["Wm"]]

    # -- the chain rule into the hypernets (docs/fsg.md, "One training iteration", step 3) -
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
        if self.method in FSG_FAMILY:
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

    def _task_pass(self, xb, yb) -> tuple[float, float]:
        out = self.model.forward(xb, training=True)
        value = self.loss.forward(out, yb)
        if not np.isfinite(value):
            raise FloatingPointError(f"non-finite task loss {value} at iteration "
                                     f"{self.iteration}")
        self.model.backward(self.loss.backward())
        return value, float(np.mean(out.argmax(axis=1) == yb))

    def train_step(self, xb: np.ndarray, yb: np.ndarray) -> tuple[float, float]:
        """Run one iteration on a batch; returns ``(loss, accuracy)`` of its task pass.

        Needs ``build`` (done by the first ``fit``). An iteration ``t >= 1`` appends its
        diagnostics to ``step_diagnostics``.
        """
        if self.hgs is None:
            raise RuntimeError("train_step before build: call fit(...) or build(seed) first")
        for p in self.hyper_parameters():
            p.zero_grad()
        self.task_optimizer.zero_grad()
        if self.iteration == 0 and self.method != "ste":            # warm-up
            value, acc = self._task_pass(xb, yb)
            self._carry([p.grad.copy() for p in self.binary], [p.data for p in self.binary])
            return value, acc
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
        gen = self._gen if started else None
        if self.method == "ste":
            for p, gi in zip(self.binary, g):
                p.grad[...] = J(p.data) * gi
        else:
            self.meta_backward(g)
            for opt in self.hyper_optimizers:
                opt.step()
            if self.method in FSG_FAMILY:
                new = gen["G"] if self.persistent_update == "combined" else gen["calF"]
            else:
                new = [c * G for c, G in zip(gen["cal"], gen["G"])]
            for p, v in zip(self.binary, new):
                p.grad[...] = v
        self.task_optimizer.step()
        if self.method in ("fc_grad", "multifc"):
            self.step_prev = [w - p.data for w, p in zip(saved, self.binary)]
        if gen is not None:
            self.step_diagnostics.append(diagnostics(gen, self.g_prev, self.alpha,
                                           self.method in FSG_FAMILY))
        self._carry(g, Wm)
        return value, acc

    def _carry(self, g, Wm) -> None:
        self.g_prev = g
        self.wpre_prev = [wpre(w) for w in Wm]
        self.hgs.push(g)
        self.iteration += 1

    # -- the Trainer hooks -------------------------------------------------------------
    def check_data(self, data, name: str) -> tuple[np.ndarray, np.ndarray]:
        X, y = check_dataset(data, name, self.model)
        return X.astype(self.dtype, copy=False), y

    def _start(self, X, y, epochs: int, batch_size: int, seed: int):
        """Build on the first ``fit``; every ``fit`` orders its batches from its ``seed``."""
        if self.hgs is None:
            self.build(seed)
            return self._rng_data
        return np.random.default_rng(np.random.SeedSequence(seed).spawn(2)[1])

    def _start_epoch(self, epoch: int, epochs: int) -> None:
        for q in getattr(self.model, "quantizers", lambda: [])():
            q.on_epoch(epoch, epochs)
        lr = self.lr
        if self.lr_step is not None:
            lr = self.lr * self.lr_gamma ** (self.epochs_done // self.lr_step)
        self.task_optimizer.lr = lr
        self.epochs_done += 1
        self.step_diagnostics = []

    def _end_epoch(self) -> dict:
        """``fsg_slow_rms``, ``fsg_fast_rms``, ``fsg_align``: means of ``step_diagnostics`` (0
        without any).

        Reconstructed: they let a tutorial show what each net contributes.
        """
        d = np.mean(self.step_diagnostics, axis=0) if self.step_diagnostics else np.zeros(3)
        return {"fsg_slow_rms": float(d[0]), "fsg_fast_rms": float(d[1]),
                "fsg_align": float(d[2])}

    def _evaluate(self, X: np.ndarray, y: np.ndarray) -> dict:
        """Task loss and accuracy with the deploy weights ``sign(W)``, evaluation mode."""
        out = predict(self.model, X)
        return {"loss": float(self.loss.forward(out, y)),
                "accuracy": float(np.mean(out.argmax(axis=1) == y))}

    def __repr__(self) -> str:
        return (f"FSGTrainer(method={self.method!r}, alpha={self.alpha}, "
                f"history_length={self.history_length}, iteration={self.iteration})")
