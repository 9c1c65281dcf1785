"""Numerical integration and differentiation of sampled functions, with torch's names:
``trapezoid`` (and its older name ``trapz``), ``cumulative_trapezoid`` and ``gradient``.

Along ``dim``, for samples yᵢ at points xᵢ (spacing hᵢ = xᵢ₊₁ − xᵢ, or a constant ``dx``):

    trapezoid             Σᵢ hᵢ (yᵢ + yᵢ₊₁)/2
    cumulative_trapezoid  its running sums, one fewer than the samples

``gradient`` estimates ∂y/∂x by central differences inside and one-sided ones at the two ends
(first order, or second with ``edge_order=2``). For spacings h₁ (behind) and h₂ (ahead):

    f′ᵢ ≈ −h₂/(h₁(h₁+h₂)) fᵢ₋₁ + (h₂−h₁)/(h₁h₂) fᵢ + h₁/(h₂(h₁+h₂)) fᵢ₊₁,

which is (fᵢ₊₁ − fᵢ₋₁)/2h for even spacing h; at the ends (f₁ − f₀)/h₀, or with
``edge_order=2`` the second-order one-sided formula, −(3f₀ − 4f₁ + f₂)/2h for even spacing.

All are compositions of differentiable ops (slices, sums, products), so gradients of any
order, in y and in the coordinates x, come for free. Integer samples give the default float.
"""

from __future__ import annotations

from .. import backend
from ..tensor import Tensor, _normalize_dim, as_tensor
from .shape import cat

np = backend.np


def _floating(y: Tensor) -> Tensor:
    return y if y.dtype.kind == "f" else y.to(backend.DEFAULT_FLOAT)


def _number(v, op: str, name: str):
    v = backend.number(v)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError(f"{op}: {name} must be a number, got {v!r}")
    return v


def _slice(t: Tensor, d: int, start: int, stop: int | None = None) -> Tensor:
    """t[..., start:stop, ...] along dim d (negative bounds count from the end)."""
    key = (slice(None),) * d + (slice(start, stop),)
    return t[key]


def _spacings(y: Tensor, x, d: int, op: str):
    """hᵢ = xᵢ₊₁ − xᵢ as a tensor broadcasting against the pairs of y along dim d."""
    x = _floating(as_tensor(x))
    n = y.shape[d]
    if x.ndim == 1:
        if x.shape[0] != n:
            raise ValueError(
                f"{op}: there must be one x value for each sample point: x has {x.shape[0]} "
                f"and y has {n} along dim {d} (shape {tuple(y.shape)})"
            )
        h = _slice(x, 0, 1) - _slice(x, 0, 0, -1)
        return h.reshape((-1,) + (1,) * (y.ndim - 1 - d))
    try:
        np.broadcast_shapes(tuple(x.shape), tuple(y.shape))
    except ValueError:
        raise ValueError(
            f"{op}: x of shape {tuple(x.shape)} doesn't broadcast with y of shape {tuple(y.shape)}"
        ) from None
    dx = d - y.ndim + x.ndim  # dim d of y, counted in x's dimensions
    if dx < 0 or x.shape[dx] != n:
        raise ValueError(
            f"{op}: there must be one x value for each sample point: x of shape "
            f"{tuple(x.shape)} and y of shape {tuple(y.shape)} along dim {d}"
        )
    return _slice(x, dx, 1) - _slice(x, dx, 0, -1)


def _pairs(y: Tensor, d: int) -> Tensor:
    return (_slice(y, d, 1) + _slice(y, d, 0, -1)) * 0.5


def trapezoid(y: Tensor, x: Tensor | None = None, *, dx=None, dim: int = -1) -> Tensor:
    """∫ y dx by the trapezoidal rule along ``dim``: Σᵢ hᵢ (yᵢ + yᵢ₊₁)/2, with hᵢ the steps
    of the sample points ``x`` (1-D, or broadcasting with y) or the constant ``dx`` (default
    1). Fewer than two samples integrate to 0. Gradient: ∂/∂yᵢ = (hᵢ₋₁ + hᵢ)/2."""
    return _trapezoid(y, x, dx, dim, "trapezoid", cumulative=False)


def trapz(y: Tensor, x: Tensor | None = None, *, dx=None, dim: int = -1) -> Tensor:
    """The older name of ``trapezoid``."""
    return _trapezoid(y, x, dx, dim, "trapz", cumulative=False)


def cumulative_trapezoid(y: Tensor, x: Tensor | None = None, *, dx=None, dim: int = -1) -> Tensor:
    """The running trapezoidal integrals Σᵢ₌₀..ₖ hᵢ (yᵢ + yᵢ₊₁)/2 for k = 0 … n − 2: one fewer
    than the samples along ``dim``. ``x`` and ``dx`` as in ``trapezoid``."""
    return _trapezoid(y, x, dx, dim, "cumulative_trapezoid", cumulative=True)


