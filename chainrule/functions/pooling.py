"""Pooling: max_pool2d and avg_pool2d, and their 1-d forms (the 2-d pools on an (N, C, 1, L)
view). The adaptive pools are in adaptive_pooling.py.

Windows are visited one kernel offset at a time: the offset (i, j) of every window at once is
one strided slice of the padded input, seen channels-last as (N, H, W, C) (free for the output
of a convolution, which is stored that way). So a pool is kH·kW whole-array operations, and its
backward is one slice-add per offset (col2im, as in conv.py).

The max-pool forward is kH·kW − 1 ``maximum`` calls. Only when a gradient is asked for does it
find which offset won each window: on a tie the FIRST maximum in row-major order, and in a
window holding NaN its last NaN (torch's rules both). The backward scatters gy by that choice;
the scatter and the matching gather are each other's adjoints, so second derivatives come for
free. Average pooling is linear, with the same pairing.
"""

from __future__ import annotations

from ..autograd.function import Function
from ..autograd.grad_mode import _state as _grad_state
from ..backend import get_array_module
from ..tensor import Tensor, as_tensor


class _Geometry:
    """One 2-D pool: x (N, C, H, W) → (N, C, Ho, Wo); padding (top, left) is symmetric, but
    ceil_mode may add rows and columns at the bottom and right (``extra``)."""

    def __init__(self, kernel, stride, padding, dilation, in_hw, out_hw):
        self.kernel, self.stride, self.padding, self.dilation = kernel, stride, padding, dilation
        self.in_hw, self.out_hw = in_hw, out_hw
        self.extra = tuple(
            max(0, (o - 1) * s + d * (k - 1) + 1 - n - p)
            for o, s, d, k, n, p in zip(out_hw, stride, dilation, kernel, in_hw, padding)
        )
        # when windows share no input (stride ≥ the kernel's span), each gradient slice can be
        # written in place rather than added
        self.disjoint = all(s >= d * (k - 1) + 1 for s, d, k in zip(stride, dilation, kernel))
        # the windows tile the input exactly (the usual 2×2 pool of a conv's output): every
        # input element belongs to one window, so a gradient needs no zero-filling first
        self.tiles = (
            tuple(stride) == tuple(kernel)
            and tuple(dilation) == (1, 1)
            and tuple(padding) == (0, 0)
            and all(n == o * k for n, o, k in zip(in_hw, out_hw, kernel))
        )

    def offsets(self):
        """Each kernel offset (row-major) and its (N, Ho, Wo, C) slice of a padded array."""
        (kh, kw), (sh, sw), (dh, dw) = self.kernel, self.stride, self.dilation
        ho, wo = self.out_hw
        for i in range(kh):
            for j in range(kw):
                rows = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh)
                cols = slice(j * dw, j * dw + sw * (wo - 1) + 1, sw)
                yield i * kw + j, (slice(None), rows, cols)


def _pad(x, g, value):
    """x (N, C, H, W) as a channels-last (N, H', W', C) array padded with ``value``."""
    xp = get_array_module(x)
    xt = x.transpose(0, 2, 3, 1)
    (ph, pw), (eh, ew) = g.padding, g.extra
    if not (ph or pw or eh or ew):
        return xt
    n, h, w, c = xt.shape
    xpad = xp.full((n, h + ph + eh, w + pw + ew, c), value, dtype=x.dtype)
    xpad[:, ph : ph + h, pw : pw + w] = xt
    return xpad


def _unpad(gxpad, g):
    """The (N, C, H, W) view of the unpadded part of a channels-last gradient."""
    (h, w), (ph, pw) = g.in_hw, g.padding
    return gxpad[:, ph : ph + h, pw : pw + w].transpose(0, 3, 1, 2)


def _gradient_buffer(gy, g):
    """The padded channels-last buffer a pool's input gradient is scattered into: zeros, or,
    when the windows tile the input, left unfilled, since every element is then written once
    (on the LeNet's pools, a zero fill of 6.4 MB is a third of the scatter)."""
    n, c = gy.shape[:2]
    if g.tiles:
        (h, w) = g.in_hw
        return get_array_module(gy).empty((n, h, w, c), dtype=gy.dtype)
    return _padded_zeros(gy, g, n, c)


