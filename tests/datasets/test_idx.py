"""The IDX reader against files this test writes byte by byte (raw and gzipped), and MNIST."""

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from chainrule.datasets import idx
from chainrule.datasets.idx import find_mnist_dir, load_mnist, read_idx

TYPE_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C}
TYPE_CODES.update({np.float32: 0x0D, np.float64: 0x0E})
DATA = Path(__file__).resolve().parents[2] / "data"


def write_idx(path, array, gz=False, code=None, dims=None, cut=0, extra=b"", zero=b"\0\0"):
    """Write ``array`` as IDX by hand: header from ``struct``, data big-endian.

    ``code``/``dims``/``zero`` override the header; ``cut`` drops bytes from the end and
    ``extra`` appends some, to make broken files.
    """
    array = np.asarray(array)
    code = TYPE_CODES[array.dtype.type] if code is None else code
    dims = array.shape if dims is None else dims
    header = zero + bytes([code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)
    body = header + array.astype(array.dtype.newbyteorder(">")).tobytes() + extra
    body = body[: len(body) - cut]
    path = Path(path)
    path.write_bytes(gzip.compress(body) if gz else body)
    return path


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize(
    "dtype,shape",
    [(np.uint8, (5, 3, 4)), (np.int8, (7,)), (np.int16, (2, 3)), (np.int32, (4, 1, 2))]
    + [(np.float32, (3, 5)), (np.float64, (2, 2, 2, 2)), (np.uint8, (0, 28, 28))],
)
def test_read_idx_round_trips_exactly(tmp_path, gz, dtype, shape):
    rng = np.random.default_rng(0)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        a = rng.integers(info.min, info.max, size=shape, endpoint=True).astype(dtype)
    else:
        a = (rng.standard_normal(shape) * 1e3).astype(dtype)
    path = write_idx(tmp_path / ("a.idx.gz" if gz else "a.idx"), a, gz=gz)
    b = read_idx(path)
    assert b.dtype == np.dtype(dtype) and b.dtype.isnative
    assert b.shape == shape
    np.testing.assert_array_equal(b, a)


def test_read_idx_mnist_magic_bytes(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    path = write_idx(tmp_path / "img", images)
    assert path.read_bytes()[:4] == b"\x00\x00\x08\x03"
    np.testing.assert_array_equal(read_idx(path, idx.IMAGES_MAGIC), images)
    with pytest.raises(ValueError, match=r"magic number 0x00000803, expected 0x00000801"):
        read_idx(path, idx.LABELS_MAGIC)


@pytest.mark.parametrize("gz", [False, True])
def test_bad_magic_names_the_file(tmp_path, gz):
    a = np.zeros((3, 2), np.uint8)
    bad_type = write_idx(tmp_path / "t.idx", a, gz=gz, code=0x07)
    with pytest.raises(ValueError, match=r"t\.idx has bad magic number 0x00000702"):
        read_idx(bad_type)
    not_zero = write_idx(tmp_path / "z.idx", a, gz=gz, zero=b"PK")
    with pytest.raises(ValueError, match=r"z\.idx has bad magic number 0x504B0802"):
        read_idx(not_zero)


@pytest.mark.parametrize("gz", [False, True])
def test_dims_disagreeing_with_size(tmp_path, gz):
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    more = write_idx(tmp_path / "more", a, gz=gz, dims=(3, 3, 4))
    with pytest.raises(ValueError, match=r"more is truncated: header dims \(3, 3, 4\) of uint8 "):
        read_idx(more)
    fewer = write_idx(tmp_path / "fewer", a, gz=gz, dims=(2, 3))
    with pytest.raises(
        ValueError, match=r"fewer is longer than its header says.*need 18 bytes.*has 36"
    ):
        read_idx(fewer)
    with pytest.raises(ValueError, match="longer than its header says"):
        read_idx(write_idx(tmp_path / "extra", a, gz=gz, extra=b"\0"))


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_files(tmp_path, gz):
    a = np.arange(100, dtype=np.int32).reshape(10, 10)
    with pytest.raises(ValueError, match=r"cut1 is truncated: .* need 412 bytes.* has 411"):
        read_idx(write_idx(tmp_path / "cut1", a, gz=gz, cut=1))
    with pytest.raises(ValueError, match=r"head is truncated: the header of a 2-d file needs 12"):
        read_idx(write_idx(tmp_path / "head", a, gz=gz, cut=400 + 3))
    with pytest.raises(ValueError, match=r"tiny is truncated: 2 bytes"):
        read_idx(write_idx(tmp_path / "tiny", a, gz=gz, cut=412 - 2))


def test_truncated_gzip_stream(tmp_path):
    good = write_idx(tmp_path / "x.gz", np.arange(1000, dtype=np.int16), gz=True)
    broken = tmp_path / "broken.gz"
    broken.write_bytes(good.read_bytes()[:-12])
    with pytest.raises(ValueError, match=r"broken\.gz is a damaged or truncated gzip file"):
        read_idx(broken)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no such file: .*nothing\.idx"):
        read_idx(tmp_path / "nothing.idx")


def make_mnist(folder, n_train=12, n_test=5, gz=False, seed=0, side=28):
    """Four small MNIST-style files in ``folder``; returns the arrays written."""
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for part, n in (("train", n_train), ("test", n_test)):
        X = rng.integers(0, 256, size=(n, side, side), dtype=np.uint8)
        y = rng.integers(0, 10, size=n, dtype=np.uint8)
        suffix = ".gz" if gz else ""
        write_idx(folder / (idx.MNIST_FILES[f"{part}_images"] + suffix), X, gz=gz)
        write_idx(folder / (idx.MNIST_FILES[f"{part}_labels"] + suffix), y, gz=gz)
        arrays[part] = (X, y)
    return arrays


@pytest.mark.parametrize(
    "kind,sub,gz",
    [
        ("mnist", "mnist", False),
        ("mnist", "MNIST/raw", True),
        ("mnist", "", True),
        ("fashion_mnist", "fashion_mnist", True),
        ("fashion_mnist", "fashion-mnist", False),
        ("fashion_mnist", "FashionMNIST/raw", False),
    ],
)
def test_load_mnist_finds_the_files(tmp_path, kind, sub, gz):
    written = make_mnist(tmp_path / sub, gz=gz)
    assert find_mnist_dir(tmp_path, kind) == tmp_path / sub
    (X_train, y_train), (X_test, y_test) = load_mnist(tmp_path, kind)
    np.testing.assert_array_equal(X_train, written["train"][0])
    np.testing.assert_array_equal(y_train, written["train"][1])
    np.testing.assert_array_equal(X_test, written["test"][0])
    np.testing.assert_array_equal(y_test, written["test"][1])


def test_load_mnist_prefers_the_kind_subfolder(tmp_path):
    make_mnist(tmp_path / "mnist", seed=1)
    fashion = make_mnist(tmp_path / "fashion_mnist", seed=2)
    (_, y), _ = load_mnist(tmp_path, "fashion_mnist")
    np.testing.assert_array_equal(y, fashion["train"][1])


def test_load_mnist_missing_directory_says_how_to_get_data(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        load_mnist(tmp_path / "nowhere", "mnist")
    msg = str(e.value)
    assert str(tmp_path / "nowhere") in msg
    for needed in ("train-images-idx3-ubyte", "make data", "CHAINRULE_DATA", "--data PATH"):
        assert needed in msg
    with pytest.raises(ValueError, match=r"kind must be one of \['fashion_mnist', 'mnist'\]"):
        load_mnist(tmp_path, "kmnist")


def test_load_mnist_checks_counts_and_labels(tmp_path):
    make_mnist(tmp_path)
    labels = tmp_path / idx.MNIST_FILES["train_labels"]
    write_idx(labels, np.zeros(11, np.uint8))
    with pytest.raises(ValueError, match=r"holds 12 images but .*train-labels-idx1-ubyte holds 11"):
        load_mnist(tmp_path)
    write_idx(labels, np.full(12, 10, np.uint8))
    with pytest.raises(ValueError, match="has label 10; expected 0..9"):
        load_mnist(tmp_path)
    write_idx(labels, np.zeros((12, 1), np.uint8))  # 2-d labels: wrong magic 0x0802
    with pytest.raises(ValueError, match="magic number 0x00000802, expected 0x00000801"):
        load_mnist(tmp_path)


# The real files, when `make data` has put them in ./data. Reference statistics: the first
# training labels of MNIST are 5 0 4 1 9 2 1 3 1 4 and its pixels (scaled to [0, 1]) have
# mean 0.1307 and std 0.3081 (the normalisation constants used throughout the literature);
# Fashion-MNIST's are 0.2860 and 0.3530. Slow only because it reads 80 MB (3-6 s here).
@pytest.mark.slow
@pytest.mark.parametrize(
    "kind,first,mean,std",
    [
        ("mnist", [5, 0, 4, 1, 9, 2, 1, 3, 1, 4], 0.1307, 0.3081),
        ("fashion_mnist", [9, 0, 0, 3, 0, 2, 7, 2, 5, 5], 0.2860, 0.3530),
    ],
)
def test_real_files_when_present(kind, first, mean, std):
    try:
        (X, y), (Xt, yt) = load_mnist(DATA, kind)
    except FileNotFoundError:
        pytest.skip(f"no {kind} under {DATA}; run `make data`")
    assert X.shape == (60000, 28, 28) and Xt.shape == (10000, 28, 28)
    assert y.shape == (60000,) and yt.shape == (10000,)
    assert y[:10].tolist() == first
    assert np.bincount(yt, minlength=10).min() >= 800  # every class in the official test set
    counts = np.bincount(X.ravel(), minlength=256)  # pixel-value histogram: exact moments
    v = np.arange(256) / 255
    m = (counts * v).sum() / counts.sum()
    s = np.sqrt((counts * v**2).sum() / counts.sum() - m**2)
    assert abs(m - mean) < 5e-4 and abs(s - std) < 5e-4
