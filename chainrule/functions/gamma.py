"""The error and gamma families: erfc, erfinv, lgamma, digamma (psi) and polygamma, each with
its derivative built in (so gradients of gradients work):

    erfc′ = −2/√π · e^(−x²),   erfinv′ = √π/2 · e^(erfinv(x)²),   lgamma′ = ψ,   ψ⁽ⁿ⁾′ = ψ⁽ⁿ⁺¹⁾.

NumPy has none of them: erfc and lgamma go through Python's ``math`` per element (CuPy has
them in ``cupyx.scipy.special``); erfinv is Giles's approximation refined by Newton steps;
ψ⁽ⁿ⁾ is the recurrence up to large x, then the asymptotic series with Bernoulli numbers.
"""

from __future__ import annotations

import math

from .. import backend
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor, as_tensor
from .arithmetic import _erf_array, _exp, _float_array, number_arg

_erfc_ufunc = backend.np.frompyfunc(math.erfc, 1, 1)


def _lgamma1(v: float) -> float:
    try:
        return math.lgamma(v)
    except ValueError:  # the poles 0, −1, −2, ...: +inf, as torch
        return math.inf


_lgamma_ufunc = backend.np.frompyfunc(_lgamma1, 1, 1)


def _special_array(x, ufunc, gpu_name):
    """A scalar math function over an array: NumPy through ``frompyfunc``, CuPy through
    ``cupyx.scipy.special.<gpu_name>``."""
    if get_array_module(x) is not backend.np:
        return getattr(backend.cupyx.scipy.special, gpu_name)(x)
    return backend.np.asarray(ufunc(x), dtype=x.dtype)


class Erfc(Function):
    """y = erfc x = 1 − erf x, accurate where erf x is near 1; ∂y/∂x = −2/√π · e^(−x²)."""

    def forward(self, x):
        self.save_for_backward(x)
        return _special_array(_float_array(x), _erfc_ufunc, "erfc")

    def backward(self, gy):
        (x,) = self.saved
        return gy * (_exp(-(x * x)) * (-2.0 / math.sqrt(math.pi)))


# Giles (2010), "Approximating the erfinv function": relative error below 4e-7, refined below
_ERFINV_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
    0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)  # fmt: skip
_ERFINV_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
    0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)  # fmt: skip


def _erfinv_array(x):
    """erf⁻¹ x in float64: Giles' approximation, then Newton steps y ← y − (erf y − |x|)/erf′ y,
    each doubling the correct digits; for |x| > ½, Newton on ln erfc y = ln(1 − |x|), which
    keeps its digits as |x| → 1. ±inf at ±1, NaN outside [−1, 1]."""
    xp = get_array_module(x)
    x = x.astype(backend.float64)
    inside = xp.abs(x) < 1
    ax = xp.where(inside, xp.abs(x), 0.0)
    w = -xp.log((1.0 - ax) * (1.0 + ax))
    central = w < 5.0
    t = xp.where(central, w - 2.5, xp.sqrt(w) - 3.0)
    p = xp.zeros_like(t)
    for c, d in zip(_ERFINV_CENTRAL, _ERFINV_TAIL):
        p = p * t + xp.where(central, c, d)
    y = p * ax
    tail = ax > 0.5
    c = xp.where(tail, 1.0 - ax, 1.0)  # exact (Sterbenz) for ½ < |x| < 1
    for _ in range(4):
        slope = xp.exp(-y * y) * (2.0 / math.sqrt(math.pi))
        ec = _special_array(y, _erfc_ufunc, "erfc")
        step = xp.where(tail, xp.log(c / ec) * ec, _erf_array(y) - ax) / slope
        y = y - step
    edge = xp.where(xp.abs(x) == 1, xp.inf, xp.nan)
    return xp.copysign(xp.where(inside, y, edge), x)


class Erfinv(Function):
    """y = erf⁻¹ x; ∂y/∂x = √π/2 · e^(y²)."""

    def forward(self, x):
        x = _float_array(x)
        y = _erfinv_array(x).astype(x.dtype)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved
        return gy * (_exp(y * y) * (math.sqrt(math.pi) / 2))


class Lgamma(Function):
    """y = ln |Γ(x)| (+inf at the poles 0, −1, −2, ...); ∂y/∂x = ψ(x), the digamma function."""

    def forward(self, x):
        self.save_for_backward(x)
        return _special_array(_float_array(x), _lgamma_ufunc, "gammaln")

    def backward(self, gy):
        (x,) = self.saved
        return gy * _polygamma(0, x)


# B₂, B₄, ..., B₂₀: the Bernoulli numbers of the asymptotic series
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510,
              43867 / 798, -174611 / 330)  # fmt: skip


