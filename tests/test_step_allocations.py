"""A training step of ``fit`` reuses its arrays: no allocation grows with the batch.

Measured with ``tracemalloc`` (NumPy reports its array memory to it): the peak of memory
allocated during a step, above what was held before it. NumPy's ufuncs may still take a
small iteration buffer of their own (at most 8192 elements), so the bound is 64 KiB,
while one activation of the hidden layer is 512 KiB at batch 512 and 2 MiB at 2048.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import bnncore as bc

BOUND = 64 * 1024


def _trainer(method: str, optimizer: str, channel_scale: bool = False):
    model = bc.models.mlp(method, channel_scale=channel_scale, rng=0)
    opt = (bc.optim.SGD(model.parameters(), lr=0.01, momentum=0.9) if optimizer == "sgd"
           else bc.optim.Adam(model.parameters(), lr=1e-3))
    return bc.train.GradientTrainer(model, bc.losses.SoftmaxCrossEntropy(), opt)


def _step_peak(trainer, batch: int) -> tuple[int, int]:
    """(peak bytes above the start, bytes still held after) over three steps."""
    g = np.random.default_rng(0)
    X = g.random((4 * batch, 64), dtype=np.float32)
    y = g.integers(0, 10, 4 * batch)
    idx = g.permutation(4 * batch)[:batch]
    for _ in range(2):                      # the first steps make the buffers
        trainer.train_step(*trainer._batch(X, y, idx))
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        for _ in range(3):
            trainer.train_step(*trainer._batch(X, y, idx))
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - start, current - start


@pytest.mark.parametrize(("method", "optimizer", "channel_scale"),
                         [("ste", "sgd", False), ("clipped_ste", "adam", True)])
@pytest.mark.parametrize("batch", [512, 2048])
def test_a_step_allocates_no_batch_sized_array(method, optimizer, channel_scale, batch):
    trainer = _trainer(method, optimizer, channel_scale)
    peak, held = _step_peak(trainer, batch)
    assert trainer.model[3].forward_path == "packed"
    assert peak < BOUND, f"a step allocated {peak} bytes at its peak"
    assert held < 4096, f"{held} bytes were still held after three steps"


def test_the_measure_sees_a_batch_sized_temporary():
    """The same measure on a step that copies its batch reports the copy."""
    trainer = _trainer("ste", "sgd")
    trainer.reuses_batches = False          # X[idx] then allocates a new batch
    peak, _ = _step_peak(trainer, 2048)
    assert peak >= 2048 * 64 * 4


def test_public_forward_and_backward_return_fresh_arrays():
    """What the public methods return is not a buffer that the next call overwrites."""
    model = bc.models.mlp("ste", rng=0)
    g = np.random.default_rng(1)
    x1, x2 = g.random((8, 64), dtype=np.float32), g.random((8, 64), dtype=np.float32)
    y1 = model.forward(x1)
    kept = y1.copy()
    dx1 = model.backward(np.ones_like(y1))
    kept_dx = dx1.copy()
    y2 = model.forward(x2)
    model.backward(np.full_like(y2, 2.0))
    np.testing.assert_array_equal(y1, kept)
    np.testing.assert_array_equal(dx1, kept_dx)
    sign = model[2]
    s1 = sign.forward(g.normal(size=(4, 256)).astype(np.float32))
    s1_kept = s1.copy()
    sign.forward(g.normal(size=(4, 256)).astype(np.float32))
    np.testing.assert_array_equal(s1, s1_kept)
    loss = bc.losses.SoftmaxCrossEntropy()
    loss.forward(y1, np.zeros(8, int))
    grad = loss.backward()
    grad_kept = grad.copy()
    loss.forward(y2, np.ones(8, int))
    np.testing.assert_array_equal(grad, grad_kept)