def _trapezoid(y, x, dx, dim, op, cumulative):
    y = _floating(as_tensor(y))
    if x is not None and dx is not None:
        raise TypeError(f"{op}: give the sample points x or the spacing dx, not both")
    d = _normalize_dim(dim, y.ndim, op)
    if y.ndim == 0:
        raise ValueError(f"{op}: y must have at least one dimension, got a 0-d tensor")
    if x is not None:
        h = _spacings(y, x, d, op)
    else:
        h = 1 if dx is None else _number(dx, op, "dx")
    area = _pairs(y, d) * h  # empty for fewer than two samples: the integral is 0
    return area.cumsum(d) if cumulative else area.sum(d)


# ---------------------------------------------------------------- gradient
def _dims(dim, ndim: int, op: str) -> list:
    if dim is None:
        return list(range(ndim))
    dims = [dim] if isinstance(dim, int) else list(dim)
    out = [_normalize_dim(d, ndim, op) for d in dims]
    for d in out:
        if out.count(d) > 1:
            raise ValueError(f"{op}: dim {d} appears more than once in dim={dim}")
    return out


def _spacing_list(spacing, dims: list, f: Tensor, op: str) -> list:
    """One spacing per differentiated dim: a number, or a 1-D coordinate tensor."""
    if not isinstance(spacing, (list, tuple)):
        return [_number(spacing, op, "spacing")] * len(dims)
    if len(spacing) != len(dims):
        raise ValueError(
            f"{op}: expected spacing to be a number or a list with one entry per dim "
            f"({len(dims)}), got a list of length {len(spacing)}"
        )
    out = []
    for s, d in zip(spacing, dims):
        if isinstance(s, Tensor):
            if s.ndim != 1 or s.shape[0] != f.shape[d]:
                raise ValueError(
                    f"{op}: the coordinates of dim {d} must be 1-D with {f.shape[d]} values, "
                    f"got shape {tuple(s.shape)}"
                )
            out.append(_floating(s))
        else:
            out.append(_number(s, op, "spacing"))
    return out


def _gradient_along(f: Tensor, d: int, h, edge_order: int) -> Tensor:
    """∂f/∂x along dim d for a number step h or 1-D coordinates h (the module's formulas)."""
    lo, mid, hi = _slice(f, d, 0, -2), _slice(f, d, 1, -1), _slice(f, d, 2)
    first, second, last, before = (_slice(f, d, *b) for b in ((0, 1), (1, 2), (-1,), (-2, -1)))
    if not isinstance(h, Tensor):
        center = (hi - lo) / (2 * h)
        if edge_order == 1:
            head, tail = (second - first) / h, (last - before) / h
        else:
            third, third_last = _slice(f, d, 2, 3), _slice(f, d, -3, -2)
            head = (-1.5 * first + 2 * second - 0.5 * third) / h
            tail = (0.5 * third_last - 2 * before + 1.5 * last) / h
        return cat([head, center, tail], d)
    shape = (-1,) + (1,) * (f.ndim - 1 - d)
    dx = h.diff()
    h1, h2 = dx[:-1].reshape(shape), dx[1:].reshape(shape)
    center = (-h2 / (h1 * (h1 + h2))) * lo + ((h2 - h1) / (h1 * h2)) * mid
    center = center + (h1 / (h2 * (h1 + h2))) * hi
    if edge_order == 1:
        head, tail = (second - first) / dx[0], (last - before) / dx[-1]
    else:  # h₁, h₂ the first two steps at the head, the last two at the tail
        third, third_last = _slice(f, d, 2, 3), _slice(f, d, -3, -2)
        a1, a2, b1, b2 = dx[0], dx[1], dx[-2], dx[-1]
        head = (-(2 * a1 + a2) / (a1 * (a1 + a2))) * first + ((a1 + a2) / (a1 * a2)) * second
        head = head + (-a1 / (a2 * (a1 + a2))) * third
        tail = (b2 / (b1 * (b1 + b2))) * third_last + (-(b1 + b2) / (b1 * b2)) * before
        tail = tail + ((2 * b2 + b1) / (b2 * (b1 + b2))) * last
    return cat([head, center, tail], d)


def gradient(input: Tensor, *, spacing=1, dim=None, edge_order: int = 1) -> tuple:
    """∂f/∂xₖ estimated by finite differences, one tensor (input's shape) per dim in ``dim``
    (default: every dim). ``spacing``: the sample step (a number, for every dim), one number
    per dim, or one 1-D coordinate tensor per dim (uneven steps). Central differences inside;
    one-sided of order ``edge_order`` (1 or 2) at the ends, so each dim needs at least
    edge_order + 1 samples."""
    op = "gradient"
    f = _floating(as_tensor(input))
    if edge_order not in (1, 2) or isinstance(edge_order, bool):
        raise ValueError(f"{op}: edge_order must be 1 or 2, got {edge_order!r}")
    if f.ndim == 0:
        return ()
    dims = _dims(dim, f.ndim, op)
    hs = _spacing_list(spacing, dims, f, op)
    for d in dims:
        if f.shape[d] < edge_order + 1:
            raise ValueError(
                f"{op}: each dim needs at least edge_order + 1 = {edge_order + 1} samples, "
                f"got {f.shape[d]} along dim {d} (shape {tuple(f.shape)})"
            )
    return tuple(_gradient_along(f, d, h, edge_order) for d, h in zip(dims, hs))


__all__ = ["cumulative_trapezoid", "gradient", "trapezoid", "trapz"]
