"""The quantizer registry: get / available / register (docs/quantizers.md, "The contract")."""

import numpy as np
import pytest

from bnncore import quantizers
from bnncore.quantizers import STE, ClippedSTE, QuantizerPair, available, get, register
from bnncore.quantizers import base as qbase

ENGINE_PAIRS = {"identity", "ste", "clipped_ste", "bnn"}
ALIASES = {"bc": "ste", "binaryconnect": "ste", "hardtanh_ste": "clipped_ste"}


@pytest.fixture
def private_registry(monkeypatch):
    """Register into copies of the registry tables; the real ones are restored after."""
    monkeypatch.setattr(qbase, "_REGISTRY", dict(qbase._REGISTRY))
    monkeypatch.setattr(qbase, "_ALIASES", dict(qbase._ALIASES))


def test_available_is_sorted_and_complete():
    names = available()
    assert names == sorted(names)
    assert ENGINE_PAIRS <= set(names)
    assert not set(ALIASES) & set(names)  # aliases are not canonical names


@pytest.mark.parametrize("name", sorted(ENGINE_PAIRS))
def test_get_every_name(name):
    pair = get(name)
    assert isinstance(pair, QuantizerPair) and pair.name == name


def test_get_every_available_name():
    for name in available():
        assert get(name).name == name


@pytest.mark.parametrize("alias, canonical", sorted(ALIASES.items()))
def test_aliases_resolve_to_the_canonical_name(alias, canonical):
    assert get(alias).name == canonical
    assert get(alias.upper()).name == canonical


def test_lookup_is_case_insensitive():
    assert get("STE").name == "ste" and get("Clipped_STE").name == "clipped_ste"


def test_get_returns_new_instances():
    a, b = get("clipped_ste"), get("clipped_ste")
    assert a is not b
    a.clip_value = 5.0
    assert b.clip_value == 1.0 == get("clipped_ste").clip_value


def test_get_passes_keyword_arguments():
    pair = get("clipped_ste", clip_value=0.5)
    assert pair.clip_value == 0.5 and pair.hyperparams() == {"clip_value": 0.5}
    np.testing.assert_array_equal(pair.dB(np.array([0.4, 0.6])), [1.0, 0.0])
    with pytest.raises(ValueError, match="clip_value must be finite and > 0"):
        get("clipped_ste", clip_value=0.0)


def test_get_of_an_instance_returns_it():
    pair = ClippedSTE(0.5)
    assert get(pair) is pair
    with pytest.raises(TypeError, match="keyword arguments apply to a registry name"):
        get(pair, clip_value=2.0)


def test_unknown_name_lists_available():
    with pytest.raises(ValueError, match="unknown quantizer 'nope'") as info:
        get("nope")
    for name in available():
        assert name in str(info.value)


@pytest.mark.parametrize("bad", [3, None, 1.5, ["ste"], STE])
def test_non_string_name_is_a_type_error(bad):
    with pytest.raises(TypeError, match="quantizer name must be a str"):
        get(bad)


def test_register_a_factory(private_registry):
    register(STE, "test_reg_factory", aliases=("test_reg_alias",))
    assert "test_reg_factory" in available() and "test_reg_alias" not in available()
    a, b = get("test_reg_factory"), get("TEST_REG_ALIAS")
    assert isinstance(a, STE) and a.name == b.name == "test_reg_factory" and a is not b


def test_register_an_instance_gives_deep_copies(private_registry):
    proto = ClippedSTE(0.25)
    proto.name = "test_reg_instance"
    register(proto)
    a, b = get("test_reg_instance"), get("test_reg_instance")
    assert a is not proto and a is not b
    assert a.clip_value == 0.25 and a.name == "test_reg_instance"
    a.clip_value = 3.0
    assert get("test_reg_instance").clip_value == 0.25 and proto.clip_value == 0.25
    with pytest.raises(TypeError, match="registered as an instance and takes no arguments"):
        get("test_reg_instance", clip_value=1.0)


def test_register_collisions_and_overwrite(private_registry):
    register(STE, "test_reg_dup")
    with pytest.raises(ValueError, match="'test_reg_dup' is already registered"):
        register(ClippedSTE, "test_reg_dup")
    with pytest.raises(ValueError, match="'ste' is already registered"):
        register(ClippedSTE, "STE")
    with pytest.raises(ValueError, match="'bc' is already registered"):
        register(ClippedSTE, "bc")
    register(ClippedSTE, "test_reg_dup", overwrite=True)
    assert isinstance(get("test_reg_dup"), ClippedSTE)


def test_register_bad_arguments(private_registry):
    with pytest.raises(TypeError, match="factory must be a QuantizerPair or a callable"):
        register("ste", "test_reg_bad")
    with pytest.raises(ValueError, match="name must be a non-empty string"):
        register(STE)
    with pytest.raises(ValueError, match="name must be a non-empty string"):
        register(STE, "")


def test_annealing_state_is_not_shared(private_registry):
    class Counting(STE):
        def __init__(self):
            self.seen = []

        def _on_epoch(self, epoch, total):
            self.seen.append((epoch, total))

    register(Counting, "test_reg_counting")
    a, b = get("test_reg_counting"), get("test_reg_counting")
    a.on_epoch(1, 3)
    assert a.seen == [(1, 3)] and b.seen == []


def test_private_registry_was_restored():
    # runs after the tests above: no test name leaked into the real registry
    assert not [n for n in available() if n.startswith("test_reg")]
    assert quantizers.available() == available()
