"""Classification losses (cross_entropy, nll_loss, binary cross-entropy on probabilities and
on logits) against torch.nn.functional: every option combination, values and gradients, gradients
of gradients, and gradcheck in float64."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import assert_close, check_against_torch, on_device

import chainrule as cr
from chainrule.functions import loss_class as L

REDUCTIONS = ["none", "mean", "sum"]
C = 4


def _pair(a):
    """The same array as a chainrule constant (on the test's device) and a torch one (None stays
    None)."""
    return (None, None) if a is None else (on_device(a), torch.tensor(a))


def _index_target(shape, rng, ignore_index):
    """Class indices for input ``shape`` (N, C, d…) or (C,): some equal to ignore_index."""
    tshape = (shape[0],) + shape[2:] if len(shape) > 1 else ()
    t = rng.integers(0, C, size=tshape)
    if t.ndim:
        t.reshape(-1)[0] = 1  # at least one ignored when ignore_index == 1 ...
        t.reshape(-1)[-1] = 0  # ... and at least one counted
    else:
        t = np.asarray(2)
    return t


def _prob_target(shape, rng):
    t = rng.random(shape) + 0.1
    return t / t.sum(axis=0 if len(shape) == 1 else 1, keepdims=True)


# ------------------------------------------------------------------ cross_entropy
CE_CASES = [
    c
    for c in itertools.product(
        [(6, C), (3, C, 5), (C,)],
        REDUCTIONS,
        [False, True],
        [-100, 1],
        [0.0, 0.2],
        ["index", "prob"],
    )
    if not (c[5] == "prob" and c[3] != -100)  # torch: no ignore_index with probabilities
]


@pytest.mark.parametrize("shape,reduction,weighted,ignore_index,smoothing,kind", CE_CASES)
def test_cross_entropy_matches_torch(shape, reduction, weighted, ignore_index, smoothing, kind):
    rng = np.random.default_rng(len(shape) * 100 + int(smoothing * 10) + ignore_index)
    t = _index_target(shape, rng, ignore_index) if kind == "index" else _prob_target(shape, rng)
    w_cr, w_t = _pair(rng.random(C) + 0.5 if weighted else None)
    t_cr, t_t = _pair(t)
    kw = dict(ignore_index=ignore_index, reduction=reduction, label_smoothing=smoothing)
    check_against_torch(
        lambda x: L.cross_entropy(x, t_cr, weight=w_cr, **kw),
        shape,
        torch_fn=lambda x: F.cross_entropy(x, t_t, weight=w_t, **kw),
        seed=3,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probability_target_gradient(reduction):
    """With probabilities, torch differentiates the target too."""
    rng = np.random.default_rng(0)
    check_against_torch(
        lambda x, t: L.cross_entropy(x, t, reduction=reduction, label_smoothing=0.1),
        (5, C),
        _prob_target((5, C), rng),
        torch_fn=lambda x, t: F.cross_entropy(x, t, reduction=reduction, label_smoothing=0.1),
    )


@pytest.mark.parametrize("kind", ["index", "prob"])
def test_cross_entropy_float32(kind):
    rng = np.random.default_rng(1)
    shape = (8, C, 3)
    t = _index_target(shape, rng, 1) if kind == "index" else _prob_target(shape, rng)
    t_cr, t_t = _pair(t if kind == "index" else t.astype(np.float32))
    w_cr, w_t = _pair((rng.random(C) + 0.5).astype(np.float32))
    kw = dict(label_smoothing=0.1, ignore_index=1 if kind == "index" else -100)
    check_against_torch(
        lambda x: L.cross_entropy(x, t_cr, weight=w_cr, **kw),
        shape,
        torch_fn=lambda x: F.cross_entropy(x, t_t, weight=w_t, **kw),
        dtype="float32",
        gradgrad=False,
    )


def test_cross_entropy_extreme_logits():
    x = np.array([[1000.0, -1000.0, 0.0, 3.0], [-1000.0, 1000.0, 999.0, -5.0]])
    t = np.array([1, 1])
    for smoothing in (0.0, 0.3):
        out = check_against_torch(
            lambda a, s=smoothing: L.cross_entropy(a, on_device(t), label_smoothing=s),
            x,
            torch_fn=lambda a, s=smoothing: F.cross_entropy(a, torch.tensor(t), label_smoothing=s),
        )
        assert np.isfinite(out.item())


def test_cross_entropy_gradcheck():
    t = cr.tensor(np.array([[0, 2], [1, 3], [3, 3]]))
    w = cr.tensor(np.array([0.5, 1.0, 2.0, 1.5]))
    x = cr.tensor(np.random.default_rng(0).standard_normal((3, C, 2)), requires_grad=True)
    fn = lambda a: L.cross_entropy(a, t, weight=w, ignore_index=3, label_smoothing=0.2)  # noqa: E731
    assert cr.autograd.gradcheck(fn, [x])
    assert cr.autograd.gradgradcheck(fn, [x])


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint64])
def test_cross_entropy_target_range_any_integer_dtype(dtype):
    """The range check reads signed targets as unsigned (one reduction): a negative one must
    still be caught, whatever its width, and valid ones of every width give torch's loss."""
    x = np.random.default_rng(0).standard_normal((4, 10)).astype(np.float32)
    t = np.array([0, 9, 3, 9], dtype=dtype)
    want = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(t.astype(np.int64)))
    np.testing.assert_allclose(
        L.cross_entropy(cr.tensor(x), cr.tensor(t)).item(), want.item(), rtol=1e-6
    )
    with pytest.raises(IndexError, match="target 10 out of range for 10 classes"):
        L.cross_entropy(cr.tensor(x), cr.tensor(np.array([0, 10, 3, 1], dtype=dtype)))
    if np.dtype(dtype).kind == "i":
        with pytest.raises(IndexError, match="target -2 out of range for 10 classes"):
            L.cross_entropy(cr.tensor(x), cr.tensor(np.array([0, 1, -2, 1], dtype=dtype)))


