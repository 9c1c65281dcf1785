"""Distances and similarities: normalize, cosine_similarity, pairwise_distance, pdist, cdist,
dist.

Each is a composition of differentiable ops (differences, ``norm``, division), so gradients and
gradients of gradients come for free. The p-norm ‖v‖ₚ = (Σ|vᵢ|ᵖ)^(1/p) has gradient
sign(v)|v|^(p−1)/‖v‖ₚ^(p−1), and 0 where ‖v‖ₚ = 0, as torch; p = 0 counts non-zeros
(gradient 0) and p = ∞ is max|vᵢ|.
"""

from __future__ import annotations

from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor, _normalize_dim, as_tensor
from .arithmetic import _d, clamp, number_arg, result_type
from .reduction import norm
from .shape import broadcast_shapes


class ClampMinStraight(Function):
    """y = max(x, lo); dy/dx = 1 (straight through): the clamp changes the value only, as
    torch's ``clamp_`` under ``no_grad`` in cosine_similarity and gaussian_nll_loss."""

    def __init__(self, lo):
        self.lo = lo

    def forward(self, x):
        return get_array_module(x).maximum(x, x.dtype.type(self.lo))

    def backward(self, gy):
        return gy


class CountNonzero(Function):
    """y = Σ [xᵢ ≠ 0] along the last axis (the 0-"norm"); piecewise constant: ∂y/∂x = 0."""

    def forward(self, x):
        self.in_shape = x.shape
        return (x != 0).sum(axis=-1).astype(x.dtype)

    def backward(self, gy):
        xp = get_array_module(_d(gy))
        zeros = xp.zeros(self.in_shape, dtype=gy.dtype)
        return Tensor(zeros) if isinstance(gy, Tensor) else zeros


def _float_tensor(x, op, name="input"):
    x = as_tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be floating point, got dtype {x.dtype}")
    return x


def _p_arg(p, op):
    """A norm order: a number ≥ 0 (inf included)."""
    p = number_arg(p, op, "p")
    if p < 0:
        raise ValueError(f"{op}: p must be non-negative, got {p}")
    return p


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """x / max(‖x‖ₚ, ε), the p-norm taken along ``dim`` (kept for broadcasting).

    Where ‖x‖ₚ < ε the denominator is the constant ε (gradient 1/ε); elsewhere
    ∂yᵢ/∂xⱼ = (δᵢⱼ − yᵢ ∂‖x‖ₚ/∂xⱼ) / ‖x‖ₚ.

    >>> normalize(cr.tensor([[3.0, 4.0]]))
    tensor([[0.6000, 0.8000]])
    """
    if out is not None:
        raise TypeError("normalize: out= is not supported; use the returned tensor")
    x = _float_tensor(input, "normalize")
    p = number_arg(p, "normalize", "p")
    eps = number_arg(eps, "normalize", "eps")
    _normalize_dim(dim, x.ndim, "normalize")
    return x / clamp(_norm(x, p, dim, keepdim=True), min=eps)


