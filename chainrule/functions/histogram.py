"""Histograms with torch's names and results: ``histogram`` (one dimension) and
``histogramdd`` (D dimensions), each returning the counts and the bin edges.

A value v falls in bin i when edges[i] ≤ v < edges[i+1]; the last bin also takes v equal to
the last edge, and values outside the edges are dropped. With ``weight``, a value adds its
weight instead of 1. With ``density``, counts become a density whose integral over the bins
is 1: count / (total · bin volume).

Given a number of bins, the edges are evenly spaced over ``range`` (default: the data's
minimum and maximum, widened by ½ each way when they are equal, [0, 1] for no data), computed
in the input's dtype as torch's ``linspace`` does: from the start for the first half, from the
end for the second. (torch's CPU kernel may fuse the multiply-adds, so its edges can differ in
the last bit, and a value within that bit of an edge can land in the neighbouring bin.) Histograms
carry no gradient, as in torch.
"""

from __future__ import annotations

import math
from collections import namedtuple

from .. import backend
from ..backend import get_array_module
from ..tensor import Tensor, as_tensor

np = backend.np
histogram_result = namedtuple("histogram", ["hist", "bin_edges"])
"""(hist, bin_edges), as torch.return_types.histogram."""
histogramdd_result = namedtuple("histogramdd", ["hist", "bin_edges"])
"""(hist, bin_edges): counts of shape (bins₀, …, bins_D−1) and a tuple of D edge tensors."""


def _linspace(xp, start: float, end: float, steps: int, dtype):
    """torch's linspace in ``dtype``: start + i·step for the first half, end − (steps−1−i)·step
    for the second, all in ``dtype`` arithmetic."""
    start, end = xp.asarray(start, dtype=dtype), xp.asarray(end, dtype=dtype)
    step = (end - start) / xp.asarray(steps - 1, dtype=dtype)
    i = xp.arange(steps).astype(dtype)
    back = xp.asarray(steps - 1, dtype=dtype) - i
    return xp.where(xp.arange(steps) < steps // 2, start + step * i, end - step * back)


def _outer_edges(op, data, d: int, range_pair):
    """The first and last edge of dim d: ``range_pair`` or the data's min and max."""
    if range_pair is not None:
        lo, hi = (float(v) for v in range_pair)
    elif data.shape[0] == 0:
        lo, hi = 0.0, 1.0
    else:
        lo, hi = float(data[:, d].min()), float(data[:, d].max())
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"{op}: the range [{lo}, {hi}] of dimension {d} is not finite")
    if lo > hi:
        raise ValueError(
            f"{op}: min should not exceed max, got min {lo} max {hi} for dimension {d}"
        )
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi


def _edges(op, data, d: int, bins, range_pair):
    """The edges of dim d as an array of the data's dtype, from a bin count or given edges."""
    xp = get_array_module(data)
    if isinstance(bins, Tensor):
        if range_pair is not None:
            raise TypeError(f"{op}: give range only with a number of bins, not with bin edges")
        if bins.ndim != 1 or bins.shape[0] < 2:
            raise ValueError(
                f"{op}: the bin edges of dimension {d} must be a 1-D tensor of at least 2 "
                f"edges, got shape {tuple(bins.shape)}"
            )
        edges = backend.to_device(bins.data, backend.device_of(data)).astype(data.dtype)
        if edges.shape[0] > 1 and bool((edges[1:] < edges[:-1]).any()):
            raise ValueError(f"{op}: bin edges of dimension {d} must increase monotonically")
        return edges
    n = backend.number(bins)
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{op}: bins must be an int or a tensor of edges, got {bins!r}")
    if n <= 0:
        raise ValueError(f"{op}: bins must be > 0, got {n} for dimension {d}")
    lo, hi = _outer_edges(op, data, d, range_pair)
    return _linspace(xp, lo, hi, n + 1, data.dtype)


