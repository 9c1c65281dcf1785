"""Reductions: sum, mean, var, std, max, min, prod, logsumexp, norm, median; argmax, argmin;
all, any. (The running ops, cumsum and cumprod, are in ``cumulative``.)

A reduction's backward spreads the upstream gradient back over the reduced elements: evenly
for sum and mean, to the winning element for max and min, by the other factors for prod.
"""

from __future__ import annotations

import builtins
from collections import namedtuple

from .. import backend
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor, _normalize_dim, as_tensor
from .arithmetic import _d, _exp, _where
from .selection import Gather, _argsort, _pick_key
from .shape import _broadcast_to, stack

values_indices = namedtuple("values_indices", ["values", "indices"])


def _axes(dim, ndim, op):
    """torch's ``dim`` (None, int, or tuple) as a sorted tuple of axes, or None for all."""
    if dim is None:
        return None
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    if len(dims) == 0:
        return None
    axes = tuple(sorted({_normalize_dim(d, builtins.max(ndim, 1), op) for d in dims}))
    if ndim == 0:
        return None
    return axes


def _kshape(shape, axes):
    """The shape with reduced axes kept as 1 (keepdim=True)."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _expand_back(gy, in_shape, axes):
    return _broadcast_to(gy.reshape(_kshape(in_shape, axes)), in_shape)


class Sum(Function):
    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        self.in_shape = x.shape
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        return _expand_back(gy, self.in_shape, self.axes)


class Mean(Function):
    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        self.in_shape = x.shape
        n = x.size if self.axes is None else 1
        if self.axes is not None:
            for a in self.axes:
                n *= x.shape[a]
        self.n = n
        if type(x) is backend.ndarray and x.dtype in _MEAN_AS_SUM and 0 < n < _MEAN_AS_SUM[x.dtype]:
            # NumPy's mean, bit for bit, without its Python wrapper (~5 µs a call): it divides
            # the same sum in float64 and rounds, and a float64 quotient of two float32 values
            # rounds to the float32 quotient (53 ≥ 2·24 + 2 bits), for any count float32 holds
            return backend.np.add.reduce(x, axis=self.axes, keepdims=self.keepdims) / n
        return x.mean(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        return _expand_back(
            gy * (1.0 / self.n if self.n else float("nan")), self.in_shape, self.axes
        )


# dtypes whose mean is sum / n bit for bit, with the counts below which n is exact in them
_MEAN_AS_SUM = {backend.float32: 1 << 24, backend.float64: 1 << 53}


def _float_check(x, op):
    if x.dtype.kind not in "f":
        raise TypeError(f"{op}: input dtype should be floating point, got {x.dtype}")


def sum(x, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):  # noqa: A001
    """Sum over ``dim`` (an int, a tuple, or None for all). Gradient: gy spread to every element."""
    x = as_tensor(x)
    dim, keepdim = (axis if dim is None else dim), (keepdim if keepdims is None else keepdims)
    if dtype is not None:
        x = x.to(dtype)
    elif x.dtype.kind in "bi" or x.dtype.kind == "u":
        x = x.to("int64")
    return Sum(_axes(dim, x.ndim, "sum"), keepdim)(x)


def mean(x, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Mean over ``dim``. Gradient: gy / n to every element."""
    x = as_tensor(x)
    dim, keepdim = (axis if dim is None else dim), (keepdim if keepdims is None else keepdims)
    if dtype is not None:
        x = x.to(dtype)
    _float_check(x, "mean")
    return Mean(_axes(dim, x.ndim, "mean"), keepdim)(x)


