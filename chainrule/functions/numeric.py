"""Numeric odds and ends with torch's names: the Bessel function ``i0``, the regularized
incomplete gamma functions ``igamma`` / ``igammac``, ``mvlgamma``, the float-bit ops ``frexp``
and ``nextafter``, ``unravel_index``, and the constructors ``range``, ``scalar_tensor``,
``asarray`` and ``frombuffer``.

I₀ and I₁ (the modified Bessel functions of the first kind) are summed in float64 from their
power series for |x| ≤ 20, all of whose terms are positive (no cancellation):

    I₀(x) = Σₖ (x²/4)ᵏ / (k!)²,     I₁(x) = (x/2) Σₖ (x²/4)ᵏ / (k! (k+1)!),

and beyond from the asymptotic series, whose smallest term there is below e^(−2|x|):

    Iᵥ(x) ~ eˣ/√(2πx) Σₖ (−1)ᵏ Πⱼ₌₁..ₖ (4ν² − (2j−1)²) / (k! (8x)ᵏ).

Their derivatives close on themselves: I₀′ = I₁ and I₁′ = I₀ − I₁/x (½ at 0), so gradients
of any order stay in the pair.

P(a, x) = γ(a, x)/Γ(a) = 1 − Q(a, x) is the power series of γ for x < a + 1 and the continued
fraction of Γ(a, x) (Lentz's method) beyond, per element in float64 (Numerical Recipes §6.2).
As in torch, its only derivative is along x: ∂P/∂x = x^(a−1) e^(−x) / Γ(a) = −∂Q/∂x.
"""

from __future__ import annotations

import builtins
import math
from collections import namedtuple

from .. import backend
from ..autograd.function import Function
from ..backend import get_array_module
from ..dtypes import result_type
from ..tensor import Tensor, as_tensor
from .arithmetic import _float_array, where
from .gamma import _lgamma_ufunc, _special_array, lgamma
from .shape import sum_to
from .special import xlogy

np = backend.np
frexp_result = namedtuple("frexp", ["mantissa", "exponent"])
"""(mantissa, exponent), as torch.return_types.frexp."""


# ---------------------------------------------------------------- Bessel I₀ and I₁
_SERIES_UP_TO = 20.0


def _bessel_i(x, order: int):
    """Iₒᵣ𝒹ₑᵣ(x) for order 0 or 1, in float64, elementwise over array ``x``."""
    xp = get_array_module(x)
    x = x.astype(backend.float64)
    ax = xp.abs(x)
    s = xp.minimum(ax, _SERIES_UP_TO)
    q = s * s / 4
    term = xp.ones_like(s) if order == 0 else s / 2
    total = term
    for k in builtins.range(1, 48):
        term = term * q / (k * (k + order))
        total = total + term
    b = xp.minimum(xp.maximum(ax, _SERIES_UP_TO), 1000.0)  # Iᵥ(x) overflows from x ≈ 713
    mu = 4 * order * order
    term = xp.ones_like(b)
    tail = term
    for k in builtins.range(1, 30):
        term = term * (-(mu - (2 * k - 1) ** 2)) / (8 * k * b)
        tail = tail + term
    with np.errstate(over="ignore", invalid="ignore"):
        half = xp.exp(b / 2)  # eˣ as (e^(x/2))², which stays finite up to x ≈ 1419
        big = half * (half * (tail / xp.sqrt(2 * math.pi * b)))
    y = xp.where(ax <= _SERIES_UP_TO, total, big)
    return y if order == 0 else xp.where(x < 0, -y, y)


class BesselI0(Function):
    """y = I₀(x); ∂y/∂x = I₁(x)."""

    def forward(self, x):
        x = _float_array(x)
        self.save_for_backward(x)
        return _bessel_i(x, 0).astype(x.dtype)

    def backward(self, gy):
        (x,) = self.saved
        return gy * _i1(x)


