"""unfold (im2col) and fold (col2im), as ``torch.nn.functional.unfold`` and ``fold``.

unfold copies every kH×kW block of the zero-padded input into one column:
    cols[n, (c·kH + i)·kW + j, l] = x_pad[n, c, s_h·h + d_h·i, s_w·w + d_w·j],  l = h·Lw + w.
fold is its adjoint: each column is added back into its block (overlaps sum), then the padding
is cut off. Both are linear, and each one's backward is the other, so gradients of any order
come from the pair. A block offset (i, j) of every block at once is one strided slice, so both
are kH·kW whole-array operations.
"""

from __future__ import annotations

from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor, as_tensor


class _Blocks:
    """The geometry shared by a fold and its unfold: input (H, W), blocks (Lh, Lw)."""

    def __init__(self, op, hw, kernel, dilation, padding, stride):
        self.hw, self.kernel, self.dilation = hw, kernel, dilation
        self.padding, self.stride = padding, stride
        self.blocks = tuple(
            (n + 2 * p - d * (k - 1) - 1) // s + 1
            for n, k, d, p, s in zip(hw, kernel, dilation, padding, stride)
        )
        if min(self.blocks) < 1:
            raise ValueError(
                f"{op}: no sliding block fits: spatial size {hw}, kernel_size {kernel}, "
                f"dilation {dilation}, padding {padding}, stride {stride} give "
                f"{self.blocks} blocks"
            )

    def slices(self):
        """Each offset (i, j) and its (…, Lh, Lw) slice of the padded (…, H', W') input."""
        (kh, kw), (dh, dw), (sh, sw), (lh, lw) = (
            self.kernel,
            self.dilation,
            self.stride,
            self.blocks,
        )
        for i in range(kh):
            for j in range(kw):
                rows = slice(i * dh, i * dh + sh * (lh - 1) + 1, sh)
                cols = slice(j * dw, j * dw + sw * (lw - 1) + 1, sw)
                yield i, j, (Ellipsis, rows, cols)


def _im2col(x, g):
    """x (N, C, H, W) → (N, C·kH·kW, Lh·Lw)."""
    xp = get_array_module(x)
    (ph, pw), (kh, kw), (lh, lw) = g.padding, g.kernel, g.blocks
    n, c, h, w = x.shape
    if ph or pw:
        xpad = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
        xpad[..., ph : ph + h, pw : pw + w] = x
    else:
        xpad = x
    cols = xp.empty((n, c, kh, kw, lh, lw), dtype=x.dtype)
    for i, j, s in g.slices():
        cols[:, :, i, j] = xpad[s]
    return cols.reshape(n, c * kh * kw, lh * lw)


def _col2im(cols, g):
    """cols (N, C·kH·kW, Lh·Lw) → (N, C, H, W), overlapping blocks summed."""
    xp = get_array_module(cols)
    (ph, pw), (kh, kw), (lh, lw), (h, w) = g.padding, g.kernel, g.blocks, g.hw
    n = cols.shape[0]
    c = cols.shape[1] // (kh * kw)
    cols = cols.reshape(n, c, kh, kw, lh, lw)
    xpad = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i, j, s in g.slices():
        xpad[s] += cols[:, :, i, j]
    return xp.ascontiguousarray(xpad[..., ph : ph + h, pw : pw + w])


class Im2Col(Function):
    """cols = unfold(x); linear, so ∂L/∂x = fold(gy)."""

    def __init__(self, geometry):
        self.g = geometry

    def forward(self, x):
        return _im2col(x, self.g)

    def backward(self, gy):
        return Col2Im(self.g)(gy) if isinstance(gy, Tensor) else _col2im(gy, self.g)


class Col2Im(Function):
    """x = fold(cols); linear, so ∂L/∂cols = unfold(gy)."""

    def __init__(self, geometry):
        self.g = geometry

    def forward(self, cols):
        return _col2im(cols, self.g)

    def backward(self, gy):
        return Im2Col(self.g)(gy) if isinstance(gy, Tensor) else _im2col(gy, self.g)


def _pair(v, name, op, low):
    t = (v, v) if isinstance(v, int) else tuple(v)
    if len(t) != 2 or not all(isinstance(a, int) and a >= low for a in t):
        raise ValueError(f"{op}: {name} must be an int or 2 ints, each ≥ {low}, got {v!r}")
    return t


def _args(op, kernel_size, dilation, padding, stride):
    return (
        _pair(kernel_size, "kernel_size", op, 1),
        _pair(dilation, "dilation", op, 1),
        _pair(padding, "padding", op, 0),
        _pair(stride, "stride", op, 1),
    )


def unfold(input, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:  # noqa: A002
    """Sliding blocks of x (N, C, H, W) or (C, H, W) as columns, (N, C·kH·kW, L), as
    ``torch.nn.functional.unfold``: L = Lh·Lw blocks, Lh = ⌊(H + 2p − d(kH − 1) − 1)/s⌋ + 1.

        unfold(x, 3, padding=1)   # (N, C, H, W) → (N, 9C, H·W), a 3×3 conv's im2col
    """
    x = as_tensor(input)
    if x.ndim not in (3, 4):
        raise ValueError(f"unfold: expected a 3-D or 4-D input, got shape {tuple(x.shape)}")
    kernel, dilation, padding, stride = _args("unfold", kernel_size, dilation, padding, stride)
    batched = x.ndim == 4
    x = x if batched else x.unsqueeze(0)
    g = _Blocks("unfold", tuple(x.shape[2:]), kernel, dilation, padding, stride)
    y = Im2Col(g)(x)
    return y if batched else y.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:  # noqa: A002
    """Sum columns (N, C·kH·kW, L) or (C·kH·kW, L) back into an (N, C, *output_size) image,
    as ``torch.nn.functional.fold``: the adjoint of ``unfold`` (overlapping blocks add up)."""
    x = as_tensor(input)
    if x.ndim not in (2, 3):
        raise ValueError(f"fold: expected a 2-D or 3-D input, got shape {tuple(x.shape)}")
    kernel, dilation, padding, stride = _args("fold", kernel_size, dilation, padding, stride)
    hw = _pair(output_size, "output_size", "fold", 1)
    batched = x.ndim == 3
    x = x if batched else x.unsqueeze(0)
    g = _Blocks("fold", hw, kernel, dilation, padding, stride)
    k = kernel[0] * kernel[1]
    if x.shape[1] % k:
        raise ValueError(
            f"fold: input dim 1 ({x.shape[1]}) must be divisible by the kernel's size {k} "
            f"(kernel_size {kernel}), got input shape {tuple(x.shape)}"
        )
    if x.shape[2] != g.blocks[0] * g.blocks[1]:
        raise ValueError(
            f"fold: output_size {hw}, kernel_size {kernel}, dilation {dilation}, padding "
            f"{padding}, stride {stride} give {g.blocks[0]} * {g.blocks[1]} blocks, but input "
            f"dim 2 is {x.shape[2]} (input shape {tuple(x.shape)})"
        )
    y = Col2Im(g)(x)
    return y if batched else y.squeeze(0)


__all__ = ["unfold", "fold"]
