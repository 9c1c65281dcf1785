"""Spatial transformers: ``affine_grid`` (a sampling grid from affine maps) and ``grid_sample``
(read an input at a grid of points), as torch computes them.

A grid holds points in normalised coordinates, −1 and +1 the input's first and last pixel
(their centres with ``align_corners``, their outer edges without). Along a dim of size n,

    x = (g + 1)(n − 1)/2            (align_corners)
    x = (g + 1) n/2 − ½             (otherwise)

then 'border' clips x to [0, n − 1], and 'reflection' first folds it back and forth between
the borders (the pixel centres with align_corners, the outer edges without) and then clips.
dx/dg is the scale n/2 or (n − 1)/2, times ±1 from the folds, and 0 where the clip holds x at
a border (torch counts the border itself as outside). That map is the one op written here
(``Locate``); the interpolation is composed of differentiable ops on top of it: a gather of
the neighbouring pixels (``Rows``: all taps at once, its backward one bincount scatter-add),
weighted by polynomials in the fractional part t = x − ⌊x⌋,

    bilinear  y = Σ_corners Π_d (t_d or 1 − t_d) · v_corner       (2^k corners)
    bicubic   y = Σ_{i,j} w_i(t_y) w_j(t_x) · v_ij, Keys' kernel with A = −0.75  (4 × 4 taps)
    nearest   y = v at the rounded point (half to even); no gradient for the grid

so the gradients for the input and the grid, and their gradients, come from the composition.
Taps outside the input read 0 ('zeros'); bicubic pads each tap, not the point, as torch does.
"""

from __future__ import annotations

import math

from .. import backend
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor, as_tensor
from .shape import cat, stack

_MODES = ("bilinear", "nearest", "bicubic")
_PADDINGS = ("zeros", "border", "reflection")
_A = -0.75  # torch's cubic convolution constant


# ---------------------------------------------------------------- coordinates (raw arrays)
def _unnormalize(g, n, align_corners, scalar_form):
    """(x, dx/dg) for grid values g along a dim of size n, in g's precision. ``scalar_form``:
    torch's 3-D kernels write the same map with a different order of operations."""
    dt = g.dtype.type
    scale = dt((n - 1) / 2) if align_corners else dt(n / 2)
    if scalar_form:
        x = (
            ((g + dt(1)) / dt(2)) * dt(n - 1)
            if align_corners
            else ((g + dt(1)) * dt(n) - dt(1)) / dt(2)
        )
    else:
        x = (g + dt(1)) * scale if align_corners else (g + dt(1)) * scale - dt(0.5)
    return x, scale


def _clip(x, n):
    """(x clipped to [0, n − 1], 1 strictly inside and 0 at or beyond a border); NaN → 0."""
    xp = get_array_module(x)
    hi = x.dtype.type(n - 1)
    inside = (x > 0) & (x < hi)
    return xp.where(x > 0, xp.where(x < hi, x, hi), x.dtype.type(0)), inside


def _reflect(x, n, align_corners):
    """(x folded into [lo, lo + span], ±1 its derivative); lo, span = 0, n − 1 with
    align_corners, else −½, n."""
    xp = get_array_module(x)
    dt = x.dtype.type
    if align_corners and n <= 1:  # an empty span: every point reflects to 0
        return xp.zeros_like(x), xp.zeros(x.shape, dtype=bool)
    lo, twice_span = (dt(0), dt(2 * (n - 1))) if align_corners else (dt(-0.5), dt(2 * n))
    d = x - lo
    a = xp.abs(d)
    extra = a - xp.trunc(a / twice_span) * twice_span
    back = twice_span - extra
    flip = extra > back
    return xp.where(flip, back, extra) + lo, flip ^ (d < 0)


def _pad(x, n, padding_mode, align_corners):
    """(x after border clipping or reflection, dx_out/dx_in); unchanged for 'zeros'."""
    xp = get_array_module(x)
    if padding_mode == "zeros":
        return x, None
    sign = None
    if padding_mode == "reflection":
        x, negative = _reflect(x, n, align_corners)
        sign = xp.where(negative, x.dtype.type(-1), x.dtype.type(1))
    x, inside = _clip(x, n)
    mult = inside.astype(x.dtype)
    return x, (mult if sign is None else mult * sign)


