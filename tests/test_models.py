"""Reference architectures: layer structure, binary/float variants, shapes, determinism."""

import numpy as np
import pytest

from bnncore.layers import (
    BatchNorm1d,
    BinaryConv2d,
    BinaryDense,
    Conv2d,
    Dense,
    ReLU,
    Sign,
)
from bnncore.models import cnn, mlp


def test_binary_mlp_structure():
    model = mlp("ste", rng=0)
    assert [type(layer) for layer in model] == [Dense, BatchNorm1d, Sign, BinaryDense,
                                                BatchNorm1d, Sign, Dense]
    assert (model[0].in_features, model[0].out_features) == (64, 256)
    assert (model[3].in_features, model[3].out_features) == (256, 256)
    assert (model[6].in_features, model[6].out_features) == (256, 10)
    assert model[3].weight.quantizer.name == "ste" and model[3].channel_scale is False
    assert model[2].quantizer.name == "clipped_ste"
    y = model.forward(np.zeros((3, 64), np.float32))
    assert y.shape == (3, 10) and y.dtype == np.float32


def test_float_mlp_has_no_binary_parts():
    model = mlp("float", hidden=(8, 8, 8), rng=0)
    assert [type(layer) for layer in model] == [Dense, BatchNorm1d, ReLU] * 3 + [Dense]
    assert model.quantizers() == []


def test_mlp_options():
    model = mlp("clipped_ste", in_features=5, hidden=(4, 3, 2), n_classes=3,
                channel_scale=True, activation="ste", rng=1)
    binaries = [layer for layer in model if isinstance(layer, BinaryDense)]
    assert len(binaries) == 2 and all(b.channel_scale for b in binaries)
    assert {q.name for q in model.quantizers()} == {"clipped_ste", "ste"}
    assert model.forward(np.ones((2, 5))).shape == (2, 3)
    assert not any(isinstance(layer, BinaryDense) for layer in mlp("ste", hidden=(4,), rng=0))


def test_cnn_structure_and_shapes():
    model = cnn("ste", rng=0)
    assert isinstance(model[0], Conv2d) and not isinstance(model[0], BinaryConv2d)
    assert isinstance(model[3], BinaryConv2d) and isinstance(model[-1], Dense)
    assert model.forward(np.zeros((2, 1, 8, 8), np.float32)).shape == (2, 10)
    small = cnn("float", in_channels=3, image_size=6, channels=(2, 4), n_classes=5, rng=0)
    assert not any(isinstance(layer, BinaryConv2d) for layer in small)
    assert small.forward(np.zeros((1, 3, 6, 6))).shape == (1, 5)


@pytest.mark.parametrize("build", [mlp, cnn])
def test_rng_determinism(build):
    a, b, c = build("ste", rng=0), build("ste", rng=0), build("ste", rng=1)
    for pa, pb in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(pa.data, pb.data)
    assert any(not np.array_equal(pa.data, pc.data)
               for pa, pc in zip(a.parameters(), c.parameters()))
    g = np.random.default_rng(7)
    d, e = build("ste", rng=g), build("ste", rng=g)  # one generator, consecutive draws
    assert not np.array_equal(d.parameters()[0].data, e.parameters()[0].data)
