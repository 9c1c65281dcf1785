"""Margin and ranking losses: margin_ranking, hinge_embedding, cosine_embedding, soft_margin,
multilabel_soft_margin, multi_margin, multilabel_margin and triplet_margin, with torch's
options and ``reduction`` ('none' | 'mean' | 'sum', or the legacy ``size_average``/``reduce``).

Each is a composition of differentiable ops, so gradients and gradients of gradients come for
free. Hinges follow torch at their kink: ``clamp(·, min=0)`` passes the gradient at 0 where
torch's loss is written with ``clamp_min`` (margin_ranking, hinge_embedding, cosine_embedding,
triplet_margin), ``relu`` gives 0 there where torch's kernel tests z > 0 (multi_margin,
multilabel_margin).
"""

from __future__ import annotations

from ..backend import get_array_module
from ..tensor import Tensor, as_tensor
from .activation import relu, softplus
from .arithmetic import clamp, number_arg, where
from .distance import pairwise_distance
from .loss import BinaryCrossEntropyWithLogits, _float_pair, _reduce, _reduction
from .shape import broadcast_shapes

_INF = float("inf")


def _stable_softplus(x):
    """ln(1 + eˣ) for any x, gradient σ(x) (also at x = 0)."""
    return softplus(x, 1.0, _INF)


