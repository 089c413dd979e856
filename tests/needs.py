"""Marks for tests that need something a student's laptop may not have.

Each skips with a reason naming what to install. In CI (``BNNCORE_NO_SKIP=1``, see the
repository's ``conftest.py``) a skip fails the run, so there every such test runs.
"""

from __future__ import annotations

import pytest

from bnncore.data import _fashion_mnist_paths

FASHION_MNIST_HINT = (
    "Fashion-MNIST is not installed: run `apt-get install dataset-fashion-mnist` (Debian or "
    "Ubuntu, as root), or set BNNCORE_DATA to a folder holding its four IDX files")


def fashion_mnist_present() -> bool:
    """True when ``load_fashion_mnist`` would find its four IDX files."""
    try:
        _fashion_mnist_paths()
    except FileNotFoundError:
        return False
    return True


needs_fashion_mnist = pytest.mark.skipif(not fashion_mnist_present(), reason=FASHION_MNIST_HINT)
