"""3-D convolution: conv3d and conv_transpose3d, by im2col / col2im and one matmul per group.

As in ``conv.py``, a convolution is three bilinear maps that are each other's adjoints:

    y  = conv(x, W)            (Convolution3d)
    gx = conv_transpose(gy, W)  (Deconvolution3d: the input gradient)
    gW = corr(x, gy)            (WeightGrad3d: the weight gradient)

so every backward is written with the other two, and gradients of gradients come for free.
Fed arrays, each runs the array kernels below; fed Tensors, it records a graph.

Layout: ``x`` (N, C, D, H, W) is viewed channels-last, (N, D, H, W, C); the windows of the
padded input are one strided view (N, Do, Ho, Wo, kD, kH, kW, C), copied once into the
columns (N·Do·Ho·Wo, kD·kH·kW·C/G) of each group, and one matmul with the weights gives every
output (the weight gradient is one matmul with the same columns). The transpose multiplies
gy by each kernel offset's weights and sends those columns back with one strided slice-add
(col2im fused with the product, as in conv2d). Outputs are (N, C, D, H, W) views of
channels-last arrays, like conv2d's.
"""

from __future__ import annotations

import itertools
import math

from .. import backend
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor, as_tensor
from .conv import _batched, _check_common, _check_dtypes, _mm, _tuple
from .rows import add_rows


class _Geometry3d:
    """The shape of one 3-D convolution: x (N, C, D, H, W) → y (N, O, Do, Ho, Wo), weights
    (O, C/groups, kD, kH, kW); ``padding`` is ((front, back), (top, bottom), (left, right))."""

    def __init__(self, kernel, stride, padding, dilation, groups, in_size, out_size):
        self.kernel, self.stride, self.padding = kernel, stride, padding
        self.dilation, self.groups = dilation, groups
        self.in_size, self.out_size = in_size, out_size

    @property
    def padded_size(self):
        return tuple(s + lo + hi for s, (lo, hi) in zip(self.in_size, self.padding))

    @property
    def interior(self):
        """The slices of a padded (N, D', H', W', ...) array that hold the unpadded input."""
        return (slice(None),) + tuple(
            slice(lo, lo + s) for s, (lo, _) in zip(self.in_size, self.padding)
        )


# ------------------------------------------------------------------ array kernels
def _pad_cl(x, g):
    """x (N, C, D, H, W) as a zero-padded channels-last array (a view when unpadded)."""
    xt = x.transpose(0, 2, 3, 4, 1)
    if not any(lo or hi for lo, hi in g.padding):
        return xt
    xpad = get_array_module(x).zeros((x.shape[0], *g.padded_size, x.shape[1]), dtype=x.dtype)
    xpad[g.interior] = xt
    return xpad


def _windows(xpad, g):
    """The (N, Do, Ho, Wo, kD, kH, kW, C) strided view of every window of a padded array."""
    xp = get_array_module(xpad)
    s0, *sp, sc = xpad.strides
    view = dict(
        shape=(xpad.shape[0], *g.out_size, *g.kernel, xpad.shape[-1]),
        strides=(
            s0,
            *(s * st for s, st in zip(sp, g.stride)),
            *(s * d for s, d in zip(sp, g.dilation)),
            sc,
        ),
    )
    if xp is not backend.np:  # GPU path: CuPy's as_strided has no writeable flag
        return xp.lib.stride_tricks.as_strided(xpad, **view)
    return xp.lib.stride_tricks.as_strided(xpad, writeable=False, **view)


def _offset_slices(g):
    """Each kernel offset, flattened (a·kH·kW + i·kW + j), and the (N, Do, Ho, Wo, ·) slice
    of a padded array that it touches."""
    for k, offset in enumerate(itertools.product(*map(range, g.kernel))):
        yield (
            k,
            (slice(None),)
            + tuple(
                slice(o * d, o * d + s * (n - 1) + 1, s)
                for o, d, s, n in zip(offset, g.dilation, g.stride, g.out_size)
            ),
        )


