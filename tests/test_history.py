"""History: records, extra fields, to_dict (JSON-ready) and plot (a matplotlib Figure)."""

import json

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from bnncore import History


def _history(val=True):
    h = History()
    for e in range(3):
        values = {"epoch": e, "train_loss": 1.0 / (e + 1), "train_accuracy": 0.5 + 0.1 * e,
                  "seconds": 0.1, "flips": 10 - e}
        if val:
            values.update(val_loss=2.0 / (e + 1), val_accuracy=0.4 + 0.1 * e)
        h.record(**values)
    return h


def test_record_and_to_dict():
    h = _history()
    assert len(h) == 3 and h.epoch == [0, 1, 2]
    assert h.extra == {"flips": [10, 9, 8]}
    d = h.to_dict()
    assert set(d) == {"epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy",
                      "seconds", "flips"}
    assert d["train_loss"] == [1.0, 0.5, 1.0 / 3] and d["flips"] == [10, 9, 8]
    assert json.loads(json.dumps(d)) == d
    d["epoch"].append(99)  # a copy: the history is not modified through it
    assert h.epoch == [0, 1, 2]


def test_empty_history():
    h = History()
    assert len(h) == 0
    assert h.to_dict() == {k: [] for k in ("epoch", "train_loss", "train_accuracy",
                                           "val_loss", "val_accuracy", "seconds")}


@pytest.mark.parametrize("val", [True, False])
def test_plot_returns_a_figure(val):
    fig = _history(val).plot(title="run")
    try:
        assert isinstance(fig, Figure)
        axes = fig.get_axes()
        assert len(axes) == 2
        assert [len(ax.get_lines()) for ax in axes] == ([2, 2] if val else [1, 1])
        assert list(axes[0].get_lines()[0].get_ydata()) == [1.0, 0.5, 1.0 / 3]
        assert fig._suptitle is not None and fig._suptitle.get_text() == "run"
    finally:
        plt.close(fig)
