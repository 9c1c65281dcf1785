"""scatter_reduce: reduce src into a copy of the input at the places an index names along one
dimension (sum, prod, mean, amax, amin; with or without the input's own values), with torch's
gradients. Sum and mean are scatter_add's Functions; products (``ScatterProd``, exact where
values are zero) and extremes (``ScatterExtreme``, the gradient shared among ties) are their
own.
"""

from __future__ import annotations

from .. import backend
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor, _normalize_dim, as_tensor
from .arithmetic import _where
from .scatter import Scatter, ScatterAddInto, _flat, _scatter_key
from .selection import _gather
from .shape import broadcast_shapes


def _segments(size, pos, vals, combine):
    """out[p] = ``combine`` folded over the ``vals`` at flat positions ``pos`` == p (0 where
    none): one round per rank within a place, so each round writes distinct places (CuPy has
    no ``multiply.at``)."""
    xp = get_array_module(vals)
    out = xp.zeros(size, dtype=vals.dtype)
    order = xp.argsort(pos)
    p, v = pos[order], vals[order]
    rank = xp.arange(p.size) - xp.searchsorted(p, p, side="left")
    for r in range(int(rank.max()) + 1 if rank.size else 0):
        at = rank == r
        out[p[at]] = v[at] if r == 0 else combine(out[p[at]], v[at])
    return out


def _touched(size, pos, xp):
    t = xp.zeros(size, dtype=bool)
    t[pos] = True
    return t


class ScatterProd(Function):
    """Flat y[p] = x[p] (with include_self) · Π_{pos[j] = p} v[j]; y[p] = x[p] where no v lands.
    ∂y[p]/∂(a factor) = the product of the other factors at p: nz / factor when p has no zero
    factor, nz (the product of the nonzero factors) for the one zero factor when p has exactly
    one, else 0. Written with ``_where`` and gathers, it records on Tensors (double backward)."""

    def __init__(self, pos, include_self):
        self.pos, self.include_self = pos, include_self

    def forward(self, x, v):
        xp = get_array_module(x)
        y = _segments(x.size, self.pos, v, xp.multiply)
        touched = _touched(x.size, self.pos, xp)
        self.save_for_backward(x, v)
        return xp.where(touched, y * x if self.include_self else y, x)

    def backward(self, gy):
        x, v = self.saved  # Tensors when gy is one (create_graph), else arrays
        xd, vd = (x.data, v.data) if isinstance(x, Tensor) else (x, v)
        xp = get_array_module(xd)
        pos, touched = self.pos, _touched(xd.size, self.pos, xp)
        zeros = xp.zeros(xd.size, dtype="int64")  # how many factors at each place are 0
        backend.scatter_add(zeros, pos, (vd == 0).astype("int64"))
        if self.include_self:
            zeros += xd == 0
        nz_x, nz_v = _where(xd == 0, 1, x), _where(vd == 0, 1, v)
        nz = ScatterProd(pos, self.include_self)
        nz = nz(nz_x, nz_v) if isinstance(gy, Tensor) else nz.forward(nz_x, nz_v)
        gx = gv = None
        if self.needs_input_grad[0]:
            if self.include_self:
                others = _where(zeros == 0, nz / nz_x, _where((xd == 0) & (zeros == 1), nz, 0))
                gx = _where(touched, gy * others, gy)
            else:
                gx = _where(touched, 0, gy)
        if self.needs_input_grad[1]:
            zp, nzp = zeros[pos], _gather(nz, (pos,))
            others = _where(zp == 0, nzp / nz_v, _where((vd == 0) & (zp == 1), nzp, 0))
            gv = _gather(gy, (pos,)) * others
        return gx, gv


