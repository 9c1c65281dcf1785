"""Resampling: interpolate (nearest, nearest-exact, linear, bilinear, bicubic, trilinear, area),
pixel_shuffle and pixel_unshuffle.

Every interpolating mode is separable: the spatial dims are resampled one after another, and
along one dim each output j is a fixed mix of a few inputs, y[j] = Σ_t w_t[j] · x[i_t[j]]
(one tap for nearest, two for linear, four for cubic). A tap is a gather, so the gradient is
gy scattered back with the same weights, ∂L/∂x[i] = Σ_{t, j: i_t[j] = i} w_t[j] · gy[j], and
the gradient of the gradient comes with the composition. Indices and weights are computed as
torch computes them (in the input's precision: float32 for float32), so the values agree.
'area' is adaptive average pooling. pixel_shuffle and its inverse are a reshape and a permute.
"""

from __future__ import annotations

import math

from .. import backend
from ..backend import get_array_module
from ..tensor import Tensor, as_tensor
from .adaptive_pooling import _adaptive_matrix, adaptive_avg_pool2d

_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")
_NEEDS = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
_LINEAR = ("linear", "bilinear", "trilinear")
_A = -0.75  # torch's cubic convolution constant


def _spatial(value, k, name, x):
    """``size`` or ``scale_factor`` as k numbers, one per spatial dim."""
    if isinstance(value, (list, tuple)):
        if len(value) != k:
            raise ValueError(
                f"interpolate: {name} must have one value per spatial dim, got {name} "
                f"{tuple(value)} for an input of shape {tuple(x.shape)}"
            )
        return tuple(value)
    return (value,) * k


def _output_size(x, size, scale_factor, recompute_scale_factor):
    """The output's spatial size, and the scale (input step per output step) torch uses for
    each dim: 1 / scale_factor when one is given and not recomputed, else in / out (None)."""
    k = x.ndim - 2
    if (size is None) == (scale_factor is None):
        raise ValueError(
            "interpolate: give exactly one of size and scale_factor, got "
            f"size={size!r}, scale_factor={scale_factor!r}"
        )
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("interpolate: recompute_scale_factor is not meaningful with a size")
        out = tuple(int(s) for s in _spatial(size, k, "size", x))
        scales = (None,) * k
    else:
        factors = tuple(float(f) for f in _spatial(scale_factor, k, "scale_factor", x))
        out = tuple(math.floor(n * f) for n, f in zip(x.shape[2:], factors))
        scales = (None,) * k if recompute_scale_factor else factors
    if min(out) < 1 or min(x.shape[2:]) < 1:  # (torch's 'area' gives an empty output)
        raise ValueError(
            f"interpolate: input and output sizes must be positive, got input "
            f"{tuple(x.shape)} and output size {out}"
        )
    return out, scales


def _scale(n, o, factor, align_corners, dtype):
    """torch's area_pixel_compute_scale, rounded to the input's precision."""
    if align_corners:
        return dtype.type((n - 1) / (o - 1) if o > 1 else 0.0)
    if factor is not None and factor > 0:
        return dtype.type(1.0 / factor)
    return dtype.type(n) / dtype.type(o)


def _taps(mode, n, o, factor, align_corners, xp, dtype, shortcuts=False):
    """[(index, weight or None)] along one dim: output j reads Σ weight[j] · x[index[j]].
    ``shortcuts``: torch's 2-D nearest kernel maps out = in and out = 2·in by j and ⌊j/2⌋,
    whatever the scale factor."""
    np = backend.np
    dtype = np.dtype(dtype)
    j = np.arange(o)
    if mode in ("nearest", "nearest-exact"):
        s = np.float32(_scale(n, o, factor, False, np.dtype("float32")))
        src = j.astype(np.float32) * s if mode == "nearest" else (j + 0.5) * float(s)
        i = np.minimum(np.floor(src.astype(np.float32)).astype(np.int64), n - 1)
        if mode == "nearest" and shortcuts and o in (n, 2 * n):  # torch's 2-D kernel
            i = j if o == n else j // 2
        return [(xp.asarray(i), None)]
    s = _scale(n, o, factor, align_corners, dtype)
    jd = j.astype(dtype)
    src = s * jd if align_corners else s * (jd + dtype.type(0.5)) - dtype.type(0.5)
    if mode != "bicubic":
        src = np.maximum(src, dtype.type(0))
        i0 = np.minimum(np.floor(src).astype(np.int64), n - 1)
        w1 = np.clip(src - i0.astype(dtype), 0, 1).astype(dtype)
        i1 = np.minimum(i0 + 1, n - 1)
        pairs = [(i0, (1 - w1).astype(dtype)), (i1, w1)]
    else:
        f = np.floor(src)
        t = (src - f).astype(dtype)
        ws = [_cubic2(t + 1), _cubic1(t), _cubic1(1 - t), _cubic2(2 - t)]
        pairs = [(np.clip(f.astype(np.int64) - 1 + k, 0, n - 1), w) for k, w in enumerate(ws)]
    return [(xp.asarray(i), xp.asarray(w.astype(dtype))) for i, w in pairs]


