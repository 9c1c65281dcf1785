"""Selection: gather, index_select, take_along_dim, sort, argsort, topk.

Every op here picks elements of the input by integer indices along one dimension:

    gather(x, d, index)[i, j, k] = x[i, index[i, j, k], k]        (d = 1)

The picks are written as one NumPy-style advanced-indexing key (``_pick_key``): ``index`` at
axis ``d`` and an open grid (``arange`` shaped to broadcast) along every other axis, so that
``y = x[key]``. One pair of Functions then serves all six ops:

* ``Gather``: ``y = x[key]``. Its backward scatters ``gy`` back into zeros of x's shape. An
  element can be picked more than once (repeated indices, or a size-1 dimension broadcast), so
  the scatter *adds* (``backend.scatter_add``): ∂L/∂x[p] = Σ over every pick q of p of gy[q],
  which is the chain rule summed over every use of the element.
* ``ScatterAdd``: that scatter as an op of its own. It is linear, and its adjoint is the gather
  with the same key, so its backward is ``Gather`` again: with ``create_graph=True`` the
  gradient is differentiable to any order.

sort and topk work out their indices with a stable argsort on the raw array (indices carry no
gradient: they are constant int64 Tensors), then take the values as a ``Gather`` of the input,
so the gradient flows to the values only and lands where each value came from.
"""

from __future__ import annotations

from collections import namedtuple

from .. import backend
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor, _normalize_dim, as_tensor

sort_result = namedtuple("sort", ["values", "indices"])
"""(values, indices), as torch.return_types.sort."""
topk_result = namedtuple("topk", ["values", "indices"])
"""(values, indices), as torch.return_types.topk."""


# ---------------------------------------------------------------- the two Functions
class Gather(Function):
    """y = x[key] for an advanced key; ∂L/∂x = gy scatter-added back to the picked places."""

    def __init__(self, key):
        self.key = key

    def forward(self, x):
        self.in_shape = x.shape
        return x[self.key]

    def backward(self, gy):
        return _scatter_add(gy, self.key, self.in_shape)


class ScatterAdd(Function):
    """gx = zeros(shape) with g added at key (repeats accumulate). Linear; its adjoint, and so
    its backward, is the gather with the same key."""

    def __init__(self, key, shape):
        self.key, self.shape = key, shape

    def forward(self, g):
        xp = get_array_module(g)
        gx = xp.zeros(self.shape, dtype=g.dtype)
        backend.scatter_add(gx, self.key, g)
        return gx

    def backward(self, ggx):
        return _gather(ggx, self.key)


def _gather(x, key):
    """x[key] for an array, or a recorded Gather for a Tensor (double backward)."""
    return Gather(key)(x) if isinstance(x, Tensor) else x[key]


def _scatter_add(g, key, shape):
    """zeros(shape) with g added at key, recorded when g is a Tensor (double backward)."""
    if isinstance(g, Tensor):
        return ScatterAdd(key, shape)(g)
    return ScatterAdd(key, shape).forward(g)


# ---------------------------------------------------------------- index plumbing
def _index_array(index, xp, op, kinds=("int32", "int64")):
    """``index`` (a Tensor, list or array) as an array of module ``xp``, of a dtype in ``kinds``."""
    if isinstance(index, Tensor):
        index = index.data
    index = xp.asarray(index)
    if str(index.dtype) not in kinds:
        want = " or ".join(kinds)
        raise TypeError(f"{op}: expected an index of dtype {want}, got {index.dtype}")
    return index


def _check_bounds(index, size, axis, op, wrap=False):
    """Raise IndexError for an index outside [0, size) ([-size, size) with ``wrap``); return
    the index with negative entries wrapped."""
    if index.size == 0:
        return index
    lo, hi, low = int(index.min()), int(index.max()), -size if wrap else 0
    if lo < low or hi >= size:
        bad = lo if lo < low else hi
        raise IndexError(
            f"{op}: index {bad} is out of bounds for dimension {axis} with size {size}"
        )
    if wrap and lo < 0:
        xp = get_array_module(index)
        index = xp.where(index < 0, index + size, index)
    return index


