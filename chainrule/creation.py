"""Tensor constructors: ``tensor``, ``zeros``, ``ones``, ``arange``, ``randn``, ... as in torch."""

from __future__ import annotations

from . import backend
from .tensor import Tensor, _wrap

np = backend.np


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    size = tuple(int(s) for s in size)
    if any(s < 0 for s in size):
        raise ValueError(f"negative dimension in size {size}")
    return size


def _xp(device):
    """The array module that makes arrays on ``device`` (None: the CPU)."""
    return np if device is None else backend.module_for(device)


def _make(data, requires_grad, device=None):
    if device is not None:
        data = backend.to_device(data, device)
    t = _wrap(data, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _float(dtype):
    return backend.as_dtype(dtype) or backend.DEFAULT_FLOAT


def _random_float(dtype, op):
    dtype = _float(dtype)
    if dtype.kind != "f":
        raise TypeError(f"{op}: draws floating-point numbers, got dtype {dtype}")
    return dtype


def tensor(data, dtype=None, requires_grad=False, device=None) -> Tensor:
    """A new leaf tensor holding a copy of ``data`` (lists, scalars, arrays, tensors), on
    ``device`` (default: where ``data`` is; the CPU for Python data).

    Python floats become float32 and ints int64, as in torch.
    """
    if isinstance(data, Tensor):
        data = data.data
    arr = backend.asarray(data, dtype)
    if (
        backend.is_array(data)
        and arr is data
        and (device is None or backend.on_device(arr, device))
    ):
        arr = arr.copy()
    return _make(arr, requires_grad, device)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with an array of the right dtype and device."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype)
    return _make(backend.asarray(data, dtype), False, device)


def from_numpy(a) -> Tensor:
    """Share memory with the ndarray ``a`` (its dtype is kept)."""
    return _make(a, False)


def zeros(*size, dtype=None, requires_grad=False, device=None) -> Tensor:
    return _make(_xp(device).zeros(_size(size), _float(dtype)), requires_grad, device)


def ones(*size, dtype=None, requires_grad=False, device=None) -> Tensor:
    return _make(_xp(device).ones(_size(size), _float(dtype)), requires_grad, device)


def empty(*size, dtype=None, requires_grad=False, device=None) -> Tensor:
    return _make(_xp(device).empty(_size(size), _float(dtype)), requires_grad, device)


def full(size, fill_value, dtype=None, requires_grad=False, device=None) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (its dtype inferred from the value)."""
    if dtype is None:
        dtype = (
            backend.bool_
            if isinstance(fill_value, bool)
            else backend.DEFAULT_INT
            if isinstance(fill_value, int)
            else backend.DEFAULT_FLOAT
        )
    data = _xp(device).full(_size((size,)), fill_value, backend.as_dtype(dtype))
    return _make(data, requires_grad, device)


def _like(t, device):
    """``device`` for a ``*_like`` constructor: the given one, else ``t``'s."""
    return t.device if device is None and isinstance(t, Tensor) else device


def zeros_like(t, dtype=None, requires_grad=False, device=None) -> Tensor:
    return zeros(
        t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad, device=_like(t, device)
    )


def ones_like(t, dtype=None, requires_grad=False, device=None) -> Tensor:
    return ones(
        t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad, device=_like(t, device)
    )


def full_like(t, fill_value, dtype=None, requires_grad=False, device=None) -> Tensor:
    dtype, device = dtype or t.dtype, _like(t, device)
    return full(t.shape, fill_value, dtype=dtype, requires_grad=requires_grad, device=device)


def empty_like(t, dtype=None, requires_grad=False, device=None) -> Tensor:
    return empty(
        t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad, device=_like(t, device)
    )


def arange(start, end=None, step=1, dtype=None, requires_grad=False, device=None) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 if all are ints."""
    if end is None:
        start, end = 0, start
    start, end, step = map(backend.number, (start, end, step))  # numpy.int64(3) is an int
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if dtype is None:
        ints = all(isinstance(v, int) for v in (start, end, step))
        dtype = backend.DEFAULT_INT if ints else backend.DEFAULT_FLOAT
    data = _xp(device).arange(start, end, step).astype(backend.as_dtype(dtype))
    return _make(data, requires_grad, device)


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    if steps < 0:
        raise ValueError(f"linspace: number of steps must be non-negative, got {steps}")
    data = _xp(device).linspace(start, end, int(steps)).astype(_float(dtype))
    return _make(data, requires_grad, device)


def logspace(start, end, steps, base=10.0, dtype=None, requires_grad=False, device=None):
    """``steps`` values from base^start to base^end, evenly spaced in the exponent."""
    if steps < 0:
        raise ValueError(f"logspace: number of steps must be non-negative, got {steps}")
    data = _xp(device).logspace(start, end, int(steps), base=base).astype(_float(dtype))
    return _make(data, requires_grad, device)


def eye(n, m=None, dtype=None, requires_grad=False, device=None) -> Tensor:
    return _make(_xp(device).eye(n, m, dtype=_float(dtype)), requires_grad, device)


def rand(*size, dtype=None, requires_grad=False, device=None) -> Tensor:
    """Uniform on [0, 1), drawn by ``device``'s generator."""
    dtype = _random_float(dtype, "rand")
    data = backend.rng(_xp(device)).random(_size(size)).astype(dtype)
    return _make(data, requires_grad, device)


def randn(*size, dtype=None, requires_grad=False, device=None) -> Tensor:
    """Standard normal, drawn by ``device``'s generator."""
    dtype = _random_float(dtype, "randn")
    data = backend.rng(_xp(device)).standard_normal(_size(size)).astype(dtype)
    return _make(data, requires_grad, device)


def randint(low, high=None, size=None, dtype=None, device=None) -> Tensor:
    """Integers uniform in [low, high): ``randint(10, (3,))`` or ``randint(2, 10, (3,))``."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint: size is required, e.g. randint(0, 10, (3,))")
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    dtype = backend.as_dtype(dtype) or backend.DEFAULT_INT
    data = backend.rng(_xp(device)).integers(low, high, _size((size,))).astype(dtype)
    return _make(data, False, device)


def randn_like(t, dtype=None, requires_grad=False, device=None) -> Tensor:
    device = _like(t, device)
    return randn(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad, device=device)


def rand_like(t, dtype=None, requires_grad=False, device=None) -> Tensor:
    device = _like(t, device)
    return rand(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad, device=device)


def randperm(n, dtype=None, device=None) -> Tensor:
    data = backend.rng(_xp(device)).permutation(n).astype(backend.as_dtype(dtype) or "int64")
    return _make(data, False, device)
