"""Dropout modules: training vs eval, kept fraction and scaling, gradient, channels, repr."""

import math

import numpy as np
import pytest
import torch
from helpers import host

import chainrule as cr
from chainrule.nn.container import Sequential
from chainrule.nn.dropout import Dropout, Dropout1d, Dropout2d
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


@pytest.mark.parametrize("cls", [Dropout, Dropout1d, Dropout2d])
@pytest.mark.parametrize("p", [-0.5, 1.01])
def test_bad_p(cls, p):
    with pytest.raises(ValueError, match=f"{cls.__name__}: .*between 0 and 1, but got {p}"):
        cls(p)


@pytest.mark.parametrize("name", ["Dropout", "Dropout1d", "Dropout2d"])
def test_repr_matches_torch(name):
    from chainrule.nn import dropout

    assert repr(getattr(dropout, name)()) == repr(getattr(torch.nn, name)())
    assert repr(getattr(dropout, name)(0.3, True)) == repr(getattr(torch.nn, name)(0.3, True))


def test_inplace_module():
    cr.manual_seed(0)
    x = cr.ones(50)
    assert Dropout(0.5, inplace=True)(x) is x
    assert set(np.unique(x.data)) <= {0.0, 2.0}