def _pick_key(index, axis, sizes):
    """The advanced key with ``key[axis] = index`` and ``arange(sizes[d])`` along every other
    axis d, shaped to broadcast, so ``x[key][..., i_d, ...] = x[..., index[..., i_d, ...], ...]``
    (a grid of length 1 against a longer index broadcasts: it picks x's element 0 each time)."""
    xp = get_array_module(index)
    key = []
    for d in range(index.ndim):
        if d == axis:
            key.append(index)
        else:
            shape = [1] * index.ndim
            shape[d] = sizes[d]
            key.append(xp.arange(sizes[d]).reshape(shape))
    return tuple(key)


def _along(a, axis, part):
    """The slice ``part`` of array ``a`` along ``axis``."""
    return a[(slice(None),) * axis + (part,)]


# ---------------------------------------------------------------- gather, index_select, take
def gather(input, dim: int, index) -> Tensor:
    """out[i][j][k] = input[i][index[i][j][k]][k] (for dim = 1): ``index`` has input's number of
    dimensions and is no larger than input along the others; out has index's shape.

    Gradient: gy scatter-added into zeros of input's shape (repeated indices accumulate).

        >>> gather(tensor([[1., 2.], [3., 4.]]), 1, tensor([[0, 0], [1, 0]]))
        tensor([[1., 1.], [4., 3.]])
    """
    x = as_tensor(input)
    xp = get_array_module(x.data)
    index = _index_array(index, xp, "gather")
    if x.ndim == 0:  # torch treats a scalar as one element along dim 0
        _normalize_dim(dim, 0, "gather")
        if index.ndim > 1:
            raise ValueError(
                f"gather: index of shape {index.shape} has more dimensions than the 0-d input"
            )
        return gather(x.reshape(1), 0, index.reshape(-1)).reshape(index.shape)
    axis = _normalize_dim(dim, x.ndim, "gather")
    if index.ndim != x.ndim:
        raise ValueError(
            f"gather: index must have as many dimensions as input, got index shape "
            f"{index.shape} for input shape {x.shape}"
        )
    for d in range(x.ndim):
        if d != axis and index.shape[d] > x.shape[d]:
            raise ValueError(
                f"gather: index shape {index.shape} is larger than input shape {x.shape} at "
                f"dimension {d} (only dimension {axis} may be larger)"
            )
    index = _check_bounds(index, x.shape[axis], axis, "gather")
    return Gather(_pick_key(index, axis, index.shape))(x)


def index_select(input, dim: int, index) -> Tensor:
    """The slices of input at the positions ``index`` (1-D) along ``dim``: out has input's shape
    with ``len(index)`` along dim.

    Gradient: gy added back at each index (an index repeated n times gets n contributions).
    """
    x = as_tensor(input)
    xp = get_array_module(x.data)
    index = _index_array(index, xp, "index_select")
    if index.ndim > 1:
        raise ValueError(f"index_select: index must be 1-D, got shape {index.shape}")
    axis = _normalize_dim(dim, x.ndim, "index_select")
    if x.ndim == 0:
        if index.size != 1:
            raise ValueError(
                f"index_select: a 0-d input takes an index of one value, got shape {index.shape}"
            )
        _check_bounds(index, 1, 0, "index_select")
        return Gather(())(x)
    index = _check_bounds(index.reshape(-1), x.shape[axis], axis, "index_select")
    return Gather((slice(None),) * axis + (index,))(x)


