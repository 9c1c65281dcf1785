"""dropout, dropout1d, dropout2d, dropout3d: kept fraction, scaling, gradient = mask/(1-p),
eval mode, reproducibility under cr.manual_seed, validation. alpha_dropout and
feature_alpha_dropout: the two output values against torch's, the affine constants, mean and
variance preserved, channel structure, gradient = a · mask."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import host

import chainrule as cr
from chainrule.functions.dropout import (
    alpha_dropout,
    dropout,
    dropout1d,
    dropout2d,
    dropout3d,
    feature_alpha_dropout,
)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_kept_fraction_and_scaling(p):
    cr.manual_seed(0)
    n = 200_000
    y = dropout(cr.ones(n, dtype=cr.float64), p).data
    kept = y != 0
    se = math.sqrt(p * (1 - p) / n)
    assert abs(kept.mean() - (1 - p)) < 5 * se
    np.testing.assert_allclose(y[kept], 1 / (1 - p), rtol=1e-15)


@pytest.mark.parametrize("dtype", [cr.float32, cr.float64])
def test_gradient_is_mask_over_keep(dtype, device):
    cr.manual_seed(1)
    p = 0.3
    x = cr.randn(50, 40, dtype=dtype, requires_grad=True, device=device)
    y = dropout(x, p)
    assert y.device == x.device  # the mask was drawn on x's device
    g = np.random.default_rng(0).standard_normal((50, 40)).astype(dtype)
    y.backward(cr.tensor(g, device=device))
    mask = (host(y) != 0) / (1 - p)
    assert x.grad.dtype == dtype and y.dtype == dtype
    np.testing.assert_allclose(host(x.grad), g * mask, rtol=1e-6)
    np.testing.assert_allclose(host(y), host(x) * mask, rtol=1e-6)


def test_reproducible_with_manual_seed(device):
    x = cr.ones(1000, device=device)
    cr.manual_seed(7)
    a = host(dropout(x, 0.5))
    cr.manual_seed(7)
    b = host(dropout(x, 0.5))
    c = host(dropout(x, 0.5))
    np.testing.assert_array_equal(a, b)
    assert (a != c).any()


def test_eval_mode_and_p_zero_return_input():
    x = cr.randn(3, 4)
    assert dropout(x, 0.5, training=False) is x
    assert dropout(x, 0.0) is x
    assert dropout2d(cr.randn(2, 3, 4, 4), 0.5, training=False).shape == (2, 3, 4, 4)


def test_p_one_zeroes_everything(device):
    x = cr.randn(10, 10, requires_grad=True, device=device)
    y = dropout(x, 1.0)
    assert not host(y).any() and np.isfinite(host(y)).all()
    y.sum().backward()
    assert not host(x.grad).any()


@pytest.mark.parametrize("p", [-0.1, 1.5])
@pytest.mark.parametrize("fn", [dropout, dropout1d, dropout2d])
def test_bad_p_raises(fn, p):
    with pytest.raises(ValueError, match=f"between 0 and 1, but got {p}"):
        fn(cr.ones(2, 3, 4, 5), p)


def test_dropout2d_zeroes_whole_channels(device):
    cr.manual_seed(3)
    p = 0.4
    n, c = 200, 100
    y = host(dropout2d(cr.ones(n, c, 3, 3, dtype=cr.float64, device=device), p))
    per_channel = y.reshape(n, c, -1)
    assert ((per_channel == 0).all(-1) | (per_channel == 1 / (1 - p)).all(-1)).all()
    kept = per_channel[..., 0] != 0
    se = math.sqrt(p * (1 - p) / (n * c))
    assert abs(kept.mean() - (1 - p)) < 5 * se


def test_dropout2d_gradient_and_gradgradcheck():
    def fn(x):
        cr.manual_seed(5)  # the same mask at every evaluation
        return dropout2d(x, 0.5) * x

    x = cr.randn(2, 4, 3, 3, dtype=cr.float64, requires_grad=True)
    assert cr.autograd.gradcheck(fn, [x])
    assert cr.autograd.gradgradcheck(fn, [x])


def test_dropout_gradgradcheck():
    def fn(x):
        cr.manual_seed(5)
        return dropout(x, 0.3) * x

    x = cr.randn(4, 5, dtype=cr.float64, requires_grad=True)
    assert cr.autograd.gradcheck(fn, [x])
    assert cr.autograd.gradgradcheck(fn, [x])


def test_dropout1d_channels(device):
    cr.manual_seed(0)
    y = host(dropout1d(cr.ones(8, 50, 6, device=device), 0.5))
    assert ((y == 0).all(-1) | (y == 2).all(-1)).all()
    y = host(dropout1d(cr.ones(50, 6, device=device), 0.5))  # unbatched (C, L)
    assert ((y == 0).all(-1) | (y == 2).all(-1)).all()


@pytest.mark.parametrize(
    "fn, shape, pat",
    [
        (dropout2d, (3, 4), r"3-D or 4-D input, got shape \(3, 4\)"),
        (dropout1d, (3,), r"2-D or 3-D input, got shape \(3,\)"),
    ],
)
def test_channel_dropout_rank_errors(fn, shape, pat):
    with pytest.raises(ValueError, match=pat):
        fn(cr.ones(*shape), 0.5)


def test_inplace_without_grad_writes_into_input():
    cr.manual_seed(0)
    x = cr.ones(100)
    y = dropout(x, 0.5, inplace=True)
    assert y is x and set(np.unique(x.data)) <= {0.0, 2.0}


def test_inplace_with_grad():
    cr.manual_seed(0)
    a = cr.randn(30, requires_grad=True)
    h = a * 2
    y = dropout(h, 0.5, inplace=True)
    assert y is h
    y.sum().backward()
    np.testing.assert_allclose(a.grad.data, 2 * (h.data != 0) * 2.0)


def test_integer_input_rejected():
    with pytest.raises(TypeError, match="floating-point.*int64"):
        dropout(cr.tensor([1, 2, 3]), 0.5)


# ------------------------------------------------------------------ dropout3d
def test_dropout3d_zeroes_whole_volumes(device):
    cr.manual_seed(0)
    y = host(dropout3d(cr.ones(8, 40, 2, 3, 2, device=device), 0.5)).reshape(8, 40, -1)
    assert ((y == 0).all(-1) | (y == 2).all(-1)).all()
    assert 0.3 < (y[..., 0] == 0).mean() < 0.7
    y = host(dropout3d(cr.ones(40, 2, 2, 2, device=device), 0.5)).reshape(40, -1)  # unbatched
    assert ((y == 0).all(-1) | (y == 2).all(-1)).all()
    assert 0 < (y[:, 0] == 0).mean() < 1


def test_dropout3d_gradient_eval_and_errors():
    cr.manual_seed(2)
    x = cr.randn(2, 6, 2, 2, 2, dtype=cr.float64, requires_grad=True)
    y = dropout3d(x, 0.25)
    y.backward(cr.ones(*y.shape, dtype=cr.float64))
    np.testing.assert_allclose(x.grad.data, (y.data != 0) / 0.75, rtol=1e-15)
    assert dropout3d(x, 0.5, training=False) is x and dropout3d(x, 0.0) is x
    with pytest.raises(ValueError, match=r"dropout3d: expected a 4-D or 5-D input, got shape "
                                         r"\(2, 3, 4\)"):  # fmt: skip
        dropout3d(cr.ones(2, 3, 4), 0.5)
    with pytest.raises(ValueError, match="dropout3d: dropout probability .* but got 1.5"):
        dropout3d(x, 1.5)


# ------------------------------------------------------------------ alpha dropout
def _torch_affine(p):
    """torch's constants (aten/src/ATen/native/Dropout.cpp), written out independently."""
    alpha = 1.7580993408473766
    a = 1.0 / math.sqrt((alpha * alpha * p + 1) * (1 - p))
    return a, alpha * a * p, alpha * a * (p - 1)  # scale, shift when kept, value when dropped


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("c", [0.0, 1.5, -2.0])
def test_alpha_dropout_takes_torch_values(p, c):
    """On a constant input both sides produce exactly two values: kept and dropped."""
    torch.manual_seed(0)
    cr.manual_seed(0)
    ref = F.alpha_dropout(torch.full((4000,), c, dtype=torch.float64), p, True).numpy()
    ours = alpha_dropout(cr.full((4000,), c, dtype=cr.float64), p, True).data
    np.testing.assert_allclose(np.unique(ours), np.unique(ref), rtol=1e-14, atol=1e-15)
    a, b, dropped = _torch_affine(p)
    np.testing.assert_allclose(np.unique(ours), sorted({a * c + b, dropped}), rtol=1e-14)


