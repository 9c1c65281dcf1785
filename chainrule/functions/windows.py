"""Window functions for spectral analysis, with torch's names and signatures: ``hann_window``,
``hamming_window``, ``blackman_window``, ``bartlett_window`` and ``kaiser_window``.

Each is a 1-D tensor w[n], n = 0 … N − 1. A symmetric window (``periodic=False``) spans
M = N points end to end; a periodic one (the default, for spectra) is the symmetric window of
M = N + 1 points without its last, so that it repeats with period N. With t = 2πn/(M − 1):

    hamming   α − β cos t                                 (α = 0.54, β = 0.46)
    hann      ½ − ½ cos t                                 (hamming with α = β = ½)
    blackman  0.42 − ½ cos t + 0.08 cos 2t
    bartlett  1 − |2n/(M − 1) − 1|
    kaiser    I₀(β √(1 − ((n − c)/c)²)) / I₀(β),   c = (M − 1)/2

A window of length 1 is [1], of length 0 empty. Values are computed in float64 and rounded
once to ``dtype`` (default: the default float). They are constants: ``requires_grad`` makes a
leaf, as in torch.
"""

from __future__ import annotations

import math

from .. import backend
from ..tensor import Tensor
from .numeric import i0_array

np = backend.np


def _window(op, window_length, periodic, formula, dtype, device, requires_grad) -> Tensor:
    """The window ``formula(n, m)`` over n = 0 … M − 1 (float64 arrays), as a tensor."""
    if isinstance(window_length, bool) or not isinstance(backend.number(window_length), int):
        raise TypeError(f"{op}: window_length must be an int, got {window_length!r}")
    if window_length < 0:
        raise ValueError(f"{op}: window_length must be non-negative, got {window_length}")
    dtype = backend.as_dtype(dtype) or backend.DEFAULT_FLOAT
    if dtype.kind != "f":
        raise TypeError(f"{op}: expects a floating point dtype, got {dtype}")
    xp = np if device is None else backend.module_for(device)
    if window_length <= 1:
        w = xp.ones(window_length, dtype=dtype)
    else:
        m = window_length + 1 if periodic else window_length
        n = xp.arange(m, dtype=backend.float64)
        w = formula(xp, n, m)[:window_length].astype(dtype)
    t = Tensor(w)
    return t.requires_grad_(True) if requires_grad else t


def hamming_window(
    window_length: int,
    periodic: bool = True,
    alpha: float = 0.54,
    beta: float = 0.46,
    *,
    dtype=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """w[n] = α − β cos(2πn/(M − 1)); M = N + 1 when ``periodic``, else N."""
    alpha, beta = backend.number(alpha), backend.number(beta)

    def formula(xp, n, m):
        return alpha - beta * xp.cos(2 * math.pi * n / (m - 1))

    return _window("hamming_window", window_length, periodic, formula, dtype, device, requires_grad)


def hann_window(
    window_length: int, periodic: bool = True, *, dtype=None, device=None, requires_grad=False
) -> Tensor:
    """w[n] = ½ − ½ cos(2πn/(M − 1)) = sin²(πn/(M − 1)); M = N + 1 when ``periodic``."""

    def formula(xp, n, m):
        return 0.5 - 0.5 * xp.cos(2 * math.pi * n / (m - 1))

    return _window("hann_window", window_length, periodic, formula, dtype, device, requires_grad)


def blackman_window(
    window_length: int, periodic: bool = True, *, dtype=None, device=None, requires_grad=False
) -> Tensor:
    """w[n] = 0.42 − ½ cos(2πn/(M − 1)) + 0.08 cos(4πn/(M − 1)); M = N + 1 when ``periodic``."""

    def formula(xp, n, m):
        t = 2 * math.pi * n / (m - 1)
        return 0.42 - 0.5 * xp.cos(t) + 0.08 * xp.cos(2 * t)

    return _window(
        "blackman_window", window_length, periodic, formula, dtype, device, requires_grad
    )


def bartlett_window(
    window_length: int, periodic: bool = True, *, dtype=None, device=None, requires_grad=False
) -> Tensor:
    """The triangle w[n] = 1 − |2n/(M − 1) − 1|; M = N + 1 when ``periodic``."""

    def formula(xp, n, m):
        return 1 - xp.abs(2 * n / (m - 1) - 1)

    return _window(
        "bartlett_window", window_length, periodic, formula, dtype, device, requires_grad
    )


def kaiser_window(
    window_length: int,
    periodic: bool = True,
    beta: float = 12.0,
    *,
    dtype=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """w[n] = I₀(β √(1 − ((n − c)/c)²)) / I₀(β), c = (M − 1)/2, I₀ the modified Bessel
    function of order 0 (even, so −β gives the same window); M = N + 1 when ``periodic``. β sets
    the trade-off between the main lobe's width and the side lobes' height (0: a rectangle)."""
    beta = backend.number(beta)
    if not isinstance(beta, (int, float)) or isinstance(beta, bool):
        raise TypeError(f"kaiser_window: beta must be a number, got {beta!r}")

    def formula(xp, n, m):
        c = (m - 1) / 2
        r = xp.sqrt(xp.maximum(1 - ((n - c) / c) ** 2, 0.0))
        return i0_array(beta * r) / i0_array(xp.full((), float(beta)))

    return _window("kaiser_window", window_length, periodic, formula, dtype, device, requires_grad)


__all__ = [
    "bartlett_window",
    "blackman_window",
    "hamming_window",
    "hann_window",
    "kaiser_window",
]
