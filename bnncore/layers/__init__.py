"""Layers with explicit ``forward`` and ``backward``: read the gradient where it is computed."""

from .activations import HardTanh, ReLU, Sign
from .base import Layer
from .binary import BinaryConv2d, BinaryDense
from .conv import Conv2d
from .dense import Dense
from .norm import BatchNorm1d, BatchNorm2d
from .pool import AvgPool2d, MaxPool2d
from .sequential import Sequential
from .shape import Flatten

__all__ = ["AvgPool2d", "BatchNorm1d", "BatchNorm2d", "BinaryConv2d", "BinaryDense", "Conv2d",
           "Dense", "Flatten", "HardTanh", "Layer", "MaxPool2d", "ReLU", "Sequential", "Sign"]
