"""Element-wise ops without a gradient: bitwise and, or, xor, not and shifts, gcd and lcm on
integer and bool tensors (and Python ints, with torch's type promotion); signbit, sgn,
isposinf, isneginf, isreal, isclose and heaviside. Their results are constant Tensors.
"""

from __future__ import annotations

from ..backend import get_array_module
from ..tensor import Tensor, as_tensor
from .arithmetic import _operands, number_arg, sign
from .shape import broadcast_shapes


def _constant(fn, *tensors):
    """``fn(xp, *arrays)`` over the tensors' arrays, as a constant Tensor."""
    arrays = [t.data for t in tensors]
    return Tensor(fn(get_array_module(*arrays), *arrays))


def _pair(a, b, op, kinds="biu"):
    """Both operands as Tensors of torch's result dtype (a number takes the other side's dtype,
    a bool tensor with an int becomes int64); a TypeError naming the dtype unless its kind is
    one of ``kinds``."""
    a, b = _operands(a, b)
    if not isinstance(a, Tensor):
        a = Tensor(get_array_module(b.data).asarray(a, dtype=b.data.dtype))
    if not isinstance(b, Tensor):
        b = Tensor(get_array_module(a.data).asarray(b, dtype=a.data.dtype))
    if a.data.dtype.kind not in kinds:
        what = "integer or bool" if "b" in kinds else "integer"
        raise TypeError(f"{op}: expected {what} tensors, got dtype {a.dtype}")
    broadcast_shapes(a.shape, b.shape, op=op)
    return a, b


def bitwise_and(input: Tensor, other: Tensor) -> Tensor:
    """a & b bit by bit (logical and for bools); broadcasting."""
    return _constant(lambda xp, a, b: xp.bitwise_and(a, b), *_pair(input, other, "bitwise_and"))


def bitwise_or(input: Tensor, other: Tensor) -> Tensor:
    """a | b bit by bit (logical or for bools); broadcasting."""
    return _constant(lambda xp, a, b: xp.bitwise_or(a, b), *_pair(input, other, "bitwise_or"))


def bitwise_xor(input: Tensor, other: Tensor) -> Tensor:
    """a ^ b bit by bit (logical xor for bools); broadcasting."""
    return _constant(lambda xp, a, b: xp.bitwise_xor(a, b), *_pair(input, other, "bitwise_xor"))


def bitwise_not(input: Tensor) -> Tensor:
    """~a: every bit flipped (−a − 1 for signed integers; logical not for bools)."""
    x = as_tensor(input)
    if x.data.dtype.kind not in "biu":
        raise TypeError(f"bitwise_not: expected an integer or bool tensor, got dtype {x.dtype}")
    return _constant(lambda xp, a: xp.invert(a), x)


def _shift(a, b, left: bool):
    """a << b or a >> b (arithmetic: the sign fills in), with torch's rule for counts outside
    [0, bits): a left shift gives 0, a right shift what shifting all bits out gives."""
    xp = get_array_module(a, b)
    bits = a.dtype.itemsize * 8
    out_of_range = (b < 0) | (b >= bits)
    n = xp.where(out_of_range, 0, b).astype(a.dtype)
    if left:
        return xp.where(out_of_range, 0, xp.left_shift(a, n)).astype(a.dtype)
    spilled = xp.where(a < 0, -1, 0)  # every bit shifted out: the sign fills the word
    return xp.where(out_of_range, spilled, xp.right_shift(a, n)).astype(a.dtype)


def bitwise_left_shift(input: Tensor, other: Tensor) -> Tensor:
    """a << b = a·2ᵇ, wrapping in a's width; 0 for counts that are negative or ≥ the width.
    Integer tensors (a bool tensor with a Python int counts as int64)."""
    a, b = _pair(input, other, "bitwise_left_shift", kinds="iu")
    return _constant(lambda xp, x, y: _shift(x, y, left=True), a, b)


def bitwise_right_shift(input: Tensor, other: Tensor) -> Tensor:
    """a >> b = ⌊a/2ᵇ⌋ (arithmetic shift); counts that are negative or ≥ the width give 0, or
    −1 for negative a. Integer tensors."""
    a, b = _pair(input, other, "bitwise_right_shift", kinds="iu")
    return _constant(lambda xp, x, y: _shift(x, y, left=False), a, b)


def signbit(input: Tensor) -> Tensor:
    """True where the sign bit is set: negative numbers, −0.0 and NaNs with the bit set."""
    return _constant(lambda xp, a: xp.signbit(a), as_tensor(input))


def gcd(input: Tensor, other: Tensor) -> Tensor:
    """The greatest common divisor, ≥ 0 (gcd(0, 0) = 0); integer tensors, broadcasting."""
    return _constant(lambda xp, a, b: xp.gcd(a, b), *_pair(input, other, "gcd", kinds="iu"))


def lcm(input: Tensor, other: Tensor) -> Tensor:
    """The least common multiple, ≥ 0 (0 if either is 0); integer tensors, broadcasting."""
    return _constant(lambda xp, a, b: xp.lcm(a, b), *_pair(input, other, "lcm", kinds="iu"))


# ------------------------------------------------------------------ sign and closeness tests, steps
def heaviside(input: Tensor, values: Tensor) -> Tensor:
    """0 where input < 0 (and where it is NaN), ``values`` where input = 0, 1 where input > 0;
    ``values`` broadcasts and must have input's dtype. Not differentiable, as in torch."""
    x, v = as_tensor(input), as_tensor(values)
    if x.data.dtype != v.data.dtype:
        raise TypeError(
            f"heaviside: input and values must have one dtype, got {x.dtype} and {v.dtype}"
        )
    broadcast_shapes(x.shape, v.shape, op="heaviside")
    return _constant(lambda xp, a, b: xp.where(a == 0, b, a > 0).astype(a.dtype), x, v)


def sgn(input: Tensor) -> Tensor:
    """sign(x) for real tensors: −1, 0 or 1, and 0 for NaN, as torch; gradient 0."""
    x = as_tensor(input)
    if x.data.dtype.kind != "f":
        return sign(x)
    return _constant(lambda xp, a: xp.where(xp.isnan(a), 0, xp.sign(a)).astype(a.dtype), x)


def isposinf(input: Tensor) -> Tensor:
    """True where x is +inf."""
    return _constant(lambda xp, a: xp.isposinf(a), as_tensor(input))


def isneginf(input: Tensor) -> Tensor:
    """True where x is −inf."""
    return _constant(lambda xp, a: xp.isneginf(a), as_tensor(input))


def isreal(input: Tensor) -> Tensor:
    """True everywhere: chainrule's tensors are real."""
    return _constant(lambda xp, a: xp.ones(a.shape, dtype=bool), as_tensor(input))


def isclose(
    input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> Tensor:
    """|input − other| ≤ atol + rtol·|other| element-wise (equal infinities are close; NaNs
    only with ``equal_nan``); both tensors of one dtype, broadcasting."""
    a, b = as_tensor(input), as_tensor(other)
    if a.data.dtype != b.data.dtype:
        raise TypeError(
            f"isclose: input and other must have one dtype, got {a.dtype} and {b.dtype}"
        )
    rtol, atol = number_arg(rtol, "isclose", "rtol"), number_arg(atol, "isclose", "atol")
    if rtol < 0 or atol < 0:
        raise ValueError(f"isclose: rtol and atol must be non-negative, got {rtol} and {atol}")
    broadcast_shapes(a.shape, b.shape, op="isclose")
    return _constant(lambda xp, x, y: xp.isclose(x, y, rtol, atol, bool(equal_nan)), a, b)
