"""Convolution: conv1d, conv2d and conv_transpose2d, by im2col and one matmul per group.

A convolution is three bilinear maps that are each other's adjoints:

    y  = conv(x, W)           (Convolution)
    gx = conv_transpose(gy, W) (Deconvolution: the input gradient)
    gW = corr(x, gy)           (WeightGrad: the weight gradient)

so every backward is written with the other two, and gradients of gradients come for free.
Fed arrays, each dispatches to the array kernels below; fed Tensors, it records a graph.

Internally the layout is channels-last: ``x`` (N, C, H, W) is viewed as (N, H, W, C); the
windows of a padded input are one strided view (N, Ho, Wo, kH, kW, C), copied once into the
columns (one matmul per group then gives every output), and each kernel offset's gradient goes
back with one strided slice-add (col2im). The
output is returned as an (N, C, Ho, Wo) view of an (N, Ho, Wo, C) array: element-wise ops keep
that memory order, so the next layer's transpose to channels-last is free.
"""

from __future__ import annotations

from .. import backend
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor, as_tensor
from .rows import add_rows


class _Geometry:
    """The shape of one 2-D convolution: x (N, C, H, W) → y (N, O, Ho, Wo), weights
    (O, C/groups, kH, kW); ``padding`` is (top, bottom, left, right)."""

    def __init__(self, kernel, stride, padding, dilation, groups, in_hw, out_hw):
        self.kernel, self.stride, self.padding = kernel, stride, padding
        self.dilation, self.groups = dilation, groups
        self.in_hw, self.out_hw = in_hw, out_hw


# ------------------------------------------------------------------ array kernels
def _windows(xpad, g):
    """The (N, Ho, Wo, kH, kW, C) strided view of every window of a padded NHWC array."""
    xp = get_array_module(xpad)
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = g.kernel, g.stride, g.dilation, g.out_hw
    n, _, _, c = xpad.shape
    s0, s1, s2, s3 = xpad.strides
    view = dict(shape=(n, ho, wo, kh, kw, c), strides=(s0, s1 * sh, s2 * sw, s1 * dh, s2 * dw, s3))
    if xp is not backend.np:  # GPU path: CuPy's as_strided has no writeable flag
        return xp.lib.stride_tricks.as_strided(xpad, **view)
    return xp.lib.stride_tricks.as_strided(xpad, writeable=False, **view)


def _pad_nhwc(x, g):
    """x (N, C, H, W) as a zero-padded channels-last array (a view when there is no padding)."""
    xp = get_array_module(x)
    t, b, l, r = g.padding
    xt = x.transpose(0, 2, 3, 1)
    if not (t or b or l or r):
        return xt
    n, h, w, c = xt.shape
    xpad = xp.zeros((n, h + t + b, w + l + r, c), dtype=x.dtype)
    xpad[:, t : t + h, l : l + w] = xt
    return xpad