def _padded_zeros(like, g, n, c):
    xp = get_array_module(like)
    (h, w), (ph, pw), (eh, ew) = g.in_hw, g.padding, g.extra
    return xp.zeros((n, h + ph + eh, w + pw + ew, c), dtype=like.dtype)


# ------------------------------------------------------------------ max pooling
def _max_array(x, g):
    """The maxima as a channels-last (N, Ho, Wo, C) array, and the padded input."""
    xp = get_array_module(x)
    xpad = _pad(x, g, -xp.inf)
    slices = [s for _, s in g.offsets()]
    y = xpad[slices[0]].copy() if len(slices) == 1 else xp.maximum(xpad[slices[0]], xpad[slices[1]])
    for s in slices[2:]:
        xp.maximum(y, xpad[s], out=y)  # maximum propagates NaN, as torch's max pool does
    return y, xpad


def _keep_first(hits):
    """Clear every hit that an earlier mask in the list already has (in place); returns the
    masks and where none of them hit."""
    free = None
    for m in hits:
        if free is None:
            free = ~m
        else:
            m &= free
            free &= ~m
    return hits, free


def _inside(xpad, y, g):
    """Where the padded input holds real elements, when it matters: some window's maximum is
    −∞ and the input is padded (the padding's −∞ would tie with it); else None."""
    (ph, pw), (eh, ew) = g.padding, g.extra
    if not (ph or pw or eh or ew):
        return None
    xp = get_array_module(y)
    if not xp.isneginf(y).any():
        return None
    (h, w) = g.in_hw
    inside = xp.zeros(xpad.shape[:3] + (1,), dtype=bool)
    inside[:, ph : ph + h, pw : pw + w] = True
    return inside


def _winners(xpad, y, g):
    """Per kernel offset, the mask of windows it wins: the first maximum in row-major order,
    or, in a window holding NaN, the last NaN (torch's rules: ``v > max or isnan(v)``)."""
    xp = get_array_module(y)
    slices = [s for _, s in g.offsets()]
    inside = _inside(xpad, y, g)

    def hit(s):  # where offset s holds the maximum (of the real elements, where it matters)
        return xpad[s] == y if inside is None else (xpad[s] == y) & inside[s]

    if xp.isnan(y).any():
        masks = _keep_first([hit(s) for s in slices])[0]
        last_nan = _keep_first([xp.isnan(xpad[s]) for s in reversed(slices)])[0][::-1]
        return [a | b for a, b in zip(masks, last_nan)]
    if len(slices) == 1:
        return [xp.ones(y.shape, dtype=bool)]
    # without NaN every window's maximum is one of its values: the last offset wins exactly
    # where no earlier one did, so it needs no comparison of its own
    masks, free = _keep_first([hit(s) for s in slices[:-1]])
    return masks + [free]


def _scatter_array(gy, masks, g):
    """gx: each gy routed to its window's winner, summed where windows overlap."""
    xp = get_array_module(gy)
    gyt = xp.ascontiguousarray(gy.transpose(0, 2, 3, 1))  # read kH·kW times: once contiguous
    gxpad = _gradient_buffer(gy, g)
    for (_, s), m in zip(g.offsets(), masks):
        if g.disjoint:
            xp.multiply(gyt, m, out=gxpad[s])
        else:
            gxpad[s] += gyt * m
    return _unpad(gxpad, g)


def _gather_array(gx, masks, g):
    """The adjoint of ``_scatter_array``: each output reads its window's winner."""
    gxpad = _pad(gx, g, 0)
    out = None
    for (_, s), m in zip(g.offsets(), masks):
        v = gxpad[s] * m
        out = v if out is None else out + v
    return out.transpose(0, 3, 1, 2)


def _scatter(g, gy, masks):
    if isinstance(gy, Tensor):
        return _MaxScatter(g, masks)(gy)
    return _scatter_array(gy, masks, g)


