"""One training step (forward + backward + SGD) of the binary MLP: bnncore vs PyTorch CPU.

Model: 64-256-256-10, float first/last layers, a latent-weight binary hidden layer (sign
forward, identity STE backward), BatchNorm + sign activations with the clipped STE,
softmax cross-entropy, SGD with momentum. PyTorch's binarizers are written as custom
``torch.autograd.Function``s with ``torch.sign``. Both libraries use the same number of
threads. Prints steps per second and the ratio bnncore/pytorch for batch 32, 128, 512.
bnncore runs the step as ``fit`` does (``GradientTrainer.train_step``: reused buffers, no
gradient w.r.t. the data, the binary layer's forward on packed words); PyTorch's input
does not require a gradient either. "packed/float product" is bnncore's step with the
binary layer's packed training forward over the same step with ``packed_training=False``
(the same numbers bit for bit). ``--profile`` adds, per batch size, the time of each
layer's forward and backward, the loss and the optimizer in both libraries.

Run: ``python benchmarks/bench_train_step.py [--threads N] [--seconds S] [--profile]``
(PyTorch comes with the bench extra: ``pip install -e ".[bench]"``; on this project's
machines ``pip install torch==2.13.0`` takes the CPU build from disk).
"""

from __future__ import annotations

import argparse
import os
import time
from functools import partial

import numpy as np
from _timing import calls_per_second
from threadpoolctl import threadpool_limits

import bnncore as bc


def bnncore_trainer(batch: int, seed: int = 0, packed: bool = True):
    """The MLP, its trainer and one batch."""
    rng = np.random.default_rng(seed)
    model = bc.models.mlp("ste", packed_training=packed, rng=seed)
    opt = bc.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    trainer = bc.train.GradientTrainer(model, bc.losses.SoftmaxCrossEntropy(), opt)
    X = rng.random((batch, 64), dtype=np.float32)
    y = rng.integers(0, 10, batch)
    return trainer, X, y


def bnncore_step(batch: int, seed: int = 0, packed: bool = True):
    trainer, X, y = bnncore_trainer(batch, seed, packed)
    return partial(trainer.train_step, X, y)


def torch_parts(batch: int, seed: int = 0):
    """PyTorch's copy of the MLP, its optimizer, loss and one batch."""
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
    return model, opt, loss, X, y


def torch_step(batch: int, seed: int = 0):
    model, opt, loss, X, y = torch_parts(batch, seed)

    def step():
        opt.zero_grad()
        loss(model(X), y).backward()
        opt.step()

    return step


class Clock:
    """Sums of wall time per named phase."""

    def __init__(self) -> None:
        self.total: dict[str, float] = {}

    def add(self, name: str, seconds: float) -> None:
        self.total[name] = self.total.get(name, 0.0) + seconds

    def timed(self, name: str, fn, *args):
        start = time.perf_counter()
        out = fn(*args)
        self.add(name, time.perf_counter() - start)
        return out


def profile_bnncore(batch: int, steps: int) -> dict[str, float]:
    """Microseconds per step of each phase of ``GradientTrainer.train_step``, unrolled."""
    trainer, X, y = bnncore_trainer(batch)
    model, loss, opt = trainer.model, trainer.loss, trainer.optimizer
    clock = Clock()
    for i in range(steps + 5):
        if i == 5:
            clock.total.clear()
        clock.timed("zero_grad", opt.zero_grad)
        h = clock.timed("input check", model._check_input, X, "xb")
        for j, layer in enumerate(model.layers):
            h = clock.timed(f"forward {j} {type(layer).__name__}", layer._forward, h, True)
        clock.timed("loss forward", loss.forward, h, y)
        g = loss._grad
        for j in range(len(model.layers) - 1, 0, -1):
            layer = model.layers[j]
            g = clock.timed(f"backward {j} {type(layer).__name__}", layer._backward, g)
        layer = model.layers[0]
        clock.timed(f"backward 0 {type(layer).__name__}", layer._backward_params, g)
        clock.timed("optimizer step", opt.step)
    return {k: 1e6 * v / steps for k, v in clock.total.items()}


