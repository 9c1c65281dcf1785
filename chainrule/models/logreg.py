"""Logistic regression (seed program 5): p(y = 1 | x) = σ(w·x + b), fitted by minimising

    mean_i BCE(σ(w·x_i + b), y_i) + (λ/2)·‖w‖²

with λ = ``weight_decay``. scikit-learn's ``LogisticRegression(C=1)`` minimises
½‖w‖² + C·Σ_i BCE_i, the same objective times C·N when λ = 1/(C·N); the default λ = 0.002 is
that for the ≈ 455 training rows of ``breast_cancer``. (The optimizer's weight decay also
touches b, a difference of order λ·b that does not change a prediction here.)

``forward`` returns the logit (N, 1); ``predict_proba`` the probability.
"""

from __future__ import annotations

from .. import nn
from ..functions.activation import sigmoid
from ._util import n_inputs

DEFAULTS = {
    "dataset": "breast_cancer",
    "epochs": 200,
    "batch_size": 512,  # the whole training split: plain (full-batch) gradient descent
    "lr": 0.05,
    "optimizer": "adam",
    "weight_decay": 0.002,
    "loss": "bce_with_logits",
    "metric": "accuracy",
    "target": 0.95,
}


class LogisticRegression(nn.Module):
    """Linear(in, 1): (N, in) → logits (N, 1)."""

    def __init__(self, in_features: int):
        super().__init__()
        self.linear = nn.Linear(in_features, 1)
        nn.init.zeros_(self.linear.weight)  # a convex problem: start where sklearn starts
        nn.init.zeros_(self.linear.bias)

    def forward(self, x):
        return self.linear(x.reshape(x.shape[0], -1))

    def predict_proba(self, x):
        """σ(w·x + b), shape (N, 1)."""
        return sigmoid(self(x))


def build(info: dict, **hparams) -> nn.Module:
    """Logistic regression for a binary dataset (``info['n_classes']`` must be 2)."""
    if hparams:
        raise ValueError(f"logreg: unknown hyperparameters {sorted(hparams)}")
    if info.get("n_classes") != 2:
        raise ValueError(
            f"logreg: needs a binary dataset (n_classes 2), got n_classes "
            f"{info.get('n_classes')!r} for {info.get('name', 'the dataset')!r}"
        )
    return LogisticRegression(n_inputs(info, "logreg"))
