"""Shared by the model tests: the dataset splits and a small training loop.

``load`` is ``chainrule.datasets.registry.load`` once that module exists; until then a stand-in
that builds the same ``Splits`` from ``chainrule.datasets.tabular``'s NumPy builders.
``train`` runs ``chainrule.train.fit`` (the loop the CLI uses) with a model's config, and
``evaluate`` measures accuracy or R² on a split independently of it.
"""

from collections import namedtuple

import numpy as np

import chainrule as cr
from chainrule.data import TensorDataset
from chainrule.train import fit

try:
    from chainrule.datasets.registry import Splits, load
except ImportError:  # the DATASETS engineer's registry has not landed yet
    from chainrule.datasets import tabular

    Splits = namedtuple("Splits", "train test info")

    def load(name, seed=0, root=None, **kw):
        X_train, y_train, X_test, y_test, info = tabular.BUILDERS[name](seed=seed, **kw)
        as_ds = lambda X, y: TensorDataset(cr.from_numpy(X), cr.from_numpy(y))  # noqa: E731
        return Splits(as_ds(X_train, y_train), as_ds(X_test, y_test), info)


def predict(model, X):
    model.eval()
    with cr.no_grad():
        out = model(X).numpy()
    model.train()
    return out


def evaluate(model, dataset, metric):
    """Accuracy (argmax of logits, or logit > 0 for one output) or R² on a TensorDataset."""
    X, y = dataset.tensors
    out, y = predict(model, X), y.numpy()
    if metric == "accuracy":
        pred = (out.reshape(-1) > 0).astype(np.int64) if out.shape[1] == 1 else out.argmax(1)
        return float((pred == y).mean())
    if metric == "r2":
        y, out = y.astype(np.float64), out.astype(np.float64)
        return float(1 - ((y - out) ** 2).sum() / ((y - y.mean()) ** 2).sum())
    raise ValueError(f"unknown metric {metric!r}")


def train(model, splits, cfg, seed=0, log=None):
    """``chainrule.train.fit`` with cfg's loss, metric, optimizer, lr, weight_decay, schedule,
    clip_grad_norm, epochs and batch_size; no run folder, no progress output."""
    keys = ("weight_decay", "schedule", "clip_grad_norm")
    fit(
        model,
        splits,
        loss=cfg["loss"],
        metric=cfg["metric"],
        optimizer=cfg["optimizer"],
        lr=cfg["lr"],
        epochs=cfg["epochs"],
        batch_size=cfg["batch_size"],
        seed=seed,
        progress=False,
        plots=False,
        log=log,
        **{k: cfg[k] for k in keys if cfg.get(k) is not None},
    )
    return model
