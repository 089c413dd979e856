"""Gradient-based updates: ``SGD``, ``Adam``, learning-rate schedules."""

from .adam import Adam
from .base import Optimizer
from .schedules import CosineSchedule, LinearSchedule, Schedule, StepSchedule
from .sgd import SGD

__all__ = ["SGD", "Adam", "CosineSchedule", "LinearSchedule", "Optimizer", "Schedule",
           "StepSchedule"]
