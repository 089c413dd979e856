"""Learning-rate schedules: ``schedule(optimizer, epoch)`` sets ``optimizer.lr`` for an epoch.

Every schedule is a function of the optimizer's ``initial_lr`` and the epoch index, so
calling it twice for the same epoch gives the same rate.
"""

from __future__ import annotations

import math

from .._validation import check_int, check_positive


class Schedule:
    """Base class: subclasses implement ``factor(epoch)``."""

    def factor(self, epoch: int) -> float:
        raise NotImplementedError

    def __call__(self, optimizer, epoch: int) -> float:
        epoch = check_int(epoch, "epoch", minimum=0)
        optimizer.lr = optimizer.initial_lr * self.factor(epoch)
        return optimizer.lr


class CosineSchedule(Schedule):
    """Cosine decay from ``initial_lr`` to ``min_factor * initial_lr`` at the last epoch.

    Examples
    --------
    >>> s = CosineSchedule(total_epochs=3)
    >>> [round(s.factor(e), 3) for e in range(3)]
    [1.0, 0.5, 0.0]
    """

    def __init__(self, total_epochs: int, min_factor: float = 0.0) -> None:
        self.total_epochs = check_int(total_epochs, "total_epochs", minimum=1)
        self.min_factor = check_positive(min_factor, "min_factor", allow_zero=True)

    def factor(self, epoch):
        p = min(epoch / max(self.total_epochs - 1, 1), 1.0)
        # a factor of exactly 0 would be an invalid lr: keep a tiny floor
        f = self.min_factor + (1 - self.min_factor) * 0.5 * (1 + math.cos(math.pi * p))
        return max(f, 1e-12)


class StepSchedule(Schedule):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs.

    Examples
    --------
    >>> [StepSchedule(2, 0.5).factor(e) for e in range(5)]
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = check_int(step_size, "step_size", minimum=1)
        self.gamma = check_positive(gamma, "gamma")

    def factor(self, epoch):
        return self.gamma ** (epoch // self.step_size)


class LinearSchedule(Schedule):
    """Linear from ``start_factor`` to ``end_factor`` over ``total_epochs`` epochs.

    Examples
    --------
    >>> [LinearSchedule(3, end_factor=0.5).factor(e) for e in range(3)]
    [1.0, 0.75, 0.5]
    """

    def __init__(self, total_epochs: int, end_factor: float = 0.01,
                 start_factor: float = 1.0) -> None:
        self.total_epochs = check_int(total_epochs, "total_epochs", minimum=1)
        self.start_factor = check_positive(start_factor, "start_factor")
        self.end_factor = check_positive(end_factor, "end_factor")

    def factor(self, epoch):
        p = min(epoch / max(self.total_epochs - 1, 1), 1.0)
        return self.start_factor + (self.end_factor - self.start_factor) * p