def _im2col(x, g):
    """Columns (G, N·Do·Ho·Wo, kD·kH·kW·C/G) of x (N, C, D, H, W)."""
    xpad = _pad_cl(x, g)
    n, c = x.shape[:2]
    grp, m, kv = g.groups, n * math.prod(g.out_size), math.prod(g.kernel)
    if grp == 1 and c <= 4:  # few channels: one slice copy per offset beats the window copy
        cols = get_array_module(x).empty((n, *g.out_size, kv, c), dtype=x.dtype)
        for k, s in _offset_slices(g):
            cols[..., k, :] = xpad[s]
        return cols.reshape(1, m, kv * c)
    win = _windows(xpad, g).reshape(n, *g.out_size, *g.kernel, grp, c // grp)
    return win.transpose(7, 0, 1, 2, 3, 4, 5, 6, 8).reshape(grp, m, kv * (c // grp))


def _weight_matrix(W, grp):
    """W (O, C/G, kD, kH, kW) as (G, kD·kH·kW·C/G, O/G), the right operand of the columns."""
    o, cg = W.shape[:2]
    w = W.reshape(grp, o // grp, cg, *W.shape[2:]).transpose(0, 3, 4, 5, 2, 1)
    return w.reshape(grp, -1, o // grp)


def _gy_matrix(gy, grp):
    """gy (N, O, Do, Ho, Wo) as (G, N·Do·Ho·Wo, O/G)."""
    o = gy.shape[1]
    return gy.transpose(0, 2, 3, 4, 1).reshape(-1, grp, o // grp).transpose(1, 0, 2)


def _conv_array(x, W, b, g, cols=None):
    """y = conv(x, W) + b on arrays, as an (N, O, Do, Ho, Wo) view of a channels-last array;
    returns (y, columns)."""
    if cols is None:
        cols = _im2col(x, g)
    ym = _mm(cols, _weight_matrix(W, g.groups))  # (G, M, O/G)
    grp, m, og = ym.shape
    if b is not None and grp == 1:  # (M, O) rows: the bias tiled along long rows
        add_rows(ym[0], b, get_array_module(ym))
    y = ym[0] if grp == 1 else ym.transpose(1, 0, 2).reshape(m, grp * og)
    y = y.reshape(x.shape[0], *g.out_size, grp * og).transpose(0, 4, 1, 2, 3)
    if b is not None and grp != 1:
        y += b.reshape(1, -1, 1, 1, 1)
    return y, cols


def _deconv_array(gy, W, g):
    """gx = conv_transpose(gy, W), the input gradient of conv, as (N, C, D, H, W).

    col2im fused with the product, as conv2d's: for each kernel offset, gy (G, M, O/G) @
    W_offset (G, O/G, C/G) gives that offset's columns, added into the padded gradient with one
    strided slice-add. Measured 2-5× faster than one product into all the columns followed by
    the slice-adds (whose short channel rows then run at a fraction of the speed).
    """
    xp = get_array_module(gy)
    o, cg = W.shape[:2]
    grp, n, kv = g.groups, gy.shape[0], math.prod(g.kernel)
    wk = xp.ascontiguousarray(W.reshape(grp, o // grp, cg, kv).transpose(3, 0, 1, 2))
    gm = _gy_matrix(gy, grp)
    gxpad = xp.zeros((n, *g.padded_size, grp, cg), dtype=gy.dtype)
    buf = xp.empty((grp, gm.shape[1], cg), dtype=gy.dtype)
    for k, s in _offset_slices(g):
        if grp == 1:  # through backend.matmul: the thread count fits the product's size
            backend.matmul(gm[0], wk[k, 0], out=buf[0])
        else:
            xp.matmul(gm, wk[k], out=buf)
        cols = buf.reshape(grp, n, *g.out_size, cg)
        gxpad[s] += cols[0, ..., None, :] if grp == 1 else cols.transpose(1, 2, 3, 4, 0, 5)
    gx = gxpad.reshape(n, *g.padded_size, grp * cg)[g.interior]
    return gx.transpose(0, 4, 1, 2, 3)


def _wgrad_array(x, gy, g, cols=None):
    """gW = corr(x, gy), the weight gradient of conv, as (O, C/G, kD, kH, kW)."""
    if cols is None:
        cols = _im2col(x, g)
    grp, cg = g.groups, x.shape[1] // g.groups
    gm = _gy_matrix(gy, grp)
    og = gm.shape[2]
    # the orientation conv2d measured as faster with OpenBLAS: (colsᵀ gy)ᵀ up to 32 outputs
    if og <= 32:
        gw = _mm(cols.transpose(0, 2, 1), gm).transpose(0, 2, 1)  # (G, O/G, kD·kH·kW·C/G)
    else:
        gw = _mm(gm.transpose(0, 2, 1), cols)
    gw = gw.reshape(grp, og, *g.kernel, cg).transpose(0, 1, 5, 2, 3, 4)
    return gw.reshape(grp * og, cg, *g.kernel)


# ------------------------------------------------------------------ differentiable ops
def _conv(g, x, W):
    if isinstance(x, Tensor) or isinstance(W, Tensor):
        return Convolution3d(g)(as_tensor(x), as_tensor(W))
    return _conv_array(x, W, None, g)[0]


def _deconv(g, gy, W):
    if isinstance(gy, Tensor) or isinstance(W, Tensor):
        return Deconvolution3d(g)(as_tensor(gy), as_tensor(W))
    return _deconv_array(gy, W, g)


def _wgrad(g, x, gy):
    if isinstance(x, Tensor) or isinstance(gy, Tensor):
        return WeightGrad3d(g)(as_tensor(x), as_tensor(gy))
    return _wgrad_array(x, gy, g)


def _bias_grad(gy):
    if isinstance(gy, Tensor):
        return gy.sum((0, 2, 3, 4))
    xp = get_array_module(gy)
    m = gy.transpose(0, 2, 3, 4, 1).reshape(-1, gy.shape[1])
    return xp.ones(m.shape[0], dtype=gy.dtype) @ m  # a product: far faster than sum(axis=0)


class Convolution3d(Function):
    """y = conv(x, W) + b: y[n,o,t,h,w] = Σ_c,a,i,j W[o,c,a,i,j] · xpad[n, c, s·t + d·a,
    s·h + d·i, s·w + d·j] (c within o's group).

    ∂L/∂x = conv_transpose(gy, W); ∂L/∂W = corr(x, gy); ∂L/∂b = Σ gy over n, d, h, w.
    """

    def __init__(self, geometry):
        self.g = geometry

    def forward(self, x, W, b=None):
        y, cols = _conv_array(x, W, b, self.g)
        self.save_for_backward(x, W, cols)
        return y

    def backward(self, gy):
        x, W, cols = self.saved
        need = self.needs_input_grad
        gx = gW = gb = None
        if isinstance(gy, Tensor):
            gx = _deconv(self.g, gy, W) if need[0] else None
            gW = _wgrad(self.g, x, gy) if need[1] else None
        else:
            gx = _deconv_array(gy, W, self.g) if need[0] else None
            gW = _wgrad_array(x, gy, self.g, cols) if need[1] else None
        if len(need) > 2 and need[2]:
            gb = _bias_grad(gy)
        return gx, gW, gb


class Deconvolution3d(Function):
    """x = conv_transpose(y, W) + b, the adjoint of ``Convolution3d`` in its first argument:
    ⟨conv_transpose(y, W), v⟩ = ⟨y, conv(v, W)⟩.

    ∂L/∂y = conv(g, W); ∂L/∂W = corr(g, y); ∂L/∂b = Σ g over n, d, h, w.
    """

    def __init__(self, geometry):
        self.g = geometry

    def forward(self, y, W, b=None):
        x = _deconv_array(y, W, self.g)
        if b is not None:
            x = x + b.reshape(1, -1, 1, 1, 1)
        self.save_for_backward(y, W)
        return x

    def backward(self, gx):
        y, W = self.saved
        need = self.needs_input_grad
        gy = _conv(self.g, gx, W) if need[0] else None
        gW = _wgrad(self.g, gx, y) if need[1] else None
        gb = _bias_grad(gx) if len(need) > 2 and need[2] else None
        return gy, gW, gb


class WeightGrad3d(Function):
    """gW = corr(x, gy), bilinear: ⟨corr(x, gy), V⟩ = ⟨conv(x, V), gy⟩ = ⟨x, conv_transpose(gy, V)⟩.

    ∂L/∂x = conv_transpose(gy, V); ∂L/∂gy = conv(x, V), for the upstream gradient V.
    """

    def __init__(self, geometry):
        self.g = geometry

    def forward(self, x, gy):
        self.save_for_backward(x, gy)
        return _wgrad_array(x, gy, self.g)

    def backward(self, V):
        x, gy = self.saved
        need = self.needs_input_grad
        gx = _deconv(self.g, gy, V) if need[0] else None
        ggy = _conv(self.g, x, V) if need[1] else None
        return gx, ggy


# ------------------------------------------------------------------ argument checks
def _conv3d_geometry(op, size, kernel, stride, padding, dilation, groups):
    stride = _tuple(stride, 3, "stride", op)
    dilation = _tuple(dilation, 3, "dilation", op)
    if min(stride) < 1 or min(dilation) < 1:
        raise ValueError(f"{op}: stride and dilation must be positive, got {stride}, {dilation}")
    span = [d * (k - 1) for d, k in zip(dilation, kernel)]
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * 3
        elif padding == "same":
            if stride != (1, 1, 1):
                raise ValueError(f"{op}: padding='same' needs stride 1, got stride {stride}")
            pads = tuple((sp // 2, sp - sp // 2) for sp in span)  # the odd one at the end
        else:
            raise ValueError(f"{op}: padding must be 'valid', 'same', or ints, got {padding!r}")
    else:
        pad = _tuple(padding, 3, "padding", op)
        if min(pad) < 0:
            raise ValueError(f"{op}: padding must be non-negative, got {padding!r}")
        pads = tuple((p, p) for p in pad)
    out = []
    for n, (lo, hi), sp, s in zip(size, pads, span, stride):
        if n + lo + hi < sp + 1:
            raise ValueError(
                f"{op}: kernel (size {sp + 1} with dilation) is larger than the padded input "
                f"(size {n + lo + hi}); input spatial shape {tuple(size)}, kernel "
                f"{tuple(kernel)}, padding {pads}"
            )
        out.append((n + lo + hi - sp - 1) // s + 1)
    return _Geometry3d(tuple(kernel), stride, pads, dilation, groups, tuple(size), tuple(out))


def _conv3d(op, input, weight, bias, stride, padding, dilation, groups):  # noqa: A002
    x, W = as_tensor(input), as_tensor(weight)
    b = None if bias is None else as_tensor(bias)
    x, added = _batched(op, x, 3)
    if W.ndim != 5:
        raise ValueError(f"{op}: expected a 5-D weight, got shape {tuple(W.shape)}")
    _check_common(op, x, W, b, groups, 3, W.shape[1] * groups, W.shape[0])
    g = _conv3d_geometry(op, x.shape[2:], W.shape[2:], stride, padding, dilation, groups)
    y = Convolution3d(g)(x, W) if b is None else Convolution3d(g)(x, W, b)
    return y.squeeze(0) if added else y


def _conv_transpose3d(op, input, weight, bias, stride, padding, output_padding, groups, dilation):  # noqa: A002
    y, W = as_tensor(input), as_tensor(weight)
    b = None if bias is None else as_tensor(bias)
    y, added = _batched(op, y, 3)
    if W.ndim != 5:
        raise ValueError(f"{op}: expected a 5-D weight, got shape {tuple(W.shape)}")
    cin, cout = W.shape[0], W.shape[1] * groups
    if isinstance(groups, int) and groups >= 1 and cin % groups:
        raise ValueError(
            f"{op}: {cin} input channels (weight {tuple(W.shape)}) are not divisible by "
            f"groups={groups}"
        )
    _check_common(op, y, W, None, groups, 3, cin, cin)
    if b is not None:
        if tuple(b.shape) != (cout,):
            raise ValueError(f"{op}: expected bias of shape ({cout},), got {tuple(b.shape)}")
        _check_dtypes(op, y, W, b)
    if isinstance(padding, str):
        raise ValueError(f"{op}: padding must be ints, got {padding!r}")
    stride = _tuple(stride, 3, "stride", op)
    dilation = _tuple(dilation, 3, "dilation", op)
    pad = _tuple(padding, 3, "padding", op)
    opad = _tuple(output_padding, 3, "output_padding", op)
    if min(stride) < 1 or min(dilation) < 1 or min(pad) < 0 or min(opad) < 0:
        raise ValueError(
            f"{op}: stride and dilation must be positive, padding and output_padding "
            f"non-negative; got stride {stride}, dilation {dilation}, padding {pad}, "
            f"output_padding {opad}"
        )
    if any(o >= max(s, d) for o, s, d in zip(opad, stride, dilation)):
        raise ValueError(
            f"{op}: output_padding must be smaller than stride or dilation, got "
            f"output_padding {opad}, stride {stride}, dilation {dilation}"
        )
    size_in = tuple(y.shape[2:])
    size_out = tuple(
        (n - 1) * s - 2 * p + d * (k - 1) + o + 1
        for n, s, p, d, k, o in zip(size_in, stride, pad, dilation, W.shape[2:], opad)
    )
    if min(size_out) < 1:
        raise ValueError(
            f"{op}: output size {size_out} is too small (input shape {tuple(y.shape)}, "
            f"weight {tuple(W.shape)}, padding {pad})"
        )
    pads = tuple((p, p) for p in pad)
    g = _Geometry3d(tuple(W.shape[2:]), stride, pads, dilation, groups, size_out, size_in)
    x = Deconvolution3d(g)(y, W) if b is None else Deconvolution3d(g)(y, W, b)
    return x.squeeze(0) if added else x


# ------------------------------------------------------------------ public functions
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:  # noqa: A002
    """3-D cross-correlation, as ``torch.nn.functional.conv3d``.

    y[n, o, t, h, w] = b[o] + Σ_{c, a, i, j} W[o, c, a, i, j] · x[n, g·C/G + c, s·t + d·a − p,
    s·h + d·i − p, s·w + d·j − p], with g = o // (O/G) the group of output channel o.

    input (N, C, D, H, W) or (C, D, H, W); weight (O, C/groups, kD, kH, kW); bias (O,).
    ``stride``, ``padding``, ``dilation``: an int or three; ``padding`` may also be 'valid' or
    'same' (stride 1 only; an odd total puts the extra zero at the end). Output side
    Do = ⌊(D + 2p − d·(kD − 1) − 1) / s⌋ + 1. Gradients: ∂L/∂x = conv_transpose3d(gy, W),
    ∂L/∂W = corr(x, gy), ∂L/∂b = Σ gy over n, t, h, w.

        >>> conv3d(cr.randn(2, 3, 8, 8, 8), cr.randn(4, 3, 3, 3, 3), padding=1).shape
        (2, 4, 8, 8, 8)
    """
    return _conv3d("conv3d", input, weight, bias, stride, padding, dilation, groups)


def conv_transpose3d(
    input,  # noqa: A002
    weight,
    bias=None,
    stride=1,
    padding=0,
    output_padding=0,
    groups=1,
    dilation=1,
) -> Tensor:
    """3-D transposed convolution, as ``torch.nn.functional.conv_transpose3d``: the input
    gradient of conv3d, ⟨conv_transpose3d(y, W), v⟩ = ⟨y, conv3d(v, W)⟩.

    input (N, Cin, D, H, W) or (Cin, D, H, W); weight (Cin, Cout/groups, kD, kH, kW); bias
    (Cout,). Output side Dout = (D − 1)·s − 2p + d·(kD − 1) + output_padding + 1, with
    output_padding < max(stride, dilation). Gradients: ∂L/∂y = conv3d(gx, W),
    ∂L/∂W = corr(gx, y), ∂L/∂b = Σ gx over n, t, h, w.

        >>> conv_transpose3d(cr.randn(1, 4, 3, 3, 3), cr.randn(4, 2, 2, 2, 2), stride=2).shape
        (1, 2, 6, 6, 6)
    """
    return _conv_transpose3d(
        "conv_transpose3d", input, weight, bias, stride, padding, output_padding, groups, dilation
    )


__all__ = ["conv3d", "conv_transpose3d"]
