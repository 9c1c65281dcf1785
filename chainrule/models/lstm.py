"""An LSTM sequence regressor on the adding problem (seed program 7): see ``rnn``.

The marked values lie up to 49 steps before the output; the LSTM's additive cell state carries
them. With these DEFAULTS (about 1 250 Adam steps, gradient norm clipped to 1) the test MSE
falls below 0.01, against 0.167 for always predicting the mean.
"""

from __future__ import annotations

from .. import nn
from .rnn import adding_data, build_regressor

DEFAULTS = {
    "dataset": "adding_problem",  # T = 50, not in the registry: see ``data``
    "epochs": 8,
    "batch_size": 64,
    "lr": 1e-2,
    "optimizer": "adam",
    "clip_grad_norm": 1.0,
    "loss": "mse",
    "metric": "r2",
    "target": 0.94,  # test MSE under 0.01 = 6% of the target's variance 1/6
    "hidden": 32,
}


def data(seed: int = 0):
    """The adding problem, T = 50: 10 000 training and 1 000 test sequences."""
    return adding_data(seed)


def build(info: dict, hidden=None, **hparams) -> nn.Module:
    """An LSTM regressor (forget-gate bias 1) for ``info['n_features']`` inputs per step."""
    return build_regressor("lstm", info, hidden or DEFAULTS["hidden"], **hparams)
