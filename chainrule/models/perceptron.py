"""The sigmoid perceptron (seed program 1): one Linear unit read through a sigmoid.

    p(y = 1 | x) = σ(w·x + b)

``forward`` returns the logit w·x + b (N, 1); the sigmoid sits in the loss
(``binary_cross_entropy_with_logits``, which never takes log 0) and in ``predict_proba``.
"""

from __future__ import annotations

from .. import nn
from ..functions.activation import sigmoid
from ._util import n_inputs

DEFAULTS = {
    "dataset": "breast_cancer",
    "epochs": 30,
    "batch_size": 32,
    "lr": 0.01,
    "optimizer": "sgd",
    "loss": "bce_with_logits",
    "metric": "accuracy",
    "target": 0.95,
}


class Perceptron(nn.Module):
    """One Linear(in, 1) unit: (N, in) → logits (N, 1)."""

    def __init__(self, in_features: int):
        super().__init__()
        self.linear = nn.Linear(in_features, 1)

    def forward(self, x):
        return self.linear(x.reshape(x.shape[0], -1))

    def predict_proba(self, x):
        """σ(w·x + b), shape (N, 1)."""
        return sigmoid(self(x))


def binary_inputs(info: dict, hparams: dict, name: str) -> int:
    """The input size of a one-unit binary classifier, after checking the dataset fits it."""
    if hparams:
        raise ValueError(f"{name}: unknown hyperparameters {sorted(hparams)}")
    if info.get("n_classes") != 2:
        raise ValueError(
            f"{name}: needs a binary dataset (n_classes 2), got n_classes "
            f"{info.get('n_classes')!r} for {info.get('name', 'the dataset')!r}"
        )
    return n_inputs(info, name)


def build(info: dict, **hparams) -> nn.Module:
    """A perceptron for a binary dataset (``info['n_classes']`` must be 2)."""
    return Perceptron(binary_inputs(info, hparams, "perceptron"))
