"""Element-wise arithmetic and math: + - * / **, exp, log, sqrt, sin, cos, erf, abs,
maximum, minimum, clamp, where, and dtype casts.

Each backward is the local derivative times the upstream gradient ``gy`` (the chain rule),
summed back to the input's shape where the forward broadcast it.
"""

from __future__ import annotations

import math

from .. import backend
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor, as_tensor
from .shape import broadcast_shapes, sum_to


def _d(x):
    """The array inside a Tensor (constants in masks need no graph)."""
    return x.data if isinstance(x, Tensor) else x


def _shape(x):
    return x.shape if hasattr(x, "shape") else ()


# ------------------------------------------------------------------ operand handling
def number_arg(value, op: str, name: str):
    """An op's number option (a slope, an eps, a momentum...) as a Python number, as torch
    reads it: a NumPy scalar as the number it holds (NumPy 2 would keep a ``numpy.float64``'s
    dtype and turn float32 work into float64), anything that is not a real number a TypeError
    naming the option. A 0-d NumPy array gives the number it holds now (read at every call, so
    an array edited in place between calls is followed)."""
    value = backend.number(value)
    if isinstance(value, (bool, int, float)):
        return value
    if type(value) is backend.np.ndarray and value.ndim == 0 and value.dtype.kind in "biuf":
        return value.item()
    raise TypeError(f"{op}: {name} must be a number, got {type(value).__name__} {value!r}")


_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}  # torch's categories: bool < integer < floating


def _promote_types(d1, d2):
    """torch.promote_types: the higher category wins outright (int64 with float32 is float32,
    where NumPy would say float64); within a category, the wider dtype."""
    if d1 == d2:
        return d1
    r1, r2 = _KIND_RANK[d1.kind], _KIND_RANK[d2.kind]
    if r1 != r2:
        return d1 if r1 > r2 else d2
    return backend.np.promote_types(d1, d2)


def result_type(*tensors):
    """torch's result dtype for Tensor operands: 0-d tensors only count when they are of a
    higher category than the tensors with dimensions (float32 with a 0-d float64 stays
    float32; int64 with a 0-d float64 becomes float64)."""
    dim = zero = None
    for t in tensors:
        d = t.data.dtype
        if t.data.ndim:
            dim = d if dim is None else _promote_types(dim, d)
        else:
            zero = d if zero is None else _promote_types(zero, d)
    if dim is None or zero is None:
        return zero if dim is None else dim
    if dim.kind == "f":
        return dim
    if dim.kind == "b" or zero.kind == "f":
        return _promote_types(dim, zero)
    return dim


def _float_array(x):
    """Integer and bool arrays become torch's default float (exp, sqrt, ... of an int tensor)."""
    return x if x.dtype.kind == "f" else x.astype(backend.DEFAULT_FLOAT)


def _scalar(s, t):
    """Prepare a non-Tensor operand ``s`` for an op with Tensor ``t``: returns (s, t)."""
    if isinstance(s, backend.np.generic):  # a NumPy scalar counts as the number it holds
        s = s.item()
    if isinstance(s, (bool, int, float)):
        kind = t.data.dtype.kind
        if isinstance(s, float) and kind != "f":
            t = t.to(backend.DEFAULT_FLOAT)  # int tensor and a float: torch's float32
        elif kind == "b" and not isinstance(s, bool):
            t = t.to(backend.DEFAULT_INT)  # bool tensor and an int: torch's int64
        return s, t
    if isinstance(s, complex):
        raise TypeError("complex numbers are not supported")
    return as_tensor(s), t


def _operands(a, b):
    """Both operands ready for an op: scalars kept as Python numbers, Tensors cast to the
    dtype torch would give the result."""
    if isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            b, a = _scalar(b, a)
    elif isinstance(b, Tensor):
        a, b = _scalar(a, b)
    else:
        a, b = as_tensor(a), as_tensor(b)
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a.data.dtype != b.data.dtype:
        dtype = result_type(a, b)
        a, b = a.to(dtype), b.to(dtype)
    return a, b


def _binary(cls, a, b, name):
    a, b = _operands(a, b)
    try:
        return cls()(a, b)
    except ValueError:
        broadcast_shapes(_shape(a), _shape(b), op=name)  # raises with both shapes named
        raise


