"""Gradient-based updates: ``SGD``, ``Adam``, learning-rate schedules, OvSW transforms."""

from .adam import Adam
from .base import Optimizer
from .ovsw import AGS, SAD, ovsw
from .pcpp import PCPP, pcpp_step
from .schedules import CosineSchedule, LinearSchedule, Schedule, StepSchedule
from .sgd import SGD

__all__ = ["PCPP", "pcpp_step",  # ProxConnect++ (quantizers_pcpp.md 5)
           "AGS", "SAD", "SGD", "Adam", "CosineSchedule", "LinearSchedule", "Optimizer",
           "Schedule", "StepSchedule", "ovsw"]
