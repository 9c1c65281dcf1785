"""Margin and ranking losses against torch.nn.functional: every reduction and option, values,
dtypes, gradients of every differentiable input, second-order gradients where torch has them
(else gradgradcheck), the hinges' kinks, and the error messages."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import assert_close, check_against_torch, check_gradcheck, host, on_device

import chainrule as cr
from chainrule.functions import ranking as R

REDUCTIONS = ["none", "mean", "sum"]
rng = np.random.default_rng(0)
SIGNS = np.array([1.0, -1.0, -1.0, 1.0, 1.0, -1.0])


def _pair(a):
    """The same array as a chainrule constant on the test's device, and as a torch one."""
    return on_device(a), torch.tensor(a)


# ------------------------------------------------------------------ margin_ranking_loss
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5])
@pytest.mark.parametrize("shapes", [((6,), (6,), (6,)), ((4, 3), (1, 3), (4, 1)), ((), (), ())])
def test_margin_ranking_loss_matches_torch(reduction, margin, shapes):
    check_against_torch(
        lambda a, b, y: R.margin_ranking_loss(a, b, y, margin=margin, reduction=reduction),
        *shapes,
        torch_fn=lambda a, b, y: F.margin_ranking_loss(a, b, y, margin=margin, reduction=reduction),
    )


def test_margin_ranking_loss_kink_integer_target_and_float32():
    """At −y (x₁ − x₂) + margin = 0 the gradient passes, as torch's clamp_min."""
    a = np.array([0.0, 1.0, 2.0, -1.0])
    y_cr, y_t = _pair(np.array([1, 1, -1, 1]))
    check_against_torch(
        lambda x1, x2: R.margin_ranking_loss(x1, x2, y_cr, reduction="sum"),
        a, a.copy(),
        torch_fn=lambda x1, x2: F.margin_ranking_loss(x1, x2, y_t, reduction="sum"),
    )  # fmt: skip
    check_against_torch(
        R.margin_ranking_loss, (5,), (5,), SIGNS[:5], torch_fn=F.margin_ranking_loss,
        dtype="float32",
    )  # fmt: skip


def test_margin_ranking_loss_errors():
    with pytest.raises(ValueError, match=r"margin_ranking_loss: input1, input2 and target must "
                                         r"have the same number of dimensions, got shapes \(3,\), "
                                         r"\(3, 1\) and \(3,\)"):  # fmt: skip
        R.margin_ranking_loss(cr.zeros(3), cr.zeros(3, 1), cr.ones(3))
    with pytest.raises(
        ValueError, match=r"margin_ranking_loss: shapes \(3,\) and \(3,\) and \(2,\)"
    ):
        R.margin_ranking_loss(cr.zeros(3), cr.zeros(3), cr.ones(2))
    with pytest.raises(ValueError, match="margin_ranking_loss: reduction must be one of"):
        R.margin_ranking_loss(cr.zeros(3), cr.zeros(3), cr.ones(3), reduction="avg")


# ------------------------------------------------------------------ hinge_embedding_loss
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [1.0, 0.3])
def test_hinge_embedding_loss_matches_torch(reduction, margin):
    t = np.array([[1.0, -1.0, 1.0], [-1.0, -1.0, 1.0], [0.0, 2.0, -1.0]])  # 0, 2: both terms
    t_cr, t_t = _pair(t)
    x = np.array([[0.5, 1.0, 2.0], [0.3, -0.5, 1.5], [0.2, 0.7, 0.3]])  # 1.0 is a kink
    check_against_torch(
        lambda a: R.hinge_embedding_loss(a, t_cr, margin=margin, reduction=reduction),
        x,
        torch_fn=lambda a: F.hinge_embedding_loss(a, t_t, margin=margin, reduction=reduction),
    )


