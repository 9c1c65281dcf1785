"""Activations: tanh, sigmoid, relu, leaky_relu, elu, gelu, softplus, softmax, log_softmax.

Each backward sits under its forward; where the derivative is neatest in terms of the output
(tanh: 1 − y², sigmoid: y(1 − y)), the output is what is saved.
"""

from __future__ import annotations

import math

from .. import backend
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor, _normalize_dim, as_tensor
from .arithmetic import _d, _erf, _erf_array, _exp, _float_array, _where, number_arg


class Tanh(Function):
    """y = tanh x; ∂y/∂x = 1 − y²."""

    def forward(self, x):
        y = get_array_module(x).tanh(_float_array(x))
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved
        return gy * (1 - y * y)


class Sigmoid(Function):
    """y = 1 / (1 + e^(−x)); ∂y/∂x = y (1 − y)."""

    def forward(self, x):
        xp = get_array_module(x)
        y = xp.tanh(_float_array(x) * 0.5) * 0.5 + 0.5  # tanh form: never overflows
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved
        return gy * y * (1 - y)


class ReLU(Function):
    """y = max(x, 0); ∂y/∂x = 1 where x > 0, else 0."""

    def forward(self, x):
        y = get_array_module(x).maximum(x, backend.zeros_like_layout(x))
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved
        # y = max(x, 0) is never negative: y ≠ 0 is y > 0, and NaN passes its gradient, as in
        # torch (one comparison; np.where is 4× slower)
        return gy * (_d(y) != 0)


class ReLUOfOwn(Function):
    """ReLU of an x that no one else holds (``nn.Sequential`` runs a ReLU after the max pooling
    that followed it, on the pooling's fresh output): it saves x rather than y, so y may be
    modified in place before backward, as the pooling's output it stands in for could.
    ∂y/∂x = 1 where x > 0 or x is NaN (where y ≠ 0), as ReLU's."""

    name = "ReLU"

    def forward(self, x):
        self.save_for_backward(x)
        return get_array_module(x).maximum(x, backend.zeros_like_layout(x))

    def backward(self, gy):
        (x,) = self.saved
        return gy * ~(_d(x) <= 0)


class LeakyReLU(Function):
    """y = x if x > 0 else slope·x."""

    def __init__(self, slope):
        self.slope = slope

    def forward(self, x):
        xp = get_array_module(x)
        x = _float_array(x)
        self.mask = x > 0
        scaled = x * self.slope
        if 0 < self.slope <= 1:  # then slope·x ≤ x exactly where x ≥ 0: the max is the where,
            return xp.maximum(x, scaled)  # at a sixth of np.where's cost
        return xp.where(self.mask, x, scaled)

    def backward(self, gy):
        if not 0 < self.slope <= 1:
            return _where(self.mask, gy, gy * self.slope)
        dtype = gy.dtype if backend.is_array(gy) else gy.data.dtype
        return gy * leaky_factor(self.mask, self.slope, dtype)


def leaky_factor(mask, slope, dtype):
    """1 where ``mask``, else ``slope`` (0 < slope ≤ 1), in ``dtype``: LeakyReLU's derivative.
    gy times it is gy·1 and gy·slope bit for bit, without np.where."""
    return get_array_module(mask).maximum(mask.astype(dtype), dtype.type(slope))


class ELU(Function):
    """y = x if x > 0 else α(eˣ − 1); ∂y/∂x = 1 or α eˣ."""

    def __init__(self, alpha):
        self.alpha = alpha

    def forward(self, x):
        xp = get_array_module(x)
        x = _float_array(x)
        self.mask = x > 0
        self.save_for_backward(x)
        return xp.where(self.mask, x, self.alpha * xp.expm1(xp.minimum(x, 0)))

    def backward(self, gy):
        (x,) = self.saved
        # α eˣ where x ≤ 0, differentiated again only where x < 0 (0 at x = 0, as torch)
        neg = _where(_d(x) < 0, x, 0.0)
        return _where(self.mask, gy, gy * _exp(neg) * self.alpha)


_SQRT_2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


class GELU(Function):
    """y = x Φ(x) (exact, with erf) or its tanh approximation; ∂y/∂x = Φ(x) + x φ(x)."""

    def __init__(self, approximate):
        self.approximate = approximate

    def forward(self, x):
        xp = get_array_module(x)
        x = _float_array(x)
        self.save_for_backward(x)
        if self.approximate == "tanh":
            k = math.sqrt(2.0 / math.pi)
            return 0.5 * x * (1 + xp.tanh(k * (x + 0.044715 * x**3)))
        return 0.5 * x * (1 + _erf_array(x / _SQRT_2))

    def backward(self, gy):
        (x,) = self.saved
        if self.approximate == "tanh":
            k = math.sqrt(2.0 / math.pi)
            inner = (x + x * x * x * 0.044715) * k
            t = Tanh()(inner) if isinstance(inner, Tensor) else get_array_module(inner).tanh(inner)
            dinner = (x * x * (3 * 0.044715) + 1) * k
            return gy * ((1 + t) * 0.5 + x * 0.5 * (1 - t * t) * dinner)
        cdf = (_erf(x * (1 / _SQRT_2)) + 1) * 0.5
        pdf = _exp(x * x * -0.5) * _INV_SQRT_2PI
        return gy * (cdf + x * pdf)


