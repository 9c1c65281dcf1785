"""Scatter and its kin: scatter, scatter_add, masked_select; nonzero, argwhere, count_nonzero;
and meshgrid.

scatter writes into a copy of the input at the places an index names along one dimension,
the mirror image of gather (dim = 1):

    scatter(x, 1, index, src):      y[i, index[i, j, k], k] = src[i, j, k]
    scatter_add(x, 1, index, src):  y[i, index[i, j, k], k] += src[i, j, k]

The written places are one advanced key (selection's ``_pick_key``, built on index's shape),
so ``y[key] = src[part]``, with ``part`` the leading block of src that index covers. Both are
linear; their gradients are gathers with the same key:

* to the input: gy, with zeros where scatter overwrote (scatter_add keeps all of gy);
* to src: ``gy[key]``, placed back in src's block (the rest of src was never read).

masked_select is a gather at the places a mask is true; nonzero and count_nonzero only count,
so they return constant int64 Tensors; meshgrid is reshape + expand.

The index_* family, index_put, put and masked_scatter are the same two Functions (or a
``where``) with other keys: a slice per dimension and one index array along ``dim``, the
caller's own advanced key, flat positions, or the true places of a mask. scatter_reduce adds
two Functions of its own for products (ScatterProd) and extremes (ScatterExtreme).
"""

from __future__ import annotations

from .. import backend
from ..autograd.function import Function
from ..backend import get_array_module, is_array
from ..tensor import Tensor, _normalize_dim, as_tensor
from .arithmetic import _where
from .selection import Gather, _check_bounds, _gather, _index_array, _pick_key, _scatter_add
from .shape import broadcast_shapes, broadcast_to


# ---------------------------------------------------------------- scatter, scatter_add
class Scatter(Function):
    """y = x with y[key] = src[part] (or a number ``value``); repeats: the last write wins.
    ∂L/∂x = gy with zeros where y was overwritten; ∂L/∂src = gy[key] in src's block ``part``."""

    def __init__(self, key, part, value=None):
        self.key, self.part, self.value = key, part, value

    def forward(self, x, src=None):
        xp = get_array_module(x)
        y = x.copy()
        y[self.key] = self.value if src is None else src[self.part]
        self.written = xp.zeros(x.shape, dtype=bool)
        self.written[self.key] = True
        self.src_shape = None if src is None else src.shape
        return y

    def backward(self, gy):
        gx = _where(self.written, 0.0, gy)
        if self.src_shape is None:
            return gx
        nx, ns = self.needs_input_grad
        gsrc = _src_grad(gy, self.key, self.part, self.src_shape) if ns else None
        return gx if nx else None, gsrc


class ScatterAddInto(Function):
    """y = x with src[part] added at key (repeats accumulate).
    ∂L/∂x = gy; ∂L/∂src = gy[key] in src's block ``part``."""

    def __init__(self, key, part):
        self.key, self.part = key, part

    def forward(self, x, src):
        y = x.copy()
        backend.scatter_add(y, self.key, src[self.part])
        self.src_shape = src.shape
        return y

    def backward(self, gy):
        nx, ns = self.needs_input_grad
        gsrc = _src_grad(gy, self.key, self.part, self.src_shape) if ns else None
        return gy if nx else None, gsrc


def _src_grad(gy, key, part, src_shape):
    """gy[key], put in the block ``part`` of zeros(src_shape) when index is smaller than src."""
    g = _gather(gy, key)
    return g if g.shape == tuple(src_shape) else _scatter_add(g, part, src_shape)


def _scatter_key(x, dim, index, src, op):
    """Check scatter's arguments as torch does; return (key, part): ``key`` the places written
    in x, ``part`` the block of src read."""
    xp = get_array_module(x.data)
    index = _index_array(index, xp, op, kinds=("int64",))
    axis = _normalize_dim(dim, x.ndim, op)
    if index.ndim != x.ndim:
        raise ValueError(
            f"{op}: index must have as many dimensions as input, got index shape "
            f"{index.shape} for input shape {x.shape}"
        )
    if src is not None:
        if src.ndim != index.ndim:
            raise ValueError(
                f"{op}: index must have as many dimensions as src, got index shape "
                f"{index.shape} for src shape {src.shape}"
            )
        if src.dtype != x.dtype:
            raise TypeError(f"{op}: expected src dtype {x.dtype} (input's), got {src.dtype}")
    for d in range(index.ndim):
        if (d != axis and index.shape[d] > x.shape[d]) or (
            src is not None and index.shape[d] > src.shape[d]
        ):
            also = "" if src is None else f" and no larger than src shape {src.shape}"
            raise ValueError(
                f"{op}: index shape {index.shape} must be no larger than input shape "
                f"{x.shape} apart from dimension {axis}{also}"
            )
    index = _check_bounds(index, x.shape[axis], axis, op)
    return _pick_key(index, axis, index.shape), tuple(slice(0, n) for n in index.shape)


