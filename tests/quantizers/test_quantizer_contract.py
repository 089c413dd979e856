"""The QuantizerPair contract over every registered pair (docs/quantizers.md, "The contract")."""

import numpy as np
import pytest

import bnncore as bc
import theory.decomposition
from bnncore import optim, quantizers
from bnncore.quantizers import available, get, sign, synthesize

NAMES = ["approxsign", "binaryrelax", "bnn", "bnn+", "bnn++", "clipped_ste", "dorefa",
         "identity", "parq", "proxconnect", "proxquant", "ste", "swishsign"]
ALIASES = {"bc": "ste", "binaryconnect": "ste", "hardtanh_ste": "clipped_ste",
           "approx_sign": "approxsign", "bireal": "approxsign", "swish_sign": "swishsign",
           "bnnplus": "bnn+", "bnnpp": "bnn++", "binary_relax": "binaryrelax",
           "pc": "proxconnect"}
METHODS = ("forward", "B", "dB", "prox", "deploy")


def _has_prox(q):
    try:
        q.prox(np.zeros(1))
    except NotImplementedError:
        return False
    return True


def _states(name):
    """The pair at epoch 0, mid-training and at the last epoch of a 10-epoch run."""
    out = []
    for epoch in (None, 4, 9):
        q = get(name)
        if epoch is not None:
            q.on_epoch(epoch, 10)
        out.append(q)
    return out


def test_available_lists_the_spec_names():
    assert available() == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_get_every_name(name):
    assert get(name).name == name


@pytest.mark.parametrize("alias, name", sorted(ALIASES.items()))
def test_get_every_alias(alias, name):
    q = get(alias)
    assert q.name == name and type(q) is type(get(name))


def test_get_errors():
    with pytest.raises(ValueError, match="nope") as info:
        get("nope")
    assert all(n in str(info.value) for n in NAMES)
    with pytest.raises(TypeError):
        get(3)


@pytest.mark.parametrize("name", NAMES)
def test_new_instance_every_call(name):
    a, b = get(name), get(name)
    assert a is not b
    a.on_epoch(9, 10)
    c = get(name)
    assert repr(b) == repr(c)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", NAMES)
def test_dtype_shape_mutation_memory(name, dtype, rng):
    w = np.concatenate([rng.normal(size=20), [0.0, -0.0, 1.0, -1.0]]).reshape(4, 6).astype(dtype)
    g = rng.normal(size=(4, 6)).astype(dtype)
    for q in _states(name):
        w0, g0 = w.copy(), g.copy()
        outs = {m: getattr(q, m)(w) for m in METHODS if m != "prox" or _has_prox(q)}
        outs["backward"] = q.backward(w, g)
        outs["post_step"] = q.post_step(w, 0.1)
        for m, out in outs.items():
            assert isinstance(out, np.ndarray) and out.dtype == dtype and out.shape == w.shape, m
            assert not np.shares_memory(out, w) and not np.shares_memory(out, g), m
        np.testing.assert_array_equal(w, w0)
        np.testing.assert_array_equal(g, g0)
        assert np.array_equal(np.signbit(w), np.signbit(w0))


@pytest.mark.parametrize("name", NAMES)
def test_backward_is_g_times_dB_bitwise(name, rng):
    w, g = rng.normal(size=(3, 5)) * 2, rng.normal(size=(3, 5))
    for q in _states(name):
        assert q.backward(w, g).tobytes() == (g * q.dB(w)).tobytes()


@pytest.mark.parametrize("name", NAMES)
def test_forward_is_prox_of_B_exactly(name, rng):
    w = np.concatenate([rng.normal(size=200) * 2, [0.0, -0.0, 1e-300, -1e-300, 5.0, -5.0]])
    checked = 0
    for q in _states(name):
        if _has_prox(q):
            np.testing.assert_array_equal(q.forward(w), q.prox(q.B(w)))
            checked += 1
    assert checked >= 2   # only a frozen proxquant lacks a prox


@pytest.mark.parametrize("name", NAMES)
def test_sign_of_zero_is_plus_one(name):
    for q in _states(name):
        for dtype in (np.float32, np.float64):
            z = np.array([0.0, -0.0], dtype)
            if q.binary:   # F(0) = F(-0.0) = +s, with s = |F(x)| (1 except dorefa's E)
                f = q.forward(np.array([0.0, -0.0, 0.7, -0.7], dtype))
                assert f[0] == f[1] == abs(f[2]) == abs(f[3]) > 0
                assert not np.signbit(f[:2]).any()
                if q.name != "dorefa":
                    assert f[0] == 1.0
            if q.binary_target:
                np.testing.assert_array_equal(sign(q.deploy(z)), [1.0, 1.0])


def test_scaled_dorefa_zero_maps_to_plus_s():
    q = get("dorefa", scale=0.7)
    np.testing.assert_array_equal(q.forward(np.array([0.0, -0.0])), [0.7, 0.7])


def test_reconstructed_markers():
    objects = [quantizers.BNNPlusPlus, quantizers.ProxConnect, synthesize, optim.pcpp_step,
               optim.PCPP, theory.decomposition.check]
    for obj in objects:
        assert "reconstructed" in obj.__doc__, obj.__name__


def test_validate_finite_flag_exists_and_is_true():
    assert quantizers.VALIDATE_FINITE is True


@pytest.mark.parametrize("name", NAMES)
def test_dB_matches_central_differences_of_B(name):
    x = np.linspace(-3, 3, 6001)
    checked = 0
    for q in _states(name) + ([get("dorefa", scale=0.7), get("dorefa", k=3, m=0.8)]
                              if name == "dorefa" else []):
        if not q.elementwise:
            continue
        xs = x[np.all([np.abs(x - k) > 1e-4 for k in q.knots], axis=0)] if q.knots else x
        fd = (q.B(xs + 1e-6) - q.B(xs - 1e-6)) / 2e-6
        d = q.dB(xs)
        assert np.all(np.abs(fd - d) <= 1e-5 * np.maximum(1.0, np.abs(d))), q
        checked += 1
    assert checked >= 2


@pytest.mark.parametrize("name", NAMES)
def test_io_round_trip_keeps_the_pair_and_its_state(name, tmp_path, rng):
    model = bc.layers.Sequential(bc.layers.BinaryDense(5, 3, weight_quantizer=name, rng=0),
                                 bc.layers.Sign(name if get(name).elementwise else "ste"))
    for q in model.quantizers():
        q.on_epoch(6, 9)
    bc.io.save(model, tmp_path / "m.npz")
    loaded = bc.io.load(tmp_path / "m.npz")
    x = rng.normal(size=(4, 5)).astype(np.float32)
    for a, b in zip(model.quantizers(), loaded.quantizers()):
        assert type(a) is type(b) and a.name == b.name and a.hyperparams() == b.hyperparams()
        np.testing.assert_array_equal(a.forward(x), b.forward(x))
    np.testing.assert_array_equal(model.forward(x, training=True), loaded.forward(x, training=True))
