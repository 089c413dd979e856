"""Paired seeds: changing only the method changes neither the initial weights nor the batches."""

import numpy as np
import pytest

from bnncore.experiments import PROTOCOLS, RunSpec, run, setup_for


def _start(spec):
    """The trainer's initial parameters and the label sequence of its first 3 batches."""
    trainer, train, test = setup_for(spec.method)(spec)
    params = {p.name: p.data.copy() for p in trainer.model.parameters()}
    seen = []
    step = trainer.train_step

    def recording_step(xb, yb):
        seen.append(np.asarray(xb).copy())
        return step(xb, yb)

    trainer.train_step = recording_step
    trainer.fit(train, epochs=1, batch_size=spec.batch_size, seed=spec.seed, progress=False)
    return params, seen


def _same_start(a, b):
    (pa, xa), (pb, xb) = a, b
    assert pa.keys() == pb.keys()
    for name in pa:
        np.testing.assert_array_equal(pa[name], pb[name], err_msg=name)
    assert len(xa) == len(xb)
    for u, v in zip(xa, xb):
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("protocol, methods", [
    ("pcpp", ["ste", "clipped_ste", "bnn", "bnn++", "float"]),
    ("ovsw", ["ste"]),
])
def test_same_architecture_same_weights_and_batches(protocol, methods):
    ref = _start(PROTOCOLS[protocol].spec("ste", seed=4, epochs=1))
    for method in methods:
        _same_start(ref, _start(PROTOCOLS[protocol].spec(method, seed=4, epochs=1)))
    with_ags = PROTOCOLS["ovsw"].spec("ste", seed=4, epochs=1, ags=0.04, sad=0.01)
    _same_start(ref, _start(with_ags))


def test_fsg_and_its_ste_baseline_share_weights_and_batches():
    _same_start(_start(PROTOCOLS["fsg"].spec("fsg", seed=2, epochs=1)),
                _start(PROTOCOLS["fsg"].spec("fsg-ste", seed=2, epochs=1)))


def test_another_seed_changes_weights_and_batches():
    a = _start(PROTOCOLS["pcpp"].spec("bnn", seed=0, epochs=1))
    b = _start(PROTOCOLS["pcpp"].spec("bnn", seed=1, epochs=1))
    with pytest.raises(AssertionError):
        _same_start(a, b)


def test_same_spec_same_result_bit_for_bit():
    spec = PROTOCOLS["pcpp"].spec("bnn++", seed=3, epochs=2)
    assert run(spec).outcome() == run(spec).outcome()


def _latents(spec):
    trainer, train, test = setup_for(spec.method)(spec)
    trainer.fit(train, epochs=spec.epochs, batch_size=spec.batch_size, seed=spec.seed,
                progress=False)
    scores = trainer.evaluate(test)
    weights = [p.data for p in trainer.model.parameters() if p.quantizer is not None]
    return np.concatenate([w.ravel() for w in weights]), scores["accuracy"]


@pytest.mark.slow
def test_under_the_pcpp_protocol_the_ste_family_differs():
    """Latent weights leave [-1, 1], where STE, clipped STE and BNN stop coinciding."""
    runs = {m: _latents(PROTOCOLS["pcpp"].spec(m, seed=0)) for m in
            ("ste", "clipped_ste", "bnn")}
    w_ste, _ = runs["ste"]
    assert np.abs(w_ste).max() > 1.0
    assert np.abs(runs["bnn"][0]).max() <= 1.0                  # BNN clips its latents
    for a, b in (("ste", "clipped_ste"), ("ste", "bnn"), ("clipped_ste", "bnn")):
        assert not np.array_equal(runs[a][0], runs[b][0]), (a, b)
    # under the quick default recipe the three are still one function
    quick = {m: _latents(PROTOCOLS["default"].spec(m, seed=0, epochs=2))[0]
             for m in ("ste", "clipped_ste", "bnn")}
    assert np.abs(quick["ste"]).max() < 1.0
    np.testing.assert_array_equal(quick["ste"], quick["bnn"])


def test_protocol_specs_are_explicit_and_checked():
    s = PROTOCOLS["ovsw"].spec("ste", "fashion-mnist", seed=1)
    assert (s.optimizer, s.lr, s.momentum, s.weight_decay, s.schedule, s.epochs,
            s.batch_size) == ("sgd", 0.1, 0.9, 5e-4, "cosine", 10, 128)
    assert PROTOCOLS["gft"].spec("gft").optimizer is None      # GFT keeps its own recipe
    with pytest.raises(ValueError, match="no epochs"):
        PROTOCOLS["fsg"].spec("fsg", "fashion-mnist")
    with pytest.raises(ValueError, match="unknown protocol"):
        from bnncore.experiments.protocols import protocol
        protocol("imagenet")
    with pytest.raises(ValueError, match="momentum"):
        run(RunSpec("ste", epochs=1, optimizer="adam", momentum=0.9))
