"""More activations, torch's ``F.*`` beyond the basic ones: silu, mish, hardswish, hardsigmoid,
hardtanh, relu6, selu, celu, softsign, logsigmoid, softshrink, hardshrink, tanhshrink,
threshold, glu, prelu, rrelu, softmin.

Each backward sits under its forward and mirrors torch's kernel at the kinks and for NaN (the
comparisons are written the way torch writes them). Where an op is a short composition of
differentiable ops (softsign, tanhshrink, glu, prelu, softmin), it is composed, and its
gradients of any order come with it. ``inplace=True`` overwrites the input and returns it.
"""

from __future__ import annotations

import warnings

from .. import backend
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor, _normalize_dim, as_tensor
from .activation import Softplus, _sigmoid, leaky_relu, softmax
from .arithmetic import _d, _exp, _float_array, _where, number_arg
from .shape import sum_to


def _inplace(x: Tensor, fn, name: str) -> Tensor:
    """Overwrite ``x`` with ``fn(x)`` and return ``x``; under autograd the input's graph node is
    re-pointed at the op, as torch does."""
    return x._rewrite(name, fn)


def _run(fn, x, inplace: bool, name: str) -> Tensor:
    x = as_tensor(x)
    return _inplace(x, fn, name + "_") if inplace else fn(x)


def _softplus(x):
    """ln(1 + eˣ), stable for any x (on Tensors: ``Softplus`` with torch's threshold 20)."""
    if isinstance(x, Tensor):
        return Softplus(1.0, 20.0)(x)
    xp = get_array_module(x)
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


# ------------------------------------------------------------------ smooth
class SiLU(Function):
    """y = x σ(x); ∂y/∂x = σ(x) (1 + x (1 − σ(x)))."""

    def forward(self, x):
        x = _float_array(x)
        self.save_for_backward(x)
        return x * _sigmoid(x)

    def backward(self, gy):
        (x,) = self.saved
        s = _sigmoid(x)
        return gy * s * (1 + x * (1 - s))


class Mish(Function):
    """y = x tanh(softplus x); ∂y/∂x = t + x σ(x) (1 − t²) with t = tanh(softplus x)."""

    def forward(self, x):
        x = _float_array(x)
        self.save_for_backward(x)
        return x * get_array_module(x).tanh(_softplus(x))

    def backward(self, gy):
        (x,) = self.saved
        # with q = e^(−2 softplus x) in (0, 1]: t = (1 − q)/(1 + q), 1 − t² = 4q/(1 + q)², free
        # of the cancellation in 1 − t·t where t ≈ 1
        q = _exp(_softplus(x) * -2)
        t = (1 - q) / (1 + q)
        return gy * (t + x * _sigmoid(x) * (q * 4 / ((1 + q) * (1 + q))))


class ScaledELU(Function):
    """y = scale·x for x > 0, else scale·α·(e^(s·x) − 1) (torch's elu with ``input_scale`` s:
    selu and celu); ∂y/∂x = scale or scale·α·s·e^(s·x)."""

    def __init__(self, alpha, scale, input_scale):
        self.alpha, self.scale, self.input_scale = alpha, scale, input_scale

    def forward(self, x):
        xp = get_array_module(x)
        x = _float_array(x)
        self.neg = x <= 0
        self.save_for_backward(x)
        neg = xp.expm1(xp.minimum(x, 0) * self.input_scale) * (self.alpha * self.scale)
        return xp.where(self.neg, neg, x * self.scale)

    def backward(self, gy):
        (x,) = self.saved
        # differentiated again only where x < 0 (0 at x = 0, as torch)
        xn = _where(_d(x) < 0, x, 0.0)
        slope = _exp(xn * self.input_scale) * (self.alpha * self.scale * self.input_scale)
        return _where(self.neg, gy * slope, gy * self.scale)


class LogSigmoid(Function):
    """y = ln σ(x) = min(x, 0) − ln(1 + e^(−|x|)); ∂y/∂x = σ(−x) = 1 − σ(x)."""

    def forward(self, x):
        xp = get_array_module(x)
        x = _float_array(x)
        self.save_for_backward(x)
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, gy):
        (x,) = self.saved
        if isinstance(x, Tensor):
            return gy * _sigmoid(-x)
        xp = get_array_module(x)
        z = xp.exp(-xp.abs(x))
        s = z / (1 + z)  # σ(−|x|), exact in the tails, unlike 1 − σ(|x|)
        return gy * xp.where(x < 0, 1 - s, s)


