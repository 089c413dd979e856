"""One training step (forward + backward + SGD) of the binary MLP: bnncore vs PyTorch CPU.

Model: 64-256-256-10, float first/last layers, a latent-weight binary hidden layer (sign
forward, identity STE backward), BatchNorm + sign activations with the clipped STE,
softmax cross-entropy, SGD with momentum. PyTorch's binarizers are written as custom
``torch.autograd.Function``s with ``torch.sign``. Both libraries use the same number of
threads. Prints steps per second and the ratio bnncore/pytorch for batch 32, 128, 512.

Run: ``python benchmarks/bench_train_step.py [--threads N] [--seconds S]``
(PyTorch comes with the bench extra: ``pip install -e ".[bench]"``; on this project's
machines ``pip install torch==2.13.0`` takes the CPU build from disk).
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from _timing import calls_per_second
from threadpoolctl import threadpool_limits

import bnncore as bc


def bnncore_step(batch: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    model = bc.models.mlp("ste", rng=seed)
    opt = bc.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss = bc.losses.SoftmaxCrossEntropy()
    X = rng.random((batch, 64), dtype=np.float32)
    y = rng.integers(0, 10, batch)

    def step():
        opt.zero_grad()
        out = model.forward(X, training=True)
        loss.forward(out, y)
        model.backward(loss.backward())
        opt.step()

    return step


def torch_step(batch: int, seed: int = 0):
    import torch

    class SignSTE(torch.autograd.Function):
        """sign forward (sign(0) = +1), identity backward: the weight binarizer."""

        @staticmethod
        def forward(ctx, w):
            return torch.where(w >= 0, 1.0, -1.0)

        @staticmethod
        def backward(ctx, g):
            return g

    class SignClipped(torch.autograd.Function):
        """sign forward, hardtanh STE backward: the activation binarizer."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return torch.where(x >= 0, 1.0, -1.0)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * (x.abs() <= 1)

    class BinaryLinear(torch.nn.Linear):
        def forward(self, x):
            return torch.nn.functional.linear(x, SignSTE.apply(self.weight), self.bias)

    class Act(torch.nn.Module):
        def forward(self, x):
            return SignClipped.apply(x)

    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.BatchNorm1d(256), Act(),
                                BinaryLinear(256, 256), torch.nn.BatchNorm1d(256), Act(),
                                torch.nn.Linear(256, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss = torch.nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(seed)
    X = torch.rand((batch, 64), generator=g)
    y = torch.randint(0, 10, (batch,), generator=g)

    def step():
        opt.zero_grad()
        loss(model(X), y).backward()
        opt.step()

    return step


def steps_per_second(step, seconds: float) -> float:
    """Best of 5 rounds of repeated steps (after 5 warm-up steps)."""
    return calls_per_second(step, seconds, warmup=5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--seconds", type=float, default=2.0, help="timing budget per case")
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        torch = None
    print(f"threads: {args.threads} (BLAS of numpy and torch.set_num_threads)")
    if torch is None:
        print("PyTorch is not installed: only bnncore is timed. Install the bench extra "
              "(pip install -e \".[bench]\" or pip install torch==2.13.0) for the ratio.")
    else:
        torch.set_num_threads(args.threads)
        print(f"torch {torch.__version__}")
    with threadpool_limits(limits=args.threads, user_api="blas"):
        for batch in (32, 128, 512):
            ours = steps_per_second(bnncore_step(batch), args.seconds)
            line = f"batch {batch:4d}: bnncore {ours:8.1f} steps/s"
            if torch is not None:
                ref = steps_per_second(torch_step(batch), args.seconds)
                line += f"  pytorch {ref:8.1f} steps/s  bnncore/pytorch {ours / ref:5.2f}x"
            print(line, flush=True)


if __name__ == "__main__":
    main()
