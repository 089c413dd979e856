"""Binary GEMM throughput: bnncore's packed XNOR-popcount kernel vs float32 BLAS.

For M x K x N in {256x1024x256, 1024x4096x1024, 4096x4096x64} on the same random ±1 data,
prints GMAC/s (one MAC = one ±1 product added) of
(a) ``numpy`` float32 matmul (BLAS),
(b) the NumPy reference on packed words (``reference.bgemm_reference``, ``np.bitwise_count``),
(c) ``bgemm`` on packed operands with 1 thread and with all threads,
and the ratio bgemm(all threads) / float32 measured in this run. Then the machine's
popcount limit (cores x GHz x popcount bits per cycle of the ISA) and bgemm's share of it.

Timing: every function is called once first (Numba compiles, BLAS warms up), then the best
of several runs is kept. BLAS and bgemm are timed in separate phases, bgemm first and BLAS
after a pause: idle OpenBLAS workers spin for a while after each call and, on a 2-core
machine, delay Numba's workers by whole scheduler slices (bgemm timings dropped 50x).

Run: ``python benchmarks/bench_bgemm.py [--repeats N]``
"""

from __future__ import annotations

import os

# Some images set these to pin OpenBLAS to a generic kernel; the benchmark wants the BLAS
# that the CPU would pick by itself, so they are dropped in this process only (before
# numpy loads OpenBLAS).
for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_var, None)

import argparse  # noqa: E402
import time  # noqa: E402
from functools import partial  # noqa: E402

import numba  # noqa: E402
import numpy as np  # noqa: E402
from threadpoolctl import threadpool_info  # noqa: E402

from bnncore.kernels import bgemm, pack_bits  # noqa: E402
from bnncore.kernels.reference import bgemm_reference  # noqa: E402

SIZES = [(256, 1024, 256), (1024, 4096, 1024), (4096, 4096, 64)]
REFERENCE_BUDGET_S = 20.0
PAUSE_S = 1.0  # lets the previous thread pool go idle


def best_time(fn, repeats: int, min_seconds: float = 1.0) -> float:
    """Best wall time of at least ``repeats`` calls (and ``min_seconds`` of calls), after
    one untimed warm-up call. The floor on total time rides out short bursts of noise
    from other tenants of a shared host, which otherwise spoil every run of a small size.
    """
    fn()
    best, spent, runs = float("inf"), 0.0, 0
    while runs < repeats or spent < min_seconds:
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        best, spent, runs = min(best, elapsed), spent + elapsed, runs + 1
    return best


def cpu_info() -> tuple[str, float, set[str]]:
    """Model name, MHz and feature flags from /proc/cpuinfo (empty if unavailable)."""
    model, mhz, flags = "unknown", 0.0, set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and model == "unknown":
                    model = value.strip()
                elif key == "cpu MHz" and not mhz:
                    mhz = float(value)
                elif key == "flags" and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    return model, mhz, flags


def popcount_bits_per_cycle(flags: set[str]) -> tuple[int, str]:
    """Peak popcount bits per cycle per core for the path LLVM emits for ``ctpop`` here."""
    if "avx512_vpopcntdq" in flags:
        return 1024, "AVX-512 VPOPCNTDQ: 512-bit vpopcntq, up to 2 per cycle"
    if "avx2" in flags:
        return 256, ("AVX2, no VPOPCNTDQ: nibble-LUT popcount, 2 vpshufb per 256 bits on "
                     "2 shuffle ports = one 256-bit vector per cycle")
    if "popcnt" in flags:
        return 64, "scalar popcnt: 64 bits, 1 per cycle"
    return 16, "no popcount instruction: bit tricks, ~16 bits per cycle (rough)"


@numba.njit
def _dependent_chain(n, x):
    for i in range(n):
        x = x * x + i  # imul (3 cycles) + add (1 cycle), each step waits for the last
    return x


def effective_ghz() -> float:
    """Clock estimate from a dependent imul+add chain (4 cycles per step on x86)."""
    n = 50_000_000
    seconds = best_time(partial(_dependent_chain, n, 1), 3, min_seconds=0.0)
    return 4 * n / seconds / 1e9


def blas_line() -> str:
    """The BLAS libraries loaded, numpy's (the one ``np.matmul`` calls) marked."""
    parts = []
    for lib in threadpool_info():
        if lib.get("user_api") == "blas":
            owner = "numpy" if "numpy" in lib.get("filepath", "") else "other"
            parts.append(f"[{owner}] {lib.get('internal_api')} {lib.get('version')} "
                         f"kernel={lib.get('architecture')} threads={lib.get('num_threads')}")
    return "; ".join(sorted(parts, key=lambda p: not p.startswith("[numpy]"))) or "none found"


