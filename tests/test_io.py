"""save / load: exact round trips, and every unreadable file refused with its name."""

import json
import re
import struct
import zipfile

import numpy as np
import pytest

import bnncore as bc
from bnncore import io, quantizers
from bnncore.layers import (
    BatchNorm1d,
    BatchNorm2d,
    BinaryConv2d,
    BinaryDense,
    Dense,
    Flatten,
    MaxPool2d,
    Sequential,
    Sign,
)


def _trained_mlp(tiny_digits):
    """A binary MLP with non-trivial weights, BatchNorm statistics and pair choices."""
    Xtr, ytr, _, _ = tiny_digits
    model = Sequential(
        Dense(64, 16, rng=0), BatchNorm1d(16), Sign(quantizers.get("clipped_ste", clip_value=0.5)),
        BinaryDense(16, 16, weight_quantizer="bnn", channel_scale=True, rng=1),
        BatchNorm1d(16, momentum=0.3), Sign("ste"),
        BinaryDense(16, 10, weight_quantizer=quantizers.get("clipped_ste", clip_value=2.0),
                    bias=False, rng=2),
    )
    opt = bc.optim.Adam(model.parameters(), lr=1e-2)
    bc.fit(model, bc.losses.SoftmaxCrossEntropy(), opt, (Xtr, ytr), epochs=1, progress=False)
    return model


def _cnn():
    model = Sequential(BinaryConv2d(1, 3, 3, padding=1, weight_quantizer="clipped_ste",
                                    rng=0), BatchNorm2d(3), Sign(), MaxPool2d(2), Flatten(),
                       Dense(48, 10, rng=1))
    model.forward(np.random.default_rng(0).normal(size=(4, 1, 8, 8)))  # moves BN stats
    return model


def _assert_same_model(a, b):
    assert type(a) is type(b) and len(a) == len(b)
    for la, lb in zip(a, b):
        assert type(la) is type(lb)
        assert la.get_config() == lb.get_config()
        assert [q.name for q in la.quantizers()] == [q.name for q in lb.quantizers()]
        assert [q.hyperparams() for q in la.quantizers()] == \
            [q.hyperparams() for q in lb.quantizers()]
        for name, value in la.buffers().items():
            np.testing.assert_array_equal(lb.buffers()[name], value)
            assert lb.buffers()[name].dtype == value.dtype
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert pa.name == pb.name and pa.data.dtype == pb.data.dtype
        np.testing.assert_array_equal(pa.data, pb.data)
        assert not pb.grad.any() and pb.grad.shape == pb.data.shape


def test_round_trip_trained_binary_mlp(tmp_path, tiny_digits):
    model = _trained_mlp(tiny_digits)
    assert model[1].running_var.std() > 0  # the statistics moved
    path = tmp_path / "mlp.npz"
    io.save(model, path)
    loaded = io.load(path)
    _assert_same_model(model, loaded)
    assert loaded[2].quantizer.clip_value == 0.5 and loaded[5].quantizer.name == "ste"
    assert loaded[3].channel_scale is True and loaded[6].bias is None
    _, _, Xte, _ = tiny_digits
    np.testing.assert_array_equal(bc.predict(loaded, Xte), bc.predict(model, Xte))
    # the loaded model trains on, exactly like the original
    for m in (model, loaded):
        m.zero_grad()
        m.backward(np.ones_like(m.forward(Xte[:8])))
    for pa, pb in zip(model.parameters(), loaded.parameters()):
        np.testing.assert_array_equal(pa.grad, pb.grad)


def test_round_trip_cnn_and_float64(tmp_path):
    model = _cnn()
    path = str(tmp_path / "cnn.npz")
    io.save(model, path)
    loaded = io.load(path)
    _assert_same_model(model, loaded)
    x = np.random.default_rng(1).normal(size=(3, 1, 8, 8))
    np.testing.assert_array_equal(loaded.forward(x, training=False),
                                  model.forward(x, training=False))
    model.astype(np.float64)
    io.save(model, path)
    assert all(p.data.dtype == np.float64 for p in io.load(path).parameters())


