"""Embedding against torch's: lookups and gradients (repeats, padding), default init,
from_pretrained, options, errors, repr."""

import math

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.nn.sparse import Embedding

from .twin import check_twin

IDX = np.array([[1, 3, 3], [0, 9, 3]])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    "kw",
    [{}, {"padding_idx": 3}, {"padding_idx": -1}, {"scale_grad_by_freq": True}, {"max_norm": 1.0}],
)
def test_matches_torch(kw, dtype):
    check_twin(Embedding(10, 4, **kw), torch.nn.Embedding(10, 4, **kw), IDX, dtype=dtype)


def test_padding_row_zero_and_gets_no_gradient():
    m = Embedding(10, 4, padding_idx=3)
    np.testing.assert_array_equal(m.weight.data[3], 0)
    assert m.weight.data[[0, 1, 2, 4]].any()
    m(cr.tensor(IDX)).sum().backward()
    np.testing.assert_array_equal(m.weight.grad.data[3], 0)
    np.testing.assert_array_equal(m.weight.grad.data[1], 1)
    assert m.padding_idx == 3 and Embedding(10, 4, padding_idx=-2).padding_idx == 8


def test_default_init_is_standard_normal():
    cr.manual_seed(0)
    w = Embedding(1000, 200).weight.data.astype(np.float64)
    n = w.size
    assert abs(w.mean()) < 5 / math.sqrt(n)
    assert abs(w.var() - 1) < 5 * math.sqrt(2 / n)


def test_from_pretrained():
    table = cr.tensor(np.arange(12.0).reshape(4, 3))
    m = Embedding.from_pretrained(table)
    assert not m.weight.requires_grad
    np.testing.assert_array_equal(m(cr.tensor([2, 0])).data, [[6, 7, 8], [0, 1, 2]])
    trainable = Embedding.from_pretrained(table, freeze=False, padding_idx=1)
    assert trainable.weight.requires_grad and trainable.padding_idx == 1
    np.testing.assert_array_equal(trainable.weight.data[1], [3, 4, 5])  # not zeroed, as torch
    trainable(cr.tensor([1, 2])).sum().backward()
    np.testing.assert_array_equal(trainable.weight.grad.data, [[0] * 3, [0] * 3, [1] * 3, [0] * 3])
    with pytest.raises(ValueError, match=r"2-D, got shape \(3,\)"):
        Embedding.from_pretrained(cr.zeros(3))


def test_repr_matches_torch():
    for kw in [
        {},
        {"padding_idx": 2},
        {"max_norm": 1.5, "norm_type": 1.0},
        {"scale_grad_by_freq": True},
    ]:
        assert repr(Embedding(10, 3, **kw)) == repr(torch.nn.Embedding(10, 3, **kw))


def test_errors():
    m = Embedding(10, 3)
    with pytest.raises(IndexError, match="index 10 is out of range for num_embeddings=10"):
        m(cr.tensor([1, 10]))
    with pytest.raises(TypeError, match="indices must be integers"):
        m(cr.tensor([1.0]))
    with pytest.raises(ValueError, match="padding_idx 10 must be within num_embeddings=10"):
        Embedding(10, 3, padding_idx=10)
    with pytest.raises(ValueError, match=r"_weight shape \(2, 3\) does not match"):
        Embedding(10, 3, _weight=cr.zeros(2, 3))


def test_state_dict_round_trip_into_torch():
    ours = Embedding(6, 2, padding_idx=0)
    theirs = torch.nn.Embedding(6, 2, padding_idx=0)
    theirs.load_state_dict({k: torch.from_numpy(v.data) for k, v in ours.state_dict().items()})
    idx = np.array([0, 5, 2])
    np.testing.assert_array_equal(
        ours(cr.tensor(idx)).data, theirs(torch.from_numpy(idx)).detach().numpy()
    )
