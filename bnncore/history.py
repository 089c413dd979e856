"""``History``: what a training run measured, one entry per epoch."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class History:
    """Per-epoch records of a training run (``fit``, ``GFTTrainer.fit``, ``FSGTrainer.fit``).

    Attributes
    ----------
    epoch, train_loss, train_accuracy, val_loss, val_accuracy, seconds : list
        ``val_*`` stay empty without validation data. ``train_*`` are means over the
        epoch's batches of the training-mode forward.
    extra : dict of str -> list
        Method-specific per-epoch fields (e.g. GFT's ``flips``), added with ``record``.

    Examples
    --------
    >>> h = History()
    >>> h.record(epoch=0, train_loss=0.5, train_accuracy=0.9, seconds=1.0, flips=3)
    >>> h.to_dict()["flips"], h.train_loss
    ([3], [0.5])
    """

    epoch: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    _COMMON = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "seconds")

    def record(self, **values) -> None:
        """Append one epoch's values; unknown names become ``extra`` fields."""
        for name, value in values.items():
            if name in self._COMMON:
                getattr(self, name).append(value)
            else:
                self.extra.setdefault(name, []).append(value)

    def __len__(self) -> int:
        return len(self.epoch)

    def to_dict(self) -> dict:
        """All fields as plain lists (JSON-serialisable)."""
        out = {name: list(getattr(self, name)) for name in self._COMMON}
        out.update({k: list(v) for k, v in self.extra.items()})
        return out

    def plot(self, title: str | None = None):
        """Loss and accuracy curves per epoch; returns a matplotlib ``Figure``."""
        import matplotlib.pyplot as plt

        fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.5))
        ax_loss.plot(self.epoch, self.train_loss, "o-", label="train")
        if self.val_loss:
            ax_loss.plot(self.epoch, self.val_loss, "s--", label="validation")
        ax_loss.set(xlabel="epoch", ylabel="loss", title="loss")
        ax_acc.plot(self.epoch, self.train_accuracy, "o-", label="train")
        if self.val_accuracy:
            ax_acc.plot(self.epoch, self.val_accuracy, "s--", label="validation")
        ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
        for ax in (ax_loss, ax_acc):
            ax.grid(alpha=0.3)
            ax.legend()
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        return fig
