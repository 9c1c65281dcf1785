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


def _make(data, requires_grad):
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


def tensor(data, dtype=None, requires_grad=False) -> Tensor:
    """A new leaf tensor holding a copy of ``data`` (lists, scalars, arrays, tensors).

    Python floats become float32 and ints int64, as in torch.
    """
    if isinstance(data, Tensor):
        data = data.data
    arr = backend.asarray(data, dtype)
    if backend.is_array(data) and arr is data:
        arr = arr.copy()
    return _make(arr, requires_grad)


def as_tensor(data, dtype=None) -> Tensor:
    """Like ``tensor`` but shares memory with an ndarray of the right dtype."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    return _make(backend.asarray(data, dtype), False)


def from_numpy(a) -> Tensor:
    """Share memory with the ndarray ``a`` (its dtype is kept)."""
    return _make(a, False)


def zeros(*size, dtype=None, requires_grad=False) -> Tensor:
    return _make(np.zeros(_size(size), _float(dtype)), requires_grad)


def ones(*size, dtype=None, requires_grad=False) -> Tensor:
    return _make(np.ones(_size(size), _float(dtype)), requires_grad)


def empty(*size, dtype=None, requires_grad=False) -> Tensor:
    return _make(np.empty(_size(size), _float(dtype)), requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (its dtype inferred from the value)."""
    if dtype is None:
        dtype = (
            backend.bool_
            if isinstance(fill_value, bool)
            else backend.DEFAULT_INT
            if isinstance(fill_value, int)
            else backend.DEFAULT_FLOAT
        )
    return _make(np.full(_size((size,)), fill_value, backend.as_dtype(dtype)), requires_grad)


def zeros_like(t, dtype=None, requires_grad=False) -> Tensor:
    return _make(np.zeros(t.shape, backend.as_dtype(dtype) or t.dtype), requires_grad)


def ones_like(t, dtype=None, requires_grad=False) -> Tensor:
    return _make(np.ones(t.shape, backend.as_dtype(dtype) or t.dtype), requires_grad)


def full_like(t, fill_value, dtype=None, requires_grad=False) -> Tensor:
    return _make(np.full(t.shape, fill_value, backend.as_dtype(dtype) or t.dtype), requires_grad)


def empty_like(t, dtype=None, requires_grad=False) -> Tensor:
    return _make(np.empty(t.shape, backend.as_dtype(dtype) or t.dtype), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 if all are ints."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if dtype is None:
        ints = all(isinstance(v, int) for v in (start, end, step))
        dtype = backend.DEFAULT_INT if ints else backend.DEFAULT_FLOAT
    return _make(np.arange(start, end, step).astype(backend.as_dtype(dtype)), requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    if steps < 0:
        raise ValueError(f"linspace: number of steps must be non-negative, got {steps}")
    return _make(np.linspace(start, end, int(steps)).astype(_float(dtype)), requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False) -> Tensor:
    return _make(np.eye(n, m, dtype=_float(dtype)), requires_grad)


def rand(*size, dtype=None, requires_grad=False) -> Tensor:
    """Uniform on [0, 1)."""
    dtype = _random_float(dtype, "rand")
    return _make(backend.rng().random(_size(size)).astype(dtype), requires_grad)


def randn(*size, dtype=None, requires_grad=False) -> Tensor:
    """Standard normal."""
    dtype = _random_float(dtype, "randn")
    return _make(backend.rng().standard_normal(_size(size)).astype(dtype), requires_grad)


def randint(low, high=None, size=None, dtype=None) -> Tensor:
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
    return _make(backend.rng().integers(low, high, _size((size,))).astype(dtype), False)


def randn_like(t, dtype=None, requires_grad=False) -> Tensor:
    return randn(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def rand_like(t, dtype=None, requires_grad=False) -> Tensor:
    return rand(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def randperm(n, dtype=None) -> Tensor:
    return _make(backend.rng().permutation(n).astype(backend.as_dtype(dtype) or "int64"), False)
