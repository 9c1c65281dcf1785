"""Joining, splitting and rearranging, as compositions of the shape and selection ops.

Every op here is a short recipe over ops that already carry their gradients: ``cat``,
``reshape``, ``flip``, ``transpose``, slicing (``GetItem``) and ``Gather``. So each gradient,
and the gradient of that gradient, follows from theirs:

    hstack / vstack / dstack / column_stack    atleast_nd each input, then cat
    tensor_split / hsplit / vsplit / dsplit    slices along one dim
    rot90(x, 1, (0, 1))                        transpose(flip(x, 1), 0, 1)
    repeat_interleave / take / combinations    a Gather at integer positions
    select / slice / diagonal_scatter          scatter's ``Scatter`` at a slice or diagonal

The index builders (tril_indices, triu_indices) return constant int64 tensors.
"""

from __future__ import annotations

import itertools

from .. import backend
from ..backend import get_array_module
from ..tensor import Tensor, _normalize_dim, as_tensor
from .cumulative import cumprod
from .scatter import Scatter, meshgrid
from .selection import Gather, _check_bounds, _index_array, index_select
from .shape import broadcast_shapes as _broadcast_shapes
from .shape import broadcast_to, cat, flip, reshape, stack, transpose


# ---------------------------------------------------------------- atleast_nd
def _tensors(tensors):
    """(list of tensors, whether one tensor was passed alone): torch returns a tensor then."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return [as_tensor(t) for t in tensors[0]], False
    return [as_tensor(t) for t in tensors], len(tensors) == 1


def _atleast(tensors, shapes):
    ts, single = _tensors(tensors)
    out = tuple(reshape(t, shapes[t.ndim](t.shape)) if t.ndim < len(shapes) else t for t in ts)
    return out[0] if single else out


def atleast_1d(*tensors):
    """Each input with at least one dimension: a 0-d tensor becomes shape (1,). One tensor in,
    one out; several (or a list), a tuple."""
    return _atleast(tensors, [lambda s: (1,)])


def atleast_2d(*tensors):
    """Each input with at least two dimensions: () → (1, 1), (n,) → (1, n)."""
    return _atleast(tensors, [lambda s: (1, 1), lambda s: (1,) + s])


def atleast_3d(*tensors):
    """Each input with at least three dimensions: () → (1, 1, 1), (n,) → (1, n, 1),
    (m, n) → (m, n, 1)."""
    return _atleast(tensors, [lambda s: (1, 1, 1), lambda s: (1,) + s + (1,), lambda s: s + (1,)])


# ---------------------------------------------------------------- stacking
def _seq(tensors, op):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}: expected a sequence of tensors, got {type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty sequence of tensors")
    return [as_tensor(t) for t in tensors]


def hstack(tensors) -> Tensor:
    """Join horizontally: along dim 0 for 1-D inputs, else dim 1 (0-d inputs count as 1-D)."""
    ts = atleast_1d(_seq(tensors, "hstack"))
    return cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    """Join vertically: ``cat(atleast_2d(tensors), 0)``; 1-D (n,) inputs become rows (1, n)."""
    return cat(atleast_2d(_seq(tensors, "vstack")), 0)


row_stack = vstack


def dstack(tensors) -> Tensor:
    """Join depth-wise: ``cat(atleast_3d(tensors), 2)``."""
    return cat(atleast_3d(_seq(tensors, "dstack")), 2)


def column_stack(tensors) -> Tensor:
    """Join as columns: 0-d and 1-D inputs of n elements become (n, 1) columns, then cat along
    dim 1."""
    ts = _seq(tensors, "column_stack")
    return cat([reshape(t, (t.numel(), 1)) if t.ndim < 2 else t for t in ts], 1)


# ---------------------------------------------------------------- splitting
def _slices(x, d, bounds):
    """x cut along dim d at the slice bounds [(start, stop), ...] (Python slice meaning)."""
    return tuple(x[(slice(None),) * d + (slice(a, b),)] for a, b in bounds)


def tensor_split(input, indices_or_sections, dim: int = 0) -> tuple:
    """Split into pieces along ``dim``, all views' worth of values:

    * an int n: n pieces; the first N mod n have ⌈N / n⌉ elements, the rest ⌊N / n⌋;
    * a list of indices i₀ < i₁ < …: the pieces x[:i₀], x[i₀:i₁], …, x[iₖ:] (Python slices, so
      indices past the end give empty pieces and negative ones count from the end).

    A 0-d int tensor counts as n, a 1-D int tensor as indices.
    """
    x = as_tensor(input)
    if x.ndim == 0:
        raise ValueError("tensor_split: expected at least a 1-dimensional tensor, got shape ()")
    d = _normalize_dim(dim, x.ndim, "tensor_split")
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        if spec.dtype.kind not in "iu" or spec.ndim > 1:
            raise TypeError(
                f"tensor_split: a tensor indices_or_sections must be a 0-d or 1-D int tensor, "
                f"got dtype {spec.dtype} and shape {spec.shape}"
            )
        spec = int(spec.item()) if spec.ndim == 0 else [int(i) for i in spec.tolist()]
    n = x.shape[d]
    if isinstance(spec, int):
        if spec <= 0:
            raise ValueError(f"tensor_split: number of sections must be positive, got {spec}")
        q, r = divmod(n, spec)
        ends = list(itertools.accumulate(q + 1 if i < r else q for i in range(spec)))
        return _slices(x, d, zip([0] + ends[:-1], ends))
    cuts = [int(i) for i in spec]
    return _slices(x, d, zip([0] + cuts, cuts + [None]))


def _split_dir(x, spec, dim, op):
    if isinstance(spec, int):
        n = x.shape[dim]
        if spec == 0 or n % spec:
            raise ValueError(
                f"{op}: dimension {dim} of size {n} (shape {x.shape}) is not divisible by the "
                f"number of sections {spec}"
            )
    return tensor_split(x, spec, dim)


def hsplit(input, indices_or_sections) -> tuple:
    """``tensor_split`` along dim 1 (dim 0 for 1-D input); an int must divide the size."""
    x = as_tensor(input)
    if x.ndim == 0:
        raise ValueError("hsplit: expected at least a 1-dimensional tensor, got shape ()")
    return _split_dir(x, indices_or_sections, 0 if x.ndim == 1 else 1, "hsplit")


def vsplit(input, indices_or_sections) -> tuple:
    """``tensor_split`` along dim 0 of an input of at least 2 dims; an int must divide it."""
    x = as_tensor(input)
    if x.ndim < 2:
        raise ValueError(f"vsplit: expected at least a 2-dimensional tensor, got shape {x.shape}")
    return _split_dir(x, indices_or_sections, 0, "vsplit")


def dsplit(input, indices_or_sections) -> tuple:
    """``tensor_split`` along dim 2 of an input of at least 3 dims; an int must divide it."""
    x = as_tensor(input)
    if x.ndim < 3:
        raise ValueError(f"dsplit: expected at least a 3-dimensional tensor, got shape {x.shape}")
    return _split_dir(x, indices_or_sections, 2, "dsplit")


# ---------------------------------------------------------------- axes and views
def swapaxes(input, axis0: int, axis1: int) -> Tensor:
    """``transpose(input, axis0, axis1)`` (NumPy's name)."""
    return transpose(input, axis0, axis1)


swapdims = swapaxes


def t(input) -> Tensor:
    """The transpose of a matrix; 0-d and 1-D inputs are returned as they are."""
    x = as_tensor(input)
    if x.ndim > 2:
        raise ValueError(f"t: expects a tensor with <= 2 dimensions, got shape {x.shape}")
    return transpose(x, 0, 1) if x.ndim == 2 else x


def ravel(input) -> Tensor:
    """The elements as one 1-D tensor, row-major: ``reshape(input, -1)``."""
    return reshape(input, -1)


def select(input, dim: int, index: int) -> Tensor:
    """The slice at ``index`` along ``dim``, that dimension removed (``x[:, index]`` for dim 1).
    Negative index counts from the end. Gradient: gy placed back at the slice, zeros elsewhere."""
    x = as_tensor(input)
    if x.ndim == 0:
        raise IndexError("select: cannot select on a 0-d tensor")
    d = _normalize_dim(dim, x.ndim, "select")
    n, i = x.shape[d], int(index)
    if not -n <= i < n:
        raise IndexError(
            f"select: index {index} is out of range for dimension {dim} of size {n} "
            f"(shape {x.shape})"
        )
    return x[(slice(None),) * d + (i % n,)]


def broadcast_shapes(*shapes) -> tuple:
    """The shape that ``shapes`` broadcast to (an int counts as a 1-D shape)."""
    shapes = [(s,) if isinstance(s, int) else tuple(int(n) for n in s) for s in shapes]
    if not shapes:
        return ()
    for s in shapes:
        if any(n < 0 for n in s):
            raise ValueError(f"broadcast_shapes: negative size in shape {s}")
    return _broadcast_shapes(*shapes, op="broadcast_shapes")


def broadcast_tensors(*tensors) -> tuple:
    """The inputs broadcast to one common shape. Gradient: each summed back to its own shape."""
    ts, _ = _tensors(tensors)
    shape = _broadcast_shapes(*[t.shape for t in ts], op="broadcast_tensors") if ts else ()
    return tuple(broadcast_to(t, shape) for t in ts)


# ---------------------------------------------------------------- repeating and rotating
def repeat_interleave(input, repeats=None, dim: int | None = None, *, output_size=None) -> Tensor:
    """Each element repeated ``repeats`` times in place: [a, b] with repeats 2 → [a, a, b, b].

    ``repeats`` is an int or an int tensor with one count per slice along ``dim`` (or a single
    count, broadcast). With dim None, input is flattened first. ``repeat_interleave(r)`` alone
    (an int tensor r) gives the indices ``[0]*r[0] + [1]*r[1] + …``. ``output_size``, when
    given, must be the total.

    Gradient: each element receives the sum of gy over its copies.
    """
    if repeats is None:  # repeat_interleave(repeats): the index form
        r = as_tensor(input)
        if r.ndim > 1 or r.dtype.kind not in "iu":
            raise TypeError(
                f"repeat_interleave: repeats must be a 0-d or 1-D int tensor, got dtype "
                f"{r.dtype} and shape {r.shape}"
            )
        xp = get_array_module(r.data)
        base = Tensor(xp.arange(r.numel(), dtype="int64"))
        return repeat_interleave(base, r.reshape(-1), 0, output_size=output_size)
    x = as_tensor(input)
    if dim is None:
        x, d = reshape(x, -1), 0
    else:
        if x.ndim == 0:
            raise IndexError(f"repeat_interleave: dim {dim} given but the input is 0-d")
        d = _normalize_dim(dim, x.ndim, "repeat_interleave")
    xp = get_array_module(x.data)
    n = x.shape[d]
    if isinstance(repeats, (Tensor, list, tuple)) or backend.is_array(repeats):
        reps = _index_array(repeats, xp, "repeat_interleave", kinds=("int32", "int64"))
        if reps.ndim > 1 or reps.size not in (1, n):
            raise ValueError(
                f"repeat_interleave: repeats must have one element or one per slice along dim "
                f"{d} ({n}), got shape {tuple(reps.shape)}"
            )
        reps = reps.reshape(-1)
        if reps.size == 1:
            reps = xp.full(n, int(reps[0]), dtype="int64")
    else:
        reps = xp.full(n, int(repeats), dtype="int64")
    if reps.size and int(reps.min()) < 0:
        raise ValueError(f"repeat_interleave: repeats must be non-negative, got {reps.min()}")
    total = int(reps.sum())
    if output_size is not None and int(output_size) != total:
        raise ValueError(
            f"repeat_interleave: output_size {output_size} differs from the sum of repeats {total}"
        )
    index = xp.repeat(xp.arange(n, dtype="int64"), reps)
    return index_select(x, d, index)


def rot90(input, k: int = 1, dims=(0, 1)) -> Tensor:
    """Rotate by 90° ``k`` times in the plane of ``dims``, from the first axis towards the
    second: k = 1 is ``transpose(flip(x, dims[1]), *dims)``, k = 2 flips both, k = 3 is
    ``transpose(flip(x, dims[0]), *dims)``; k is taken mod 4 (negative turns the other way)."""
    x = as_tensor(input)
    dims = tuple(dims)
    if len(dims) != 2:
        raise ValueError(f"rot90: expected 2 dims, got {len(dims)}: {dims}")
    if x.ndim < 2:
        raise ValueError(f"rot90: expected a tensor of at least 2 dims, got shape {x.shape}")
    a, b = (_normalize_dim(d, x.ndim, "rot90") for d in dims)
    if a == b:
        raise ValueError(f"rot90: dims must name two different axes, got {dims}")
    k = int(k) % 4
    if k == 1:
        return transpose(flip(x, b), a, b)
    if k == 2:
        return flip(x, (a, b))
    if k == 3:
        return transpose(flip(x, a), a, b)
    return x.clone()


def fliplr(input) -> Tensor:
    """Reverse dim 1 (left–right) of an input of at least 2 dims."""
    x = as_tensor(input)
    if x.ndim < 2:
        raise ValueError(f"fliplr: expected a tensor of at least 2 dims, got shape {x.shape}")
    return flip(x, 1)


def flipud(input) -> Tensor:
    """Reverse dim 0 (up–down) of an input of at least 1 dim."""
    x = as_tensor(input)
    if x.ndim < 1:
        raise ValueError("flipud: expected a tensor of at least 1 dim, got shape ()")
    return flip(x, 0)


# ---------------------------------------------------------------- picking by flat index
def take(input, index) -> Tensor:
    """Elements of the flattened input at ``index`` (int64, any shape; negative counts from
    the end): out has index's shape. Gradient: gy added back at each index."""
    x = as_tensor(input)
    xp = get_array_module(x.data)
    index = _index_array(index, xp, "take", kinds=("int64",))
    if x.numel() == 0 and index.size:
        raise IndexError("take: cannot take from an empty tensor")
    flat = _check_bounds(index, x.numel(), 0, "take", wrap=True)
    return Gather((flat,))(reshape(x, -1))


def cartesian_prod(*tensors) -> Tensor:
    """All tuples (a, b, …) with a from the first 1-D input, b from the second, …, in
    row-major order: shape (n₁ n₂ …, k); one input alone is returned (copied) as it is."""
    ts = [as_tensor(t) for t in tensors]
    if not ts:
        raise ValueError("cartesian_prod: expected at least one tensor")
    for i, x in enumerate(ts):
        if x.ndim != 1:
            raise ValueError(
                f"cartesian_prod: expected 1-D tensors, tensor {i} has shape {x.shape}"
            )
    if len(ts) == 1:
        return ts[0].clone()
    return stack([reshape(g, -1) for g in meshgrid(*ts, indexing="ij")], 1)


def combinations(input, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The length-r combinations of a 1-D input's elements, in itertools' order: shape
    (C, r) with C = n choose r (n + r − 1 choose r with replacement); r = 0 gives shape (0,),
    as torch.

    Gradient: each element receives gy summed over every place it appears.
    """
    x = as_tensor(input)
    if x.ndim != 1:
        raise ValueError(f"combinations: expected a 1-D tensor, got shape {x.shape}")
    r = int(r)
    if r < 0:
        raise ValueError(f"combinations: r must be non-negative, got {r}")
    if r == 0:
        return x[:0]
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = list(pick(range(x.shape[0]), r))
    xp = get_array_module(x.data)
    index = xp.asarray(backend.np.array(rows, dtype="int64").reshape(len(rows), r))
    return Gather((index,))(x)


def _tri_indices(row, col, offset, dtype, device, upper, op):
    row, col, offset = int(row), int(col), int(offset)
    if row < 0 or col < 0:
        raise ValueError(f"{op}: row and col must be non-negative, got {row} and {col}")
    dtype = backend.as_dtype(dtype) or backend.as_dtype("int64")
    if dtype.kind not in "iu":
        raise TypeError(f"{op}: dtype must be an int type, got {dtype}")
    np = backend.np
    pick = np.triu_indices if upper else np.tril_indices
    rows, cols = pick(row, offset, col) if row and col else (np.zeros(0), np.zeros(0))
    data = np.stack([rows, cols]).astype(dtype)
    return Tensor(data if device is None else backend.to_device(data, device))


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None) -> Tensor:
    """The (2, N) indices of the lower triangle of a row × col matrix, on and below diagonal
    ``offset``, row by row: ``x[tuple(tril_indices(...))]`` lists it. int64; no gradient."""
    return _tri_indices(row, col, offset, dtype, device, False, "tril_indices")


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None) -> Tensor:
    """The (2, N) indices of the upper triangle of a row × col matrix, on and above diagonal
    ``offset``, row by row. int64; no gradient."""
    return _tri_indices(row, col, offset, dtype, device, True, "triu_indices")


def vander(x, N: int | None = None, increasing: bool = False) -> Tensor:
    """The Vandermonde matrix of a 1-D x: column j is x^(N−1−j) (x^j with ``increasing``),
    shape (n, N), N = n by default. Built as a running product of [1, x, x, …] so that
    ∂/∂x of column j is j x^(j−1), exact at x = 0. Ints and bools give int64."""
    x = as_tensor(x)
    if x.ndim != 1:
        raise ValueError(f"vander: x must be a 1-D tensor, got shape {x.shape}")
    n = x.shape[0] if N is None else int(N)
    if n < 0:
        raise ValueError(f"vander: N must be non-negative, got {N}")
    if x.dtype.kind in "biu":
        x = x.to("int64")
    ones = x.new_ones((x.shape[0], 1))
    xs = broadcast_to(reshape(x, (-1, 1)), (x.shape[0], max(n - 1, 0)))
    y = cumprod(cat([ones, xs], 1), 1)[:, :n]  # kept on x's graph even when N < 2
    return y if increasing else flip(y, 1)


# ---------------------------------------------------------------- embedding a part back
def _embed(x, src, key, view_shape, op):
    """x with x[key] = src, checking src against the part's shape; Scatter's gradient: gy with
    zeros at the part to x, gy[key] to src."""
    s = as_tensor(src)
    if tuple(s.shape) != tuple(view_shape):
        raise ValueError(
            f"{op}: src must have the shape of the embedded part {tuple(view_shape)} "
            f"(input shape {x.shape}), got {s.shape}"
        )
    if s.dtype != x.dtype:
        raise TypeError(f"{op}: expected src dtype {x.dtype} (input's), got {s.dtype}")
    return Scatter(key, ())(x, s)


def select_scatter(input, src, dim: int, index: int) -> Tensor:
    """out = input with ``out.select(dim, index) = src`` (src of the selected slice's shape).
    Gradient: to input, gy with zeros at the slice; to src, gy's slice."""
    x = as_tensor(input)
    part = select(x, dim, index)
    d = _normalize_dim(dim, x.ndim, "select_scatter")
    key = (slice(None),) * d + (int(index) % x.shape[d],)
    return _embed(x, src, key, part.shape, "select_scatter")


def slice_scatter(input, src, dim: int = 0, start=None, end=None, step: int = 1) -> Tensor:
    """out = input with ``out[..., start:end:step, ...] = src`` along ``dim`` (step positive).
    Gradient: to input, gy with zeros at the slice; to src, gy's slice."""
    x = as_tensor(input)
    if x.ndim == 0:
        raise ValueError("slice_scatter: expected a tensor of at least 1 dim, got shape ()")
    d = _normalize_dim(dim, x.ndim, "slice_scatter")
    if int(step) <= 0:
        raise ValueError(f"slice_scatter: step must be positive, got {step}")
    key = (slice(None),) * d + (slice(start, end, int(step)),)
    return _embed(x, src, key, x.data[key].shape, "slice_scatter")


def diagonal_scatter(input, src, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """out = input with ``out.diagonal(offset, dim1, dim2) = src``: src has the other dims in
    order, then the diagonal's length L last. Entry (…, i) of src goes to row i + max(−offset, 0)
    and column i + max(offset, 0) of the (dim1, dim2) plane.
    Gradient: to input, gy with zeros on that diagonal; to src, gy's diagonal."""
    x = as_tensor(input)
    if x.ndim < 2:
        raise ValueError(f"diagonal_scatter: expected at least 2 dims, got shape {x.shape}")
    a = _normalize_dim(dim1, x.ndim, "diagonal_scatter")
    b = _normalize_dim(dim2, x.ndim, "diagonal_scatter")
    if a == b:
        raise ValueError(f"diagonal_scatter: dim1 and dim2 must differ, got {dim1} and {dim2}")
    k = int(offset)
    n = max(0, min(x.shape[a] + min(k, 0), x.shape[b] - max(k, 0)))
    others = [d for d in range(x.ndim) if d not in (a, b)]
    xp = get_array_module(x.data)
    key = [None] * x.ndim
    rank = len(others) + 1
    for j, d in enumerate(others):
        key[d] = xp.arange(x.shape[d]).reshape([x.shape[d] if i == j else 1 for i in range(rank)])
    line = xp.arange(n).reshape((1,) * len(others) + (n,))
    key[a], key[b] = line + max(-k, 0), line + max(k, 0)
    shape = tuple(x.shape[d] for d in others) + (n,)
    return _embed(x, src, tuple(key), shape, "diagonal_scatter")