class BesselI1(Function):
    """y = I₁(x); ∂y/∂x = I₀(x) − I₁(x)/x, which is ½ at x = 0."""

    def forward(self, x):
        self.save_for_backward(x)
        return _bessel_i(x, 1).astype(x.dtype)

    def backward(self, gy):
        (x,) = self.saved
        if isinstance(x, Tensor):
            zero = x.data == 0
            safe = where(zero, 1.0, x)  # x itself (differentiable) away from 0
            return gy * where(zero, 0.5, BesselI0()(x) - BesselI1()(x) / safe)
        xp = get_array_module(x)
        zero = x == 0
        safe = xp.where(zero, 1, x)
        d = _bessel_i(x, 0) - _bessel_i(x, 1) / safe
        return gy * xp.where(zero, 0.5, d).astype(x.dtype)


def _i1(x):
    return BesselI1()(x) if isinstance(x, Tensor) else _bessel_i(x, 1).astype(x.dtype)


def i0(input: Tensor) -> Tensor:
    """I₀(x) = Σₖ (x²/4)ᵏ/(k!)², the zeroth-order modified Bessel function of the first kind
    (integer inputs give the default float); gradient I₁(x)."""
    return BesselI0()(as_tensor(input))


def i0_array(x):
    """I₀ of a float array, in its dtype, without autograd (for ``kaiser_window``)."""
    return _bessel_i(x, 0).astype(x.dtype)


# ---------------------------------------------------------------- incomplete gamma
_TINY = 1e-300


def _regularized_gamma(a: float, x: float, upper: bool) -> float:
    """P(a, x), or Q(a, x) = 1 − P with ``upper``, for Python floats (NaN off the domain)."""
    if math.isnan(a) or math.isnan(x) or a < 0 or x < 0 or (a == 0 and x == 0):
        return math.nan
    if math.isinf(a) and math.isinf(x):
        return math.nan
    if a == 0 or math.isinf(x):
        p = 1.0
    elif x == 0 or math.isinf(a):
        p = 0.0
    else:
        front = math.exp(a * math.log(x) - x - math.lgamma(a))
        if x < a + 1:  # γ(a, x) = e^(−x) xᵃ Σₙ xⁿ / (a (a+1) ... (a+n))
            ap, term = a, 1.0 / a
            total = term
            for _ in builtins.range(10_000):
                ap += 1
                term *= x / ap
                total += term
                if abs(term) < abs(total) * 1e-17:
                    break
            p = total * front
            return 1.0 - p if upper else p
        # Γ(a, x) = e^(−x) xᵃ · 1/(x+1−a− 1·(1−a)/(x+3−a− 2·(2−a)/(x+5−a− ...)))
        b = x + 1 - a
        c, d = 1 / _TINY, 1 / b
        h = d
        for i in builtins.range(1, 10_000):
            an = -i * (i - a)
            b += 2
            d = an * d + b
            d = _TINY if abs(d) < _TINY else d
            c = b + an / c
            c = _TINY if abs(c) < _TINY else c
            d = 1 / d
            step = d * c
            h *= step
            if abs(step - 1) < 1e-16:
                break
        q = front * h
        return q if upper else 1.0 - q
    return 1.0 - p if upper else p


_lower_ufunc = np.frompyfunc(lambda a, x: _regularized_gamma(a, x, False), 2, 1)
_upper_ufunc = np.frompyfunc(lambda a, x: _regularized_gamma(a, x, True), 2, 1)


class RegularizedGamma(Function):
    """y = P(a, x) (or Q with ``upper``); ∂y/∂x = ±x^(a−1) e^(−x)/Γ(a); none along a."""

    def __init__(self, upper: bool, dtype, name: str):
        self.upper, self.dtype, self.op = upper, dtype, name

    def forward(self, a, x):
        xp = get_array_module(a, x)
        a = a if a.dtype == self.dtype else a.astype(self.dtype)  # kept as the input array,
        x = x if x.dtype == self.dtype else x.astype(self.dtype)  # for double backward
        self.save_for_backward(a, x)
        a64, x64 = (backend.to_host(v).astype(backend.float64) for v in (a, x))
        y = (_upper_ufunc if self.upper else _lower_ufunc)(a64, x64)
        y = np.asarray(y, dtype=backend.float64).astype(self.dtype)
        return y if xp is np else backend.to_device(y, backend.device_of(a))

    def backward(self, gy):
        if self.needs_input_grad[0]:
            raise NotImplementedError(
                f"{self.op}: the derivative with respect to input (a) is not implemented, "
                "as in torch"
            )
        a, x = self.saved
        a = a.data if isinstance(a, Tensor) else a
        if isinstance(x, Tensor):  # differentiable again: compose
            la = Tensor(_special_array(a, _lgamma_ufunc, "gammaln"))
            d = (xlogy(Tensor(a - 1), x) - x - la).exp()
        else:
            xp = get_array_module(x)
            with np.errstate(divide="ignore", invalid="ignore"):
                log_part = xp.where(a == 1, 0, (a - 1) * xp.log(x))
            d = xp.exp(log_part - x - _special_array(a, _lgamma_ufunc, "gammaln"))
        gx = gy * d
        return None, sum_to(-gx if self.upper else gx, x.shape)