def test_round_trip_single_layer_and_empty_sequential(tmp_path):
    layer = BinaryDense(5, 3, weight_quantizer="bnn", rng=0)
    io.save(layer, tmp_path / "layer.npz")
    loaded = io.load(tmp_path / "layer.npz")
    assert isinstance(loaded, BinaryDense) and loaded.weight.quantizer.name == "bnn"
    np.testing.assert_array_equal(loaded.weight.data, layer.weight.data)
    io.save(Sequential(), tmp_path / "empty.npz")
    assert len(io.load(tmp_path / "empty.npz")) == 0


def test_round_trip_nested_sequential(tmp_path, rng):
    model = Sequential(Sequential(Dense(3, 4, rng=0), BatchNorm1d(4), Sign()),
                       BinaryDense(4, 2, weight_quantizer="clipped_ste", rng=1))
    model.forward(rng.normal(size=(5, 3)))  # moves the inner BatchNorm statistics
    io.save(model, tmp_path / "nested.npz")
    loaded = io.load(tmp_path / "nested.npz")
    assert isinstance(loaded[0], Sequential) and len(loaded[0]) == 3
    np.testing.assert_array_equal(loaded[0][1].running_var, model[0][1].running_var)
    x = rng.normal(size=(3, 3))
    np.testing.assert_array_equal(loaded.forward(x, training=False),
                                  model.forward(x, training=False))


def test_loaded_arrays_are_independent_copies(tmp_path):
    model = Sequential(Dense(3, 2, rng=0))
    io.save(model, tmp_path / "m.npz")
    a, b = io.load(tmp_path / "m.npz"), io.load(tmp_path / "m.npz")
    a[0].weight.data += 1
    assert not np.array_equal(a[0].weight.data, b[0].weight.data)


def test_files_are_written_exactly_at_path_and_pickle_free(tmp_path):
    path = tmp_path / "model.bin"  # no .npz suffix added
    io.save(Sequential(Dense(3, 2, rng=0), Sign()), path)
    assert path.exists() and not (tmp_path / "model.bin.npz").exists()
    with np.load(path, allow_pickle=False) as data:
        header = json.loads(str(data["__header__"]))
    assert header["magic"] == "bnncore-model" and header["version"] == io.FORMAT_VERSION


def test_save_bad_model(tmp_path):
    with pytest.raises(TypeError,
                       match="model must be a bnncore Layer or a FullyBinaryMLP, got dict"):
        io.save({"w": np.ones(2)}, tmp_path / "x.npz")


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model file at"):
        io.load(tmp_path / "nothing.npz")


# -- files that must be refused with a ValueError naming them ------------------------------
@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "good.npz"
    io.save(Sequential(Dense(4, 3, rng=0), BatchNorm1d(3), Sign(),
                       BinaryDense(3, 2, rng=1)), path)
    return path


def _refused(path):
    with pytest.raises(ValueError, match=re.escape(repr(str(path)))):
        io.load(path)


@pytest.mark.parametrize("fraction", [0.0, 0.01, 0.3, 0.5, 0.9, 0.999])
def test_truncated_file(saved, tmp_path, fraction):
    data = saved.read_bytes()
    bad = tmp_path / "truncated.npz"
    bad.write_bytes(data[:int(len(data) * fraction)])
    _refused(bad)


@pytest.mark.parametrize("position", [0, 40, 0.25, 0.5, 0.75, -30, -10])
def test_corrupted_bytes(saved, tmp_path, position):
    data = bytearray(saved.read_bytes())
    i = position if isinstance(position, int) else int(len(data) * position)
    data[i] ^= 0xFF
    data[i + 1] ^= 0x5A
    bad = tmp_path / "corrupted.npz"
    bad.write_bytes(bytes(data))
    try:
        io.load(bad)
    except ValueError as exc:
        assert repr(str(bad)) in str(exc)
    # a flip in a field zipfile ignores may load; it must then still be the same model
    else:
        _assert_same_model(io.load(saved), io.load(bad))