def scatter(input, dim: int, index, src=None, *, value=None) -> Tensor:
    """A copy of input with src written at the places index names along ``dim`` (dim = 1):

        out[i][index[i][j][k]][k] = src[i][j][k]

    ``src`` may be a number (or pass ``value=``): that number is written everywhere. index is
    int64 with input's number of dimensions, no larger than src anywhere and than input apart
    from ``dim``. Where index repeats a place, which write wins is unspecified (as torch).

    Gradient: to input, gy with zeros at the written places; to src, gy gathered at index.

        >>> scatter(zeros(3), 0, tensor([2, 0]), tensor([5., 7.]))
        tensor([7., 0., 5.])
    """
    x = as_tensor(input)
    if src is not None and not isinstance(src, Tensor) and not is_array(src):
        src, value = None, src  # scatter(x, dim, index, 2.5): the number form
    if src is None and value is None:
        raise TypeError("scatter: expected src (a tensor) or value (a number)")
    s = None if src is None else as_tensor(src)
    if x.ndim == 0:  # torch treats a scalar as one element along dim 0
        _normalize_dim(dim, 0, "scatter")
        y = scatter(x.reshape(1), 0, _flat(index), None if s is None else _flat(s), value=value)
        return y.reshape(())
    key, part = _scatter_key(x, dim, index, s, "scatter")
    if s is None:
        return Scatter(key, part, value)(x)
    return Scatter(key, part)(x, s)


def scatter_add(input, dim: int, index, src) -> Tensor:
    """A copy of input with src added at the places index names along ``dim`` (dim = 1):

        out[i][index[i][j][k]][k] += src[i][j][k]

    Repeated places accumulate every contribution. Shapes as in ``scatter``.

    Gradient: to input, gy; to src, gy gathered at index.
    """
    x, s = as_tensor(input), as_tensor(src)
    if x.ndim == 0:
        _normalize_dim(dim, 0, "scatter_add")
        return scatter_add(x.reshape(1), 0, _flat(index), _flat(s)).reshape(())
    key, part = _scatter_key(x, dim, index, s, "scatter_add")
    return ScatterAddInto(key, part)(x, s)


def _flat(a):
    """A 0-d index or src as 1-D (torch treats a scalar as one element along dim 0)."""
    if isinstance(a, Tensor):
        return a.reshape(1) if a.ndim == 0 else a
    return a.reshape(1) if is_array(a) and a.ndim == 0 else a


# ---------------------------------------------------------------- masked_select
def masked_select(input, mask) -> Tensor:
    """The elements of input where the bool ``mask`` is true, as a 1-D tensor in row-major
    order; input and mask broadcast together first.

    Gradient: gy scattered back to the selected places (summed over a broadcast input).
    """
    x = as_tensor(input)
    m = mask.data if isinstance(mask, Tensor) else get_array_module(x.data).asarray(mask)
    if m.dtype.kind != "b":
        raise TypeError(f"masked_select: expected a bool mask, got dtype {m.dtype}")
    shape = broadcast_shapes(x.shape, m.shape, op="masked_select") or (1,)
    xp = get_array_module(x.data)
    if x.shape != shape:
        x = broadcast_to(x.reshape(x.shape or (1,)), shape)
    m = xp.broadcast_to(m.reshape(m.shape or (1,)), shape)
    return Gather(xp.nonzero(m))(x)


# ---------------------------------------------------------------- nonzero, count_nonzero
def nonzero(input, *, as_tuple: bool = False):
    """The int64 indices of the nonzero elements, one row each: shape (n, ndim), row-major
    order. With ``as_tuple``, one 1-D tensor per dimension instead (a 0-d input counts as 1-D).
    No gradient.

        >>> nonzero(tensor([[0, 3], [4, 0]]))
        tensor([[0, 1], [1, 0]])
    """
    a = as_tensor(input).data
    xp = get_array_module(a)
    if as_tuple:
        return tuple(Tensor(i.astype("int64")) for i in xp.nonzero(a.reshape(a.shape or (1,))))
    if a.ndim == 0:
        return Tensor(xp.zeros((int(a != 0), 0), "int64"))
    return Tensor(xp.stack(xp.nonzero(a), axis=1).astype("int64"))


def argwhere(input) -> Tensor:
    """``nonzero(input)``: the (n, ndim) int64 indices of the nonzero elements. No gradient."""
    return nonzero(input)


