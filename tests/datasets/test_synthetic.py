"""Closed-form checks of the generated sequence datasets."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.datasets import adding_problem, forecast_windows, noisy_sine


def test_adding_problem_shapes_and_dtypes():
    X, y = adding_problem(7, seq_len=12, seed=3)
    assert isinstance(X, cr.Tensor) and isinstance(y, cr.Tensor)
    assert X.shape == (7, 12, 2) and y.shape == (7, 1)
    assert X.dtype == cr.float32 and y.dtype == cr.float32


def test_adding_problem_markers_one_per_half():
    X, _ = adding_problem(500, seq_len=50, seed=0)
    values, marker = X.numpy()[..., 0], X.numpy()[..., 1]
    assert set(np.unique(marker)) == {0.0, 1.0}
    assert (marker.sum(axis=1) == 2).all()
    assert (marker[:, :25].sum(axis=1) == 1).all()
    assert (marker[:, 25:].sum(axis=1) == 1).all()
    assert values.min() >= 0.0 and values.max() <= 1.0


@pytest.mark.parametrize("seq_len", [2, 3, 10, 51])
def test_adding_problem_target_is_sum_of_marked_values(seq_len):
    X, y = adding_problem(200, seq_len=seq_len, seed=1)
    x = X.numpy()
    expected = (x[..., 0] * x[..., 1]).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(y.numpy(), expected, rtol=0, atol=1e-6)
    half = seq_len // 2
    assert (x[:, :half, 1].sum(axis=1) == 1).all() and (x[:, half:, 1].sum(axis=1) == 1).all()


def test_adding_problem_statistics():
    # y = u1 + u2 with u ~ U[0, 1]: mean 1, variance 2/12, so predicting 1 scores MSE 1/6.
    _, y = adding_problem(20000, seed=0)
    y = y.numpy().astype(np.float64)
    assert abs(y.mean() - 1.0) < 0.01
    assert abs(((y - 1.0) ** 2).mean() - 1 / 6) < 0.005
    # Marker positions cover both halves evenly.
    X, _ = adding_problem(20000, seq_len=10, seed=0)
    pos = X.numpy()[..., 1].sum(axis=0)
    np.testing.assert_allclose(pos / 20000, np.full(10, 0.2), atol=0.02)


def test_adding_problem_reproducible_by_seed():
    a = adding_problem(50, seed=5)
    b = adding_problem(50, seed=5)
    c = adding_problem(50, seed=6)
    for s, t in zip(a, b):
        np.testing.assert_array_equal(s.numpy(), t.numpy())
    assert not np.array_equal(a[0].numpy(), c[0].numpy())


def test_adding_problem_rejects_bad_arguments():
    with pytest.raises(ValueError, match="seq_len"):
        adding_problem(3, seq_len=1)
    with pytest.raises(ValueError, match="n must be"):
        adding_problem(-1)


def test_noisy_sine_is_sine_plus_noise():
    s = noisy_sine(1000, noise=0.0, period=40.0, amplitude=2.0, seed=0)
    assert s.shape == (1000,) and s.dtype == cr.float32
    t = np.arange(1000)
    np.testing.assert_allclose(s.numpy(), 2.0 * np.sin(2 * np.pi * t / 40.0), atol=1e-5)
    noisy = noisy_sine(20000, noise=0.3, period=40.0, seed=1).numpy().astype(np.float64)
    residual = noisy - np.sin(2 * np.pi * np.arange(20000) / 40.0)
    assert abs(residual.std() - 0.3) < 0.01
    assert abs(noisy.var() - (0.5 + 0.09)) < 0.02


def test_noisy_sine_reproducible_by_seed():
    a, b = noisy_sine(100, seed=2), noisy_sine(100, seed=2)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), noisy_sine(100, seed=3).numpy())


def test_forecast_windows_pairs_and_time_split():
    s = np.arange(100, dtype=np.float32)  # value == index makes every pair checkable
    (Xtr, ytr), (Xte, yte) = forecast_windows(s, window=5, train_fraction=0.8)
    assert Xtr.shape == (75, 5, 1) and ytr.shape == (75, 1)
    assert Xte.shape == (20, 5, 1) and yte.shape == (20, 1)
    X = np.concatenate([Xtr.numpy(), Xte.numpy()])[..., 0]
    y = np.concatenate([ytr.numpy(), yte.numpy()])[:, 0]
    for k in range(95):
        np.testing.assert_array_equal(X[k], s[k : k + 5])
        assert y[k] == s[k + 5]
    # Training targets all precede the split, test targets all follow it.
    assert ytr.numpy().max() < 80 <= yte.numpy().min()


def test_forecast_windows_accepts_tensor_and_rejects_bad_input():
    (Xtr, _), _ = forecast_windows(noisy_sine(50, seed=0), window=4)
    assert Xtr.dtype == cr.float32
    with pytest.raises(ValueError, match="1-D"):
        forecast_windows(np.zeros((3, 3)), window=2)
    with pytest.raises(ValueError, match="window"):
        forecast_windows(np.zeros(10), window=9)
