"""Counting and searching: unique, unique_consecutive, bincount, histc, bucketize, searchsorted,
isin, kthvalue, mode, msort.

Counts, positions and membership are integer or bool constants: they carry no gradient (int64
constant Tensors, as torch). kthvalue, mode and msort pick elements of the input; their values
are a ``Gather`` of it, so the gradient lands on the picked elements, to any order.
"""

from __future__ import annotations

from collections import namedtuple

from .. import backend
from ..backend import get_array_module
from ..tensor import Tensor, _normalize_dim, as_tensor
from .cumulative import _accumulate
from .selection import Gather, _argsort, _pick_key, sort

kthvalue_result = namedtuple("kthvalue", ["values", "indices"])
"""(values, indices), as torch.return_types.kthvalue."""
mode_result = namedtuple("mode", ["values", "indices"])
"""(values, indices), as torch.return_types.mode."""


def _array(x):
    return x.data if isinstance(x, Tensor) else as_tensor(x).data


def _outputs(values, inverse, counts, return_inverse, return_counts):
    """torch's return convention: the values alone, or a tuple with the asked-for extras."""
    out = (Tensor(values),)
    if return_inverse:
        out += (Tensor(inverse.astype("int64")),)
    if return_counts:
        out += (Tensor(counts.astype("int64")),)
    return out[0] if len(out) == 1 else out


# ---------------------------------------------------------------- unique
def unique(
    input,
    sorted: bool = True,
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
):
    """The distinct elements of input (dim None, flattened) or its distinct slices along
    ``dim``, in ascending order (always sorted, whatever ``sorted`` says; torch may also sort).
    ``return_inverse``: where each element (slice) of input went, so ``out[inverse]`` is input.
    ``return_counts``: how often each appears. NaN never equals NaN: each is its own value.
    No gradient.

        >>> unique(tensor([3, 1, 3]), return_counts=True)
        (tensor([1, 3]), tensor([1, 2]))
    """
    a = _array(input)
    xp = get_array_module(a)
    if dim is None:
        flat = a.reshape(-1)
        order = _argsort(flat, 0, descending=False)
        s = flat[order]
        new = xp.ones(s.shape, dtype=bool)
        new[1:] = s[1:] != s[:-1]  # NaN != NaN: every NaN starts a group
        values = s[new]
        group = xp.cumsum(new) - 1
        inverse = xp.empty(flat.shape, dtype="int64")
        inverse[order] = group
        counts = xp.diff(xp.append(xp.flatnonzero(new), s.size)) if s.size else group
        return _outputs(values, inverse.reshape(a.shape), counts, return_inverse, return_counts)
    axis = _normalize_dim(dim, a.ndim, "unique")
    if a.ndim == 0:
        return unique(input, sorted, return_inverse, return_counts)
    moved = xp.moveaxis(a, axis, 0)
    if moved.shape[0] == 0:
        return _outputs(
            a, xp.zeros(0, "int64"), xp.zeros(0, "int64"), return_inverse, return_counts
        )
    if moved[0].size == 0:
        raise ValueError(
            f"unique: input of shape {a.shape} has 0-sized dimensions other than dim {axis}"
        )
    flat = moved.reshape(moved.shape[0], -1)
    order = xp.lexsort(flat.T[::-1]).astype("int64")  # rows, lexicographically (NaN last)
    s = flat[order]
    new = xp.ones(s.shape[0], dtype=bool)
    new[1:] = (s[1:] != s[:-1]).any(axis=1)
    group = xp.cumsum(new) - 1
    inverse = xp.empty(order.shape, dtype="int64")
    inverse[order] = group
    counts = xp.diff(xp.append(xp.flatnonzero(new), s.shape[0]))
    values = xp.moveaxis(moved[order[new]], 0, axis)
    return _outputs(values, inverse, counts, return_inverse, return_counts)


