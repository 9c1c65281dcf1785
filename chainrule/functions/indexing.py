"""Indexing: basic slicing, integer-array and boolean-mask indexing, and assignment.

The backward of ``y = x[key]`` scatters ``gy`` back into zeros of x's shape. With integer
arrays an element can be picked twice, so the scatter *adds* (``backend.scatter_add``): each pick
contributes its share, which is the chain rule summed over every use of the element.
"""

from __future__ import annotations

from .. import backend
from ..autograd.function import Function
from ..backend import get_array_module, is_array
from ..tensor import Tensor
from .arithmetic import _where
from .shape import sum_to


def normalize_key(key):
    """Turn Tensors and lists in an index into arrays; return (key, is_basic)."""
    if not isinstance(key, tuple):
        key = (key,)
    out, basic = [], True
    for k in key:
        if isinstance(k, Tensor):
            k = k.data
        elif isinstance(k, list):
            k = get_array_module().asarray(k)
        if is_array(k) and k.ndim == 0 and k.dtype.kind in "biu":  # torch: a 0-d index is
            k = bool(k) if k.dtype.kind == "b" else int(k)  # a plain number
        if is_array(k):
            basic = False
            if k.dtype.kind not in "biu":
                raise IndexError(
                    f"index: tensors used as indices must be long or bool, got {k.dtype}"
                )
        elif isinstance(k, bool):
            basic = False
        elif not (k is None or k is Ellipsis or isinstance(k, (int, slice))):
            if hasattr(k, "__index__"):
                k = k.__index__()
            else:
                raise IndexError(f"index: unsupported index {k!r} of type {type(k).__name__}")
        out.append(k)
    return tuple(out), basic


def _scatter(g, key, shape):
    """zeros(shape) with g added at ``key`` (repeated indices accumulate)."""
    if isinstance(g, Tensor):
        return IndexScatter(key, shape)(g)
    xp = get_array_module(g)
    gx = xp.zeros(shape, dtype=g.dtype)
    backend.scatter_add(gx, key, g)
    return gx


class GetItem(Function):
    def __init__(self, key, basic):
        self.key, self.is_view = key, basic

    def forward(self, x):
        self.in_shape = x.shape
        return x[self.key]

    def backward(self, gy):
        if self.is_view and not isinstance(gy, Tensor):  # no repeats: a plain assignment
            xp = get_array_module(gy)
            gx = xp.zeros(self.in_shape, dtype=gy.dtype)
            gx[self.key] = gy
            return gx
        return _scatter(gy, self.key, self.in_shape)


class IndexScatter(Function):
    """The adjoint of GetItem: its own backward is GetItem again (for double backward)."""

    def __init__(self, key, shape):
        self.key, self.shape = key, shape

    def forward(self, g):
        return _scatter(g, self.key, self.shape)

    def backward(self, ggx):
        return ggx[self.key]


def _is_int(k):
    return isinstance(k, int) and not isinstance(k, bool)


def _new_dim(k):
    """None and a Python bool index no dimension of x: they add one."""
    return k is None or isinstance(k, bool)


def _torch_keys(key, ndim):
    """The keys to apply one after the other to index as torch does."""
    advanced = any(is_array(k) or isinstance(k, bool) for k in key)
    if advanced and any(_is_int(k) for k in key):
        return _split_ints(key, ndim)
    return (key,)


def _split_ints(key, ndim):
    """torch applies integer indices before array indices (NumPy treats them as arrays, which
    moves the dimensions when they are separated by a slice): x[key] = x[ints][rest]."""
    used = sum(
        k.ndim if is_array(k) and k.dtype.kind == "b" else 0 if _new_dim(k) else 1
        for k in key
        if k is not Ellipsis
    )
    ints, rest = [], []
    for k in key:
        if k is Ellipsis:
            ints.extend([slice(None)] * (ndim - used))
            rest.extend([slice(None)] * (ndim - used))
        elif _is_int(k):
            ints.append(k)
        elif _new_dim(k):
            rest.append(k)
        else:
            ints.extend([slice(None)] * (k.ndim if is_array(k) and k.dtype.kind == "b" else 1))
            rest.append(k)
    return tuple(ints), tuple(rest)


def getitem(x, key):
    key, basic = normalize_key(key)
    try:
        keys = _torch_keys(key, x.ndim)
        if len(keys) == 2:
            return GetItem(keys[1], False)(GetItem(keys[0], True)(x))
        return GetItem(key, basic)(x)
    except IndexError as e:
        raise IndexError(f"index: {e} (tensor of shape {x.shape})") from None


class SetItem(Function):
    """y = x with y[key] = v, done in place on x's array; ∂/∂x is 0 at key, ∂/∂v gathers."""

    def __init__(self, key):
        self.key = key

    def forward(self, x, v):
        xp = get_array_module(x)
        self.keys = _torch_keys(self.key, x.ndim)
        self.mask = xp.zeros(x.shape, dtype=bool)
        assign(self.mask, self.keys, True)
        self.v_shape = v.shape if hasattr(v, "shape") else ()
        assign(x, self.keys, v)
        return x

    def backward(self, gy):
        nx, nv = self.needs_input_grad
        gx = _where(self.mask, 0.0, gy) if nx else None
        gv = None
        if nv:
            for k in self.keys:
                gy = gy[k]
            gv = sum_to(gy, self.v_shape)
        return gx, gv


def assign(a, keys, v):
    """a[key] = v in place on an array, with torch's order of integer and array indices.
    ``keys`` is a normalized key, or the tuple of keys ``_torch_keys`` made from one."""
    if not (keys and isinstance(keys[0], tuple)):
        keys = _torch_keys(keys, a.ndim)
    if len(keys) == 2:
        a = a[keys[0]]  # integers and slices only: a view to assign into
    a[keys[-1]] = v
