"""Regression, likelihood and embedding losses against torch.nn.functional: every option
combination, values and gradients (input, and target where torch differentiates it), gradients
of gradients, and gradcheck in float64."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import assert_close, check_against_torch, check_gradcheck, on_device

import chainrule as cr
from chainrule.functions import loss as L
from chainrule.functions.distance import cosine_similarity

REDUCTIONS = ["none", "mean", "sum"]
C = 4


def _pair(a):
    """The same array as a chainrule constant (on the test's device) and a torch one (None stays
    None)."""
    return (None, None) if a is None else (on_device(a), torch.tensor(a))


def _prob_target(shape, rng):
    t = rng.random(shape) + 0.1
    return t / t.sum(axis=0 if len(shape) == 1 else 1, keepdims=True)


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


# ------------------------------------------------------------------ triplet with any distance
def _l1_distance(x, y):
    """The same expression in both libraries: Tensor methods only."""
    return (x - y).abs().sum(-1)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("margin", [1.0, 0.3])
@pytest.mark.parametrize("distance", ["default", "l1"])
def test_triplet_margin_with_distance_loss_matches_torch(reduction, swap, margin, distance):
    d = None if distance == "default" else _l1_distance
    kw = dict(distance_function=d, margin=margin, swap=swap, reduction=reduction)
    check_against_torch(
        lambda a, p, n: L.triplet_margin_with_distance_loss(a, p, n, **kw),
        (6, 3),
        (6, 3),
        (6, 3),
        torch_fn=lambda a, p, n: F.triplet_margin_with_distance_loss(a, p, n, **kw),
    )


@pytest.mark.parametrize("shapes", [[(4,), (4,), (4,)], [(5, 3), (1, 3), (5, 3)], [(0, 3)] * 3])
def test_triplet_margin_with_distance_loss_shapes_and_float32(shapes):
    for dtype in ("float64", "float32"):
        check_against_torch(
            lambda a, p, n: L.triplet_margin_with_distance_loss(a, p, n, swap=True),
            *shapes,
            torch_fn=lambda a, p, n: F.triplet_margin_with_distance_loss(a, p, n, swap=True),
            dtype=dtype,
        )


def test_triplet_margin_with_distance_loss_cosine_distance():
    def ours(a, p, n):
        return L.triplet_margin_with_distance_loss(
            a, p, n, distance_function=lambda x, y: 1.0 - cosine_similarity(x, y), margin=0.5
        )

    def theirs(a, p, n):
        return F.triplet_margin_with_distance_loss(
            a, p, n, distance_function=lambda x, y: 1.0 - F.cosine_similarity(x, y), margin=0.5
        )

    check_against_torch(ours, (5, 4), (5, 4), (5, 4), torch_fn=theirs)


def test_triplet_margin_with_distance_loss_swap_tie_splits_the_gradient():
    """anchor == positive: d(a, n) = d(p, n) exactly, and min passes half to each (as torch)."""
    rng = np.random.default_rng(3)
    a, n = rng.standard_normal((4, 3)), rng.standard_normal((4, 3)) * 0.1
    check_against_torch(
        lambda x, y, z: L.triplet_margin_with_distance_loss(x, y, z, swap=True, margin=5.0),
        a,
        a.copy(),
        n,
        torch_fn=lambda x, y, z: F.triplet_margin_with_distance_loss(
            x, y, z, swap=True, margin=5.0
        ),
    )


def test_triplet_margin_with_distance_loss_gradcheck():
    check_gradcheck(
        lambda a, p, n: L.triplet_margin_with_distance_loss(
            a, p, n, distance_function=_l1_distance, swap=True, reduction="sum"
        ),
        (3, 2),
        (3, 2),
        (3, 2),
    )


@pytest.mark.parametrize(
    "kw,shapes,match",
    [
        ({"margin": 0.0}, [(2, 3)] * 3, "margin must be greater than 0, got 0.0"),
        ({"margin": -1}, [(2, 3)] * 3, "margin must be greater than 0, got -1"),
        ({}, [(2, 3), (3,), (2, 3)], r"same number of dimensions, got shapes \(2, 3\), \(3,\)"),
        ({"reduction": "avg"}, [(2, 3)] * 3, "reduction must be one of"),
    ],
)
def test_triplet_margin_with_distance_loss_errors(kw, shapes, match):
    args = [cr.tensor(np.ones(s)) for s in shapes]
    with pytest.raises(ValueError, match="triplet_margin_with_distance_loss: .*" + match):
        L.triplet_margin_with_distance_loss(*args, **kw)
    with pytest.raises(TypeError):
        L.triplet_margin_with_distance_loss(*args, None, 1.0)  # keyword-only, as torch


def test_triplet_margin_with_distance_loss_gradient_at_the_kink():
    """margin + d(a, p) − d(a, n) = 1 + 1 − 2 = 0 exactly: torch's clamp_min passes the gradient
    there (a relu would not)."""
    a = np.zeros((2, 3))
    p = np.array([[1.0, 0, 0], [0, -1, 0]])
    n = np.array([[2.0, 0, 0], [0, 0, 2]])
    kw = dict(distance_function=_l1_distance, margin=1.0, reduction="sum")
    out = check_against_torch(
        lambda x, y, z: L.triplet_margin_with_distance_loss(x, y, z, **kw),
        a,
        p,
        n,
        torch_fn=lambda x, y, z: F.triplet_margin_with_distance_loss(x, y, z, **kw),
    )
    assert out.item() == 0.0