def _digamma64(x, xp):
    """ψ(x) for float64 x. Reflection ψ(x) = ψ(1 − x) − π/tan(πx) takes x < 0 to x > 1; the
    recurrence ψ(x) = ψ(x + 1) − 1/x lifts x to ≥ 10; there ψ(x) ~ ln x − 1/(2x) −
    Σ B₂ₖ/(2k x²ᵏ)."""
    pole = (x <= 0) & (x == xp.floor(x))
    neg = x < 0
    z = xp.where(pole, 1.0, xp.where(neg, 1.0 - x, x))
    acc = xp.zeros_like(z)
    for _ in range(10):
        low = z < 10
        acc = acc - xp.where(low, 1.0 / z, 0.0)
        z = xp.where(low, z + 1.0, z)
    zz = 1.0 / (z * z)
    s = xp.zeros_like(z)
    for k in range(len(_BERNOULLI), 0, -1):
        s = (s + _BERNOULLI[k - 1] / (2 * k)) * zz
    psi = acc + xp.log(z) - 0.5 / z - s
    xr = xp.where(neg & ~pole, x, 0.5)
    psi = xp.where(neg, psi - math.pi / xp.tan(math.pi * xr), psi)
    zero = xp.where(xp.signbit(x), xp.inf, -xp.inf)  # ψ(+0) = −inf, ψ(−0) = +inf, as torch
    return xp.where(pole, xp.where(x == 0, zero, xp.nan), psi)


def _polygamma64(n, x, xp):
    """ψ⁽ⁿ⁾(x), n ≥ 1, for float64 x: the recurrence ψ⁽ⁿ⁾(x) = ψ⁽ⁿ⁾(x + 1) + (−1)ⁿ⁺¹ n!/xⁿ⁺¹ lifts
    x to ≥ 20; there ψ⁽ⁿ⁾(x) ~ (−1)ⁿ⁺¹ [(n−1)!/xⁿ + n!/(2xⁿ⁺¹) + Σ B₂ₖ (2k+n−1)!/((2k)! x²ᵏ⁺ⁿ)]."""
    sgn = 1.0 if n % 2 else -1.0
    fact = math.factorial(n)
    pole = (x <= 0) & (x == xp.floor(x))
    z = xp.where(pole | xp.isnan(x), 20.0, x)
    acc = xp.zeros_like(z)
    while bool((z < 20).any()):
        low = z < 20
        acc = acc + xp.where(low, fact / xp.where(low, z, 1.0) ** (n + 1), 0.0)
        z = xp.where(low, z + 1.0, z)
    zz = 1.0 / (z * z)
    s = xp.zeros_like(z)
    for k in range(len(_BERNOULLI), 0, -1):
        c = _BERNOULLI[k - 1] * math.factorial(2 * k + n - 1) / math.factorial(2 * k)
        s = (s + c) * zz
    tail = (math.factorial(n - 1) + (fact / 2 + s * z) / z) / z**n
    out = sgn * (acc + tail)
    return xp.where(pole, xp.inf if n % 2 else xp.nan, xp.where(xp.isnan(x), xp.nan, out))


class Polygamma(Function):
    """y = ψ⁽ⁿ⁾(x), the n-th derivative of ψ = (ln Γ)′; ∂y/∂x = ψ⁽ⁿ⁺¹⁾(x)."""

    def __init__(self, n: int):
        self.n = n

    def forward(self, x):
        self.save_for_backward(x)
        x = _float_array(x)
        xp = get_array_module(x)
        x64 = x.astype(backend.float64)
        y = _digamma64(x64, xp) if self.n == 0 else _polygamma64(self.n, x64, xp)
        return y.astype(x.dtype)

    def backward(self, gy):
        (x,) = self.saved
        return gy * _polygamma(self.n + 1, x)


def _polygamma(n, x):
    if isinstance(x, Tensor):
        return Polygamma(n)(x)
    return Polygamma(n).forward(x)


def erfc(input: Tensor) -> Tensor:
    """erfc x = 1 − erf x, accurate in the tails; gradient −2/√π · e^(−x²)."""
    return Erfc()(as_tensor(input))


def erfinv(input: Tensor) -> Tensor:
    """erf⁻¹ x on [−1, 1] (±inf at ±1, NaN outside); gradient √π/2 · e^(erfinv(x)²)."""
    return Erfinv()(as_tensor(input))


def lgamma(input: Tensor) -> Tensor:
    """ln |Γ(x)|, +inf at 0, −1, −2, ...; gradient ψ(x) (digamma)."""
    return Lgamma()(as_tensor(input))


def digamma(input: Tensor) -> Tensor:
    """ψ(x) = Γ′(x)/Γ(x); −inf at +0, +inf at −0, NaN at negative integers; gradient ψ′(x)."""
    return Polygamma(0)(as_tensor(input))


def polygamma(n: int, input: Tensor) -> Tensor:
    """ψ⁽ⁿ⁾(x), the n-th derivative of digamma (n = 0 is digamma); gradient ψ⁽ⁿ⁺¹⁾(x)."""
    n = number_arg(n, "polygamma", "n")
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"polygamma: n must be a non-negative int, got {n!r}")
    return Polygamma(n)(as_tensor(input))


psi = digamma
