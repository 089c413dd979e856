"""Timing helper shared by the benchmark scripts (same-run ratios, best of 5 rounds)."""

from __future__ import annotations

import time
from collections.abc import Callable


def calls_per_second(fn: Callable[[], object], seconds: float, warmup: int = 1) -> float:
    """Best calls per second over 5 rounds of ``seconds / 5`` each, after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    best = 0.0
    for _ in range(5):
        n, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds / 5:
            fn()
            n += 1
        best = max(best, n / elapsed)
    return best