class Locate(Function):
    """The pixel coordinates of grid points g (..., k), component i along spatial size
    ``sizes[i]`` (x, y[, z]: width, height[, depth]): x = pad(unnormalize(g)).
    dx/dg = scale · (±1 per reflection) · (0 where clipped); piecewise linear, so the
    backward gy · dx/dg is linear in gy and serves double backward as it is."""

    def __init__(self, sizes, padding_mode, align_corners):
        self.sizes, self.padding_mode, self.align_corners = sizes, padding_mode, align_corners

    def forward(self, g):
        xp = get_array_module(g)
        xs, ms = [], []
        for i, n in enumerate(self.sizes):
            x, m = _unnormalize(g[..., i], n, self.align_corners, len(self.sizes) == 3)
            x, k = _pad(x, n, self.padding_mode, self.align_corners)
            xs.append(x)
            ms.append(xp.full(x.shape, m, dtype=x.dtype) if k is None else k * m)
        self.mult = xp.stack(ms, axis=-1)
        return xp.stack(xs, axis=-1)

    def backward(self, gy):
        return gy * (Tensor(self.mult) if isinstance(gy, Tensor) else self.mult)


class NoGridGrad(Function):
    """y = v, tied to the grid g with a zero gradient: 'nearest' does not differentiate the
    grid, but as in torch its output still requires grad when only the grid does."""

    def forward(self, v, g):
        self.g_shape = g.shape
        return v.copy()

    def backward(self, gy):
        g0 = get_array_module(gy.data if isinstance(gy, Tensor) else gy).zeros(
            self.g_shape, dtype=gy.dtype
        )
        return gy, (Tensor(g0) if isinstance(gy, Tensor) else g0)


# ---------------------------------------------------------------- interpolation (composed)
def _cubic1(t):
    """Keys' kernel on |t| ≤ 1: ((A + 2)|t| − (A + 3))|t|² + 1."""
    return ((_A + 2) * t - (_A + 3)) * t * t + 1


def _cubic2(t):
    """Keys' kernel on 1 < |t| < 2: ((A|t| − 5A)|t| + 8A)|t| − 4A."""
    return ((_A * t - 5 * _A) * t + 8 * _A) * t - 4 * _A


def _taps(tap, n, padding_mode, align_corners):
    """Integer pixel indices (as floats) of one tap along a dim of size n, padded as torch
    pads bicubic taps, and whether each reads the input (False: it reads 0)."""
    xp = get_array_module(tap)
    if padding_mode == "zeros":
        return tap, (tap >= 0) & (tap <= n - 1)
    tap, _ = _pad(tap, n, padding_mode, align_corners)
    return tap, xp.ones(tap.shape, dtype=bool)


def _read(flat, index, valid, sizes, lead):
    """flat (N, P + 1, C), its last row zeros, at pixel indices ``index`` (one array per dim,
    x first, broadcasting to valid's shape ``lead`` + taps): (*lead, T, C), T the taps. Invalid
    taps read the zero row."""
    xp = get_array_module(valid)
    lin, stride = 0, 1
    for i, n in zip(index, sizes):  # x runs fastest in the flattened input
        lin = lin + xp.where(valid, i, 0).astype(backend.int64) * stride
        stride *= n
    lin = xp.where(valid, lin, stride).reshape(lead + (math.prod(valid.shape[len(lead) :]),))
    batch = xp.arange(lin.shape[0]).reshape((-1,) + (1,) * (lin.ndim - 1))
    return Rows(batch * (stride + 1) + lin, flat.shape)(flat)


def _along(a, d, k):
    """a (..., m) with its last axis moved to tap axis d of k: (..., 1, .., m, .., 1)."""
    return a.reshape(tuple(a.shape[:-1]) + (1,) * d + (a.shape[-1],) + (1,) * (k - 1 - d))