def _incomplete_gamma(input, other, upper, op):
    a, x = as_tensor(input), as_tensor(other)
    dtype = result_type(a, x)
    if dtype.kind != "f":
        raise TypeError(f"{op}: expects floating point inputs, got {a.dtype} and {x.dtype}")
    try:
        np.broadcast_shapes(a.shape, x.shape)
    except ValueError:
        raise ValueError(
            f"{op}: shapes {tuple(a.shape)} and {tuple(x.shape)} don't broadcast"
        ) from None
    return RegularizedGamma(upper, dtype, op)(a, x)


def igamma(input: Tensor, other: Tensor) -> Tensor:
    """P(a, x) = γ(a, x)/Γ(a) = (1/Γ(a)) ∫₀ˣ tᵃ⁻¹ e⁻ᵗ dt, the regularized lower incomplete gamma
    function of a = ``input`` and x = ``other`` (broadcast; float). Gradient along x only:
    x^(a−1) e^(−x)/Γ(a)."""
    return _incomplete_gamma(input, other, False, "igamma")


def igammac(input: Tensor, other: Tensor) -> Tensor:
    """Q(a, x) = 1 − P(a, x) = Γ(a, x)/Γ(a), the regularized upper incomplete gamma function,
    accurate where P is near 1. Gradient along x only: −x^(a−1) e^(−x)/Γ(a)."""
    return _incomplete_gamma(input, other, True, "igammac")


def mvlgamma(input: Tensor, p: int) -> Tensor:
    """The multivariate log-gamma of dimension p:
    ln Γₚ(x) = p(p−1)/4 · ln π + Σᵢ₌₀..ₚ₋₁ ln Γ(x − i/2); gradient Σᵢ ψ(x − i/2)."""
    if isinstance(p, bool) or not isinstance(backend.number(p), int):
        raise TypeError(f"mvlgamma: p must be an int, got {p!r}")
    if p < 1:
        raise ValueError(f"mvlgamma: p must be at least 1, got {p}")
    x = as_tensor(input)
    if x.dtype.kind != "f":
        x = x.to(backend.DEFAULT_FLOAT)
    xp = get_array_module(x.data)
    shifts = Tensor(xp.arange(p, dtype=x.dtype) / 2)
    return lgamma(x.unsqueeze(-1) - shifts).sum(-1) + p * (p - 1) / 4 * math.log(math.pi)


# ---------------------------------------------------------------- float bits
class Frexp(Function):
    """mantissa m = x / 2ᵉ with ½ ≤ |m| < 1 (e an int32, held aside); ∂m/∂x = 2⁻ᵉ."""

    def forward(self, x):
        xp = get_array_module(x)
        m, e = xp.frexp(x)
        self.exponent = e.astype(backend.int32)
        self.scale = xp.exp2(e.astype(x.dtype))
        return m

    def backward(self, gy):
        return gy / self.scale


def frexp(input: Tensor) -> tuple:
    """(mantissa, exponent) with input = mantissa · 2^exponent, ½ ≤ |mantissa| < 1 (0, inf
    and NaN keep their value with exponent 0); exponent is int32. The mantissa is
    differentiable: ∂m/∂x = 2^−exponent."""
    x = as_tensor(input)
    if x.dtype.kind != "f":
        raise TypeError(f"frexp: only supports floating-point dtypes, got {x.dtype}")
    fn = Frexp()
    m = fn(x)
    return frexp_result(m, Tensor(fn.exponent))