def _offset_slices(g):
    """Each kernel offset (i, j) and the (N, Ho, Wo, ·) slice of a padded array it touches."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = g.kernel, g.stride, g.dilation, g.out_hw
    for i in range(kh):
        for j in range(kw):
            y0, x0 = i * dh, j * dw
            rows = slice(y0, y0 + sh * (ho - 1) + 1, sh)
            cols = slice(x0, x0 + sw * (wo - 1) + 1, sw)
            yield i, j, (slice(None), rows, cols)


def _im2col(x, g):
    """Columns (G, N·Ho·Wo, kH·kW·C/G) of x (N, C, H, W)."""
    xpad = _pad_nhwc(x, g)
    n, c = x.shape[:2]
    (kh, kw), (ho, wo), grp = g.kernel, g.out_hw, g.groups
    if grp == 1 and c <= 4:  # few channels: one slice copy per offset beats the window copy
        cols = get_array_module(x).empty((n, ho, wo, kh, kw, c), dtype=x.dtype)
        for i, j, s in _offset_slices(g):
            cols[:, :, :, i, j] = xpad[s]
        return cols.reshape(1, n * ho * wo, kh * kw * c)
    win = _windows(xpad, g).reshape(n, ho, wo, kh, kw, grp, c // grp)
    return win.transpose(5, 0, 1, 2, 3, 4, 6).reshape(grp, n * ho * wo, kh * kw * (c // grp))


def _mm(a, b):
    """Stacked (G, m, k) @ (G, k, n); a single group goes to BLAS as a plain 2-D product."""
    if a.shape[0] == 1:
        return backend.matmul(a[0], b[0])[None]
    return a @ b


def _weight_matrix(W, g):
    """W (O, C/G, kH, kW) as (G, kH·kW·C/G, O/G), the right operand of the columns."""
    o, cg, kh, kw = W.shape
    grp = g.groups
    return W.reshape(grp, o // grp, cg, kh, kw).transpose(0, 3, 4, 2, 1).reshape(grp, -1, o // grp)


def _gy_matrix(gy, g):
    """gy (N, O, Ho, Wo) as (G, N·Ho·Wo, O/G)."""
    n, o = gy.shape[:2]
    grp = g.groups
    m = gy.transpose(0, 2, 3, 1).reshape(-1, grp, o // grp)
    return m.transpose(1, 0, 2)


def _to_nchw(ym, n, g):
    """(G, M, O/G) matmul result as an (N, O, Ho, Wo) view of a channels-last array."""
    grp, m, og = ym.shape
    ho, wo = g.out_hw
    y = ym[0] if grp == 1 else ym.transpose(1, 0, 2).reshape(m, grp * og)
    return y.reshape(n, ho, wo, grp * og).transpose(0, 3, 1, 2)


def _conv_array(x, W, b, g, cols=None):
    """y = conv(x, W) + b on arrays; returns (y, columns)."""
    if cols is None:
        cols = _im2col(x, g)
    ym = _mm(cols, _weight_matrix(W, g))
    if b is not None and ym.shape[0] == 1:  # (M, O) rows: the bias tiled along long rows
        add_rows(ym[0], b, get_array_module(ym))
    y = _to_nchw(ym, x.shape[0], g)
    if b is not None and ym.shape[0] != 1:
        y += b.reshape(1, -1, 1, 1)
    return y, cols


def _deconv_array(gy, W, g, n_channels):
    """gx = conv_transpose(gy, W): the input gradient of conv, as an (N, C, H, W) array.

    This is col2im fused with the product: for each kernel offset (i, j), gy (G, M, O/G) @
    W_ij (G, O/G, C/G) gives that offset's columns, added into the padded gradient with one
    strided slice-add (np.add.at is ~8× slower). One offset at a time keeps the buffer small.
    """
    xp = get_array_module(gy)
    o, cg, kh, kw = W.shape
    grp, n = g.groups, gy.shape[0]
    (h, w), (t, b, l, r), (ho, wo) = g.in_hw, g.padding, g.out_hw
    wk = xp.ascontiguousarray(W.reshape(grp, o // grp, cg, kh * kw).transpose(3, 0, 1, 2))
    gm = _gy_matrix(gy, g)
    gxpad = xp.zeros((n, h + t + b, w + l + r, grp, cg), dtype=gy.dtype)
    buf = xp.empty((grp, n * ho * wo, cg), dtype=gy.dtype)
    for i, j, s in _offset_slices(g):
        if grp == 1:  # through backend.matmul: the thread count fits the product's size
            backend.matmul(gm[0], wk[i * kw + j, 0], out=buf[0])
        else:
            xp.matmul(gm, wk[i * kw + j], out=buf)
        cols = buf.reshape(grp, n, ho, wo, cg)
        gxpad[s] += cols[0, ..., None, :] if grp == 1 else cols.transpose(1, 2, 3, 0, 4)
    gx = gxpad.reshape(n, h + t + b, w + l + r, grp * cg)[:, t : t + h, l : l + w]
    return gx.transpose(0, 3, 1, 2)


def _wgrad_array(x, gy, g, cols=None):
    """gW = corr(x, gy), the weight gradient of conv, as (O, C/G, kH, kW)."""
    if cols is None:
        cols = _im2col(x, g)
    gm = _gy_matrix(gy, g)
    grp, og = gm.shape[0], gm.shape[2]
    # OpenBLAS takes the long N·Ho·Wo axis faster one way or the other depending on O/G:
    # (colsᵀ gy) up to 32 outputs (0.78-0.84× the time at (12544, 144) and (50176, 9) with
    # O = 32), (gyᵀ cols) above (measured at (12544, 288) with O = 64: 0.97×)
    if og <= 32:
        gw = _mm(cols.transpose(0, 2, 1), gm).transpose(0, 2, 1)  # (G, O/G, kH·kW·C/G)
    else:
        gw = _mm(gm.transpose(0, 2, 1), cols)
    kh, kw = g.kernel
    c = x.shape[1]
    gw = gw.reshape(grp, og, kh, kw, c // grp).transpose(0, 1, 4, 2, 3)
    return gw.reshape(grp * og, c // grp, kh, kw)


# ------------------------------------------------------------------ differentiable ops
def _conv(g, x, W):
    if isinstance(x, Tensor) or isinstance(W, Tensor):
        return Convolution(g)(as_tensor(x), as_tensor(W))
    return _conv_array(x, W, None, g)[0]


def _deconv(g, gy, W, n_channels):
    if isinstance(gy, Tensor) or isinstance(W, Tensor):
        return Deconvolution(g, n_channels)(as_tensor(gy), as_tensor(W))
    return _deconv_array(gy, W, g, n_channels)


def _wgrad(g, x, gy):
    if isinstance(x, Tensor) or isinstance(gy, Tensor):
        return WeightGrad(g)(as_tensor(x), as_tensor(gy))
    return _wgrad_array(x, gy, g)


def _bias_grad(gy):
    if isinstance(gy, Tensor):
        return gy.sum((0, 2, 3))
    xp = get_array_module(gy)
    m = gy.transpose(0, 2, 3, 1).reshape(-1, gy.shape[1])
    return xp.ones(m.shape[0], dtype=gy.dtype) @ m  # a product: far faster than sum(axis=0)


class Convolution(Function):
    """y = conv(x, W) + b: y[n,o] = Σ_c,i,j W[o,c,i,j] · xpad[n, c, s·h + d·i, s·w + d·j].

    ∂L/∂x = conv_transpose(gy, W); ∂L/∂W = corr(x, gy); ∂L/∂b = Σ gy over n, h, w.
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
            if need[0]:
                gx = _deconv(self.g, gy, W, x.shape[1])
            if need[1]:
                gW = _wgrad(self.g, x, gy)
        else:
            if need[0]:
                gx = _deconv_array(gy, W, self.g, x.shape[1])
            if need[1]:
                gW = _wgrad_array(x, gy, self.g, cols)
        if len(need) > 2 and need[2]:
            gb = _bias_grad(gy)
        return gx, gW, gb


