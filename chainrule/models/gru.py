"""A GRU sequence regressor on the adding problem (seed program 7): see ``rnn`` and ``lstm``.

The GRU's update gate interpolates between the old state and the new one, so, like the LSTM's
cell state, it can carry a value across many steps.
"""

from __future__ import annotations

from .. import nn
from .rnn import adding_data, build_regressor

DEFAULTS = {
    "dataset": "adding_problem",  # T = 50, not in the registry: see ``data``
    "epochs": 6,
    "batch_size": 64,
    "lr": 1e-2,
    "optimizer": "adam",
    "clip_grad_norm": 1.0,
    "loss": "mse",
    "metric": "r2",
    "target": 0.94,
    "hidden": 32,
}


def data(seed: int = 0):
    """The adding problem, T = 50: 10 000 training and 1 000 test sequences."""
    return adding_data(seed)


def build(info: dict, hidden=None, **hparams) -> nn.Module:
    """A GRU regressor for ``info['n_features']`` inputs per step."""
    return build_regressor("gru", info, hidden or DEFAULTS["hidden"], **hparams)