def _gather(g, gx, masks):
    if isinstance(gx, Tensor):
        return _MaxGather(g, masks)(gx)
    return _gather_array(gx, masks, g)


class MaxPooling2D(Function):
    """y[n, c, h, w] = max over the window of x; ∂L/∂x routes gy to the first maximum.

    The winners are found only when a gradient is asked for, from the padded input and a
    private copy of the maxima (so an in-place op on the output cannot disturb them).
    """

    masks = None

    def __init__(self, geometry):
        self.g = geometry

    def forward(self, x):
        y, self.xpad = _max_array(x, self.g)
        self.y = y.copy() if _grad_state.enabled else y  # no graph, no backward: no copy
        self.save_for_backward(x)  # not read back: it makes in-place edits of x an error
        return y.transpose(0, 3, 1, 2)

    def winners(self):
        if self.masks is None:
            self.masks = _winners(self.xpad, self.y, self.g)
            self.xpad = self.y = None
        return self.masks

    def backward(self, gy):
        return _scatter(self.g, gy, self.winners())


class _MaxScatter(Function):
    """gx = scatter(gy) by the recorded winners; linear, its adjoint is the gather."""

    def __init__(self, geometry, masks):
        self.g, self.masks = geometry, masks

    def forward(self, gy):
        return _scatter_array(gy, self.masks, self.g)

    def backward(self, ggx):
        return _gather(self.g, ggx, self.masks)


class _MaxGather(Function):
    """y = gather(x) by the recorded winners; linear, its adjoint is the scatter."""

    def __init__(self, geometry, masks):
        self.g, self.masks = geometry, masks

    def forward(self, gx):
        return _gather_array(gx, self.masks, self.g)

    def backward(self, gy):
        return _scatter(self.g, gy, self.masks)


# ------------------------------------------------------------------ average pooling
def _divisor(g, count_include_pad, divisor_override, xp, dtype):
    """1 / window size, as an (Ho, Wo, 1) array; torch's rule: a window is clipped at the
    padded border, and also at the input's border unless padding counts."""
    if divisor_override:
        return xp.full((1, 1, 1), 1.0 / divisor_override, dtype=dtype)
    sizes = []
    for o, s, k, n, p in zip(g.out_hw, g.stride, g.kernel, g.in_hw, g.padding):
        start = xp.arange(o) * s - p
        end = xp.minimum(start + k, n + p)
        if not count_include_pad:
            start, end = xp.maximum(start, 0), xp.minimum(end, n)
        sizes.append(end - start)
    return (1.0 / (sizes[0][:, None] * sizes[1][None, :])).astype(dtype)[:, :, None]


def _avg_array(x, g, inv):
    xpad = _pad(x, g, 0)
    offsets = g.offsets()
    _, s = next(offsets)
    y = xpad[s].copy()
    for _, s in offsets:
        y += xpad[s]
    y *= inv
    return y.transpose(0, 3, 1, 2)


def _avg_adjoint_array(gy, g, inv):
    """gx: each window spreads gy / size over its members."""
    xp = get_array_module(gy)
    share = gy.transpose(0, 2, 3, 1) * inv
    gxpad = _gradient_buffer(gy, g)
    for _, s in g.offsets():
        if g.disjoint:
            xp.copyto(gxpad[s], share)
        else:
            gxpad[s] += share
    return _unpad(gxpad, g)


class AveragePooling2D(Function):
    """y = Σ window / size; ∂L/∂x = the adjoint: gy / size spread over each window."""

    def __init__(self, geometry, inv):
        self.g, self.inv = geometry, inv

    def forward(self, x):
        return _avg_array(x, self.g, self.inv)

    def backward(self, gy):
        if isinstance(gy, Tensor):
            return _AveragePoolingAdjoint(self.g, self.inv)(gy)
        return _avg_adjoint_array(gy, self.g, self.inv)


class _AveragePoolingAdjoint(Function):
    """The backward of AveragePooling2D as an op; linear, its own backward is the pool again."""

    def __init__(self, geometry, inv):
        self.g, self.inv = geometry, inv

    def forward(self, gy):
        return _avg_adjoint_array(gy, self.g, self.inv)

    def backward(self, g):
        if isinstance(g, Tensor):
            return AveragePooling2D(self.g, self.inv)(g)
        return _avg_array(g, self.g, self.inv)


