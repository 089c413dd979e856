"""Gradient-based updates: ``SGD``, ``Adam``, ``PCPP``, learning-rate schedules, OvSW transforms.

Modules: ``base`` (the ``Optimizer`` loop), ``sgd``, ``adam``, ``pcpp`` (docs/quantizers.md,
"The PC++ training rule"), ``schedules``, and the OvSW gradient transforms ``ags`` (``AGS``,
``channel_ratios``), ``sad`` (``SAD``) and ``presets`` (``ovsw(preset)``, ``PRESETS``;
docs/ovsw.md).
"""

from .adam import Adam
from .ags import AGS
from .base import Optimizer
from .pcpp import PCPP, pcpp_step
from .presets import ovsw
from .sad import SAD
from .schedules import CosineSchedule, LinearSchedule, Schedule, StepSchedule
from .sgd import SGD

__all__ = ["PCPP", "pcpp_step", "AGS", "SAD", "SGD", "Adam", "CosineSchedule",
           "LinearSchedule", "Optimizer", "Schedule", "StepSchedule", "ovsw"]
