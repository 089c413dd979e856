"""Shared fixture of the theory.sat tests: make an installed package look absent."""

import builtins
import sys

import pytest


@pytest.fixture
def block_import(monkeypatch):
    """``block_import("pysat")``: every import of the package (and its submodules) raises
    ``ImportError`` for the rest of the test, as on a machine without it."""

    def block(package: str) -> None:
        for name in list(sys.modules):
            if name == package or name.startswith(package + "."):
                monkeypatch.setitem(sys.modules, name, None)
        real_import = builtins.__import__

        def blocked(name, *args, **kw):
            if name == package or name.startswith(package + "."):
                raise ImportError(f"No module named {name!r}")
            return real_import(name, *args, **kw)

        monkeypatch.setattr(builtins, "__import__", blocked)

    return block
