"""dropout, dropout1d, dropout2d: kept fraction, scaling, gradient = mask/(1-p), eval mode,
reproducibility under cr.manual_seed, validation."""

import math

import numpy as np
import pytest
from helpers import host

import chainrule as cr
from chainrule.functions.dropout import dropout, dropout1d, dropout2d


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