class Deconvolution(Function):
    """x = conv_transpose(y, W) + b, the adjoint of ``Convolution`` in its first argument:
    ⟨conv_transpose(y, W), v⟩ = ⟨y, conv(v, W)⟩.

    ∂L/∂y = conv(g, W); ∂L/∂W = corr(g, y); ∂L/∂b = Σ g over n, h, w.
    """

    def __init__(self, geometry, n_channels):
        self.g, self.n_channels = geometry, n_channels

    def forward(self, y, W, b=None):
        x = _deconv_array(y, W, self.g, self.n_channels)
        if b is not None:
            x = x + b.reshape(1, -1, 1, 1)
        self.save_for_backward(y, W)
        return x

    def backward(self, gx):
        y, W = self.saved
        need = self.needs_input_grad
        gy = _conv(self.g, gx, W) if need[0] else None
        gW = _wgrad(self.g, gx, y) if need[1] else None
        gb = _bias_grad(gx) if len(need) > 2 and need[2] else None
        return gy, gW, gb


class WeightGrad(Function):
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
        gx = _deconv(self.g, gy, V, x.shape[1]) if need[0] else None
        ggy = _conv(self.g, x, V) if need[1] else None
        return gx, ggy


# ------------------------------------------------------------------ argument checks
def _tuple(v, n, name, op):
    if isinstance(v, int):
        return (v,) * n
    t = tuple(v)
    if len(t) != n or not all(isinstance(a, int) for a in t):
        raise ValueError(f"{op}: {name} must be an int or {n} ints, got {v!r}")
    return t


