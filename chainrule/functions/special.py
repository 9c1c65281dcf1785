"""The rest of torch's differentiable element-wise math: inverse hyperbolic functions, exp2,
logaddexp, hypot, copysign, xlogy, logit, sinc, fmax and fmin, float_power, the add/mul/div
combinations, and torch's aliases (multiply, divide, greater, ...). erfc, erfinv, lgamma,
digamma and polygamma are in gamma.py (and re-exported here); the ops without a gradient
(heaviside, isclose, signbit, ...) are in bitwise.py.

Each backward is the local derivative times the upstream gradient ``gy``, written with operators
and the ``_exp``/``_log``/``_where`` helpers so that, fed Tensors, it records a graph (double
backward). Ops that are short compositions of differentiable ops are composed.
"""

from __future__ import annotations

import math

from .. import backend
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor, as_tensor
from . import comparison
from .arithmetic import (
    _Elementwise,
    _log,
    _no_integer_zero_division,
    _operands,
    _shape,
    _where,
    _zero_grad,
    clamp,
    div,
    exp,
    log,
    log1p,
    maximum,
    mul,
    number_arg,
    pow,
    sin,
    sub,
    where,
)
from .arithmetic import (
    abs as abs_,
)
from .gamma import digamma, erfc, erfinv, lgamma, polygamma, psi  # noqa: F401 (re-exported)
from .shape import broadcast_shapes, sum_to

multiply, true_divide = mul, div


def _like(s, t):
    """The Python number ``s`` as a 0-d constant Tensor of ``t``'s dtype, on ``t``'s device."""
    return Tensor(get_array_module(t.data).asarray(s, dtype=t.data.dtype))


def _pair(a, b, op, floating=True):
    """Both operands as Tensors of torch's result dtype (a number takes the other side's
    dtype; ``floating``: integers and bools become float32), broadcastable together."""
    a, b = _operands(a, b)
    if not isinstance(a, Tensor):
        a = _like(a, b)
    if not isinstance(b, Tensor):
        b = _like(b, a)
    if floating and a.data.dtype.kind != "f":
        a, b = a.to(backend.DEFAULT_FLOAT), b.to(backend.DEFAULT_FLOAT)
    broadcast_shapes(a.shape, b.shape, op=op)
    return a, b


def _floating(x):
    """``x`` as a Tensor; integer and bool tensors become float32."""
    x = as_tensor(x)
    return x if x.data.dtype.kind == "f" else x.to(backend.DEFAULT_FLOAT)


# ------------------------------------------------------------------ inverse hyperbolic, exp2
class Asinh(_Elementwise):
    """y = asinh x; ∂y/∂x = 1/√(x² + 1)."""

    ufunc = "arcsinh"

    def slope(self, x, y):
        return (x * x + 1) ** -0.5


class Acosh(_Elementwise):
    """y = acosh x (x ≥ 1); ∂y/∂x = 1/√(x² − 1)."""

    ufunc = "arccosh"

    def slope(self, x, y):
        return (x * x - 1) ** -0.5


class Atanh(_Elementwise):
    """y = atanh x (|x| ≤ 1); ∂y/∂x = 1/(1 − x²)."""

    ufunc = "arctanh"

    def slope(self, x, y):
        return 1 / (1 - x * x)


class Exp2(_Elementwise):
    """y = 2ˣ; ∂y/∂x = y ln 2."""

    ufunc = "exp2"

    def slope(self, x, y):
        return y * math.log(2)


def asinh(input: Tensor) -> Tensor:
    """asinh x = ln(x + √(x² + 1)); gradient 1/√(x² + 1)."""
    return Asinh()(as_tensor(input))


def acosh(input: Tensor) -> Tensor:
    """acosh x = ln(x + √(x² − 1)), NaN below 1; gradient 1/√(x² − 1)."""
    return Acosh()(as_tensor(input))


def atanh(input: Tensor) -> Tensor:
    """atanh x = ½ ln((1 + x)/(1 − x)), ±inf at ±1; gradient 1/(1 − x²)."""
    return Atanh()(as_tensor(input))


def exp2(input: Tensor) -> Tensor:
    """2ˣ; gradient 2ˣ ln 2."""
    return Exp2()(as_tensor(input))


arcsinh, arccosh, arctanh = asinh, acosh, atanh


# ------------------------------------------------------------------ two-operand math
def logaddexp(input: Tensor, other: Tensor) -> Tensor:
    """ln(eᵃ + eᵇ) = max(a, b) + ln(1 + e^(−|a − b|)), without overflow; broadcasting.
    ∂/∂a = σ(a − b), ∂/∂b = σ(b − a)."""
    a, b = _pair(input, other, "logaddexp")
    same = a.data == b.data  # equal infinities: a − b would be NaN
    d = where(same, 0.0, a - b)
    return maximum(a, b) + log1p(exp(-abs_(d)))