class Rows(Function):
    """v = rows ``index`` of flat (N, R, C) seen as (N·R, C): shape index.shape + (C,).
    Linear; ∂L/∂flat adds each row of gy back at its index (``AddRows``), and that scatter's
    own adjoint is this gather again, so both serve double backward."""

    def __init__(self, index, shape):
        self.index, self.shape = index, shape

    def forward(self, flat):
        n, r, c = self.shape
        return flat.reshape(n * r, c)[self.index]

    def backward(self, gy):
        if isinstance(gy, Tensor):  # create_graph: record the scatter
            return AddRows(self.index, self.shape)(gy)
        return _add_rows(gy, self.index, self.shape)


class AddRows(Function):
    """gx = zeros(shape) with the rows of g added at ``index`` (repeats accumulate): the
    adjoint of ``Rows``, whose gather is its backward."""

    def __init__(self, index, shape):
        self.index, self.shape = index, shape

    def forward(self, g):
        return _add_rows(g, self.index, self.shape)

    def backward(self, ggx):
        if isinstance(ggx, Tensor):  # create_graph: record the gather
            return Rows(self.index, self.shape)(ggx)
        n, r, c = self.shape
        return ggx.reshape(n * r, c)[self.index]


def _add_rows(g, index, shape):
    """The scatter-add of ``AddRows`` as one bincount over the output's elements (much faster
    than ``add.at``): element (r, c) of the (N·R, C) result is bin r·C + c."""
    xp = get_array_module(g)
    c = shape[-1]
    bins = (index[..., None] * c + xp.arange(c)).ravel()
    out = xp.bincount(bins, weights=g.ravel(), minlength=math.prod(shape))
    return out.astype(g.dtype, copy=False).reshape(shape)


def _flatten(x):
    """(N, C, *spatial) → (N, P + 1, C): the pixels as rows, and a zero row for padding."""
    n, c = x.shape[:2]
    flat = x.reshape(n, c, math.prod(x.shape[2:])).transpose(1, 2)
    zero = Tensor(get_array_module(x.data).zeros((n, 1, c), dtype=x.dtype))
    return cat([flat, zero], 1)


def _sample(x, grid, mode, padding_mode, align_corners):
    xp = get_array_module(x.data)
    sizes = x.shape[:1:-1]  # (W, H[, D]): the order of the grid's components
    k, lead = len(sizes), tuple(grid.shape[:-1])  # lead: (N, *out)
    flat = _flatten(x)
    locate_padding = "zeros" if mode == "bicubic" else padding_mode
    pts = Locate(sizes, locate_padding, align_corners)(grid)
    if mode == "nearest":
        offsets, bases = (0,), [xp.rint(pts.data[..., d]) for d in range(k)]
    else:
        comps = [pts[..., d] for d in range(k)]
        bases = [xp.floor(c.data) for c in comps]
        ts = [c - Tensor(f) for c, f in zip(comps, bases)]
        if mode == "bilinear":
            offsets, ws = (0, 1), [[1 - t, t] for t in ts]
            if k == 3:  # torch's 3-D kernel: the weights as (⌊x⌋ + 1 − x) and (x − ⌊x⌋)
                ws = [[Tensor(f + 1) - c, c - Tensor(f)] for c, f in zip(comps, bases)]
        else:
            offsets = (-1, 0, 1, 2)
            ws = [[_cubic2(t + 1), _cubic1(t), _cubic1(1 - t), _cubic2(2 - t)] for t in ts]
    index, valid = [], True  # per dim: the taps' pixel indices, on tap axis d of k
    for d, (base, n) in enumerate(zip(bases, sizes)):
        tap = base[..., None] + xp.asarray(offsets, dtype=base.dtype)
        if mode == "bicubic":
            tap, ok = _taps(tap, n, padding_mode, align_corners)
        else:  # NaN points fail both tests: they read 0
            ok = (tap >= 0) & (tap <= n - 1)
        index.append(_along(tap, d, k))
        valid = valid & _along(ok, d, k)
    v = _read(flat, index, valid, sizes, lead)  # (N, *out, T, C)
    if mode == "nearest":
        v = v[..., 0, :]
        if grid.requires_grad:
            v = NoGridGrad()(v, grid)
        return v.movedim(-1, 1)
    w = None  # Π_d w_d for every tap
    for d in range(k):
        wd = _along(stack(ws[d], -1), d, k)
        w = wd if w is None else w * wd
    w = w.reshape(lead + (len(offsets) ** k, 1))
    return (v * w).sum(-2).movedim(-1, 1)


