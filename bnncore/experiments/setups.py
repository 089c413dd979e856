"""How each method's trainer and data are built from a :class:`RunSpec` (its *set-up*).

What differs between methods lives here; what they share (training, counting, measuring)
is :func:`bnncore.experiments.runs.run`. Every set-up draws the data split from a fixed
seed and the initial weights from ``spec.seed`` alone, never from the method, so two
methods with the same architecture start from the same weights (docs/experiments.md,
"Pairing").
"""

from __future__ import annotations

from collections.abc import Callable

from .. import data, losses, models, optim, quantizers
from ..train import GradientTrainer, Trainer
from .spec import RunSpec

#: The teacher-student task of every protocol: ±1 inputs, a 65-9-1 sign teacher.
TEACHER_STUDENT = {"n_samples": 4000, "n_features": 65, "n_hidden": 9, "seed": 0}
#: Channels of the two convolutions of each CNN.
CNN_CHANNELS = {"cnn": (32, 64), "small-cnn": (8, 16)}


def load(spec: RunSpec) -> tuple:
    """``(X_train, y_train, X_test, y_test)`` of ``spec.dataset``, shaped for ``spec.model``.

    The split never depends on ``spec.seed``: every seed and method sees the same data.
    """
    flatten = spec.model == "mlp"
    if spec.dataset == "digits":
        return data.load_digits(seed=0, flatten=flatten)
    if spec.dataset == "fashion-mnist":
        return data.load_fashion_mnist(subset=spec.subset, seed=0, flatten=flatten)
    if not flatten:
        raise ValueError("the teacher-student task has vector inputs: use model='mlp'")
    return data.teacher_student(**TEACHER_STUDENT)


def _no_options(spec: RunSpec, *names: str) -> None:
    given = [n for n in names if getattr(spec, n) is not None]
    if given:
        raise ValueError(f"{spec.method} takes no {'/'.join(given)} setting")


def build_model(spec: RunSpec, shape: tuple, n_classes: int, channel_scale: bool = False):
    """The reference MLP or CNN for ``spec.method``, initialised from ``spec.seed``."""
    method = "ste" if spec.method == "ags+sad" else spec.method
    if spec.model == "mlp":
        return models.mlp(method, in_features=shape[0], n_classes=n_classes,
                          channel_scale=channel_scale, rng=spec.seed)
    return models.cnn(method, in_channels=shape[0], image_size=shape[1], n_classes=n_classes,
                      channels=CNN_CHANNELS[spec.model], channel_scale=channel_scale,
                      rng=spec.seed)


def gradient_setup(spec: RunSpec) -> tuple[Trainer, tuple, tuple]:
    """A float or binary model trained with gradients.

    Adam 1e-3 by default; ``ags+sad`` is the ``ste`` model with per-channel scale and SGD
    0.05 (momentum 0.9) with OvSW's digits preset; ``spec.ags``/``spec.sad`` add AGS/SAD
    (in that order) to any binary method. ``spec.schedule="cosine"`` anneals the rate along
    a cosine that would reach 0 one epoch after the last (so the last epoch still learns);
    ``spec.weight_decay`` is added to every gradient.
    """
    Xtr, ytr, Xte, yte = load(spec)
    n_classes = int(ytr.max()) + 1
    if spec.method == "ags+sad":
        _no_options(spec, "ags", "sad")
        model = build_model(spec, Xtr.shape[1:], n_classes, channel_scale=True)
        transforms, default = optim.ovsw(), "sgd"
    else:
        model = build_model(spec, Xtr.shape[1:], n_classes)
        transforms, default = [], "adam"
        if spec.ags is not None:
            transforms.append(optim.AGS(delta=spec.ags))
        if spec.sad is not None:
            transforms.append(optim.SAD(gamma=spec.sad))
        if transforms and spec.method == "float":
            raise ValueError("AGS/SAD act on binarized weights: choose a binary method")
    name = spec.optimizer or default
    decay = spec.weight_decay or 0.0
    if name == "sgd":
        opt = optim.SGD(model.parameters(), lr=0.05 if spec.lr is None else spec.lr,
                        momentum=0.9 if spec.momentum is None else spec.momentum,
                        weight_decay=decay, transforms=transforms)
    else:
        _no_options(spec, "momentum")
        opt = optim.Adam(model.parameters(), lr=1e-3 if spec.lr is None else spec.lr,
                         weight_decay=decay, transforms=transforms)
    schedule = optim.CosineSchedule(spec.epochs + 1) if spec.schedule == "cosine" else None
    trainer = GradientTrainer(model, losses.SoftmaxCrossEntropy(), opt, schedule=schedule)
    return trainer, (Xtr, ytr), (Xte, yte)