# ------------------------------------------------------------------ piecewise linear
class Hardswish(Function):
    """y = x·min(max(x + 3, 0), 6)/6; ∂y/∂x = 0 for x ≤ −3, x/3 + 1/2 on (−3, 3), 1 from 3 on
    (torch's choices at ±3)."""

    def forward(self, x):
        xp = get_array_module(x)
        x = _float_array(x)
        self.low = x <= -3
        self.high = ~(x < 3)  # NaN counts as high: its gradient passes, as torch's
        self.save_for_backward(x)
        return x * xp.minimum(xp.maximum(x + 3, 0), 6) / 6

    def backward(self, gy):
        (x,) = self.saved
        # the middle piece is picked on (−3, 3) only: there lives the second derivative, 1/3
        mid = _where(self.high, gy, gy * (x / 3 + 0.5))
        return _where(self.low, 0.0, mid)


class Hardsigmoid(Function):
    """y = min(max(x + 3, 0), 6)/6; ∂y/∂x = 1/6 on (−3, 3), else 0."""

    def forward(self, x):
        xp = get_array_module(x)
        x = _float_array(x)
        self.open = (x > -3) & (x < 3)
        return xp.minimum(xp.maximum(x + 3, 0), 6) / 6

    def backward(self, gy):
        return _where(self.open, gy * (1 / 6), 0.0)


class Hardtanh(Function):
    """y = min(max(x, lo), hi); ∂y/∂x = 1 on (lo, hi), else 0 (0 at the bounds, as torch)."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def forward(self, x):
        xp = get_array_module(x)
        self.inside = ~((x <= self.lo) | (x >= self.hi))  # NaN inside: its gradient passes
        y = xp.minimum(xp.maximum(x, self.lo), self.hi)
        return y.astype(x.dtype, copy=False)

    def backward(self, gy):
        return _where(self.inside, gy, 0.0)


class Shrink(Function):
    """Softshrink (``soft``): y = x − λ for x > λ, x + λ for x < −λ, else 0; hardshrink:
    y = x for |x| > λ, else 0. ∂y/∂x = 1 outside [−λ, λ], else 0."""

    def __init__(self, lambd, soft):
        self.lambd, self.soft = lambd, soft

    def forward(self, x):
        xp = get_array_module(x)
        lam = self.lambd
        inside = (x >= -lam) & (x <= lam)
        self.outside = ~inside
        if self.soft:  # x·0 inside: keeps NaN and the sign of zero, as torch
            return xp.where(x > lam, x - lam, xp.where(x < -lam, x + lam, x * 0))
        return xp.where(inside, xp.zeros((), x.dtype), x)

    def backward(self, gy):
        return _where(self.outside, gy, 0.0)


class Threshold(Function):
    """y = x where x > threshold, else ``value``; ∂y/∂x = 1 where x > threshold, else 0."""

    def __init__(self, threshold, value):
        self.threshold, self.value = threshold, value

    def forward(self, x):
        xp = get_array_module(x)
        self.keep = ~(x <= self.threshold)  # NaN is kept, as torch
        return xp.where(self.keep, x, xp.asarray(self.value).astype(x.dtype))

    def backward(self, gy):
        return _where(self.keep, gy, 0.0)


class PReLU(Function):
    """y = x for x > 0, else w·x (w broadcast to x); ∂y/∂x = 1 or w, ∂y/∂w = x where x ≤ 0.
    As torch, the mixed second derivatives live where x < 0 or x is NaN (not at x = 0)."""

    def forward(self, x, w):
        xp = get_array_module(x)
        self.pos = x > 0
        self.mixed = ~(x >= 0)
        self.save_for_backward(x, w)
        return xp.where(self.pos, x, w * x)

    def backward(self, gy):
        x, w = self.saved
        nx, nw = self.needs_input_grad
        w_shape = _d(w).shape
        if isinstance(x, Tensor) or isinstance(w, Tensor):
            x, w = _where(self.mixed, x, _d(x)), _where(self.mixed, w, _d(w))
        gx = _where(self.pos, gy, gy * w) if nx else None
        gw = sum_to(_where(self.pos, 0.0, gy * x), w_shape) if nw else None
        return gx, gw


# ------------------------------------------------------------------ public functions
def silu(input, inplace: bool = False) -> Tensor:
    """x·σ(x) (swish); gradient σ(x)(1 + x(1 − σ(x)))."""
    return _run(SiLU.apply, input, inplace, "silu")


def mish(input, inplace: bool = False) -> Tensor:
    """x·tanh(ln(1 + eˣ)); gradient t + x σ(x)(1 − t²), t = tanh(softplus x)."""
    return _run(Mish.apply, input, inplace, "mish")


def hardswish(input, inplace: bool = False) -> Tensor:
    """x·relu6(x + 3)/6: 0 for x ≤ −3, x for x ≥ 3; gradient x/3 + 1/2 in between."""
    return _run(Hardswish.apply, input, inplace, "hardswish")


def hardsigmoid(input, inplace: bool = False) -> Tensor:
    """relu6(x + 3)/6: 0 for x ≤ −3, 1 for x ≥ 3; gradient 1/6 in between."""
    return _run(Hardsigmoid.apply, input, inplace, "hardsigmoid")


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """x clipped to [min_val, max_val]; gradient 1 strictly inside, else 0. Keeps the dtype."""
    lo = number_arg(min_val, "hardtanh", "min_val")
    hi = number_arg(max_val, "hardtanh", "max_val")
    if lo > hi:
        raise ValueError(f"hardtanh: min_val cannot be greater than max_val, got {lo} > {hi}")
    return _run(Hardtanh(lo, hi), input, inplace, "hardtanh")


def relu6(input, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6) = hardtanh(x, 0, 6); gradient 1 on (0, 6), else 0."""
    return _run(Hardtanh(0, 6), input, inplace, "relu6")


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace: bool = False) -> Tensor:
    """scale·(x for x > 0, else α(eˣ − 1)), α ≈ 1.6733, scale ≈ 1.0507 (self-normalizing)."""
    return _run(ScaledELU(_SELU_ALPHA, _SELU_SCALE, 1.0), input, inplace, "selu")


