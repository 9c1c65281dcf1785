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
from .perceptron import Perceptron, binary_inputs

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


class LogisticRegression(Perceptron):
    """Linear(in, 1): (N, in) → logits (N, 1), starting from zero weights."""

    def __init__(self, in_features: int):
        super().__init__(in_features)
        nn.init.zeros_(self.linear.weight)  # a convex problem: start where sklearn starts
        nn.init.zeros_(self.linear.bias)


def build(info: dict, **hparams) -> nn.Module:
    """Logistic regression for a binary dataset (``info['n_classes']`` must be 2)."""
    return LogisticRegression(binary_inputs(info, hparams, "logreg"))