class Nextafter(Function):
    """y = the next float after x towards other; torch's gradient: gy for x, 0 for other."""

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x, other):
        xp = get_array_module(x, other)
        self.shapes = x.shape, other.shape
        return xp.nextafter(x.astype(self.dtype), other.astype(self.dtype))

    def backward(self, gy):
        xshape, oshape = self.shapes
        if isinstance(gy, Tensor):
            return sum_to(gy, xshape), Tensor(sum_to(gy.data * 0, oshape))
        return sum_to(gy, xshape), sum_to(gy * 0, oshape)


def nextafter(input: Tensor, other: Tensor) -> Tensor:
    """The next representable float after ``input`` towards ``other``, elementwise (broadcast;
    ``input`` itself where they are equal)."""
    x, o = as_tensor(input), as_tensor(other)
    dtype = result_type(x, o)
    if dtype.kind != "f":
        raise TypeError(f"nextafter: expects floating point inputs, got {x.dtype} and {o.dtype}")
    try:
        np.broadcast_shapes(x.shape, o.shape)
    except ValueError:
        raise ValueError(
            f"nextafter: shapes {tuple(x.shape)} and {tuple(o.shape)} don't broadcast"
        ) from None
    return Nextafter(dtype)(x, o)


# ---------------------------------------------------------------- indices
def unravel_index(indices, shape) -> tuple:
    """The coordinates, in a tensor of ``shape``, of flat ``indices`` (an int or an integer
    tensor; negative ones count from the end): one int64 tensor per dimension, each shaped as
    ``indices``."""
    op = "unravel_index"
    t = as_tensor(indices)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: expected 'indices' to be integer dtype, got {t.dtype}")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if any(not isinstance(backend.number(s), int) or isinstance(s, bool) for s in shape):
        raise TypeError(f"{op}: 'shape' must be ints, got {shape}")
    if any(s < 0 for s in shape):
        raise ValueError(f"{op}: 'shape' cannot have negative values, got {shape}")
    size = math.prod(shape)
    idx = t.data.astype(backend.int64)
    if idx.size and (bool((idx >= size).any()) or bool((idx < -size).any())):
        raise IndexError(
            f"{op}: indices must be in [{-size}, {size - 1}] for shape {shape}, got "
            f"{int(idx.min())}..{int(idx.max())}"
        )
    out = []  # (floor division and modulo also place a negative index from the end)
    for s in reversed(shape):
        out.append(Tensor(idx % s))
        idx = idx // s
    return tuple(reversed(out))