class ScatterExtreme(Function):
    """Flat y[p] = max (amax) or min (amin) of x[p] (with include_self) and the v landing at p;
    y[p] = x[p] where none lands. As torch, gy[p] is shared evenly by every value equal to
    y[p]: ∂y[p]/∂e = [e = y[p]] / (how many equal y[p]). Also as torch, without include_self
    an x[p] equal to y[p] still counts among the ties, though it receives nothing."""

    def __init__(self, pos, include_self, largest):
        self.pos, self.include_self, self.largest = pos, include_self, largest

    def forward(self, x, v):
        xp = get_array_module(x)
        pick = xp.maximum if self.largest else xp.minimum
        y = _segments(x.size, self.pos, v, pick)
        touched = _touched(x.size, self.pos, xp)
        y = xp.where(touched, pick(y, x) if self.include_self else y, x)
        self.eq_v = v == y[self.pos]
        self.eq_x = ~touched | ((x == y) & self.include_self)
        n = (~touched | (x == y)).astype(x.dtype)  # torch counts a tying x even if left out
        backend.scatter_add(n, self.pos, self.eq_v.astype(x.dtype))
        self.n = xp.where(n == 0, 1, n)
        return y

    def backward(self, gy):
        share = gy / self.n
        gx = _where(self.eq_x, share, 0) if self.needs_input_grad[0] else None
        gv = _where(self.eq_v, _gather(share, (self.pos,)), 0) if self.needs_input_grad[1] else None
        return gx, gv


_REDUCE = ("sum", "prod", "mean", "amax", "amin")


def scatter_reduce(input, dim: int, index, src, reduce: str, *, include_self: bool = True):
    """out = input with src's values folded in at the places index names along dim (dim = 1):

        out[i][index[i][j][k]][k] = reduce(out[i][index[i][j][k]][k], src[i][j][k])

    ``reduce`` is "sum", "prod", "mean", "amax" or "amin"; with ``include_self=False`` input's
    own value at a place written to is left out of the reduction (places not written keep
    input's value). "mean" divides by the number of values reduced (floor division for ints).

    Gradients as torch: sum and mean are linear; prod gives each factor the product of the
    others (exact with zeros); amax and amin share gy evenly among the values that tie with the
    result. Shapes as in ``scatter``.
    """
    if reduce not in _REDUCE:
        raise ValueError(f"scatter_reduce: reduce must be one of {_REDUCE}, got {reduce!r}")
    x, s = as_tensor(input), as_tensor(src)
    if x.ndim == 0:
        _normalize_dim(dim, 0, "scatter_reduce")
        y = scatter_reduce(
            x.reshape(1), 0, _flat(index), _flat(s), reduce, include_self=include_self
        )
        return y.reshape(())
    key, part = _scatter_key(x, dim, index, s, "scatter_reduce")
    if reduce in ("sum", "mean"):
        base = x if include_self else Scatter(key, part, 0)(x)
        y = ScatterAddInto(key, part)(base, s)
        if reduce == "sum":
            return y
        xp = get_array_module(x.data)
        n = xp.full(x.shape, 1 if include_self else 0, dtype=x.dtype)
        backend.scatter_add(n, key, xp.ones(_shape_of(key), x.dtype))
        n = xp.where(n == 0, 1, n)
        return y // n if x.dtype.kind in "iu" else y / n
    strides = [1] * x.ndim
    for d in range(x.ndim - 2, -1, -1):
        strides[d] = strides[d + 1] * x.shape[d + 1]
    pos = sum(k * st for k, st in zip(key, strides))
    pos = get_array_module(x.data).broadcast_to(pos, _shape_of(key)).reshape(-1)
    xf, v = x.reshape(-1), s[part].reshape(-1)
    if reduce == "prod":
        y = ScatterProd(pos, include_self)(xf, v)
    else:
        y = ScatterExtreme(pos, include_self, reduce == "amax")(xf, v)
    return y.reshape(x.shape)


def _shape_of(key):
    """The shape an advanced key's arrays broadcast to (index's shape)."""
    return broadcast_shapes(*[k.shape for k in key])
