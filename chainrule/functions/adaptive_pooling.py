"""Adaptive pooling: adaptive_avg_pool1d/2d and adaptive_max_pool1d/2d. Output bin i of n
inputs pooled to o covers torch's positions [⌊i·n/o⌋, ⌈(i+1)·n/o⌉), so neighbouring bins may
overlap. The average is separable (two averaging matrices, or a plain average pool when the
bins are equal); the maximum is a gather of each bin's winner.
"""

from __future__ import annotations

from ..backend import get_array_module
from ..tensor import Tensor, as_tensor
from .pooling import _batched, _single, avg_pool2d
from .selection import gather


def _adaptive_matrix(n, o, xp, dtype):
    """(o, n) averaging matrix of torch's adaptive bins [⌊i·n/o⌋, ⌈(i+1)·n/o⌉)."""
    i = xp.arange(o)
    start, end = (i * n) // o, -((-(i + 1) * n) // o)
    cols = xp.arange(n)
    inside = (cols[None, :] >= start[:, None]) & (cols[None, :] < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def adaptive_avg_pool2d(input, output_size) -> Tensor:  # noqa: A002
    """2-D adaptive average pooling, as ``torch.nn.functional.adaptive_avg_pool2d``.

    Output bin i covers rows [⌊i·H/Ho⌋, ⌈(i+1)·H/Ho⌉); the mean over a bin is separable,
    so y = A_h · x · A_wᵀ with two averaging matrices (and the gradient is their transposes).
    ``output_size`` is an int or a pair; None keeps that input size.
    """
    op = "adaptive_avg_pool2d"
    x, added = _batched(op, input)
    size = (
        (output_size, output_size)
        if isinstance(output_size, int) or output_size is None
        else tuple(output_size)
    )
    if len(size) != 2:
        raise ValueError(f"{op}: output_size must be an int or 2 values, got {output_size!r}")
    h, w = x.shape[2:]
    ho, wo = (h if size[0] is None else size[0]), (w if size[1] is None else size[1])
    if not (isinstance(ho, int) and isinstance(wo, int)) or ho < 1 or wo < 1 or h < 1 or w < 1:
        raise ValueError(
            f"{op}: need positive output_size and non-empty input, got output_size "
            f"{output_size!r} for input {tuple(x.shape)}"
        )
    xp = get_array_module(x.data)
    if h % ho == 0 and w % wo == 0:  # equal bins: a plain average pool
        y = avg_pool2d(x, (h // ho, w // wo))
    else:
        a_h = Tensor(_adaptive_matrix(h, ho, xp, x.dtype))
        a_wt = Tensor(_adaptive_matrix(w, wo, xp, x.dtype).T)
        y = a_h @ x @ a_wt
    return y.squeeze(0) if added else y


def _output_1d(op, x, output_size):
    x = as_tensor(x)
    if x.ndim not in (2, 3):
        raise ValueError(f"{op}: expected a 2-D or 3-D input, got shape {tuple(x.shape)}")
    return x.unsqueeze(-2), (1, _single(output_size, "output_size", op))


def adaptive_avg_pool1d(input, output_size) -> Tensor:  # noqa: A002
    """1-D adaptive average pooling, as ``torch.nn.functional.adaptive_avg_pool1d``: output i
    averages x over [⌊i·L/Lo⌋, ⌈(i+1)·L/Lo⌉); input (N, C, L) or (C, L)."""
    x, size = _output_1d("adaptive_avg_pool1d", input, output_size)
    return adaptive_avg_pool2d(x, size).squeeze(-2)


# ------------------------------------------------------------------ adaptive max pooling
def _bins(n, o, xp):
    """(o, k) input positions of torch's adaptive bins [⌊i·n/o⌋, ⌈(i+1)·n/o⌉), each padded to
    the widest bin's k by repeating its last position (a repeat cannot change a maximum)."""
    i = xp.arange(o)
    start, end = (i * n) // o, -((-(i + 1) * n) // o)
    k = int((end - start).max())
    return xp.minimum(start[:, None] + xp.arange(k)[None, :], end[:, None] - 1)


def adaptive_max_pool2d(input, output_size, return_indices: bool = False):  # noqa: A002
    """2-D adaptive max pooling, as ``torch.nn.functional.adaptive_max_pool2d``: output (i, j)
    is the max of x over rows [⌊i·H/Ho⌋, ⌈(i+1)·H/Ho⌉) and the same columns; the gradient goes
    to the first maximum in row-major order (the last NaN, if any), as in torch. A gather of
    the winners, so its gradient is a scatter and second derivatives come free. With
    ``return_indices`` also returns the flat index h·W + w of each maximum."""
    op = "adaptive_max_pool2d"
    x, added = _batched(op, input)
    size = (output_size,) * 2 if isinstance(output_size, int) else tuple(output_size)
    if len(size) != 2:
        raise ValueError(f"{op}: output_size must be an int or 2 values, got {output_size!r}")
    (n, c, h, w), xp = x.shape, get_array_module(x.data)
    ho, wo = (h if size[0] is None else size[0]), (w if size[1] is None else size[1])
    if not (isinstance(ho, int) and isinstance(wo, int)) or min(ho, wo, h, w) < 1:
        raise ValueError(
            f"{op}: need positive output_size and non-empty input, got output_size "
            f"{output_size!r} for input {tuple(x.shape)}"
        )
    rows, cols = _bins(h, ho, xp), _bins(w, wo, xp)  # (Ho, kh), (Wo, kw)
    flat = rows[:, None, :, None] * w + cols[None, :, None, :]  # (Ho, Wo, kh, kw)
    flat = flat.reshape(ho, wo, -1)
    v = x.data.reshape(n, c, h * w)[:, :, flat]  # (N, C, Ho, Wo, kh·kw)
    win = xp.argmax(xp.where(xp.isnan(v), -xp.inf, v), axis=-1)  # the first maximum ...
    nan = xp.isnan(v)
    if nan.any():  # ... unless the window holds NaN: then its last NaN
        last = nan.shape[-1] - 1 - xp.argmax(nan[..., ::-1], axis=-1)
        win = xp.where(nan.any(axis=-1), last, win)
    idx = xp.take_along_axis(xp.broadcast_to(flat, v.shape), win[..., None], axis=-1)[..., 0]
    y = gather(x.reshape(n, c, h * w), 2, idx.reshape(n, c, ho * wo)).reshape(n, c, ho, wo)
    y = y.squeeze(0) if added else y
    if not return_indices:
        return y
    idx = Tensor(idx)
    return y, (idx.squeeze(0) if added else idx)


def adaptive_max_pool1d(input, output_size, return_indices: bool = False):  # noqa: A002
    """1-D adaptive max pooling, as ``torch.nn.functional.adaptive_max_pool1d``; input
    (N, C, L) or (C, L); indices are positions along L."""
    x, size = _output_1d("adaptive_max_pool1d", input, output_size)
    out = adaptive_max_pool2d(x, size, return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
]
