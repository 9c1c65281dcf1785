"""Every dataset by name: ``load(name)`` gives fixed-seed train/test splits and a description.

    splits = load("digits", seed=0)
    splits.train            # TensorDataset(X (1347, 1, 8, 8) float32, y (1347,) int64)
    splits.info             # {'name': 'digits', 'task': 'classification',
                            #  'n_features': (1, 8, 8), 'n_classes': 10, 'n_train': 1347, ...}

``info['task']`` is 'classification' (y int64 (N,)), 'regression' (y float32 (N, 1)) or
'generation'. Tabular X is float32, standardised with the train split's mean and std; images
are float32 (N, 1, H, W) in [0, 1]. MNIST and Fashion-MNIST are read from IDX files under
``root``, else $CHAINRULE_DATA, else ./data (``make data`` puts them there).
"""

from __future__ import annotations

import inspect
import os
from collections import namedtuple
from pathlib import Path

from .. import backend
from ..creation import from_numpy
from ..data import TensorDataset
from . import idx, tabular

np = backend.np

Splits = namedtuple("Splits", "train test info")
Splits.__doc__ = "A dataset's train and test TensorDatasets and its info dict."

DATA_ENV = "CHAINRULE_DATA"


def data_root(root: str | os.PathLike | None = None) -> Path:
    """Where the IDX datasets are looked for: ``root``, else $CHAINRULE_DATA, else ./data."""
    if root is not None:
        return Path(root).expanduser()
    return Path(os.environ.get(DATA_ENV) or "data").expanduser()


def _mnist_builder(kind: str):
    def build(seed: int = 0, root=None):
        """MNIST-style images (N, 1, 28, 28) float32 in [0, 1]; the official 10k test split.

        The split is fixed by the files, so ``seed`` does not change it.
        """
        folder = idx.find_mnist_dir(data_root(root), kind)
        (X_train, y_train), (X_test, y_test) = idx.load_mnist(folder, kind)

        def images(X):
            return (X.astype(np.float32) / 255.0)[:, None, :, :]

        classes = (
            list(idx.FASHION_CLASSES) if kind == "fashion_mnist" else [str(c) for c in range(10)]
        )
        info = {
            "name": kind,
            "task": "classification",
            "n_features": (1, *X_train.shape[1:]),
            "n_classes": 10,
            "n_train": int(X_train.shape[0]),
            "n_test": int(X_test.shape[0]),
            "classes": classes,
            "root": str(folder.resolve()),
        }
        return (
            images(X_train),
            y_train.astype(np.int64),
            images(X_test),
            y_test.astype(np.int64),
            info,
        )

    build.__name__ = kind
    return build


_BUILDERS = {
    **tabular.BUILDERS,
    "mnist": _mnist_builder("mnist"),
    "fashion_mnist": _mnist_builder("fashion_mnist"),
}
_NEEDS_ROOT = {"mnist", "fashion_mnist"}


def names() -> list[str]:
    """The names ``load`` accepts."""
    return list(_BUILDERS)


def load(name: str, seed: int = 0, root: str | os.PathLike | None = None, **kw) -> Splits:
    """Load dataset ``name`` as ``Splits(train, test, info)`` with a fixed-seed split.

    ``root`` (or $CHAINRULE_DATA, else ./data) is where MNIST/Fashion-MNIST IDX files live;
    the other datasets ignore it. Extra keywords go to the dataset's builder, e.g.
    ``load("moons", noise=0.3)``, ``load("gaussian_ring", n_samples=4096)``,
    ``load("breast_cancer", test_size=0.25)``.
    """
    if not isinstance(name, str) or name not in _BUILDERS:
        raise ValueError(f"unknown dataset {name!r}; valid names: {', '.join(names())}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"{name}: seed must be a non-negative integer, got {seed!r}")
    build = _BUILDERS[name]
    allowed = [p for p in inspect.signature(build).parameters if p not in ("seed", "root")]
    unknown = sorted(set(kw) - set(allowed))
    if unknown:
        raise TypeError(
            f"{name}: unexpected option(s) {', '.join(unknown)}; "
            f"it accepts: {', '.join(allowed) or 'no options'}"
        )
    if name in _NEEDS_ROOT:
        kw["root"] = root
    X_train, y_train, X_test, y_test, info = build(seed=int(seed), **kw)

    def tensors(X, y):
        return TensorDataset(
            from_numpy(np.ascontiguousarray(X)), from_numpy(np.ascontiguousarray(y))
        )

    return Splits(tensors(X_train, y_train), tensors(X_test, y_test), info)