# ------------------------------------------------------------------ + - * /
class Add(Function):
    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        return (sum_to(gy, a.shape) if na else None, sum_to(gy, b.shape) if nb else None)


class Sub(Function):
    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        return (sum_to(gy, a.shape) if na else None, sum_to(-gy, b.shape) if nb else None)


class Mul(Function):
    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b

    def backward(self, gy):
        a, b = self.saved
        na, nb = self.needs_input_grad
        return (
            sum_to(gy * b, _shape(a)) if na else None,
            sum_to(gy * a, _shape(b)) if nb else None,
        )


class Div(Function):
    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a / b

    def backward(self, gy):
        a, b = self.saved
        na, nb = self.needs_input_grad
        ga = sum_to(gy / b, _shape(a)) if na else None
        gb = sum_to(-gy * a / (b * b), _shape(b)) if nb else None
        return ga, gb


def add(a, b, alpha=1):
    """a + alpha·b, broadcasting."""
    return _binary(Add, a, b if alpha == 1 else b * alpha, "add")


def sub(a, b, alpha=1):
    """a − alpha·b, broadcasting."""
    return _binary(Sub, a, b if alpha == 1 else b * alpha, "sub")


def mul(a, b):
    """a · b element-wise, broadcasting. ∂/∂a = b, ∂/∂b = a."""
    return _binary(Mul, a, b, "mul")


def div(a, b):
    """a / b element-wise (true division), broadcasting. ∂/∂a = 1/b, ∂/∂b = −a/b²."""
    a, b = _operands(a, b)
    if isinstance(a, Tensor) and a.data.dtype.kind != "f":  # int / int is a float32 ratio
        a = a.to(backend.DEFAULT_FLOAT)
    if isinstance(b, Tensor) and b.data.dtype.kind != "f":
        b = b.to(backend.DEFAULT_FLOAT)
    return _binary(Div, a, b, "div")


subtract, multiply, divide, true_divide = sub, mul, div, div


# ------------------------------------------------------------------ powers
class Pow(Function):
    """y = a ** b; ∂y/∂a = b·a^(b−1), ∂y/∂b = y·ln a (0 where a = 0 and b ≥ 0, as torch)."""

    def forward(self, a, b):
        y = a**b
        self.save_for_backward(a, b, y)
        return y

    def backward(self, gy):
        a, b, y = self.saved
        na, nb = self.needs_input_grad
        ga = gb = None
        if na:
            if isinstance(b, (int, float)):
                ga = gy * 0.0 if b == 0 else gy * (b * a ** (b - 1))
            else:
                ga = _where(_d(b) == 0, 0.0, gy * (b * a ** (b - 1)))
            ga = sum_to(ga, _shape(a))
        if nb:
            if isinstance(a, (int, float)):
                if a == 0:
                    gb = _where(_d(b) >= 0, 0.0, gy * y * float("-inf"))
                else:
                    gb = gy * y * (math.log(a) if a > 0 else float("nan"))
            else:
                mask = (_d(a) == 0) & (_d(b) >= 0)
                gb = _where(mask, 0.0, gy * y * _log(_where(mask, 1.0, a)))
            gb = sum_to(gb, _shape(b))
        return ga, gb


def pow(a, b):
    """a ** b, with a Tensor or scalar on either side."""
    return _binary(Pow, a, b, "pow")


def square(x):
    return pow(x, 2)


# ------------------------------------------------------------------ unary math
class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class Abs(Function):
    """∂|x|/∂x = sign(x) (0 at 0, as torch)."""

    def forward(self, x):
        self.save_for_backward(x)
        return get_array_module(x).abs(x)

    def backward(self, gy):
        (x,) = self.saved
        return gy * get_array_module(_d(x)).sign(_d(x))


class Exp(Function):
    """y = eˣ; ∂y/∂x = y."""

    def forward(self, x):
        y = get_array_module(x).exp(_float_array(x))
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved
        return gy * y


class Log(Function):
    """y = ln x; ∂y/∂x = 1/x."""

    def forward(self, x):
        self.save_for_backward(x)
        return get_array_module(x).log(_float_array(x))

    def backward(self, gy):
        (x,) = self.saved
        return gy / x