def _cubic1(x):
    """Keys' kernel on |x| ≤ 1: ((A + 2)|x| − (A + 3))|x|² + 1."""
    return ((_A + 2) * x - (_A + 3)) * x * x + 1


def _cubic2(x):
    """Keys' kernel on 1 < |x| < 2: ((A|x| − 5A)|x| + 8A)|x| − 4A."""
    return ((_A * x - 5 * _A) * x + 8 * _A) * x - 4 * _A


def _resample(x, d, taps):
    """Along dim d: Σ_t weight_t · x[index_t], each tap a differentiable gather."""
    lead = (slice(None),) * d
    y = None
    for i, w in taps:
        v = x[lead + (i,)]
        if w is not None:
            v = v * Tensor(w.reshape((-1,) + (1,) * (x.ndim - 1 - d)))
        y = v if y is None else y + v
    return y


def _area(x, out):
    """'area': adaptive average pooling to ``out``."""
    if x.ndim == 4:
        return adaptive_avg_pool2d(x, out)
    xp = get_array_module(x.data)
    for d, o in zip(range(2, x.ndim), out):  # y = A · x along each dim, A the bin averages
        a = Tensor(_adaptive_matrix(x.shape[d], o, xp, x.dtype).T)
        x = (x.movedim(d, -1) @ a).movedim(-1, d)
    return x