def celu(input, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, else α(e^(x/α) − 1); gradient 1 or e^(x/α)."""
    alpha = number_arg(alpha, "celu", "alpha")
    if alpha == 0:
        raise ValueError("celu: alpha cannot be 0")
    return _run(ScaledELU(alpha, 1.0, 1.0 / alpha), input, inplace, "celu")


def softsign(input) -> Tensor:
    """x / (1 + |x|); gradient 1/(1 + |x|)²."""
    x = as_tensor(input)
    return x / (x.abs() + 1)


def logsigmoid(input) -> Tensor:
    """ln σ(x) = −softplus(−x), stable for any |x|; gradient σ(−x)."""
    return LogSigmoid.apply(as_tensor(input))


def softshrink(input, lambd: float = 0.5) -> Tensor:
    """x − λ for x > λ, x + λ for x < −λ, else 0 (λ ≥ 0); gradient 1 outside [−λ, λ]."""
    lambd = number_arg(lambd, "softshrink", "lambd")
    if lambd < 0:
        raise ValueError(f"softshrink: lambd must be >= 0, got {lambd}")
    return Shrink(lambd, soft=True)(_float_input(input, "softshrink"))


def hardshrink(input, lambd: float = 0.5) -> Tensor:
    """x where |x| > λ, else 0; gradient 1 outside [−λ, λ]."""
    lambd = number_arg(lambd, "hardshrink", "lambd")
    return Shrink(lambd, soft=False)(_float_input(input, "hardshrink"))


def tanhshrink(input) -> Tensor:
    """x − tanh x; gradient tanh²x."""
    x = as_tensor(input)
    return x - x.tanh()


def threshold(input, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else ``value``; gradient 1 where x > threshold. Keeps the dtype."""
    th = number_arg(threshold, "threshold", "threshold")
    value = number_arg(value, "threshold", "value")
    return _run(Threshold(th, value), input, inplace, "threshold")


def glu(input, dim: int = -1) -> Tensor:
    """Gated linear unit: a·σ(b), where a and b are the two halves of x along ``dim``."""
    x = as_tensor(input)
    if x.ndim == 0:
        raise ValueError("glu: does not support scalars because halving size must be even")
    axis = _normalize_dim(dim, x.ndim, "glu")
    n = x.shape[axis]
    if n % 2:
        raise ValueError(f"glu: halving dimension must be even, but dimension {axis} is size {n}")
    return x.narrow(axis, 0, n // 2) * x.narrow(axis, n // 2, n // 2).sigmoid()


def prelu(input, weight) -> Tensor:
    """x for x > 0, else w·x, w a learned slope per channel (dim 1), or one for all;
    gradients 1 or w for x, and x where x ≤ 0 (summed) for w."""
    x, w = as_tensor(input), as_tensor(weight)
    if w.ndim > 1:
        raise ValueError(f"prelu: weight must be a scalar or 1-D, got shape {tuple(w.shape)}")
    if x.dtype != w.dtype:
        raise TypeError(f"prelu: input and weight dtypes differ: {x.dtype} and {w.dtype}")
    channels = x.shape[1] if x.ndim >= 2 else 1
    if w.numel() not in (1, channels):
        raise ValueError(
            f"prelu: weight has {w.numel()} parameters but the input (shape {tuple(x.shape)}) "
            f"has {channels} channels"
        )
    w = w.reshape(()) if w.numel() == 1 else w.reshape((channels,) + (1,) * (x.ndim - 2))
    return PReLU.apply(x, w)


def rrelu(
    input,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Randomized leaky ReLU: x for x > 0, else a·x. In training a ~ U(lower, upper), drawn per
    element from chainrule's generator; in evaluation a = (lower + upper)/2. Gradient 1 or a."""
    lower = number_arg(lower, "rrelu", "lower")
    upper = number_arg(upper, "rrelu", "upper")
    if lower > upper:
        raise ValueError(f"rrelu: lower must be <= upper, got {lower} > {upper}")
    if not training:
        return _run(lambda x: leaky_relu(x, (lower + upper) / 2), input, inplace, "rrelu")
    return _run(lambda x: _random_slopes(x, lower, upper), input, inplace, "rrelu")


def _random_slopes(x, lower, upper):
    xp = get_array_module(x.data)
    if x.data.dtype.kind != "f":
        x = x.to(backend.DEFAULT_FLOAT)
    a = backend.rng(xp).uniform(lower, upper, x.shape).astype(x.data.dtype)
    r = xp.where(x.data <= 0, a, xp.ones((), a.dtype))  # x ≤ 0 draws a slope, as torch
    return x * Tensor(r)


def softmin(input, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(−x) along ``dim`` (``dtype``: cast x first). ``dim=None`` picks torch's implicit
    dim (0 for 0-, 1- and 3-D input, else 1), with its warning."""
    x = as_tensor(input)
    if dtype is not None:
        x = x.to(dtype)
    if dim is None:
        warnings.warn(
            "Implicit dimension choice for softmin has been deprecated. "
            "Change the call to include dim=X as an argument.",
            UserWarning,
            stacklevel=_stacklevel,
        )
        dim = 0 if x.ndim in (0, 1, 3) else 1
    return softmax(-x, dim)


# ------------------------------------------------------------------ in-place spellings (F.*_)
def hardtanh_(input, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """``hardtanh(..., inplace=True)``."""
    return hardtanh(input, min_val, max_val, inplace=True)


def selu_(input) -> Tensor:
    """``selu(..., inplace=True)``."""
    return selu(input, inplace=True)


def celu_(input, alpha: float = 1.0) -> Tensor:
    """``celu(..., inplace=True)``."""
    return celu(input, alpha, inplace=True)


_threshold = threshold  # threshold_'s argument ``threshold`` (torch's name) hides the function


def threshold_(input, threshold: float, value: float) -> Tensor:
    """``threshold(..., inplace=True)``."""
    return _threshold(input, threshold, value, inplace=True)


def rrelu_(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False):
    """``rrelu(..., inplace=True)``."""
    return rrelu(input, lower, upper, training, inplace=True)


def _float_input(x, op):
    x = as_tensor(x)
    if x.data.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point input, got {x.dtype}")
    return x


def gumbel_softmax(logits, tau: float = 1.0, hard: bool = False, eps: float = 1e-10, dim=-1):
    """softmax((logits + g)/τ) along ``dim``, g = −ln(−ln U) Gumbel noise (U uniform), as
    ``F.gumbel_softmax``. With ``hard`` the forward is the one-hot of the argmax and the
    gradient is the soft sample's (y_hard − sg(y_soft) + y_soft, straight through). ``eps`` is
    accepted and unused, as in torch."""
    x = as_tensor(logits)
    tau = number_arg(tau, "gumbel_softmax", "tau")
    xp = get_array_module(x.data)
    u = backend.rng(xp).random(x.shape)
    g = Tensor((-xp.log(-xp.log1p(-u))).astype(x.data.dtype))  # U in [0, 1): 1 − U in (0, 1]
    y = softmax((x + g) / tau, dim)
    if not hard:
        return y
    d = _normalize_dim(dim, y.ndim, "gumbel_softmax")
    idx = xp.expand_dims(xp.argmax(y.data, axis=d), d)
    onehot = xp.zeros_like(y.data)
    xp.put_along_axis(onehot, idx, 1, axis=d)
    return Tensor(onehot) - y.detach() + y


__all__ = [
    "gumbel_softmax",
    "silu",
    "mish",
    "hardswish",
    "hardsigmoid",
    "hardtanh",
    "relu6",
    "selu",
    "celu",
    "softsign",
    "logsigmoid",
    "softshrink",
    "hardshrink",
    "tanhshrink",
    "threshold",
    "glu",
    "prelu",
    "rrelu",
    "softmin",
    "hardtanh_",
    "selu_",
    "celu_",
    "threshold_",
    "rrelu_",
]
