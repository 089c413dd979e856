"""Packed vs float inference throughput of binary models, as same-run ratios.

Two models, each timed in evaluation mode on the float path and after ``model.pack()``
(XNOR-popcount products, BatchNorm + Sign folded into integer thresholds), and against
a "frozen float32" copy whose binary layers are plain ``Dense`` layers holding the deployed
weights (what a float deployment would run: BLAS, no re-binarization per call):

- the digits binary MLP (64-256-256-10, float first/last layers) on the 450 test images;
- a 4096-wide 3-layer binary MLP (``BinaryDense -> BatchNorm -> Sign`` x 3) on ±1 inputs,
  batch 64 and 256, where the binary products dominate.

Predictions of the packed model are checked equal to the float path's before timing.

Run: ``python benchmarks/bench_inference.py [--seconds S]``
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):   # full-speed BLAS for the baseline
    os.environ.pop(_var, None)

import argparse  # noqa: E402

import numba  # noqa: E402
import numpy as np  # noqa: E402
from _timing import calls_per_second as rate  # noqa: E402

import bnncore as bc  # noqa: E402
from bnncore.layers import BatchNorm1d, BinaryDense, Dense, Sequential, Sign  # noqa: E402


def wide_mlp(width: int = 4096, depth: int = 3, seed: int = 0) -> Sequential:
    rng = np.random.default_rng(seed)
    layers = []
    for _ in range(depth):
        layers += [BinaryDense(width, width, channel_scale=True, rng=rng), BatchNorm1d(width),
                   Sign()]
    model = Sequential(*layers)
    for layer in model:                   # non-trivial running statistics for the fold
        if isinstance(layer, BatchNorm1d):
            layer.running_mean = rng.normal(0, 2, width).astype(np.float32)
            layer.running_var = rng.uniform(0.5, 4, width).astype(np.float32)
    return model


def frozen_float(model: Sequential) -> Sequential:
    """The same network with each binary layer replaced by a float ``Dense`` holding its
    deployed weights ``alpha * sign(w~)``: float32 BLAS inference without re-binarizing."""
    layers = []
    for layer in model:
        if isinstance(layer, BinaryDense):
            dense = Dense(layer.in_features, layer.out_features, bias=layer.bias is not None)
            w = layer.weight.quantizer.deploy(layer.weight.data)
            if layer.channel_scale:
                w = w * layer.channel_scales()[:, None]
            dense.weight.data = w.astype(np.float32)
            if layer.bias is not None:
                dense.bias.data = layer.bias.data.copy()
            layer = dense
        layers.append(layer)
    return Sequential(*layers)


def compare(name: str, model, X: np.ndarray, seconds: float) -> None:
    model.unpack()
    ref = model.forward(X, training=False)
    float_rate = rate(lambda: model.forward(X, training=False), seconds)
    frozen = frozen_float(model)
    frozen_rate = rate(lambda: frozen.forward(X, training=False), seconds)
    model.pack()
    assert np.array_equal(model.forward(X, training=False), ref), "packed != float"
    packed_rate = rate(lambda: model.forward(X, training=False), seconds)
    n = len(X)
    print(f"{name:32s} samples/s: float path {float_rate * n:9.0f}  frozen float32 "
          f"{frozen_rate * n:9.0f}  packed {packed_rate * n:9.0f}  | packed/float path "
          f"{packed_rate / float_rate:5.2f}x  packed/frozen float32 "
          f"{packed_rate / frozen_rate:5.2f}x", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="timing budget per case")
    args = parser.parse_args()
    print(f"threads: numba {numba.get_num_threads()}, BLAS default")
    Xtr, ytr, Xte, yte = bc.data.load_digits()
    model = bc.models.mlp("ste", rng=0)
    opt = bc.optim.Adam(model.parameters(), lr=1e-3)
    bc.fit(model, bc.losses.SoftmaxCrossEntropy(), opt, (Xtr, ytr), epochs=5, progress=False)
    compare("digits MLP 64-256-256-10, N=450", model, Xte, args.seconds)
    wide = wide_mlp()
    rng = np.random.default_rng(1)
    for batch in (64, 256):
        X = np.where(rng.random((batch, 4096)) < 0.5, -1.0, 1.0).astype(np.float32)
        compare(f"binary MLP 3x4096, batch {batch}", wide, X, args.seconds)
    print(f"memory of the 3x4096 binary weights: float32 {3 * 4096 * 4096 * 4 / 2**20:.0f} MiB, "
          f"packed {3 * 4096 * 64 * 8 / 2**20:.1f} MiB (32x)")


if __name__ == "__main__":
    main()
