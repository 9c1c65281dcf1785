"""Shape ops: reshape, transpose, permute, expand, cat, stack, pad, and ``sum_to``.

These move numbers around without changing them, so each backward moves the gradient back:
a reshape's gradient is reshaped, a transpose's is transposed back, an expand's is summed.
"""

from __future__ import annotations

import functools

from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor, _normalize_dim, as_tensor


# ------------------------------------------------------------------ broadcasting helpers
def broadcast_shapes(*shapes, op="broadcast"):
    """The shape that ``shapes`` broadcast to, or a ValueError naming them all."""
    ndim = max(len(s) for s in shapes)
    out = []
    for i in range(ndim):
        size = 1
        for s in shapes:
            k = i - ndim + len(s)
            if k < 0:
                continue
            d = s[k]
            if d != 1:
                if size != 1 and size != d:
                    shown = " and ".join(str(tuple(s)) for s in shapes)
                    raise ValueError(
                        f"{op}: shapes {shown} cannot be broadcast together "
                        f"(dimension {i - ndim} is {size} in one and {d} in another)"
                    )
                size = d
        out.append(size)
    return tuple(out)


def sum_to(g, shape):
    """Sum ``g`` down to ``shape``: undoes broadcasting in backward (arrays or Tensors)."""
    gshape = g.shape
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    if gshape[lead:] == shape:  # only leading dims were added (a bias): one sum
        return g.sum(axis=tuple(range(lead)))
    axes = list(range(lead))
    for i, d in enumerate(shape):
        if d == 1 and gshape[i + lead] != 1:
            axes.append(i + lead)
    if axes:
        g = g.sum(axis=tuple(axes), keepdims=True)
    if lead:
        g = g.reshape(shape)
    return g


def _broadcast_to(x, shape):
    """Broadcast for backward: a lazy view for Tensors, a fresh array for arrays (NumPy's
    ``broadcast_to`` is slow, and the result is usually consumed at once)."""
    if isinstance(x, Tensor):
        return BroadcastTo(shape)(x)
    out = get_array_module(x).empty(shape, dtype=x.dtype)
    out[...] = x
    return out


# ------------------------------------------------------------------ the ops
class Reshape(Function):
    is_view = True

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, gy):
        return gy.reshape(self.in_shape)


