"""embedding_bag against torch: 2-D and offsets input, sum/mean/max, per_sample_weights,
include_last_offset, padding_idx, empty bags, ties, max_norm, scale_grad_by_freq; second
order by finite differences (torch has no double backward here); errors."""

import helpers
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import assert_close, host, on_device

import chainrule as cr
from chainrule.functions.embedding_bag import embedding_bag

IDX1 = np.array([1, 2, 2, 4, 0, 6, 1, 3, 6])
OFFSETS = [
    np.array([0, 3, 3, 5]),  # an empty bag in the middle
    np.array([0, 2, 4, 6, 8]),
    np.array([0, 9]),  # one bag at offset 0, then an empty last bag
    np.array([0], dtype=np.int32),  # int32 offsets
]


def _compare(idx, offsets=None, V=7, D=3, dtype="float64", seed=0, psw=False, **kw):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((V, D)).astype(dtype)
    Wc = cr.tensor(W.copy(), requires_grad=True, device=helpers.DEVICE)
    Wt = torch.tensor(W.copy(), requires_grad=True)
    args_c, args_t = [on_device(idx), Wc], [torch.from_numpy(idx), Wt]
    if offsets is not None:
        args_c.append(on_device(offsets))
        args_t.append(torch.from_numpy(offsets))
    if psw:
        w = rng.standard_normal(idx.shape).astype(dtype)
        pc = cr.tensor(w, requires_grad=True, device=helpers.DEVICE)
        pt = torch.tensor(w, requires_grad=True)
        kw = dict(kw, per_sample_weights=pc), dict(kw, per_sample_weights=pt)
    else:
        kw = kw, kw
    y = embedding_bag(*args_c, **kw[0])
    yt = F.embedding_bag(*args_t, **kw[1])
    assert y.dtype == Wc.dtype
    assert_close(y.data, yt, dtype, "forward")
    g = rng.standard_normal(tuple(yt.shape)).astype(dtype)
    y.backward(on_device(g))
    yt.backward(torch.from_numpy(g))
    assert_close(Wc.grad.data, Wt.grad, dtype, "grad of weight")
    assert_close(Wc.data, Wt, dtype, "weight after")
    if psw:
        assert_close(pc.grad.data, pt.grad, dtype, "grad of per_sample_weights")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("k", range(len(OFFSETS)))
def test_offsets_match_torch(mode, k, dtype):
    _compare(IDX1, OFFSETS[k], mode=mode, dtype=dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_2d_input_matches_torch(mode, dtype):
    idx = np.random.default_rng(1).integers(0, 7, (4, 5))
    _compare(idx, mode=mode, dtype=dtype)
    _compare(idx.astype(np.int32), mode=mode, dtype=dtype)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [2, -1, 1])
def test_padding_idx_is_left_out(mode, padding_idx):
    _compare(IDX1, OFFSETS[0], mode=mode, padding_idx=padding_idx)
    _compare(np.array([[2, 2, 6], [1, 6, 2]]), mode=mode, padding_idx=padding_idx)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_include_last_offset(mode):
    _compare(IDX1, np.array([0, 3, 3, 9]), mode=mode, include_last_offset=True)
    _compare(IDX1, np.array([0, 2, 5]), mode=mode, include_last_offset=True)  # trailing


def test_include_last_offset_with_one_offset_gives_no_bags():
    y = embedding_bag(cr.tensor(IDX1), cr.randn(7, 3), cr.tensor([0]), include_last_offset=True)
    assert y.shape == (0, 3)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_per_sample_weights(dtype):
    _compare(IDX1, OFFSETS[0], mode="sum", psw=True, dtype=dtype)
    _compare(np.array([[1, 3, 3], [0, 6, 5]]), mode="sum", psw=True, dtype=dtype)
    _compare(IDX1, OFFSETS[1], mode="sum", psw=True, padding_idx=6, dtype=dtype)


def test_max_ties_go_to_the_first():
    W = np.array([[1.0, 5.0], [1.0, 2.0], [0.0, 5.0], [1.0, 5.0]])
    idx = np.array([[1, 0, 3], [2, 3, 0]])
    Wc, Wt = cr.tensor(W, requires_grad=True), torch.tensor(W, requires_grad=True)
    embedding_bag(cr.tensor(idx), Wc, mode="max").sum().backward()
    F.embedding_bag(torch.from_numpy(idx), Wt, mode="max").sum().backward()
    np.testing.assert_array_equal(Wc.grad.data, Wt.grad.numpy())
    np.testing.assert_array_equal(Wc.grad.data, [[0, 1], [1, 0], [0, 1], [1, 0]])


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_empty_input_and_empty_bags(mode):
    _compare(np.zeros(0, dtype=np.int64), np.array([0, 0, 0]), mode=mode)
    _compare(np.zeros((0, 3), dtype=np.int64), mode=mode)
    # (2, 0): torch fails ("step must be nonzero"); two empty bags are zeros
    y = embedding_bag(cr.zeros(2, 0, dtype=cr.int64), cr.randn(7, 3), mode=mode)
    np.testing.assert_array_equal(y.data, np.zeros((2, 3)))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_max_norm_renormalises_like_torch(mode):
    _compare(IDX1, OFFSETS[0], mode=mode, max_norm=1.0)
    _compare(IDX1, OFFSETS[1], mode=mode, max_norm=0.5, norm_type=1.0)


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_scale_grad_by_freq_where_torch_counts_right(mode):
    # torch 2.13's CPU kernel is right when no index sorts after a more frequent one
    _compare(np.array([0, 0, 1, 1, 3, 3]), np.array([0, 3]), mode=mode, scale_grad_by_freq=True)
    _compare(np.array([[2, 1], [4, 5]]), mode=mode, scale_grad_by_freq=True)


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_scale_grad_by_freq_against_bagged_embedding(mode):
    """Mixed counts (pytorch#190063): the oracle is torch's embedding (right counts) with the
    bags summed by hand, which is the documented rule."""
    idx, bags = np.array([1, 1, 2, 1, 3, 0, 2]), [slice(0, 2), slice(2, 7)]
    rng = np.random.default_rng(4)
    W, g = rng.standard_normal((5, 3)), rng.standard_normal((2, 3))
    Wt = torch.tensor(W, requires_grad=True)
    E = F.embedding(torch.from_numpy(idx), Wt, padding_idx=3, scale_grad_by_freq=True)
    keep = torch.from_numpy(idx != 3)
    parts = [E[s][keep[s]] for s in bags]
    yt = torch.stack([e.sum(0) if mode == "sum" else e.mean(0) for e in parts])
    yt.backward(torch.from_numpy(g))
    Wc = cr.tensor(W, requires_grad=True)
    y = embedding_bag(
        cr.tensor(idx), Wc, cr.tensor([0, 2]), mode=mode, scale_grad_by_freq=True, padding_idx=3
    )
    assert_close(y.data, yt, what="forward")
    y.backward(cr.tensor(g))
    assert_close(Wc.grad.data, Wt.grad, what="grad of weight")


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_double_backward_by_finite_differences(mode):
    idx, off = cr.tensor([1, 2, 2, 0, 3, 1]), cr.tensor([0, 2, 2, 5])

    def fn(W):
        return embedding_bag(idx, W, off, mode=mode, padding_idx=3) ** 2

    W = cr.tensor(np.random.default_rng(5).standard_normal((4, 3)), requires_grad=True)
    assert cr.autograd.gradcheck(fn, [W])
    assert cr.autograd.gradgradcheck(fn, [W])


