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
    ("SiLU", (), {}),
    ("SiLU", (), {"inplace": True}),
    ("Mish", (), {}),
    ("Mish", (True,), {}),
    ("Hardswish", (), {}),
    ("Hardswish", (), {"inplace": True}),
    ("Hardsigmoid", (), {}),
    ("Hardsigmoid", (), {"inplace": True}),
    ("Hardtanh", (), {}),
    ("Hardtanh", (-2, 3), {"inplace": True}),
    ("Hardtanh", (-0.5, 0.25), {}),
    ("ReLU6", (), {}),
    ("ReLU6", (True,), {}),
    ("SELU", (), {}),
    ("SELU", (), {"inplace": True}),
    ("CELU", (), {}),
    ("CELU", (0.5,), {"inplace": True}),
    ("Softsign", (), {}),
    ("LogSigmoid", (), {}),
    ("Softshrink", (), {}),
    ("Softshrink", (1.0,), {}),
    ("Hardshrink", (), {}),
    ("Hardshrink", (0.25,), {}),
    ("Tanhshrink", (), {}),
    ("Threshold", (0.1, 20.0), {}),
    ("Threshold", (-0.2, -1), {"inplace": True}),
    ("GLU", (), {}),
    ("GLU", (0,), {}),
    ("PReLU", (), {}),
    ("PReLU", (5,), {}),
    ("PReLU", (), {"init": -0.5}),
    ("RReLU", (), {}),
    ("RReLU", (0.1, 0.4), {"inplace": True}),
    ("Softmin", (), {"dim": 1}),
    ("Softmin", (0,), {}),
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
    if name == "Hardsigmoid" and dtype == "float64":
        # torch's float64 hardsigmoid rounds 1/6 to float32; its forward formula is exact
        theirs = _TorchHardsigmoid()
    ours.eval(), theirs.eval()  # RReLU: the mean slope (training is tested below)
    # the inplace variants may not write into a leaf: feed them x * 1, in both libraries
    shape = (4, 6) if name == "GLU" else (4, 5)  # GLU halves the last dim
    if getattr(ours, "inplace", False):
        ours_fn, theirs_fn = _Scaled(ours), _TorchScaled(theirs)
        check_twin(ours_fn, theirs_fn, shape, dtype=dtype)
    else:
        check_twin(ours, theirs, shape, dtype=dtype)


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


class _TorchHardsigmoid(torch.nn.Module):
    def forward(self, x):
        return torch.nn.functional.hardtanh(x + 3, 0.0, 6.0) / 6


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
    for name in ["SiLU", "Mish", "Hardswish", "Hardsigmoid", "Hardtanh", "ReLU6", "SELU"]:
        assert list(getattr(act, name)().parameters()) == []
    for name in ["CELU", "Softsign", "LogSigmoid", "Softshrink", "Hardshrink", "Tanhshrink"]:
        assert list(getattr(act, name)().parameters()) == []
    for m in [act.GLU(), act.RReLU(), act.Softmin(1), act.Softmax2d(), act.Threshold(0.1, 2)]:
        assert list(m.parameters()) == []


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    "shape, n", [((4, 5), 5), ((2, 3, 6), 3), ((2, 3, 4, 5), 3), ((7,), 1), ((), 1)], ids=str
)
def test_prelu_per_channel_matches_torch(shape, n, dtype):
    """A slope per channel (dim 1), drawn at random so each channel differs, loaded into both;
    the weight's gradient sums over all but the channel dim."""
    theirs = torch.nn.PReLU(n)
    with torch.no_grad():
        theirs.weight.copy_(torch.linspace(-0.5, 1.5, n))
    x = np.random.default_rng(2).standard_normal(shape).astype(dtype)
    check_twin(act.PReLU(n), theirs, x, dtype=dtype)


def test_prelu_parameter_and_options():
    m, t = act.PReLU(3, init=0.1, dtype=cr.float64), torch.nn.PReLU(3, init=0.1)
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    assert m.weight.shape == (3,) and m.weight.dtype == cr.float64 and m.weight.requires_grad
    np.testing.assert_allclose(m.weight.data, t.weight.detach().numpy(), rtol=1e-7)
    assert act.PReLU().weight.dtype == cr.float32
    with pytest.raises(ValueError, match=r"prelu: weight has 3 parameters"):
        m(cr.ones(2, 4, dtype=cr.float64))


def test_prelu_learns_its_slope():
    """One SGD step moves the slope against the gradient Σ x·g over x ≤ 0 (a closed form)."""
    m = act.PReLU()
    x = cr.tensor([[-2.0, 1.0, -0.5]])
    m(x).sum().backward()
    np.testing.assert_allclose(m.weight.grad.numpy(), [-2.5])
    cr.optim.SGD(m.parameters(), lr=0.1).step()
    np.testing.assert_allclose(m.weight.detach().numpy(), [0.5])


def test_rrelu_module_training_and_eval():
    m = act.RReLU(0.1, 0.3)
    x = cr.tensor(-np.ones((100, 100)))
    cr.manual_seed(0)
    y = m(x).numpy()  # training: slopes drawn in [0.1, 0.3]
    assert -0.3 <= y.min() and y.max() <= -0.1 and abs(y.mean() + 0.2) < 0.002
    assert len(np.unique(y)) > 1000
    m.eval()
    np.testing.assert_allclose(m(x).numpy(), -0.2)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", [(3, 4, 5), (2, 3, 4, 5), (2, 1, 3, 3), (2, 0, 3, 3)], ids=str)
def test_softmax2d(shape, dtype):
    check_twin(act.Softmax2d(), torch.nn.Softmax2d(), shape, dtype=dtype)
    assert repr(act.Softmax2d()) == "Softmax2d()"


def test_softmax2d_rejects_other_ranks():
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D"):
        act.Softmax2d()(cr.ones(2, 3))


@pytest.mark.parametrize("shape", [(5,), (2, 3), (2, 3, 4)])
def test_softmin_implicit_dim_matches_torch(shape):
    x = np.random.default_rng(0).standard_normal(shape)
    with pytest.warns(UserWarning):
        ref = torch.nn.Softmin()(torch.from_numpy(x))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        y = act.Softmin()(cr.tensor(x))
    assert_close(y.data, ref)


def test_hardtanh_bounds_must_be_ordered():
    with pytest.raises(ValueError, match=r"Hardtanh: max_val \(1\) must be greater than min_val"):
        act.Hardtanh(1, 1)


@pytest.mark.parametrize(
    "name, args",
    [("SiLU", ()), ("Hardswish", ()), ("Hardtanh", (-0.5, 0.5)), ("ReLU6", ()), ("SELU", ())]
    + [("CELU", (0.5,)), ("Threshold", (0.1, -2.0)), ("Mish", ()), ("Hardsigmoid", ())],
)
def test_new_inplace_modules_write_into_input(name, args):
    x = np.random.default_rng(1).uniform(-4, 7, (3, 4))
    ours = cr.tensor(x.copy())
    y = getattr(act, name)(*args, inplace=True)(ours)
    ref = getattr(torch.nn, name)(*args)(torch.from_numpy(x))
    assert y is ours
    assert_close(ours.data, ref, "float32" if name == "Hardsigmoid" else "float64")
