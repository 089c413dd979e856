"""popcount through llvm.ctpop: values, hardware instruction, and nothing compiled at import."""

from __future__ import annotations

import platform
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from bnncore.kernels.popcount import _ctpop64, popcount, popcount_array

U64 = st.integers(0, 2**64 - 1)


@settings(max_examples=200, deadline=None)
@given(st.lists(U64, min_size=0, max_size=50))
def test_popcount_array_matches_bitwise_count(values):
    words = np.array(values + [0, 2**64 - 1], dtype=np.uint64)
    expected = np.bitwise_count(words).astype(np.int64)
    np.testing.assert_array_equal(popcount_array(words), expected)
    np.testing.assert_array_equal(popcount_array(words.reshape(-1, 1)[::-1]), expected[::-1, None])


@settings(max_examples=200, deadline=None)
@given(U64)
def test_scalar_popcount_matches_bitwise_count(x):
    assert popcount(np.uint64(x)) == int(np.bitwise_count(np.uint64(x)))


@pytest.mark.parametrize(("x", "count"), [(0, 0), (2**64 - 1, 64), (1, 1), (2**63, 1),
                                          (0x5555555555555555, 32)])
def test_popcount_edges(x, count):
    assert popcount(np.uint64(x)) == count
    assert popcount_array(np.array([x], dtype=np.uint64)).tolist() == [count]


def test_popcount_array_type_checks():
    with pytest.raises(TypeError, match="words must be a uint64 array"):
        popcount_array(np.array([1, 2], dtype=np.int64))
    with pytest.raises(TypeError):
        popcount_array(None)


def _has_popcnt() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            return " popcnt" in f.read()
    except OSError:
        return False


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64") or not _has_popcnt(),
                    reason="checks the x86 popcnt instruction")
def test_ctpop_compiles_to_hardware_popcount():
    probe = njit(lambda x: _ctpop64(x))  # uncached, so its assembly can be inspected
    assert probe(np.uint64(7)) == 3
    asm = "\n".join(probe.inspect_asm().values())
    assert "popcnt" in asm  # popcntq, or vpopcntq on AVX-512 VPOPCNTDQ


def test_importing_kernels_compiles_nothing():
    code = textwrap.dedent("""
        import importlib
        from numba.core.dispatcher import Dispatcher
        import bnncore.kernels
        found = 0
        for name in ("bitpack", "popcount", "gemm", "bconv", "reference"):
            module = importlib.import_module("bnncore.kernels." + name)
            for obj in vars(module).values():
                if isinstance(obj, Dispatcher):
                    found += 1
                    assert not obj.signatures, (name, obj, obj.signatures)
        assert found >= 4, found
        print("ok", found)
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("ok")
