"""Bad inputs and the errors they raise (docs/quantizers.md, "The contract": input validation)."""

import re

import numpy as np
import pytest

from bnncore.quantizers import QuantizerPair, available, get, register, signswish
from bnncore.quantizers import base as qbase
from theory.decomposition import check


@pytest.fixture
def private_registry(monkeypatch):
    monkeypatch.setattr(qbase, "_REGISTRY", dict(qbase._REGISTRY))
    monkeypatch.setattr(qbase, "_ALIASES", dict(qbase._ALIASES))


@pytest.mark.parametrize("name", available())
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values(name, bad):
    q = get(name)
    w = np.array([0.5, 0.1, bad, 1.0])
    for method, call in (("forward", lambda: q.forward(w)), ("dB", lambda: q.dB(w)),
                         ("post_step", lambda: q.post_step(w, 0.1)),
                         ("backward", lambda: q.backward(w, np.ones(4)))):
        with pytest.raises(ValueError, match=rf"{re.escape(q.name)}\.{method}: w .*flat index 2"):
            call()
    with pytest.raises(ValueError, match=r"backward: g contains non-finite .*flat index 2"):
        q.backward(np.ones(4), w)
    if q.name != "proxquant":
        with pytest.raises(ValueError, match=r"prox: u contains non-finite .*flat index 2"):
            q.prox(w)


@pytest.mark.parametrize("bad", [[0.5, 1.0], 0.5, np.array([1, 2]), np.array([True]),
                                 np.array([0.5], np.float16), np.array([1j]),
                                 np.array([0.5], object)])
def test_wrong_types(bad):
    q = get("bnn++")
    with pytest.raises(TypeError, match="w must be") as info:
        q.forward(bad)
    if isinstance(bad, np.ndarray):
        assert str(bad.dtype) in str(info.value)


