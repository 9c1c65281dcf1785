"""Losses against torch.nn.functional: every option combination, values and gradients (input,
and target where torch differentiates it), gradients of gradients, and gradcheck in float64."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import assert_close, check_against_torch, on_device

import chainrule as cr
from chainrule.functions import loss as L

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


# ------------------------------------------------------------------ regression losses
REGRESSION = [
    (
        "mse",
        lambda a, b, r: L.mse_loss(a, b, reduction=r),
        lambda a, b, r: F.mse_loss(a, b, reduction=r),
    ),
    (
        "l1",
        lambda a, b, r: L.l1_loss(a, b, reduction=r),
        lambda a, b, r: F.l1_loss(a, b, reduction=r),
    ),
    *[
        (
            f"smooth_l1 beta={beta}",
            lambda a, b, r, beta=beta: L.smooth_l1_loss(a, b, reduction=r, beta=beta),
            lambda a, b, r, beta=beta: F.smooth_l1_loss(a, b, reduction=r, beta=beta),
        )
        for beta in (0.0, 0.5, 1.0)
    ],
    *[
        (
            f"huber delta={d}",
            lambda a, b, r, d=d: L.huber_loss(a, b, reduction=r, delta=d),
            lambda a, b, r, d=d: F.huber_loss(a, b, reduction=r, delta=d),
        )
        for d in (0.5, 2.0)
    ],
]


@pytest.mark.parametrize("name,ours,theirs", REGRESSION, ids=[r[0] for r in REGRESSION])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses_match_torch(name, ours, theirs, reduction):
    piecewise_linear = name.startswith("l1") or name.endswith("beta=0.0")  # no 2nd derivative
    check_against_torch(
        lambda a, b: ours(a, b, reduction),
        (4, 5),
        (4, 5),
        torch_fn=lambda a, b: theirs(a, b, reduction),
        seed=11,
        gradgrad=not piecewise_linear,
    )


@pytest.mark.parametrize("name,ours,theirs", REGRESSION, ids=[r[0] for r in REGRESSION])
def test_regression_losses_float32(name, ours, theirs):
    check_against_torch(
        lambda a, b: ours(a, b, "mean"),
        (16,),
        (16,),
        dtype="float32",
        torch_fn=lambda a, b: theirs(a, b, "mean"),
        gradgrad=False,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(reduction, log_target):
    rng = np.random.default_rng(6)
    q = np.log(_prob_target((4, C), rng))
    p = _prob_target((4, C), rng)
    p = np.log(p) if log_target else p
    check_against_torch(
        lambda a, b: L.kl_div(a, b, reduction=reduction, log_target=log_target),
        q,
        p,
        torch_fn=lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target),
    )


def test_kl_div_zero_target_is_zero():
    q = np.log(np.array([[0.5, 0.25, 0.25]]))
    p = np.array([[0.0, 0.5, 0.5]])
    check_against_torch(
        lambda a: L.kl_div(a, on_device(p), reduction="sum"),
        q,
        torch_fn=lambda a: F.kl_div(a, torch.tensor(p), reduction="sum"),
    )


def test_regression_gradcheck():
    rng = np.random.default_rng(8)
    a = cr.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    b = cr.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    for fn in (
        lambda x, y: L.huber_loss(x, y, delta=0.7),
        lambda x, y: L.smooth_l1_loss(x, y, beta=0.4, reduction="sum"),
        lambda x, y: L.mse_loss(x, y),
    ):
        assert cr.autograd.gradcheck(fn, [a, b])


@pytest.mark.parametrize(
    "fn",
    [
        L.mse_loss,
        L.l1_loss,
        L.smooth_l1_loss,
        L.huber_loss,
        L.binary_cross_entropy,
        L.binary_cross_entropy_with_logits,
        L.kl_div,
    ],
)
def test_invalid_reduction_raises(fn):
    with pytest.raises(ValueError, match="reduction must be one of 'none', 'mean', 'sum'"):
        fn(cr.tensor([0.5]), cr.tensor([0.5]), reduction="elementwise_mean")


@pytest.mark.parametrize(
    "name, kw",
    [("smooth_l1_loss", {"beta": 0.5}), ("huber_loss", {"delta": 0.5})],
)
def test_numpy_scalar_options_of_regression_losses_act_as_numbers(name, kw):
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((5, 3)).astype(np.float32) for _ in range(2))
    npkw = {k: np.float64(v) for k, v in kw.items()}
    ours = getattr(L, name)(cr.tensor(a), cr.tensor(b), **npkw)
    ref = getattr(F, name)(torch.tensor(a), torch.tensor(b), **npkw)
    assert ours.dtype == cr.float32 and ref.dtype == torch.float32
    assert_close(ours, ref, "float32")
    plain = getattr(L, name)(cr.tensor(a), cr.tensor(b), **kw)
    np.testing.assert_array_equal(ours.data, plain.data)


def test_numpy_scalar_label_smoothing_acts_as_a_number():
    rng = np.random.default_rng(0)
    a, t = rng.standard_normal((5, C)).astype(np.float32), rng.integers(0, C, 5)
    ours = L.cross_entropy(cr.tensor(a), cr.tensor(t), label_smoothing=np.float64(0.1))
    ref = F.cross_entropy(torch.tensor(a), torch.tensor(t), label_smoothing=np.float64(0.1))
    assert ours.dtype == cr.float32
    assert_close(ours, ref, "float32")
    plain = L.cross_entropy(cr.tensor(a), cr.tensor(t), label_smoothing=0.1)
    np.testing.assert_array_equal(ours.data, plain.data)
    with pytest.raises(TypeError, match="cross_entropy: label_smoothing must be a number"):
        L.cross_entropy(cr.tensor(a), cr.tensor(t), label_smoothing="0.1")


# ------------------------------------------------------------------ poisson_nll_loss
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [False, True])
def test_poisson_nll_loss_matches_torch(reduction, log_input, full):
    """Input and target both differentiated; targets ≤ 1 take no Stirling term."""
    rng = np.random.default_rng(11)
    x = rng.uniform(-1.5, 1.5, (4, 5)) if log_input else rng.uniform(0.1, 3.0, (4, 5))
    t = rng.uniform(0.0, 4.0, (4, 5))
    t[0, :2] = [0.5, 1.0]
    kw = dict(log_input=log_input, full=full, reduction=reduction)
    check_against_torch(
        lambda a, b: L.poisson_nll_loss(a, b, **kw),
        x,
        t,
        torch_fn=lambda a, b: F.poisson_nll_loss(a, b, **kw),
    )


def test_poisson_nll_loss_eps_broadcast_int_target_float32():
    rng = np.random.default_rng(12)
    t_cr, t_t = _pair(rng.integers(0, 6, (3, 4)))
    check_against_torch(
        lambda a: L.poisson_nll_loss(a, t_cr, log_input=False, eps=0.5, full=True),
        np.abs(rng.standard_normal((3, 4))),
        torch_fn=lambda a: F.poisson_nll_loss(a, t_t, log_input=False, eps=0.5, full=True),
        dtype="float32",
    )
    check_against_torch(
        lambda a, b: L.poisson_nll_loss(a, b, reduction="none"),
        (3, 1),
        np.abs(rng.standard_normal(4)) * 3,
        torch_fn=lambda a, b: F.poisson_nll_loss(a, b, reduction="none"),
    )
    check_against_torch(
        lambda a, b: L.poisson_nll_loss(a, b, size_average=False),
        (3,),
        np.array([0.0, 2.0, 5.0]),
        torch_fn=lambda a, b: F.poisson_nll_loss(a, b, reduction="sum"),
    )


def test_poisson_nll_loss_zero_target_with_full_has_a_finite_target_gradient():
    """(torch's is NaN there: 0 · ln 0 inside the masked Stirling term.)"""
    x = on_device(np.array([0.3, -0.2]))
    t = on_device(np.array([0.0, 3.0])).requires_grad_()
    loss = L.poisson_nll_loss(x, t, full=True, reduction="sum")
    ref = F.poisson_nll_loss(
        torch.tensor([0.3, -0.2], dtype=torch.float64),
        torch.tensor([0.0, 3.0], dtype=torch.float64),
        full=True,
        reduction="sum",
    )
    assert_close(loss, ref)
    (g,) = cr.grad(loss, [t])
    # ∂/∂y: −x, plus ln y + 1/(2y) from Stirling where y > 1
    np.testing.assert_allclose(g.numpy(), [-0.3, 0.2 + np.log(3.0) + 1 / 6])


def test_poisson_nll_loss_errors():
    with pytest.raises(ValueError, match="poisson_nll_loss: reduction must be one of"):
        L.poisson_nll_loss(cr.zeros(3), cr.zeros(3), reduction="avg")
    with pytest.raises(ValueError, match=r"poisson_nll_loss: shapes \(3,\) and \(2,\) cannot be"):
        L.poisson_nll_loss(cr.zeros(3), cr.zeros(2))


# ------------------------------------------------------------------ gaussian_nll_loss
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize(
    "var_shape",
    [(4, 3), (4,), (4, 1), (1, 3)],  # heteroscedastic, last dim dropped, one dimension 1
)
def test_gaussian_nll_loss_matches_torch(reduction, full, var_shape):
    rng = np.random.default_rng(13)
    var = rng.uniform(0.2, 2.0, var_shape)
    kw = dict(full=full, reduction=reduction)
    check_against_torch(
        lambda a, b, v: L.gaussian_nll_loss(a, b, v, **kw),
        (4, 3),
        (4, 3),
        var,
        torch_fn=lambda a, b, v: F.gaussian_nll_loss(a, b, v, **kw),
    )


def test_gaussian_nll_loss_clamps_var_straight_through():
    """var below eps: the value uses eps, the gradient passes as if unclamped (torch)."""
    var = np.array([[1e-9, 0.0, 0.5], [1e-7, 2.0, 1e-6]])
    check_against_torch(
        lambda a, b, v: L.gaussian_nll_loss(a, b, v, reduction="sum"),
        (2, 3),
        (2, 3),
        var,
        torch_fn=lambda a, b, v: F.gaussian_nll_loss(a, b, v, reduction="sum"),
    )
    check_against_torch(
        lambda a, b, v: L.gaussian_nll_loss(a, b, v, eps=0.3),
        (2, 3),
        (2, 3),
        var,
        torch_fn=lambda a, b, v: F.gaussian_nll_loss(a, b, v, eps=0.3),
        dtype="float32",
    )


def test_gaussian_nll_loss_scalar_var_and_broadcast_target():
    check_against_torch(
        lambda a, b: L.gaussian_nll_loss(a, b, 0.7, full=True),
        (3, 2),
        (3, 2),
        torch_fn=lambda a, b: F.gaussian_nll_loss(a, b, 0.7, full=True),
        dtype="float32",
    )
    rng = np.random.default_rng(14)
    v_cr, v_t = _pair(rng.uniform(0.5, 1.0, (3, 2)))
    check_against_torch(
        lambda a, b: L.gaussian_nll_loss(a, b, v_cr, reduction="none"),
        (3, 2),
        (3, 1),
        torch_fn=lambda a, b: F.gaussian_nll_loss(a, b, v_t, reduction="none"),
    )


def test_gaussian_nll_loss_errors():
    x = cr.zeros(3, 2)
    with pytest.raises(ValueError, match=r"var of shape \(1, 1\) does not fit input of shape "
                                         r"\(3, 2\)"):  # fmt: skip
        L.gaussian_nll_loss(x, x, cr.ones(1, 1))
    with pytest.raises(ValueError, match=r"var of shape \(\) does not fit"):
        L.gaussian_nll_loss(x, x, cr.tensor(1.0))
    with pytest.raises(ValueError, match="gaussian_nll_loss: var must be non-negative, got -1"):
        L.gaussian_nll_loss(x, x, -cr.ones(3, 2))
    with pytest.raises(ValueError, match="gaussian_nll_loss: var must be non-negative, got -2"):
        L.gaussian_nll_loss(x, x, -2.0)
    with pytest.raises(ValueError, match=r"gaussian_nll_loss: shapes \(3, 2\) and \(3,\) cannot"):
        L.gaussian_nll_loss(x, cr.zeros(3), 1.0)
    with pytest.raises(ValueError, match="gaussian_nll_loss: reduction must be one of"):
        L.gaussian_nll_loss(x, x, 1.0, reduction="avg")
