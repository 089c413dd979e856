"""Binary GEMM throughput: bnncore's packed XNOR-popcount kernel vs float32 BLAS.

For M x K x N in {256x1024x256, 1024x4096x1024, 4096x4096x64, 256x65536x256} on the same
random ±1 data,
prints GMAC/s (one MAC = one ±1 product added) of
(a) ``numpy`` float32 matmul (BLAS),
(b) the NumPy reference on packed words (``reference.bgemm_reference``, ``np.bitwise_count``),
(c) both binary kernels on packed operands, with 1 thread and with all threads: the direct
XOR-popcount kernel (``gemm.bgemm_direct_words``) and the carry-save-adder kernel
(``gemm_csa.bgemm_csa_words``), and ``bgemm`` with all threads (the kernel
``gemm.pick_kernel`` selects for the JIT's target, printed),
and the ratios of each to float32 measured in this run. Then a ceiling probe measured in
the same run: bit-MACs per cycle of a pure XOR + popcount stream over six L1-resident
rows, register-blocked 4 x 2 like the direct kernel and compiled the same way (1 thread
and all threads; clock from a dependent imul+add chain), and each kernel's fraction of
it: what tiling, memory and the rest cost the direct kernel. The carry-save kernel does
fewer ops per bit than that stream, so it can exceed 100%.

Run it as well with ``NUMBA_CPU_NAME=znver3 NUMBA_CPU_FEATURES=+avx2`` to compile (and
measure) the AVX2 code on a CPU with AVX-512.

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

from bnncore.kernels import bgemm, gemm, pack_bits  # noqa: E402
from bnncore.kernels.gemm_csa import bgemm_csa_words  # noqa: E402
from bnncore.kernels.popcount import _ctpop64  # noqa: E402
from bnncore.kernels.reference import bgemm_reference  # noqa: E402

SIZES = [(256, 1024, 256), (1024, 4096, 1024), (4096, 4096, 64), (256, 65536, 256)]
REFERENCE_BUDGET_S = 20.0
PAUSE_S = 1.0  # lets the previous thread pool go idle
PROBE_WORDS = 256  # six rows of 2 KiB: L1-resident
PROBE_PASSES = 10_000
KERNELS = {"direct": gemm.bgemm_direct_words, "csa": bgemm_csa_words}


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


def cpu_info() -> tuple[str, float]:
    """Model name and MHz from /proc/cpuinfo (empty if unavailable)."""
    model, mhz = "unknown", 0.0
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and model == "unknown":
                    model = value.strip()
                elif key == "cpu MHz" and not mhz:
                    mhz = float(value)
    except OSError:
        pass
    return model, mhz


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


@numba.njit
def _xor_popcount_stream(rows, passes):
    """XOR + popcount of rows 0-3 of ``rows`` against rows 4 and 5, ``passes`` times.

    The ceiling probe: the same 4 x 2 register blocking as bgemm's direct micro-kernel
    (6 loads per 8 word pairs), on L1-resident rows, with no tiling around it.
    """
    total = 0
    for _ in range(passes):
        s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0
        for w in range(rows.shape[1]):
            y0, y1 = rows[4, w], rows[5, w]
            x = rows[0, w]
            s0 += _ctpop64(x ^ y0)
            s1 += _ctpop64(x ^ y1)
            x = rows[1, w]
            s2 += _ctpop64(x ^ y0)
            s3 += _ctpop64(x ^ y1)
            x = rows[2, w]
            s4 += _ctpop64(x ^ y0)
            s5 += _ctpop64(x ^ y1)
            x = rows[3, w]
            s6 += _ctpop64(x ^ y0)
            s7 += _ctpop64(x ^ y1)
        total += s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7
    return total


@numba.njit(parallel=True)
def _xor_popcount_streams(rows, passes):
    """One probe stream per thread, each on its own rows."""
    totals = np.zeros(rows.shape[0], dtype=np.int64)
    for t in numba.prange(rows.shape[0]):
        totals[t] = _xor_popcount_stream(rows[t], passes)
    return totals


def probe_bits_per_second(threads: int, repeats: int) -> float:
    """Bit-MACs per second of the XOR + popcount probe from L1 on ``threads`` threads."""
    rows = np.random.default_rng(1).integers(0, 2**63, size=(threads, 6, PROBE_WORDS),
                                             dtype=np.uint64)
    bits = threads * PROBE_PASSES * 8 * PROBE_WORDS * 64
    if threads == 1:
        fn = partial(_xor_popcount_stream, rows[0], PROBE_PASSES)
    else:
        fn = partial(_xor_popcount_streams, rows, PROBE_PASSES)
    return bits / best_time(fn, repeats, min_seconds=0.5)


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
    """±1 float32 operands and their packed forms per size; checks the kernels (and
    compiles them)."""
    data, rows = {}, {}
    for m, k, n in SIZES:
        a = rng.choice(np.array([-1, 1], dtype=np.float32), size=(m, k))
        b = rng.choice(np.array([-1, 1], dtype=np.float32), size=(k, n))
        start = time.perf_counter()
        pa, pb = pack_bits(a, axis=1), pack_bits(b, axis=0)
        rows[m, k, n] = {"pack_ms": 1e3 * (time.perf_counter() - start)}
        data[m, k, n] = (a, b, pa, pb)
        # the kernels get the packed words as they are (no copy inside the timings)
        assert gemm.kernel_words(pa.words) is pa.words and gemm.kernel_words(pb.words) is pb.words
        expected = a @ b
        assert np.array_equal(bgemm(pa, pb), expected)
        for kernel in KERNELS.values():
            assert np.array_equal(kernel(pa.words, pb.words, k), expected)
    return data, rows


def gmacs(size: tuple[int, int, int], seconds: float) -> float:
    return size[0] * size[1] * size[2] / seconds / 1e9


def measure(data: dict, rows: dict, repeats: int, all_threads: int) -> dict:
    """Fill ``rows`` with GMAC/s of each kernel and bgemm, then float32 BLAS; return the
    ceiling probe's bit-MACs per second per thread count.

    Order matters on a small machine: idle OpenBLAS workers spin (sched_yield) for ~0.1 s
    after each call and delay Numba's workers by whole scheduler slices, so BLAS runs last,
    after a pause; and Numba's OpenMP pool, once shrunk to one thread, came back slower,
    so the threaded runs come first.
    """
    time.sleep(PAUSE_S)
    probe = {}
    for threads in (all_threads, 1):
        numba.set_num_threads(threads)
        for size, (_, _, pa, pb) in data.items():
            if threads == all_threads:
                rows[size]["bgemm"] = gmacs(size, best_time(partial(bgemm, pa, pb), repeats))
            for name, kernel in KERNELS.items():
                run = partial(kernel, pa.words, pb.words, size[1])
                rows[size][name, threads] = gmacs(size, best_time(run, repeats))
        probe[threads] = probe_bits_per_second(threads, repeats)
    numba.set_num_threads(all_threads)
    time.sleep(PAUSE_S)
    for size, (a, b, _, _) in data.items():
        rows[size]["f32"] = gmacs(size, best_time(partial(np.matmul, a, b), repeats))
    return probe


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


def report(rows: dict, all_threads: int, probe: dict) -> None:
    t = all_threads
    print(f"{'M x K x N':>16} | {'f32 BLAS':>8} | {'NumPy ref':>9} | {'direct 1t':>9} | "
          f"{f'direct {t}t':>9} | {'csa 1t':>7} | {f'csa {t}t':>7} | {f'bgemm {t}t':>8} "
          f"{'picks':>6} | {'pack ms':>7}   (GMAC/s)")
    for (m, k, n), r in rows.items():
        ref = f"{r['ref']:9.1f}" if r["ref"] is not None else f"{'skipped':>9}"
        print(f"{f'{m}x{k}x{n}':>16} | {r['f32']:8.1f} | {ref} | {r['direct', 1]:9.1f} | "
              f"{r['direct', t]:9.1f} | {r['csa', 1]:7.1f} | {r['csa', t]:7.1f} | "
              f"{r['bgemm']:8.1f} {gemm.pick_kernel(m, n, -(-k // 64)):>6} | {r['pack_ms']:7.1f}")
    for (m, k, n), r in rows.items():
        if r["ref"] is None:
            print(f"NumPy reference skipped for {m}x{k}x{n}: estimated "
                  f"{r['ref_estimate_s']:.0f} s > {REFERENCE_BUDGET_S:.0f} s")
    clock = effective_ghz()
    print(f"ceiling probe (4x2 XOR + popcount of six {PROBE_WORDS}-word rows in L1): "
          + ", ".join(f"{th}t {probe[th] / 1e9:.0f} GMAC/s = "
                      f"{probe[th] / (th * clock * 1e9):.0f} bit-MACs/cycle/core"
                      for th in (1, t))
          + f" at {clock:.2f} GHz (dependent imul+add chain)")
    print(f"{'M x K x N':>16} | {'direct/f32':>10} | {'csa/f32':>8} | {'bgemm/f32':>9} | "
          f"of probe: {'direct 1t':>9} {f'direct {t}t':>9} {'csa 1t':>7} {f'csa {t}t':>7}")
    for (m, k, n), r in rows.items():
        print(f"{f'{m}x{k}x{n}':>16} | {r['direct', t] / r['f32']:9.1f}x | "
              f"{r['csa', t] / r['f32']:7.1f}x | {r['bgemm'] / r['f32']:8.1f}x | "
              f"{'':>9} {100 * r['direct', 1] * 1e9 / probe[1]:8.0f}% "
              f"{100 * r['direct', t] * 1e9 / probe[t]:8.0f}% "
              f"{100 * r['csa', 1] * 1e9 / probe[1]:6.0f}% "
              f"{100 * r['csa', t] * 1e9 / probe[t]:6.0f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10, help="timed runs per measurement")
    repeats = parser.parse_args().repeats
    all_threads = numba.config.NUMBA_NUM_THREADS
    model, mhz = cpu_info()
    data, rows = make_data(np.random.default_rng(0))
    probe = measure(data, rows, repeats, all_threads)
    measure_reference(data, rows)
    name, features = gemm.jit_target()
    isa = [f for f in ("avx2", "avx512f", "avx512vpopcntdq") if f"+{f}" in features.split(",")]
    print(f"CPU: {model}, {all_threads} Numba threads ({numba.threading_layer()} layer), "
          f"{mhz:.0f} MHz in /proc/cpuinfo")
    print(f"JIT target: {name or 'host'} with {'+'.join(isa) or 'none of avx2/avx512'}")
    print(f"BLAS: {blas_line()}")
    report(rows, all_threads, probe)


if __name__ == "__main__":
    main()
