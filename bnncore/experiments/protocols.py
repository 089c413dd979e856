"""Training protocols: each paper's recipe, as far as 2 CPU cores allow.

A protocol turns ``(method, dataset, model, seed)`` into a fully specified
:class:`RunSpec`: optimizer, learning rate and schedule, weight decay, epochs, batch
size. Every departure from the paper's recipe is stated in :attr:`Protocol.departures`
and in docs/experiments.md, "Protocols".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .spec import RunSpec

#: Methods whose recipe is their own (no optimizer settings apply to them).
_OWN_RECIPE = ("gft",)


@dataclass(frozen=True)
class Protocol:
    """A named training recipe.

    Parameters
    ----------
    name, source : str
        The protocol's name and the recipe it follows.
    training : dict
        RunSpec settings for gradient-trained methods (optimizer, lr, momentum,
        weight_decay, schedule).
    epochs : dict
        ``{dataset or "dataset/model": epochs}``; the most specific key wins.
    batch_size : dict
        Same keys as ``epochs``.
    per_method : dict
        ``{method: settings}`` overriding ``training`` for one method.
    departures : str
        Where the protocol departs from the paper's recipe, and why.
    """

    name: str
    source: str
    training: dict
    epochs: dict
    batch_size: dict
    per_method: dict = field(default_factory=dict)
    departures: str = ""

    def _lookup(self, table: dict, dataset: str, model: str, what: str):
        for key in (f"{dataset}/{model}", dataset):
            if key in table:
                return table[key]
        raise ValueError(f"protocol {self.name!r} has no {what} for dataset {dataset!r} "
                         f"with model {model!r}")

    def spec(self, method: str, dataset: str = "digits", model: str = "mlp", seed: int = 0,
             **overrides) -> RunSpec:
        """The run of ``method`` under this protocol (``overrides`` win).

        Examples
        --------
        >>> s = PROTOCOLS["pcpp"].spec("bnn++", seed=3)
        >>> s.optimizer, s.lr, s.schedule, s.epochs, s.seed
        ('adam', 0.01, 'cosine', 30, 3)
        """
        settings = {} if method in _OWN_RECIPE else dict(self.training)
        settings.update(self.per_method.get(method, {}))
        settings.update(epochs=self._lookup(self.epochs, dataset, model, "epochs"),
                        batch_size=self._lookup(self.batch_size, dataset, model, "batch size"))
        settings.update(overrides)
        return RunSpec(method, dataset=dataset, model=model, seed=seed, protocol=self.name,
                       measure_speed=settings.pop("measure_speed", False), **settings)


PROTOCOLS: dict[str, Protocol] = {
    "default": Protocol(
        name="default", source="bnncore compare's quick recipe: each method's defaults",
        training={},
        epochs={"digits": 10, "fashion-mnist": 10, "teacher-student": 10},
        batch_size={"digits": 64, "fashion-mnist": 64, "teacher-student": 64},
        departures=("Not a paper's recipe: the quick comparison of every method with its "
                    "defaults (Adam 1e-3; SGD 0.05 for ags+sad; Adam 1e-2 for FSG).")),
    "pcpp": Protocol(
        name="pcpp", source="PC++/BNN++ (ProxQuant and BNN+ lineage): Adam, cosine schedule",
        training={"optimizer": "adam", "lr": 1e-2, "schedule": "cosine"},
        epochs={"digits": 30, "teacher-student": 30, "fashion-mnist": 10,
                "fashion-mnist/small-cnn": 2},
        batch_size={"digits": 32, "teacher-student": 32, "fashion-mnist": 128},
        departures=("Hundreds of epochs of ResNets/ViTs on CIFAR/ImageNet become 30 epochs "
                    "of an MLP on digits, 10 on Fashion-MNIST (2 for the CNN): the budget of "
                    "2 cores. The rate (1e-2) and batch (32 on small data) are chosen so that "
                    "latent weights leave [-1, 1], the regime where STE, clipped STE and "
                    "BNN differ; no weight decay.")),
    "ovsw": Protocol(
        name="ovsw", source="OvSW: SGD with momentum, cosine schedule, weight decay, AGS+SAD",
        training={"optimizer": "sgd", "lr": 0.1, "momentum": 0.9, "weight_decay": 5e-4,
                  "schedule": "cosine"},
        epochs={"digits": 30, "teacher-student": 30, "fashion-mnist": 10},
        batch_size={"digits": 32, "teacher-student": 32, "fashion-mnist": 128},
        departures=("The paper's CIFAR schedule (hundreds of epochs) becomes 30 epochs on "
                    "digits and 10 on Fashion-MNIST; AGS/SAD (delta 0.04, gamma 1e-2, the "
                    "library's 'digits' preset) are added to the same model as the STE run "
                    "(no per-channel scale in either), the paper tunes them per dataset.")),
    "gft": Protocol(
        name="gft", source="GFT: its own update rule; the STE twin with Adam 1e-2",
        training={"optimizer": "adam", "lr": 1e-2},
        epochs={"digits": 30, "teacher-student": 30, "fashion-mnist": 5},
        batch_size={"digits": 64, "teacher-student": 64, "fashion-mnist": 128},
        departures=("The paper's fully binary networks on MNIST-scale data become a "
                    "fully binary 64-256-10 (digits) MLP; both methods train the same "
                    "architecture with binarized inputs and no BatchNorm.")),
    "fsg": Protocol(
        name="fsg", source="FSG: Adam 1e-2 on the task model, hypernets trained online",
        training={"optimizer": "adam", "lr": 1e-2},
        epochs={"digits": 5},
        batch_size={"digits": 32},
        departures=("CIFAR ResNets trained from a full-precision checkpoint become the "
                    "64-32-10 binary task model trained from scratch on digits for 5 epochs "
                    "(docs/fsg.md, 'Ablation on digits'); no step decay within 5 epochs.")),
}


def protocol(name: str) -> Protocol:
    """The protocol called ``name``; ValueError lists the known ones."""
    if name not in PROTOCOLS:
        raise ValueError(f"unknown protocol {name!r}; available: {', '.join(PROTOCOLS)}")
    return PROTOCOLS[name]