def unique_consecutive(
    input, return_inverse: bool = False, return_counts: bool = False, dim: int | None = None
):
    """unique for runs: collapses each run of equal consecutive elements (slices along
    ``dim``) to one, keeping their order. ``return_inverse`` and ``return_counts`` as in
    unique. No gradient.

        >>> unique_consecutive(tensor([1, 1, 2, 1]))
        tensor([1, 2, 1])
    """
    a = _array(input)
    xp = get_array_module(a)
    if dim is None or a.ndim == 0:
        if dim is not None:
            _normalize_dim(dim, 0, "unique_consecutive")
        flat = a.reshape(-1)
        shape = a.shape
        axis, moved = 0, flat
    else:
        axis = _normalize_dim(dim, a.ndim, "unique_consecutive")
        moved = xp.moveaxis(a, axis, 0)
        shape = (moved.shape[0],)
    n = moved.shape[0]
    new = xp.ones(n, dtype=bool)
    if n > 1:
        diff = (moved[1:] != moved[:-1]).reshape(n - 1, -1)
        new[1:] = diff.any(axis=1) if diff.shape[1] else False
    values = moved[new]
    if dim is not None and a.ndim:
        values = xp.moveaxis(values, 0, axis)
    group = xp.cumsum(new) - 1
    counts = xp.diff(xp.append(xp.flatnonzero(new), n)) if n else group
    return _outputs(values, group.reshape(shape), counts, return_inverse, return_counts)


# ---------------------------------------------------------------- bincount, histc
def bincount(input, weights=None, minlength: int = 0) -> Tensor:
    """out[i] = the number of entries of the 1-D non-negative int ``input`` equal to i (with
    ``weights``, the sum of their weights), of length max(max(input) + 1, minlength).
    int64 counts; weights keep a float32 or float64 dtype, other weights give float64.
    No gradient.
    """
    a = _array(input)
    xp = get_array_module(a)
    if a.ndim != 1 or a.dtype.kind not in "iub" or a.dtype.kind == "b":
        raise ValueError(
            f"bincount: input must be a 1-D tensor of integers, got shape {a.shape} and "
            f"dtype {a.dtype}"
        )
    if int(minlength) < 0:
        raise ValueError(f"bincount: minlength must be non-negative, got {minlength}")
    if a.size and int(a.min()) < 0:
        raise ValueError(f"bincount: input must be non-negative, got min {int(a.min())}")
    if weights is None:
        return Tensor(xp.bincount(a, minlength=int(minlength)).astype("int64"))
    w = _array(weights)
    if w.shape != a.shape:
        raise ValueError(
            f"bincount: weights must have the input's shape, got {w.shape} and {a.shape}"
        )
    dtype = w.dtype if str(w.dtype) in ("float32", "float64") else "float64"
    out = xp.bincount(a, weights=w.astype("float64"), minlength=int(minlength))
    return Tensor(out.astype(dtype))