def test_cross_entropy_default_ignore_index_in_the_target_is_ignored():
    """The usual call takes a short path when every target is a class; one equal to the
    default ignore_index (-100) must send it the general way, which skips that sample."""
    x = np.random.default_rng(4).standard_normal((5, 3)).astype(np.float32)
    t = np.array([2, -100, 0, 1, -100])
    xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    loss, want = L.cross_entropy(xc, cr.tensor(t)), F.cross_entropy(xt, torch.tensor(t))
    loss.backward()
    want.backward()
    assert_close(loss, want.detach().numpy(), "float32")
    assert_close(xc.grad, xt.grad.numpy(), "float32")
    assert (xc.grad.data[[1, 4]] == 0).all()


def test_cross_entropy_short_path_gives_the_general_paths_bits():
    """label_smoothing=0 (an int) takes the general entry; the default 0.0 the short one."""
    rng = np.random.default_rng(5)
    x, t = rng.standard_normal((64, 10)).astype(np.float32), rng.integers(0, 10, 64)
    out = []
    for kw in ({}, {"label_smoothing": 0}):
        xc = cr.tensor(x, requires_grad=True)
        loss = L.cross_entropy(xc, cr.tensor(t), **kw)
        loss.backward()
        out.append((loss.data, xc.grad.data))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_array_equal(out[0][1], out[1][1])
    assert out[0][0].dtype == np.float32 and out[0][1].dtype == np.float32