def _count(data, edges: list, weight, density: bool):
    """The D-dimensional histogram of the rows of ``data`` (N, D) over ``edges``."""
    xp = get_array_module(data)
    shape = tuple(e.shape[0] - 1 for e in edges)
    flat = xp.zeros(data.shape[0], dtype=backend.int64)
    inside = xp.ones(data.shape[0], dtype=bool)
    for d, e in enumerate(edges):
        v = data[:, d]
        nbins = e.shape[0] - 1
        i = xp.searchsorted(e, v, side="right") - 1
        inside &= (v >= e[0]) & (v <= e[-1])
        flat = flat * nbins + xp.minimum(i, nbins - 1)  # the last bin is closed on the right
    w = None if weight is None else weight[inside].astype(backend.float64)
    size = math.prod(shape)
    hist = xp.bincount(flat[inside], weights=w, minlength=size)[:size].astype(data.dtype)
    hist = hist.reshape(shape)
    if density:
        with np.errstate(invalid="ignore", divide="ignore"):  # no data: NaN, as torch
            hist = hist / hist.sum()
        for d, e in enumerate(edges):
            widths = (e[1:] - e[:-1]).reshape((-1,) + (1,) * (len(edges) - 1 - d))
            hist = hist / widths
    return hist


def _weight(op, weight, shape, data):
    if weight is None:
        return None
    w = as_tensor(weight)
    if w.dtype != data.dtype:
        raise TypeError(f"{op}: weight must have the input's dtype {data.dtype}, got {w.dtype}")
    if tuple(w.shape) != shape:
        raise ValueError(
            f"{op}: weight must have the input's shape {shape} (without the innermost dim for "
            f"histogramdd), got {tuple(w.shape)}"
        )
    return w.data.reshape(-1)


def _floating_input(op, input):
    x = as_tensor(input)
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: expects a floating point input, got {x.dtype}")
    return x


def histogram(input: Tensor, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
    """Counts of the values of ``input`` (any shape, flattened) in ``bins`` even bins over
    ``range`` = (min, max), or in the bins between the given 1-D tensor of edges. Returns
    (hist, bin_edges), both in input's dtype."""
    op = "histogram"
    x = _floating_input(op, input)
    data = x.data.reshape(-1, 1)
    if range is not None and len(range) != 2:
        raise ValueError(f"{op}: range must be (min, max), got {range!r}")
    edges = _edges(op, data, 0, bins, range)
    w = _weight(op, weight, tuple(x.shape), data)
    return histogram_result(Tensor(_count(data, [edges], w, density)), Tensor(edges))


def histogramdd(input: Tensor, bins, *, range=None, weight=None, density=False):  # noqa: A002
    """The D-dimensional histogram of the points in the rows of ``input`` (…, D): ``bins``
    is one int for every dim, one int per dim, or one 1-D tensor of edges per dim; ``range``
    is (min₀, max₀, min₁, max₁, …), used for the dims given a bin count; ``weight`` has
    input's shape without its last dim. Returns (hist of shape (bins₀, …), a tuple of D edge
    tensors)."""
    op = "histogramdd"
    x = _floating_input(op, input)
    if x.ndim < 2:
        raise ValueError(
            f"{op}: input must have at least 2 dimensions (points, D), got shape {tuple(x.shape)}"
        )
    dims = x.shape[-1]
    data = x.data.reshape(-1, dims)
    per_dim = list(bins) if isinstance(bins, (list, tuple)) else [bins] * dims
    if len(per_dim) != dims:
        raise ValueError(
            f"{op}: expected {dims} bin specifications (the input's last dim), got {len(per_dim)}"
        )
    if range is not None and len(range) != 2 * dims:
        raise ValueError(
            f"{op}: range must hold a (min, max) pair per dimension ({2 * dims} values), got "
            f"{len(range)}"
        )
    edges = [
        _edges(
            op,
            data,
            d,
            b,
            None if range is None or isinstance(b, Tensor) else range[2 * d : 2 * d + 2],
        )
        for d, b in enumerate(per_dim)
    ]
    w = _weight(op, weight, tuple(x.shape[:-1]), data)
    hist = _count(data, edges, w, density)
    return histogramdd_result(Tensor(hist), tuple(Tensor(e) for e in edges))


__all__ = ["histogram", "histogramdd"]