def profile_torch(batch: int, steps: int) -> dict[str, float]:
    """Microseconds per step of each module's forward and backward (module hooks), the
    loss, the whole backward and the optimizer."""
    model, opt, loss, X, y = torch_parts(batch)
    clock, started = Clock(), {}
    for j, module in enumerate(model):
        name = f"{j} {type(module).__name__}"

        def pre(key):
            return lambda *_: started.__setitem__(key, time.perf_counter())

        def post(key):
            return lambda *_: clock.add(key, time.perf_counter() - started[key])

        module.register_forward_pre_hook(pre(f"forward {name}"))
        module.register_forward_hook(post(f"forward {name}"))
        module.register_full_backward_pre_hook(pre(f"backward {name}"))
        module.register_full_backward_hook(post(f"backward {name}"))
    for i in range(steps + 5):
        if i == 5:
            clock.total.clear()
        clock.timed("zero_grad", opt.zero_grad)
        out = model(X)
        value = clock.timed("loss forward", loss, out, y)
        clock.timed("backward (all)", value.backward)
        clock.timed("optimizer step", opt.step)
    return {k: 1e6 * v / steps for k, v in clock.total.items()}


def print_profile(batch: int, ours: dict, ref: dict | None) -> None:
    """One table: phase, bnncore µs, PyTorch µs (layers matched by index)."""
    def layer_key(table: dict, prefix: str) -> str | None:
        return next((k for k in table if k.startswith(prefix)), None)

    rows = ["zero_grad", "input check"]
    rows += [f"forward {j}" for j in range(7)] + ["loss forward"]
    rows += [f"backward {j}" for j in range(6, -1, -1)] + ["backward (all)", "optimizer step"]
    print(f"profile, batch {batch} (µs per step; PyTorch's module names in brackets)")
    for row in rows:
        k_ours = layer_key(ours, row)
        k_ref = layer_key(ref, row) if ref else None
        a = f"{ours[k_ours]:9.1f}" if k_ours else f"{'-':>9}"
        b = f"{ref[k_ref]:9.1f}" if k_ref else f"{'-':>9}"
        label = k_ours or row
        if k_ref and k_ref != k_ours:
            label += f" [{k_ref.split(' ', 2)[-1]}]"
        print(f"  {label:42s} {a}  {b}")
    # PyTorch's per-module backward times overlap its "backward (all)": sum without them.
    ref_sum = sum(v for k, v in (ref or {}).items()
                  if k == "backward (all)" or not k.startswith("backward "))
    print(f"  {'sum':42s} {sum(ours.values()):9.1f}  {ref_sum:9.1f}" if ref else
          f"  {'sum':42s} {sum(ours.values()):9.1f}")


def steps_per_second(step, seconds: float) -> float:
    """Best of 5 rounds of repeated steps (after 5 warm-up steps)."""
    return calls_per_second(step, seconds, warmup=5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--seconds", type=float, default=6.0,
                        help="timing budget per library and batch size")
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternating rounds per batch size (the best is kept)")
    parser.add_argument("--profile", action="store_true",
                        help="time each layer and phase in both libraries")
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
            # Alternating rounds, the best of each kept: a burst of load from another
            # tenant of the host then hits both libraries alike.
            ours_step, float_step = bnncore_step(batch), bnncore_step(batch, packed=False)
            ref_step = torch_step(batch) if torch is not None else None
            ours = floats = ref = 0.0
            budget = args.seconds / args.rounds
            for _ in range(args.rounds):
                ours = max(ours, steps_per_second(ours_step, budget))
                floats = max(floats, steps_per_second(float_step, budget))
                if ref_step is not None:
                    ref = max(ref, steps_per_second(ref_step, budget))
            line = (f"batch {batch:4d}: bnncore {ours:8.1f} steps/s (packed/float product "
                    f"{ours / floats:4.2f}x)")
            if ref_step is not None:
                line += f"  pytorch {ref:8.1f} steps/s  bnncore/pytorch {ours / ref:5.2f}x"
            print(line, flush=True)
        if args.profile:
            for batch in (32, 128, 512):
                steps = max(20, 20_000 // batch)
                print_profile(batch, profile_bnncore(batch, steps),
                              profile_torch(batch, steps) if torch is not None else None)


if __name__ == "__main__":
    main()