def logaddexp2(input: Tensor, other: Tensor) -> Tensor:
    """log₂(2ᵃ + 2ᵇ) = logaddexp(a ln 2, b ln 2)/ln 2; broadcasting."""
    a, b = _pair(input, other, "logaddexp2")
    return logaddexp(a * math.log(2), b * math.log(2)) * (1 / math.log(2))


class Hypot(Function):
    """y = √(a² + b²) without overflow; ∂y/∂a = a/y, ∂y/∂b = b/y (NaN at a = b = 0, as torch)."""

    def forward(self, a, b):
        y = get_array_module(a, b).hypot(a, b)
        self.save_for_backward(a, b, y)
        return y

    def backward(self, gy):
        a, b, y = self.saved
        na, nb = self.needs_input_grad
        ga = sum_to(gy * a / y, a.shape) if na else None
        gb = sum_to(gy * b / y, b.shape) if nb else None
        return ga, gb


def hypot(input: Tensor, other: Tensor) -> Tensor:
    """√(a² + b²) element-wise, broadcasting; floating point only, as torch."""
    for t in (input, other):
        if isinstance(t, Tensor) and t.data.dtype.kind != "f":
            raise TypeError(f"hypot: expected floating-point tensors, got dtype {t.dtype}")
    a, b = _pair(input, other, "hypot")
    return Hypot()(a, b)


class Copysign(Function):
    """y = |a| with the sign of b (−0 counts as negative); ∂y/∂a = y/a (0 at a = 0, NaN at
    a = ±inf, as torch), ∂y/∂b = 0."""

    def forward(self, a, b):
        xp = get_array_module(a, b)
        y = xp.copysign(a, b)
        self.ratio = xp.where(a == 0, 0, y / xp.where(a == 0, 1, a))  # ±1; NaN at inf, as torch
        return y

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        ga = sum_to(gy * self.ratio, a.shape) if na else None
        gb = sum_to(_zero_grad(gy), b.shape) if nb else None
        return ga, gb


def copysign(input: Tensor, other: Tensor) -> Tensor:
    """|input| with the sign of ``other`` (a tensor or a number), broadcasting; a float result.
    The gradient passes to ``input`` with the flip applied; ``other`` gets 0."""
    return Copysign()(*_pair(input, other, "copysign"))


class Xlogy(Function):
    """y = x·ln(v), and 0 where x = 0 (also where v = 0), NaN where v is NaN.
    ∂y/∂x = ln v (0 where x = 0), ∂y/∂v = x/v."""

    def forward(self, x, v):
        xp = get_array_module(x, v)
        self.zero = (x == 0) & ~xp.isnan(v)
        self.save_for_backward(x, v)
        return xp.where(self.zero, 0, x * xp.log(v)).astype(x.dtype)

    def backward(self, gy):
        x, v = self.saved
        nx, nv = self.needs_input_grad
        gx = sum_to(_where(self.zero, 0.0, gy * _log(v)), x.shape) if nx else None
        gv = sum_to(gy * x / v, v.shape) if nv else None
        return gx, gv


def xlogy(input: Tensor, other: Tensor) -> Tensor:
    """input·ln(other), 0 where input = 0 (even where other = 0), NaN where other is NaN;
    either side may be a number; broadcasting."""
    return Xlogy()(*_pair(input, other, "xlogy"))


class Fmax(Function):
    """y = max(a, b), ignoring a NaN on one side (NaN only if both are). The gradient goes all
    to a where a ≥ b or b is NaN, else all to b (ties: to a), as torch."""

    ufunc = "fmax"

    def forward(self, a, b):
        xp = get_array_module(a, b)
        self.to_a = self.pick_a(a, b) | xp.isnan(b)
        return getattr(xp, self.ufunc)(a, b)

    @staticmethod
    def pick_a(a, b):
        return a >= b

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        ga = sum_to(_where(self.to_a, gy, 0.0), a.shape) if na else None
        gb = sum_to(_where(self.to_a, 0.0, gy), b.shape) if nb else None
        return ga, gb


class Fmin(Fmax):
    """y = min(a, b), ignoring a NaN on one side; the gradient rules of Fmax, with ≤."""

    ufunc = "fmin"

    @staticmethod
    def pick_a(a, b):
        return a <= b


def fmax(input: Tensor, other: Tensor) -> Tensor:
    """Element-wise maximum that prefers a number to NaN; broadcasting."""
    return Fmax()(*_pair(input, other, "fmax", floating=False))


def fmin(input: Tensor, other: Tensor) -> Tensor:
    """Element-wise minimum that prefers a number to NaN; broadcasting."""
    return Fmin()(*_pair(input, other, "fmin", floating=False))


# ------------------------------------------------------------------ compositions
def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """ln(p/(1 − p)), p clamped to [eps, 1 − eps] when eps is given (then the gradient is 0
    outside that range). ∂/∂p = 1/(p(1 − p))."""
    p = _floating(input)
    if eps is not None:
        eps = number_arg(eps, "logit", "eps")
        p = clamp(p, eps, 1.0 - eps)
    return log(p) - log1p(-p)