def take_along_dim(input, indices, dim: int | None = None) -> Tensor:
    """out = input picked at ``indices`` along ``dim``, the other dimensions broadcast between
    input and indices (NumPy's take_along_axis). With dim None, both are flattened first.
    Negative indices count from the end.

    Gradient: gy scatter-added into zeros of input's shape; a broadcast dimension of input
    receives the sum over its copies.
    """
    x = as_tensor(input)
    xp = get_array_module(x.data)
    index = _index_array(indices, xp, "take_along_dim", kinds=("int64",))
    if dim is None:
        x, index = x.reshape(-1), index.reshape(-1)
        axis = 0
    else:
        if x.ndim == 0:
            raise IndexError(f"take_along_dim: dim {dim} given but the input has no dimensions")
        axis = _normalize_dim(dim, x.ndim, "take_along_dim")
        if index.ndim != x.ndim:
            raise ValueError(
                f"take_along_dim: input and indices should have the same number of dimensions, "
                f"got input shape {x.shape} and indices shape {index.shape}"
            )
    for d in range(x.ndim):
        a, b = x.shape[d], index.shape[d]
        if d != axis and a != b and a != 1 and b != 1:
            raise ValueError(
                f"take_along_dim: input shape {x.shape} and indices shape {index.shape} don't "
                f"broadcast at dimension {d}: {a} != {b}"
            )
    index = _check_bounds(index, x.shape[axis], axis, "take_along_dim", wrap=True)
    return Gather(_pick_key(index, axis, x.shape))(x)


# ---------------------------------------------------------------- sort, argsort, topk
def _argsort(a, axis, descending):
    """Stable argsort along ``axis``. Descending keeps ties in their original order and puts
    NaN first (torch: NaN is the largest): sort the reversed array ascending, reverse back."""
    if not descending:
        return _stable_argsort(a, axis)
    xp = get_array_module(a)
    n = a.shape[axis]
    return (n - 1) - xp.flip(_stable_argsort(xp.flip(a, axis), axis), axis)


def _stable_argsort(a, axis):
    xp = get_array_module(a)
    try:
        i = xp.argsort(a, axis=axis, kind="stable")
    except TypeError:  # a CuPy without ``kind``: its argsort is always stable
        i = xp.argsort(a, axis=axis)
    return i.astype(xp.int64, copy=False)


def sort(input, dim: int = -1, descending: bool = False, *, stable: bool = False) -> sort_result:
    """(values, indices): input sorted along ``dim``, and where each value came from (int64).
    The sort is always stable; NaN counts as the largest value, as in torch.

    Gradient: to values only, gy scattered back to the positions in ``indices``.
    """
    x = as_tensor(input)
    axis = _normalize_dim(dim, x.ndim, "sort")
    if x.ndim == 0:
        r = sort(x.reshape(1), 0, descending)
        return sort_result(r.values.reshape(()), r.indices.reshape(()))
    index = _argsort(x.data, axis, descending)
    values = Gather(_pick_key(index, axis, index.shape))(x)
    return sort_result(values, Tensor(index))


def argsort(input, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
    """The int64 indices that sort input along ``dim`` (``sort(...).indices``); no gradient."""
    x = as_tensor(input)
    axis = _normalize_dim(dim, x.ndim, "argsort")
    if x.ndim == 0:
        return Tensor(get_array_module(x.data).zeros((), "int64"))
    return Tensor(_argsort(x.data, axis, descending))


def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> topk_result:
    """(values, indices) of the ``k`` largest (``largest=False``: smallest) elements along
    ``dim``, always in sorted order (torch leaves the order open when ``sorted=False``).

    Gradient: to values only, gy scattered back to the positions in ``indices``.
    """
    x = as_tensor(input)
    axis = _normalize_dim(dim, x.ndim, "topk")
    size = x.shape[axis] if x.ndim else 1
    k = int(k)
    if not 0 <= k <= size:
        raise ValueError(
            f"topk: k ({k}) is out of range for dimension {axis} of size {size} "
            f"(input shape {x.shape})"
        )
    if x.ndim == 0:  # torch returns the scalar itself for k = 0 or 1
        return topk_result(Gather(())(x), Tensor(get_array_module(x.data).zeros((), "int64")))
    index = _along(_argsort(x.data, axis, descending=largest), axis, slice(0, k))
    values = Gather(_pick_key(index, axis, index.shape))(x)
    return topk_result(values, Tensor(index))
