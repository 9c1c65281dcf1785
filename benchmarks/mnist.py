"""One training epoch of ``chainrule train cnn --dataset mnist``: the LeNet of
``chainrule/models/cnn.py`` (conv32-BN-ReLU-pool, conv64-BN-ReLU-pool, linear 256, dropout,
linear 10), batch 64, Adam lr 2e-3, against its torch twin with the same weights, the same
shuffled batches and the same loop. The CLI's cosine-per-batch lr schedule and its validation
pass are left out of the timed loop; ``fit_factory`` (``run.py --mnist-fit``) times ``fit``
itself.
"""

from __future__ import annotations

import os

import numpy as np
import torch
from workloads import lib_cross_entropy, lib_tensor, load

import chainrule as cr
from chainrule.models.cnn import LeNet

BATCH, LR = 64, 2e-3
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")


def load_train():
    """MNIST's 60,000 training images as float32 (N, 1, 28, 28) in [0, 1] and int64 labels,
    or None (with the reason) when the IDX files are missing."""
    from chainrule.datasets import load_mnist

    try:
        (X, y), _ = load_mnist(ROOT)
    except (FileNotFoundError, ValueError, OSError) as e:
        return None, f"MNIST not found under data/ ({e.__class__.__name__}); run `make data`"
    return (X.reshape(-1, 1, 28, 28).astype(np.float32) / 255, y.astype(np.int64)), ""


class _TorchLeNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        nn = torch.nn
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        )  # fmt: skip
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(64 * 7 * 7, 256), nn.ReLU(), nn.Dropout(0.25),
            nn.Linear(256, 10),
        )  # fmt: skip

    def forward(self, x):
        return self.classifier(self.features(x))


def flops_per_sample():
    fwd = 2 * (28 * 28 * 32 * 9 + 14 * 14 * 64 * 32 * 9 + 3136 * 256 + 256 * 10)
    return 3 * fwd


def epoch_factory(name, weights, X, y, batches=None, seed=0):
    """``step()`` trains one epoch (or its first ``batches`` batches) and returns the last
    loss. The first call is preceded by one check step with dropout off, whose loss the
    runner compares; see ``first_loss``."""

    def factory():
        cr.manual_seed(seed)
        torch.manual_seed(seed)
        model = LeNet((1, 28, 28), 10) if name == "chainrule" else _TorchLeNet()
        load(model, weights)
        lib = cr if name == "chainrule" else torch
        opt = lib.optim.Adam(model.parameters(), lr=LR)
        ce = lib_cross_entropy(name)
        rng = np.random.default_rng(seed)
        n = len(X) if batches is None else min(len(X), batches * BATCH)
        state = {"checked": False}

        def train_batch(idx):
            loss = ce(model(lib_tensor(name, X[idx])), lib_tensor(name, y[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss

        def step():
            if not state["checked"]:  # the agreement check: dropout off, BN on batch stats
                state["checked"] = True
                drop = [m for m in model.modules() if isinstance(m, lib.nn.Dropout)]
                for m in drop:
                    m.eval()
                loss = train_batch(np.arange(BATCH))
                for m in drop:
                    m.train()
                return loss
            perm = rng.permutation(len(X))[:n]
            for i in range(0, n, BATCH):
                loss = train_batch(perm[i : i + BATCH])
            return loss

        return step

    return factory


def fit_factory(weights, X, y, batches=None, seed=0):
    """``chainrule.train.fit`` itself for one epoch, as ``chainrule train cnn`` runs it: its
    DataLoader, Adam, the cosine-per-batch lr schedule, and a validation pass (here over 640
    test images, not 10,000). Its first call returns the plain loop's check loss."""
    from chainrule.data import TensorDataset
    from chainrule.datasets.registry import Splits
    from chainrule.train import fit

    def factory():
        check = epoch_factory("chainrule", weights, X, y, batches, seed)()
        n = len(X) if batches is None else min(len(X), batches * BATCH)
        info = {"name": "mnist", "task": "classification", "n_features": (1, 28, 28)}
        info["n_classes"] = 10
        splits = Splits(TensorDataset(X[:n], y[:n]), TensorDataset(X[-640:], y[-640:]), info)
        state = {"checked": False}

        def step():
            if not state["checked"]:
                state["checked"] = True
                return check()
            cr.manual_seed(seed)
            model = load(LeNet((1, 28, 28), 10), weights)
            result = fit(
                model, splits, loss="cross_entropy", metric="accuracy", optimizer="adam",
                lr=LR, schedule="cosine_step", epochs=1, batch_size=BATCH, seed=seed,
                progress=False, plots=False,
            )  # fmt: skip
            return result["val_loss"]

        return step

    return factory


def lenet_weights(seed=0):
    cr.manual_seed(seed)
    return [p.data.copy() for p in LeNet((1, 28, 28), 10).parameters()]
