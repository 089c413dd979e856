"""Fashion-MNIST from local IDX files: parsing, checks, subsets, and the real Debian data."""

import gzip

import numpy as np
import pytest
from needs import needs_fashion_mnist

from bnncore.data import load_fashion_mnist
from bnncore.idx import read_idx


def _write_idx(path, array, code=0x08, compress=False):
    header = bytes([0, 0, code, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    data = header + array.astype(np.uint8).tobytes()
    with (gzip.open if compress else open)(path, "wb") as fh:
        fh.write(data)


@pytest.fixture
def fake_dir(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    for split, n, gz in (("train", 30, True), ("t10k", 12, False)):
        suffix = ".gz" if gz else ""
        _write_idx(tmp_path / f"{split}-images-idx3-ubyte{suffix}",
                   rng.integers(0, 256, (n, 28, 28)), compress=gz)
        _write_idx(tmp_path / f"{split}-labels-idx1-ubyte{suffix}", rng.integers(0, 10, n),
                   compress=gz)
    monkeypatch.setenv("BNNCORE_DATA", str(tmp_path))
    return tmp_path


def test_reads_plain_and_gzip_files_exactly(fake_dir):
    raw = read_idx(fake_dir / "t10k-images-idx3-ubyte")
    Xtr, ytr, Xte, yte = load_fashion_mnist(normalize=False)
    assert Xtr.shape == (30, 784) and Xte.shape == (12, 784)
    assert Xtr.dtype == np.float32 and ytr.dtype == np.int64
    assert np.array_equal(Xte.reshape(12, 28, 28), raw.astype(np.float32))
    images = load_fashion_mnist(flatten=False)[0]
    assert images.shape == (30, 1, 28, 28) and 0 <= images.min() and images.max() <= 1


def test_subset_is_seeded(fake_dir):
    a = load_fashion_mnist(subset=(10, 5), seed=1)
    b = load_fashion_mnist(subset=(10, 5), seed=1)
    c = load_fashion_mnist(subset=(10, 5), seed=2)
    assert [x.shape[0] for x in a] == [10, 10, 5, 5]
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], c[0])
    with pytest.raises(ValueError, match="subset"):
        load_fashion_mnist(subset=31)


def test_missing_files_print_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setenv("BNNCORE_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        load_fashion_mnist()


@pytest.mark.parametrize("damage", ["truncate", "magic", "rank", "garbage_gz"])
def test_damaged_files_raise_value_error_naming_them(fake_dir, damage):
    target = fake_dir / "t10k-images-idx3-ubyte"
    raw = target.read_bytes()
    if damage == "truncate":
        target.write_bytes(raw[:-7])
    elif damage == "magic":
        target.write_bytes(b"PK\x03\x04" + raw[4:])
    elif damage == "rank":
        _write_idx(target, np.zeros((12, 784)))
    else:
        target.unlink()
        (fake_dir / "t10k-images-idx3-ubyte.gz").write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte"):
        load_fashion_mnist()


def test_label_count_must_match_images(fake_dir):
    _write_idx(fake_dir / "t10k-labels-idx1-ubyte", np.zeros(11))
    with pytest.raises(ValueError, match="11 labels for 12 images"):
        load_fashion_mnist()


@needs_fashion_mnist
def test_real_data():
    """The real data (Debian's dataset-fashion-mnist, or $BNNCORE_DATA): 60k/10k images of
    28x28, 10 balanced classes."""
    Xtr, ytr, Xte, yte = load_fashion_mnist()
    assert Xtr.shape == (60000, 784) and Xte.shape == (10000, 784)
    assert np.array_equal(np.bincount(ytr), np.full(10, 6000))
    assert np.array_equal(np.bincount(yte), np.full(10, 1000))
    assert 0.0 <= Xtr.min() and Xtr.max() <= 1.0