def margin_ranking_loss(
    input1,
    input2,
    target,
    margin: float = 0.0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, −y (x₁ − x₂) + margin), y = ±1 saying which of x₁, x₂ should rank higher.
    The three inputs have the same number of dimensions and broadcast; the target is
    differentiated too (∂ℓ/∂y = −(x₁ − x₂) where the hinge is active)."""
    op = "margin_ranking_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    margin = number_arg(margin, op, "margin")
    x1, x2, y = as_tensor(input1), as_tensor(input2), as_tensor(target)
    if not x1.ndim == x2.ndim == y.ndim:
        raise ValueError(
            f"{op}: input1, input2 and target must have the same number of dimensions, got "
            f"shapes {tuple(x1.shape)}, {tuple(x2.shape)} and {tuple(y.shape)}"
        )
    broadcast_shapes(tuple(x1.shape), tuple(x2.shape), tuple(y.shape), op=op)
    return _reduce(clamp(-y * (x1 - x2) + margin, min=0), reduction)


def hinge_embedding_loss(
    input, target, margin: float = 1.0, size_average=None, reduce=None, reduction: str = "mean"
) -> Tensor:
    """x where y = 1, max(0, margin − x) where y = −1 (for x a distance); a target of any
    other value gets both terms, as torch. ∂ℓ/∂x = 1 and −[margin − x ≥ 0] respectively."""
    op = "hinge_embedding_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    margin = number_arg(margin, op, "margin")
    x, y = _float_pair(input, target, op)
    broadcast_shapes(tuple(x.shape), tuple(y.shape), op=op)
    yd = y.data
    loss = where(yd != 1, clamp(margin - x, min=0), 0.0) + where(yd != -1, x, 0.0)
    return _reduce(loss, reduction)


_COS_EPS = 1e-12  # torch's EPSILON, added to each squared norm


def cosine_embedding_loss(
    input1,
    input2,
    target,
    margin: float = 0.0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """1 − cos(x₁, x₂) where y = 1, max(0, cos(x₁, x₂) − margin) where y = −1 (0 for other
    targets), cos = x₁·x₂ / √((‖x₁‖² + 1e-12)(‖x₂‖² + 1e-12)) over the last dimension.
    Inputs (N, D) with target (N,), or (D,) with a 0-d target."""
    op = "cosine_embedding_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    margin = number_arg(margin, op, "margin")
    x1, x2, y = as_tensor(input1), as_tensor(input2), as_tensor(target)
    want = {1: 2, 0: 1}.get(y.ndim)
    if want is None:
        raise ValueError(f"{op}: target must be 0-D or 1-D, got shape {tuple(y.shape)}")
    if x1.ndim != want or x2.ndim != want:
        raise ValueError(
            f"{op}: a {y.ndim}-D target expects {want}-D inputs, got shapes {tuple(x1.shape)} "
            f"and {tuple(x2.shape)}"
        )
    d = y.ndim
    broadcast_shapes(tuple(x1.shape), tuple(x2.shape), op=op)
    prod = (x1 * x2).sum(d)
    denom = (((x1 * x1).sum(d) + _COS_EPS) * ((x2 * x2).sum(d) + _COS_EPS)).sqrt()
    cos = prod / denom
    broadcast_shapes(tuple(cos.shape), tuple(y.shape), op=op)
    yd = y.data
    loss = where(yd == 1, 1 - cos, 0.0) + where(yd == -1, clamp(cos - margin, min=0), 0.0)
    return _reduce(loss, reduction)


def soft_margin_loss(
    input, target, size_average=None, reduce=None, reduction: str = "mean"
) -> Tensor:
    """ln(1 + e^(−y x)), the logistic loss for targets y = ±1, computed stably (torch's
    overflows to inf where −y x > 88 in float32); ∂ℓ/∂x = −y σ(−y x)."""
    op = "soft_margin_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    x, y = _float_pair(input, target, op)
    broadcast_shapes(tuple(x.shape), tuple(y.shape), op=op)
    return _reduce(_stable_softplus(-y * x), reduction)


def multilabel_soft_margin_loss(
    input, target, weight=None, size_average=None, reduce=None, reduction: str = "mean"
) -> Tensor:
    """(1/C) Σ_c w_c (−y_c ln σ(x_c) − (1 − y_c) ln σ(−x_c)) over the last (class) dimension
    of size C: one binary logistic loss per class, averaged. ``weight`` broadcasts against
    the input (usually (C,)); 'none' gives one loss per sample."""
    op = "multilabel_soft_margin_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    x, y = _float_pair(input, target, op)
    if x.ndim == 0:
        raise ValueError(f"{op}: input must have a class dimension, got a 0-d tensor")
    shape = broadcast_shapes(tuple(x.shape), tuple(y.shape), op=op)
    if tuple(x.shape) != shape:
        x = x.broadcast_to(shape)
    if tuple(y.shape) != shape:
        y = y.broadcast_to(shape)
    loss = BinaryCrossEntropyWithLogits(None, None)(x, y)  # stable, exact at any logit
    if weight is not None:
        loss = loss * as_tensor(weight)
    C = x.shape[-1]
    return _reduce(loss.sum(-1) / C, reduction)


def _class_index(x, target, op):
    """Check class indices for input (N, C) or (C,): integer, in [0, C), one per sample."""
    t = as_tensor(target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold integer class indices, got dtype {t.dtype}")
    want = tuple(x.shape[:1]) if x.ndim == 2 else ()
    if tuple(t.shape) != want and not (x.ndim == 1 and tuple(t.shape) == (1,)):
        raise ValueError(
            f"{op}: expected target of shape {want} for input of shape {tuple(x.shape)}, got "
            f"{tuple(t.shape)}"
        )
    td = t.data.reshape(-1)
    C = x.shape[-1]
    if td.size and (int(td.min()) < 0 or int(td.max()) >= C):
        bad = td[(td < 0) | (td >= C)][0]
        raise IndexError(f"{op}: target {int(bad)} out of range for {C} classes")
    return td


def multi_margin_loss(
    input,
    target,
    p: int = 1,
    margin: float = 1.0,
    weight=None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """The multi-class hinge loss, for input (N, C) or (C,) and class indices y:

        ℓ = (1/C) Σ_{i ≠ y} w_y max(0, margin − x_y + x_i)^p,     p = 1 or 2.

    Terms at exactly 0 get no gradient (as torch's kernel)."""
    op = "multi_margin_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    p = number_arg(p, op, "p")
    if p not in (1, 2):
        raise ValueError(f"{op}: only p == 1 and p == 2 are supported, got p={p}")
    margin = number_arg(margin, op, "margin")
    x = as_tensor(input)
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: input must be floating point, got dtype {x.dtype}")
    if x.ndim not in (1, 2):
        raise ValueError(f"{op}: input must be 1-D (C,) or 2-D (N, C), got shape {x.shape}")
    td = _class_index(x, target, op)
    unbatched = x.ndim == 1
    x2 = x.reshape(1, -1) if unbatched else x
    N, C = x2.shape
    xp = get_array_module(x.data)
    rows = xp.arange(N)
    z = relu(margin - x2[rows, td].reshape(N, 1) + x2)
    if p == 2:
        z = z * z
    others = xp.arange(C).reshape(1, C) != td.reshape(N, 1)
    loss = where(others, z, 0.0)
    if weight is not None:
        w = as_tensor(weight)
        if tuple(w.shape) != (C,):
            raise ValueError(
                f"{op}: weight must have shape ({C},) (one per class), got {tuple(w.shape)}"
            )
        loss = loss * w.to(x.dtype)[td].reshape(N, 1)
    loss = loss.sum(1) / C
    return _reduce(loss.reshape(()) if unbatched else loss, reduction)


def multilabel_margin_loss(
    input, target, size_average=None, reduce=None, reduction: str = "mean"
) -> Tensor:
    """The multi-label hinge loss, for input (N, C) or (C,) and a target of the same shape
    holding each sample's class indices, ended by the first −1:

        ℓ = (1/C) Σ_{j ∈ targets} Σ_{i ∉ targets} max(0, 1 − (x_j − x_i)).

    Terms at exactly 0 get no gradient (as torch's kernel)."""
    op = "multilabel_margin_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    x, t = as_tensor(input), as_tensor(target)
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: input must be floating point, got dtype {x.dtype}")
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold integer class indices, got dtype {t.dtype}")
    if x.ndim not in (1, 2) or tuple(t.shape) != tuple(x.shape):
        raise ValueError(
            f"{op}: input must be (C,) or (N, C) and target of the same shape, got "
            f"{tuple(x.shape)} and {tuple(t.shape)}"
        )
    unbatched = x.ndim == 1
    x2 = x.reshape(1, -1) if unbatched else x
    td = t.data.reshape(x2.shape)
    N, C = x2.shape
    if td.size and (int(td.min()) < -1 or int(td.max()) >= C):
        bad = td[(td < -1) | (td >= C)][0]
        raise IndexError(f"{op}: target {int(bad)} out of range for {C} classes (or -1)")
    xp = get_array_module(td)
    # the targets that count: those before each row's first −1
    valid = xp.cumsum(td == -1, axis=1) == 0
    safe = xp.where(valid, td, 0)
    is_target = xp.zeros((N, C), dtype=bool)
    rows = xp.broadcast_to(xp.arange(N).reshape(N, 1), (N, C))
    is_target[rows[valid], safe[valid]] = True
    xj = x2[xp.arange(N).reshape(N, 1), safe]  # (N, J): the target classes' scores
    z = relu(1 - xj.reshape(N, C, 1) + x2.reshape(N, 1, C))  # (N, J, I)
    pairs = valid.reshape(N, C, 1) & ~is_target.reshape(N, 1, C)
    loss = where(pairs, z, 0.0).sum((1, 2)) / C
    return _reduce(loss.reshape(()) if unbatched else loss, reduction)


def triplet_margin_loss(
    anchor,
    positive,
    negative,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, d(a, p) − d(a, n) + margin), d the pairwise_distance ‖u − v + ε‖ₚ over the last
    dimension. With ``swap``, d(a, n) is replaced by min(d(a, n), d(p, n)) (ties split the
    gradient, as torch). Inputs (N, D) or (D,), all with the same number of dimensions."""
    op = "triplet_margin_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    margin = number_arg(margin, op, "margin")
    if margin <= 0:
        raise ValueError(f"{op}: margin must be greater than 0, got {margin}")
    a, pos, neg = as_tensor(anchor), as_tensor(positive), as_tensor(negative)
    if not a.ndim == pos.ndim == neg.ndim:
        raise ValueError(
            f"{op}: anchor, positive and negative must have the same number of dimensions, got "
            f"shapes {tuple(a.shape)}, {tuple(pos.shape)} and {tuple(neg.shape)}"
        )
    d_pos = pairwise_distance(a, pos, p, eps)
    d_neg = pairwise_distance(a, neg, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(pos, neg, p, eps))
    return _reduce(clamp(margin + d_pos - d_neg, min=0), reduction)


__all__ = [
    "margin_ranking_loss",
    "hinge_embedding_loss",
    "cosine_embedding_loss",
    "soft_margin_loss",
    "multilabel_soft_margin_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "triplet_margin_loss",
]
