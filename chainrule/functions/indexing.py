"""Indexing: basic slicing, integer-array and boolean-mask indexing, and assignment.

The backward of ``y = x[key]`` scatters ``gy`` back into zeros of x's shape. With integer
arrays an element can be picked twice, so the scatter *adds* (``xp.add.at``): each pick
contributes its share, which is the chain rule summed over every use of the element.
"""

from __future__ import annotations

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
        if is_array(k):
            basic = False
            if k.dtype.kind not in "biu":
                raise IndexError(f"index: tensors used as indices must be long or bool, "
                                 f"got {k.dtype}")
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
    xp.add.at(gx, key, g)
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


def getitem(x, key):
    key, basic = normalize_key(key)
    try:
        return GetItem(key, basic)(x)
    except IndexError as e:
        raise IndexError(f"index: {e} (tensor of shape {x.shape})") from None


class SetItem(Function):
    """y = x with y[key] = v, done in place on x's array; ∂/∂x is 0 at key, ∂/∂v gathers."""

    def __init__(self, key):
        self.key = key

    def forward(self, x, v):
        xp = get_array_module(x)
        self.mask = xp.zeros(x.shape, dtype=bool)
        self.mask[self.key] = True
        self.v_shape = v.shape if hasattr(v, "shape") else ()
        x[self.key] = v
        return x

    def backward(self, gy):
        nx, nv = self.needs_input_grad
        gx = _where(self.mask, 0.0, gy) if nx else None
        gv = sum_to(gy[self.key], self.v_shape) if nv else None
        return gx, gv
