"""Generated sequence datasets with fixed seeds: the adding problem and a noisy sine wave.

Both are made fresh from a seed (no download), so a test that trains on them is deterministic.
"""

from __future__ import annotations

from .. import backend
from ..creation import from_numpy
from ..tensor import Tensor

np = backend.np


def adding_problem(n: int, seq_len: int = 50, seed: int = 0) -> tuple[Tensor, Tensor]:
    """The adding problem of Hochreiter & Schmidhuber (1997), in its common [0, 1] form.

    Each sequence has two channels. Channel 0 holds values drawn uniformly from [0, 1];
    channel 1 is a marker that is 1 at exactly two steps, one in the first half of the sequence
    and one in the second, and 0 elsewhere. The target is the sum of the two marked values:

        X (n, seq_len, 2) float32,   y[i, 0] = sum_t X[i, t, 0] * X[i, t, 1]   y (n, 1) float32

    Always predicting 1 (the mean of y) scores MSE = Var(u1 + u2) = 2/12 ≈ 0.167; beating it
    needs memory of the marked values across up to ``seq_len`` steps.

    >>> X, y = adding_problem(4, seq_len=10, seed=0)
    >>> X.shape, y.shape        # ((4, 10, 2), (4, 1))
    """
    if n < 0:
        raise ValueError(f"adding_problem: n must be >= 0, got {n}")
    if seq_len < 2:
        raise ValueError(
            f"adding_problem: seq_len must be >= 2 (one marker per half), got {seq_len}"
        )
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, size=(n, seq_len)).astype(np.float32)
    half = seq_len // 2
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, seq_len, size=n)
    marker = np.zeros((n, seq_len), np.float32)
    rows = np.arange(n)
    marker[rows, first] = 1.0
    marker[rows, second] = 1.0
    X = np.stack([values, marker], axis=-1)
    y = (values[rows, first] + values[rows, second]).astype(np.float32).reshape(n, 1)
    return from_numpy(X), from_numpy(y)


def noisy_sine(
    n_points: int,
    noise: float = 0.1,
    period: float = 50.0,
    amplitude: float = 1.0,
    seed: int = 0,
) -> Tensor:
    """A sampled sine wave with Gaussian noise, as one 1-D float32 series:

        s[t] = amplitude * sin(2π t / period) + noise * ε_t,    ε_t ~ N(0, 1),  t = 0..n_points-1

    Its variance is about amplitude²/2 + noise²; cut it into forecasting pairs with
    ``forecast_windows``.
    """
    if n_points < 0:
        raise ValueError(f"noisy_sine: n_points must be >= 0, got {n_points}")
    if period <= 0:
        raise ValueError(f"noisy_sine: period must be > 0, got {period}")
    rng = np.random.default_rng(seed)
    t = np.arange(n_points, dtype=np.float64)
    s = amplitude * np.sin(2.0 * np.pi * t / period) + noise * rng.standard_normal(n_points)
    return from_numpy(s.astype(np.float32))


def forecast_windows(
    series, window: int, train_fraction: float = 0.8
) -> tuple[tuple[Tensor, Tensor], tuple[Tensor, Tensor]]:
    """Cut a 1-D series into (window → next value) pairs, split in time.

        X[k] = s[k : k + window]  (window, 1),    y[k] = s[k + window]  (1,)

    The first ``round(train_fraction * len(s))`` values are the training part: every training
    target lies in it. Every test target lies after it; a test window may look back into the
    training part (its inputs are past values, as they would be when forecasting), but no test
    target is ever seen in training.

    Returns ``((X_train, y_train), (X_test, y_test))`` with X (m, window, 1) and y (m, 1), both
    float32 Tensors.
    """
    s = np.asarray(series.numpy() if isinstance(series, Tensor) else series, dtype=np.float32)
    if s.ndim != 1:
        raise ValueError(f"forecast_windows: series must be 1-D, got shape {s.shape}")
    if window < 1:
        raise ValueError(f"forecast_windows: window must be >= 1, got {window}")
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(
            f"forecast_windows: train_fraction must be in (0, 1), got {train_fraction}"
        )
    split = int(round(train_fraction * len(s)))
    if split <= window or split >= len(s):
        raise ValueError(
            f"forecast_windows: a series of {len(s)} values split at {split} leaves no "
            f"training or no test pairs for window {window}"
        )
    # Row k of the strided view is s[k : k + window]; its target s[k + window] is index k + window.
    views = np.lib.stride_tricks.sliding_window_view(s, window)[: len(s) - window]
    X = np.ascontiguousarray(views)[..., None]
    y = s[window:].reshape(-1, 1).copy()
    n_train = split - window  # targets s[window .. split-1]
    return (
        (from_numpy(X[:n_train]), from_numpy(y[:n_train])),
        (from_numpy(X[n_train:]), from_numpy(y[n_train:])),
    )