def _check_dtypes(op, x, W, b):
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point input, got {x.dtype}")
    if W.dtype != x.dtype or (b is not None and b.dtype != x.dtype):
        got = f"input {x.dtype}, weight {W.dtype}" + ("" if b is None else f", bias {b.dtype}")
        raise TypeError(f"{op}: input, weight and bias must have the same dtype, got {got}")


def _check_common(op, x, W, b, groups, nd, in_ch, out_ch):
    """Rank, channel, group and bias checks shared by every convolution."""
    if W.ndim != nd + 2:
        raise ValueError(f"{op}: expected a {nd + 2}-D weight, got shape {tuple(W.shape)}")
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    if x.shape[1] != in_ch:
        raise ValueError(
            f"{op}: expected input with {in_ch} channels (weight {tuple(W.shape)}, "
            f"groups={groups}), got shape {tuple(x.shape)}"
        )
    if out_ch % groups:
        raise ValueError(f"{op}: {out_ch} output channels are not divisible by groups={groups}")
    if b is not None and tuple(b.shape) != (out_ch,):
        raise ValueError(f"{op}: expected bias of shape ({out_ch},), got {tuple(b.shape)}")
    _check_dtypes(op, x, W, b)


def _batched(op, x, nd):
    """x with a batch dimension (torch accepts unbatched input), and whether one was added."""
    if x.ndim == nd + 1:
        return x.unsqueeze(0), True
    if x.ndim != nd + 2:
        raise ValueError(
            f"{op}: expected a {nd + 1}-D (unbatched) or {nd + 2}-D (batched) input, "
            f"got shape {tuple(x.shape)}"
        )
    return x, False