def test_backward_shape_and_dtype_mismatch():
    q = get("approxsign")
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(2, 3\)"):
        q.backward(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(TypeError, match="float32.*float64"):
        q.backward(np.zeros(3), np.zeros(3, np.float32))


@pytest.mark.parametrize("name, kwargs, match", [
    ("bnn++", {"beta": 0.0}, "beta"), ("bnn++", {"beta": -1.0}, "beta"),
    ("bnn++", {"beta": np.nan}, "beta"), ("bnn++", {"beta_end": np.inf}, "beta"),
    ("bnn++", {"beta_end": 0.0}, "beta"), ("swishsign", {"beta": -2.0}, "beta"),
    ("bnn+", {"beta": np.inf}, "beta"),
])
def test_bad_beta(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        get(name, **kwargs)


@pytest.mark.parametrize("name", ["clipped_ste", "bnn"])
@pytest.mark.parametrize("c", [0.0, -1.0, np.nan, np.inf])
def test_bad_clip_value(name, c):
    with pytest.raises(ValueError, match="clip_value"):
        get(name, clip_value=c)


@pytest.mark.parametrize("name, param", [
    ("bnn++", "beta"), ("clipped_ste", "clip_value"), ("dorefa", "m"), ("binaryrelax", "theta"),
    ("parq", "inv_slope"), ("parq", "steepness"), ("proxquant", "reg_rate"), ("proxquant", "lam"),
    ("proxconnect", "rho"), ("proxconnect", "mu"), ("binaryrelax", "anneal_end"),
])
@pytest.mark.parametrize("value", [True, "1.0"])
def test_bool_or_string_hyperparameter(name, param, value):
    with pytest.raises(TypeError, match=param):
        get(name, **{param: value})


def test_bad_k():
    with pytest.raises(TypeError, match="k"):
        get("dorefa", k=2.0)
    with pytest.raises(TypeError, match="k"):
        get("dorefa", k=True)
    for k in (0, 17, -1):
        with pytest.raises(ValueError, match="k"):
            get("dorefa", k=k)


@pytest.mark.parametrize("kwargs", [{"scale": "row"}, {"scale": 0.0}, {"scale": -1.0},
                                    {"scale": np.inf}, {"k": 2, "scale": "channel"},
                                    {"k": 3, "scale": 0.5}])
def test_bad_dorefa_scale(kwargs):
    with pytest.raises(ValueError, match="scale"):
        get("dorefa", **kwargs)


@pytest.mark.parametrize("m", [0.0, -0.5, np.nan, np.inf])
def test_bad_dorefa_m(m):
    with pytest.raises(ValueError, match="m"):
        get("dorefa", k=2, m=m)


@pytest.mark.parametrize("name, param", [("binaryrelax", "theta"), ("parq", "inv_slope")])
@pytest.mark.parametrize("value", [-0.1, 1.5, np.nan])
def test_unit_interval_parameters(name, param, value):
    with pytest.raises(ValueError, match=param):
        get(name, **{param: value})


@pytest.mark.parametrize("name", ["binaryrelax", "parq", "proxconnect"])
@pytest.mark.parametrize("a, b", [(0.5, 0.5), (0.8, 0.2), (-0.1, 0.5), (0.2, 1.5)])
def test_bad_anneal_window(name, a, b):
    with pytest.raises(ValueError, match="anneal_start") as info:
        get(name, anneal_start=a, anneal_end=b)
    assert "anneal_end" in str(info.value)


def test_bad_steepness_and_center():
    for s in (0.0, -1.0, np.inf):
        with pytest.raises(ValueError, match="steepness"):
            get("parq", steepness=s)
    for c in (-0.1, 1.1):
        with pytest.raises(ValueError, match="center"):
            get("parq", center=c)


@pytest.mark.parametrize("name, param", [("proxquant", "reg_rate"), ("proxquant", "lam"),
                                         ("proxconnect", "rho"), ("proxconnect", "varrho"),
                                         ("proxconnect", "mu"), ("proxconnect", "mu_max")])
@pytest.mark.parametrize("value", [-0.1, np.nan, np.inf])
def test_nonnegative_parameters(name, param, value):
    with pytest.raises(ValueError, match=param):
        get(name, **{param: value})


@pytest.mark.parametrize("f", [0.0, -0.5, 1.01, np.nan])
def test_bad_freeze_frac(f):
    with pytest.raises(ValueError, match="freeze_frac"):
        get("proxquant", freeze_frac=f)


@pytest.mark.parametrize("epoch, total, match", [(0, 0, "total"), (5, 5, "epoch"),
                                                 (-1, 3, "epoch")])
def test_bad_on_epoch(epoch, total, match):
    with pytest.raises(ValueError, match=match):
        get("bnn++").on_epoch(epoch, total)
    with pytest.raises(TypeError, match="epoch"):
        get("bnn++").on_epoch(True, 3)


@pytest.mark.parametrize("lr", [0.0, -0.1, np.nan, np.inf])
def test_bad_post_step_lr(lr):
    with pytest.raises(ValueError, match="lr"):
        get("proxquant").post_step(np.zeros(3), lr)


def test_unknown_name():
    with pytest.raises(ValueError, match="'nope'.*available: approxsign"):
        get("nope")


def test_register_collision(private_registry):
    with pytest.raises(ValueError, match="'bnn\\+\\+' is already registered"):
        register(get("ste"), "bnn++")


@pytest.mark.parametrize("arg", ["F", "B", "dB", "prox"])
def test_from_functions_not_callable(arg):
    fns = {"F": np.sign, "B": np.tanh, arg: 3.0}
    with pytest.raises(TypeError, match=rf"^{arg} must be callable"):
        QuantizerPair.from_functions(**fns)


def test_from_functions_probe_failures():
    with pytest.raises(ValueError, match=r"B returned shape \(\)"):
        QuantizerPair.from_functions(np.sign, lambda x: np.float64(1.0))
    with pytest.raises(ValueError, match=r"dB is non-finite at x = -3"):
        QuantizerPair.from_functions(np.sign, np.tanh,
                                     dB=lambda x: np.where(x < -2.99, np.inf, 1.0))
    with pytest.raises(ValueError, match=r"P_nondecreasing at x = -?0\.48"):
        QuantizerPair.from_functions(lambda x: signswish(x, 5.0), lambda x: x)


def test_check_on_non_elementwise_pair():
    with pytest.raises(ValueError, match="elementwise"):
        check(get("dorefa"))
    with pytest.raises(ValueError, match="elementwise"):
        check(get("dorefa", k=2))
