"""Tools for testing BNN code, for the library's tests and for users' own test suites.

- ``gradcheck`` and ``surrogate_model``: finite-difference checks of hand-written backward
  passes (NumPy only).
- ``check_quantizer_pair(pair)``: the 17 quantizer-pair property checks
  (``check_shape_and_dtype``, ..., ``check_annealing``; docs/quantizers.md, "Testing your
  own pair"), with a readable witness on failure (NumPy only).
- Hypothesis strategies ``quantizer_pairs()``, ``quantizer_arrays()``,
  ``monotone_functions()``, ``pm1_arrays()``, ``layer_shapes()``: hypothesis is the ``test``
  extra, so these (and ``check_quantizer_pair``) load on first use; ``import bnncore``
  imports no hypothesis.

Examples
--------
>>> from bnncore import quantizers
>>> from bnncore.testing import check_quantizer_pair
>>> check_quantizer_pair(quantizers.get("approxsign"))
"""

from importlib import import_module

from .finite_differences import gradcheck, surrogate_model

_LAZY = {
    "check_quantizer_pair": "quantizer_checks",
    "quantizer_checks": None,
    "strategies": None,
    "quantizer_pairs": "strategies",
    "quantizer_arrays": "strategies",
    "gradient_arrays": "strategies",
    "monotone_functions": "strategies",
    "pm1_arrays": "strategies",
    "layer_shapes": "strategies",
}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'bnncore.testing' has no attribute {name!r}")
    module = import_module(f".{_LAZY[name] or name}", __name__)
    return module if _LAZY[name] is None else getattr(module, name)


__all__ = ["check_quantizer_pair", "gradcheck", "gradient_arrays", "layer_shapes",
           "monotone_functions", "pm1_arrays", "quantizer_arrays", "quantizer_pairs",
           "surrogate_model"]
