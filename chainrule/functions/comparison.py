"""Comparisons and logical tests. They return bool tensors and have no gradient."""

from __future__ import annotations

from ..backend import get_array_module
from ..tensor import Tensor, as_tensor


def _cmp(name, ufunc):
    def fn(a, b):
        a_ = a.data if isinstance(a, Tensor) else a
        b_ = b.data if isinstance(b, Tensor) else b
        xp = get_array_module(a_, b_)
        try:
            return Tensor(getattr(xp, ufunc)(a_, b_))
        except ValueError:
            sa, sb = getattr(a_, "shape", ()), getattr(b_, "shape", ())
            raise ValueError(
                f"{name}: shapes {tuple(sa)} and {tuple(sb)} cannot be broadcast together"
            ) from None

    fn.__name__ = name
    fn.__doc__ = f"Element-wise ``{ufunc}``; returns a bool tensor, no gradient."
    return fn


eq = _cmp("eq", "equal")
ne = _cmp("ne", "not_equal")
lt = _cmp("lt", "less")
le = _cmp("le", "less_equal")
gt = _cmp("gt", "greater")
ge = _cmp("ge", "greater_equal")
logical_and = _cmp("logical_and", "logical_and")
logical_or = _cmp("logical_or", "logical_or")
logical_xor = _cmp("logical_xor", "logical_xor")


def _test(name, ufunc):
    def fn(x):
        x = as_tensor(x)
        return Tensor(getattr(get_array_module(x.data), ufunc)(x.data))

    fn.__name__ = name
    return fn


logical_not = _test("logical_not", "logical_not")
isnan = _test("isnan", "isnan")
isinf = _test("isinf", "isinf")
isfinite = _test("isfinite", "isfinite")


def equal(a, b) -> bool:
    """True if both tensors have the same shape and elements."""
    a, b = as_tensor(a), as_tensor(b)
    return a.shape == b.shape and bool((a.data == b.data).all())


def allclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False) -> bool:
    a, b = as_tensor(a), as_tensor(b)
    return bool(get_array_module(a.data).allclose(a.data, b.data, rtol, atol, equal_nan))
