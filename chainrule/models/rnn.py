"""A recurrent sequence regressor (seed program 7): a recurrent layer read out at the last step.

    (N, T, features) → RNN/LSTM/GRU → h_T (N, hidden) → Linear → (N, 1)

``rnn`` (a tanh RNN) forecasts the next value of a noisy sine from the 30 before it; ``lstm``
and ``gru`` reuse ``SequenceRegressor`` for the adding problem, whose marked values lie up to
49 steps back, out of a tanh RNN's reach. No registry dataset: ``data(seed)`` makes the splits,
and the standard loop (``chainrule.train.fit``, loss 'mse', metric 'r2') trains them.
"""

from __future__ import annotations

from .. import nn
from ..autograd import no_grad
from ..data import TensorDataset
from ..datasets import adding_problem, forecast_windows, noisy_sine
from ..datasets.registry import Splits
from ..nn.recurrent import GRU, LSTM, RNN

DEFAULTS = {
    "dataset": "noisy_sine",  # cut into windows, not in the registry: see ``data``
    "epochs": 6,
    "batch_size": 32,
    "lr": 1e-2,
    "optimizer": "adam",
    "clip_grad_norm": 1.0,
    "loss": "mse",
    "metric": "r2",
    "target": 0.9,  # test MSE under 10% of the target's variance
    "hidden": 16,
}

CELLS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


class SequenceRegressor(nn.Module):
    """``cell`` ('rnn' | 'lstm' | 'gru') over (N, T, input_size), Linear on the last step."""

    def __init__(self, cell: str, input_size: int, hidden_size: int, num_layers: int = 1):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"unknown cell {cell!r}; valid: {', '.join(CELLS)}")
        self.rnn = CELLS[cell](input_size, hidden_size, num_layers, batch_first=True)
        self.out = nn.Linear(hidden_size, 1)
        if cell == "lstm":
            # Forget-gate bias 1 (Gers et al. 2000): the cell starts out remembering.
            with no_grad():
                for k in range(num_layers):
                    getattr(self.rnn, f"bias_ih_l{k}")[hidden_size : 2 * hidden_size] = 1.0
                    getattr(self.rnn, f"bias_hh_l{k}")[hidden_size : 2 * hidden_size] = 0.0

    def forward(self, x):
        if x.dim() == 2:  # (N, T): one feature per step
            x = x.unsqueeze(-1)
        y, _ = self.rnn(x)
        return self.out(y[:, -1])


def sine_data(seed: int = 0, window: int = 30) -> Splits:
    """A noisy sine (2 000 points, period 40, noise 0.1) as (window → next value) pairs, the
    first 80% of the series for training and the rest for testing."""
    series = noisy_sine(2_000, noise=0.1, period=40.0, seed=seed)
    (X, y), (X_test, y_test) = forecast_windows(series, window=window, train_fraction=0.8)
    info = {"name": "noisy_sine", "task": "regression", "n_features": 1, "seq_len": window}
    return Splits(TensorDataset(X, y), TensorDataset(X_test, y_test), info)


def adding_data(seed: int = 0, n_train: int = 10_000, n_test: int = 1_000, seq_len: int = 50):
    """The adding problem: ``n_train`` and ``n_test`` sequences of length ``seq_len``, drawn
    from two different seeds. Predicting 1 always scores MSE 1/6 (R² 0)."""
    X, y = adding_problem(n_train, seq_len=seq_len, seed=2 * seed + 1)
    X_test, y_test = adding_problem(n_test, seq_len=seq_len, seed=2 * seed + 2)
    info = {"name": "adding_problem", "task": "regression", "n_features": 2, "seq_len": seq_len}
    return Splits(TensorDataset(X, y), TensorDataset(X_test, y_test), info)


def data(seed: int = 0) -> Splits:
    return sine_data(seed)


def build_regressor(cell: str, info: dict, hidden=None, num_layers=1, **hparams) -> nn.Module:
    if hparams:
        raise ValueError(f"{cell}: unknown hyperparameters {sorted(hparams)}; valid: hidden")
    n = info.get("n_features")
    if info.get("task") != "regression" or not isinstance(n, int) or n < 1:
        raise ValueError(
            f"{cell}: needs a sequence regression dataset with int n_features, got task "
            f"{info.get('task')!r}, n_features {n!r}"
        )
    return SequenceRegressor(cell, n, hidden, num_layers)


def build(info: dict, hidden=None, **hparams) -> nn.Module:
    """A tanh RNN regressor for ``info['n_features']`` inputs per step."""
    return build_regressor("rnn", info, hidden or DEFAULTS["hidden"], **hparams)
