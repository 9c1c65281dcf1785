"""Facts about dtypes and torch's type promotion: ``finfo``, ``iinfo``, ``promote_types``,
``result_type`` and ``can_cast``.

chainrule's dtypes are NumPy's (``cr.float32`` is ``numpy.dtype("float32")``), so the limits
come from ``numpy.finfo`` / ``numpy.iinfo``, given back as Python numbers as torch gives them.

Promotion follows torch, not NumPy. Dtypes fall in three ordered categories, bool < integer <
floating point:

* two dtypes of one category promote to the smallest dtype holding both
  (uint8, int8 → int16; float16, float64 → float64);
* across categories the higher one wins outright: int64, float16 → float16 (NumPy: float64).

``result_type`` ranks its operands too: tensors with dimensions first, then 0-d tensors, then
Python numbers. A lower-ranked operand changes the result only when its category is higher,
and a Python number then brings its default dtype (float → the default float, int → int64):
``result_type(int32 tensor, 2.5)`` is float32, ``result_type(float16 tensor, 0-d float64)``
is float16.
"""

from __future__ import annotations

from . import backend
from .tensor import Tensor

np = backend.np


def _dtype(d, op):
    if isinstance(d, Tensor):
        raise TypeError(f"{op}: expected a dtype, got a Tensor")
    try:
        return backend.as_dtype(d)
    except TypeError as e:
        raise TypeError(f"{op}: unsupported dtype {d!r}") from e


class finfo:  # noqa: N801 - torch's name
    """The limits of a floating-point dtype (default: the default float), as ``torch.finfo``:
    ``bits``, ``eps`` (the gap between 1 and the next float), ``max``, ``min``, ``tiny`` (=
    ``smallest_normal``, the smallest positive normal number), ``resolution`` (10^−digits) and
    ``dtype`` (its name)."""

    def __init__(self, type=None):  # noqa: A002 - torch's name
        d = backend.DEFAULT_FLOAT if type is None else _dtype(type, "finfo")
        if d.kind != "f":
            raise TypeError(f"finfo: requires a floating point dtype, got {d}")
        info = np.finfo(d)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)
        self.dtype = str(d)

    def __eq__(self, other):
        return isinstance(other, finfo) and self.dtype == other.dtype

    def __hash__(self):
        return hash(("finfo", self.dtype))

    def __repr__(self):
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
            f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
            f"tiny={self.tiny:g}, dtype={self.dtype})"
        )


class iinfo:  # noqa: N801 - torch's name
    """The limits of an integer dtype, as ``torch.iinfo``: ``bits``, ``max``, ``min`` and
    ``dtype`` (its name)."""

    def __init__(self, type):  # noqa: A002 - torch's name
        d = _dtype(type, "iinfo")
        if d.kind not in "iu":
            raise TypeError(f"iinfo: requires an integer dtype, got {d}")
        info = np.iinfo(d)
        self.bits = int(info.bits)
        self.max = int(info.max)
        self.min = int(info.min)
        self.dtype = str(d)

    def __eq__(self, other):
        return isinstance(other, iinfo) and self.dtype == other.dtype

    def __hash__(self):
        return hash(("iinfo", self.dtype))

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


_CATEGORY = {"b": 0, "i": 1, "u": 1, "f": 2}


def _category(d, op) -> int:
    try:
        return _CATEGORY[d.kind]
    except KeyError:
        raise TypeError(f"{op}: unsupported dtype {d}") from None


def _promote(a, b, op):
    ca, cb = _category(a, op), _category(b, op)
    if ca != cb:
        return a if ca > cb else b
    if {a, b} == {backend.int64, np.dtype("uint64")}:
        raise TypeError(f"{op}: no integer dtype holds both {a} and {b}")
    return np.promote_types(a, b)


def promote_types(type1, type2):
    """The smallest dtype to which both dtypes cast without leaving their category: bool <
    integer < floating point, and across categories the higher one's dtype (int64, float16 →
    float16)."""
    return _promote(_dtype(type1, "promote_types"), _dtype(type2, "promote_types"), "promote_types")


def _scalar_dtype(v, op):
    if isinstance(v, bool):
        return backend.bool_
    if isinstance(v, int):
        return backend.DEFAULT_INT
    if isinstance(v, float):
        return backend.DEFAULT_FLOAT
    raise TypeError(f"{op}: expected a Tensor or a Python number, got {type(v).__name__}")


def result_type(tensor1, tensor2):
    """The dtype of an arithmetic op on ``tensor1`` and ``tensor2`` (Tensors or Python
    numbers), by torch's rules: tensors with dimensions, then 0-d tensors, then numbers; a
    later group counts only where its category is higher than the result so far."""
    op = "result_type"
    groups: tuple = ([], [], [])
    for v in (tensor1, tensor2):
        v = backend.number(v)
        if isinstance(v, Tensor):
            groups[0 if v.ndim else 1].append(v.dtype)
        else:
            groups[2].append(_scalar_dtype(v, op))
    result = None
    for group in groups:
        if not group:
            continue
        g = group[0]
        for d in group[1:]:
            g = _promote(g, d, op)
        if result is None or _category(g, op) > _category(result, op):
            result = g
    return result


def can_cast(from_, to) -> bool:
    """Whether torch allows casting dtype ``from_`` to ``to`` in an op's output: never to a
    lower category (float → int, int → bool), any size within a category or up."""
    op = "can_cast"
    a, b = _dtype(from_, op), _dtype(to, op)
    return _category(a, op) <= _category(b, op)


__all__ = ["can_cast", "finfo", "iinfo", "promote_types", "result_type"]