def test_hinge_embedding_loss_broadcast_int_target_float32():
    t_cr, t_t = _pair(np.array([1, -1, -1, 1]))
    check_against_torch(
        lambda a: R.hinge_embedding_loss(a, t_cr, reduction="none"), (3, 4),
        torch_fn=lambda a: F.hinge_embedding_loss(a, t_t, reduction="none"), dtype="float32",
    )  # fmt: skip
    with pytest.raises(ValueError, match=r"hinge_embedding_loss: shapes \(3,\) and \(2,\)"):
        R.hinge_embedding_loss(cr.zeros(3), cr.ones(2))


# ------------------------------------------------------------------ cosine_embedding_loss
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, -0.2, 0.4])
def test_cosine_embedding_loss_matches_torch(reduction, margin):
    y_cr, y_t = _pair(SIGNS)
    check_against_torch(
        lambda a, b: R.cosine_embedding_loss(a, b, y_cr, margin=margin, reduction=reduction),
        (6, 4), (6, 4),
        torch_fn=lambda a, b: F.cosine_embedding_loss(a, b, y_t, margin=margin,
                                                      reduction=reduction),
    )  # fmt: skip


def test_cosine_embedding_loss_unbatched_zero_vectors_and_float32():
    y_cr, y_t = _pair(np.array(-1.0))
    check_against_torch(
        lambda a, b: R.cosine_embedding_loss(a, b, y_cr, reduction="none"), (5,), (5,),
        torch_fn=lambda a, b: F.cosine_embedding_loss(a, b, y_t, reduction="none"),
    )  # fmt: skip
    # zero vectors: cos = 0 / √(1e-12 · …), finite, as torch (ill-conditioned: looser rtol)
    b = rng.standard_normal((2, 3))
    a_cr, a_t = on_device(np.zeros((2, 3))).requires_grad_(), torch.zeros(2, 3).double()
    a_t.requires_grad_()
    y_cr, y_t = _pair(np.array([1, -1]))  # an integer target
    ours, ref = (
        R.cosine_embedding_loss(a_cr, on_device(b), y_cr),
        F.cosine_embedding_loss(a_t, torch.tensor(b), y_t),
    )
    np.testing.assert_allclose(host(ours), host(ref), rtol=1e-12)
    ref.backward()
    np.testing.assert_allclose(host(cr.grad(ours, [a_cr])[0]), host(a_t.grad), rtol=1e-7)
    y_cr, y_t = _pair(np.array([1.0, 0.0, -1.0]))
    check_against_torch(
        lambda a, b: R.cosine_embedding_loss(a, b, y_cr, margin=-0.5), (3, 4), (3, 4),
        torch_fn=lambda a, b: F.cosine_embedding_loss(a, b, y_t, margin=-0.5), dtype="float32",
    )  # fmt: skip


def test_cosine_embedding_loss_errors():
    with pytest.raises(ValueError, match=r"cosine_embedding_loss: target must be 0-D or 1-D, "
                                         r"got shape \(2, 1\)"):  # fmt: skip
        R.cosine_embedding_loss(cr.zeros(2, 3), cr.zeros(2, 3), cr.ones(2, 1))
    with pytest.raises(ValueError, match=r"a 1-D target expects 2-D inputs, got shapes \(3,\) "
                                         r"and \(3,\)"):  # fmt: skip
        R.cosine_embedding_loss(cr.zeros(3), cr.zeros(3), cr.ones(3))
    with pytest.raises(ValueError, match=r"cosine_embedding_loss: shapes \(2,\) and \(3,\)"):
        R.cosine_embedding_loss(cr.zeros(2, 3), cr.zeros(2, 3), cr.ones(3))


# ------------------------------------------------------------------ soft_margin_loss
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(6,), (2, 6), ()])
def test_soft_margin_loss_matches_torch(reduction, shape):
    y = np.resize(SIGNS, shape) if shape else np.array(-1.0)
    y_cr, y_t = _pair(y)
    check_against_torch(
        lambda a: R.soft_margin_loss(a, y_cr, reduction=reduction), shape,
        torch_fn=lambda a: F.soft_margin_loss(a, y_t, reduction=reduction), low=-5, high=5,
    )  # fmt: skip


