"""IDX files, MNIST download and cache, Fashion-MNIST, psDigits, data-set resolution (nnrnn_edu.data)."""

import gzip
import hashlib
import os

import numpy as np
import pytest

from nnrnn_edu import data


# --------------------------------------------------------------------------- IDX / MNIST


def _fake_mnist(dirpath, n=6):
    rng = np.random.default_rng(0)
    files = {}
    for split, (img, lab) in data._SPLIT_FILES.items():
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        data.write_idx(dirpath / img, images)
        data.write_idx(dirpath / lab, labels)
        files[split] = (images, labels)
    return files


def _md5s(dirpath):
    return {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in dirpath.iterdir()}


def test_idx_roundtrip_and_errors(tmp_path):
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    data.write_idx(tmp_path / "a.idx", arr)
    np.testing.assert_array_equal(data.read_idx(tmp_path / "a.idx"), arr)
    data.write_idx(tmp_path / "a.gz", arr)
    np.testing.assert_array_equal(data.read_idx(tmp_path / "a.gz"), arr)
    (tmp_path / "bad").write_bytes(b"\x01\x02\x08\x01\x00\x00\x00\x01\x00")
    with pytest.raises(ValueError, match="magic"):
        data.read_idx(tmp_path / "bad")
    raw = (tmp_path / "a.idx").read_bytes()
    (tmp_path / "short").write_bytes(raw[:-1])
    with pytest.raises(ValueError, match="truncated"):
        data.read_idx(tmp_path / "short")


def test_mnist_download_verify_cache(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    truth = _fake_mnist(mirror)
    monkeypatch.setattr(data, "MNIST_FILES", _md5s(mirror))
    monkeypatch.setattr(data, "MNIST_MIRRORS", ("file:///nonexistent/", mirror.as_uri() + "/"))
    monkeypatch.setenv("NNRNN_EDU_DATA", str(tmp_path / "cache"))
    images, labels = data.load_mnist("test")
    np.testing.assert_array_equal(images, truth["test"][0])
    np.testing.assert_array_equal(labels, truth["test"][1])
    assert (tmp_path / "cache" / "mnist" / "t10k-images-idx3-ubyte.gz").exists()
    # cached now: works with the mirrors gone
    monkeypatch.setattr(data, "MNIST_MIRRORS", ())
    ds = data.psmnist("test", permutation_seed=3, source="mnist")
    assert ds.name == "psMNIST" and ds.seq_len == 784 and ds.inputs.shape == (6, 784, 1)
    flat = truth["test"][0].reshape(6, -1) / 255.0
    np.testing.assert_allclose(ds.inputs[..., 0].numpy(), flat[:, ds.permutation], rtol=1e-6)
    np.testing.assert_array_equal(ds.permutation, data.pixel_permutation(784, 3))
    # a corrupted cache file is refused
    p = tmp_path / "cache" / "mnist" / "t10k-labels-idx1-ubyte.gz"
    p.write_bytes(gzip.compress(b"junk"))
    with pytest.raises(ValueError, match="corrupt"):
        data.load_mnist("test")


def test_mnist_bad_checksum_download_rejected(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    _fake_mnist(mirror)
    monkeypatch.setattr(data, "MNIST_MIRRORS", (mirror.as_uri() + "/",))  # real MD5s: mismatch
    with pytest.raises(data.DataUnavailableError, match="checksum"):
        data.load_mnist("train", root=str(tmp_path / "c"))
    assert not any((tmp_path / "c").iterdir())  # no partial files left


def test_offline_error_and_fallback(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "MNIST_MIRRORS", ("file:///nonexistent/",))
    monkeypatch.setattr(data, "FASHION_DIRS", (str(tmp_path / "none"),))  # no Debian package either
    monkeypatch.setenv("NNRNN_EDU_DATA", str(tmp_path))
    monkeypatch.delenv("NNRNN_EDU_QUICK", raising=False)
    with pytest.raises(data.DataUnavailableError, match="NNRNN_EDU_DATA"):
        data.psmnist("train", source="mnist")
    with pytest.raises(data.DataUnavailableError, match="dataset-fashion-mnist"):
        data.psmnist("train", source="fashion")
    with pytest.warns(RuntimeWarning, match="psDigits"):
        ds = data.psmnist("test", source="auto")
    assert ds.name == "psDigits" and ds.seq_len == 64 and "MNIST and Fashion-MNIST unavailable" in ds.note
    assert ds.task == "psdigits"


def test_fashion_mnist_stands_in_at_full_length_offline(tmp_path, monkeypatch):
    (tmp_path / "pkg").mkdir()
    files = _fake_mnist(tmp_path / "pkg")
    monkeypatch.setattr(data, "FASHION_FILES", {k: (v, "0" * 32) for k, v in _md5s(tmp_path / "pkg").items()})
    monkeypatch.setattr(data, "FASHION_DIRS", (str(tmp_path / "pkg"),))
    monkeypatch.setattr(data, "MNIST_MIRRORS", ("file:///nonexistent/",))
    monkeypatch.setenv("NNRNN_EDU_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv("NNRNN_EDU_QUICK", raising=False)
    assert data.resolve_source("auto") == "fashion"
    ds = data.psmnist("test", permutation_seed=3, source="auto")
    assert ds.name == "psFashion-MNIST" and ds.seq_len == 784 and "Fashion-MNIST stands in" in ds.note
    images, labels = files["test"]
    np.testing.assert_array_equal(ds.labels.numpy(), labels)
    flat = images.reshape(len(images), -1)[:, data.pixel_permutation(784, 3)] / 255.0
    np.testing.assert_allclose(ds.inputs[..., 0].numpy(), flat, rtol=1e-6)  # permuted exactly as psMNIST
    (tmp_path / "pkg" / "t10k-labels-idx1-ubyte.gz").write_bytes(b"damaged")
    with pytest.raises(ValueError, match="corrupt"):
        data.load_fashion("test")


@pytest.mark.skipif(not os.path.isdir(data.FASHION_DIRS[0]), reason="Debian's dataset-fashion-mnist is not installed")
def test_debian_fashion_mnist_files_verify_and_load():
    images, labels = data.load_fashion("test")
    assert images.shape == (10_000, 28, 28) and images.dtype == np.uint8 and sorted(set(labels)) == list(range(10))
    assert data.load_fashion("train")[0].shape == (60_000, 28, 28)


def test_psdigits_quick_mode_and_split(monkeypatch):
    monkeypatch.setenv("NNRNN_EDU_QUICK", "1")
    tr = data.psmnist("train")
    te = data.psmnist("test")
    assert tr.name == te.name == "psDigits" and "quick tier" in tr.note
    assert len(tr) + len(te) == 1797 and len(te) == data.DIGITS_TEST_SIZE
    assert tr.inputs.min() >= 0 and tr.inputs.max() <= 1
    assert np.array_equal(tr.permutation, te.permutation)
    xb, yb = next(tr.batches(16, generator=0))
    assert xb.shape == (16, 64, 1) and yb.shape == (16,)
    n = sum(len(y) for _, y in te.batches(100, shuffle=False))
    assert n == len(te)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: data.pixel_permutation(0), "n_pixels"),
        (lambda: data.psmnist("val"), "split"),
        (lambda: data.psmnist(source="web"), "source"),
        (lambda: data.resolve_source("web"), "source"),
        (lambda: data.fashion_path("x.gz"), "name"),
        (lambda: data.load_fashion("val"), "split"),
    ],
)
def test_bad_inputs_name_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()