# ------------------------------------------------------------------ argument checks
def _pair(v, name, op):
    if isinstance(v, int):
        return (v, v)
    t = tuple(v)
    if len(t) == 1:
        t = t * 2
    if len(t) != 2 or not all(isinstance(a, int) for a in t):
        raise ValueError(f"{op}: {name} must be an int or 2 ints, got {v!r}")
    return t


def _batched(op, x):
    x = as_tensor(x)
    _check_float(op, x)
    if x.ndim == 3:
        return x.unsqueeze(0), True
    if x.ndim != 4:
        raise ValueError(
            f"{op}: expected a 3-D (unbatched) or 4-D (batched) input, got shape {tuple(x.shape)}"
        )
    return x, False


def _check_float(op, x):
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point input, got {x.dtype}")


def _geometry(op, x, kernel_size, stride, padding, dilation, ceil_mode):
    kernel = _pair(kernel_size, "kernel_size", op)
    stride = (
        kernel if stride is None or stride == [] or stride == () else _pair(stride, "stride", op)
    )
    padding, dilation = _pair(padding, "padding", op), _pair(dilation, "dilation", op)
    if min(kernel) < 1 or min(stride) < 1 or min(dilation) < 1:
        raise ValueError(
            f"{op}: kernel_size, stride and dilation must be positive, got {kernel}, {stride}, "
            f"{dilation}"
        )
    for k, p, d in zip(kernel, padding, dilation):
        if p < 0 or 2 * p > d * (k - 1) + 1:
            raise ValueError(
                f"{op}: padding should be at most half of the effective kernel size, got "
                f"padding {padding} for kernel_size {kernel} (dilation {dilation})"
            )
    hw = tuple(x.shape[2:])
    out = []
    for n, k, s, p, d in zip(hw, kernel, stride, padding, dilation):
        span = n + 2 * p - d * (k - 1) - 1
        o = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (o - 1) * s >= n + p:  # the last window must start inside
            o -= 1
        if o < 1:  # (with ceil_mode a window may start inside and reach past the end)
            raise ValueError(
                f"{op}: output size is too small: input {tuple(x.shape)}, kernel_size {kernel}, "
                f"stride {stride}, padding {padding}, dilation {dilation}"
            )
        out.append(o)
    return _Geometry(kernel, stride, padding, dilation, hw, tuple(out))


