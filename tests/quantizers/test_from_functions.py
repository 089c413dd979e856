"""User pairs (QuantizerPair.from_functions) and synthesized pairs (docs/quantizers.md)."""

import numpy as np
import pytest

from bnncore.quantizers import (
    ZOO,
    FunctionPair,
    QuantizerPair,
    SynthesizedPair,
    get,
    sign,
    signswish,
    synthesize,
    zoo,
)
from bnncore.testing import check_quantizer_pair
from theory.decomposition import check


def test_sign_with_identity_backward_works():
    q = QuantizerPair.from_functions(lambda x: np.where(x >= 0, 1.0, -1.0), lambda x: x)
    assert isinstance(q, FunctionPair) and q.name == "custom"
    w = np.array([-0.5, 0.0, 2.0], np.float32)
    out = q.forward(w)
    assert out.dtype == np.float32 and not np.shares_memory(out, w)
    np.testing.assert_array_equal(out, [-1, 1, 1])
    np.testing.assert_array_equal(q.backward(w, np.ones(3, np.float32)), np.ones(3))
    with pytest.raises(NotImplementedError, match="custom has no PC\\+\\+ factorization"):
        q.prox(w)


@pytest.mark.parametrize("arg", ["F", "B"])
def test_non_callable_is_a_type_error_naming_it(arg):
    fns = {"F": sign, "B": np.tanh, arg: "sign"}
    with pytest.raises(TypeError, match=f"^{arg} must be callable"):
        QuantizerPair.from_functions(fns["F"], fns["B"])


def test_non_monotone_forward_is_refused_unless_validate_false():
    SS = lambda x: signswish(x, 5.0)  # noqa: E731
    with pytest.raises(ValueError, match="P_nondecreasing"):
        QuantizerPair.from_functions(SS, lambda x: x)
    q = QuantizerPair.from_functions(SS, lambda x: x, validate=False)
    np.testing.assert_allclose(q.forward(np.array([0.2])), [0.8553410237429735], rtol=1e-12)
    assert not check(q).ok


def test_central_difference_dB():
    q = QuantizerPair.from_functions(sign, np.tanh)
    x = np.linspace(-3, 3, 1001)
    assert np.abs(q.dB(x) - (1 - np.tanh(x) ** 2)).max() < 1e-6
    x32 = x.astype(np.float32)
    assert q.dB(x32).dtype == np.float32


def test_given_dB_and_prox_and_descriptors():
    q = QuantizerPair.from_functions(sign, np.tanh, dB=lambda x: 1 - np.tanh(x) ** 2,
                                     prox=sign, name="tanh_ste", binary=True,
                                     binary_target=True, forward_monotone=True, knots=[0.0])
    assert q.name == "tanh_ste" and q.binary and q.knots == (0.0,)
    x = np.array([-1.0, 0.0, 0.5])
    np.testing.assert_array_equal(q.prox(q.B(x)), q.forward(x))
    np.testing.assert_array_equal(q.deploy(x), [-1.0, 1.0, 1.0])
    check_quantizer_pair(q)
    with pytest.raises(TypeError, match="unknown descriptor"):
        QuantizerPair.from_functions(sign, np.tanh, monotone=True)


def test_latent_domain_restricts_the_probe():
    SS = lambda x: signswish(x, 5.0)  # noqa: E731
    q = QuantizerPair.from_functions(SS, lambda x: x, latent_domain=(-0.47, 0.47))
    assert q.latent_domain == (-0.47, 0.47) and check(q).ok


def test_user_pair_output_shape_is_checked_on_every_call():
    q = QuantizerPair.from_functions(sign, lambda x: x, validate=False)
    q._F = lambda x: x.ravel()
    with pytest.raises(ValueError, match="F returned shape"):
        q.forward(np.zeros((2, 2)))


def test_synthesize_binaryrelax_swishsign():
    q = synthesize("binaryrelax", "swishsign")
    assert isinstance(q, SynthesizedPair) and q.name == "binaryrelax@swishsign"
    x = np.concatenate([np.linspace(-3, 3, 601), [0.0, -0.0, 1e-300, -1e-300]])
    for epoch in (None, 3, 9):
        if epoch is not None:
            q.on_epoch(epoch, 10)
        np.testing.assert_array_equal(q.forward(x), q.prox(q.B(x)))
        np.testing.assert_array_equal(q.dB(x), get("swishsign").dB(x))
    assert q.prox_pair.theta == 1.0 and q.binary      # on_epoch reached the prox component
    np.testing.assert_array_equal(q.forward(x), sign(x))


def test_zoo_pairs_pass_the_factor_criterion_and_the_properties():
    pairs = zoo()
    assert [q.name for q in pairs] == list(ZOO)
    for q in pairs:
        assert check(q).ok, q.name
        check_quantizer_pair(q)


def test_synthesize_with_callable_and_instances():
    q = synthesize(np.tanh, get("clipped_ste", clip_value=2.0), name="tanh@clip2")
    x = np.array([-3.0, -0.5, 1.0, 2.5])
    np.testing.assert_allclose(q.forward(x), np.tanh(np.clip(x, -2, 2)), rtol=1e-15)
    assert q.name == "tanh@clip2" and not q.binary and q.knots == (0.0, -2.0, 2.0)
    bnn = synthesize("ste", "bnn")
    np.testing.assert_array_equal(bnn.post_step(np.array([-3.0, 0.5]), 0.1), [-1.0, 0.5])
    assert bnn.latent_domain == (-1.0, 1.0) and bnn.binary
    with pytest.raises(TypeError, match="prox"):
        synthesize(3, "ste")
    with pytest.raises(TypeError, match="backward"):
        synthesize("ste", np.tanh)