def test_soft_margin_loss_zero_input_float32_and_extremes():
    y_cr, y_t = _pair(SIGNS[:4].astype(np.float32))
    check_against_torch(
        lambda a: R.soft_margin_loss(a, y_cr, reduction="none"), np.zeros(4),
        torch_fn=lambda a: F.soft_margin_loss(a, y_t, reduction="none"), dtype="float32",
    )  # fmt: skip
    # where torch's ln(1 + e^(−yx)) overflows to inf, the loss is −yx (and the slope −y)
    x = on_device(np.array([-1000.0, 1000.0], dtype=np.float32)).requires_grad_()
    y = on_device(np.array([1.0, -1.0], dtype=np.float32))
    loss = R.soft_margin_loss(x, y, reduction="none")
    assert loss.dtype == cr.float32
    np.testing.assert_array_equal(host(loss), [1000.0, 1000.0])
    (g,) = cr.grad(loss.sum(), [x])
    np.testing.assert_array_equal(host(g), [-1.0, 1.0])


# ------------------------------------------------------------------ multilabel_soft_margin_loss
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(5, 4), (4,), (2, 3, 4)])
def test_multilabel_soft_margin_loss_matches_torch(reduction, weighted, shape):
    t_cr, t_t = _pair((rng.random(shape) > 0.5).astype(np.float64))
    w_cr, w_t = _pair(rng.random(4) + 0.5) if weighted else (None, None)
    check_against_torch(
        lambda a: R.multilabel_soft_margin_loss(a, t_cr, weight=w_cr, reduction=reduction),
        shape,
        torch_fn=lambda a: F.multilabel_soft_margin_loss(a, t_t, weight=w_t, reduction=reduction),
        low=-4, high=4,
    )  # fmt: skip


def test_multilabel_soft_margin_loss_soft_targets_extremes_float32():
    """Soft targets are differentiated too; logits of ±500 stay exact."""
    check_against_torch(
        R.multilabel_soft_margin_loss, (3, 4), rng.random((3, 4)),
        torch_fn=F.multilabel_soft_margin_loss,
    )  # fmt: skip
    x = np.array([[500.0, -500.0, 0.0], [-30.0, 30.0, 1.0]])
    t_cr, t_t = _pair(np.array([[1, 0, 1], [0, 0, 1]]))
    check_against_torch(
        lambda a: R.multilabel_soft_margin_loss(a, t_cr, reduction="none"), x,
        torch_fn=lambda a: F.multilabel_soft_margin_loss(a, t_t, reduction="none"),
        dtype="float32",
    )  # fmt: skip


def test_multilabel_soft_margin_loss_errors():
    with pytest.raises(ValueError, match=r"multilabel_soft_margin_loss: shapes \(2, 3\) and "
                                         r"\(2,\)"):  # fmt: skip
        R.multilabel_soft_margin_loss(cr.zeros(2, 3), cr.ones(2))
    with pytest.raises(ValueError, match="must have a class dimension, got a 0-d tensor"):
        R.multilabel_soft_margin_loss(cr.tensor(0.0), cr.tensor(1.0))


# ------------------------------------------------------------------ multi_margin_loss
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("margin", [1.0, 0.4])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_loss_matches_torch(reduction, p, margin, weighted):
    t_cr, t_t = _pair(np.array([0, 3, 1, 2, 3]))
    w_cr, w_t = _pair(rng.random(4) + 0.5) if weighted else (None, None)
    kw = dict(p=p, margin=margin, reduction=reduction)
    check_against_torch(
        lambda a: R.multi_margin_loss(a, t_cr, weight=w_cr, **kw), (5, 4),
        torch_fn=lambda a: F.multi_margin_loss(a, t_t, weight=w_t, **kw),
        gradgrad=False,  # torch has no double backward here: gradgradcheck below
    )  # fmt: skip