# ------------------------------------------------------------------ public functions
def max_pool2d(
    input,  # noqa: A002
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """2-D max pooling, as ``torch.nn.functional.max_pool2d``.

    y[n, c, h, w] = max_{i, j} x[n, c, s·h + d·i − p, s·w + d·j − p] (padding is −∞).
    input (N, C, H, W) or (C, H, W); ``stride`` defaults to ``kernel_size``. With
    ``return_indices`` also returns, per output, the flat index h·W + w of its maximum.
    """
    op = "max_pool2d"
    x, added = _batched(op, input)
    g = _geometry(op, x, kernel_size, stride, padding, dilation, ceil_mode)
    fn = MaxPooling2D(g)
    y = fn(x)
    out = y.squeeze(0) if added else y
    if not return_indices:
        return out
    xp = get_array_module(x.data)
    kw, (sh, sw), (dh, dw), (ph, pw) = g.kernel[1], g.stride, g.dilation, g.padding
    (ho, wo), w = g.out_hw, g.in_hw[1]
    idx = xp.zeros(fn.y.shape if fn.masks is None else fn.masks[0].shape, dtype=xp.int64)
    for o, m in enumerate(fn.winners()):
        idx += m * o  # masks are disjoint: each output's offset is set exactly once
    rows = xp.arange(ho)[:, None, None] * sh - ph + (idx // kw) * dh
    cols = xp.arange(wo)[None, :, None] * sw - pw + (idx % kw) * dw
    flat = Tensor((rows * w + cols).transpose(0, 3, 1, 2))
    return out, (flat.squeeze(0) if added else flat)


def avg_pool2d(
    input,  # noqa: A002
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override=None,
) -> Tensor:
    """2-D average pooling, as ``torch.nn.functional.avg_pool2d``.

    y = Σ window / size, where size counts padded zeros when ``count_include_pad`` (the
    default) and is ``divisor_override`` when given. Input (N, C, H, W) or (C, H, W).
    """
    op = "avg_pool2d"
    x, added = _batched(op, input)
    if divisor_override is not None and divisor_override <= 0:
        raise ValueError(f"{op}: divisor_override must be positive, got {divisor_override}")
    g = _geometry(op, x, kernel_size, stride, padding, 1, ceil_mode)
    xp = get_array_module(x.data)
    inv = _divisor(g, count_include_pad, divisor_override, xp, x.dtype)
    y = AveragePooling2D(g, inv)(x)
    return y.squeeze(0) if added else y


# ------------------------------------------------------------------ 1-d pools (on (N, C, 1, L))
def _single(v, name, op):
    t = (v,) if isinstance(v, int) else tuple(v)
    if len(t) != 1 or not isinstance(t[0], int):
        raise ValueError(f"{op}: {name} must be an int or 1 int, got {v!r}")
    return t[0]


def _as_2d(op, input, kernel_size, stride, padding, dilation, ceil_mode):
    """x (N, C, L) or (C, L) as (N, C, 1, L) or (C, 1, L), and the 1-d window as 2-d pairs;
    checks with the 1-d values, so errors name what the caller gave."""
    x = as_tensor(input)
    _check_float(op, x)
    if x.ndim not in (2, 3):
        raise ValueError(
            f"{op}: expected a 2-D (unbatched) or 3-D (batched) input, got shape {tuple(x.shape)}"
        )
    k = _single(kernel_size, "kernel_size", op)
    s = k if stride is None or stride == [] or stride == () else _single(stride, "stride", op)
    p, d = _single(padding, "padding", op), _single(dilation, "dilation", op)
    span = d * (k - 1) + 1
    if min(k, s, d) < 1 or p < 0 or 2 * p > k:  # torch's 1-d rule: half the kernel_size
        raise ValueError(
            f"{op}: need positive kernel_size, stride and dilation, and padding at most half "
            f"the kernel_size, got kernel_size {k}, stride {s}, padding {p}, dilation {d}"
        )
    n = x.shape[-1]
    out = (-(-(n + 2 * p - span) // s) if ceil_mode else (n + 2 * p - span) // s) + 1
    if out < 1:
        raise ValueError(
            f"{op}: output size is too small: input {tuple(x.shape)}, kernel_size {k}, stride "
            f"{s}, padding {p}, dilation {d}"
        )
    return x.unsqueeze(-2), ((1, k), (1, s), (0, p), (1, d))


def max_pool1d(
    input,  # noqa: A002
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """1-D max pooling, as ``torch.nn.functional.max_pool1d``: y[n, c, l] =
    max_i x[n, c, s·l + d·i − p] (−∞ padding); input (N, C, L) or (C, L). The 2-D pool on an
    (N, C, 1, L) view, so ties and NaN follow its rules; indices are positions along L."""
    x, (k, s, p, d) = _as_2d("max_pool1d", input, kernel_size, stride, padding, dilation, ceil_mode)
    out = max_pool2d(x, k, s, p, d, ceil_mode, return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def avg_pool1d(
    input,  # noqa: A002
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """1-D average pooling, as ``torch.nn.functional.avg_pool1d``: y = Σ window / size (padded
    zeros counted when ``count_include_pad``); input (N, C, L) or (C, L)."""
    x, (k, s, p, _) = _as_2d("avg_pool1d", input, kernel_size, stride, padding, 1, ceil_mode)
    return avg_pool2d(x, k, s, p, ceil_mode, count_include_pad).squeeze(-2)


__all__ = [
    "max_pool2d",
    "avg_pool2d",
    "max_pool1d",
    "avg_pool1d",
]