@pytest.mark.parametrize("dtype", [cr.float32, cr.float64])
def test_alpha_dropout_gradient_is_scaled_mask(dtype, device):
    cr.manual_seed(1)
    p = 0.2
    a, b, dropped = _torch_affine(p)
    x = cr.randn(30, 20, dtype=dtype, requires_grad=True, device=device)
    y = alpha_dropout(x, p, training=True)
    assert y.dtype == dtype and y.device == x.device
    xs, ys = host(x).astype(np.float64), host(y).astype(np.float64)
    kept = np.abs(ys - (a * xs + b)) < 1e-5
    assert (kept | (np.abs(ys - dropped) < 1e-5)).all() and 0 < kept.mean() < 1
    g = np.random.default_rng(0).standard_normal((30, 20)).astype(dtype)
    y.backward(cr.tensor(g, device=device))
    assert x.grad.dtype == dtype
    np.testing.assert_allclose(host(x.grad), g * kept * a, rtol=1e-6)


@pytest.mark.parametrize("p", [0.2, 0.6])
def test_alpha_dropout_keeps_mean_and_variance(p):
    cr.manual_seed(4)
    n = 200_000
    y = alpha_dropout(cr.randn(n, dtype=cr.float64), p, True).data
    kept = (y != _torch_affine(p)[2]).mean()
    assert abs(kept - (1 - p)) < 5 * math.sqrt(p * (1 - p) / n)
    assert abs(y.mean()) < 5 / math.sqrt(n)
    assert abs(y.var() - 1) < 5 * math.sqrt(2.0 * 3 / n)  # loose: y is not Gaussian