def _resolve_shape(shape, numel, op):
    shape = tuple(int(s) for s in shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise ValueError(f"{op}: only one dimension can be -1, got shape {shape}")
    if neg:
        rest = 1
        for s in shape:
            if s != -1:
                rest *= s
        if rest == 0 or numel % rest:
            raise ValueError(f"{op}: shape {shape} is invalid for input of size {numel}")
        shape = shape[: neg[0]] + (numel // rest,) + shape[neg[0] + 1 :]
    total = 1
    for s in shape:
        if s < 0:
            raise ValueError(f"{op}: invalid negative size in shape {shape}")
        total *= s
    if total != numel:
        raise ValueError(f"{op}: shape {shape} is invalid for input of size {numel}")
    return shape


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def reshape(x, *shape):
    """Same numbers, new shape (one dimension may be -1). ``x.reshape(2, -1)``."""
    x = as_tensor(x)
    shape = _resolve_shape(_shape_arg(shape), x.data.size, "reshape")
    if shape == x.data.shape:
        return x
    return Reshape(shape)(x)


def flatten(x, start_dim=0, end_dim=-1):
    """Merge dimensions ``start_dim..end_dim`` into one."""
    x = as_tensor(x)
    if x.ndim == 0:
        return reshape(x, 1)
    s = _normalize_dim(start_dim, x.ndim, "flatten")
    e = _normalize_dim(end_dim, x.ndim, "flatten")
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    shape = x.shape[:s] + (-1 if x.data.size else _prod(x.shape[s : e + 1]),) + x.shape[e + 1 :]
    return reshape(x, shape)


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def squeeze(x, dim=None):
    """Drop size-1 dimensions (all of them, or ``dim`` if it has size 1)."""
    x = as_tensor(x)
    if dim is None:
        shape = tuple(s for s in x.shape if s != 1)
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        dims = {_normalize_dim(d, max(x.ndim, 1), "squeeze") for d in dims}
        shape = tuple(s for i, s in enumerate(x.shape) if not (i in dims and s == 1))
    return reshape(x, shape)


def unsqueeze(x, dim):
    """Insert a size-1 dimension at ``dim``."""
    x = as_tensor(x)
    d = _normalize_dim(dim, x.ndim + 1, "unsqueeze")
    return reshape(x, x.shape[:d] + (1,) + x.shape[d:])


class Permute(Function):
    is_view = True

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        inv = [0] * len(self.axes)
        for i, a in enumerate(self.axes):
            inv[a] = i
        return gy.permute(*inv) if isinstance(gy, Tensor) else gy.transpose(inv)


def permute(x, *dims):
    """Reorder dimensions: ``x.permute(2, 0, 1)``."""
    x = as_tensor(x)
    dims = _shape_arg(dims)
    if len(dims) != x.ndim:
        raise ValueError(f"permute: got {len(dims)} dims {dims} for a tensor with {x.ndim}")
    axes = tuple(_normalize_dim(d, x.ndim, "permute") for d in dims)
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"permute: dims {dims} repeat a dimension")
    if axes == tuple(range(x.ndim)):
        return x
    return Permute(axes)(x)


def transpose(x, dim0, dim1):
    """Swap two dimensions."""
    x = as_tensor(x)
    if x.ndim < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return x
    a = _normalize_dim(dim0, x.ndim, "transpose")
    b = _normalize_dim(dim1, x.ndim, "transpose")
    if a == b:
        return x
    axes = list(range(x.ndim))
    axes[a], axes[b] = axes[b], axes[a]
    return Permute(tuple(axes))(x)


class BroadcastTo(Function):
    is_view = True

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        return get_array_module(x).broadcast_to(x, self.shape)

    def backward(self, gy):
        return sum_to(gy, self.in_shape)


class SumTo(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        return sum_to(x, self.shape)

    def backward(self, gy):
        return _broadcast_to(gy, self.in_shape)


def broadcast_to(x, *shape):
    """View ``x`` with ``shape`` by broadcasting; the gradient is summed back."""
    x = as_tensor(x)
    shape = _shape_arg(shape)
    if len(shape) < x.ndim:
        raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to fewer dims {shape}")
    lead = len(shape) - x.ndim
    if any(s == -1 for s in shape[:lead]):
        raise ValueError(
            f"broadcast_to: -1 is not allowed in a new leading dimension: "
            f"shape {x.shape} to {shape}"
        )
    shape = tuple(x.shape[i - lead] if s == -1 else int(s) for i, s in enumerate(shape))
    if broadcast_shapes(x.shape, shape, op="broadcast_to") != shape:
        raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}")
    if shape == x.shape:
        return x
    return BroadcastTo(shape)(x)


expand = broadcast_to


class Cat(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        self.sizes = [x.shape[self.axis] for x in xs]
        return get_array_module(*xs).concatenate(xs, axis=self.axis)

    def backward(self, gy):
        out, start = [], 0
        for n in self.sizes:
            idx = (slice(None),) * self.axis + (slice(start, start + n),)
            out.append(gy[idx])
            start += n
        return tuple(out)


def _check_same(tensors, op, skip_dim=None):
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty sequence of tensors")
    first = tensors[0]
    for i, t in enumerate(tensors[1:], 1):
        if t.ndim != first.ndim or any(
            a != b for k, (a, b) in enumerate(zip(t.shape, first.shape)) if k != skip_dim
        ):
            where = "" if skip_dim is None else f" except in dimension {skip_dim}"
            raise ValueError(
                f"{op}: tensors must have the same shape{where}; tensor 0 has shape "
                f"{first.shape} and tensor {i} has shape {t.shape}"
            )


def cat(tensors, dim=0):
    """Join tensors along an existing dimension ``dim``."""
    tensors = [as_tensor(t) for t in tensors]
    tensors = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)] or tensors[:1]
    if not tensors:
        raise ValueError("cat: expected a non-empty sequence of tensors")
    d = _normalize_dim(dim, tensors[0].ndim, "cat")
    _check_same(tensors, "cat", skip_dim=d)
    dtypes = {t.data.dtype for t in tensors}
    if len(dtypes) > 1:  # torch's promotion (int64 with float32 is float32), not NumPy's
        from .arithmetic import _promote_types

        dtype = functools.reduce(_promote_types, dtypes)
        tensors = [t.to(dtype) for t in tensors]
    if len(tensors) == 1:
        return tensors[0].clone()
    return Cat(d)(*tensors)