def interpolate(
    input,  # noqa: A002
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize the spatial dims of x (N, C, d1, ..., dk), k = 1, 2 or 3, as
    ``torch.nn.functional.interpolate``.

    Give ``size`` or ``scale_factor`` (then out = ⌊in · scale_factor⌋). Along each dim output
    j samples the input at src = scale · (j + ½) − ½, scale = in / out (or 1 / scale_factor);
    with ``align_corners`` src = j · (in − 1) / (out − 1), so the corner samples align.
    'nearest' reads x[⌊j · scale⌋], 'nearest-exact' x[⌊(j + ½) · scale⌋]; 'linear'
    (3-D input), 'bilinear' (4-D), 'trilinear' (5-D) mix x[⌊src⌋] and x[⌊src⌋ + 1] by
    1 − t and t, t = src − ⌊src⌋; 'bicubic' (4-D) mixes four neighbours by Keys' kernel
    (A = −0.75), clamping indices at the border; 'area' averages torch's adaptive bins.

        interpolate(x, scale_factor=2, mode="bilinear")   # (N, C, H, W) → (N, C, 2H, 2W)
    """
    x = as_tensor(input)
    if mode not in _MODES:
        raise ValueError(f"interpolate: mode must be one of {_MODES}, got {mode!r}")
    if x.ndim not in (3, 4, 5):
        raise ValueError(
            f"interpolate: expected a 3-D, 4-D or 5-D input (N, C, d1, ...), got shape "
            f"{tuple(x.shape)}"
        )
    if _NEEDS.get(mode, x.ndim) != x.ndim:
        raise ValueError(
            f"interpolate: mode {mode!r} needs a {_NEEDS[mode]}-D input, got shape {tuple(x.shape)}"
        )
    if align_corners is not None and mode not in _NEEDS:
        raise ValueError(
            f"interpolate: align_corners can only be set with the interpolating modes "
            f"linear, bilinear, bicubic and trilinear, got mode {mode!r}"
        )
    if antialias:
        raise ValueError("interpolate: antialias=True is not supported")
    if mode != "nearest" and mode != "nearest-exact" and x.dtype.kind != "f":
        raise TypeError(f"interpolate: mode {mode!r} needs a floating-point input, got {x.dtype}")
    out, scales = _output_size(x, size, scale_factor, recompute_scale_factor)
    if mode == "area":
        return _area(x, out)
    xp = get_array_module(x.data)
    y = x
    for d, o, factor in zip(range(2, x.ndim), out, scales):
        # torch's linear kernels copy a dim whose size is kept, whatever the scale
        if o != x.shape[d] or (factor not in (None, 1.0) and mode not in _LINEAR):
            taps = _taps(mode, x.shape[d], o, factor, bool(align_corners), xp, x.dtype, x.ndim == 4)
            y = _resample(y, d, taps)
    return x.clone() if y is x else y


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):  # noqa: A002
    """``interpolate`` under its old name, as ``torch.nn.functional.upsample``."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def _check_factor(op, x, r, name):
    if not isinstance(r, int) or isinstance(r, bool) or r < 1:
        raise ValueError(f"{op}: {name} must be a positive int, got {r!r}")
    if x.ndim < 3:
        raise ValueError(f"{op}: expected an input of at least 3 dims, got shape {tuple(x.shape)}")


def pixel_shuffle(input, upscale_factor: int) -> Tensor:  # noqa: A002
    """(*, C·r², H, W) → (*, C, H·r, W·r), r = upscale_factor, as ``F.pixel_shuffle``:
    y[..., c, h·r + i, w·r + j] = x[..., c·r² + i·r + j, h, w]. A permutation, so the
    gradient is the inverse permutation (pixel_unshuffle of gy)."""
    x = as_tensor(input)
    r = upscale_factor
    _check_factor("pixel_shuffle", x, r, "upscale_factor")
    *lead, c, h, w = x.shape
    if c % (r * r):
        raise ValueError(
            f"pixel_shuffle: the channel dim ({c}) must be divisible by upscale_factor² "
            f"({r * r}), got input shape {tuple(x.shape)}"
        )
    b = len(lead)
    y = x.reshape(*lead, c // (r * r), r, r, h, w)
    y = y.permute(*range(b), b, b + 3, b + 1, b + 4, b + 2)
    return y.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor: int) -> Tensor:  # noqa: A002
    """(*, C, H·r, W·r) → (*, C·r², H, W), the inverse of ``pixel_shuffle``, as
    ``F.pixel_unshuffle``: y[..., c·r² + i·r + j, h, w] = x[..., c, h·r + i, w·r + j]."""
    x = as_tensor(input)
    r = downscale_factor
    _check_factor("pixel_unshuffle", x, r, "downscale_factor")
    *lead, c, h, w = x.shape
    if h % r or w % r:
        raise ValueError(
            f"pixel_unshuffle: height and width must be divisible by downscale_factor ({r}), "
            f"got input shape {tuple(x.shape)}"
        )
    b = len(lead)
    y = x.reshape(*lead, c, h // r, r, w // r, r)
    y = y.permute(*range(b), b, b + 2, b + 4, b + 1, b + 3)
    return y.reshape(*lead, c * r * r, h // r, w // r)


def upsample_nearest(input, size=None, scale_factor=None):  # noqa: A002
    """``interpolate(mode='nearest')``, under torch's old name."""
    return interpolate(input, size, scale_factor, "nearest")


def upsample_bilinear(input, size=None, scale_factor=None):  # noqa: A002
    """``interpolate(mode='bilinear', align_corners=True)``, under torch's old name."""
    return interpolate(input, size, scale_factor, "bilinear", align_corners=True)


def channel_shuffle(input, groups: int) -> Tensor:  # noqa: A002
    """(N, g·k, *) → (N, k·g, *): channel i·k + j moves to j·g + i (ShuffleNet's shuffle), a
    permutation, so the gradient is the inverse permutation."""
    x = as_tensor(input)
    if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"channel_shuffle: groups must be a positive int, got {groups!r}")
    if x.ndim < 3 or x.shape[1] % groups:
        raise ValueError(
            f"channel_shuffle: expected (N, C, *) with C divisible by groups ({groups}), got "
            f"shape {tuple(x.shape)}"
        )
    n, c, *rest = x.shape
    return x.reshape(n, groups, c // groups, *rest).transpose(1, 2).reshape(x.shape)


__all__ = [
    "interpolate",
    "upsample",
    "upsample_nearest",
    "upsample_bilinear",
    "pixel_shuffle",
    "pixel_unshuffle",
    "channel_shuffle",
]
