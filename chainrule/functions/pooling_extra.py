"""Pooling built from the other ops: ``lp_pool1d/2d`` (power-average pooling) and
``max_unpool1d/2d`` (max pooling undone from its indices). Both are compositions, so their
gradients, and gradients of gradients, come from the ops they are made of:

    lp_pool:     y = (Σ_window xᵖ)^(1/p)       (torch's form: avg_pool of xᵖ, times the window)
    max_unpool:  y = 0 except y[index[i]] = x[i] on each (n, c) plane (a scatter; its
                 gradient gathers gy at the same indices)
"""

from __future__ import annotations

from ..tensor import Tensor, as_tensor
from .activation import relu
from .arithmetic import abs as abs_
from .arithmetic import sign
from .pooling import avg_pool1d, avg_pool2d


def _tuple(v, n, name, op):
    t = (v,) * n if isinstance(v, int) else tuple(v)
    if len(t) != n or not all(isinstance(i, int) and i >= 0 for i in t):
        raise ValueError(f"{op}: {name} must be an int or {n} non-negative ints, got {v!r}")
    return t


def _lp(out, p, window):
    return (sign(out) * relu(abs_(out)) * window) ** (1.0 / p)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False) -> Tensor:  # noqa: A002
    """(Σ xᵖ over each kH×kW window)^(1/p), as ``torch.nn.functional.lp_pool2d``."""
    x = as_tensor(input)
    k = _tuple(kernel_size, 2, "kernel_size", "lp_pool2d")
    out = avg_pool2d(x**norm_type, k, stride, 0, ceil_mode)
    return _lp(out, norm_type, k[0] * k[1])


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False) -> Tensor:  # noqa: A002
    """(Σ xᵖ over each window of the last dim)^(1/p), as ``torch.nn.functional.lp_pool1d``."""
    x = as_tensor(input)
    (k,) = _tuple(kernel_size, 1, "kernel_size", "lp_pool1d")
    out = avg_pool1d(x**norm_type, k, stride, 0, ceil_mode)
    return _lp(out, norm_type, k)


def _max_unpool(op, nd, input, indices, kernel_size, stride, padding, output_size):  # noqa: A002
    x, idx = as_tensor(input), as_tensor(indices)
    if x.ndim not in (nd + 1, nd + 2):
        raise ValueError(f"{op}: expected a {nd + 1}-D or {nd + 2}-D input, got {tuple(x.shape)}")
    if tuple(idx.shape) != tuple(x.shape) or idx.dtype.kind not in "iu":
        raise ValueError(
            f"{op}: indices must be integers of the input's shape {tuple(x.shape)}, got "
            f"{idx.dtype} {tuple(idx.shape)}"
        )
    k = _tuple(kernel_size, nd, "kernel_size", op)
    s = k if stride is None else _tuple(stride, nd, "stride", op)
    p = _tuple(padding, nd, "padding", op)
    size = tuple((n - 1) * si - 2 * pi + ki for n, si, pi, ki in zip(x.shape[-nd:], s, p, k))
    if output_size is not None:
        size = tuple(output_size)[-nd:]
    added = x.ndim == nd + 1
    if added:
        x, idx = x.unsqueeze(0), idx.unsqueeze(0)
    n, c = x.shape[:2]
    plane = 1
    for v in size:
        plane *= v
    flat = idx.data.reshape(n, c, -1)
    if flat.size and (int(flat.min()) < 0 or int(flat.max()) >= plane):
        raise ValueError(
            f"{op}: an index is outside the output plane of {plane} values (output size {size})"
        )
    y = x.new_zeros(n, c, plane).scatter(2, Tensor(flat), x.reshape(n, c, -1))
    y = y.reshape((n, c) + size)
    return y.squeeze(0) if added else y


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):  # noqa: A002
    """Each value put back where ``max_pool2d(..., return_indices=True)`` found it (flat
    indices h·W_out + w per plane), zeros elsewhere, as ``torch.nn.functional.max_unpool2d``;
    the output side is (H − 1)·stride − 2·padding + kernel_size unless ``output_size``."""
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):  # noqa: A002
    """``max_unpool2d`` along the last dim only, as ``torch.nn.functional.max_unpool1d``."""
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding, output_size)


__all__ = ["lp_pool1d", "lp_pool2d", "max_unpool1d", "max_unpool2d"]