def _common_float(x1, x2, op):
    """x1 and x2 in their common floating dtype (an integer side is converted)."""
    x1, x2 = as_tensor(x1), as_tensor(x2)
    dtype = result_type(x1, x2)
    if dtype.kind != "f":
        raise TypeError(
            f"{op}: expected floating point inputs, got dtypes {x1.dtype} and {x2.dtype}"
        )
    return (x1 if x1.dtype == dtype else x1.to(dtype)), (x2 if x2.dtype == dtype else x2.to(dtype))


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Σ_dim (x₁ / max(‖x₁‖, ε)) (x₂ / max(‖x₂‖, ε)), x₁ and x₂ broadcast together first.

    As torch, each norm is clamped at ε on its own, and the clamp passes the gradient straight
    through (it only changes the value): with n̂ = max(‖x₁‖, ε),
    ∂y/∂x₁ = x₂ / (n̂ ‖x₂‖̂) − y x₁ / (n̂ ‖x₁‖) (the second term 0 where x₁ = 0).
    The result has the broadcast shape without ``dim``.
    """
    op = "cosine_similarity"
    x1, x2 = _common_float(x1, x2, op)
    eps = number_arg(eps, op, "eps")
    shape = broadcast_shapes(tuple(x1.shape), tuple(x2.shape), op=op)
    dim = _normalize_dim(dim, len(shape), op)
    if tuple(x1.shape) != shape:
        x1 = x1.broadcast_to(shape)
    if tuple(x2.shape) != shape:
        x2 = x2.broadcast_to(shape)
    n1 = ClampMinStraight(eps)(norm(x1, 2, dim, keepdim=True))
    n2 = ClampMinStraight(eps)(norm(x2, 2, dim, keepdim=True))
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """‖x₁ − x₂ + ε‖ₚ along the last dimension (of the input with more dimensions); the
    inputs broadcast. ε keeps the gradient finite where x₁ = x₂.

    >>> pairwise_distance(cr.tensor([[0.0, 0.0]]), cr.tensor([[3.0, 4.0]]), eps=0.0)
    tensor([5.])
    """
    op = "pairwise_distance"
    x1, x2 = _common_float(x1, x2, op)
    p = _p_arg(p, op)
    eps = number_arg(eps, op, "eps")
    ndim = max(x1.ndim, x2.ndim)
    broadcast_shapes(tuple(x1.shape), tuple(x2.shape), op=op)
    d = x1 - x2 + eps
    if ndim == 0:  # two scalars: |x₁ − x₂ + ε|, 0-d whatever keepdim
        return _norm(d.reshape(1), p, 0)
    return _norm(d, p, -1, keepdim)


def pdist(input, p: float = 2.0) -> Tensor:
    """The p-norm distance between each pair of rows of ``input`` (N, M): a vector of the
    N(N − 1)/2 distances ‖xᵢ − xⱼ‖ₚ for i < j, in row-major order (as the upper triangle of
    ``cdist(x, x)``). The gradient is 0 where two rows coincide."""
    op = "pdist"
    x = _float_tensor(input, op)
    if x.ndim != 2:
        raise ValueError(f"{op}: input must be 2-D (N, M), got shape {tuple(x.shape)}")
    p = _p_arg(p, op)
    xp = get_array_module(x.data)
    i, j = xp.triu_indices(x.shape[0], 1)
    return _norm(x[i] - x[j], p, -1)


def _norm(d, p, dim, keepdim=False):
    """‖d‖ₚ along ``dim``: 0 where that dimension is empty (the max of nothing, for p = ∞, is
    taken as 0), and a count of non-zeros with a zero gradient for p = 0."""
    dim = _normalize_dim(dim, d.ndim, "norm")
    if d.shape[dim] == 0:
        p = 1
    if p == 0:
        y = CountNonzero()(d.movedim(dim, -1))
        return y.unsqueeze(dim) if keepdim else y
    return norm(d, p, dim, keepdim)


def cdist(x1, x2, p: float = 2.0, compute_mode: str | None = None) -> Tensor:
    """The p-norm distance between each pair of rows of x₁ (B…, P, M) and x₂ (B…, R, M):
    y[…, i, j] = ‖x₁[…, i, :] − x₂[…, j, :]‖ₚ, of shape (B…, P, R), the batch dimensions B…
    broadcast. p ≥ 0, inf included.

    ``compute_mode`` is accepted for torch's signature and ignored: distances are always
    computed from the differences (torch may use ‖a‖² + ‖b‖² − 2a·b for p = 2, faster but less
    accurate for nearby points). The gradient is 0 where two rows coincide.
    """
    op = "cdist"
    x1, x2 = _float_tensor(x1, op, "x1"), _float_tensor(x2, op, "x2")
    for name, x in (("x1", x1), ("x2", x2)):
        if x.ndim < 2:
            raise ValueError(
                f"{op}: {name} must be at least 2-D (…, rows, M), got shape {tuple(x.shape)}"
            )
    if x1.shape[-1] != x2.shape[-1]:
        raise ValueError(
            f"{op}: x1 and x2 must have the same last dimension, got {tuple(x1.shape)} and "
            f"{tuple(x2.shape)}"
        )
    if x1.dtype != x2.dtype:
        raise TypeError(f"{op}: x1 and x2 must have the same dtype, got {x1.dtype} and {x2.dtype}")
    valid = (
        None,
        "use_mm_for_euclid_dist_if_necessary",
        "use_mm_for_euclid_dist",
        "donot_use_mm_for_euclid_dist",
    )
    if compute_mode not in valid:
        raise ValueError(f"{op}: {compute_mode!r} is not a valid value for compute_mode")
    p = _p_arg(p, op)
    broadcast_shapes(tuple(x1.shape[:-2]), tuple(x2.shape[:-2]), op=op)
    return _norm(x1.unsqueeze(-2) - x2.unsqueeze(-3), p, -1)


def dist(input, other, p: float = 2.0) -> Tensor:
    """‖x − y‖ₚ over all elements of the broadcast difference: a 0-d tensor."""
    op = "dist"
    x, y = _common_float(input, other, op)
    p = number_arg(p, op, "p")
    broadcast_shapes(tuple(x.shape), tuple(y.shape), op=op)
    return _norm((x - y).reshape(-1), p, 0)


__all__ = ["normalize", "cosine_similarity", "pairwise_distance", "pdist", "cdist", "dist"]
