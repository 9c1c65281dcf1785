"""Sequential, ModuleList, ModuleDict, Identity, Flatten, Unflatten: against torch twins."""

from collections import OrderedDict

import numpy as np
import pytest
import torch
from helpers import assert_close

import chainrule as cr
from chainrule.nn.activation import ReLU, Tanh
from chainrule.nn.container import (
    Flatten,
    Identity,
    ModuleDict,
    ModuleList,
    Sequential,
    Unflatten,
)
from chainrule.nn.linear import Linear

from .twin import check_twin


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sequential_matches_torch(dtype):
    ours = Sequential(Linear(3, 8), ReLU(), Linear(8, 2), Tanh())
    theirs = torch.nn.Sequential(
        torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2), torch.nn.Tanh()
    )
    check_twin(ours, theirs, (5, 3), dtype=dtype)


def test_sequential_indexing_and_editing():
    a, b, c = Linear(1, 1), ReLU(), Linear(1, 1)
    s = Sequential(a, b, c)
    assert len(s) == 3 and s[0] is a and s[-1] is c and list(s) == [a, b, c]
    assert list(s[1:]) == [b, c] and isinstance(s[1:], Sequential)
    with pytest.raises(IndexError, match="index 3 is out of range for length 3"):
        s[3]
    d = Tanh()
    s[1] = d
    assert s[1] is d
    s.append(b)
    assert len(s) == 4 and s[3] is b
    del s[0]
    assert list(s._modules) == ["0", "1", "2"] and s[0] is d
    s.insert(0, a)
    assert list(s) == [a, d, c, b]
    assert s.pop(1) is d and list(s) == [a, c, b]
    s.extend([Identity()])
    assert len(s) == 4


def test_sequential_names_from_ordered_dict():
    s = Sequential(OrderedDict(inp=Linear(2, 3), act=ReLU()))
    assert [n for n, _ in s.named_parameters()] == ["inp.weight", "inp.bias"]
    assert s.inp is s[0]


def test_module_list():
    layers = ModuleList([Linear(2, 2) for _ in range(3)])
    tl = torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(3)])
    assert [n for n, _ in layers.named_parameters()] == [n for n, _ in tl.named_parameters()]
    assert len(layers) == 3 and layers[-1] is list(layers)[2]
    layers.append(ReLU())
    layers.extend([Tanh()])
    layers += [Identity()]
    assert len(layers) == 6
    first = layers[0]
    del layers[0]
    assert len(layers) == 5 and first not in list(layers)
    assert list(layers._modules) == [str(i) for i in range(5)]
    layers.insert(1, first)
    assert layers[1] is first
    assert layers.pop() is not None and len(layers) == 5
    assert isinstance(layers[1:3], ModuleList) and len(layers[1:3]) == 2
    with pytest.raises(IndexError, match="index -9 is out of range for length 5"):
        layers[-9]
    assert repr(ModuleList([Linear(1, 2)])) == repr(torch.nn.ModuleList([torch.nn.Linear(1, 2)]))


def test_module_dict():
    d = ModuleDict({"a": Linear(1, 2), "b": ReLU()})
    assert "a" in d and len(d) == 2 and list(d) == ["a", "b"]
    assert list(d.keys()) == ["a", "b"] and isinstance(d["a"], Linear)
    d.update({"c": Tanh()})
    assert [n for n, _ in d.named_parameters()] == ["a.weight", "a.bias"]
    assert isinstance(d.pop("a"), Linear) and "a" not in d
    assert list(dict(d.named_parameters())) == []
    with pytest.raises(TypeError, match="keys must be strings"):
        d[1] = ReLU()
    d.clear()
    assert len(d) == 0


@pytest.mark.parametrize("start, end", [(1, -1), (0, -1), (1, 2), (-2, -1)])
def test_flatten_matches_torch(start, end):
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    check_twin(Flatten(start, end), torch.nn.Flatten(start, end), x)
    assert repr(Flatten(start, end)) == repr(torch.nn.Flatten(start, end))


@pytest.mark.parametrize("dim, size", [(1, (3, 4)), (-1, (2, 2, 1))])
def test_unflatten_matches_torch(dim, size):
    x = np.random.default_rng(0).standard_normal((2, 12, 4) if dim == 1 else (2, 3, 4))
    check_twin(Unflatten(dim, size), torch.nn.Unflatten(dim, size), x)
    assert repr(Unflatten(dim, size)) == repr(torch.nn.Unflatten(dim, size))


def test_identity():
    x = cr.randn(2)
    assert_close(Identity()(x).data, x.data)