class Softplus(Function):
    """y = ln(1 + e^(βx))/β, linear where βx > threshold; ∂y/∂x = sigmoid(βx)."""

    def __init__(self, beta, threshold):
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        xp = get_array_module(x)
        x = _float_array(x)
        bx = x * self.beta
        self.linear = bx > self.threshold
        self.flat = bx >= self.threshold
        self.save_for_backward(x)
        soft = (xp.maximum(bx, 0) + xp.log1p(xp.exp(-xp.abs(bx)))) / self.beta
        return xp.where(self.linear, x, soft).astype(x.dtype, copy=False)

    def backward(self, gy):
        (x,) = self.saved
        bx = x * self.beta
        if isinstance(bx, Tensor):  # torch's double backward is 0 from βx = threshold on
            bx = _where(self.flat, _d(bx), bx)
        return _where(self.linear, gy, gy * _sigmoid(bx))


class Softmax(Function):
    """y = e^(x − max) / Σ e^(x − max) along ``axis``; ∂L/∂x = y (g − Σ g y)."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        xp = get_array_module(x)
        e = xp.exp(_shift(x, self.axis))
        y = e / e.sum(axis=self.axis, keepdims=True)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved
        gyy = gy * y
        return gyy - y * gyy.sum(axis=self.axis, keepdims=True)


class LogSoftmax(Function):
    """y = x − logsumexp(x) along ``axis``; ∂L/∂x = g − softmax(x) Σ g."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        xp = get_array_module(x)
        z = _shift(x, self.axis)
        y = z - xp.log(xp.exp(z).sum(axis=self.axis, keepdims=True))
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved
        return gy - _exp(y) * gy.sum(axis=self.axis, keepdims=True)


# ------------------------------------------------------------------ public functions
def tanh(x):
    """Hyperbolic tangent; gradient 1 − tanh²x."""
    return Tanh()(as_tensor(x))


def sigmoid(x):
    """Logistic function 1/(1 + e^(−x)); gradient y(1 − y)."""
    return Sigmoid()(as_tensor(x))


def relu(x, inplace=False):
    """max(x, 0); gradient 1 for x > 0, 0 otherwise (0 at x = 0, as torch)."""
    x = as_tensor(x)
    return x._rewrite("relu_", relu) if inplace else ReLU()(x)


def relu_(x):
    return relu(x, inplace=True)


def relu_of_own(x):
    """relu(x) for an x no one else holds, saving x rather than the output (``ReLUOfOwn``)."""
    return ReLUOfOwn()(x)


def leaky_relu(x, negative_slope=0.01, inplace=False):
    """x for x > 0, negative_slope·x otherwise."""
    slope = number_arg(negative_slope, "leaky_relu", "negative_slope")
    x = as_tensor(x)
    if inplace:
        return x._rewrite("leaky_relu_", leaky_relu, slope)
    return LeakyReLU(slope)(x)


def leaky_relu_(x, negative_slope=0.01):
    return leaky_relu(x, negative_slope, inplace=True)


def elu(x, alpha=1.0, inplace=False):
    """x for x > 0, α(eˣ − 1) otherwise."""
    alpha = number_arg(alpha, "elu", "alpha")
    x = as_tensor(x)
    return x._rewrite("elu_", elu, alpha) if inplace else ELU(alpha)(x)


def elu_(x, alpha=1.0):
    return elu(x, alpha, inplace=True)


def gelu(x, approximate="none"):
    """x·Φ(x), Φ the standard normal CDF; ``approximate='tanh'`` uses the tanh formula."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU(approximate)(as_tensor(x))


def softplus(x, beta=1.0, threshold=20.0):
    """ln(1 + e^(βx))/β, reverting to x where βx > threshold (torch's defaults)."""
    beta = number_arg(beta, "softplus", "beta")
    threshold = number_arg(threshold, "softplus", "threshold")
    return Softplus(beta, threshold)(as_tensor(x))


def softmax(x, dim=-1):
    """Numerically stable softmax along ``dim``: rows sum to 1. A 0-d input gives 1."""
    x = as_tensor(x)
    axis = _normalize_dim(dim, x.ndim, "softmax")
    return Softmax(axis if x.ndim else None)(x)


def log_softmax(x, dim=-1):
    """log(softmax(x)) computed stably as x − logsumexp(x). A 0-d input gives 0."""
    x = as_tensor(x)
    axis = _normalize_dim(dim, x.ndim, "log_softmax")
    return LogSoftmax(axis if x.ndim else None)(x)


def _shift(x, axis):
    """x − max(x) along ``axis`` (so exp never overflows), as floats; empty input as is."""
    x = _float_array(x)
    if x.size == 0:  # max() of an empty axis has no identity; there is nothing to shift
        return x
    return x - x.max(axis=axis, keepdims=True)


def _sigmoid(x):
    if isinstance(x, Tensor):
        return Sigmoid()(x)
    xp = get_array_module(x)
    return xp.tanh(x * 0.5) * 0.5 + 0.5


__all__ = [
    "tanh",
    "sigmoid",
    "relu",
    "leaky_relu",
    "elu",
    "gelu",
    "softplus",
    "softmax",
    "log_softmax",
    "_d",
]