# ---------------------------------------------------------------- constructors
def range(  # noqa: A001 - torch's name
    start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False
) -> Tensor:
    """Deprecated in torch: values start, start + step, ... up to and including ``end``,
    floor((end − start)/step) + 1 of them, in the default float dtype unless ``dtype``."""
    op = "range"
    if end is None:
        start, end = 0, start
    start, end, step = (backend.number(v) for v in (start, end, step))
    if step == 0:
        raise ValueError(f"{op}: step must be nonzero, got {step}")
    if (end - start) * step < 0:
        raise ValueError(
            f"{op}: upper bound and larger bound inconsistent with step sign, got "
            f"start={start}, end={end}, step={step}"
        )
    n = int(math.floor((end - start) / step)) + 1
    dtype = backend.as_dtype(dtype) or backend.DEFAULT_FLOAT
    xp = np if device is None else backend.module_for(device)
    values = start + xp.arange(n, dtype=backend.float64) * step
    if dtype.kind != "f" and all(isinstance(v, int) for v in (start, step)):
        values = start + xp.arange(n, dtype=backend.int64) * step  # exact beyond 2⁵³
    t = Tensor(values.astype(dtype))
    return t.requires_grad_(True) if requires_grad else t


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A 0-d tensor holding the number ``s``, in the default float dtype unless ``dtype``."""
    s = backend.number(s)
    if not isinstance(s, (bool, int, float)):
        raise TypeError(f"scalar_tensor: expected a number, got {type(s).__name__}")
    dtype = backend.as_dtype(dtype) or backend.DEFAULT_FLOAT
    xp = np if device is None else backend.module_for(device)
    t = Tensor(xp.asarray(s, dtype=dtype))
    return t.requires_grad_(True) if requires_grad else t


def _is_buffer(obj) -> bool:
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return True
    if isinstance(obj, (Tensor, list, tuple, str, np.generic)) or backend.is_array(obj):
        return False
    try:
        memoryview(obj)
    except TypeError:
        return False
    return True


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False) -> Tensor:
    """``obj`` (a Tensor, an array, a buffer, a number or nested sequences) as a Tensor,
    sharing its memory where it can, as ``torch.asarray``.

    ``copy=None`` shares when dtype and device already match, else copies; ``copy=True``
    always copies; ``copy=False`` never does (a ValueError where it would have to). A Tensor
    comes back itself when nothing changes, and a cast of one stays differentiable. Buffers
    (bytes, bytearray, memoryview) are read as ``dtype`` (default: the default float)."""
    op = "asarray"
    dtype = backend.as_dtype(dtype)
    if _is_buffer(obj):
        obj = frombuffer(obj, dtype=dtype or backend.DEFAULT_FLOAT)
        dtype = None
    if isinstance(obj, Tensor) or backend.is_array(obj):
        t = obj if isinstance(obj, Tensor) else Tensor(obj)
        moves = device is not None and not backend.on_device(t.data, device)
        casts = dtype is not None and dtype != t.dtype
        if copy is False and (moves or casts):
            what = f"of dtype {t.dtype} into dtype {dtype}" if casts else f"into device {device}"
            raise ValueError(f"{op}: can't alias a tensor {what} (copy=False)")
        out = t.to(device) if moves else t
        out = out.to(dtype) if casts else out
        if copy and out is t:
            out = t.clone() if t.requires_grad else Tensor(t.data.copy())
    else:
        if copy is False:
            raise ValueError(f"{op}: can't alias a {type(obj).__name__} into a tensor (copy=False)")
        out = Tensor(backend.asarray(obj, dtype))
        if device is not None:
            out = Tensor(backend.to_device(out.data, device))
    if requires_grad and not out.requires_grad:
        if not out.is_leaf:  # pragma: no cover - a tensor needing no grad is a leaf
            out = out.detach()
        if out.dtype.kind != "f":
            raise TypeError(f"{op}: only floating point tensors can require grad, got {out.dtype}")
        out.requires_grad_(True)  # on obj itself where it came back unchanged, as torch
    return out


def frombuffer(buffer, *, dtype, count: int = -1, offset: int = 0, requires_grad=False) -> Tensor:
    """A 1-D tensor viewing the bytes of ``buffer`` (anything with the buffer protocol) as
    ``dtype``: ``count`` elements (−1: all) from byte ``offset``. It shares the buffer's memory
    (read-only for an immutable one, such as bytes)."""
    op = "frombuffer"
    dtype = backend.as_dtype(dtype)
    if dtype is None:
        raise TypeError(f"{op}: dtype is required")
    try:
        view = memoryview(buffer)
    except TypeError:
        raise TypeError(
            f"{op}: expected an object with the buffer protocol, got {type(buffer).__name__}"
        ) from None
    length, size = view.nbytes, dtype.itemsize
    if length == 0:
        raise ValueError(f"{op}: the buffer is empty")
    if not 0 <= offset < length:
        raise ValueError(f"{op}: offset must be in [0, {length}) for this buffer, got {offset}")
    if count == 0 or count < -1:
        raise ValueError(f"{op}: count must be positive or -1, got {count}")
    if count == -1:
        if (length - offset) % size:
            raise ValueError(
                f"{op}: buffer length ({length}) minus offset ({offset}) must be a multiple of "
                f"the element size ({size})"
            )
        count = (length - offset) // size
    elif offset + count * size > length:
        raise ValueError(
            f"{op}: {count} elements of {size} bytes from offset {offset} overrun a buffer of "
            f"{length} bytes"
        )
    arr = np.frombuffer(buffer, dtype=dtype, count=count, offset=offset)
    t = Tensor(arr)
    return t.requires_grad_(True) if requires_grad else t


__all__ = [
    "asarray",
    "frexp",
    "frombuffer",
    "i0",
    "igamma",
    "igammac",
    "mvlgamma",
    "nextafter",
    "range",
    "scalar_tensor",
    "unravel_index",
]
