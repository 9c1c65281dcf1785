"""Regression and likelihood losses: mse, l1, smooth_l1, huber, kl_div, poisson_nll and
gaussian_nll, with torch's options and ``reduction`` ('none' | 'mean' | 'sum'); and
triplet_margin_with_distance_loss, for any distance function.

Each is a composition of differentiable ops, so gradients (and gradients of gradients) come for
free. The classification losses (binary cross-entropy, nll, cross_entropy) and the reduction
helpers live in ``loss_class.py``; they are re-exported here, so ``functions.loss`` still holds
every loss.
"""

from __future__ import annotations

from collections.abc import Callable

from .. import backend
from ..tensor import Tensor, as_tensor
from .arithmetic import _exp, _log, _where, clamp, number_arg, where
from .distance import ClampMinStraight, pairwise_distance
from .loss_class import (  # noqa: F401  (re-exported: functions.loss holds every loss)
    _REDUCTIONS,
    BinaryCrossEntropy,
    BinaryCrossEntropyWithLogits,
    CrossEntropy,
    _float_pair,
    _reduce,
    _reduction,
    _same_shape,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    nll_loss,
)
from .shape import broadcast_shapes


# ------------------------------------------------------------------ regression losses
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean") -> Tensor:
    """(x − y)² element-wise, then reduced. Shapes must broadcast."""
    reduction = _reduction(reduction, size_average, reduce, "mse_loss")
    x, t = _float_pair(input, target, "mse_loss")
    d = x - t
    return _reduce(d * d, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean") -> Tensor:
    """|x − y| element-wise, then reduced."""
    reduction = _reduction(reduction, size_average, reduce, "l1_loss")
    x, t = _float_pair(input, target, "l1_loss")
    return _reduce((x - t).abs(), reduction)


def smooth_l1_loss(
    input, target, size_average=None, reduce=None, reduction="mean", beta=1.0
) -> Tensor:
    """0.5 d²/β where |d| < β, else |d| − 0.5 β (d = x − y); β = 0 is the L1 loss."""
    reduction = _reduction(reduction, size_average, reduce, "smooth_l1_loss")
    beta = number_arg(beta, "smooth_l1_loss", "beta")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    x, t = _float_pair(input, target, "smooth_l1_loss")
    d = x - t
    a = d.abs()
    if beta == 0:
        return _reduce(a, reduction)
    return _reduce(where(a.data < beta, d * d * (0.5 / beta), a - 0.5 * beta), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0) -> Tensor:
    """0.5 d² where |d| < δ, else δ (|d| − 0.5 δ) (d = x − y): β·smooth_l1 with β = δ."""
    reduction = _reduction(reduction, None, None, "huber_loss")
    delta = number_arg(delta, "huber_loss", "delta")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    x, t = _float_pair(input, target, "huber_loss")
    d = x - t
    a = d.abs()
    return _reduce(where(a.data < delta, d * d * 0.5, (a - 0.5 * delta) * delta), reduction)


def kl_div(
    input, target, size_average=None, reduce=None, reduction="mean", log_target=False
) -> Tensor:
    """Kullback–Leibler divergence, with ``input`` the log-probabilities q:
    y (ln y − q) element-wise (0 where y = 0), or e^y (y − q) with ``log_target``.
    ``reduction='batchmean'`` divides the sum by the batch size (the true KL divergence)."""
    op = "kl_div"
    reduction = _reduction(reduction, size_average, reduce, op, _REDUCTIONS + ("batchmean",))
    x, t = _float_pair(input, target, op)
    if log_target:
        loss = _exp(t) * (t - x)
    else:
        pos = t.data > 0
        loss = t * (_log(_where(pos, t, 1.0)) - x)  # xlogy: 0 where y = 0
    if reduction == "batchmean":
        return loss.sum() / (x.shape[0] if x.ndim else 1)
    return _reduce(loss, reduction)


# ------------------------------------------------------------------ likelihood losses
_HALF_LOG_2PI = 0.9189385332046727  # ½ ln 2π


def poisson_nll_loss(
    input,
    target,
    log_input=True,
    full=False,
    size_average=None,
    eps=1e-8,
    reduce=None,
    reduction="mean",
) -> Tensor:
    """Negative log-likelihood of a Poisson target y with rate λ, up to ln y!:

        ℓ = e^x − y x           (``log_input``: x = ln λ)
        ℓ = x − y ln(x + ε)     (else: x = λ)

    ``full`` adds Stirling's ln y! ≈ y ln y − y + ½ ln(2π y) where y > 1 (0 where y ≤ 1). The
    target is differentiated too. Shapes broadcast."""
    op = "poisson_nll_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    eps = number_arg(eps, op, "eps")
    x, t = _float_pair(input, target, op)
    broadcast_shapes(tuple(x.shape), tuple(t.shape), op=op)
    if log_input:
        loss = _exp(x) - t * x
    else:
        loss = x - t * _log(x + eps)
    if full:
        big = t.data > 1
        ts = _where(big, t, 1.0)  # y ≤ 1: a stand-in, so neither value nor gradient is NaN
        stirling = ts * _log(ts) - ts + _log(ts) * 0.5 + _HALF_LOG_2PI
        loss = loss + _where(big, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean") -> Tensor:
    """Negative log-likelihood of target y under N(x, σ²), σ² = ``var``:

        ℓ = ½ (ln max(σ², ε) + (x − y)² / max(σ², ε))   (+ ½ ln 2π with ``full``)

    As torch, the clamp at ε changes only the value: the gradient passes straight through it,
    ∂ℓ/∂σ² = ½ (1/v − (x − y)²/v²) with v = max(σ², ε). ``var`` is a number, or a tensor of
    the input's shape, or of that shape with the last dimension dropped or one dimension 1
    (one variance shared along it). It must be non-negative."""
    op = "gaussian_nll_loss"
    reduction = _reduction(reduction, None, None, op)
    eps = number_arg(eps, op, "eps")
    x, t = _float_pair(input, target, op)
    broadcast_shapes(tuple(x.shape), tuple(t.shape), op=op)
    if not isinstance(var, Tensor) and isinstance(backend.number(var), (int, float)):
        v = backend.number(var)
        if v < 0:
            raise ValueError(f"{op}: var must be non-negative, got {v}")
        var = x.new_full(tuple(x.shape), v)
    var = as_tensor(var)
    if var.dtype.kind != "f":
        var = var.to(x.dtype)
    xs, vs = tuple(x.shape), tuple(var.shape)
    if vs != xs:
        if xs[:-1] == vs:
            var = var.unsqueeze(-1)
        elif not (len(vs) == len(xs) and sum(b for a, b in zip(xs, vs) if a != b) == 1):
            raise ValueError(
                f"{op}: var of shape {vs} does not fit input of shape {xs}: expected {xs}, "
                f"{xs[:-1]}, or {xs} with one dimension 1"
            )
    if var.numel() and bool((var.data < 0).any()):
        raise ValueError(f"{op}: var must be non-negative, got {float(var.data.min())}")
    v = ClampMinStraight(eps)(var)
    d = x - t
    loss = (_log(v) + d * d / v) * 0.5
    if full:
        loss = loss + _HALF_LOG_2PI
    return _reduce(loss, reduction)


# ------------------------------------------------------------------ embedding losses
def triplet_margin_with_distance_loss(
    anchor,
    positive,
    negative,
    *,
    distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """max(0, d(a, p) − d(a, n) + margin) for any distance d (``distance_function``, a callable
    of two tensors; default ``pairwise_distance``, the 2-norm ‖u − v + 1e-6‖ over the last
    dimension). With ``swap``, d(a, n) is replaced by min(d(a, n), d(p, n)). The gradient at the
    hinge's kink passes, as torch's ``clamp_min``. The three inputs have the same number of
    dimensions; d decides the rest."""
    op = "triplet_margin_with_distance_loss"
    reduction = _reduction(reduction, None, None, op)
    margin = number_arg(margin, op, "margin")
    if margin <= 0:
        raise ValueError(f"{op}: margin must be greater than 0, got {margin}")
    a, pos, neg = as_tensor(anchor), as_tensor(positive), as_tensor(negative)
    if not a.ndim == pos.ndim == neg.ndim:
        raise ValueError(
            f"{op}: anchor, positive and negative must have the same number of dimensions, got "
            f"shapes {tuple(a.shape)}, {tuple(pos.shape)} and {tuple(neg.shape)}"
        )
    d = pairwise_distance if distance_function is None else distance_function
    d_pos, d_neg = as_tensor(d(a, pos)), as_tensor(d(a, neg))
    if swap:
        d_neg = d_neg.minimum(as_tensor(d(pos, neg)))
    return _reduce(clamp(margin + d_pos - d_neg, min=0), reduction)


__all__ = [
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "kl_div",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "nll_loss",
    "cross_entropy",
    "poisson_nll_loss",
    "gaussian_nll_loss",
    "triplet_margin_with_distance_loss",
]
