"""Start-up cost: a fresh process that imports bnncore and makes its first packed call.

Measured in fresh interpreter processes, with a warm Numba cache (compiled kernels loaded
from disk) and with a cold one (an empty ``NUMBA_CACHE_DIR``, so the kernels compile).
Also reports plain ``import bnncore`` (which compiles nothing) and, for scale, a bare
``import numpy`` in the same way.

Run: ``python benchmarks/bench_import.py [--repeats N]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

FIRST_PACKED_CALL = """
import numpy as np
import bnncore as bc
layer = bc.layers.BinaryDense(100, 10, rng=0).pack()
layer.forward(np.ones((4, 100), np.float32), training=False)
"""


def run(code: str, env: dict) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    env = dict(os.environ)
    cases = [("import numpy", "import numpy", None),
             ("import bnncore", "import bnncore", None),
             ("import + first packed call, warm cache", FIRST_PACKED_CALL, None)]
    run(FIRST_PACKED_CALL, env)                         # make sure the default cache is warm
    for name, code, _ in cases:
        times = [run(code, env) for _ in range(args.repeats)]
        print(f"{name:42s} median {statistics.median(times):6.2f} s  "
              f"(min {min(times):.2f}, {args.repeats} runs)", flush=True)
    cold = []
    for _ in range(max(1, args.repeats // 2)):
        with tempfile.TemporaryDirectory() as cache:
            cold.append(run(FIRST_PACKED_CALL, {**env, "NUMBA_CACHE_DIR": cache}))
    print(f"{'import + first packed call, cold cache':42s} median {statistics.median(cold):6.2f} s"
          f"  (min {min(cold):.2f}, {len(cold)} runs)")


if __name__ == "__main__":
    main()