def test_corrupted_array_data_fails_the_crc(saved, tmp_path):
    data = bytearray(saved.read_bytes())
    magic = data.index(b"\x93NUMPY", data.index(b"0/weight.npy"))
    header_len = struct.unpack("<H", bytes(data[magic + 8:magic + 10]))[0]  # .npy v1
    i = magic + 10 + header_len + 5  # inside the float32 values of 0/weight
    data[i] ^= 0xFF
    bad = tmp_path / "crc.npz"
    bad.write_bytes(bytes(data))
    _refused(bad)


def test_corrupted_zip_version_field(saved, tmp_path):
    # the central directory's "version needed to extract" (offset 6 of each record)
    data = bytearray(saved.read_bytes())
    i = data.index(b"PK\x01\x02")
    data[i + 6] = 0xFF
    bad = tmp_path / "version.npz"
    bad.write_bytes(bytes(data))
    _refused(bad)


def test_text_file(tmp_path):
    bad = tmp_path / "notes.npz"
    bad.write_text("hello, this is not a model\n")
    _refused(bad)


def test_empty_file(tmp_path):
    bad = tmp_path / "empty.npz"
    bad.write_bytes(b"")
    _refused(bad)


def test_foreign_npy_file(tmp_path):
    bad = tmp_path / "array.npy"
    np.save(bad, np.arange(5.0))
    _refused(bad)


def test_foreign_npz_file(tmp_path):
    bad = tmp_path / "foreign.npz"
    np.savez(bad, weights=np.ones(3))
    _refused(bad)


def test_foreign_zip_file(tmp_path):
    bad = tmp_path / "archive.npz"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("readme.txt", "not numpy")
    _refused(bad)


def _rewrite(path, out, header=None, drop=(), extra=None, replace=None):
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    if header is not None:
        arrays["__header__"] = np.array(header if isinstance(header, str)
                                        else json.dumps(header))
    for key in drop:
        arrays.pop(key)
    arrays.update(extra or {})
    arrays.update(replace or {})
    np.savez(out, **arrays)
    return out


def _header(path):
    with np.load(path, allow_pickle=False) as data:
        return json.loads(str(data["__header__"]))


@pytest.mark.parametrize("edit", [
    lambda h: {**h, "magic": "something-else"},
    lambda h: {**h, "version": 99},
    lambda h: {k: v for k, v in h.items() if k != "architecture"},
    lambda h: {**h, "architecture": {"type": "NoSuchLayer", "config": {}}},
    lambda h: {**h, "architecture": {"type": "Parameter", "config": {}}},
    lambda h: {**h, "architecture": {**h["architecture"], "layers": [
        {**h["architecture"]["layers"][0], "config": {"in_features": "four"}}]}},
    lambda h: {**h, "architecture": {**h["architecture"], "layers": [
        {**h["architecture"]["layers"][0], "config": {"bogus": 1}}]}},
    lambda h: "{not json",
])
def test_bad_header(saved, tmp_path, edit):
    bad = _rewrite(saved, tmp_path / "header.npz", header=edit(_header(saved)))
    _refused(bad)


@pytest.mark.parametrize("header", ["[1, 2]", "null"])
def test_header_that_is_json_but_not_an_object(saved, tmp_path, header):
    _refused(_rewrite(saved, tmp_path / "header.npz", header=header))


def test_header_with_a_non_object_layer_node(saved, tmp_path):
    h = _header(saved)
    h["architecture"]["layers"][0] = "Dense"
    _refused(_rewrite(saved, tmp_path / "node.npz", header=h))


def test_missing_extra_or_misshaped_arrays(saved, tmp_path):
    _refused(_rewrite(saved, tmp_path / "a.npz", drop=["0/weight"]))
    _refused(_rewrite(saved, tmp_path / "b.npz", drop=["1/running_var"]))
    _refused(_rewrite(saved, tmp_path / "c.npz", extra={"9/weight": np.ones(2)}))
    _refused(_rewrite(saved, tmp_path / "d.npz", replace={"0/weight": np.ones((4, 3))}))
    _refused(_rewrite(saved, tmp_path / "e.npz", replace={"0/weight": np.ones((3, 4), int)}))
    _refused(_rewrite(saved, tmp_path / "f.npz", replace={"1/running_mean": np.ones(5)}))
    _refused(_rewrite(saved, tmp_path / "g.npz", drop=["__header__"]))