def count_nonzero(input, dim=None) -> Tensor:
    """How many elements are nonzero, over ``dim`` (an int, a tuple, or None for all): int64,
    no gradient."""
    a = as_tensor(input).data
    xp = get_array_module(a)
    axes = None
    if dim is not None:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        axes = tuple(_normalize_dim(d, max(a.ndim, 1), "count_nonzero") for d in dims)
        if len(set(axes)) < len(axes):
            raise ValueError(f"count_nonzero: dim {dim} names a dimension more than once")
        if a.ndim == 0:
            axes = None
    return Tensor(xp.asarray((a != 0).sum(axis=axes), dtype="int64"))


# ---------------------------------------------------------------- meshgrid
def meshgrid(*tensors, indexing: str = "ij") -> tuple:
    """Coordinate grids from k 1-D (or 0-d) tensors of sizes n₁ … n_k: output i holds tensor i
    along dimension i, repeated along the others, all of shape (n₁, …, n_k). With
    ``indexing="xy"`` the first two dimensions swap: shape (n₂, n₁, n₃, …), as NumPy's default.

    Gradient: each grid summed back over its repeated dimensions.

        >>> meshgrid(tensor([1, 2]), tensor([3, 4, 5]))[0].shape
        (2, 3)
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f'meshgrid: indexing must be "ij" or "xy", got {indexing!r}')
    if not tensors:
        raise ValueError("meshgrid: expected a non-empty sequence of tensors")
    ts = [as_tensor(t) for t in tensors]
    for i, t in enumerate(ts):
        if t.ndim > 1:
            raise ValueError(
                f"meshgrid: expected 0-d or 1-D tensors, tensor {i} has shape {t.shape}"
            )
        if t.dtype != ts[0].dtype:
            raise TypeError(
                f"meshgrid: expected tensors of one dtype, tensor 0 is {ts[0].dtype} and "
                f"tensor {i} is {t.dtype}"
            )
    where = list(range(len(ts)))  # the output dimension each tensor runs along
    if indexing == "xy" and len(ts) > 1:
        where[0], where[1] = 1, 0
    shape = [0] * len(ts)
    for t, d in zip(ts, where):
        shape[d] = t.numel()
    grids = []
    for t, d in zip(ts, where):
        view = [1] * len(ts)
        view[d] = t.numel()
        grids.append(broadcast_to(t.reshape(tuple(view)), tuple(shape)))
    return tuple(grids)


# ---------------------------------------------------------------- index_add, _copy, _fill
def _index_key(x, dim, index, op, source=None):
    """The key ``(:, …, :, index)`` writing along ``dim`` of x, after torch's checks; a 0-d x
    counts as one element along dim 0."""
    xp = get_array_module(x.data)
    index = _index_array(index, xp, op)
    if index.ndim > 1:
        raise ValueError(f"{op}: index must be 0-d or 1-D, got shape {index.shape}")
    axis = _normalize_dim(dim, x.ndim, op)
    shape = x.shape or (1,)
    index = _check_bounds(index.reshape(-1), shape[axis], axis, op)
    if source is not None:
        want = shape[:axis] + (index.size,) + shape[axis + 1 :]
        got = (1,) if x.ndim == 0 and source.ndim == 0 else source.shape
        if tuple(got) != want:
            raise ValueError(
                f"{op}: source shape {source.shape} must be input shape {x.shape} with "
                f"{index.size} (len(index)) at dimension {axis}, that is {want}"
            )
        if source.dtype != x.dtype:
            raise TypeError(f"{op}: expected source dtype {x.dtype} (input's), got {source.dtype}")
    return (slice(None),) * axis + (index,)


def index_add(input, dim: int, index, source, *, alpha=1) -> Tensor:
    """out = input with ``alpha * source`` added at the positions ``index`` (1-D) along dim:
    out[:, index[j]] += alpha · source[:, j] (dim = 1); repeated indices accumulate.

    Gradient: to input, gy; to source, alpha · gy picked at index.
    """
    x, s = as_tensor(input), as_tensor(source)
    key = _index_key(x, dim, index, "index_add", s)
    if x.ndim == 0:
        return index_add(x.reshape(1), 0, index, s.reshape(1), alpha=alpha).reshape(())
    placed = _scatter_add(s, key, x.shape)
    return x + (placed if alpha == 1 else placed * alpha)


def index_copy(input, dim: int, index, source) -> Tensor:
    """out = input with out[:, index[j]] = source[:, j] (dim = 1). Which write wins where index
    repeats is unspecified (as torch).

    Gradient: to input, gy with zeros at the copied slices; to source, gy picked at index.
    """
    x, s = as_tensor(input), as_tensor(source)
    key = _index_key(x, dim, index, "index_copy", s)
    if x.ndim == 0:
        return index_copy(x.reshape(1), 0, index, s.reshape(1)).reshape(())
    return Scatter(key, ())(x, s)


def index_fill(input, dim: int, index, value) -> Tensor:
    """out = input with the slices at ``index`` along dim set to ``value`` (a number, or a 0-d
    tensor, which then receives the sum of gy over the filled places). Input's dtype is kept.

    Gradient: to input, gy with zeros at the filled slices.
    """
    x = as_tensor(input)
    key = _index_key(x, dim, index, "index_fill")
    if x.ndim == 0:
        return index_fill(x.reshape(1), 0, index, value).reshape(())
    if not isinstance(value, Tensor):
        return Scatter(key, (), value)(x)
    if value.ndim:
        raise ValueError(f"index_fill: value must be a number or a 0-d tensor, got {value.shape}")
    mask = get_array_module(x.data).zeros(x.shape, dtype=bool)
    mask[key] = True
    return _where(mask, value.to(x.dtype), x)


# ---------------------------------------------------------------- index_put, put
def index_put(input, indices, values, accumulate: bool = False) -> Tensor:
    """out = input with out[indices] = values (``indices`` a tuple of int or bool tensors, as in
    ``x[i, j]``; values broadcast). With ``accumulate``, values are added instead, repeated
    places adding every contribution.

    Gradient: to input, gy (with zeros at the written places unless accumulate); to values,
    gy picked at indices, summed over broadcast dimensions.
    """
    from .indexing import _scatter as _place
    from .indexing import normalize_key

    x = as_tensor(input)
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put: indices must be a tuple of tensors, got {type(indices)}")
    v = as_tensor(values)
    if v.dtype != x.dtype:
        raise TypeError(f"index_put: expected values dtype {x.dtype} (input's), got {v.dtype}")
    key, _ = normalize_key(tuple(indices))
    try:
        target = x.data[key].shape
        broadcast_shapes(v.shape, target, op="index_put")
        if len(v.shape) > len(target) or broadcast_shapes(v.shape, target) != target:
            raise ValueError(f"shape mismatch: values {v.shape} for indexed shape {target}")
    except (IndexError, ValueError) as e:
        kind = IndexError if isinstance(e, IndexError) else ValueError
        raise kind(f"index_put: {e} (input shape {x.shape})") from None
    if not accumulate:
        y = x.clone()
        y[key] = v
        return y
    return x + _place(broadcast_to(v, target) if v.shape != target else v, key, x.shape)


def put(input, index, source, accumulate: bool = False) -> Tensor:
    """out = input with the flattened elements at ``index`` set to source's (same number of
    elements, any shapes; negative indices count from the end); ``accumulate`` adds instead.

    Gradient: to input, gy (zeros at written places unless accumulate); to source, gy picked.
    """
    x, s = as_tensor(input), as_tensor(source)
    xp = get_array_module(x.data)
    idx = _index_array(index, xp, "put", kinds=("int64",)).reshape(-1)
    if idx.size != s.numel():
        raise ValueError(
            f"put: index has {idx.size} elements but source has {s.numel()} (shape {s.shape})"
        )
    if s.dtype != x.dtype:
        raise TypeError(f"put: expected source dtype {x.dtype} (input's), got {s.dtype}")
    key = (_check_bounds(idx, x.numel(), 0, "put", wrap=True),)
    flat, src = x.reshape(-1), s.reshape(-1)
    y = flat + _scatter_add(src, key, flat.shape) if accumulate else Scatter(key, ())(flat, src)
    return y.reshape(x.shape)


# ---------------------------------------------------------------- masked_scatter
def masked_scatter(input, mask, source) -> Tensor:
    """out = input with the places where the bool ``mask`` is true (input and mask broadcast
    together) filled, in row-major order, by source's leading elements (source needs at least
    as many elements as mask has true places; any shape).

    Gradient: to input, gy where mask is false (summed over broadcasting); to source, gy at the
    filled places, in order, zeros for the unread rest.
    """
    x, s = as_tensor(input), as_tensor(source)
    xp = get_array_module(x.data)
    m = mask.data if isinstance(mask, Tensor) else xp.asarray(mask)
    if m.dtype.kind != "b":
        raise TypeError(f"masked_scatter: expected a bool mask, got dtype {m.dtype}")
    if s.dtype != x.dtype:
        raise TypeError(f"masked_scatter: expected source dtype {x.dtype}, got {s.dtype}")
    shape = broadcast_shapes(x.shape, m.shape, op="masked_scatter")
    m = xp.broadcast_to(m, shape or (1,))
    where = xp.nonzero(m)
    k = int(where[0].size)
    if k > s.numel():
        raise ValueError(
            f"masked_scatter: mask has {k} true places but source only {s.numel()} elements"
        )
    placed = _scatter_add(s.reshape(-1)[:k], where, m.shape)
    return _where(m, placed, x).reshape(shape)
