"""3-d pooling: max_pool3d, avg_pool3d, adaptive_avg/max_pool3d, lp_pool3d, max_unpool3d,
fractional_max_pool2d/3d, and torch's ``*_with_indices`` spellings.

A 3-d window is a (depth) × (height, width) product, and each of these pools is separable
over it, so the 3-d pools are two 2-d pools from pooling.py and adaptive_pooling.py:

    stage 1: the (h, w) pool of every depth slice, x (N, C·D, H, W) → (N, C·D, Ho, Wo)
    stage 2: a (k, 1) pool along depth of the result viewed as (N, C, D, Ho·Wo)

The maximum of maxima is the maximum; the first maximum in (d, h, w) row-major order is the
first depth whose slice-maximum wins, then that slice's first maximum; in a window holding NaN
both stages take their last NaN, which is the window's last NaN: torch's rules all. A window
sum is a sum of slice sums, and torch's divisor (the window clipped at the padded border, and
at the input unless padding counts) is a product of per-axis sizes, so the average is the
product of the two stages' averages. Gradients and second derivatives come from the 2-d pools.

The fractional pools gather each window's winner (first maximum, last NaN) at per-plane
windows drawn from ``_random_samples``; their gradient is the gather's scatter.
"""

from __future__ import annotations

from .. import backend
from ..backend import get_array_module
from ..tensor import Tensor, as_tensor
from .adaptive_pooling import adaptive_avg_pool2d, adaptive_max_pool2d
from .adaptive_pooling import adaptive_max_pool1d as _adaptive_max_pool1d
from .pooling import _check_float, avg_pool2d, max_pool2d
from .pooling import max_pool1d as _max_pool1d
from .pooling_extra import _lp, _max_unpool
from .selection import gather


# ------------------------------------------------------------------ argument checks
def _triple(v, name, op):
    t = (v,) * 3 if isinstance(v, int) else tuple(v)
    if len(t) == 1:
        t = t * 3
    if len(t) != 3 or not all(isinstance(a, int) for a in t):
        raise ValueError(f"{op}: {name} must be an int or 3 ints, got {v!r}")
    return t


def _batched(op, input, nd=3):  # noqa: A002
    """x as (N, C, *spatial), and whether a batch dim was added; nd spatial dims."""
    x = as_tensor(input)
    _check_float(op, x)
    if x.ndim == nd + 1:
        x = x.unsqueeze(0)
        added = True
    elif x.ndim == nd + 2:
        added = False
    else:
        raise ValueError(
            f"{op}: expected a {nd + 1}-D (unbatched) or {nd + 2}-D (batched) input, got shape "
            f"{tuple(x.shape)}"
        )
    if 0 in x.shape[1:]:
        raise ValueError(f"{op}: expected non-empty dims after the batch, got shape {x.shape}")
    return x, added