def test_round_trip_every_trained_model_kind(tmp_path, tiny_digits):
    """Float, binary, packed, GFT's FullyBinaryMLP, FSG's task model (float32 and 64)."""
    from bnncore.fsg import FSGTrainer
    from bnncore.fsg.ablation import digits_task_model
    from bnncore.gft import FullyBinaryMLP, GFTTrainer, binarize

    Xtr, ytr, Xte, _ = tiny_digits
    packed = _trained_mlp(tiny_digits)
    packed.pack()
    gft = FullyBinaryMLP((64, 16, 10), bias=True, rng=0)
    GFTTrainer(gft, k0=4, margin=4, rng=1).fit((binarize(Xtr), ytr), epochs=2,
                                               progress=False)
    models = {"float": Sequential(Dense(64, 10, rng=0)), "packed": packed, "gft": gft}
    for dtype in (np.float32, np.float64):
        fsg = digits_task_model(0, dtype=dtype)
        FSGTrainer(fsg, bc.losses.SoftmaxCrossEntropy(), dtype=dtype).fit(
            (Xtr, ytr), epochs=1, batch_size=32, progress=False)
        models[f"fsg {np.dtype(dtype).name}"] = fsg
    for name, model in models.items():
        path = tmp_path / f"{name}.npz"
        io.save(model, path)
        back = io.load(path, expected=type(model))
        x = binarize(Xte) if name == "gft" else Xte.astype(model[0].weight.data.dtype)
        np.testing.assert_array_equal(bc.predict(back, x), bc.predict(model, x), err_msg=name)
    assert io.load(tmp_path / "gft.npz").biases is not None


def test_a_file_of_another_kind_of_model_is_refused(tmp_path):
    from bnncore.gft import FullyBinaryMLP

    io.save(FullyBinaryMLP((4, 2), rng=0), tmp_path / "gft.npz")
    io.save(Sequential(Dense(4, 2, rng=0)), tmp_path / "layers.npz")
    with pytest.raises(ValueError, match=r"gft\.npz.*holds a FullyBinaryMLP.*not a Sequential"):
        io.load(tmp_path / "gft.npz", expected=Sequential)
    with pytest.raises(ValueError, match=r"layers\.npz.*holds a Sequential.*not a FullyBinaryMLP"):
        io.load(tmp_path / "layers.npz", expected=FullyBinaryMLP)


def test_a_newer_format_version_says_so(saved, tmp_path):
    newer = _rewrite(saved, tmp_path / "newer.npz", header={**_header(saved), "version": 3})
    with pytest.raises(ValueError, match=r"newer\.npz.*newer bnncore \(format version 3\)"):
        io.load(newer)
    with pytest.raises(ValueError, match="unknown model kind 'rnn'"):
        io.load(_rewrite(saved, tmp_path / "kind.npz", header={**_header(saved), "kind": "rnn"}))


def test_version_1_files_still_load(saved, tmp_path):
    h = _header(saved)
    old = {k: v for k, v in h.items() if k != "kind"}
    old["version"] = 1
    back = io.load(_rewrite(saved, tmp_path / "v1.npz", header=old))
    _assert_same_model(back, io.load(saved))


def test_a_corrupted_gft_file_is_refused_with_its_name(tmp_path):
    from bnncore.gft import FullyBinaryMLP

    path = tmp_path / "gft.npz"
    io.save(FullyBinaryMLP((4, 3, 2), rng=0), path)
    _refused(_rewrite(path, tmp_path / "w.npz", replace={"W0": np.zeros((3, 4), np.int8)}))
    _refused(_rewrite(path, tmp_path / "d.npz", drop=["W1"]))
