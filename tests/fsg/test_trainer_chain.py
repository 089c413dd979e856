"""The whole hypernet chain: task loss -> Wm -> generated gradient -> hypernet parameters.

docs/fsg.md, sections "Tests" (the full chain check) and "Baselines and invariants" (MetaQuant).
The binary Parameters get the smooth surrogate ``F(x) = tanh(x)/M0`` (``M0 = M(Wm)`` frozen,
``B' = 1``), so the task loss is differentiable in the hypernet parameters; the gradients
left by ``generate; forward; backward; meta_backward(g)`` must match central differences of
``Ls(theta) = CE(model with p.data = Wm(theta))`` under the gradient-check protocol.

Calibration: the slow-net's step-size path (``W_dt``, ``b_dt``, ``A_log``) and the LRE get
gradients that scale with a high power of the slow-net input (the stored gradients). With
the model's default BatchNorm ``gamma = 1`` those tensors stay at 1e-5..5e-4, below the
1e-3 floor (a vacuous check). The task model therefore starts with ``gamma = 6``, which
makes the gradients (hence the history) O(1); seed 1 keeps every tensor above the floor
with margin in both layouts (smallest max|numeric| about 2e-2).
"""

from __future__ import annotations

import numpy as np
import pytest
from fsg_helpers import assert_close_grads, randomize, tiny_data, tiny_model

from bnncore.fsg import FSGTrainer
from bnncore.fsg.lookahead import M
from bnncore.losses import SoftmaxCrossEntropy
from bnncore.quantizers import QuantizerPair

SEED, GAMMA = 1, 6.0


def frozen_trainer(method: str, layout: str = "per_weight"):
    """A trainer brought to t = 4 (per_weight: k = 3) or t = 1 (flat: k = 1), hypernets
    overwritten with 0.7 N(0, 1), binary quantizers replaced by the smooth surrogate."""
    model = tiny_model(SEED)
    model[1].weight.data[...] = GAMMA
    kw = {"alpha": 0.5} if method == "fsg" else {}
    tr = FSGTrainer(model, SoftmaxCrossEntropy(), method=method, lr=0.5, history_length=3,
                    fast_hidden=5, fast_act="tanh", expand=4, d_state=3, d_conv=2,
                    layout=layout, lre=True, dtype=np.float64, **kw)
    iters = 1 if layout == "flat" else 4
    X, y = tiny_data(6 * iters, seed=SEED)
    tr.fit((X, y), epochs=1, batch_size=6, seed=SEED, progress=False)
    assert tr.iteration == iters and tr.hgs.count == min(iters, 3)
    randomize(tr.hyper_parameters(), seed=SEED + 100)
    Wm0 = tr.generate()
    for p, wm in zip(tr.binary, Wm0):
        m0 = float(M(wm))
        p.quantizer = QuantizerPair.from_functions(
            lambda x, m0=m0: np.tanh(x) / m0, lambda x: x, lambda x: np.ones_like(x),
            name="tanh_surrogate", validate=False)
    return tr


def chain_check(tr, straight_through: bool = False) -> dict:
    Xb, yb = tiny_data(6, seed=SEED + 1)
    loss = SoftmaxCrossEntropy()
    ref = tr.generated

    def loss_at(Wm):
        saved = [p.data.copy() for p in tr.binary]
        for p, w in zip(tr.binary, Wm):
            p.data[...] = w
        try:
            value = loss.forward(tr.model.forward(Xb, training=True), yb)
        finally:
            for p, w in zip(tr.binary, saved):
                p.data[...] = w
        return value

    def Ls():
        Wm = tr.generate()
        if straight_through:        # MetaQuant: value W - step_prev, gradient through cal*G
            Wm = [w - tr.eta * c * (g - g0) for w, c, g, g0 in
                  zip(Wm, ref["cal"], tr.generated["G"], ref["G"])]
        return loss_at(Wm)

    for p in tr.hyper_parameters():
        p.zero_grad()
    Wm = tr.generate()
    saved = [p.data.copy() for p in tr.binary]
    for p, w in zip(tr.binary, Wm):
        p.data[...] = w
    for p in tr.model.parameters():
        p.zero_grad()
    loss.forward(tr.model.forward(Xb, training=True), yb)
    tr.model.backward(loss.backward())
    g = [p.grad.copy() for p in tr.binary]
    for p, w in zip(tr.binary, saved):
        p.data[...] = w
    tr.meta_backward(g)
    targets = {p.name: (p.data, p.grad.copy()) for p in tr.hyper_parameters()}
    return assert_close_grads(Ls, targets)


@pytest.mark.parametrize("layout", ["per_weight", "flat"])
def test_full_chain_gradcheck_fsg(layout):
    details = chain_check(frozen_trainer("fsg", layout))
    names = set(details)
    assert {"fast.W1", "fast.W2", "fast.W3", "slow.lre", "slow.W_dt", "slow.A_log"} <= names
    assert len(names) == 13                                   # 3 fast + 9 block + LRE


@pytest.mark.parametrize("method", ["fc_grad", "multifc"])
def test_metaquant_chain_gradcheck(method):
    details = chain_check(frozen_trainer(method), straight_through=True)
    assert set(details) == ({"meta.W1", "meta.W2"} | ({"meta.W3"} if method == "multifc"
                                                      else set()))
