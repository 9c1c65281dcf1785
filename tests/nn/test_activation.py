"""Activation modules against torch's: outputs, gradients, constructor arguments, repr, and
the in-place variants."""

import numpy as np
import pytest
import torch
from helpers import assert_close

import chainrule as cr
from chainrule.nn import activation as act

from .twin import check_twin

CASES = [
    ("ReLU", (), {}),
    ("ReLU", (), {"inplace": True}),
    ("LeakyReLU", (), {}),
    ("LeakyReLU", (0.2,), {"inplace": True}),
    ("ELU", (), {}),
    ("ELU", (0.5,), {}),
    ("GELU", (), {}),
    ("GELU", (), {"approximate": "tanh"}),
    ("Sigmoid", (), {}),
    ("Tanh", (), {}),
    ("Softplus", (), {}),
    ("Softplus", (2.0, 1.0), {}),
    ("Softmax", (), {"dim": 1}),
    ("Softmax", (0,), {}),
    ("LogSoftmax", (), {"dim": -1}),
    ("LogSoftmax", (1,), {}),
]


def _ids(case):
    return (
        case[0]
        + "".join(f"-{a}" for a in case[1])
        + "".join(f"-{k}={v}" for k, v in case[2].items())
    )


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_matches_torch(case, dtype):
    name, args, kw = case
    ours, theirs = getattr(act, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    # the inplace variants may not write into a leaf: feed them x * 1, in both libraries
    if kw.get("inplace"):
        ours_fn, theirs_fn = _Scaled(ours), _TorchScaled(theirs)
        check_twin(ours_fn, theirs_fn, (4, 5), dtype=dtype)
    else:
        check_twin(ours, theirs, (4, 5), dtype=dtype)


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_repr_matches_torch(case):
    name, args, kw = case
    assert repr(getattr(act, name)(*args, **kw)) == repr(getattr(torch.nn, name)(*args, **kw))


class _Scaled(cr.nn.Module):
    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, x):
        return self.f(x * 1.0)


class _TorchScaled(torch.nn.Module):
    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, x):
        return self.f(x * 1.0)


@pytest.mark.parametrize("shape", [(5,), (2, 3, 4), (2, 3, 4, 5), ()])
@pytest.mark.parametrize("name", ["Softmax", "LogSoftmax"])
def test_softmax_implicit_dim_matches_torch(name, shape):
    x = np.random.default_rng(0).standard_normal(shape)
    with pytest.warns(UserWarning):
        ref = getattr(torch.nn, name)()(torch.from_numpy(x))
    assert_close(getattr(act, name)()(cr.tensor(x)).data, ref)


@pytest.mark.parametrize(
    "name, kw", [("ReLU", {}), ("LeakyReLU", {"negative_slope": 0.1}), ("ELU", {"alpha": 2.0})]
)
def test_inplace_writes_into_input(name, kw):
    x = np.random.default_rng(1).standard_normal((3, 4))
    ours = cr.tensor(x.copy())
    y = getattr(act, name)(inplace=True, **kw)(ours)
    ref = getattr(torch.nn, name)(**kw)(torch.from_numpy(x))
    assert y is ours
    assert_close(ours.data, ref)


def test_inplace_on_leaf_requiring_grad_raises():
    x = cr.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        act.ReLU(inplace=True)(x)


def test_inplace_saved_input_is_overwritten_error():
    """exp saves its output; an in-place ReLU on it must be caught at backward (as torch)."""
    x = cr.randn(4, requires_grad=True)
    h = x * 2
    y = h.exp()  # exp saves its output
    act.ReLU(inplace=True)(y)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()


def test_gelu_bad_approximate():
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh', got 'fast'"):
        act.GELU("fast")


def test_activation_modules_have_no_parameters():
    for name in ["ReLU", "LeakyReLU", "ELU", "GELU", "Sigmoid", "Tanh", "Softplus"]:
        assert list(getattr(act, name)().parameters()) == []
