"""Running ops along one dimension: cumsum, cumprod, diff, cummax, cummin and logcumsumexp.

Each output yᵢ gathers the inputs x_j with j ≤ i, so each input's gradient gathers the upstream
gradients from its own position to the end: a running sum taken backwards (cumsum), the same
weighted by the other factors (cumprod, with care where a factor is zero), or the gradients
of the slices and subtractions that make up a difference (diff).
"""

from __future__ import annotations

import builtins
from collections import namedtuple

from .. import backend
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor, _normalize_dim, as_tensor
from .arithmetic import _d, _exp, _where
from .selection import Gather, _pick_key
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


# ---------------------------------------------------------------- cummax, cummin
def _accumulate(ufunc, a, axis):
    """ufunc.accumulate(a, axis), stepping along the axis on a backend that lacks it."""
    try:
        return ufunc.accumulate(a, axis=axis)
    except (AttributeError, NotImplementedError, TypeError):
        xp = get_array_module(a)
        y = xp.moveaxis(a, axis, 0).copy()
        for i in range(1, y.shape[0]):
            y[i] = ufunc(y[i - 1], y[i])
        return xp.moveaxis(y, 0, axis)


cummax_result = namedtuple("cummax", ["values", "indices"])
"""(values, indices), as torch.return_types.cummax."""
cummin_result = namedtuple("cummin", ["values", "indices"])
"""(values, indices), as torch.return_types.cummin."""


def _running_extreme(x, dim, op, result):
    """(values, indices) of the running max (min) along ``dim``: yᵢ = x at indexᵢ, where
    indexᵢ is the last j ≤ i with x_j ≥ every x before it (≤ for the min), or with x_j NaN
    (NaN, once seen, stays: torch's rule). The values are a gather of x, so the gradient
    lands where each running extreme came from."""
    x = as_tensor(x)
    xp = get_array_module(x.data)
    if x.ndim == 0:
        _normalize_dim(dim, 0, op)
        return result(Gather(())(x), Tensor(xp.zeros((), "int64")))
    axis = _normalize_dim(dim, x.ndim, op)
    a = x.data
    ufunc = xp.maximum if op == "cummax" else xp.minimum
    y = _accumulate(ufunc, a, axis)  # NaN propagates through maximum / minimum
    took = a == y
    if a.dtype.kind == "f":
        took |= xp.isnan(a)
    n = a.shape[axis]
    place = xp.arange(n).reshape((n,) + (1,) * (a.ndim - axis - 1))
    index = _accumulate(xp.maximum, xp.where(took, place, 0), axis).astype("int64")
    return result(Gather(_pick_key(index, axis, index.shape))(x), Tensor(index))


def cummax(input, dim: int):
    """(values, indices): the running maximum along ``dim``, yᵢ = max_{j≤i} x_j, and where it
    came from (on ties the latest position; NaN, once met, stays, at the latest NaN).

    Gradient: gy summed back to the positions in ``indices``.

        >>> cummax(tensor([1., 3., 2., 3.]), 0)
        cummax(values=tensor([1., 3., 3., 3.]), indices=tensor([0, 1, 1, 3]))
    """
    return _running_extreme(input, dim, "cummax", cummax_result)


def cummin(input, dim: int):
    """(values, indices): the running minimum along ``dim`` (see cummax; ties: the latest)."""
    return _running_extreme(input, dim, "cummin", cummin_result)


# ---------------------------------------------------------------- logcumsumexp
def _logcumsumexp_array(x, axis):
    """log Σ_{j≤i} exp(x_j) along ``axis``, each step a stable logaddexp."""
    return _accumulate(get_array_module(x).logaddexp, x, axis)


class LogCumSumExp(Function):
    """yᵢ = log Σ_{j≤i} exp(x_j) along ``axis``, with ∂yᵢ/∂x_j = exp(x_j − yᵢ) for j ≤ i, so

        gx_j = Σ_{i≥j} gyᵢ exp(x_j − yᵢ).

    On arrays that sum is taken in log space, positive and negative parts of gy apart:
    gx_j = exp(x_j + L⁺_j) − exp(x_j + L⁻_j), L^± the reversed logcumsumexp of log(±gy) − y
    (every term ≤ 1, so it never overflows). A differentiable backward sums the definition,
    O(n²), where every exponent x_j − yᵢ ≤ 0.
    """

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        y = _logcumsumexp_array(x, self.axis)
        self.save_for_backward(x, y)
        return y

    def backward(self, gy):
        x, y = self.saved
        axis = self.axis
        if isinstance(gy, Tensor):
            return _logcumsumexp_grad_by_definition(gy, x, y, axis)
        xp = get_array_module(gy)
        with backend.np.errstate(divide="ignore", invalid="ignore"):
            gx = xp.zeros_like(x)
            for sign in (1, -1):
                part = sign * gy
                logg = xp.where(part > 0, xp.log(xp.where(part > 0, part, 1)), -xp.inf)
                rev = xp.flip(_logcumsumexp_array(xp.flip(logg - y, axis), axis), axis)
                gx = gx + sign * xp.exp(rev + x)
        return gx.astype(x.dtype, copy=False)


def _logcumsumexp_grad_by_definition(gy, x, y, axis):
    """gx_j = Σ_{i≥j} gyᵢ exp(x_j − yᵢ), from differentiable ops (a (…, n, n) intermediate)."""
    xp = get_array_module(x.data)
    n = x.shape[axis]
    xm, ym, gm = (t.movedim(axis, -1) for t in (x, y, gy))
    upper = xp.arange(n).reshape(n, 1) <= xp.arange(n).reshape(1, n)  # [j, i]: i ≥ j
    e = _where(upper, xm.unsqueeze(-1) - ym.unsqueeze(-2), -float("inf"))
    return (_exp(e) * gm.unsqueeze(-2)).sum(-1).movedim(-1, axis)


def logcumsumexp(input, dim: int) -> Tensor:
    """yᵢ = log Σ_{j≤i} exp(x_j) along ``dim``, computed stably (a running logaddexp).

    Gradient: gx_j = Σ_{i≥j} gyᵢ exp(x_j − yᵢ) (a softmax of the prefix, weighted by gy).
    """
    x = as_tensor(input)
    if x.dtype.kind != "f":
        raise TypeError(f"logcumsumexp: input dtype should be floating point, got {x.dtype}")
    axis = _normalize_dim(dim, builtins.max(x.ndim, 1), "logcumsumexp")
    return LogCumSumExp(axis)(x if x.ndim else x.reshape(1)).reshape(x.shape)