def test_per_sample_weights_double_backward_by_finite_differences():
    idx, off = cr.tensor([1, 2, 2, 0, 3]), cr.tensor([0, 2])

    def fn(W, w):
        return embedding_bag(idx, W, off, mode="sum", per_sample_weights=w) ** 2

    rng = np.random.default_rng(6)
    W = cr.tensor(rng.standard_normal((4, 2)), requires_grad=True)
    w = cr.tensor(rng.standard_normal(5), requires_grad=True)
    assert cr.autograd.gradcheck(fn, [W, w])
    assert cr.autograd.gradgradcheck(fn, [W, w])


def test_float32_stays_float32(device):
    W = cr.randn(5, 4, device=device)
    for mode in ("sum", "mean", "max"):
        y = embedding_bag(cr.tensor([[1, 2], [3, 3]], device=device), W, mode=mode)
        assert y.dtype == cr.float32 and host(y).dtype == np.float32


def _raises(exc, pat, *args, **kw):
    with pytest.raises(exc, match=pat):
        embedding_bag(*args, **kw)


def test_errors():
    W, i1, i2 = cr.zeros(7, 3), cr.tensor([1, 2, 3]), cr.tensor([[1, 2], [3, 4]])
    off = cr.tensor([0, 2])
    _raises(ValueError, r"embedding_bag: weight must be 2-D.*\(7,\)", i1, cr.zeros(7), off)
    _raises(TypeError, "weight must be floating point, got dtype int64", i1, cr.tensor([[1]]), off)
    _raises(ValueError, "mode has to be one of sum, mean or max, got 'min'", i1, W, off, mode="min")
    _raises(ValueError, r"input is 2-D, offsets has to be None.*\(2, 2\)", i2, W, off)
    _raises(ValueError, r"input has to be 1-D or 2-D, got shape \(1, 2, 2\)", i2[None], W)
    _raises(ValueError, "a 1-D input needs offsets", i1, W)
    _raises(ValueError, r"offsets has to be 1-D, got shape \(1, 2\)", i1, W, off[None])
    _raises(ValueError, "offsets is empty", i1, W, cr.tensor([], dtype=cr.int64))
    _raises(ValueError, r"offsets\[0\] has to be 0 .*got 1", i1, W, cr.tensor([1, 2]))
    _raises(ValueError, r"offsets\[-1\] .* length 3, got 4", i1, W, cr.tensor([0, 4]))
    _raises(
        ValueError,
        r"non-decreasing, got offsets\[1\] = 2 > offsets\[2\] = 1",
        i1,
        W,
        cr.tensor([0, 2, 1]),
    )
    _raises(TypeError, "offsets must hold integers.*float32", i1, W, cr.tensor([0.0]))
    _raises(TypeError, "input \\(indices\\) must hold integers.*float32", cr.tensor([1.0]), W, off)
    _raises(IndexError, "index 7 is out of range for num_embeddings=7", cr.tensor([1, 7]), W, off)
    _raises(IndexError, "index -1 is out of range", cr.tensor([1, -1]), W, off)
    _raises(ValueError, "padding_idx 7 must be within num_embeddings=7", i1, W, off, padding_idx=7)
    _raises(ValueError, "max mode does not support scaling", i1, W, off, mode="max",
            scale_grad_by_freq=True)  # fmt: skip
    _raises(NotImplementedError, "sparse=True", i1, W, off, sparse=True)
    psw = cr.ones(3)
    _raises(NotImplementedError, "only supported for mode='sum', got mode='mean'", i1, W, off,
            per_sample_weights=psw)  # fmt: skip
    _raises(ValueError, r"per_sample_weights must have the input's shape, got \(2,\) and \(3,\)",
            i1, W, off, mode="sum", per_sample_weights=cr.ones(2))  # fmt: skip
    _raises(TypeError, "per_sample_weights must have weight's dtype float32, got float64", i1, W,
            off, mode="sum", per_sample_weights=cr.ones(3, dtype=cr.float64))  # fmt: skip