def _conv2d_geometry(op, hw, kernel, stride, padding, dilation, groups):
    stride = _tuple(stride, 2, "stride", op)
    dilation = _tuple(dilation, 2, "dilation", op)
    if min(stride) < 1 or min(dilation) < 1:
        raise ValueError(f"{op}: stride and dilation must be positive, got {stride}, {dilation}")
    span = [d * (k - 1) for d, k in zip(dilation, kernel)]
    if isinstance(padding, str):
        if padding == "valid":
            pads = (0, 0, 0, 0)
        elif padding == "same":
            if stride != (1, 1):
                raise ValueError(f"{op}: padding='same' needs stride 1, got stride {stride}")
            pads = (span[0] // 2, span[0] - span[0] // 2, span[1] // 2, span[1] - span[1] // 2)
        else:
            raise ValueError(f"{op}: padding must be 'valid', 'same', or ints, got {padding!r}")
    else:
        ph, pw = _tuple(padding, 2, "padding", op)
        if ph < 0 or pw < 0:
            raise ValueError(f"{op}: padding must be non-negative, got {padding!r}")
        pads = (ph, ph, pw, pw)
    out = []
    for size, pad, sp, s in zip(hw, (pads[0] + pads[1], pads[2] + pads[3]), span, stride):
        if size + pad < sp + 1:
            raise ValueError(
                f"{op}: kernel (size {sp + 1} with dilation) is larger than the padded input "
                f"(size {size + pad}); input spatial shape {tuple(hw)}"
            )
        out.append((size + pad - sp - 1) // s + 1)
    return _Geometry(tuple(kernel), stride, pads, dilation, groups, tuple(hw), tuple(out))


def _conv2d(op, x, weight, bias, stride, padding, dilation, groups):
    x, W = as_tensor(x), as_tensor(weight)
    b = None if bias is None else as_tensor(bias)
    x, added = _batched(op, x, 2)
    _check_common(op, x, W, b, groups, 2, W.shape[1] * groups, W.shape[0])
    g = _conv2d_geometry(op, x.shape[2:], W.shape[2:], stride, padding, dilation, groups)
    y = Convolution(g)(x, W) if b is None else Convolution(g)(x, W, b)
    return y.squeeze(0) if added else y


# ------------------------------------------------------------------ public functions
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:  # noqa: A002
    """2-D cross-correlation, as ``torch.nn.functional.conv2d``.

    y[n, o, h, w] = b[o] + Σ_{c, i, j} W[o, c, i, j] · x[n, g·C/G + c, s·h + d·i − p, s·w + d·j − p]

    input (N, C, H, W) or (C, H, W); weight (O, C/groups, kH, kW); bias (O,).
    ``padding`` is an int, a pair, 'valid' or 'same' (stride 1 only).

        >>> conv2d(cr.randn(8, 3, 32, 32), cr.randn(16, 3, 3, 3), padding=1).shape
        (8, 16, 32, 32)
    """
    return _conv2d("conv2d", input, weight, bias, stride, padding, dilation, groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:  # noqa: A002
    """1-D cross-correlation, as ``torch.nn.functional.conv1d``: a conv2d over a height of 1.

    input (N, C, L) or (C, L); weight (O, C/groups, k); bias (O,).
    """
    return _conv1d("conv1d", input, weight, bias, stride, padding, dilation, groups)


def _conv1d(op, input, weight, bias, stride, padding, dilation, groups):  # noqa: A002
    x, W = as_tensor(input), as_tensor(weight)
    b = None if bias is None else as_tensor(bias)
    x, added = _batched(op, x, 1)
    _check_common(op, x, W, b, groups, 1, W.shape[1] * groups, W.shape[0])

    def lift(v, name, fill):  # (k,) → (fill, k): a height of 1
        return v if isinstance(v, str) else (fill,) + _tuple(v, 1, name, op)

    stride, dilation = lift(stride, "stride", 1), lift(dilation, "dilation", 1)
    g = _conv2d_geometry(
        op, (1, x.shape[2]), (1, W.shape[2]), stride, lift(padding, "padding", 0), dilation, groups
    )
    x4, W4 = x.unsqueeze(2), W.unsqueeze(2)
    y = Convolution(g)(x4, W4) if b is None else Convolution(g)(x4, W4, b)
    y = y.squeeze(2)
    return y.squeeze(0) if added else y


def conv_transpose2d(
    input,  # noqa: A002
    weight,
    bias=None,
    stride=1,
    padding=0,
    output_padding=0,
    groups=1,
    dilation=1,
) -> Tensor:
    """2-D transposed convolution, as ``torch.nn.functional.conv_transpose2d``: the input
    gradient of conv2d, so conv2d(conv_transpose2d(y, W), W) pairs as adjoints.

    input (N, Cin, H, W); weight (Cin, Cout/groups, kH, kW); bias (Cout,). Output side
    Hout = (H − 1)·s − 2p + d·(kH − 1) + output_padding + 1.
    """
    return _conv_transpose2d(
        "conv_transpose2d", input, weight, bias, stride, padding, output_padding, groups, dilation
    )


def _conv_transpose2d(op, input, weight, bias, stride, padding, output_padding, groups, dilation):  # noqa: A002
    y, W = as_tensor(input), as_tensor(weight)
    b = None if bias is None else as_tensor(bias)
    y, added = _batched(op, y, 2)
    if W.ndim != 4:
        raise ValueError(f"{op}: expected a 4-D weight, got shape {tuple(W.shape)}")
    cin, cout = W.shape[0], W.shape[1] * groups
    _check_common(op, y, W, None, groups, 2, cin, cin)
    if b is not None and tuple(b.shape) != (cout,):
        raise ValueError(f"{op}: expected bias of shape ({cout},), got {tuple(b.shape)}")
    if b is not None:
        _check_dtypes(op, y, W, b)
    stride = _tuple(stride, 2, "stride", op)
    dilation = _tuple(dilation, 2, "dilation", op)
    if isinstance(padding, str):
        raise ValueError(f"{op}: padding must be ints, got {padding!r}")
    pad = _tuple(padding, 2, "padding", op)
    opad = _tuple(output_padding, 2, "output_padding", op)
    if min(stride) < 1 or min(dilation) < 1 or min(pad) < 0 or min(opad) < 0:
        raise ValueError(
            f"{op}: stride and dilation must be positive, padding and output_padding "
            f"non-negative; got stride {stride}, dilation {dilation}, padding {pad}, "
            f"output_padding {opad}"
        )
    for o, s, d in zip(opad, stride, dilation):
        if o >= max(s, d):
            raise ValueError(
                f"{op}: output_padding must be smaller than stride or dilation, got "
                f"output_padding {opad}, stride {stride}, dilation {dilation}"
            )
    hw_in = tuple(y.shape[2:])
    hw_out = tuple(
        (n - 1) * s - 2 * p + d * (k - 1) + o + 1
        for n, s, p, d, k, o in zip(hw_in, stride, pad, dilation, W.shape[2:], opad)
    )
    if min(hw_out) < 1:
        raise ValueError(f"{op}: output size {hw_out} is too small (input shape {y.shape})")
    g = _Geometry(
        tuple(W.shape[2:]),
        stride,
        (pad[0], pad[0], pad[1], pad[1]),
        dilation,
        groups,
        hw_out,
        hw_in,
    )
    fn = Deconvolution(g, cout)
    x = fn(y, W) if b is None else fn(y, W, b)
    return x.squeeze(0) if added else x


def conv_transpose1d(
    input,  # noqa: A002
    weight,
    bias=None,
    stride=1,
    padding=0,
    output_padding=0,
    groups=1,
    dilation=1,
) -> Tensor:
    """1-D transposed convolution, as ``torch.nn.functional.conv_transpose1d``: a
    conv_transpose2d over a height of 1. input (N, Cin, L) or (Cin, L); weight
    (Cin, Cout/groups, k); bias (Cout,)."""
    return _conv_transpose1d(
        "conv_transpose1d", input, weight, bias, stride, padding, output_padding, groups, dilation
    )


def _conv_transpose1d(op, input, weight, bias, stride, padding, output_padding, groups, dilation):  # noqa: A002
    y, W = as_tensor(input), as_tensor(weight)
    if y.ndim not in (2, 3) or W.ndim != 3:
        raise ValueError(
            f"{op}: expected a 2-D or 3-D input and a 3-D weight, got shapes "
            f"{tuple(y.shape)} and {tuple(W.shape)}"
        )

    def lift(v, name, fill):  # (k,) → (fill, k): a height of 1
        return v if isinstance(v, str) else (fill,) + _tuple(v, 1, name, op)

    x = _conv_transpose2d(
        op,
        y.unsqueeze(-2),
        W.unsqueeze(2),
        bias,
        lift(stride, "stride", 1),
        lift(padding, "padding", 0),
        lift(output_padding, "output_padding", 0),
        groups,
        lift(dilation, "dilation", 1),
    )
    return x.squeeze(-2)


__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]
