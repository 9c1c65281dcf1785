"""Dropout modules: training vs eval, kept fraction and scaling, gradient, channels, repr."""

import math

import numpy as np
import pytest
import torch
from helpers import host

import chainrule as cr
from chainrule.nn.container import Sequential
from chainrule.nn.dropout import (
    AlphaDropout,
    Dropout,
    Dropout1d,
    Dropout2d,
    Dropout3d,
    FeatureAlphaDropout,
)
from chainrule.nn.linear import Linear


def test_train_vs_eval():
    m = Dropout(0.5)
    x = cr.ones(1000)
    assert m.training
    y = m(x).data
    assert set(np.unique(y)) == {0.0, 2.0}
    m.eval()
    assert m(x) is x
    m.train()
    assert (m(x).data == 0).any()


def test_eval_propagates_through_containers():
    net = Sequential(Linear(4, 4), Dropout(0.9))
    net.eval()
    x = cr.randn(3, 4)
    np.testing.assert_array_equal(net(x).data, net[0](x).data)


@pytest.mark.parametrize("p", [0.2, 0.7])
def test_kept_fraction_scaling_and_gradient(p, device):
    cr.manual_seed(0)
    n = 100_000
    x = cr.ones(n, dtype=cr.float64, requires_grad=True, device=device)
    y = Dropout(p)(x)
    kept = host(y) != 0
    assert abs(kept.mean() - (1 - p)) < 5 * math.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(host(y)[kept], 1 / (1 - p), rtol=1e-15)
    y.sum().backward()
    np.testing.assert_allclose(host(x.grad), kept / (1 - p), rtol=1e-15)


def test_reproducible_with_manual_seed():
    x = cr.ones(4, 8, 5, 5)
    outs = []
    for m in (Dropout(0.5), Dropout2d(0.5)):
        cr.manual_seed(11)
        a = m(x).data
        cr.manual_seed(11)
        outs.append((a, m(x).data))
    for a, b in outs:
        np.testing.assert_array_equal(a, b)


def test_dropout2d_channels_and_eval():
    cr.manual_seed(0)
    m = Dropout2d(0.5)
    y = m(cr.ones(16, 32, 3, 3)).data.reshape(16, 32, 9)
    assert ((y == 0).all(-1) | (y == 2).all(-1)).all()
    assert 0 < (y[..., 0] == 0).mean() < 1
    m.eval()
    x = cr.ones(2, 3, 4, 4)
    assert m(x) is x


def test_dropout1d_channels():
    cr.manual_seed(0)
    y = Dropout1d(0.5)(cr.ones(16, 32, 7)).data
    assert ((y == 0).all(-1) | (y == 2).all(-1)).all()


@pytest.mark.parametrize(
    "cls", [Dropout, Dropout1d, Dropout2d, Dropout3d, AlphaDropout, FeatureAlphaDropout]
)
@pytest.mark.parametrize("p", [-0.5, 1.01])
def test_bad_p(cls, p):
    with pytest.raises(ValueError, match=f"{cls.__name__}: .*between 0 and 1, but got {p}"):
        cls(p)


@pytest.mark.parametrize(
    "name",
    ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"],
)
def test_repr_matches_torch(name):
    from chainrule.nn import dropout

    assert repr(getattr(dropout, name)()) == repr(getattr(torch.nn, name)())
    assert repr(getattr(dropout, name)(0.3, True)) == repr(getattr(torch.nn, name)(0.3, True))


def test_inplace_module():
    cr.manual_seed(0)
    x = cr.ones(50)
    assert Dropout(0.5, inplace=True)(x) is x
    assert set(np.unique(x.data)) <= {0.0, 2.0}


def test_dropout3d_channels_and_eval():
    cr.manual_seed(0)
    m = Dropout3d(0.5)
    y = m(cr.ones(4, 32, 2, 2, 2)).data.reshape(4, 32, 8)
    assert ((y == 0).all(-1) | (y == 2).all(-1)).all()
    assert 0 < (y[..., 0] == 0).mean() < 1
    m.eval()
    x = cr.ones(2, 3, 2, 2, 2)
    assert m(x) is x


@pytest.mark.parametrize("cls", [AlphaDropout, FeatureAlphaDropout])
def test_alpha_dropout_modules_train_and_eval(cls):
    """Training uses the alpha-dropout values (torch's, on a constant input); eval is the
    identity, unlike F.alpha_dropout's default the module follows its own training flag."""
    p = 0.3
    m = cls(p)
    torch.manual_seed(0)
    ref = getattr(torch.nn, cls.__name__)(p)(torch.zeros(300, 8, 2, dtype=torch.float64))
    cr.manual_seed(0)
    y = m(cr.zeros(300, 8, 2, dtype=cr.float64)).data
    np.testing.assert_allclose(np.unique(y), np.unique(ref.numpy()), rtol=1e-14)
    if cls is FeatureAlphaDropout:
        assert (y[..., 0] == y[..., 1]).all()  # one draw per (n, c)
    x = cr.randn(4, 8, 2)
    m.eval()
    assert m(x) is x


def test_alpha_dropout_module_gradient():
    cr.manual_seed(3)
    p = 0.4
    alpha = 1.7580993408473766
    a = 1 / math.sqrt((alpha**2 * p + 1) * (1 - p))
    x = cr.zeros(1000, dtype=cr.float64, requires_grad=True)
    y = AlphaDropout(p)(x)
    y.sum().backward()
    kept = y.data == alpha * a * p
    assert 0 < kept.mean() < 1
    np.testing.assert_allclose(x.grad.data, a * kept, rtol=1e-15)
