"""Shared by the model tests: the dataset splits and a small training loop.

``load`` is ``chainrule.datasets.registry.load`` once that module exists; until then a stand-in
that builds the same ``Splits`` from ``chainrule.datasets.tabular``'s NumPy builders.
``train`` is a plain minibatch loop over a model's DEFAULTS (to be replaced by
``chainrule.train.fit``), and ``evaluate`` measures accuracy or R² on a split.
"""

from collections import namedtuple

import numpy as np

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.data import DataLoader, Generator, TensorDataset

try:
    from chainrule.datasets.registry import Splits, load
except ImportError:  # the DATASETS engineer's registry has not landed yet
    from chainrule.datasets import tabular

    Splits = namedtuple("Splits", "train test info")

    def load(name, seed=0, root=None, **kw):
        X_train, y_train, X_test, y_test, info = tabular.BUILDERS[name](seed=seed, **kw)
        as_ds = lambda X, y: TensorDataset(cr.from_numpy(X), cr.from_numpy(y))  # noqa: E731
        return Splits(as_ds(X_train, y_train), as_ds(X_test, y_test), info)


def loss_value(kind, out, y):
    if kind == "cross_entropy":
        return F.cross_entropy(out, y)
    if kind == "bce_with_logits":
        return F.binary_cross_entropy_with_logits(out.reshape(-1), y.float())
    if kind == "mse":
        return F.mse_loss(out, y)
    raise ValueError(f"unknown loss {kind!r}")


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


OPTIMIZERS = {"sgd": cr.optim.SGD, "adam": cr.optim.Adam, "adamw": cr.optim.AdamW}


def train(model, splits, cfg, seed=0, log=None):
    """Minibatch training with cfg's optimizer, lr, weight_decay, epochs and batch_size; with
    cfg['schedule'] == 'cosine' the lr follows a cosine from lr to 0 over the epochs."""
    opt = OPTIMIZERS[cfg["optimizer"]](
        model.parameters(), lr=cfg["lr"], weight_decay=cfg.get("weight_decay", 0.0)
    )
    loader = DataLoader(
        splits.train, batch_size=cfg["batch_size"], shuffle=True, generator=Generator(seed)
    )
    schedule = cfg.get("schedule")
    if schedule not in (None, "cosine"):
        raise ValueError(f"unknown schedule {schedule!r}")
    sched = cr.optim.lr_scheduler.CosineAnnealingLR(opt, cfg["epochs"]) if schedule else None
    for epoch in range(1, cfg["epochs"] + 1):
        for X, y in loader:
            loss = loss_value(cfg["loss"], model(X), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        if sched is not None:
            sched.step()
        if log is not None:
            log(epoch, {"loss": loss.item()})
    return model
