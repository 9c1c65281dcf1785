"""Linear regression (seed program 4): ŷ = x·w + b, fitted by minimising mean((ŷ − y)²).

The minimiser is the least-squares solution [w; b] = lstsq([X 1], y); gradient descent on the
mean squared error walks to it, which the quality test checks on ``diabetes``.
"""

from __future__ import annotations

from .. import nn
from ._util import n_inputs

DEFAULTS = {
    "dataset": "diabetes",
    "epochs": 300,
    "batch_size": 512,  # the whole training split: plain (full-batch) gradient descent
    "lr": 0.05,
    "optimizer": "adam",
    "loss": "mse",
    "metric": "r2",
    "target": 0.4,
}


class LinearRegression(nn.Module):
    """Linear(in, out): (N, in) → (N, out)."""

    def __init__(self, in_features: int, out_features: int = 1):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x):
        return self.linear(x.reshape(x.shape[0], -1))


def build(info: dict, **hparams) -> nn.Module:
    """Linear regression for a regression dataset: n_features → 1."""
    if hparams:
        raise ValueError(f"linreg: unknown hyperparameters {sorted(hparams)}")
    if info.get("task") != "regression":
        raise ValueError(
            f"linreg: needs a regression dataset, got task {info.get('task')!r} "
            f"for {info.get('name', 'the dataset')!r}"
        )
    return LinearRegression(n_inputs(info, "linreg"))
