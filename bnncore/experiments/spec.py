"""What one run is (:class:`RunSpec`) and what it measured (:class:`RunResult`).

A run is a pure function of its spec: the data split, the initial weights and the batch
order are all seeded from ``spec.seed`` (docs/experiments.md, "Pairing"), so two runs
of the same spec give the same result bit for bit, wall times aside. A spec's
:meth:`RunSpec.key` names its stored record.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields

from .._validation import check_int, check_positive

DATASETS = ("digits", "fashion-mnist", "teacher-student")
MODELS = ("mlp", "cnn", "small-cnn")
SCHEDULES = (None, "cosine")
OPTIMIZERS = (None, "adam", "sgd")


def _check_choice(value, choices, name: str) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")


@dataclass(frozen=True)
class RunSpec:
    """One training run: method, data, model, training recipe and seed.

    ``None`` settings mean "the method's default" (docs/experiments.md, "Protocols").

    Parameters
    ----------
    method : str
        ``"float"``, ``"ags+sad"``, ``"gft"``, ``"fsg"`` or a weight quantizer name.
    dataset : {"digits", "fashion-mnist", "teacher-student"}
    model : {"mlp", "cnn", "small-cnn"}
    epochs, seed, batch_size : int
    protocol : str
        The name of the recipe these settings came from (recorded, not interpreted).
    subset : int, optional
        Fashion-MNIST: training samples kept (the full 60k when None).
    optimizer : {"adam", "sgd"}, optional
    lr, momentum, weight_decay : float, optional
    schedule : {"cosine"}, optional
        Learning-rate schedule over the epochs (constant when None).
    ags, sad : float, optional
        OvSW's AGS delta / SAD gamma added to a gradient method.
    measure_speed : bool
        Also time packed against float inference (a wall-time field).

    Examples
    --------
    >>> spec = RunSpec("ste", epochs=2)
    >>> RunSpec.from_dict(spec.to_dict()) == spec
    True
    >>> len(spec.key())
    16
    """

    method: str
    dataset: str = "digits"
    model: str = "mlp"
    epochs: int = 10
    seed: int = 0
    batch_size: int = 64
    protocol: str = "default"
    subset: int | None = None
    optimizer: str | None = None
    lr: float | None = None
    momentum: float | None = None
    weight_decay: float | None = None
    schedule: str | None = None
    ags: float | None = None
    sad: float | None = None
    measure_speed: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.method, str) or not self.method:
            raise TypeError(f"method must be a non-empty str, got {self.method!r}")
        _check_choice(self.dataset, DATASETS, "dataset")
        _check_choice(self.model, MODELS, "model")
        _check_choice(self.optimizer, OPTIMIZERS, "optimizer")
        _check_choice(self.schedule, SCHEDULES, "schedule")
        check_int(self.epochs, "epochs", minimum=1)
        check_int(self.seed, "seed", minimum=0)
        check_int(self.batch_size, "batch_size", minimum=1)
        if self.subset is not None:
            check_int(self.subset, "subset", minimum=1)
        for name in ("lr", "ags", "sad"):
            if getattr(self, name) is not None:
                check_positive(getattr(self, name), name)
        for name in ("momentum", "weight_decay"):
            if getattr(self, name) is not None:
                check_positive(getattr(self, name), name, allow_zero=True)

    def to_dict(self) -> dict:
        """The spec as plain JSON types."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict, source: str = "spec") -> RunSpec:
        """Rebuild a spec; ValueError (naming ``source``) on missing or unknown fields."""
        if not isinstance(values, dict):
            raise ValueError(f"{source}: the run spec must be a dict, got "
                             f"{type(values).__name__}")
        names = {f.name for f in fields(cls)}
        unknown, missing = set(values) - names, {"method"} - set(values)
        if unknown or missing:
            raise ValueError(f"{source}: not a RunSpec (unknown fields {sorted(unknown)}, "
                             f"missing {sorted(missing)})")
        try:
            return cls(**values)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{source}: invalid run spec: {exc}") from exc

    def key(self) -> str:
        """16 hex digits of the SHA-256 of the canonical JSON of the spec."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def label(self) -> str:
        """A readable file-name stem: ``method-dataset-model-protocol-sSEED``."""
        safe = "".join(c if c.isalnum() or c in "._-" else "p" for c in self.method)
        return f"{safe}-{self.dataset}-{self.model}-{self.protocol}-s{self.seed}"


#: Fields of a result (and of its History) that are wall times, not outcomes.
TIMING_FIELDS = ("seconds_per_epoch", "packed_speedup", "wall_seconds")


@dataclass
class RunResult:
    """What one run measured (``history`` holds the per-epoch curves).

    ``sign_flips`` and ``weight_writes`` are counted after every step by one
    :class:`~bnncore.flips.FlipCounter` for every method (docs/experiments.md,
    "Counting weight updates").
    """

    method: str
    seed: int
    test_accuracy: float
    test_loss: float
    sign_flips: int                    # (step, weight) pairs whose sign changed
    weight_writes: int                 # (step, weight) pairs whose stored value changed
    n_binary_weights: int
    steps: int
    seconds_per_epoch: float
    wall_seconds: float
    float_bytes: int                   # model parameters as float32
    packed_bytes: int                  # binary weights packed 64 per uint64, rest float32
    packed_speedup: float | None       # packed / float-path inference throughput
    history: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict, source: str = "result") -> RunResult:
        names = {f.name for f in fields(cls)}
        if not isinstance(values, dict) or set(values) != names:
            got = sorted(values) if isinstance(values, dict) else type(values).__name__
            raise ValueError(f"{source}: not a RunResult (fields {got})")
        return cls(**values)

    def outcome(self) -> dict:
        """Everything but wall times: equal for two runs of the same spec."""
        values = {k: v for k, v in self.to_dict().items() if k not in TIMING_FIELDS}
        values["history"] = {k: v for k, v in self.history.items() if k != "seconds"}
        return values