def test_alpha_dropout_defaults_p_zero_and_p_one():
    x = cr.randn(5, 4, requires_grad=True)
    assert alpha_dropout(x) is x  # torch's default is training=False
    assert alpha_dropout(x, 0.0, True) is x
    assert feature_alpha_dropout(x, 0.5, training=False) is x
    for fn in (alpha_dropout, feature_alpha_dropout):
        y = fn(x, 1.0, True)
        np.testing.assert_array_equal(y.data, F.alpha_dropout(torch.tensor(x.data), 1.0, True))
        x.grad = None
        y.sum().backward()
        assert not x.grad.data.any()


def test_feature_alpha_dropout_channels(device):
    cr.manual_seed(0)
    p = 0.5
    a, b, dropped = _torch_affine(p)
    y = host(feature_alpha_dropout(cr.zeros(8, 40, 3, 3, dtype=cr.float64, device=device), p))
    y = y.reshape(8, 40, 9)
    kept = (y == b).all(-1)
    assert (kept | (y == dropped).all(-1)).all() and 0 < kept.mean() < 1
    torch.manual_seed(0)
    ref = F.feature_alpha_dropout(torch.zeros(8, 40, 3, 3, dtype=torch.float64), p, True)
    np.testing.assert_allclose(np.unique(y), np.unique(ref.numpy()), rtol=1e-14)
    y2 = host(feature_alpha_dropout(cr.zeros(50, 40, device=device), p))  # (N, C): per element
    assert 0 < (y2 == np.float32(dropped)).mean() < 1


def test_alpha_dropout_gradgradcheck():
    for fn in (alpha_dropout, feature_alpha_dropout):

        def f(x, fn=fn):
            cr.manual_seed(5)  # the same mask at every evaluation
            return fn(x, 0.4, True) * x

        x = cr.randn(3, 4, 2, dtype=cr.float64, requires_grad=True)
        assert cr.autograd.gradcheck(f, [x])
        assert cr.autograd.gradgradcheck(f, [x])


def test_alpha_dropout_inplace():
    cr.manual_seed(0)
    a, b, dropped = _torch_affine(0.5)
    x = cr.zeros(200, dtype=cr.float64)
    assert alpha_dropout(x, 0.5, True, inplace=True) is x
    np.testing.assert_allclose(np.unique(x.data), sorted({b, dropped}), rtol=1e-14)
    w = cr.randn(30, dtype=cr.float64, requires_grad=True)
    h = w * 2
    assert feature_alpha_dropout(h.reshape(5, 6), 0.5, True, inplace=False).shape == (5, 6)
    y = alpha_dropout(h, 0.5, True, inplace=True)
    assert y is h
    y.sum().backward()
    kept = np.abs(h.data - (a * 2 * w.data + b)) < 1e-12
    np.testing.assert_allclose(w.grad.data, 2 * a * kept, rtol=1e-14)


def test_alpha_dropout_errors():
    for fn in (alpha_dropout, feature_alpha_dropout):
        with pytest.raises(ValueError, match=f"{fn.__name__}: .*between 0 and 1, but got -0.1"):
            fn(cr.ones(2, 3), -0.1, True)
        with pytest.raises(TypeError, match=f"{fn.__name__}: .*floating-point.*int64"):
            fn(cr.tensor([[1, 2]]), 0.5, True)
    with pytest.raises(ValueError, match=r"feature_alpha_dropout: .*at least 2 dimensions.*\(3,\)"):
        feature_alpha_dropout(cr.ones(3), 0.5)
