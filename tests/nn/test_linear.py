"""Linear and Bilinear against their torch twins, default initialisation, errors, repr."""

import math

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.nn.linear import Bilinear, Identity, Linear

from .twin import check_twin

DTYPES = ["float64", "float32"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 3), (3,), (0, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(shape, bias, dtype):
    check_twin(Linear(3, 4, bias=bias), torch.nn.Linear(3, 4, bias=bias), shape, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", [((5, 3), (5, 2)), ((2, 4, 3), (2, 4, 2)), ((3,), (2,))])
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_matches_torch(shapes, bias, dtype):
    check_twin(
        Bilinear(3, 2, 4, bias=bias), torch.nn.Bilinear(3, 2, 4, bias=bias), *shapes, dtype=dtype
    )


def test_linear_parameters_and_dtype():
    m = Linear(3, 2, dtype=cr.float64)
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]
    assert m.weight.shape == (2, 3) and m.bias.shape == (2,)
    assert m.weight.dtype == cr.float64 and m.weight.requires_grad
    assert Linear(3, 2).weight.dtype == cr.float32
    assert Linear(3, 2, bias=False).bias is None
    assert len(list(Linear(3, 2, bias=False).parameters())) == 1


def _assert_uniform(x, bound):
    """Inside (−bound, bound), and mean and variance within 5 standard errors of U's."""
    x = np.asarray(x, dtype=np.float64).ravel()
    n, var = x.size, bound**2 / 3
    assert np.abs(x).max() <= bound
    assert np.abs(x).max() > 0.99 * bound  # reaches the edges
    assert abs(x.mean()) < 5 * math.sqrt(var / n)
    assert abs(x.var() - var) < 5 * var * math.sqrt(0.8 / n)


def test_linear_default_init_follows_torch():
    cr.manual_seed(0)
    m = Linear(400, 300)
    _assert_uniform(m.weight.data, 1 / math.sqrt(400))  # kaiming_uniform_(a=√5)
    big = Linear(400, 30000)  # enough bias samples
    _assert_uniform(big.bias.data, 1 / math.sqrt(400))


def test_bilinear_default_init_follows_torch():
    cr.manual_seed(0)
    m = Bilinear(25, 40, 200)
    _assert_uniform(m.weight.data, 1 / math.sqrt(25))
    _assert_uniform(Bilinear(25, 2, 20000).bias.data, 1 / math.sqrt(25))


def test_reset_parameters_reproducible():
    cr.manual_seed(3)
    a = Linear(5, 4)
    cr.manual_seed(3)
    b = Linear(5, 4)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)


def test_linear_wrong_features_error():
    with pytest.raises(
        ValueError,
        match=r"Linear: expected input with 3 features \(last dim\), got shape "
        r"\(4, 5\)",
    ):
        Linear(3, 2)(cr.zeros(4, 5))
    with pytest.raises(ValueError, match=r"got shape \(\)"):
        Linear(3, 2)(cr.tensor(1.0))


def test_bilinear_wrong_features_error():
    with pytest.raises(ValueError, match=r"expected input2 with 2 features.*\(4, 3\)"):
        Bilinear(3, 2, 4)(cr.zeros(4, 3), cr.zeros(4, 3))


def test_repr_matches_torch():
    assert repr(Linear(3, 2)) == repr(torch.nn.Linear(3, 2))
    assert repr(Linear(3, 2, bias=False)) == repr(torch.nn.Linear(3, 2, bias=False))
    assert repr(Bilinear(3, 2, 4)) == repr(torch.nn.Bilinear(3, 2, 4))
    assert repr(Identity()) == repr(torch.nn.Identity())


def test_identity_passes_input_through():
    x = cr.randn(3, 4)
    assert Identity(54, unused="x")(x) is x


def test_training_step_matches_torch():
    """Three SGD steps on a two-layer net: the weights stay equal to torch's."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 3))
    ours = [Linear(3, 5, dtype=cr.float64), Linear(5, 2, dtype=cr.float64)]
    theirs = [torch.nn.Linear(3, 5).double(), torch.nn.Linear(5, 2).double()]
    for o, t in zip(ours, theirs):
        o.load_state_dict(t.state_dict())
    for _ in range(3):
        y = ours[1](ours[0](cr.tensor(x)).tanh())
        yt = theirs[1](theirs[0](torch.from_numpy(x)).tanh())
        (y * y).sum().backward()
        (yt * yt).sum().backward()
        with cr.no_grad(), torch.no_grad():
            for o, t in zip(ours, theirs):
                for p, q in zip(o.parameters(), t.parameters()):
                    p -= 0.1 * p.grad
                    q -= 0.1 * q.grad
                    p.grad = None
                    q.grad = None
    for o, t in zip(ours, theirs):
        for p, q in zip(o.parameters(), t.parameters()):
            np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-10, atol=1e-12)
