"""Embedding against torch's: lookups and gradients (repeats, padding), default init,
from_pretrained, options, errors, repr."""

import math

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.nn.sparse import Embedding, EmbeddingBag

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


# ------------------------------------------------------------------ EmbeddingBag
BAG_IDX = np.array([1, 3, 3, 0, 9, 3, 2])
BAG_OFF = np.array([0, 2, 2, 5])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize(
    "kw", [{}, {"padding_idx": 3}, {"padding_idx": -1}, {"max_norm": 1.0}, {"norm_type": 1.0}]
)
def test_embedding_bag_matches_torch(kw, mode, dtype):
    ours = EmbeddingBag(10, 4, mode=mode, **kw)
    theirs = torch.nn.EmbeddingBag(10, 4, mode=mode, **kw)
    check_twin(ours, theirs, BAG_IDX, BAG_OFF, dtype=dtype)
    check_twin(ours, theirs, IDX, dtype=dtype)  # 2-D: a bag per row


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_include_last_offset(mode):
    ours = EmbeddingBag(10, 4, mode=mode, include_last_offset=True)
    theirs = torch.nn.EmbeddingBag(10, 4, mode=mode, include_last_offset=True)
    check_twin(ours, theirs, BAG_IDX, np.array([0, 2, 2, 7]))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_embedding_bag_per_sample_weights(dtype):
    psw = np.random.default_rng(0).standard_normal(BAG_IDX.shape).astype(dtype)
    ours, theirs = EmbeddingBag(10, 3, mode="sum"), torch.nn.EmbeddingBag(10, 3, mode="sum")
    check_twin(ours, theirs, BAG_IDX, BAG_OFF, psw, dtype=dtype)  # psw's gradient too


def test_embedding_bag_init_and_padding_row():
    cr.manual_seed(0)
    w = EmbeddingBag(1000, 100).weight.data.astype(np.float64)
    assert abs(w.mean()) < 5 / math.sqrt(w.size)
    assert abs(w.var() - 1) < 5 * math.sqrt(2 / w.size)
    m = EmbeddingBag(10, 4, padding_idx=-2)
    assert m.padding_idx == 8 and m.weight.dtype == cr.float32
    np.testing.assert_array_equal(m.weight.data[8], 0)
    assert m.weight.data[[0, 1, 9]].all()
    assert EmbeddingBag(4, 2, dtype=cr.float64).weight.dtype == cr.float64


def test_embedding_bag_from_pretrained():
    table = cr.tensor(np.arange(12.0).reshape(4, 3))
    m = EmbeddingBag.from_pretrained(table)
    assert not m.weight.requires_grad and m.mode == "mean"
    np.testing.assert_array_equal(m(cr.tensor([[2, 0]])).data, [[3, 4, 5]])
    t = EmbeddingBag.from_pretrained(table, freeze=False, mode="sum", padding_idx=1)
    assert t.weight.requires_grad and t.padding_idx == 1
    np.testing.assert_array_equal(t.weight.data[1], [3, 4, 5])  # not zeroed, as torch
    y = t(cr.tensor([1, 2, 2, 3]), cr.tensor([0, 2]))
    np.testing.assert_array_equal(y.data, [[6, 7, 8], [15, 17, 19]])
    y.sum().backward()
    np.testing.assert_array_equal(t.weight.grad.data, [[0] * 3, [0] * 3, [2] * 3, [1] * 3])
    with pytest.raises(ValueError, match=r"EmbeddingBag.from_pretrained: .*2-D, got shape \(3,\)"):
        EmbeddingBag.from_pretrained(cr.zeros(3))


def test_embedding_bag_repr_matches_torch():
    for kw in [
        {},
        {"mode": "max", "padding_idx": 2},
        {"max_norm": 1.5, "norm_type": 1.0, "mode": "sum"},
        {"scale_grad_by_freq": True, "include_last_offset": True},
    ]:
        assert repr(EmbeddingBag(10, 3, **kw)) == repr(torch.nn.EmbeddingBag(10, 3, **kw))


def test_embedding_bag_errors():
    with pytest.raises(ValueError, match="EmbeddingBag: mode has to be one of sum, mean or max"):
        EmbeddingBag(10, 3, mode="min")
    with pytest.raises(ValueError, match="padding_idx 10 must be within num_embeddings=10"):
        EmbeddingBag(10, 3, padding_idx=10)
    with pytest.raises(ValueError, match=r"_weight shape \(2, 3\) does not match"):
        EmbeddingBag(10, 3, _weight=cr.zeros(2, 3))
    with pytest.raises(ValueError, match="a 1-D input needs offsets"):
        EmbeddingBag(10, 3)(cr.tensor([1, 2]))
    with pytest.raises(IndexError, match="embedding_bag: index 10 is out of range"):
        EmbeddingBag(10, 3)(cr.tensor([[1, 10]]))


def test_embedding_bag_state_dict_into_torch():
    ours = EmbeddingBag(6, 2, mode="max")
    theirs = torch.nn.EmbeddingBag(6, 2, mode="max")
    theirs.load_state_dict({k: torch.from_numpy(v.data) for k, v in ours.state_dict().items()})
    idx = np.array([[0, 5, 2], [1, 1, 4]])
    np.testing.assert_array_equal(
        ours(cr.tensor(idx)).data, theirs(torch.from_numpy(idx)).detach().numpy()
    )