def test_cross_entropy_errors():
    x = cr.tensor(np.zeros((3, 10)))
    with pytest.raises(IndexError, match="target 12 out of range for 10 classes"):
        L.cross_entropy(x, cr.tensor([1, 12, 0]))
    with pytest.raises(IndexError, match="target -1 out of range"):
        L.cross_entropy(x, cr.tensor([1, -1, 0]))
    L.cross_entropy(x, cr.tensor([1, -1, 0]), ignore_index=-1)  # ignored: fine
    with pytest.raises(ValueError, match=r"expected target of shape \(3,\).*got \(3, 1\)"):
        L.cross_entropy(x, cr.tensor([[1], [2], [0]]))
    with pytest.raises(ValueError, match=r"probability target of shape \(3, 9\)"):
        L.cross_entropy(x, cr.tensor(np.full((3, 9), 0.1)))
    with pytest.raises(ValueError, match=r"weight must have shape \(10,\).*got \(9,\)"):
        L.cross_entropy(x, cr.tensor([1, 2, 0]), weight=cr.tensor(np.ones(9)))
    with pytest.raises(ValueError, match="reduction must be one of.*got 'avg'"):
        L.cross_entropy(x, cr.tensor([1, 2, 0]), reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing must be between 0.0 and 1.0, got 1.5"):
        L.cross_entropy(x, cr.tensor([1, 2, 0]), label_smoothing=1.5)
    with pytest.raises(TypeError, match="must be floating point"):
        L.cross_entropy(cr.tensor([[1, 2]]), cr.tensor([0]))


def test_cross_entropy_legacy_reduce_arguments():
    x = np.random.default_rng(0).standard_normal((4, C))
    t = np.array([0, 1, 2, 3])
    for sa, red in itertools.product([None, True, False], [None, True, False]):
        ours = L.cross_entropy(cr.tensor(x), cr.tensor(t), size_average=sa, reduce=red)
        ref = F.cross_entropy(torch.tensor(x), torch.tensor(t), size_average=sa, reduce=red)
        assert_close(ours.data, ref)


# ------------------------------------------------------------------ nll_loss
@pytest.mark.parametrize(
    "shape,reduction,weighted,ignore_index",
    list(itertools.product([(6, C), (3, C, 5), (C,)], REDUCTIONS, [False, True], [-100, 1])),
)
def test_nll_loss_matches_torch(shape, reduction, weighted, ignore_index):
    rng = np.random.default_rng(7)
    t_cr, t_t = _pair(_index_target(shape, rng, ignore_index))
    w_cr, w_t = _pair(rng.random(C) + 0.5 if weighted else None)
    kw = dict(ignore_index=ignore_index, reduction=reduction)
    check_against_torch(
        lambda x: L.nll_loss(x, t_cr, weight=w_cr, **kw),
        shape,
        torch_fn=lambda x: F.nll_loss(x, t_t, weight=w_t, **kw),
        low=-3,
        high=0,
    )


def test_nll_loss_errors():
    x = cr.tensor(np.zeros((2, 3)))
    with pytest.raises(IndexError, match="nll_loss: target 3 out of range for 3 classes"):
        L.nll_loss(x, cr.tensor([0, 3]))
    with pytest.raises(ValueError, match=r"nll_loss: expected target of shape \(2,\)"):
        L.nll_loss(x, cr.tensor([0, 1, 2]))
    with pytest.raises(TypeError, match="integer tensor"):
        L.nll_loss(x, cr.tensor(np.array([[0.5, 0.5, 0.0]] * 2)).sum(1))


# ------------------------------------------------------------------ binary cross-entropy
@pytest.mark.parametrize("reduction,weighted", list(itertools.product(REDUCTIONS, [False, True])))
def test_binary_cross_entropy_matches_torch(reduction, weighted):
    rng = np.random.default_rng(2)
    x, t = rng.uniform(0.05, 0.95, (4, 3)), rng.random((4, 3))
    w_cr, w_t = _pair(rng.random(3) + 0.5 if weighted else None)
    check_against_torch(
        lambda a, b: L.binary_cross_entropy(a, b, weight=w_cr, reduction=reduction),
        x,
        t,
        torch_fn=lambda a, b: F.binary_cross_entropy(a, b, weight=w_t, reduction=reduction),
    )


def test_binary_cross_entropy_clamps_log_at_0_and_1():
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    t = np.array([1.0, 0.0, 0.0, 1.0, 0.3])
    check_against_torch(
        lambda a: L.binary_cross_entropy(a, on_device(t), reduction="none"),
        x,
        torch_fn=lambda a: F.binary_cross_entropy(a, torch.tensor(t), reduction="none"),
        gradgrad=False,
    )


def test_binary_cross_entropy_errors():
    with pytest.raises(ValueError, match="between 0 and 1, got 1.5"):
        L.binary_cross_entropy(cr.tensor([0.5, 1.5]), cr.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"target shape \(3,\) must match input shape \(2,\)"):
        L.binary_cross_entropy(cr.tensor([0.5, 0.5]), cr.tensor([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match=r"weight of shape \(3,\) does not broadcast"):
        L.binary_cross_entropy(
            cr.tensor([0.5, 0.5]), cr.tensor([0.0, 1.0]), weight=cr.tensor([1.0, 2.0, 3.0])
        )


@pytest.mark.parametrize(
    "reduction,weighted,pos_weighted",
    list(itertools.product(REDUCTIONS, [False, True], [False, True])),
)
def test_bce_with_logits_matches_torch(reduction, weighted, pos_weighted):
    rng = np.random.default_rng(4)
    x, t = rng.uniform(-4, 4, (5, 3)), rng.random((5, 3))
    w_cr, w_t = _pair(rng.random((5, 1)) + 0.5 if weighted else None)
    p_cr, p_t = _pair(rng.random(3) * 3 if pos_weighted else None)
    check_against_torch(
        lambda a, b: L.binary_cross_entropy_with_logits(
            a, b, weight=w_cr, pos_weight=p_cr, reduction=reduction
        ),
        x,
        t,
        torch_fn=lambda a, b: F.binary_cross_entropy_with_logits(
            a, b, weight=w_t, pos_weight=p_t, reduction=reduction
        ),
    )


@pytest.mark.parametrize("pos_weighted", [False, True])
def test_bce_with_logits_extreme_logits(pos_weighted):
    x = np.array([1000.0, -1000.0, 1000.0, -1000.0, 40.0, -40.0])
    t = np.array([1.0, 0.0, 0.0, 1.0, 0.5, 0.5])
    p_cr, p_t = _pair(np.array([2.0]) if pos_weighted else None)
    out = check_against_torch(
        lambda a, b: L.binary_cross_entropy_with_logits(a, b, pos_weight=p_cr, reduction="none"),
        x,
        t,
        torch_fn=lambda a, b: F.binary_cross_entropy_with_logits(
            a, b, pos_weight=p_t, reduction="none"
        ),
    )
    assert np.isfinite(out.data).all()


def test_bce_with_logits_float32_and_gradcheck():
    rng = np.random.default_rng(5)
    t = rng.random((6, 2)).astype(np.float32)
    check_against_torch(
        lambda a: L.binary_cross_entropy_with_logits(
            a, on_device(t), pos_weight=on_device(np.float32([2.0, 0.5]))
        ),
        (6, 2),
        low=-30,
        high=30,
        dtype="float32",
        torch_fn=lambda a: F.binary_cross_entropy_with_logits(
            a, torch.tensor(t), pos_weight=(torch.tensor(np.float32([2.0, 0.5])))
        ),
        gradgrad=False,
    )
    pw = cr.tensor(np.array([2.0, 0.5]))
    x = cr.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    y = cr.tensor(rng.random((3, 2)), requires_grad=True)
    fn = lambda a, b: L.binary_cross_entropy_with_logits(a, b, pos_weight=pw)  # noqa: E731
    assert cr.autograd.gradcheck(fn, [x, y])
    assert cr.autograd.gradgradcheck(fn, [x, y])


@pytest.mark.parametrize(
    "fn,kw",
    [
        ("cross_entropy", {}),
        ("cross_entropy", dict(label_smoothing=0.1)),
        ("cross_entropy", dict(weight=[1.0, 2.0, 3.0])),
        ("nll_loss", {}),
    ],
)
def test_mean_over_only_ignored_targets_is_nan_with_a_zero_gradient_as_torch(fn, kw):
    """A batch whose targets are all ``ignore_index`` (all padding): torch's loss is 0/0 = NaN,
    but its gradient is 0, so one such batch doesn't poison the weights."""
    a = np.log(np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]))
    results = []
    for lib, f in ((cr, cr.nn.functional), (torch, F)):
        x = lib.tensor(a, requires_grad=True)
        opts = {k: lib.tensor(v, dtype=lib.float64) for k, v in kw.items() if k == "weight"}
        opts.update({k: v for k, v in kw.items() if k != "weight"})
        loss = getattr(f, fn)(x, lib.tensor([0, 0]), ignore_index=0, **opts)
        loss.backward()
        results.append((float(loss.detach()), x.grad.numpy()))
    (ours, g), (theirs, gt) = results
    assert np.isnan(ours) and np.isnan(theirs)
    np.testing.assert_array_equal(g, gt)
    np.testing.assert_array_equal(g, np.zeros_like(a))