def _window(op, x, kernel_size, stride, padding, dilation, ceil_mode):
    """kernel, stride, padding, dilation as triples, and the output (Do, Ho, Wo); torch's
    rules: positive sizes, padding at most half the kernel_size, the last window starting
    inside the input or its left padding."""
    k = _triple(kernel_size, "kernel_size", op)
    s = k if stride is None or stride == [] or stride == () else _triple(stride, "stride", op)
    p, d = _triple(padding, "padding", op), _triple(dilation, "dilation", op)
    if min(k + s + d) < 1 or min(p) < 0 or any(2 * pi > ki for pi, ki in zip(p, k)):
        raise ValueError(
            f"{op}: need positive kernel_size, stride and dilation, and padding at most half "
            f"the kernel_size, got kernel_size {k}, stride {s}, padding {p}, dilation {d}"
        )
    out = []
    for n, ki, si, pi, di in zip(x.shape[2:], k, s, p, d):
        span = n + 2 * pi - di * (ki - 1) - 1
        o = (-(-span // si) if ceil_mode else span // si) + 1
        if ceil_mode and (o - 1) * si >= n + pi:
            o -= 1
        if span < 0 or o < 1:
            raise ValueError(
                f"{op}: output size is too small: input {tuple(x.shape)}, kernel_size {k}, "
                f"stride {s}, padding {p}, dilation {d}"
            )
        out.append(o)
    return k, s, p, d, tuple(out)


def _compose_indices(i1, i2, shape, out):
    """Flat (d, h, w) indices from stage 1's per-slice h·W + w (N, C·D, Ho, Wo) and stage 2's
    d·(Ho·Wo) + col along depth (N, C, Do, Ho·Wo)."""
    xp = get_array_module(i1.data)
    n, c, d, h, w = shape
    do, ho, wo = out
    i2 = i2.data
    depth = xp.clip(i2 // (ho * wo), 0, d - 1)  # a window of −∞ may pick its padding
    hw = xp.take_along_axis(i1.data.reshape(n, c, d, ho * wo), depth, axis=2)
    return Tensor((depth * (h * w) + hw).reshape(n, c, do, ho, wo))


def _unbatch(added, *ts):
    ts = tuple(t.squeeze(0) if added else t for t in ts)
    return ts if len(ts) > 1 else ts[0]


# ------------------------------------------------------------------ max and average
def max_pool3d(
    input,  # noqa: A002
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """3-D max pooling, as ``torch.nn.functional.max_pool3d``.

    y[n, c, t, h, w] = max_{i, j, l} x[n, c, s·t + d·i − p, s·h + d·j − p, s·w + d·l − p]
    (padding is −∞); input (N, C, D, H, W) or (C, D, H, W); ``stride`` defaults to
    ``kernel_size``. ∂L/∂x routes gy to the first maximum in (d, h, w) order (the last NaN
    in a window holding NaN). With ``return_indices`` also returns the flat index
    d·H·W + h·W + w of each maximum.
    """
    op = "max_pool3d"
    x, added = _batched(op, input)
    (kd, kh, kw), (sd, sh, sw), (pd, ph, pw), (dd, dh, dw), out = _window(
        op, x, kernel_size, stride, padding, dilation, ceil_mode
    )
    n, c, d, h, w = x.shape
    do, ho, wo = out
    s1 = max_pool2d(
        x.reshape(n, c * d, h, w), (kh, kw), (sh, sw), (ph, pw), (dh, dw), ceil_mode, return_indices
    )
    y1, i1 = s1 if return_indices else (s1, None)
    s2 = max_pool2d(
        y1.reshape(n, c, d, ho * wo), (kd, 1), (sd, 1), (pd, 0), (dd, 1), ceil_mode, return_indices
    )
    y, i2 = s2 if return_indices else (s2, None)
    y = y.reshape(n, c, do, ho, wo)
    if not return_indices:
        return _unbatch(added, y)
    return _unbatch(added, y, _compose_indices(i1, i2, x.shape, out))


def avg_pool3d(
    input,  # noqa: A002
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override=None,
) -> Tensor:
    """3-D average pooling, as ``torch.nn.functional.avg_pool3d``.

    y = Σ window / size, size = kD·kH·kW clipped at the padded border (and at the input's,
    unless ``count_include_pad``), or ``divisor_override``; ∂L/∂x spreads gy / size over each
    window. Input (N, C, D, H, W) or (C, D, H, W).
    """
    op = "avg_pool3d"
    x, added = _batched(op, input)
    if divisor_override is not None and divisor_override <= 0:
        raise ValueError(f"{op}: divisor_override must be positive, got {divisor_override}")
    (kd, kh, kw), (sd, sh, sw), (pd, ph, pw), _, (do, ho, wo) = _window(
        op, x, kernel_size, stride, padding, 1, ceil_mode
    )
    n, c, d, h, w = x.shape
    slice_sum = 1 if divisor_override else None  # with an override: sums, then one division
    y1 = avg_pool2d(
        x.reshape(n, c * d, h, w), (kh, kw), (sh, sw), (ph, pw), ceil_mode, count_include_pad,
        slice_sum,
    )  # fmt: skip
    y = avg_pool2d(
        y1.reshape(n, c, d, ho * wo), (kd, 1), (sd, 1), (pd, 0), ceil_mode, count_include_pad,
        divisor_override,
    )  # fmt: skip
    return _unbatch(added, y.reshape(n, c, do, ho, wo))


# ------------------------------------------------------------------ adaptive pools
def _adaptive_size(op, x, output_size):
    size = (output_size,) * 3 if isinstance(output_size, int) or output_size is None else None
    size = size or tuple(output_size)
    if len(size) != 3:
        raise ValueError(f"{op}: output_size must be an int or 3 values, got {output_size!r}")
    size = tuple(n if o is None else o for n, o in zip(x.shape[2:], size))
    if not all(isinstance(o, int) and o >= 1 for o in size):
        raise ValueError(
            f"{op}: need positive output_size, got {output_size!r} for input {tuple(x.shape)}"
        )
    return size


def adaptive_avg_pool3d(input, output_size) -> Tensor:  # noqa: A002
    """3-D adaptive average pooling, as ``torch.nn.functional.adaptive_avg_pool3d``.

    Output bin (t, i, j) averages x over depths [⌊t·D/Do⌋, ⌈(t+1)·D/Do⌉) and the same rule
    on rows and columns; the gradient spreads gy / bin size over each bin. ``output_size``
    is an int or 3 values, None keeping that input size.
    """
    op = "adaptive_avg_pool3d"
    x, added = _batched(op, input)
    do, ho, wo = _adaptive_size(op, x, output_size)
    n, c, d, h, w = x.shape
    y1 = adaptive_avg_pool2d(x.reshape(n, c * d, h, w), (ho, wo))
    y = adaptive_avg_pool2d(y1.reshape(n, c, d, ho * wo), (do, ho * wo))
    return _unbatch(added, y.reshape(n, c, do, ho, wo))


def adaptive_max_pool3d(input, output_size, return_indices: bool = False):  # noqa: A002
    """3-D adaptive max pooling, as ``torch.nn.functional.adaptive_max_pool3d``: the max of x
    over torch's adaptive bins (as in ``adaptive_avg_pool3d``); the gradient goes to the first
    maximum in (d, h, w) order, the last NaN if any. With ``return_indices`` also returns the
    flat index d·H·W + h·W + w of each maximum."""
    op = "adaptive_max_pool3d"
    x, added = _batched(op, input)
    out = _adaptive_size(op, x, output_size)
    do, ho, wo = out
    n, c, d, h, w = x.shape
    y1, i1 = adaptive_max_pool2d(x.reshape(n, c * d, h, w), (ho, wo), True)
    y, i2 = adaptive_max_pool2d(y1.reshape(n, c, d, ho * wo), (do, ho * wo), True)
    y = y.reshape(n, c, do, ho, wo)
    if not return_indices:
        return _unbatch(added, y)
    return _unbatch(added, y, _compose_indices(i1, i2, x.shape, out))


# ------------------------------------------------------------------ built from the others
def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:  # noqa: A002
    """(Σ xᵖ over each kD×kH×kW window)^(1/p), as ``torch.nn.functional.lp_pool3d`` (torch's
    form: avg_pool3d of xᵖ times the window size, negative sums clamped to 0)."""
    x = as_tensor(input)
    k = _triple(kernel_size, "kernel_size", "lp_pool3d")
    out = avg_pool3d(x**norm_type, k, stride, 0, ceil_mode)
    return _lp(out, norm_type, k[0] * k[1] * k[2])


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):  # noqa: A002
    """Each value put back where ``max_pool3d(..., return_indices=True)`` found it (flat
    indices d·H·W + h·W + w per plane), zeros elsewhere, as
    ``torch.nn.functional.max_unpool3d``; each output side is (n − 1)·stride − 2·padding +
    kernel_size unless ``output_size``. Gradient: gy gathered at the indices."""
    return _max_unpool("max_unpool3d", 3, input, indices, kernel_size, stride, padding, output_size)


def max_pool1d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):  # noqa: A002
    """``max_pool1d(..., return_indices=True)``: (values, indices) whatever return_indices."""
    return _max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):  # noqa: A002
    """``max_pool2d(..., return_indices=True)``: (values, indices) whatever return_indices."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):  # noqa: A002
    """``max_pool3d(..., return_indices=True)``: (values, indices) whatever return_indices."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):  # noqa: A002
    """``adaptive_max_pool1d(..., return_indices=True)``: always (values, indices)."""
    return _adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):  # noqa: A002
    """``adaptive_max_pool2d(..., return_indices=True)``: always (values, indices)."""
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):  # noqa: A002
    """``adaptive_max_pool3d(..., return_indices=True)``: always (values, indices)."""
    return adaptive_max_pool3d(input, output_size, True)


