"""Tools for testing BNN code, for the library's tests and for users' own test suites.

``gradcheck`` and ``surrogate_model`` need only NumPy; hypothesis strategies (added with
the quantizer pairs) import hypothesis lazily, since it is the ``test`` extra.
"""

from .gradcheck import gradcheck, surrogate_model

__all__ = ["gradcheck", "surrogate_model"]
