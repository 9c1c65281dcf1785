"""The padding layers against their torch twins: values, input gradients and repr."""

import pytest
import torch

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
