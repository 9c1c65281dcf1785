"""Statistics: quantile, nanquantile, nanmedian, nansum, nanmean, aminmax, std_mean, var_mean,
cov and corrcoef.

Every op here is a short composition of differentiable ops (sort's gather, where, sum, mean,
matmul), so the gradient, and the gradient of the gradient, follow from theirs. NaN-skipping
ops mask NaN out with ``where`` (a constant mask): a NaN input gets a zero gradient.
"""

from __future__ import annotations

import builtins
from collections import namedtuple

from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor, _normalize_dim, as_tensor
from .arithmetic import _where
from .reduction import _axes, _expand_back, amax, amin, mean, std, var
from .reduction import sum as _sum
from .selection import Gather, _argsort, _pick_key, sort

aminmax_result = namedtuple("aminmax", ["min", "max"])
"""(min, max), as torch.return_types.aminmax."""
nanmedian_result = namedtuple("nanmedian", ["values", "indices"])
"""(values, indices), as torch.return_types.nanmedian."""

_INTERPOLATIONS = ("linear", "lower", "higher", "nearest", "midpoint")


def _nan_mask(x):
    """The bool array of x's NaN entries, or None for a dtype that holds no NaN."""
    if x.dtype.kind not in "fc":
        return None
    return get_array_module(x.data).isnan(x.data)


# ---------------------------------------------------------------- nansum, nanmean
def nansum(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Σ x over ``dim``, NaN counted as zero. Gradient: gy to every non-NaN element, 0 to NaN."""
    x = as_tensor(input)
    if dtype is not None:
        x = x.to(dtype)
    nan = _nan_mask(x)
    if nan is not None:
        x = _where(nan, 0.0, x)
    return _sum(x, dim, keepdim)


def nanmean(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Σ x / n over ``dim`` with n the number of non-NaN elements (NaN where n = 0).

    Gradient: gy / n to every non-NaN element, 0 to NaN.
    """
    x = as_tensor(input)
    if dtype is not None:
        x = x.to(dtype)
    if x.dtype.kind != "f":
        raise TypeError(f"nanmean: input dtype should be floating point, got {x.dtype}")
    nan = _nan_mask(x)
    axes = _axes(dim, x.ndim, "nanmean")
    count = (~nan).sum(axis=axes, keepdims=keepdim).astype(x.dtype)
    return nansum(x, dim, keepdim) / Tensor(count)


# ---------------------------------------------------------------- aminmax, std_mean, var_mean
def aminmax(input, *, dim: int | None = None, keepdim: bool = False) -> aminmax_result:
    """(amin, amax) over ``dim`` (all elements when None). Gradient: as amin and amax, shared
    evenly among tied extremes."""
    x = as_tensor(input)
    if x.numel() == 0 and dim is None:
        raise ValueError(f"aminmax: cannot reduce an empty input of shape {x.shape} without a dim")
    if dim is not None:
        axis = _normalize_dim(dim, x.ndim, "aminmax")
        if x.ndim and x.shape[axis] == 0:
            raise IndexError(
                f"aminmax: cannot reduce dimension {axis} of size 0 (input shape {x.shape})"
            )
    return aminmax_result(amin(x, dim, keepdim), amax(x, dim, keepdim))


def _var_args(dim, unbiased, correction):
    """torch's (dim, unbiased) overloads: a bool in ``dim``'s place is ``unbiased``."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return dim, correction


def var_mean(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """(var, mean) over ``dim``: var = Σ (x − x̄)² / (n − correction), correction 1 by
    default. A plain tuple, as torch."""
    x = as_tensor(input)
    dim, correction = _var_args(dim, unbiased, correction)
    return var(x, dim, keepdim=keepdim, correction=correction), mean(x, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """(std, mean) over ``dim``: std = √var (see ``var_mean``). A plain tuple, as torch."""
    x = as_tensor(input)
    dim, correction = _var_args(dim, unbiased, correction)
    return std(x, dim, keepdim=keepdim, correction=correction), mean(x, dim, keepdim)


# ---------------------------------------------------------------- quantile
def _q_array(q, x, op):
    """q as a float array of x's dtype and module, checked to lie in [0, 1]."""
    xp = get_array_module(x.data)
    if isinstance(q, Tensor):
        if q.dtype != x.dtype:
            raise TypeError(
                f"{op}: q tensor must be of the same dtype as the input, got {q.dtype} and "
                f"{x.dtype}"
            )
        if q.ndim > 1:
            raise ValueError(f"{op}: q must be a scalar or 1-D tensor, got shape {q.shape}")
        qa = xp.asarray(q.data)
    else:
        qa = xp.asarray(q, dtype=x.dtype)
        if qa.ndim > 1:
            raise ValueError(f"{op}: q must be a scalar or 1-D, got shape {qa.shape}")
    if qa.size and not bool(((qa >= 0) & (qa <= 1)).all()):
        raise ValueError(f"{op}: q values must be in the range [0, 1], got {q}")
    return qa


def _quantile(x, q, dim, keepdim, interpolation, op, ignore_nan):
    x = as_tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: input tensor must be either float or double dtype, got {x.dtype}")
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"{op}: interpolation must be one of {', '.join(_INTERPOLATIONS)}, "
            f"got {interpolation!r}"
        )
    qa = _q_array(q, x, op)
    if x.numel() == 0:
        raise ValueError(f"{op}: input tensor must be non-empty, got shape {x.shape}")
    xp = get_array_module(x.data)
    # the slices to take quantiles of, along the last axis of s
    if dim is None:
        s = x.reshape(-1)
        out_shape = (1,) * x.ndim if keepdim else ()
    else:
        axis = _normalize_dim(dim, x.ndim, op)
        s = x.reshape(1) if x.ndim == 0 else x.movedim(axis, -1)
        out_shape = list(x.shape)
        if x.ndim:
            if keepdim:
                out_shape[axis] = 1
            else:
                del out_shape[axis]
        out_shape = tuple(out_shape)
    n = s.shape[-1]
    lead = s.shape[:-1]
    srt = sort(s, -1).values  # NaN sorts last
    qq = qa.reshape(qa.shape + (1,) * len(lead) + (1,))  # (Q?, *lead, 1)
    nan = xp.isnan(srt.data)
    if ignore_nan:
        valid = (~nan).sum(axis=-1, keepdims=True).astype(x.dtype)
        rank = qq * (valid - 1)
        rank = xp.where(rank < 0, 0, rank).astype(x.dtype)
    else:
        rank = qq * (n - 1)
        rank = xp.where(nan.any(axis=-1, keepdims=True), n - 1, rank).astype(x.dtype)
    rank = xp.broadcast_to(rank, qa.shape + lead + (1,))
    if interpolation == "lower":
        rank = xp.floor(rank)
    elif interpolation == "higher":
        rank = xp.ceil(rank)
    elif interpolation == "nearest":
        rank = xp.round(rank)  # half to even, as torch
    below = rank.astype("int64")
    srt_b = srt.expand(qa.shape + srt.shape) if qa.ndim else srt
    y = _take_last(srt_b, below)
    if interpolation in ("linear", "midpoint"):
        above = xp.ceil(rank).astype("int64")
        w = xp.full_like(rank, 0.5) if interpolation == "midpoint" else rank - xp.floor(rank)
        y = _lerp(y, _take_last(srt_b, above), w)
    return y.reshape(qa.shape + out_shape)


