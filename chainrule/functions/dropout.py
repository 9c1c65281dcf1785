"""Dropout: zero elements (or whole channels) at random during training.

    y = x · m / (1 − p),   m_i ~ Bernoulli(1 − p);   ∂L/∂x = g · m / (1 − p)

Alpha dropout (for SELU networks) sends a dropped unit to SELU's negative saturation −λα
instead of 0, then applies the affine map that restores zero mean and unit variance:

    y = a (x · m − λα (1 − m)) + b = x · (a m) + λα a (m − 1 + p),   ∂L/∂x = g · a m
    λα = 1.7580993408473766 (SELU's scale × alpha),  a = ((1 − p)(1 + p (λα)²))^(−1/2),
    b = λα a p

The scaled mask is a constant of the op, drawn on the input's device from
``chainrule.backend.rng(xp)``, so ``cr.manual_seed`` makes it reproducible. In evaluation
(``training=False``) the input is returned unchanged.
"""

from __future__ import annotations

from .. import backend
from ..autograd.function import Function, bump_version
from ..autograd.grad_mode import is_grad_enabled
from ..tensor import Tensor, as_tensor


class Dropout(Function):
    """y = x · mask, the mask already scaled by 1/(1 − p); it broadcasts over x."""

    def __init__(self, mask):
        self.mask = mask

    def forward(self, x):
        return x * self.mask

    def backward(self, gy):
        return gy * self.mask  # a constant: fed a Tensor, this is still differentiable


def _check_p(p, op):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")


def _scaled_mask(x, shape, p):
    """Bernoulli(1 − p) keep-mask of ``shape``, scaled by 1/(1 − p), in x's dtype and on x's
    device (a GPU mask is drawn on the GPU: no host draw, no copy)."""
    xp, dtype = backend.get_array_module(x.data), x.dtype
    if p == 1.0:  # nothing is kept; 1/(1 − p) would be inf
        return xp.zeros(shape, dtype=dtype)
    keep = backend.rng(xp).random(shape) >= p  # P(keep) = 1 − p
    return keep.astype(dtype) * dtype.type(1.0 / (1.0 - p))


def _apply(x, mask, inplace, op):
    if not inplace:
        return Dropout(mask)(x)
    if not (is_grad_enabled() and x.requires_grad):
        x.data *= mask
        bump_version(x)
        return x
    return x._inplace(op, None, lambda t, _: Dropout(mask)(t), None)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero each element with probability ``p`` and scale the rest by 1/(1 − p).

    Any shape; same shape out. With ``training=False`` (or p = 0) the input comes back as is.
    """
    _check_p(p, "dropout")
    x = as_tensor(input)
    if not training or p == 0.0:
        return x
    if x.dtype.kind != "f":
        raise TypeError(f"dropout: expected a floating-point input, got dtype {x.dtype}")
    return _apply(x, _scaled_mask(x, x.shape, p), inplace, "dropout")


def _channel_dropout(input, p, training, inplace, op, ranks, batched):
    """One Bernoulli draw per channel: the mask has shape (N, C, 1, ...) for a batched input
    (rank in ``batched``) and (C, 1, ...) otherwise."""
    _check_p(p, op)
    x = as_tensor(input)
    if x.ndim not in ranks:
        raise ValueError(
            f"{op}: expected a {ranks[0]}-D or {ranks[1]}-D input, got shape {x.shape}"
        )
    if not training or p == 0.0:
        return x
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point input, got dtype {x.dtype}")
    lead = 2 if x.ndim in batched else 1
    shape = x.shape[:lead] + (1,) * (x.ndim - lead)
    return _apply(x, _scaled_mask(x, shape, p), inplace, op)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels with probability ``p``: input (N, C, L) or (C, L); each (n, c)
    row is kept (scaled by 1/(1 − p)) or zeroed as one."""
    return _channel_dropout(input, p, training, inplace, "dropout1d", (2, 3), (3,))


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels with probability ``p``: input (N, C, H, W), each (n, c) feature
    map kept (scaled by 1/(1 − p)) or zeroed as one. A 3-D input is read as (N, C, L), as
    torch does today."""
    return _channel_dropout(input, p, training, inplace, "dropout2d", (3, 4), (3, 4))


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels with probability ``p``: input (N, C, D, H, W) or (C, D, H, W),
    each (n, c) volume kept (scaled by 1/(1 − p)) or zeroed as one."""
    return _channel_dropout(input, p, training, inplace, "dropout3d", (4, 5), (5,))


_SELU_ALPHA = 1.7580993408473766  # λα of SELU: −λα is where SELU saturates for x → −∞


def _alpha_affine(x, shape, p):
    """(scale, shift) arrays of ``shape`` for y = x · scale + shift: a m and
    λα a (m − 1 + p), with m ~ Bernoulli(1 − p) and a = ((1 − p)(1 + p (λα)²))^(−1/2)."""
    xp, dtype = backend.get_array_module(x.data), x.dtype
    if p == 1.0:  # torch: x · 0 (a would be inf)
        zero = xp.zeros(shape, dtype=dtype)
        return zero, zero
    keep = (backend.rng(xp).random(shape) >= p).astype(dtype)
    a = 1.0 / ((_SELU_ALPHA**2 * p + 1.0) * (1.0 - p)) ** 0.5
    scale = keep * dtype.type(a)
    shift = (keep - dtype.type(1.0)) * dtype.type(_SELU_ALPHA * a) + dtype.type(_SELU_ALPHA * a * p)
    return scale, shift


def _alpha_dropout(input, p, training, inplace, op, feature):
    _check_p(p, op)
    x = as_tensor(input)
    if feature and x.ndim < 2:
        raise ValueError(
            f"{op}: expected an input with at least 2 dimensions (N, C, ...), got shape {x.shape}"
        )
    if not training or p == 0.0:
        return x
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point input, got dtype {x.dtype}")
    shape = x.shape[:2] + (1,) * (x.ndim - 2) if feature else x.shape
    scale, shift = _alpha_affine(x, shape, p)
    if not inplace:
        return Dropout(scale)(x) + Tensor(shift)
    if not (is_grad_enabled() and x.requires_grad):
        x.data *= scale
        x.data += shift
        bump_version(x)
        return x
    return x._inplace(op, None, lambda t, _: Dropout(scale)(t) + Tensor(shift), None)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False):
    """Alpha dropout (self-normalising networks): each element is dropped with probability
    ``p`` to SELU's saturation value, then y = a · (that) + b keeps mean 0 and variance 1 for
    standard-normal input (module docstring). Any shape. Note torch's default
    ``training=False``: without ``training=True`` this is the identity."""
    return _alpha_dropout(input, p, training, inplace, "alpha_dropout", False)


def feature_alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
):
    """Alpha dropout of whole channels: one draw per (n, c) of an (N, C, ...) input, the
    channel then kept (y = a x + b) or set to the dropped value as one."""
    return _alpha_dropout(input, p, training, inplace, "feature_alpha_dropout", True)


__all__ = [
    "alpha_dropout",
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "feature_alpha_dropout",
]