# ------------------------------------------------------------------ fractional max pooling
def _intervals(u, n, o, k, xp):
    """Window starts (…, o) per sample u (…,): ⌊(i + u)·α⌋ − ⌊u·α⌋, α = (n − k)/(o − 1), in
    u's dtype as torch computes them; the last window ends at the input's end."""
    if o == 1:
        return xp.full(u.shape + (1,), n - k, dtype=xp.int64)
    alpha = u.dtype.type(n - k) / u.dtype.type(o - 1)
    i = xp.arange(o - 1, dtype=u.dtype)
    starts = ((i + u[..., None]) * alpha).astype(xp.int64) - (u * alpha).astype(xp.int64)[..., None]
    last = xp.full(u.shape + (1,), n - k, dtype=xp.int64)
    return xp.concatenate([starts, last], axis=-1)


def _fractional(op, nd, input, kernel_size, output_size, output_ratio, return_indices, samples):  # noqa: A002
    x, added = _batched(op, input, nd)
    if output_size is None and output_ratio is None:
        raise ValueError(f"{op}: requires specifying either an output_size or an output_ratio")

    def tup(v, name):
        t = (v,) * nd if isinstance(v, (int, float)) else tuple(v)
        if len(t) == 1:
            t = t * nd
        if len(t) != nd:
            raise ValueError(f"{op}: {name} must be a number or {nd} numbers, got {v!r}")
        return t

    k = tup(kernel_size, "kernel_size")
    spatial = tuple(x.shape[2:])
    if output_size is None:
        out = tuple(int(n * r) for n, r in zip(spatial, tup(output_ratio, "output_ratio")))
    else:
        out = tup(output_size, "output_size")
    # torch's bound: output_size + kernel_size − 1 ≤ the input size in 2-d, < it in 3-d
    room = tuple(m - (nd == 3) for m in spatial)
    if not all(isinstance(v, int) and v >= 1 for v in k + out) or any(
        o + ki - 1 > m for o, ki, m in zip(out, k, room)
    ):
        bound = "<" if nd == 3 else "<="
        raise ValueError(
            f"{op}: need positive kernel_size and output_size with output_size + kernel_size "
            f"- 1 {bound} input size, got kernel_size {k}, output_size {out} for input "
            f"{tuple(x.shape)}"
        )
    n, c = x.shape[:2]
    xp = get_array_module(x.data)
    if samples is None:
        u = backend.rng(xp).random((n, c, nd)).astype(x.dtype)
    else:
        u = as_tensor(samples).data
        if tuple(u.shape) != (n, c, nd) or u.dtype != x.dtype:
            raise ValueError(
                f"{op}: _random_samples must be {x.dtype} of shape {(n, c, nd)}, got "
                f"{u.dtype} {tuple(u.shape)}"
            )
    # torch reads the samples as (W, H) in 2-d and as (T, H, W) in 3-d
    cols = (1, 0) if nd == 2 else (0, 1, 2)
    # per axis a: input positions (N, C, o_a, k_a) of every window, times that axis's stride
    flat, stride = 0, 1
    for a in reversed(range(nd)):
        start = _intervals(u[..., cols[a]], spatial[a], out[a], k[a], xp)
        pos = (start[..., None] + xp.arange(k[a])) * stride
        shape = [n, c] + [1] * (2 * nd)
        shape[2 + a], shape[2 + nd + a] = out[a], k[a]
        flat = flat + pos.reshape(shape)
        stride *= spatial[a]
    size = 1
    for o in out:
        size *= o
    flat = flat.reshape(n, c, size, -1)  # (N, C, outputs, window)
    v = xp.take_along_axis(x.data.reshape(n, c, 1, -1), flat, axis=-1)
    nan = xp.isnan(v)
    win = xp.argmax(xp.where(nan, -xp.inf, v), axis=-1)  # the first maximum, or the last NaN
    if nan.any():
        last = nan.shape[-1] - 1 - xp.argmax(nan[..., ::-1], axis=-1)
        win = xp.where(nan.any(axis=-1), last, win)
    idx = xp.take_along_axis(flat, win[..., None], axis=-1)[..., 0]  # (N, C, outputs)
    y = gather(x.reshape(n, c, -1), 2, idx).reshape((n, c) + out)
    if not return_indices:
        return _unbatch(added, y)
    return _unbatch(added, y, Tensor(idx.reshape((n, c) + out)))