def _take_last(s, index):
    """s picked at ``index`` along its last axis (index has s's shape but 1 there)."""
    return Gather(_pick_key(index, s.ndim - 1, index.shape))(s)


def _lerp(a, b, w):
    """a + w (b − a) for w < ½, else b − (1 − w)(b − a): torch's lerp, exact at both ends."""
    d = b - a
    return _where(w < 0.5, a + Tensor(w) * d, b - Tensor(1 - w) * d)


def quantile(
    input, q, dim: int | None = None, keepdim: bool = False, *, interpolation: str = "linear"
) -> Tensor:
    """The q-th quantiles along ``dim`` (of all elements when None). With the values sorted,
    s₀ ≤ … ≤ s_{n−1}, and r = q (n − 1):

        linear: s_⌊r⌋ + (r − ⌊r⌋)(s_⌈r⌉ − s_⌊r⌋),  lower: s_⌊r⌋,  higher: s_⌈r⌉,
        nearest: s_round(r) (half to even),  midpoint: (s_⌊r⌋ + s_⌈r⌉) / 2.

    A 1-D q adds a leading dimension of its length. A slice holding NaN gives NaN.
    Gradient: gy to s_⌊r⌋ and s_⌈r⌉ with weights 1 − w and w (w the interpolation weight).
    """
    return _quantile(input, q, dim, keepdim, interpolation, "quantile", ignore_nan=False)


def nanquantile(
    input, q, dim: int | None = None, keepdim: bool = False, *, interpolation: str = "linear"
) -> Tensor:
    """quantile ignoring NaN: r = q (m − 1) with m the number of non-NaN values of the slice
    (NaN for a slice of NaN only). Gradient as quantile's."""
    return _quantile(input, q, dim, keepdim, interpolation, "nanquantile", ignore_nan=True)


# ---------------------------------------------------------------- nanmedian
class NanMedianAll(Function):
    """The lower median m of the non-NaN elements (the ⌊(c−1)/2⌋-th smallest of c; NaN if
    c = 0). Elements equal to m share the gradient evenly, as torch."""

    def forward(self, x):
        xp = get_array_module(x)
        nan = xp.isnan(x) if x.dtype.kind == "f" else xp.zeros(x.shape, bool)
        vals = x[~nan]
        if vals.size == 0:
            m = xp.full((), xp.nan, dtype=x.dtype)
            tied = nan
        else:
            k = (vals.size - 1) // 2
            m = xp.partition(vals, k)[k]
            tied = x == m
        self.tied, self.count = tied, builtins.max(int(tied.sum()), 1)
        self.in_shape = x.shape
        return xp.asarray(m, dtype=x.dtype)

    def backward(self, gy):
        return _where(self.tied, _expand_back(gy, self.in_shape, None) / self.count, 0.0)