def grid_sample(
    input,  # noqa: A002 - torch's name
    grid,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool | None = None,
) -> Tensor:
    """Sample x (N, C, H, W) at grid (N, Ho, Wo, 2) → (N, C, Ho, Wo), or x (N, C, D, H, W) at
    grid (N, Do, Ho, Wo, 3) → (N, C, Do, Ho, Wo), as ``torch.nn.functional.grid_sample``.

    grid[..., 0] is x (along W), [..., 1] y (along H), [..., 2] z (along D), in [−1, 1]. A
    point maps to pixels by x = (g + 1)(W − 1)/2 with ``align_corners``, else (g + 1)W/2 − ½;
    ``padding_mode`` 'zeros' reads 0 outside, 'border' clips the point to the edge pixels,
    'reflection' reflects it at the borders. ``mode`` 'bilinear' (trilinear for 5-D) mixes the
    2^k neighbours by Π(t or 1 − t), t = x − ⌊x⌋; 'nearest' reads the rounded point; 'bicubic'
    (4-D only) mixes 4 × 4 neighbours by Keys' kernel (A = −0.75). Differentiable in x and
    in the grid (the grid's gradient is 0 for 'nearest'), to any order.

        y = grid_sample(x, affine_grid(theta, x.shape, align_corners=False))
    """
    x, g = as_tensor(input), as_tensor(grid)
    if mode not in _MODES:
        raise ValueError(f"grid_sample: mode must be one of {_MODES}, got {mode!r}")
    if padding_mode not in _PADDINGS:
        raise ValueError(
            f"grid_sample: padding_mode must be one of {_PADDINGS}, got {padding_mode!r}"
        )
    _check_sample(x, g, mode)
    with backend.np.errstate(invalid="ignore"):  # NaN or ±inf points give NaN or 0, as torch
        return _sample(x, g, mode, padding_mode, bool(align_corners))


def _check_sample(x, g, mode):
    xs, gs = tuple(x.shape), tuple(g.shape)
    if x.ndim not in (4, 5):
        raise ValueError(
            f"grid_sample: expected a 4-D (N, C, H, W) or 5-D (N, C, D, H, W) input, got shape {xs}"
        )
    if g.ndim != x.ndim:
        raise ValueError(
            f"grid_sample: grid must have as many dims as the input ({x.ndim}), got input {xs} "
            f"and grid {gs}"
        )
    if gs[0] != xs[0]:
        raise ValueError(
            f"grid_sample: input and grid must have the same batch size, got input {xs} and "
            f"grid {gs}"
        )
    if gs[-1] != x.ndim - 2:
        raise ValueError(
            f"grid_sample: grid's last dim must be {x.ndim - 2} for a {x.ndim}-D input, got "
            f"input {xs} and grid {gs}"
        )
    if min(xs[2:]) < 1:
        raise ValueError(f"grid_sample: the input's spatial dims must be non-empty, got {xs}")
    if mode == "bicubic" and x.ndim != 4:
        raise ValueError(f"grid_sample: mode 'bicubic' supports only 4-D input, got {xs}")
    if x.dtype.kind != "f" or g.dtype != x.dtype:
        raise TypeError(
            f"grid_sample: input and grid must be floating point of one dtype, got {x.dtype} "
            f"and {g.dtype}"
        )