def test_multi_margin_loss_unbatched_kink_float32_and_gradgrad():
    t_cr, t_t = _pair(np.array(1))
    check_against_torch(
        lambda a: R.multi_margin_loss(a, t_cr, reduction="none"), (4,),
        torch_fn=lambda a: F.multi_margin_loss(a, t_t, reduction="none"), gradgrad=False,
    )  # fmt: skip
    # margin − x_y + x_i = 0 exactly (i = 1): that term gets no gradient, as torch's kernel
    t_cr, t_t = _pair(np.array([0]))
    check_against_torch(
        lambda a: R.multi_margin_loss(a, t_cr, reduction="sum"), np.array([[1.0, 0.0, 2.0]]),
        torch_fn=lambda a: F.multi_margin_loss(a, t_t, reduction="sum"), dtype="float32",
        gradgrad=False,
    )  # fmt: skip
    t = cr.tensor([2, 0, 1])
    check_gradcheck(lambda a: R.multi_margin_loss(a, t, p=2, margin=3.0), (3, 4))


def test_multi_margin_loss_errors():
    x = cr.zeros(2, 3)
    with pytest.raises(IndexError, match="multi_margin_loss: target 3 out of range for 3 classes"):
        R.multi_margin_loss(x, cr.tensor([0, 3]))
    with pytest.raises(ValueError, match="only p == 1 and p == 2 are supported, got p=3"):
        R.multi_margin_loss(x, cr.tensor([0, 1]), p=3)
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\) .*got \(2,\)"):
        R.multi_margin_loss(x, cr.tensor([0, 1]), weight=cr.ones(2))
    with pytest.raises(ValueError, match=r"expected target of shape \(2,\) for input of shape "
                                         r"\(2, 3\), got \(3,\)"):  # fmt: skip
        R.multi_margin_loss(x, cr.tensor([0, 1, 1]))
    with pytest.raises(TypeError, match="target must hold integer class indices"):
        R.multi_margin_loss(x, cr.tensor([0.0, 1.0]))


# ------------------------------------------------------------------ multilabel_margin_loss
MLM_TARGET = np.array([[0, 1, -1, 2], [3, -1, 0, 0], [2, 2, 1, -1], [-1, 0, 1, 2], [0, 1, 2, 3]])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_loss_matches_torch(reduction):
    """Targets end at the first −1; repeats count twice; all classes targets: loss 0."""
    t_cr, t_t = _pair(MLM_TARGET)
    check_against_torch(
        lambda a: R.multilabel_margin_loss(a, t_cr, reduction=reduction), (5, 4),
        torch_fn=lambda a: F.multilabel_margin_loss(a, t_t, reduction=reduction),
        gradgrad=False,  # torch has no double backward here: gradgradcheck below
    )  # fmt: skip


def test_multilabel_margin_loss_unbatched_kink_float32_and_gradgrad():
    t_cr, t_t = _pair(np.array([2, -1, 0]))
    check_against_torch(
        lambda a: R.multilabel_margin_loss(a, t_cr, reduction="none"), (3,),
        torch_fn=lambda a: F.multilabel_margin_loss(a, t_t, reduction="none"), gradgrad=False,
    )  # fmt: skip
    t_cr, t_t = _pair(np.array([[0, -1, 2]]))  # 1 − (x₀ − x₁) = 0 exactly: no gradient there
    check_against_torch(
        lambda a: R.multilabel_margin_loss(a, t_cr, reduction="sum"), np.array([[1.0, 0.0, 2.0]]),
        torch_fn=lambda a: F.multilabel_margin_loss(a, t_t, reduction="sum"), dtype="float32",
        gradgrad=False,
    )  # fmt: skip
    t = cr.tensor(MLM_TARGET[:3])
    check_gradcheck(lambda a: R.multilabel_margin_loss(a, t), (3, 4))