def make_data(rng: np.random.Generator) -> tuple[dict, dict]:
    """±1 float32 operands and their packed forms per size; checks bgemm (and compiles it)."""
    data, rows = {}, {}
    for m, k, n in SIZES:
        a = rng.choice(np.array([-1, 1], dtype=np.float32), size=(m, k))
        b = rng.choice(np.array([-1, 1], dtype=np.float32), size=(k, n))
        start = time.perf_counter()
        pa, pb = pack_bits(a, axis=1), pack_bits(b, axis=0)
        rows[m, k, n] = {"pack_ms": 1e3 * (time.perf_counter() - start)}
        data[m, k, n] = (a, b, pa, pb)
        assert np.array_equal(bgemm(pa, pb), a @ b)
    return data, rows


def gmacs(size: tuple[int, int, int], seconds: float) -> float:
    return size[0] * size[1] * size[2] / seconds / 1e9


def measure(data: dict, rows: dict, repeats: int, all_threads: int) -> None:
    """Fill ``rows`` with GMAC/s of bgemm (all threads, 1 thread) and float32 BLAS.

    Order matters on a small machine: idle OpenBLAS workers spin (sched_yield) for ~0.1 s
    after each call and delay Numba's workers by whole scheduler slices, so BLAS runs last,
    after a pause; and Numba's OpenMP pool, once shrunk to one thread, came back slower,
    so the threaded bgemm runs come first.
    """
    time.sleep(PAUSE_S)
    for threads, key in ((all_threads, "bgemm_all"), (1, "bgemm_1")):
        numba.set_num_threads(threads)
        for size, (_, _, pa, pb) in data.items():
            rows[size][key] = gmacs(size, best_time(partial(bgemm, pa, pb), repeats))
    numba.set_num_threads(all_threads)
    time.sleep(PAUSE_S)
    for size, (a, b, _, _) in data.items():
        rows[size]["f32"] = gmacs(size, best_time(partial(np.matmul, a, b), repeats))


def measure_reference(data: dict, rows: dict) -> None:
    """GMAC/s of the NumPy reference, skipped when 8 rows predict more than the budget."""
    for size, (_, _, pa, pb) in data.items():
        start = time.perf_counter()
        bgemm_reference(pa.words[:8], pb.words, size[1])
        estimate = (time.perf_counter() - start) * size[0] / 8
        rows[size]["ref"], rows[size]["ref_estimate_s"] = None, estimate
        if estimate <= REFERENCE_BUDGET_S:
            ref = partial(bgemm_reference, pa.words, pb.words, size[1])
            rows[size]["ref"] = gmacs(size, best_time(ref, 3, min_seconds=0.0))


def report(rows: dict, all_threads: int, mhz: float, flags: set[str]) -> None:
    bits, how = popcount_bits_per_cycle(flags)
    limit = all_threads * mhz / 1e3 * bits
    print(f"{'M x K x N':>16} | {'f32 BLAS':>9} | {'NumPy ref':>9} | {'bgemm 1t':>9} | "
          f"{'bgemm ' + str(all_threads) + 't':>9} | {'bgemm/f32':>9} | {'of limit':>8} | "
          f"{'pack ms':>7}   (GMAC/s)")
    for (m, k, n), r in rows.items():
        ref = f"{r['ref']:9.1f}" if r["ref"] is not None else f"{'skipped':>9}"
        print(f"{f'{m}x{k}x{n}':>16} | {r['f32']:9.1f} | {ref} | {r['bgemm_1']:9.1f} | "
              f"{r['bgemm_all']:9.1f} | {r['bgemm_all'] / r['f32']:8.1f}x | "
              f"{100 * r['bgemm_all'] / limit:7.0f}% | {r['pack_ms']:7.1f}")
    for (m, k, n), r in rows.items():
        if r["ref"] is None:
            print(f"NumPy reference skipped for {m}x{k}x{n}: estimated "
                  f"{r['ref_estimate_s']:.0f} s > {REFERENCE_BUDGET_S:.0f} s")
    print(f"popcount limit: {all_threads} cores x {mhz / 1e3:.2f} GHz (/proc/cpuinfo) x "
          f"{bits} bits/cycle = {limit:.0f} GMAC/s; {how}")
    best = max(r["bgemm_all"] for r in rows.values())
    clock = effective_ghz()
    print(f"measured clock (dependent imul+add chain): {clock:.2f} GHz -> limit "
          f"{all_threads * clock * bits:.0f} GMAC/s; best bgemm {best:.0f} GMAC/s = "
          f"{100 * best / (all_threads * clock * bits):.0f}% of it")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10, help="timed runs per measurement")
    repeats = parser.parse_args().repeats
    all_threads = numba.config.NUMBA_NUM_THREADS
    model, mhz, flags = cpu_info()
    data, rows = make_data(np.random.default_rng(0))
    measure(data, rows, repeats, all_threads)
    measure_reference(data, rows)
    print(f"CPU: {model}, {all_threads} Numba threads ({numba.threading_layer()} layer), "
          f"{mhz:.0f} MHz in /proc/cpuinfo")
    print(f"BLAS: {blas_line()}")
    report(rows, all_threads, mhz, flags)


if __name__ == "__main__":
    main()