# ---------------------------------------------------------------- affine_grid
def _linspace(n, align_corners, dtype):
    """torch's linspace_from_neg_one: n points over [−1, 1] (× (n − 1)/n without
    align_corners, the pixel centres); [0] for n ≤ 1. Computed as torch does, in ``dtype``."""
    np = backend.np
    if n <= 1:
        return np.zeros(1, dtype=dtype)
    dt = np.dtype(dtype).type
    step = dt(2) / dt(n - 1)
    i = np.arange(n)
    half = n // 2
    r = np.where(
        i < half, dt(-1) + step * i.astype(dtype), dt(1) - step * (n - 1 - i).astype(dtype)
    )
    r = r.astype(dtype)
    if not align_corners:
        r = (r * dt(n - 1) / dt(n)).astype(dtype)
    return r


def affine_grid(theta, size, align_corners: bool | None = None) -> Tensor:
    """The sampling grid of a batch of affine maps, as ``torch.nn.functional.affine_grid``:
    theta (N, 2, 3) and size (N, C, H, W) give (N, H, W, 2); theta (N, 3, 4) and size
    (N, C, D, H, W) give (N, D, H, W, 3). Each output point is θ · (x, y[, z], 1), where
    (x, y, z) run over the pixel centres in [−1, 1] (over −1 … 1 exactly with
    ``align_corners``). Linear in θ: ∂grid/∂θ is the base point."""
    t = as_tensor(theta)
    size = tuple(int(s) for s in size)
    if t.dtype.kind != "f":
        raise TypeError(f"affine_grid: theta must be floating point, got {t.dtype}")
    if len(size) not in (4, 5):
        raise ValueError(
            f"affine_grid: size must be 4-D (N, C, H, W) or 5-D (N, C, D, H, W), got {size}"
        )
    k = len(size) - 2
    if t.ndim != 3 or tuple(t.shape[1:]) != (k, k + 1):
        raise ValueError(
            f"affine_grid: theta must have shape (N, {k}, {k + 1}) for size {size}, got "
            f"{tuple(t.shape)}"
        )
    if t.shape[0] != size[0]:
        raise ValueError(f"affine_grid: theta's batch size {t.shape[0]} does not match size {size}")
    if min(size) <= 0:
        raise ValueError(f"affine_grid: size must be positive, got {size}")
    np = backend.np
    spatial = size[2:]  # (H, W) or (D, H, W)
    axes = [_linspace(n, align_corners, t.dtype) for n in spatial[::-1]]  # x, y[, z]
    mesh = np.meshgrid(*axes[::-1], indexing="ij")[::-1]  # each of shape spatial
    base = np.stack(list(mesh) + [np.ones(spatial, dtype=t.dtype)], axis=-1)
    base = get_array_module(t.data).asarray(base.reshape(-1, k + 1))  # (P, k + 1)
    grid = Tensor(base) @ t.transpose(1, 2)  # (N, P, k)
    return grid.reshape((size[0],) + spatial + (k,))


_MODE_CODES = {0: "bilinear", 1: "nearest", 2: "bicubic"}
_PADDING_CODES = {0: "zeros", 1: "border", 2: "reflection"}


def grid_sampler(
    input,  # noqa: A002 - torch's name
    grid,
    interpolation_mode: int,
    padding_mode: int,
    align_corners: bool,
) -> Tensor:
    """``grid_sample`` under torch's low-level name and codes (``torch.grid_sampler``):
    interpolation_mode 0 bilinear, 1 nearest, 2 bicubic; padding_mode 0 zeros, 1 border,
    2 reflection."""
    if interpolation_mode not in _MODE_CODES or padding_mode not in _PADDING_CODES:
        raise ValueError(
            f"grid_sampler: interpolation_mode and padding_mode must be 0, 1 or 2, got "
            f"{interpolation_mode!r} and {padding_mode!r}"
        )
    mode, padding = _MODE_CODES[interpolation_mode], _PADDING_CODES[padding_mode]
    return grid_sample(input, grid, mode, padding, bool(align_corners))


def affine_grid_generator(theta, size, align_corners: bool) -> Tensor:
    """``affine_grid`` under torch's low-level name (``torch.affine_grid_generator``), where
    align_corners has no default."""
    return affine_grid(theta, size, align_corners)


__all__ = ["affine_grid", "grid_sample", "affine_grid_generator", "grid_sampler"]
