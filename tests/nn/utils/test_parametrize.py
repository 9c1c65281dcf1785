"""register_parametrization / remove_parametrizations / cached against torch's parametrize:
names, classes, values, gradients, stacking, assignment through right_inverse, and Sequential."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.nn.utils import parametrize as P

TP = torch.nn.utils.parametrize


class Symmetric(cr.nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).mT


class SymmetricT(torch.nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).mT


class Scale(cr.nn.Module):  # with a right_inverse: assigning the weight sets original
    def forward(self, X):
        return 2 * X

    def right_inverse(self, W):
        return W / 2


class ScaleT(torch.nn.Module):
    def forward(self, X):
        return 2 * X

    def right_inverse(self, W):
        return W / 2


def _pair():
    torch.manual_seed(0)
    theirs = torch.nn.Linear(3, 3).double()
    ours = cr.nn.Linear(3, 3).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def test_register_stack_and_values_match_torch():
    ours, theirs = _pair()
    P.register_parametrization(ours, "weight", Symmetric())
    TP.register_parametrization(theirs, "weight", SymmetricT())
    P.register_parametrization(ours, "weight", Scale())
    TP.register_parametrization(theirs, "weight", ScaleT())
    assert type(ours).__name__ == type(theirs).__name__ == "ParametrizedLinear"
    assert isinstance(ours, cr.nn.Linear) and P.type_before_parametrizations(ours) is cr.nn.Linear
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert P.is_parametrized(ours) and P.is_parametrized(ours, "weight")
    assert not P.is_parametrized(ours, "bias") and not P.is_parametrized(cr.nn.Linear(2, 2))
    x = np.random.default_rng(0).standard_normal((4, 3))
    yt, yc = theirs(torch.tensor(x)), ours(cr.tensor(x))
    np.testing.assert_allclose(yc.data, yt.detach().numpy(), rtol=1e-12)
    yt.sum().backward()
    yc.sum().backward()
    np.testing.assert_allclose(
        ours.parametrizations.weight.original.grad.data,
        theirs.parametrizations.weight.original.grad.numpy(),
        rtol=1e-12,
    )
    assert not hasattr(type(cr.nn.Linear(2, 2)), "weight")  # other Linears are untouched


def test_assigning_goes_through_right_inverse_as_torch():
    ours, theirs = _pair()
    P.register_parametrization(ours, "weight", Scale())
    TP.register_parametrization(theirs, "weight", ScaleT())
    w = np.arange(9.0).reshape(3, 3)
    ours.weight = cr.tensor(w)
    with torch.no_grad():
        theirs.weight = torch.tensor(w)
    np.testing.assert_array_equal(ours.parametrizations.weight.original.data, w / 2)
    np.testing.assert_array_equal(ours.weight.data, theirs.weight.detach().numpy())


@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations_as_torch(leave):
    ours, theirs = _pair()
    P.register_parametrization(ours, "weight", Symmetric())
    TP.register_parametrization(theirs, "weight", SymmetricT())
    P.remove_parametrizations(ours, "weight", leave_parametrized=leave)
    TP.remove_parametrizations(theirs, "weight", leave_parametrized=leave)
    assert type(ours) is cr.nn.Linear and list(ours.state_dict()) == list(theirs.state_dict())
    np.testing.assert_array_equal(ours.weight.data, theirs.weight.detach().numpy())
    assert isinstance(ours.weight, cr.nn.Parameter)


def test_sequential_uses_the_parametrized_weight_and_cached_reuses_it():
    cr.manual_seed(0)
    net = cr.nn.Sequential(cr.nn.Linear(3, 3), cr.nn.ReLU(), cr.nn.Linear(3, 2)).double()
    x = cr.ones(2, 3, dtype=cr.float64)
    net(x)  # builds Sequential's fused plan first
    P.register_parametrization(net[0], "weight", Symmetric())
    W = net[0].weight.data
    assert np.array_equal(W, W.T)
    expected = np.maximum(x.data @ W.T + net[0].bias.data, 0) @ net[2].weight.data.T
    np.testing.assert_allclose(net(x).data, expected + net[2].bias.data, rtol=1e-12)
    with P.cached():
        assert net[0].weight is net[0].weight
    assert net[0].weight is not net[0].weight


def test_errors():
    with pytest.raises(ValueError, match="has no parameter or buffer named 'kernel'"):
        P.register_parametrization(cr.nn.Linear(2, 2), "kernel", Symmetric())
    with pytest.raises(TypeError, match="must be a Module"):
        P.register_parametrization(cr.nn.Linear(2, 2), "weight", lambda w: w)

    class Flat(cr.nn.Module):
        def forward(self, X):
            return X.reshape(-1)

    with pytest.raises(ValueError, match=r"changes the tensor's shape .* \(2, 3\) .* \(6,\)"):
        P.register_parametrization(cr.nn.Linear(3, 2), "weight", Flat())
    layer = P.register_parametrization(cr.nn.Linear(3, 2), "weight", Flat(), unsafe=True)
    assert layer.weight.shape == (6,)
    with pytest.raises(ValueError, match="no parametrization on 'weight'"):
        P.remove_parametrizations(cr.nn.Linear(2, 2), "weight")


def test_a_deep_copy_is_independent():
    import copy

    ours, _ = _pair()
    P.register_parametrization(ours, "weight", Symmetric())
    P.register_parametrization(ours, "bias", Scale())
    twin = copy.deepcopy(ours)
    P.remove_parametrizations(twin, "weight")
    x = cr.ones(1, 3, dtype=cr.float64)
    W = ours.parametrizations.weight.original.data
    sym = np.triu(W) + np.triu(W, 1).T
    np.testing.assert_allclose(ours.weight.data, sym)  # the original still parametrized
    np.testing.assert_allclose(ours(x).data, x.data @ sym.T + ours.bias.data)
    assert P.is_parametrized(twin, "bias") and not P.is_parametrized(twin, "weight")
    P.remove_parametrizations(twin, "bias")
    assert type(twin) is cr.nn.Linear and P.is_parametrized(ours, "bias")