def histc(input, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
    """Counts of input's elements in ``bins`` equal-width bins spanning [min, max] (the data's
    own range when min = max, widened by 1 on each side when that is a single value). Elements
    outside are ignored; an element equal to max falls in the last bin. Same float dtype as
    input. No gradient.

        >>> histc(tensor([1., 2., 1.]), bins=4, min=0, max=3)
        tensor([0., 2., 1., 0.])
    """
    a = _array(input)
    xp = get_array_module(a)
    if a.dtype.kind != "f":
        raise TypeError(f"histc: input dtype should be floating point, got {a.dtype}")
    if int(bins) <= 0:
        raise ValueError(f"histc: bins must be positive, got {bins}")
    lo, hi = float(min), float(max)
    if lo > hi:
        raise ValueError(f"histc: max must be larger than min, got min {lo} and max {hi}")
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (backend.np.isfinite(lo) and backend.np.isfinite(hi)):
        raise ValueError(f"histc: range of [{lo}, {hi}] is not finite")
    flat = a.reshape(-1)
    inside = flat[(flat >= lo) & (flat <= hi)]  # NaN drops out here
    pos = ((inside - lo) / (hi - lo) * bins).astype("int64")
    pos = xp.minimum(pos, bins - 1)
    return Tensor(xp.bincount(pos, minlength=int(bins)).astype(a.dtype))


# ---------------------------------------------------------------- searchsorted, bucketize, isin
def searchsorted(
    sorted_sequence,
    input,
    *,
    out_int32: bool = False,
    right: bool = False,
    side=None,
    sorter=None,
):
    """For each value v of ``input``, the index i at which it would be inserted in the
    innermost dimension of ``sorted_sequence`` to keep it sorted: s[i−1] < v ≤ s[i] (left),
    s[i−1] ≤ v < s[i] (``right=True`` or ``side="right"``). A sequence of more than one
    dimension searches row by row: its leading dimensions must equal input's. ``sorter``
    gives the indices that sort an unsorted sequence. int64 (``out_int32``: int32); no gradient.
    """
    seq = _array(sorted_sequence)
    xp = get_array_module(seq)
    scalar = not isinstance(input, Tensor) and backend.np.ndim(input) == 0
    vals = input.data if isinstance(input, Tensor) else xp.asarray(input)
    if side not in (None, "left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    if side == "left" and right:
        raise ValueError(
            "searchsorted: side and right can't be set to opposites, got side 'left' and right True"
        )
    side = side or ("right" if right else "left")
    if seq.ndim == 0:
        raise ValueError("searchsorted: sorted_sequence must have at least one dimension")
    if sorter is not None:
        order = _array(sorter)
        if order.shape != seq.shape:
            raise ValueError(
                f"searchsorted: sorter must have the shape of sorted_sequence, got "
                f"{order.shape} and {seq.shape}"
            )
        seq = xp.take_along_axis(seq, order.astype("int64"), axis=-1)
    dtype = "int32" if out_int32 else "int64"
    if scalar:
        if seq.ndim != 1:
            raise ValueError(
                f"searchsorted: a scalar input needs a 1-D sorted_sequence, got shape {seq.shape}"
            )
        return Tensor(xp.searchsorted(seq, vals.reshape(1), side=side).astype(dtype).reshape(()))
    if seq.ndim == 1:
        return Tensor(xp.searchsorted(seq, vals, side=side).astype(dtype))
    if vals.shape[:-1] != seq.shape[:-1]:
        raise ValueError(
            f"searchsorted: sorted_sequence and input must have the same leading dimensions, "
            f"got {seq.shape} and {vals.shape}"
        )
    rows, vrows = seq.reshape(-1, seq.shape[-1]), vals.reshape(-1, vals.shape[-1])
    out = xp.empty(vrows.shape, dtype=dtype)
    for r in range(rows.shape[0]):
        out[r] = xp.searchsorted(rows[r], vrows[r], side=side)
    return Tensor(out.reshape(vals.shape))


def bucketize(input, boundaries, *, out_int32: bool = False, right: bool = False) -> Tensor:
    """The bucket of each element of input between the 1-D sorted ``boundaries``: i with
    b[i−1] < x ≤ b[i] (``right=True``: b[i−1] ≤ x < b[i]). searchsorted(boundaries, input)."""
    b = _array(boundaries)
    if b.ndim != 1:
        raise ValueError(f"bucketize: boundaries must be 1-D, got shape {b.shape}")
    return searchsorted(b, input, out_int32=out_int32, right=right)


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False):
    """A bool tensor of elements' shape: whether each element is among ``test_elements``
    (``invert``: is not). Either may be a scalar. No gradient."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin: at least one of elements and test_elements must be a tensor")
    xp = get_array_module(*(a.data for a in (elements, test_elements) if isinstance(a, Tensor)))
    e, t = (a.data if isinstance(a, Tensor) else xp.asarray(a) for a in (elements, test_elements))
    return Tensor(xp.isin(e, t, assume_unique=assume_unique, invert=invert))


# ---------------------------------------------------------------- kthvalue, mode, msort
def _picked(x, index, axis, keepdim, result):
    """(x gathered at index along axis, index) as ``result``, index of x's kept shape."""
    values = Gather(_pick_key(index, axis, index.shape))(x)
    if not keepdim:
        values, index = values.squeeze(axis), index.squeeze(axis)
    return result(values, Tensor(index.astype("int64")))


def kthvalue(input, k: int, dim: int = -1, keepdim: bool = False) -> kthvalue_result:
    """(values, indices): the k-th smallest element (k from 1) of each slice along ``dim``, and
    its position. NaN counts as the largest value. Among equal values the index follows their
    order in the slice (torch's choice there is its quickselect's, not specified).

    Gradient: gy to the picked element.

        >>> kthvalue(tensor([3., 1., 2.]), 2)
        kthvalue(values=tensor(2.), indices=tensor(2))
    """
    x = as_tensor(input)
    axis = _normalize_dim(dim, x.ndim, "kthvalue")
    size = x.shape[axis] if x.ndim else 1
    if not 1 <= int(k) <= size:
        raise IndexError(
            f"kthvalue: k ({k}) is out of range for dimension {axis} of size {size} "
            f"(input shape {x.shape})"
        )
    if x.ndim == 0:
        r = kthvalue(x.reshape(1), k, 0)
        return kthvalue_result(r.values.reshape(()), r.indices.reshape(()))
    order = _argsort(x.data, axis, descending=False)
    index = order[(slice(None),) * axis + (slice(int(k) - 1, int(k)),)]
    return _picked(x, index, axis, keepdim, kthvalue_result)


def mode(input, dim: int = -1, keepdim: bool = False) -> mode_result:
    """(values, indices): the most frequent value of each slice along ``dim`` (the smallest of
    those tied for most frequent) and the position of its last occurrence, as torch. NaN never
    equals NaN.

    Gradient: gy to the element at the returned index.

        >>> mode(tensor([2., 1., 2., 1.]))
        mode(values=tensor(1.), indices=tensor(3))
    """
    x = as_tensor(input)
    xp = get_array_module(x.data)
    axis = _normalize_dim(dim, x.ndim, "mode")
    if x.ndim == 0:
        return mode_result(Gather(())(x), Tensor(xp.zeros((), "int64")))
    n = x.shape[axis]
    if n == 0:
        raise IndexError(
            f"mode: cannot take the mode along dimension {axis} of size 0 (input shape {x.shape})"
        )
    a = xp.moveaxis(x.data, axis, -1).reshape(-1, n)
    order = _argsort(a, 1, descending=False)  # stable: equal values by position
    s = xp.take_along_axis(a, order, axis=1)
    new = xp.ones(s.shape, dtype=bool)
    new[:, 1:] = s[:, 1:] != s[:, :-1]
    # run lengths: position in the row minus the start of the run it belongs to
    pos = xp.broadcast_to(xp.arange(n), s.shape)
    start = _accumulate(xp.maximum, xp.where(new, pos, 0), 1)
    length = pos - start + 1
    last = xp.ones(s.shape, dtype=bool)  # the last element of each run holds its full length
    last[:, :-1] = new[:, 1:]
    score = xp.where(last, length, 0)
    best = xp.argmax(score, axis=1)  # the first maximum: the smallest tied value
    index = order[xp.arange(order.shape[0]), best]  # last occurrence: stable sort's last
    index = xp.moveaxis(index.reshape(x.shape[:axis] + x.shape[axis + 1 :] + (1,)), -1, axis)
    return _picked(x, index, axis, keepdim, mode_result)


def msort(input) -> Tensor:
    """input sorted along its first dimension (sort(input, 0).values). Gradient: gy back to
    where each value came from."""
    x = as_tensor(input)
    return sort(x, 0).values
