"""embedding against torch: repeated indices (scatter-add), padding_idx, scale_grad_by_freq,
max_norm, double backward, and index validation."""

import helpers
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import assert_close, host, on_device

import chainrule as cr
from chainrule import backend
from chainrule.functions.embedding import embedding, one_hot


def _compare(idx, V, D, dtype="float64", seed=0, **kw):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((V, D)).astype(dtype)
    Wc = cr.tensor(W.copy(), requires_grad=True, device=helpers.DEVICE)
    Wt = torch.tensor(W.copy(), requires_grad=True)
    y = embedding(on_device(idx), Wc, **kw)
    yt = F.embedding(torch.from_numpy(idx), Wt, **kw)
    assert_close(y.data, yt, dtype, "forward")
    g = rng.standard_normal(yt.shape).astype(dtype)
    y.backward(on_device(g))
    yt.backward(torch.from_numpy(g))
    assert_close(Wc.grad.data, Wt.grad, dtype, "grad of weight")
    assert_close(Wc.data, Wt, dtype, "weight after")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    "idx, V",
    [
        (np.array([0, 2, 2, 5, 0, 2]), 6),  # repeats, dense path
        (np.array([[1, 3], [3, 3], [999, 1]]), 1000),  # few rows of many: add.at path
        (np.random.default_rng(0).integers(0, 7, (8, 9, 5)), 7),  # many repeats, 3-D indices
        (np.array(4), 6),  # a single index
        (np.zeros((0, 3), dtype=np.int64), 5),  # empty batch
    ],
)
def test_matches_torch(idx, V, dtype):
    _compare(idx, V, 4, dtype)


@pytest.mark.parametrize("padding_idx", [0, 3, -1])
def test_padding_idx_gets_no_gradient(padding_idx):
    _compare(np.array([[0, 3, 5], [3, 3, 1]]), 6, 3, padding_idx=padding_idx)


def test_scale_grad_by_freq():
    _compare(np.array([0, 2, 2, 5, 2, 1]), 6, 3, scale_grad_by_freq=True)
    _compare(np.array([0, 2, 2, 5, 2, 1]), 6, 3, scale_grad_by_freq=True, padding_idx=2)


@pytest.mark.parametrize("norm_type", [2.0, 1.0])
def test_max_norm_renormalises_like_torch(norm_type):
    _compare(np.array([0, 2, 2, 4]), 6, 5, max_norm=1.0, norm_type=norm_type)


def test_int32_indices():
    _compare(np.array([1, 0, 1], dtype=np.int32), 3, 2)


def test_double_backward_gradcheck():
    idx = cr.tensor([[0, 2], [2, 2]])

    def fn(W):
        return embedding(idx, W) ** 2

    W = cr.randn(4, 3, dtype=cr.float64, requires_grad=True)
    assert cr.autograd.gradcheck(fn, [W])
    assert cr.autograd.gradgradcheck(fn, [W])


def test_double_backward_with_padding_matches_torch():
    """padding_idx makes the gradient deliberately not the derivative, so finite differences
    can't check it: torch is the oracle."""
    kw = dict(padding_idx=0)
    idx = np.array([[0, 2], [2, 2], [1, 0]])
    rng = np.random.default_rng(2)
    W, v = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    Wc = cr.tensor(W, requires_grad=True, device=helpers.DEVICE)
    Wt = torch.tensor(W, requires_grad=True)
    (gc,) = cr.grad((embedding(on_device(idx), Wc, **kw) ** 3).sum(), [Wc], create_graph=True)
    (gt,) = torch.autograd.grad(
        (F.embedding(torch.from_numpy(idx), Wt, **kw) ** 3).sum(), [Wt], create_graph=True
    )
    assert_close(gc.data, gt, what="first grad")
    (gc * on_device(v)).sum().backward()
    (gt * torch.from_numpy(v)).sum().backward()
    assert_close(Wc.grad.data, Wt.grad, what="second-order grad")


