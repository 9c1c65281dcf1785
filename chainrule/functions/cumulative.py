"""Running ops along one dimension: cumsum, cumprod and diff.

Each output yᵢ gathers the inputs x_j with j ≤ i, so each input's gradient gathers the upstream
gradients from its own position to the end: a running sum taken backwards (cumsum), the same
weighted by the other factors (cumprod, with care where a factor is zero), or the gradients
of the slices and subtractions that make up a difference (diff).
"""

from __future__ import annotations

import builtins

from .. import backend
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor, _normalize_dim, as_tensor
from .arithmetic import _d, _where
from .shape import cat, flip, stack


class Cumsum(Function):
    """Running sums along ``axis``: yᵢ = Σ_{j≤i} xⱼ. Each xⱼ feeds every yᵢ with i ≥ j, so its
    gradient is the running sum of gy taken from the end: flip, cumsum, flip."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        xp = get_array_module(x)
        if x.dtype.kind in "biu":  # torch: integer and bool sums are int64
            return xp.cumsum(x, axis=self.axis, dtype=backend.DEFAULT_INT)
        return xp.cumsum(x, axis=self.axis)

    def backward(self, gy):
        if isinstance(gy, Tensor):
            return flip(Cumsum(self.axis)(flip(gy, self.axis)), self.axis)
        xp = get_array_module(gy)
        return xp.flip(xp.cumsum(xp.flip(gy, self.axis), axis=self.axis), self.axis)


def cumsum(x, dim, *, dtype=None):
    """Running sums along ``dim`` (int and bool inputs sum as int64, as torch); ``dtype``
    casts the input first."""
    return _running(Cumsum, x, dim, dtype, "cumsum")


def _running(cls, x, dim, dtype, op):
    """Running op ``cls`` along ``dim`` of x cast to ``dtype``; a 0-d x as one element."""
    x = as_tensor(x)
    if dtype is not None:
        x = x.to(dtype)
    axis = _normalize_dim(dim, builtins.max(x.ndim, 1), op)
    return cls(axis)(x if x.ndim else x.reshape(1)).reshape(x.shape)


def _rev_cumsum(g, axis):
    """Σ_{j≥i} g_j along ``axis``, the running sum from the end (Cumsum's backward)."""
    return Cumsum(axis).backward(g)


class Cumprod(Function):
    """Running products along ``axis``: yᵢ = Π_{j≤i} xⱼ. Each xₖ is a factor of every yᵢ with
    i ≥ k, so

        gxₖ = Σ_{i≥k} gyᵢ Π_{j≤i, j≠k} xⱼ,

    which is (Σ_{i≥k} gyᵢ yᵢ) / xₖ when no x is zero. In a slice whose first zero is at z, that
    quotient still holds before z (yᵢ = 0 from z on); at z the products skip the zero itself,
    Σ_{i≥z} gyᵢ · cumprod(x with x_z = 1)ᵢ; past z every product holds x_z = 0, so gxₖ = 0.
    That O(n) form has the right value but not the right derivative (past z, gxₖ depends on
    x_z), so a differentiable backward over zeros sums the definition, O(n²), as torch does.
    """

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        xp = get_array_module(x)
        if x.dtype.kind in "biu":  # torch: integer and bool products are int64
            y = xp.cumprod(x, axis=self.axis, dtype=backend.DEFAULT_INT)
        else:
            y = xp.cumprod(x, axis=self.axis)
        self.save_for_backward(x, y)
        return y

    def backward(self, gy):
        x, y = self.saved
        axis = self.axis
        if x.shape[axis] <= 1:
            return gy
        zero = _d(x) == 0
        if not zero.any():
            return _rev_cumsum(gy * y, axis) / x
        if isinstance(gy, Tensor):
            return _cumprod_grad_by_definition(gy, x, axis)
        xp = get_array_module(x)
        seen = xp.cumsum(zero, axis=axis)  # zeros so far along the slice, this one included
        first = zero & (seen == 1)
        at_first = _rev_cumsum(gy * xp.cumprod(x + first, axis=axis), axis)  # x_z taken as 1
        # only the terms before the zero: past it yᵢ = 0, or NaN where an x there is infinite
        before = _rev_cumsum(_where(seen > 0, 0.0, gy * y), axis) / (x + zero)
        return _where(first, at_first, before)


def _cumprod_grad_by_definition(gy, x, axis):
    """gxₖ = Σ_{i≥k} gyᵢ cumprod(x with xₖ = 1)ᵢ for each k, from differentiable ops."""
    xp = get_array_module(x.data)
    n = x.shape[axis]
    place = xp.arange(n).reshape((n,) + (1,) * (x.ndim - axis - 1))
    parts = []
    for k in range(n):
        cp = Cumprod(axis)(_where(xp.broadcast_to(place == k, x.shape), 1.0, x))
        tail = (slice(None),) * axis + (slice(k, None),)
        parts.append((gy[tail] * cp[tail]).sum(axis=axis))
    return stack(parts, axis)


def cumprod(input, dim: int, *, dtype=None) -> Tensor:
    """Running products along ``dim``: yᵢ = x₀ x₁ … xᵢ (int and bool inputs multiply as int64,
    as torch); ``dtype`` casts the input first.

    Gradient: gxₖ = Σ_{i≥k} gyᵢ Π_{j≤i, j≠k} xⱼ, exact also where x has zeros.
    """
    return _running(Cumprod, input, dim, dtype, "cumprod")


def diff(input, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """The n-th forward difference along ``dim``: out[i] = x[i + 1] − x[i], applied n times
    (bool inputs: x[i + 1] xor x[i]); ``prepend`` and ``append`` are joined to input along dim
    first. Slices and subtractions, so the gradient follows from theirs.

        >>> diff(tensor([1, 4, 9, 16]))
        tensor([3, 5, 7])
    """
    x = as_tensor(input)
    if x.ndim == 0:
        raise ValueError("diff: expected an input of at least one dimension, got a 0-d tensor")
    if int(n) < 0:
        raise ValueError(f"diff: n must be non-negative, got {n}")
    axis = _normalize_dim(dim, x.ndim, "diff")
    if prepend is not None or append is not None:
        parts = []
        for name, t in (("prepend", prepend), (None, x), ("append", append)):
            if t is None:
                continue
            t = as_tensor(t)
            if t.ndim != x.ndim:
                raise ValueError(
                    f"diff: {name} must have as many dimensions as input, got {name} shape "
                    f"{t.shape} for input shape {x.shape}"
                )
            parts.append(t)
        x = cat(parts, axis)
    later = (slice(None),) * axis + (slice(1, None),)
    earlier = (slice(None),) * axis + (slice(None, -1),)
    for _ in range(int(n)):
        if x.dtype.kind == "b":
            x = x[later] != x[earlier]
        else:
            x = x[later] - x[earlier]
    return x