concat = concatenate = cat


def stack(tensors, dim=0):
    """Join same-shaped tensors along a new dimension ``dim``."""
    tensors = [as_tensor(t) for t in tensors]
    _check_same(tensors, "stack")
    d = _normalize_dim(dim, tensors[0].ndim + 1, "stack")
    return cat([unsqueeze(t, d) for t in tensors], d)


def split(x, split_size_or_sections, dim=0):
    """Split into pieces of ``split_size`` (last may be smaller) or of the listed sizes."""
    x = as_tensor(x)
    d = _normalize_dim(dim, x.ndim, "split")
    n = x.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            raise ValueError(f"split: split_size must be positive, got {step}")
        sizes = [min(step, n - i) for i in range(0, n, step)] or [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n:
            raise ValueError(
                f"split: sizes {sizes} sum to {sum(sizes)}, but dimension {dim} has size {n}"
            )
    out, start = [], 0
    for s in sizes:
        idx = (slice(None),) * d + (slice(start, start + s),)
        out.append(x[idx])
        start += s
    return tuple(out)


def chunk(x, chunks, dim=0):
    """Split into ``chunks`` pieces of equal size (the last may be smaller), as torch does."""
    x = as_tensor(x)
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    d = _normalize_dim(dim, x.ndim, "chunk")
    n = x.shape[d]
    step = -(-n // chunks) if n else 1
    return split(x, step, d)


class Pad(Function):
    def __init__(self, widths, value):
        self.widths = widths
        self.value = value

    def forward(self, x):
        xp = get_array_module(x)
        return xp.pad(x, self.widths, mode="constant", constant_values=self.value)

    def backward(self, gy):
        idx = tuple(slice(lo, gy.shape[i] - hi) for i, (lo, hi) in enumerate(self.widths))
        return gy[idx]


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(x, pad, mode="constant", value=None):
    """Pad, torch's convention: ``pad`` lists (left, right) pairs starting from the last
    dimension, e.g. ``(1, 1, 2, 0)`` pads the last dim by 1/1 and the one before by 2/0.
    Negative widths crop.

    ``mode``: 'constant' fills with ``value`` (any dims); 'reflect' mirrors without repeating
    the edge (x₁ x₀ | x₀ x₁ x₂ | x₁), 'replicate' repeats the edge, 'circular' wraps around.
    These three pad the last 1, 2 or 3 dims of a tensor with one or two dims more. Each is a
    gather y[j] = x[i(j)], so ∂L/∂x[i] = Σ_{j: i(j) = i} gy[j].
    """
    x = as_tensor(x)
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {_PAD_MODES}, got {mode!r}")
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(
            f"pad: padding {tuple(pad)} must hold (left, right) pairs for at most "
            f"{x.ndim} dims of a tensor of shape {x.shape}"
        )
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    if mode != "constant":
        return _pad_indexed(x, tuple(int(p) for p in pad), widths, mode, value)
    crop = tuple(slice(max(-lo, 0), s - max(-hi, 0)) for (lo, hi), s in zip(widths, x.shape))
    if any(lo < 0 or hi < 0 for lo, hi in widths):
        x = x[crop]
        widths = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    return Pad(tuple(widths), 0.0 if value is None else value)(x)


def _pad_indexed(x, pad, widths, mode, value):
    """reflect / replicate / circular: per padded dim, output j reads input i(j − left)."""
    k = len(pad) // 2
    if value is not None and value != 0:
        raise ValueError(f"pad: mode {mode!r} takes no value, got value={value}")
    if k not in (1, 2, 3) or x.ndim not in (k + 1, k + 2):
        raise ValueError(
            f"pad: mode {mode!r} pads the last 1, 2 or 3 dims of a tensor with one or two dims "
            f"more, got padding {pad} for an input of shape {x.shape}"
        )
    if mode != "circular" and 0 in x.shape[1:]:
        raise ValueError(
            f"pad: mode {mode!r} needs non-empty dims after the first, got shape {x.shape}"
        )
    xp = get_array_module(x.data)
    for d in range(x.ndim - k, x.ndim):
        (lo, hi), n = widths[d], x.shape[d]
        if lo == hi == 0:
            continue
        if mode == "reflect" and (lo >= n or hi >= n):
            raise ValueError(
                f"pad: reflect padding must be less than the input size, got padding "
                f"({lo}, {hi}) for dim {d} of size {n} (input shape {x.shape})"
            )
        if n + lo + hi < 0:
            raise ValueError(f"pad: padding ({lo}, {hi}) leaves dim {d} of size {n} negative")
        u = xp.arange(n + lo + hi) - lo  # the output's positions in input coordinates
        if mode == "reflect":
            u = xp.abs(u)
            u = xp.where(u >= n, 2 * (n - 1) - u, u)
        elif mode == "replicate":
            u = xp.clip(u, 0, n - 1)
        else:  # torch crops first, then wraps around what is left
            start, kept = max(-lo, 0), n - max(-lo, 0) - max(-hi, 0)
            if max(lo, 0) > kept or max(hi, 0) > kept:
                raise ValueError(
                    f"pad: circular padding ({lo}, {hi}) would wrap around more than once: "
                    f"dim {d} has size {n} (input shape {x.shape})"
                )
            u = start + (xp.arange(n + lo + hi) - max(lo, 0)) % max(kept, 1)
        x = x[(slice(None),) * d + (u,)]
    return x


class Clone(Function):
    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return gy


# ------------------------------------------------------------------ reordering and masking
class Flip(Function):
    """The elements reversed along ``axes``; the gradient is reversed back."""

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return get_array_module(x).flip(x, self.axes).copy()  # a new tensor, as torch

    def backward(self, gy):
        if isinstance(gy, Tensor):
            return Flip(self.axes)(gy)
        return get_array_module(gy).flip(gy, self.axes)


def _dims(dims, ndim, op):
    """torch's ``dims`` (an int or a sequence) as a tuple of distinct non-negative axes."""
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    axes = tuple(_normalize_dim(d, ndim, op) for d in dims)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{op}: dims {dims} name an axis twice (input of {ndim} dims)")
    return axes


def flip(x, dims):
    """x reversed along each of ``dims``."""
    x = as_tensor(x)
    return Flip(_dims(dims, x.ndim, "flip"))(x)


class Roll(Function):
    """x shifted cyclically by ``shifts`` along ``axes`` (None: over the flattened x, then
    reshaped); the gradient is rolled back by the opposite shifts."""

    def __init__(self, shifts, axes):
        self.shifts, self.axes = shifts, axes

    def forward(self, x):
        return get_array_module(x).roll(x, self.shifts, self.axes)

    def backward(self, gy):
        back = -self.shifts if isinstance(self.shifts, int) else tuple(-s for s in self.shifts)
        if isinstance(gy, Tensor):
            return Roll(back, self.axes)(gy)
        return get_array_module(gy).roll(gy, back, self.axes)


def roll(x, shifts, dims=None):
    """x shifted cyclically: ``shifts`` and ``dims`` ints or equal-length sequences; with
    ``dims`` None, over the flattened tensor."""
    x = as_tensor(x)
    steps = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    if dims is None:
        if len(steps) != 1:
            raise ValueError(f"roll: without dims, shifts must be a single int, got {shifts}")
        return Roll(int(steps[0]), None)(x)
    axes = _dims(dims, x.ndim, "roll")
    if len(steps) != len(axes):
        raise ValueError(
            f"roll: shifts and dims must have the same length, got {len(steps)} and {len(axes)}"
        )
    return Roll(tuple(int(k) for k in steps), axes)(x)


class Tri(Function):
    """The lower (tril) or upper (triu) triangle of the last two dims, from ``diagonal`` on;
    the rest zero. The gradient keeps the same triangle."""

    def __init__(self, upper: bool, diagonal: int):
        self.upper, self.diagonal = upper, diagonal

    def forward(self, x):
        xp = get_array_module(x)
        return (xp.triu if self.upper else xp.tril)(x, self.diagonal)

    def backward(self, gy):
        if isinstance(gy, Tensor):
            return Tri(self.upper, self.diagonal)(gy)
        return self.forward(gy)


def _tri(x, diagonal, upper):
    x = as_tensor(x)
    op = "triu" if upper else "tril"
    if x.ndim < 2:
        raise ValueError(f"{op}: input must have at least 2 dims, got shape {x.shape}")
    return Tri(upper, int(diagonal))(x)


def tril(x, diagonal=0):
    """Entries on and below the ``diagonal``-th diagonal of the last two dims; the rest 0."""
    return _tri(x, diagonal, False)


def triu(x, diagonal=0):
    """Entries on and above the ``diagonal``-th diagonal of the last two dims; the rest 0."""
    return _tri(x, diagonal, True)


class Repeat(Function):
    """torch's ``Tensor.repeat``: x tiled ``reps`` times per dim (x first padded with leading
    1-dims to len(reps)). The gradient sums each tile's gradient back: gy seen as
    (r₀, s₀, r₁, s₁, …) summed over the r axes."""

    def __init__(self, reps):
        self.reps = reps

    def forward(self, x):
        self.in_shape = x.shape
        return get_array_module(x).tile(x, self.reps)

    def backward(self, gy):
        shape = (1,) * (len(self.reps) - len(self.in_shape)) + tuple(self.in_shape)
        split = tuple(n for r, s in zip(self.reps, shape) for n in (r, s))
        axes = tuple(range(0, 2 * len(self.reps), 2))
        if isinstance(gy, Tensor):
            return gy.reshape(split).sum(dim=axes).reshape(self.in_shape)
        return gy.reshape(split).sum(axis=axes).reshape(self.in_shape)


def repeat(x, *sizes):
    """x tiled ``sizes`` times along each dim (``Tensor.repeat``); len(sizes) >= x.ndim."""
    x = as_tensor(x)
    reps = tuple(int(s) for s in _shape_arg(sizes))
    if len(reps) < x.ndim:
        raise ValueError(
            f"repeat: number of repeat dims ({len(reps)}) can not be smaller than the "
            f"number of tensor dims ({x.ndim}), shape {x.shape}"
        )
    if any(r < 0 for r in reps):
        raise ValueError(f"repeat: repeats must be non-negative, got {reps}")
    return Repeat(reps)(x)


def tile(x, dims):
    """x tiled ``dims`` times per dim; fewer dims than x has are padded with leading 1s (so
    unlike ``repeat``, ``tile(x, (2,))`` repeats the last dim)."""
    x = as_tensor(x)
    reps = tuple(int(d) for d in ((dims,) if isinstance(dims, int) else dims))
    return repeat(x, (1,) * (x.ndim - len(reps)) + reps)


def narrow(x, dim, start, length):
    """The slice [start, start + length) of ``dim`` (a view's worth of values, as torch)."""
    x = as_tensor(x)
    d = _normalize_dim(dim, x.ndim, "narrow")
    n = x.shape[d]
    start = start + n if start < 0 else start
    if not (0 <= start <= n and 0 <= length and start + length <= n):
        raise ValueError(
            f"narrow: start {start} and length {length} exceed dimension {dim} of size {n} "
            f"(shape {x.shape})"
        )
    return x[(slice(None),) * d + (slice(start, start + length),)]


def movedim(x, source, destination):
    """x with dims ``source`` moved to positions ``destination`` (ints or equal-length
    sequences), the other dims keeping their order."""
    x = as_tensor(x)
    src = _dims(source, x.ndim, "movedim")
    dst = _dims(destination, x.ndim, "movedim")
    if len(src) != len(dst):
        raise ValueError(
            f"movedim: source and destination must have the same length, got {len(src)} and "
            f"{len(dst)}"
        )
    order = [d for d in range(x.ndim) if d not in src]
    for s, t in sorted(zip(dst, src)):
        order.insert(s, t)
    return permute(x, *order)


moveaxis = movedim


def unflatten(x, dim, sizes):
    """Dimension ``dim`` split into ``sizes`` (one entry may be −1)."""
    x = as_tensor(x)
    d = _normalize_dim(dim, x.ndim, "unflatten")
    return reshape(x, x.shape[:d] + tuple(sizes) + x.shape[d + 1 :])


def unbind(x, dim=0):
    """The slices of x along ``dim``, as a tuple of tensors without that dim."""
    x = as_tensor(x)
    d = _normalize_dim(dim, x.ndim, "unbind")
    return tuple(x[(slice(None),) * d + (i,)] for i in range(x.shape[d]))
