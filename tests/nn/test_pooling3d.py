"""The 3-d pooling layers and the fractional max pools against their torch twins: values,
input gradients, indices, repr, the samples buffer, and the constructor's errors."""

import numpy as np
import pytest
import torch
from helpers import on_device

import chainrule as cr
from chainrule.nn import pooling3d as P

from .twin import check_twin

DTYPES = ["float64", "float32"]
U2 = np.random.default_rng(0).random((2, 3, 2))
U3 = np.random.default_rng(1).random((2, 3, 3))

LAYERS = [
    ("MaxPool3d", (2,), {}, (2, 3, 4, 6, 5)),
    ("MaxPool3d", (3, 2, 1), dict(dilation=1, ceil_mode=True), (2, 3, 5, 6, 5)),
    ("MaxPool3d", ((1, 2, 3),), dict(stride=1, dilation=(2, 1, 1)), (3, 5, 4, 6)),  # unbatched
    ("AvgPool3d", (2,), {}, (2, 3, 4, 6, 5)),
    ("AvgPool3d", (3, 2, 1), dict(ceil_mode=True, count_include_pad=False), (2, 3, 5, 6, 5)),
    ("AvgPool3d", (2,), dict(divisor_override=3), (3, 4, 4, 5)),
    ("AdaptiveAvgPool3d", ((2, None, 3),), {}, (2, 3, 5, 6, 5)),
    ("AdaptiveAvgPool3d", (1,), {}, (3, 4, 4, 5)),
    ("AdaptiveMaxPool3d", ((3, 2, 4),), {}, (2, 3, 5, 6, 5)),
    ("LPPool3d", (2, 2), {}, (2, 3, 4, 6, 5)),
    ("LPPool3d", (1.5, (2, 3, 2)), dict(stride=1, ceil_mode=True), (2, 3, 4, 6, 5)),
]


def _pair(name, args, kw, dtype="float64"):
    return getattr(P, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, args, kw, shape", LAYERS)
def test_pool3d_layers_match_torch(name, args, kw, shape, dtype):
    ours, theirs = _pair(name, args, kw)
    x = np.random.default_rng(2).uniform(0.1, 2.0, size=shape).astype(dtype)  # > 0 for LPPool
    check_twin(ours, theirs, x, dtype=dtype)


@pytest.mark.parametrize("name, args, kw, shape", LAYERS)
def test_repr_like_torch(name, args, kw, shape):
    ours, theirs = _pair(name, args, kw)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize(
    "name, args", [("MaxPool3d", (3, 2, 1)), ("AdaptiveMaxPool3d", ((2, 3, 2),))]
)
def test_return_indices(name, args):
    x = np.random.default_rng(3).integers(0, 2, size=(2, 3, 5, 6, 5)).astype(np.float64)
    ours, theirs = _pair(name, args, dict(return_indices=True))
    y, i = ours(cr.tensor(x))
    yt, it = theirs(torch.tensor(x))
    np.testing.assert_array_equal(y.numpy(), yt.numpy())
    np.testing.assert_array_equal(i.numpy(), it.numpy())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("args", [(2,), ((1, 2, 3), (1, 2, 2), (0, 1, 1))])
def test_max_unpool3d_layer_matches_torch(args, dtype):
    x = np.random.default_rng(4).standard_normal((2, 3, 4, 6, 5)).astype(dtype)
    y, i = torch.nn.MaxPool3d(*args, return_indices=True)(torch.tensor(x))
    ours, theirs = P.MaxUnpool3d(*args), torch.nn.MaxUnpool3d(*args)
    assert repr(ours) == repr(theirs)
    ut = theirs(y, i, output_size=x.shape)
    u = ours(cr.tensor(y.numpy()), cr.tensor(i.numpy()), output_size=x.shape)
    np.testing.assert_array_equal(u.numpy(), ut.numpy())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "name, kw, u, shape",
    [
        ("FractionalMaxPool2d", dict(output_size=(5, 4)), U2, (2, 3, 9, 8)),
        ("FractionalMaxPool2d", dict(output_ratio=0.5), U2[:1], (3, 9, 8)),  # unbatched
        ("FractionalMaxPool3d", dict(output_size=(4, 3, 3)), U3, (2, 3, 7, 6, 5)),
        ("FractionalMaxPool3d", dict(output_ratio=(0.5, 0.6, 0.7)), U3, (2, 3, 7, 6, 5)),
    ],
)
def test_fractional_layers_match_torch_with_given_samples(name, kw, u, shape, dtype):
    u = u.astype(dtype)
    ours = getattr(P, name)(2, _random_samples=cr.tensor(u), **kw)
    theirs = getattr(torch.nn, name)(2, _random_samples=torch.tensor(u), **kw)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["_random_samples"]
    check_twin(ours, theirs, shape, dtype=dtype)
    x = np.random.default_rng(5).integers(0, 2, size=shape).astype(dtype)
    ours.return_indices = theirs.return_indices = True
    _, i = ours(on_device(x))
    _, it = theirs(torch.tensor(x))
    np.testing.assert_array_equal(i.numpy(), it.numpy())


def test_fractional_layer_without_samples_draws_each_call():
    pool = P.FractionalMaxPool2d(2, output_size=6)
    assert list(pool.state_dict()) == [] and repr(pool) == "FractionalMaxPool2d()"
    x = cr.tensor(np.random.default_rng(6).standard_normal((4, 8, 16, 16)))
    a, b = pool(x), pool(x)
    assert a.shape == b.shape == (4, 8, 6, 6)
    assert not np.array_equal(a.numpy(), b.numpy())  # 32 planes: new windows somewhere


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: P.FractionalMaxPool2d(2), r"FractionalMaxPool2d: give exactly one of"),
        (
            lambda: P.FractionalMaxPool3d(2, output_size=2, output_ratio=0.5),
            r"FractionalMaxPool3d: give exactly one of output_size and output_ratio",
        ),
        (
            lambda: P.FractionalMaxPool2d(2, output_ratio=(0.5, 1.0)),
            r"FractionalMaxPool2d: output_ratio must be between 0 and 1, got \(0.5, 1.0\)",
        ),
        (
            lambda: P.FractionalMaxPool3d((2, 0, 2), output_size=2),
            r"FractionalMaxPool3d: kernel_size must be greater than 0, got \(2, 0, 2\)",
        ),
    ],
)
def test_fractional_constructor_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_relu_then_max_pool3d_in_sequential_matches_torch():
    """nn.Sequential may run a MaxPool3d before the ReLU before it (they commute)."""
    from chainrule.nn.activation import ReLU

    ours = cr.nn.Sequential(ReLU(), P.MaxPool3d(2, 1, 1))
    theirs = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.MaxPool3d(2, 1, 1))
    check_twin(ours, theirs, (2, 3, 4, 5, 4))