def test_multilabel_margin_loss_errors():
    with pytest.raises(IndexError, match=r"target -2 out of range for 3 classes \(or -1\)"):
        R.multilabel_margin_loss(cr.zeros(2, 3), cr.tensor([[0, 1, -2], [2, -1, 0]]))
    with pytest.raises(IndexError, match="target 3 out of range"):
        R.multilabel_margin_loss(cr.zeros(2, 3), cr.tensor([[0, 1, -1], [3, -1, 0]]))
    with pytest.raises(ValueError, match=r"target of the same shape, got \(2, 3\) and \(2, 2\)"):
        R.multilabel_margin_loss(cr.zeros(2, 3), cr.tensor([[0, 1], [2, -1]]))


# ------------------------------------------------------------------ triplet_margin_loss
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("p,margin,eps", [(2, 1.0, 1e-6), (1, 0.5, 0.0), (3.0, 2.0, 0.1)])
def test_triplet_margin_loss_matches_torch(reduction, swap, p, margin, eps):
    kw = dict(margin=margin, p=p, eps=eps, swap=swap, reduction=reduction)
    check_against_torch(
        lambda a, b, c: R.triplet_margin_loss(a, b, c, **kw), (5, 3), (5, 3), (5, 3),
        torch_fn=lambda a, b, c: F.triplet_margin_loss(a, b, c, **kw),
    )  # fmt: skip


def test_triplet_margin_loss_unbatched_broadcast_swap_tie_float32():
    check_against_torch(
        lambda a, b, c: R.triplet_margin_loss(a, b, c, reduction="none"), (4,), (4,), (4,),
        torch_fn=lambda a, b, c: F.triplet_margin_loss(a, b, c, reduction="none"),
    )  # fmt: skip
    a = np.array([[0.0, 0.0], [1.0, 2.0]])
    pos = np.array([[2.0, 0.0], [1.0, 1.5]])
    neg = np.array([[1.0, 3.0], [0.0, 2.0]])  # row 0: d(a, n) = d(p, n), a tie for swap
    check_against_torch(
        lambda x, y, z: R.triplet_margin_loss(x, y, z, swap=True, eps=0.0, margin=5.0), a, pos,
        neg, torch_fn=lambda x, y, z: F.triplet_margin_loss(x, y, z, swap=True, eps=0.0,
                                                            margin=5.0),
    )  # fmt: skip
    check_against_torch(
        R.triplet_margin_loss, (6, 3), (1, 3), (6, 3), torch_fn=F.triplet_margin_loss,
        dtype="float32",
    )  # fmt: skip


def test_triplet_margin_loss_errors():
    with pytest.raises(ValueError, match="triplet_margin_loss: margin must be greater than 0, "
                                         "got 0"):  # fmt: skip
        R.triplet_margin_loss(cr.zeros(3), cr.zeros(3), cr.zeros(3), margin=0)
    with pytest.raises(ValueError, match=r"same number of dimensions, got shapes \(3,\), "
                                         r"\(2, 3\) and \(3,\)"):  # fmt: skip
        R.triplet_margin_loss(cr.zeros(3), cr.zeros(2, 3), cr.zeros(3))


# ------------------------------------------------------------------ shared
LOSSES = [
    ("margin_ranking_loss", 3),
    ("hinge_embedding_loss", 2),
    ("cosine_embedding_loss", 3),
    ("soft_margin_loss", 2),
    ("multilabel_soft_margin_loss", 2),
    ("triplet_margin_loss", 3),
]


@pytest.mark.parametrize("name,n", LOSSES)
def test_legacy_size_average_and_reduce(name, n):
    """size_average/reduce override reduction, as torch (which warns)."""
    args = [rng.standard_normal((4, 3)) for _ in range(n)]
    if name == "cosine_embedding_loss":
        args[2] = SIGNS[:4]
    for legacy in (dict(reduce=False), dict(size_average=False), dict(size_average=True)):
        ours = getattr(R, name)(*[on_device(a) for a in args], **legacy)
        with pytest.warns(UserWarning):
            ref = getattr(F, name)(*[torch.tensor(a) for a in args], **legacy)
        assert_close(ours, ref)
