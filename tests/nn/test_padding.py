"""The padding layers against their torch twins: values, input gradients and repr."""

import numpy as np
import pytest
import torch
from helpers import check_against_torch

import chainrule as cr
from chainrule.nn import padding as P

from .twin import check_twin

LAYERS = [
    ("ZeroPad1d", (2,), (2, 3, 5)),
    ("ZeroPad2d", ((1, 0, 2, 3),), (2, 3, 4, 5)),
    ("ConstantPad1d", ((1, 2), -0.5), (3, 5)),
    ("ConstantPad2d", (1, 2.5), (2, 3, 4, 5)),
    ("ReflectionPad1d", ((3, 1),), (2, 3, 5)),
    ("ReflectionPad2d", (2,), (3, 4, 5)),
    ("ReplicationPad1d", (4,), (2, 3, 2)),
    ("ReplicationPad2d", ((1, 0, 2, 3),), (2, 3, 4, 5)),
    ("CircularPad1d", ((1, 2),), (2, 3, 5)),
    ("CircularPad2d", (2,), (2, 3, 4, 5)),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name, args, shape", LAYERS)
def test_padding_layers_match_torch(name, args, shape, dtype):
    check_twin(getattr(P, name)(*args), getattr(torch.nn, name)(*args), shape, dtype=dtype)


@pytest.mark.parametrize("name, args, shape", LAYERS)
def test_repr_like_torch(name, args, shape):
    assert repr(getattr(P, name)(*args)) == repr(getattr(torch.nn, name)(*args))


def test_bad_padding_raises():
    with pytest.raises(ValueError, match=r"ReflectionPad2d: padding must be an int or 4 ints"):
        P.ReflectionPad2d((1, 2))


LAYERS_3D = [
    ("ZeroPad3d", ((1, 0, 2, 1, 0, 2),), (2, 2, 3, 4, 3)),
    ("ZeroPad3d", (1,), (2, 3, 2, 2)),
    ("ConstantPad3d", (1, 2.5), (2, 2, 3, 2, 3)),
    ("ConstantPad3d", ((0, 2, 1, 0, 2, 1), -1.0), (2, 3, 2, 3)),
    ("ReflectionPad3d", (1,), (2, 2, 3, 4, 3)),
    ("ReflectionPad3d", ((2, 1, 0, 1, 1, 2),), (2, 3, 4, 3)),  # unbatched
    ("ReplicationPad3d", ((3, 0, 1, 2, 2, 1),), (2, 2, 2, 3, 2)),
    ("ReplicationPad3d", (2,), (2, 1, 2, 3)),
    ("CircularPad3d", ((1, 2, 0, 1, 2, 0),), (2, 2, 3, 4, 3)),
    ("CircularPad3d", (1,), (2, 2, 3, 2)),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name, args, shape", LAYERS_3D)
def test_padding_3d_layers_match_torch(name, args, shape, dtype):
    check_twin(getattr(P, name)(*args), getattr(torch.nn, name)(*args), shape, dtype=dtype)


@pytest.mark.parametrize("name, args, shape", LAYERS_3D)
def test_repr_3d_like_torch(name, args, shape):
    assert repr(getattr(P, name)(*args)) == repr(getattr(torch.nn, name)(*args))


@pytest.mark.parametrize("name, args, shape", LAYERS_3D)
def test_padding_3d_second_order_matches_torch(name, args, shape):
    """(pad)² makes the gradient depend on x: the pad's backward is differentiated too."""
    ours, theirs = getattr(P, name)(*args), getattr(torch.nn, name)(*args)
    check_against_torch(lambda x: ours(x) ** 2, shape, torch_fn=lambda x: theirs(x) ** 2)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: P.ReflectionPad3d((1, 2, 3, 4)), r"ReflectionPad3d: padding must be an int or 6"),
        (lambda: P.ZeroPad3d((1,) * 7), r"ZeroPad3d: padding must be an int or 6 ints"),
        (lambda: P.CircularPad3d((1.0,) * 6), r"CircularPad3d: padding must be an int or 6"),
    ],
)
def test_bad_3d_padding_raises(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_reflection_pad_3d_wider_than_the_input_raises():
    with pytest.raises(ValueError, match=r"reflect padding must be less than the input size"):
        P.ReflectionPad3d(2)(cr.tensor(np.zeros((1, 1, 2, 3, 3))))