class Log1p(Function):
    """y = ln(1 + x); ∂y/∂x = 1/(1 + x)."""

    def forward(self, x):
        self.save_for_backward(x)
        return get_array_module(x).log1p(_float_array(x))

    def backward(self, gy):
        (x,) = self.saved
        return gy / (x + 1)


class Sqrt(Function):
    """y = √x; ∂y/∂x = 1/(2y)."""

    def forward(self, x):
        y = get_array_module(x).sqrt(_float_array(x))
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved
        return gy / (y * 2)


class Sin(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return get_array_module(x).sin(_float_array(x))

    def backward(self, gy):
        (x,) = self.saved
        return gy * _cos(x)


class Cos(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return get_array_module(x).cos(_float_array(x))

    def backward(self, gy):
        (x,) = self.saved
        return -gy * _sin(x)


_erf_ufunc = backend.np.frompyfunc(math.erf, 1, 1)


def _erf_array(x):
    xp = get_array_module(x)
    if xp is not backend.np:  # CuPy has erf in cupyx.scipy.special (imported on first use)
        return backend.cupyx.scipy.special.erf(x)
    # frompyfunc gives an object array (a bare float for 0-d input): convert back
    return backend.np.asarray(_erf_ufunc(x), dtype=x.dtype)


class Erf(Function):
    """y = erf x; ∂y/∂x = 2/√π · e^(−x²)."""

    def forward(self, x):
        self.save_for_backward(x)
        return _erf_array(_float_array(x))

    def backward(self, gy):
        (x,) = self.saved
        return gy * (_exp(-(x * x)) * (2.0 / math.sqrt(math.pi)))


class _Elementwise(Function):
    """y = f(x) for a NumPy ufunc f named ``ufunc`` (ints become float32 first), with
    ∂y/∂x = ``slope(x, y)``, written with operators and the ``_f`` helpers so that it works on
    arrays and, in double backward, on Tensors."""

    ufunc = ""

    def forward(self, x):
        y = getattr(get_array_module(x), self.ufunc)(_float_array(x))
        self.save_for_backward(x, y)
        return y

    def backward(self, gy):
        x, y = self.saved
        return gy * self.slope(x, y)


class Reciprocal(_Elementwise):
    """y = 1/x; ∂y/∂x = −y²."""

    ufunc = "reciprocal"

    def slope(self, x, y):
        return -(y * y)


class Expm1(_Elementwise):
    """y = eˣ − 1, accurate for small x; ∂y/∂x = y + 1."""

    ufunc = "expm1"

    def slope(self, x, y):
        return y + 1


class Log2(_Elementwise):
    """y = log₂ x; ∂y/∂x = 1/(x ln 2)."""

    ufunc = "log2"

    def slope(self, x, y):
        return 1 / (x * math.log(2))


class Log10(_Elementwise):
    """y = log₁₀ x; ∂y/∂x = 1/(x ln 10)."""

    ufunc = "log10"

    def slope(self, x, y):
        return 1 / (x * math.log(10))


class Tan(_Elementwise):
    """y = tan x; ∂y/∂x = 1 + y²."""

    ufunc = "tan"

    def slope(self, x, y):
        return y * y + 1


class Arctan(_Elementwise):
    """y = arctan x; ∂y/∂x = 1/(1 + x²)."""

    ufunc = "arctan"

    def slope(self, x, y):
        return 1 / (x * x + 1)


class Arcsin(_Elementwise):
    """y = arcsin x; ∂y/∂x = 1/√(1 − x²)."""

    ufunc = "arcsin"

    def slope(self, x, y):
        return (1 - x * x) ** -0.5


class Arccos(_Elementwise):
    """y = arccos x; ∂y/∂x = −1/√(1 − x²)."""

    ufunc = "arccos"

    def slope(self, x, y):
        return -((1 - x * x) ** -0.5)


class Sinh(_Elementwise):
    """y = sinh x; ∂y/∂x = cosh x."""

    ufunc = "sinh"

    def slope(self, x, y):
        return Cosh()(x) if isinstance(x, Tensor) else get_array_module(x).cosh(x)


class Cosh(_Elementwise):
    """y = cosh x; ∂y/∂x = sinh x."""

    ufunc = "cosh"

    def slope(self, x, y):
        return Sinh()(x) if isinstance(x, Tensor) else get_array_module(x).sinh(x)


class Atan2(Function):
    """y = atan2(a, b), the angle of the point (b, a); ∂y/∂a = b/(a² + b²),
    ∂y/∂b = −a/(a² + b²)."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return get_array_module(a, b).arctan2(_float_array(a), _float_array(b))

    def backward(self, gy):
        a, b = self.saved
        na, nb = self.needs_input_grad
        r2 = a * a + b * b
        ga = sum_to(gy * b / r2, _shape(a)) if na else None
        gb = sum_to(-gy * a / r2, _shape(b)) if nb else None
        return ga, gb


def atan2(input, other):
    """The angle of the point (other, input) in (−π, π], broadcasting; as torch.atan2."""
    a, b = _operands(as_tensor(input), as_tensor(other))
    if a.data.dtype.kind != "f":  # ints: a float32 angle
        a = a.to(backend.DEFAULT_FLOAT)
    if b.data.dtype.kind != "f":
        b = b.to(backend.DEFAULT_FLOAT)
    return _binary(Atan2, a, b, "atan2")


arctan2 = atan2


def lerp(input, end, weight):
    """input + weight·(end − input), broadcasting; ``weight`` a number or a tensor."""
    return input + weight * (end - input)


class NanToNum(Function):
    """NaN, +inf and −inf replaced by ``nan``, ``posinf`` and ``neginf`` (by default 0 and
    the dtype's largest and smallest finite values); the gradient is 0 where x was not
    finite, as torch's."""

    def __init__(self, nan, posinf, neginf):
        self.nan, self.posinf, self.neginf = nan, posinf, neginf

    def forward(self, x):
        xp = get_array_module(x)
        self.save_for_backward(x)
        return xp.nan_to_num(x, nan=self.nan, posinf=self.posinf, neginf=self.neginf)

    def backward(self, gy):
        (x,) = self.saved
        xd = _d(x)
        return gy * get_array_module(xd).isfinite(xd)


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """NaN, +inf and −inf replaced by finite numbers (as torch.nan_to_num)."""
    x = as_tensor(x)
    if x.dtype.kind != "f":
        return x.clone()
    nums = [
        None if v is None else number_arg(v, "nan_to_num", k)
        for k, v in (("nan", nan), ("posinf", posinf), ("neginf", neginf))
    ]
    return NanToNum(*nums)(x)


# ------------------------------------------------------------------ rounding and modulo
def _zero_grad(gy):
    """A zero gradient shaped like gy (an array, or a constant Tensor in double backward):
    zeros even where gy is inf or NaN, as torch's."""
    zeros = get_array_module(_d(gy)).zeros_like(_d(gy))
    return Tensor(zeros) if isinstance(gy, Tensor) else zeros


class Floor(Function):
    """⌊x⌋; gradient 0 (the step function is flat almost everywhere), as torch. Integers pass
    through as they are."""

    ufunc = "floor"

    def forward(self, x):
        if x.dtype.kind != "f":
            return x.copy()
        return getattr(get_array_module(x), self.ufunc)(x)

    def backward(self, gy):
        return _zero_grad(gy)


class Ceil(Floor):
    """⌈x⌉; gradient 0."""

    ufunc = "ceil"


class Trunc(Floor):
    """x rounded toward 0; gradient 0."""

    ufunc = "trunc"


class Round(Floor):
    """x rounded to ``decimals`` places, halves to even (as torch and NumPy); gradient 0."""

    def __init__(self, decimals: int = 0):
        self.decimals = decimals

    def forward(self, x):
        if x.dtype.kind != "f":
            return x.copy()
        return get_array_module(x).round(x, self.decimals)


class Frac(Function):
    """x − trunc(x), the fractional part with x's sign; gradient 1."""

    def forward(self, x):
        return x - get_array_module(x).trunc(x)

    def backward(self, gy):
        return gy


class Remainder(Function):
    """a mod b with the sign of b (Python's %, torch.remainder): a − ⌊a/b⌋·b.
    ∂/∂a = 1, ∂/∂b = −⌊a/b⌋."""

    ufunc, rounding = "remainder", "floor"

    def forward(self, a, b):
        _no_integer_zero_division(a, b, type(self).__name__.lower())
        self.save_for_backward(a, b)
        return getattr(get_array_module(a, b), self.ufunc)(a, b)

    def backward(self, gy):
        a, b = self.saved
        na, nb = self.needs_input_grad
        gb = None
        if nb:
            ad, bd = _d(a), _d(b)
            q = getattr(get_array_module(ad, bd), self.rounding)(ad / bd)
            gb = sum_to(gy * -q, _shape(b))
        return (sum_to(gy, _shape(a)) if na else None), gb


class Fmod(Remainder):
    """a mod b with the sign of a (C's fmod, torch.fmod): a − trunc(a/b)·b.
    ∂/∂a = 1, ∂/∂b = −trunc(a/b)."""

    ufunc, rounding = "fmod", "trunc"


class FloorDivide(Function):
    """⌊a/b⌋ (torch.floor_divide, Python's //). Like torch, it has no derivative: a backward
    through it raises."""

    def forward(self, a, b):
        _no_integer_zero_division(a, b, "floor_divide")
        return get_array_module(a, b).floor_divide(a, b)

    def backward(self, gy):
        raise RuntimeError("derivative for floor_divide is not implemented")


def _no_integer_zero_division(a, b, op):
    """Integer division by zero raises, as in torch and Python (NumPy would give 0 and warn);
    a floating quotient gives ±inf or NaN."""
    if _kind(a) in "iub" and _kind(b) in "iub" and not get_array_module(b).all(b):
        raise ZeroDivisionError(f"{op}: integer division by zero")


def _kind(v):
    """The dtype kind of an array or a Python number."""
    return v.dtype.kind if hasattr(v, "dtype") else ("f" if isinstance(v, float) else "i")


def remainder(a, b):
    """a mod b with the sign of b, as Python's % and torch.remainder; broadcasting."""
    return _binary(Remainder, a, b, "remainder")


def fmod(a, b):
    """a mod b with the sign of a, as C's fmod and torch.fmod; broadcasting."""
    return _binary(Fmod, a, b, "fmod")


def floor_divide(a, b):
    """⌊a/b⌋ element-wise, as Python's // and torch.floor_divide; no gradient."""
    return _binary(FloorDivide, a, b, "floor_divide")


def round(x, decimals=0):  # noqa: A001 - torch's name
    """x rounded to ``decimals`` places, halves to even; gradient 0."""
    return Round(int(number_arg(decimals, "round", "decimals")))(as_tensor(x))


def frac(x):
    """x − trunc(x); gradient 1. Floating point only, as in torch."""
    x = as_tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"frac: expected a floating-point tensor, got dtype {x.dtype}")
    return Frac()(x)


def _unary(cls):
    def fn(x):
        return cls()(as_tensor(x))

    return fn


neg = negative = _unary(Neg)
abs = absolute = _unary(Abs)  # noqa: A001 - torch's name
exp = _unary(Exp)
log1p = _unary(Log1p)
sin = _unary(Sin)
cos = _unary(Cos)
sqrt = _unary(Sqrt)
log = _unary(Log)
erf = _unary(Erf)
reciprocal = _unary(Reciprocal)
expm1 = _unary(Expm1)
log2 = _unary(Log2)
log10 = _unary(Log10)
tan = _unary(Tan)
atan = arctan = _unary(Arctan)
asin = arcsin = _unary(Arcsin)
acos = arccos = _unary(Arccos)
sinh = _unary(Sinh)
cosh = _unary(Cosh)
for _fn, _cls in (
    (reciprocal, Reciprocal),
    (expm1, Expm1),
    (log2, Log2),
    (log10, Log10),
    (tan, Tan),
    (atan, Arctan),
    (asin, Arcsin),
    (acos, Arccos),
    (sinh, Sinh),
    (cosh, Cosh),
):
    _fn.__doc__ = _cls.__doc__
floor = _unary(Floor)
ceil = _unary(Ceil)
trunc = fix = _unary(Trunc)
floor.__doc__ = "⌊x⌋; gradient 0"
ceil.__doc__ = "⌈x⌉; gradient 0"
trunc.__doc__ = "x rounded toward 0; gradient 0"
neg.__doc__ = "−x"
abs.__doc__ = "|x|; gradient sign(x)"
exp.__doc__ = "eˣ; gradient eˣ"
log.__doc__ = "natural logarithm; gradient 1/x"
log1p.__doc__ = "ln(1 + x), accurate for small x"
sqrt.__doc__ = "√x; gradient 1/(2√x)"
sin.__doc__ = "sine; gradient cos x"
cos.__doc__ = "cosine; gradient −sin x"
erf.__doc__ = "the error function; gradient 2/√π·e^(−x²)"


class Sign(Floor):
    """sign(x): −1, 0 or 1 (0 for NaN); gradient 0, as torch."""

    def forward(self, x):
        xp = get_array_module(x)
        y = xp.sign(x)
        return xp.nan_to_num(y, copy=False, nan=0.0) if y.dtype.kind == "f" else y


def sign(x):
    """sign(x), gradient 0 (zero almost everywhere)."""
    return Sign()(as_tensor(x))


class Rsqrt(Function):
    """y = 1/√x; ∂y/∂x = −y³/2 (in terms of y, so the double backward is inf at 0, as torch)."""

    def forward(self, x):
        y = 1.0 / get_array_module(x).sqrt(_float_array(x))
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved
        return gy * (y * y * y) * -0.5


def rsqrt(x):
    """1/√x; gradient −1/(2x^(3/2))."""
    return Rsqrt()(as_tensor(x))


# ------------------------------------------------------------------ maximum, minimum, clamp, where
class Maximum(Function):
    """y = max(a, b). The gradient goes to the larger side; at ties half to each, as torch
    (and where a comparison is NaN, all of it to both)."""

    def forward(self, a, b):
        tie = 0.5 * (a == b)
        self.wa = 1.0 - (a < b) - tie  # 0 where a loses, 1/2 at ties, else 1
        self.wb = 1.0 - (a > b) - tie
        return get_array_module(a, b).maximum(a, b)

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        ga = sum_to(gy * self.wa.astype(gy.dtype), a.shape) if na else None
        gb = sum_to(gy * self.wb.astype(gy.dtype), b.shape) if nb else None
        return ga, gb


class Minimum(Maximum):
    """y = min(a, b); the gradient rules of Maximum, with the comparisons flipped."""

    def forward(self, a, b):
        tie = 0.5 * (a == b)
        self.wa = 1.0 - (a > b) - tie
        self.wb = 1.0 - (a < b) - tie
        return get_array_module(a, b).minimum(a, b)


def maximum(a, b):
    """Element-wise max of two tensors, broadcasting."""
    return _binary(Maximum, a, b, "maximum")


def minimum(a, b):
    """Element-wise min of two tensors, broadcasting."""
    return _binary(Minimum, a, b, "minimum")


class Clamp(Function):
    """y = min(max(x, lo), hi), either bound None, a number or an array (broadcasting).

    As torch: x gets the gradient where lo ≤ x ≤ hi (boundaries included); a tensor lo gets it
    where x < lo < hi; a tensor hi where x > hi or hi < lo (hi wins when the bounds cross).
    """

    def forward(self, x, lo, hi):
        xp = get_array_module(x)
        y, keep = x, True
        if lo is not None:
            y = xp.maximum(y, lo)
            keep = x >= lo
        if hi is not None:
            y = xp.minimum(y, hi)
            keep = keep & (x <= hi)
        self.keep = keep
        if lo is None:
            self.to_hi = x > hi
        elif hi is None:
            self.to_lo = x < lo
        else:
            self.to_lo = (x < lo) & (lo < hi)
            self.to_hi = (x > hi) | (hi < lo)
        return xp.asarray(y, dtype=x.dtype)

    def backward(self, gy):
        x, lo, hi = self.inputs
        nx, nlo, nhi = self.needs_input_grad
        gx = sum_to(_where(self.keep, gy, 0.0), x.shape) if nx else None
        glo = sum_to(_where(self.to_lo, gy, 0.0), lo.shape) if nlo else None
        ghi = sum_to(_where(self.to_hi, gy, 0.0), hi.shape) if nhi else None
        return gx, glo, ghi


def clamp(x, min=None, max=None):  # noqa: A002 - torch's names
    """Limit x to [min, max] element-wise; either bound may be None, a number or a Tensor.

    Where min > max the result is max, as torch. An integer x with a float bound becomes
    float32.
    """
    x = as_tensor(x)
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    lo, hi = _bound(min), _bound(max)
    tensors = [t for t in (x, lo, hi) if isinstance(t, Tensor)]
    dtype = result_type(*tensors)
    if dtype.kind != "f" and any(isinstance(v, float) for v in (lo, hi)):
        dtype = backend.DEFAULT_FLOAT
    if x.data.dtype != dtype:
        x = x.to(dtype)
    lo, hi = (v.to(dtype) if isinstance(v, Tensor) else v for v in (lo, hi))
    if len(tensors) > 1:
        broadcast_shapes(*(t.shape for t in tensors), op="clamp")
    return Clamp()(x, lo, hi)


def _bound(v):
    """A clamp bound: None, a Python number, or a Tensor."""
    if v is None or isinstance(v, (bool, int, float, Tensor)):
        return v
    if isinstance(v, backend.np.generic) and v.ndim == 0:
        return v.item()
    return as_tensor(v)


clip = clamp


class Where(Function):
    """y = a where cond else b; the gradient goes to the side that was picked."""

    def __init__(self, cond):
        self.cond = cond

    def forward(self, a, b):
        return get_array_module(a, b).where(self.cond, a, b)

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        ga = sum_to(_where(self.cond, gy, 0.0), _shape(a)) if na else None
        gb = sum_to(_where(self.cond, 0.0, gy), _shape(b)) if nb else None
        return ga, gb


def where(condition, input, other):  # noqa: A002
    """Pick ``input`` where ``condition`` is true, else ``other``; broadcasts all three.

    Either branch may be a Python number; the result has torch's promoted dtype.
    """
    cond = as_tensor(condition).data
    if cond.dtype != backend.bool_:
        cond = cond.astype(bool)
    a, b = _operands(input, other)
    if (
        backend.is_gpu_array(cond)
        and not isinstance(input, Tensor)
        and not isinstance(other, Tensor)
    ):
        dev = backend.device_of(cond)  # two numbers: made on the condition's device, as torch
        a, b = a.to(dev), b.to(dev)
    broadcast_shapes(cond.shape, _shape(a), _shape(b), op="where")
    return Where(cond)(a, b)


class Cast(Function):
    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        self.in_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, gy):
        if isinstance(gy, Tensor):
            return gy.to(self.in_dtype)
        return gy.astype(self.in_dtype)


class ToDevice(Function):
    """A copy to another device (``Tensor.to("cuda")``); the gradient is copied back."""

    def __init__(self, device):
        self.device = device

    def forward(self, x):
        self.in_device = backend.device_of(x)
        return backend.to_device(x, self.device)

    def backward(self, gy):
        if isinstance(gy, Tensor):
            return gy.to(self.in_device)
        return backend.to_device(gy, self.in_device)


# ------------------------------------------------------------------ generic helpers for backward
def _exp(x):
    return Exp()(x) if isinstance(x, Tensor) else get_array_module(x).exp(x)


def _log(x):
    if isinstance(x, Tensor):
        return Log()(x)
    if isinstance(x, (int, float)):
        return math.log(x)
    return get_array_module(x).log(x)


def _sin(x):
    return Sin()(x) if isinstance(x, Tensor) else get_array_module(x).sin(x)


def _cos(x):
    return Cos()(x) if isinstance(x, Tensor) else get_array_module(x).cos(x)


def _erf(x):
    return Erf()(x) if isinstance(x, Tensor) else _erf_array(x)


def _where(cond, a, b):
    """where() on arrays or Tensors; ``cond`` is a bool array (a constant)."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        if not isinstance(a, Tensor):
            a, b = _scalar(a, b)
        elif not isinstance(b, Tensor):
            b, a = _scalar(b, a)
        return Where(cond)(a, b)
    xp = get_array_module(a, b)
    dt = a.dtype if hasattr(a, "dtype") else b.dtype
    return xp.where(cond, a, b).astype(dt, copy=False)
