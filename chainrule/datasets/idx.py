"""The IDX file format (MNIST, Fashion-MNIST) and the MNIST-style loaders built on it.

An IDX file is a big-endian header followed by the array, C order:

    bytes 0-1   0x00 0x00
    byte  2     element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
                0x0E float64
    byte  3     number of dimensions d
    4 .. 4+4d   the d sizes, each an unsigned 32-bit big-endian integer
    then        prod(sizes) elements, big-endian

So MNIST's images start with the magic number 0x00000803 (uint8, 3-d: N x 28 x 28) and its
labels with 0x00000801 (uint8, 1-d: N). Files may be gzipped (``.gz``); either form is read.

    images = read_idx("data/mnist/train-images-idx3-ubyte.gz")   # uint8 (60000, 28, 28)
    (Xtr, ytr), (Xte, yte) = load_mnist("data", kind="mnist")
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

from .. import backend

np = backend.np

# element-type byte -> (big-endian dtype, name)
IDX_TYPES = {
    0x08: (">u1", "uint8"),
    0x09: (">i1", "int8"),
    0x0B: (">i2", "int16"),
    0x0C: (">i4", "int32"),
    0x0D: (">f4", "float32"),
    0x0E: (">f8", "float64"),
}
IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801

# The four files of an MNIST-style dataset; the test split is the official 10,000.
MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
# Sub-folders searched under a data root, per kind (ours, common spellings, torchvision's).
KIND_DIRS = {
    "mnist": ("mnist", "MNIST", "MNIST/raw"),
    "fashion_mnist": ("fashion_mnist", "fashion-mnist", "FashionMNIST", "FashionMNIST/raw"),
}
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when it starts with the gzip signature 1f 8b."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as e:
        raise ValueError(f"read_idx: {path} is a damaged or truncated gzip file ({e})") from None


def read_idx(path: str | os.PathLike, expect_magic: int | None = None):
    """Read one IDX file (raw or gzipped) into a NumPy array of its native dtype.

    Checks the two zero bytes and element type of the magic number, that it equals
    ``expect_magic`` when given, and that the data length is exactly prod(dims) elements.
    Every error names the file. Returns a C-ordered array in native byte order.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"read_idx: no such file: {path}")
    data = _read_bytes(path)
    if len(data) < 4:
        raise ValueError(
            f"read_idx: {path} is truncated: {len(data)} bytes, shorter than the 4-byte "
            f"magic number"
        )
    magic = int.from_bytes(data[:4], "big")
    zero, code, ndim = data[0] << 8 | data[1], data[2], data[3]
    if zero != 0 or code not in IDX_TYPES:
        raise ValueError(
            f"read_idx: {path} has bad magic number 0x{magic:08X}: an IDX file starts with two "
            f"zero bytes and a type byte in {{{', '.join(f'0x{c:02X}' for c in IDX_TYPES)}}} "
            f"(MNIST images 0x{IMAGES_MAGIC:08X}, labels 0x{LABELS_MAGIC:08X})"
        )
    if expect_magic is not None and magic != expect_magic:
        raise ValueError(
            f"read_idx: {path} has magic number 0x{magic:08X}, expected 0x{expect_magic:08X}"
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(
            f"read_idx: {path} is truncated: the header of a {ndim}-d file needs {header} bytes, "
            f"the file has {len(data)}"
        )
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(IDX_TYPES[code][0])
    want = header + int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(data) != want:
        what = "truncated" if len(data) < want else "longer than its header says"
        raise ValueError(
            f"read_idx: {path} is {what}: header dims {dims} of {IDX_TYPES[code][1]} need "
            f"{want} bytes, the (uncompressed) file has {len(data)}"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)
    return array.astype(dtype.newbyteorder("="), copy=True)


def _find(folder: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def find_mnist_dir(root: str | os.PathLike, kind: str = "mnist") -> Path:
    """The folder under ``root`` that holds all four files of ``kind``.

    Looks in the kind's sub-folders first (``root/mnist``, ``root/MNIST/raw``,
    ``root/fashion_mnist``, ``root/fashion-mnist``, ...), then in ``root`` itself.
    """
    if kind not in KIND_DIRS:
        raise ValueError(f"load_mnist: kind must be one of {sorted(KIND_DIRS)}, got {kind!r}")
    root = Path(root).expanduser()
    candidates = [root / sub for sub in KIND_DIRS[kind]] + [root]
    for folder in candidates:
        if all(_find(folder, stem) for stem in MNIST_FILES.values()):
            return folder
    missing = [s for s in MNIST_FILES.values() if _find(root, s) is None]
    looked = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(
        f"{kind}: no {kind} IDX files under data directory {root} (looked in {looked}; "
        f"missing there e.g. {missing[0]}[.gz]). Run `make data` in the chainrule checkout to "
        f"fetch MNIST and Fashion-MNIST into ./data, or point chainrule at a folder holding "
        f"{', '.join(MNIST_FILES.values())} (raw or .gz) with CHAINRULE_DATA=PATH or --data PATH"
    )


def _split(folder: Path, part: str):
    images_path = _find(folder, MNIST_FILES[f"{part}_images"])
    labels_path = _find(folder, MNIST_FILES[f"{part}_labels"])
    images = read_idx(images_path, IMAGES_MAGIC)
    labels = read_idx(labels_path, LABELS_MAGIC)
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"load_mnist: {images_path} holds {images.shape[0]} images but {labels_path} holds "
            f"{labels.shape[0]} labels"
        )
    if labels.size and labels.max() > 9:
        raise ValueError(f"load_mnist: {labels_path} has label {labels.max()}; expected 0..9")
    return images, labels


def load_mnist(root: str | os.PathLike, kind: str = "mnist"):
    """Read MNIST or Fashion-MNIST from the IDX files under ``root``.

    Returns ``((X_train, y_train), (X_test, y_test))`` as NumPy uint8 arrays: images
    (N, 28, 28) in 0..255 and labels (N,) in 0..9. The test split is the official one
    (10,000 images). See ``find_mnist_dir`` for where the files are looked for.
    """
    folder = find_mnist_dir(root, kind)
    return _split(folder, "train"), _split(folder, "test")