def sinc(input: Tensor) -> Tensor:
    """sin(πx)/(πx), and 1 at x = 0 (where the gradient is 0)."""
    x = _floating(input)
    zero = x.data == 0
    px = where(zero, 1.0, x) * math.pi  # no 0/0 on the unused branch
    return where(zero, 1.0, sin(px) / px)


def deg2rad(input: Tensor) -> Tensor:
    """x·π/180."""
    return _floating(input) * (math.pi / 180)


def rad2deg(input: Tensor) -> Tensor:
    """x·180/π."""
    return _floating(input) * (180 / math.pi)


def float_power(input: Tensor, exponent: Tensor) -> Tensor:
    """input ** exponent computed in float64 (the result is float64 whatever the inputs)."""
    if not isinstance(exponent, Tensor):
        exponent = float(number_arg(exponent, "float_power", "exponent"))
    if not isinstance(input, Tensor) and isinstance(exponent, Tensor):
        input = float(number_arg(input, "float_power", "input"))
    else:
        input = as_tensor(input).to(backend.float64)
    return pow(input, exponent.to(backend.float64) if isinstance(exponent, Tensor) else exponent)


def clamp_min(input: Tensor, min: float | Tensor) -> Tensor:  # noqa: A002 - torch's name
    """max(input, min), element-wise; as clamp(input, min=min)."""
    return clamp(input, min=min)


def clamp_max(input: Tensor, max: float | Tensor) -> Tensor:  # noqa: A002 - torch's name
    """min(input, max), element-wise; as clamp(input, max=max)."""
    return clamp(input, max=max)


def _value(value, dtype, op):
    """The ``value=`` multiplier: an int for integer results (as torch casts it)."""
    value = number_arg(value, op, "value")
    return int(value) if dtype.kind in "biu" else value


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: float = 1) -> Tensor:
    """input + value·tensor1·tensor2, broadcasting all three."""
    prod = mul(tensor1, tensor2)
    out_dtype = _operands(as_tensor(input), prod)[0].data.dtype
    value = _value(value, out_dtype, "addcmul")
    return input + (prod if value == 1 else prod * value)


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: float = 1) -> Tensor:
    """input + value·tensor1/tensor2, broadcasting all three. Integer tensor1 and tensor2
    raise, as in torch (write ``input + value * trunc(tensor1 / tensor2)`` for the old
    integer behaviour)."""
    t1, t2 = as_tensor(tensor1), as_tensor(tensor2)
    if t1.data.dtype.kind in "biu" and t2.data.dtype.kind in "biu":
        raise TypeError(
            f"addcdiv: integer division is not supported, got dtypes {t1.dtype} and {t2.dtype}"
        )
    value = number_arg(value, "addcdiv", "value")
    ratio = div(t1, t2)
    return input + (ratio if value == 1 else ratio * value)


def ldexp(input: Tensor, other: Tensor) -> Tensor:
    """input·2^other, a floating result; broadcasting."""
    if isinstance(other, Tensor):
        return mul(input, exp2(other))
    return mul(input, 2.0 ** number_arg(other, "ldexp", "other"))


class RoundedDiv(Function):
    """a/b rounded toward 0 (``"trunc"``) or down (``"floor"``, as Python's //). The result
    is a step function of a and b: its gradient is 0, as torch's."""

    def __init__(self, mode: str):
        self.mode = mode

    def forward(self, a, b):
        xp = get_array_module(a, b)
        _no_integer_zero_division(a, b, "divide")
        if self.mode == "floor":
            return xp.floor_divide(a, b)
        if a.dtype.kind == "f":
            return xp.trunc(a / b).astype(a.dtype)
        q = xp.floor_divide(a, b)
        return q + ((q * b != a) & ((a < 0) != (b < 0))).astype(q.dtype)

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        ga = sum_to(_zero_grad(gy), a.shape) if na else None
        gb = sum_to(_zero_grad(gy), b.shape) if nb else None
        return ga, gb


def divide(input: Tensor, other: Tensor, *, rounding_mode: str | None = None) -> Tensor:
    """input/other, broadcasting. ``rounding_mode``: None (true division, a float result),
    ``"trunc"`` (toward 0) or ``"floor"`` (down); the rounded modes keep integer dtypes and
    have gradient 0."""
    if rounding_mode is None:
        broadcast_shapes(_shape(input), _shape(other), op="divide")
        return div(input, other)
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(
            f"divide: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}"
        )
    a, b = _pair(input, other, "divide", floating=False)
    if a.data.dtype.kind == "b":
        a, b = a.to(backend.DEFAULT_INT), b.to(backend.DEFAULT_INT)
    return RoundedDiv(rounding_mode)(a, b)


def subtract(input: Tensor, other: Tensor, *, alpha: float = 1) -> Tensor:
    """input − alpha·other, broadcasting."""
    return sub(input, other, alpha=number_arg(alpha, "subtract", "alpha"))


greater, greater_equal, less, less_equal = (
    comparison.gt,
    comparison.ge,
    comparison.lt,
    comparison.le,
)
not_equal = comparison.ne