def gft_setup(spec: RunSpec) -> tuple[Trainer, tuple, tuple]:
    """GFT's fully binary MLP (binarized inputs, ±1 weights, no latents), two ways.

    ``gft``: gradient-free training (``bnncore.gft``). ``gft-ste``: its latent-weight STE
    twin (:func:`bnncore.gft.baseline.ste_mlp`, Adam ``lr = 1e-2`` by default), the
    baseline GFT's claims are measured against (docs/gft.md, "GFT vs STE").
    """
    from ..gft import FullyBinaryMLP, GFTTrainer, binarize
    from ..gft.baseline import ste_mlp

    if spec.model != "mlp":
        raise ValueError(f"{spec.method} trains a fully binary MLP: use model='mlp'")
    Xtr, ytr, Xte, yte = load(spec)
    sizes = (Xtr.shape[1], 256, max(int(ytr.max()) + 1, 2))
    train, test = (binarize(Xtr, 0.5), ytr), (binarize(Xte, 0.5), yte)
    if spec.method == "gft-ste":
        _no_options(spec, "momentum", "ags", "sad")
        model = ste_mlp(sizes, rng=spec.seed)
        opt = optim.Adam(model.parameters(), lr=1e-2 if spec.lr is None else spec.lr,
                         weight_decay=spec.weight_decay or 0.0)
        schedule = optim.CosineSchedule(spec.epochs + 1) if spec.schedule == "cosine" else None
        return GradientTrainer(model, losses.SoftmaxCrossEntropy(), opt,
                               schedule=schedule), train, test
    _no_options(spec, "optimizer", "lr", "momentum", "weight_decay", "schedule", "ags", "sad")
    model = FullyBinaryMLP(sizes, rng=spec.seed)
    trainer = GFTTrainer(model, k0=0.001, k_min=0, margin=16, rng=spec.seed + 1000)
    return trainer, train, test


def fsg_setup(spec: RunSpec) -> tuple[Trainer, tuple, tuple]:
    """Fast-and-slow gradient generation on its own task model (docs/fsg.md, "Ablation on digits").

    The slow-net scans the history of every binary weight, so its cost grows with their
    number: FSG runs on a 64-32-10 binary MLP (2,368 binary weights, ReLU activations),
    not on the 65,536-weight hidden layer of the other methods' MLP. Digits only, for the
    same reason. ``fsg-ste`` trains the same task model with the same optimizer and the
    plain STE (the ablation's ``ste-adam`` row): FSG's baseline.
    """
    from ..fsg import FSGTrainer
    from ..fsg.ablation import digits_task_model

    if spec.model != "mlp" or spec.dataset != "digits":
        raise ValueError("fsg runs on its digits task model: use dataset='digits', "
                         "model='mlp'")
    _no_options(spec, "ags", "sad", "momentum", "weight_decay", "schedule")
    Xtr, ytr, Xte, yte = load(spec)
    trainer = FSGTrainer(digits_task_model(spec.seed), losses.SoftmaxCrossEntropy(),
                         method="ste" if spec.method == "fsg-ste" else "fsg",
                         lr=1e-2 if spec.lr is None else spec.lr,
                         task_optimizer=spec.optimizer or "adam")
    return trainer, (Xtr, ytr), (Xte, yte)


#: method name -> set-up (gradient methods are resolved through the quantizer registry).
SETUPS: dict[str, Callable[[RunSpec], tuple]] = {
    "gft": gft_setup, "gft-ste": gft_setup, "fsg": fsg_setup, "fsg-ste": fsg_setup}


def setup_for(method: str) -> Callable[[RunSpec], tuple]:
    """The function that builds ``method``'s trainer; ValueError lists the known methods.

    Examples
    --------
    >>> setup_for("bnn++").__name__, setup_for("gft").__name__
    ('gradient_setup', 'gft_setup')
    """
    if method in SETUPS:
        return SETUPS[method]
    if method in ("float", "ags+sad") or method in quantizers.available():
        return gradient_setup
    known = sorted({"float", "ags+sad", *SETUPS, *quantizers.available()})
    raise ValueError(f"unknown method {method!r}; available: {', '.join(known)}")
