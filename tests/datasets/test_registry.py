"""``load(name)``: every dataset by name as TensorDataset splits with the contract's info."""

import gzip
import struct

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import DataLoader, TensorDataset
from chainrule.datasets import registry
from chainrule.datasets.registry import Splits, load, names

BUILT_IN = ["digits", "diabetes", "breast_cancer", "iris", "moons", "xor", "gaussian_ring"]
INFO_KEYS = {"name", "task", "n_features", "n_classes", "n_train", "n_test"}


def test_names():
    assert names() == BUILT_IN + ["mnist", "fashion_mnist"]


@pytest.mark.parametrize("name", BUILT_IN)
def test_load_gives_tensor_splits(name):
    splits = load(name, seed=0)
    assert isinstance(splits, Splits) and splits._fields == ("train", "test", "info")
    train, test, info = splits
    assert isinstance(train, TensorDataset) and isinstance(test, TensorDataset)
    assert INFO_KEYS <= set(info) and info["name"] == name
    X, y = train.tensors
    Xt, yt = test.tensors
    assert isinstance(X, cr.Tensor) and isinstance(y, cr.Tensor)
    assert len(train) == info["n_train"] and len(test) == info["n_test"]
    assert X.dtype == Xt.dtype == cr.float32 and not X.requires_grad
    features = info["n_features"]
    assert X.shape[1:] == (features if isinstance(features, tuple) else (features,))
    if info["task"] == "regression":
        assert y.dtype == cr.float32 and y.shape == (len(train), 1)
        assert info["n_classes"] is None
    else:
        assert y.dtype == yt.dtype == cr.int64 and y.shape == (len(train),)
    if info["task"] == "classification":
        assert set(y.numpy().tolist()) == set(range(info["n_classes"]))
    xb, yb = next(iter(DataLoader(train, batch_size=4)))  # feeds the loader as it is
    assert xb.shape == (min(4, len(train)), *X.shape[1:]) and yb.shape[0] == xb.shape[0]


def test_seed_fixes_the_split():
    a, b, c = load("moons", seed=5), load("moons", seed=5), load("moons", seed=6)
    np.testing.assert_array_equal(a.train.tensors[0].numpy(), b.train.tensors[0].numpy())
    np.testing.assert_array_equal(a.test.tensors[1].numpy(), b.test.tensors[1].numpy())
    assert not np.array_equal(a.train.tensors[0].numpy(), c.train.tensors[0].numpy())


def test_options_reach_the_builder():
    s = load("gaussian_ring", n_samples=400, std=0.1)
    assert s.info["n_train"] == 320 and s.info["std"] == 0.1
    assert load("breast_cancer", test_size=0.25).info["n_test"] == 142  # round(212/4)+round(357/4)


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"unknown dataset 'mnsit'; valid names: digits, .*mnist"):
        load("mnsit")
    with pytest.raises(TypeError, match=r"moons: unexpected option\(s\) nois; it accepts: "):
        load("moons", nois=0.3)
    with pytest.raises(TypeError, match="xor: unexpected option"):
        load("xor", test_size=0.5)
    with pytest.raises(ValueError, match="iris: seed must be a non-negative integer, got -1"):
        load("iris", seed=-1)
    with pytest.raises(ValueError, match="seed must be a non-negative integer, got '0'"):
        load("iris", seed="0")


def write_idx(path, array):
    """IDX by hand: two zero bytes, type 0x08 (uint8), ndim, big-endian dims, data; gzipped."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


def fake_mnist(folder, n_train=20, n_test=6):
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True)
    out = {}
    for part, n in (("train", n_train), ("t10k", n_test)):
        X = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        X[0, 0, 0], X[0, 0, 1] = 0, 255
        y = np.arange(n, dtype=np.uint8) % 10
        write_idx(folder / f"{part}-images-idx3-ubyte.gz", X)
        write_idx(folder / f"{part}-labels-idx1-ubyte.gz", y)
        out[part] = (X, y)
    return out


@pytest.mark.parametrize("kind,sub", [("mnist", "mnist"), ("fashion_mnist", "fashion-mnist")])
def test_mnist_from_root(tmp_path, kind, sub):
    written = fake_mnist(tmp_path / sub)
    train, test, info = load(kind, root=tmp_path)
    assert info["n_features"] == (1, 28, 28) and info["n_classes"] == 10
    assert (info["n_train"], info["n_test"]) == (20, 6) and len(info["classes"]) == 10
    X, y = train.tensors
    assert X.shape == (20, 1, 28, 28) and X.dtype == cr.float32 and y.dtype == cr.int64
    np.testing.assert_array_equal(X.numpy()[:, 0] * 255, written["train"][0].astype(np.float32))
    assert X.numpy().min() == 0.0 and X.numpy().max() == 1.0
    np.testing.assert_array_equal(test.tensors[1].numpy(), written["t10k"][1])


def test_mnist_root_from_environment(tmp_path, monkeypatch):
    fake_mnist(tmp_path / "elsewhere" / "mnist")
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path / "elsewhere"))
    assert load("mnist").info["n_train"] == 20
    assert registry.data_root() == tmp_path / "elsewhere"
    assert registry.data_root(tmp_path) == tmp_path  # an explicit root wins


def test_mnist_missing_names_the_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError) as e:
        load("fashion_mnist")
    msg = str(e.value)
    assert f"data directory {tmp_path / 'empty'}" in msg and "make data" in msg
    monkeypatch.delenv("CHAINRULE_DATA")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="data directory data "):
        load("mnist")