def var(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over ``dim`` with Bessel's ``correction`` (1 by default, as torch)."""
    x = as_tensor(x)
    _float_check(x, "var")
    if isinstance(dim, bool):  # var(x, False): torch's old positional ``unbiased``
        dim, unbiased = None, dim
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    axes = _axes(dim, x.ndim, "var")
    n = x.numel() if axes is None else 1
    if axes is not None:
        for a in axes:
            n *= x.shape[a]
    d = x - mean(x, axes, keepdim=True)
    denom = n - correction
    scale = 1.0 / denom if denom > 0 else float("inf") if n else float("nan")
    return sum(d * d, axes, keepdim) * scale


class _SqrtOfVar(Function):
    """y = √v; ∂y/∂v = 1 / (2y), taken as 0 where y = 0 (a constant input), as torch."""

    def forward(self, v):
        y = get_array_module(v).sqrt(v)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved
        zero = _d(y) == 0
        return _where(zero, 0.0, gy / (2 * _where(zero, 1.0, y)))


def std(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation: the square root of ``var``."""
    return _SqrtOfVar()(var(x, dim, unbiased, keepdim, correction=correction))


class MaxAll(Function):
    """max over everything (or ``axes``, no indices); ties share the gradient evenly (torch)."""

    def __init__(self, axes, keepdims, mode):
        self.axes, self.keepdims, self.mode = axes, keepdims, mode

    def forward(self, x):
        f = x.max if self.mode == "max" else x.min
        yk = f(axis=self.axes, keepdims=True)
        mask = x == yk
        self.w = mask / mask.sum(axis=self.axes, keepdims=True)
        self.in_shape = x.shape
        return (
            yk
            if self.keepdims
            else yk.reshape(
                tuple(
                    s for i, s in enumerate(x.shape) if self.axes is not None and i not in self.axes
                )
            )
        )

    def backward(self, gy):
        return _expand_back(gy, self.in_shape, self.axes) * self.w.astype(gy.dtype)


class MaxDim(Function):
    """max along one axis, with indices; the gradient goes to the first maximum (torch)."""

    def __init__(self, axis, keepdims, arg):
        self.axis, self.keepdims, self.arg = axis, keepdims, arg

    def forward(self, x):
        xp = get_array_module(x)
        idx = xp.expand_dims(self.arg, self.axis)
        self.in_shape = x.shape
        mask = xp.zeros(x.shape, dtype=bool)
        xp.put_along_axis(mask, idx, True, axis=self.axis)
        self.mask = mask
        y = xp.take_along_axis(x, idx, axis=self.axis)
        return y if self.keepdims else y.squeeze(self.axis)

    def backward(self, gy):
        g = _expand_back(gy, self.in_shape, (self.axis,))
        return _where(self.mask, g, 0.0)


def _max_min(x, dim, keepdim, mode):
    x = as_tensor(x)
    if isinstance(dim, Tensor):  # x.max(other): element-wise
        from .arithmetic import maximum, minimum

        return maximum(x, dim) if mode == "max" else minimum(x, dim)
    if x.numel() == 0 and (dim is None or x.shape[_normalize_dim(dim, x.ndim, mode)] == 0):
        raise ValueError(
            f"{mode}: cannot reduce an empty dimension of a tensor of shape "
            f"{x.shape}; there is no identity"
        )
    if dim is None:
        return MaxAll(None, False, mode)(x)
    if x.ndim == 0:
        _normalize_dim(dim, 1, mode)
        return values_indices(x.clone(), Tensor(get_array_module(x.data).zeros((), "int64")))
    axis = _normalize_dim(dim, x.ndim, mode)
    arg = x.data.argmax(axis=axis) if mode == "max" else x.data.argmin(axis=axis)
    y = MaxDim(axis, keepdim, arg)(x)
    if keepdim:
        arg = get_array_module(arg).expand_dims(arg, axis)
    return values_indices(y, Tensor(arg.astype("int64")))


def max(x, dim=None, keepdim=False):  # noqa: A001
    """max(): the largest element. max(dim): (values, indices) along ``dim``.
    max(other): element-wise maximum."""
    return _max_min(x, dim, keepdim, "max")


def min(x, dim=None, keepdim=False):  # noqa: A001
    """min(): the smallest element. min(dim): (values, indices). min(other): element-wise."""
    return _max_min(x, dim, keepdim, "min")


def amax(x, dim=None, keepdim=False):
    """Max over one or several dims; ties share the gradient evenly."""
    x = as_tensor(x)
    return MaxAll(_axes(dim, x.ndim, "amax"), keepdim, "max")(x)


def amin(x, dim=None, keepdim=False):
    x = as_tensor(x)
    return MaxAll(_axes(dim, x.ndim, "amin"), keepdim, "min")(x)


def argmax(x, dim=None, keepdim=False):
    """Index of the largest element (flat if ``dim`` is None); no gradient."""
    return _arg(x, dim, keepdim, "argmax")


def argmin(x, dim=None, keepdim=False):
    """Index of the smallest element; no gradient."""
    return _arg(x, dim, keepdim, "argmin")


def _arg(x, dim, keepdim, op):
    x = as_tensor(x)
    a = x.data
    xp = get_array_module(a)
    if dim is None:
        r = getattr(a, op)()
        if keepdim:
            r = xp.asarray(r).reshape((1,) * a.ndim)
        return Tensor(xp.asarray(r, dtype="int64"))
    axis = _normalize_dim(dim, builtins.max(x.ndim, 1), op)
    if a.ndim == 0:
        return Tensor(xp.zeros((), "int64"))
    r = getattr(a, op)(axis=axis, keepdims=keepdim)
    return Tensor(r.astype("int64"))


class Prod(Function):
    """∂(Π xⱼ)/∂xᵢ = Π_{j≠i} xⱼ, computed with exclusive cumulative products (zeros safe)."""

    def __init__(self, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.save_for_backward(x)
        self.in_shape = x.shape
        return x.prod(axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        (x,) = self.saved
        axes = None if self.axis is None else (self.axis,)
        return _expand_back(gy, self.in_shape, axes) * _prod_others(x, self.axis)


def _prod_others(x, axis):
    """For each element, the product of the others along ``axis`` (all, if None)."""
    if axis is None:
        return _prod_others(x.reshape(-1), 0).reshape(x.shape)
    n = x.shape[axis]
    if n == 0:
        return x * 0
    if isinstance(x, Tensor):  # differentiable: products of slices, O(n) ops
        parts = [x[(slice(None),) * axis + (i,)] for i in range(n)]
        one = parts[0] * 0 + 1 if n else None
        pre, suf = [one], [one]
        for i in range(n - 1):
            pre.append(pre[-1] * parts[i])
            suf.append(suf[-1] * parts[n - 1 - i])
        return stack([pre[i] * suf[n - 1 - i] for i in range(n)], axis)
    xp = get_array_module(x)
    xm = xp.moveaxis(x, axis, -1)
    ones = xp.ones(xm.shape[:-1] + (1,), dtype=x.dtype)
    pre = xp.cumprod(xp.concatenate([ones, xm[..., :-1]], axis=-1), axis=-1)
    suf = xp.cumprod(xp.concatenate([ones, xm[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return xp.moveaxis(pre * suf, -1, axis)


def prod(x, dim=None, keepdim=False):
    """Product over all elements or along one ``dim``."""
    x = as_tensor(x)
    if x.ndim == 0 or dim is None:
        return Prod(None, False)(x) if x.ndim else x.clone()
    return Prod(_normalize_dim(dim, x.ndim, "prod"), keepdim)(x)


class LogSumExp(Function):
    """y = m + ln Σ e^(x − m), m = max x; ∂y/∂x = e^(x − y) = softmax(x)."""

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        xp = get_array_module(x)
        if x.size:
            m = x.max(axis=self.axes, keepdims=True)
            m = xp.where(xp.isfinite(m), m, 0)
        else:  # an empty sum: ln 0 = -inf, as torch
            m = xp.zeros(_kshape(x.shape, self.axes), dtype=x.dtype)
        with backend.np.errstate(divide="ignore"):  # NumPy warns; a GPU never does
            yk = xp.log(xp.exp(x - m).sum(axis=self.axes, keepdims=True)) + m
        self.in_shape = x.shape
        y = yk if self.keepdims else yk.reshape(_reduced(x.shape, self.axes))
        self.save_for_backward(x, y)  # the output itself, so double backward flows through it
        return y

    def backward(self, gy):
        x, y = self.saved
        k = _kshape(self.in_shape, self.axes)
        return gy.reshape(k) * _exp(x - y.reshape(k))


def _reduced(shape, axes):
    if axes is None:
        return ()
    return tuple(s for i, s in enumerate(shape) if i not in axes)


def logsumexp(x, dim=None, keepdim=False):
    """ln Σ exp(x) over ``dim``, stable for large x."""
    x = as_tensor(x)
    _float_check(x, "logsumexp")
    if dim is None:
        dim = tuple(range(x.ndim))
    return LogSumExp(_axes(dim, x.ndim, "logsumexp"), keepdim)(x)


class Norm2(Function):
    """y = √(Σ x²); ∂y/∂x = x / y (0 where y = 0, as torch)."""

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        xp = get_array_module(x)
        yk = xp.sqrt((x * x).sum(axis=self.axes, keepdims=True))
        self.in_shape = x.shape
        y = yk if self.keepdims else yk.reshape(_reduced(x.shape, self.axes))
        self.save_for_backward(x, y)
        return y

    def backward(self, gy):
        x, y = self.saved
        k = _kshape(self.in_shape, self.axes)
        g, yk = gy.reshape(k), y.reshape(k)
        zero = _d(yk) == 0
        return _where(zero, 0.0, g * x / _where(zero, 1.0, yk))


def norm(x, p="fro", dim=None, keepdim=False):
    """Vector p-norm over ``dim`` (all elements if None): p = 2 ('fro'), 1, inf, -inf, 0, or
    any other number."""
    x = as_tensor(x)
    _float_check(x, "norm")
    axes = _axes(dim, x.ndim, "norm")
    if x.ndim == 0:
        axes = None
    if p in ("fro", 2, 2.0):
        return Norm2(axes, keepdim)(x)
    a = x.abs()
    if p == float("inf"):
        return amax(a, axes, keepdim)
    if p == float("-inf"):
        return amin(a, axes, keepdim)
    if p == 0:
        return sum((x != 0).to(x.dtype), axes, keepdim)
    if p == 1:
        return sum(a, axes, keepdim)
    if not isinstance(p, (int, float)):
        raise ValueError(f"norm: unsupported p={p!r}")
    return NormP(float(p), axes, keepdim)(x)


class NormP(Function):
    """y = (Σ|x|ᵖ)^(1/p); ∂y/∂x = sign(x) |x|^(p−1) / y^(p−1) (0 where y = 0, as torch)."""

    def __init__(self, p, axes, keepdims):
        self.p, self.axes, self.keepdims = p, axes, keepdims

    def forward(self, x):
        xp = get_array_module(x)
        yk = (xp.abs(x) ** self.p).sum(axis=self.axes, keepdims=True) ** (1.0 / self.p)
        self.in_shape = x.shape
        y = yk if self.keepdims else yk.reshape(_reduced(x.shape, self.axes))
        self.save_for_backward(x, y)
        return y

    def backward(self, gy):
        x, y = self.saved
        k = _kshape(self.in_shape, self.axes)
        g, yk = gy.reshape(k), y.reshape(k)
        zero = _d(yk) == 0
        sign = get_array_module(_d(x)).sign(_d(x))  # piecewise constant: no derivative
        gx = g * sign * abs(x) ** (self.p - 1) / _where(zero, 1.0, yk) ** (self.p - 1)
        return _where(zero, 0.0, gx)


median_result = namedtuple("median", ["values", "indices"])
"""(values, indices), as torch.return_types.median."""


class MedianAll(Function):
    """The lower median m of all elements (the ⌊(n−1)/2⌋-th smallest; NaN if any is NaN).
    Elements tied at m share the gradient evenly, as torch."""

    def forward(self, x):
        xp = get_array_module(x)
        flat, k = x.reshape(-1), (x.size - 1) // 2
        nan = xp.isnan(x) if x.dtype.kind == "f" else None
        if x.size == 0 or (nan is not None and nan.any()):  # torch: NaN is catching
            m = xp.full((), xp.nan, dtype=x.dtype)
        else:
            m = xp.partition(flat, k)[k]
        tied = nan if nan is not None and xp.isnan(m) else x == m
        self.w = tied / tied.sum()
        self.in_shape = x.shape
        return xp.asarray(m, dtype=x.dtype)

    def backward(self, gy):
        return _expand_back(gy, self.in_shape, None) * self.w.astype(gy.dtype)


def median(input, dim: int | None = None, keepdim: bool = False):
    """median(): the lower median of all elements (for an even count, the smaller of the two
    middle values), NaN if any element is NaN. median(dim): (values, indices) of the lower
    median along ``dim``; a slice holding NaN gives its first NaN.

    Gradient: to the chosen element (median(): shared evenly among elements equal to it).

        >>> median(tensor([4., 1., 3., 2.]))
        tensor(2.)
    """
    x = as_tensor(input)
    if dim is None:
        return MedianAll()(x)
    xp = get_array_module(x.data)
    if x.ndim == 0:
        _normalize_dim(dim, 0, "median")
        return median_result(x.clone(), Tensor(xp.zeros((), "int64")))
    axis = _normalize_dim(dim, x.ndim, "median")
    n = x.shape[axis]
    if n == 0:
        raise IndexError(
            f"median: cannot take the median along dimension {axis} of size 0 "
            f"(input shape {x.shape})"
        )
    order = _argsort(x.data, axis, descending=False)  # NaN sorts last
    index = order[(slice(None),) * axis + (slice((n - 1) // 2, (n + 1) // 2),)]
    nan = xp.isnan(x.data) if x.dtype.kind == "f" else None
    if nan is not None and nan.any():  # torch: a slice with NaN has NaN as its median
        has_nan = nan.any(axis=axis, keepdims=True)
        first_nan = xp.expand_dims(nan.argmax(axis=axis), axis)
        index = xp.where(has_nan, first_nan, index)
    values = Gather(_pick_key(index, axis, index.shape))(x)
    if not keepdim:
        values, index = values.squeeze(axis), index.squeeze(axis)
    return median_result(values, Tensor(index.astype("int64")))


def _logical(x, dim, keepdim, op):
    x = as_tensor(x)
    axes = _axes(dim, x.ndim, op)
    xp = get_array_module(x.data)
    out = getattr(x.data, op)(axis=axes, keepdims=keepdim)
    return Tensor(xp.asarray(out))  # NumPy gives a bool scalar for a full reduction


def all(x, dim=None, keepdim=False):  # noqa: A001 - torch's name
    """Whether every element (along ``dim``) is nonzero; a bool tensor, no gradient."""
    return _logical(x, dim, keepdim, "all")


def any(x, dim=None, keepdim=False):  # noqa: A001 - torch's name
    """Whether some element (along ``dim``) is nonzero; a bool tensor, no gradient."""
    return _logical(x, dim, keepdim, "any")