def test_double_backward_scale_grad_by_freq_by_finite_differences():
    """With scale_grad_by_freq the first gradient is G(W) = (1/count) · scatter(3 W[idx]²).
    Its derivative is checked against finite differences of G itself (torch's double
    backward ignores the frequency scaling, so it is no oracle here)."""
    idx = cr.tensor([[0, 2], [2, 2], [1, 0]])
    rng = np.random.default_rng(3)
    W, v = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))

    def h(w):  # <G(w), v> from a plain first-order backward
        t = cr.tensor(w, requires_grad=True)
        (embedding(idx, t, scale_grad_by_freq=True) ** 3).sum().backward()
        return float((t.grad.data * v).sum())

    Wc = cr.tensor(W, requires_grad=True)
    loss = (embedding(idx, Wc, scale_grad_by_freq=True) ** 3).sum()
    (gc,) = cr.grad(loss, [Wc], create_graph=True)
    (gc * cr.tensor(v)).sum().backward()
    eps, num = 1e-6, np.zeros_like(W)
    for k in np.ndindex(W.shape):
        d = np.zeros_like(W)
        d[k] = eps
        num[k] = (h(W + d) - h(W - d)) / (2 * eps)
    np.testing.assert_allclose(Wc.grad.data, num, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("bad", [7, -1])
def test_out_of_range_index_names_index_and_size(bad):
    with pytest.raises(IndexError, match=f"index {bad} is out of range for num_embeddings=7"):
        embedding(cr.tensor([0, bad, 3]), cr.zeros(7, 2))


def test_float_indices_rejected():
    with pytest.raises(TypeError, match="integers.*float32"):
        embedding(cr.tensor([0.0, 1.0]), cr.zeros(3, 2))


def test_bad_padding_idx_and_weight():
    with pytest.raises(ValueError, match="padding_idx 5 must be within num_embeddings=3"):
        embedding(cr.tensor([0]), cr.zeros(3, 2), padding_idx=5)
    with pytest.raises(ValueError, match=r"weight must be 2-D.*\(3,\)"):
        embedding(cr.tensor([0]), cr.zeros(3))


# ------------------------------------------------------------------ one_hot
@pytest.mark.parametrize(
    "idx,num_classes",
    [
        ([0, 2, 1, 2], -1),
        ([[1, 0], [3, 3]], 5),
        (3, 4),  # 0-d input: a vector
        ([], 2),
        ([[]], 3),
        ([0, 0], 1),
    ],
)
def test_one_hot_matches_torch(idx, num_classes):
    ours = one_hot(on_device(np.array(idx, dtype=np.int64)), num_classes)
    ref = F.one_hot(torch.tensor(idx, dtype=torch.int64), num_classes)
    assert ours.dtype == cr.int64 and not ours.requires_grad
    assert backend.on_device(ours.data, helpers.DEVICE)
    np.testing.assert_array_equal(host(ours), ref.numpy())


def test_one_hot_other_integer_dtypes_give_int64():
    ours = one_hot(cr.tensor(np.array([2, 0], dtype=np.int32)), np.int64(3))
    assert ours.dtype == cr.int64
    np.testing.assert_array_equal(ours.numpy(), [[0, 0, 1], [1, 0, 0]])


def test_one_hot_errors():
    with pytest.raises(ValueError, match="one_hot: class values must be non-negative, got -1"):
        one_hot(cr.tensor([-1, 2]))
    with pytest.raises(ValueError, match="class values must be smaller than num_classes=2, got 2"):
        one_hot(cr.tensor([1, 2]), 2)
    with pytest.raises(ValueError, match=r"cannot infer the number of classes from an empty "
                                         r"tensor of shape \(0,\)"):  # fmt: skip
        one_hot(cr.tensor([], dtype=cr.int64))
    with pytest.raises(ValueError, match="cannot infer the number of classes from an empty"):
        one_hot(cr.tensor([], dtype=cr.int64), 0)
    with pytest.raises(ValueError, match="class values must be smaller than num_classes=0"):
        one_hot(cr.tensor([0]), 0)
    with pytest.raises(ValueError, match="num_classes must be -1 or positive, got -2"):
        one_hot(cr.tensor([1]), -2)
    with pytest.raises(TypeError, match="one_hot: tensor must hold integer class indices, got "
                                        "dtype float32"):  # fmt: skip
        one_hot(cr.tensor([1.0]))
    with pytest.raises(TypeError, match="one_hot: num_classes must be an int, got 2.5"):
        one_hot(cr.tensor([1]), 2.5)