def fractional_max_pool2d(
    input,  # noqa: A002
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices: bool = False,
    _random_samples=None,
):
    """2-D fractional max pooling (Graham, 2014), as ``torch.nn.functional.
    fractional_max_pool2d``: output (i, j) is the max over rows [r_i, r_i + kH) and columns
    [c_j, c_j + kW), r_i = ⌊(i + u)·α⌋ − ⌊u·α⌋ with α = (H − kH)/(Ho − 1) and u per (n, c)
    from ``_random_samples`` (N, C, 2) (u[..., 0] for columns; drawn uniform when None), the
    last window ending at the edge. ``output_size`` or ``output_ratio`` (Ho = ⌊H·ratio⌋).
    The gradient goes to the first maximum (the last NaN); indices are h·W + w."""
    return _fractional(
        "fractional_max_pool2d", 2, input, kernel_size, output_size, output_ratio,
        return_indices, _random_samples,
    )  # fmt: skip


def fractional_max_pool3d(
    input,  # noqa: A002
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices: bool = False,
    _random_samples=None,
):
    """3-D fractional max pooling, as ``torch.nn.functional.fractional_max_pool3d``: the 2-D
    rule on depth, rows and columns, with ``_random_samples`` (N, C, 3) read as (T, H, W);
    indices are d·H·W + h·W + w."""
    return _fractional(
        "fractional_max_pool3d", 3, input, kernel_size, output_size, output_ratio,
        return_indices, _random_samples,
    )  # fmt: skip


__all__ = [
    "max_pool3d",
    "avg_pool3d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool3d",
    "lp_pool3d",
    "max_unpool3d",
    "max_pool1d_with_indices",
    "max_pool2d_with_indices",
    "max_pool3d_with_indices",
    "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d_with_indices",
    "fractional_max_pool2d",
    "fractional_max_pool3d",
]