def nanmedian(input, dim: int | None = None, keepdim: bool = False):
    """nanmedian(): the lower median of the non-NaN elements (NaN if there are none).
    nanmedian(dim): (values, indices) of the lower median of each slice's non-NaN values; a
    slice of NaN only gives its first NaN.

    Gradient: to the chosen element (nanmedian(): shared evenly among elements equal to it).
    """
    x = as_tensor(input)
    if dim is None:
        return NanMedianAll()(x)
    xp = get_array_module(x.data)
    if x.ndim == 0:
        _normalize_dim(dim, 0, "nanmedian")
        return nanmedian_result(x.clone(), Tensor(xp.zeros((), "int64")))
    axis = _normalize_dim(dim, x.ndim, "nanmedian")
    if x.shape[axis] == 0:
        raise IndexError(
            f"nanmedian: cannot take the median along dimension {axis} of size 0 "
            f"(input shape {x.shape})"
        )
    order = _argsort(x.data, axis, descending=False)  # NaN sorts last
    nan = xp.isnan(x.data) if x.dtype.kind == "f" else xp.zeros(x.shape, bool)
    valid = (~nan).sum(axis=axis, keepdims=True)
    k = xp.maximum(valid - 1, 0) // 2
    index = xp.take_along_axis(order, k, axis=axis)
    values = Gather(_pick_key(index, axis, index.shape))(x)
    if not keepdim:
        values, index = values.squeeze(axis), index.squeeze(axis)
    return nanmedian_result(values, Tensor(index.astype("int64")))


# ---------------------------------------------------------------- cov, corrcoef
def _weights(w, name, n, x, integral):
    w = as_tensor(w)
    if w.ndim > 1:
        raise ValueError(f"cov: expected {name} to have one or fewer dimensions, got {w.shape}")
    if w.numel() != n:
        raise ValueError(
            f"cov: expected {name} to have the same number of elements as input has "
            f"observations ({n}), got {w.numel()}"
        )
    if integral and w.dtype.kind not in "iub":
        raise TypeError(f"cov: expected fweights to have an integral dtype, got {w.dtype}")
    if not integral and w.dtype.kind != "f":
        raise TypeError(f"cov: expected aweights to have a floating dtype, got {w.dtype}")
    if w.numel() and float(w.data.min()) < 0:
        raise ValueError(f"cov: {name} cannot be negative, got min {float(w.data.min())}")
    return w


def cov(input, *, correction: int = 1, fweights=None, aweights=None) -> Tensor:
    """Covariance of the variables in the rows of input (a 1-D input is one variable), the
    columns being observations. With weights wᵢ = fᵢ aᵢ (each 1 when not given), W = Σ wᵢ:

        x̄ = Σ wᵢ xᵢ / W,   C = (x − x̄) diag(w) (x − x̄)ᵀ / (W − correction · Σ wᵢ aᵢ / W)

    (the denominator is W − correction without aweights; a non-positive one is taken as 0).
    Gradient: through the centred product, as matmul's.
    """
    x = as_tensor(input)
    if x.ndim > 2:
        raise ValueError(
            f"cov: expected input to have two or fewer dimensions, got shape {x.shape}"
        )
    if x.dtype.kind != "f":
        x = x.to("float32")
    if x.ndim < 2:
        x = x.reshape(1, -1)
    n = x.shape[1]
    w = None
    if fweights is not None:
        w = _weights(fweights, "fweights", n, x, integral=True).to(x.dtype)
    if aweights is not None:
        a = _weights(aweights, "aweights", n, x, integral=False).to(x.dtype)
        w = a if w is None else w * a
    if w is None:
        w_sum = n
        avg = mean(x, 1)
        norm = w_sum - correction
    else:
        w_sum = w.sum()
        avg = (x * w).sum(1) / w_sum
        if correction != 0 and aweights is not None:
            norm = w_sum - (w * a).sum() * correction / w_sum
        else:
            norm = w_sum - correction
    xc = x - avg.reshape(-1, 1)
    c = xc @ (xc * w if w is not None else xc).t()
    if isinstance(norm, Tensor):
        norm = norm.clamp(min=0)
    else:
        norm = builtins.max(norm, 0)
    return (c / norm).squeeze()


def corrcoef(input) -> Tensor:
    """Pearson correlation coefficients of the rows of input: Rᵢⱼ = Cᵢⱼ / √(Cᵢᵢ Cⱼⱼ) with
    C = cov(input), clipped to [−1, 1]. A single variable gives C / C. Gradient through
    cov, the square roots and the division (zero where the clip is active)."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    sd = c.diag().sqrt()
    c = c / sd.reshape(-1, 1)
    c = c / sd.reshape(1, -1)
    return c.clamp(-1, 1)
