"""Normalisation: batch_norm, layer_norm, group_norm, instance_norm; and rms_norm and
local_response_norm, which are compositions of differentiable ops.

The first four are one op: standardise x over some axes, then scale and shift per feature,

    x̂ = (x − μ) / √(σ² + ε),    y = γ x̂ + β,

with μ and σ² (the biased variance) taken over ``axes``. They differ only in which axes hold
the statistics (batch norm: every axis but the channel; layer norm: the trailing ones; group
norm: each group of channels; instance norm: each channel of each sample) and which axes
γ, β run along. One fused ``Normalize`` does them all; its backward, with g = ∂L/∂x̂ = γ ∂L/∂y
and m the number of elements per statistic, is

    ∂L/∂x = (1/σ̂) (g − mean(g) − x̂ mean(g x̂)),    σ̂ = √(σ² + ε),

and, when μ, σ² are fixed constants (batch norm in eval mode), simply ∂L/∂x = g / σ̂.
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import backend
from ..autograd.function import Function, bump_version
from ..backend import get_array_module
from ..tensor import Tensor, as_tensor
from .arithmetic import number_arg
from .rows import repeats
from .shape import pad, sum_to


class Normalize(Function):
    """y = γ x̂ + β, x̂ standardised over ``axes`` of x seen as shape ``view``.

    Inputs: x, γ (or None), β (or None); γ and β broadcast to x's shape as ``pshape``.
    ``stats`` = (μ, σ²) fixes the statistics (then they are constants); otherwise they are the
    batch's own, and ``self.mean``, ``self.var`` keep them for running averages.
    """

    def __init__(self, axes, eps, view, pshape, stats=None):
        self.axes, self.eps, self.view, self.pshape, self.stats = axes, eps, view, pshape, stats

    def forward(self, x, w, b):
        xp = get_array_module(x)
        xv = x.reshape(self.view)
        if self.stats is None:
            mean = xv.mean(axis=self.axes, keepdims=True)
            xc = xv - mean
            var = (xc * xc).mean(axis=self.axes, keepdims=True)
            self.mean, self.var = mean, var
        else:
            mean, var = self.stats
            xc = xv - mean
        invstd = 1.0 / xp.sqrt(var + self.eps)
        xhat = xc * invstd
        self.xhat, self.invstd = xhat, invstd
        self.b_shape = None if b is None else b.shape
        y = xhat.reshape(x.shape)
        if w is not None:
            y = y * w.reshape(self.pshape)
        if b is not None:
            y = y + b.reshape(self.pshape)
        self.save_for_backward(x, w)
        return y.astype(x.dtype, copy=False)

    def backward(self, gy):
        x, w = self.saved
        nx, nw, nb = self.needs_input_grad
        if isinstance(gy, Tensor):  # create_graph: rebuild x̂ and 1/σ̂ as graph ops of x
            xhat, invstd = self._recompute(x)
        else:
            xhat, invstd = self.xhat, self.invstd
        gw = gb = gx = None
        if nw:
            gw = sum_to(gy * xhat.reshape(gy.shape), self.pshape).reshape(w.shape)
        if nb:
            gb = sum_to(gy, self.pshape).reshape(self.b_shape)
        if nx:
            g = (gy if w is None else gy * w.reshape(self.pshape)).reshape(self.view)
            if self.stats is None:
                k = 1.0 / _count(self.view, self.axes)
                g_mean = g.sum(axis=self.axes, keepdims=True) * k
                gx_mean = (g * xhat).sum(axis=self.axes, keepdims=True) * k
                g = g - g_mean - xhat * gx_mean
            gx = (g * invstd).reshape(gy.shape)
        return gx, gw, gb

    def _recompute(self, x):
        xv = x.reshape(self.view)
        if self.stats is None:
            k = 1.0 / _count(self.view, self.axes)
            xc = xv - xv.sum(axis=self.axes, keepdims=True) * k
            var = (xc * xc).sum(axis=self.axes, keepdims=True) * k
            invstd = (var + self.eps) ** -0.5
            return xc * invstd, invstd
        mean, _ = self.stats
        return (xv - mean) * self.invstd, self.invstd


class BatchNormTrain(Normalize):
    """Batch norm with the batch's own statistics, in few passes over x.

    Per channel, with n = N·M values, μ and σ̂ = √(σ² + ε) from the batch and s = γ/σ̂:

        forward   xc = x − μ,  σ² = Σ xc² / n,  y = s·xc + β
        backward  ∂L/∂γ = Σ gy·xc / σ̂,  ∂L/∂β = Σ gy,
                  ∂L/∂x = s·(gy − ∂L/∂β / n) − xc · s·(∂L/∂γ)/(σ̂·n)

    (the general formula with g = γ·gy and x̂ = xc/σ̂ folded into per-channel factors). x is
    read in its own memory layout (``_Layout``), so nothing is copied and the output keeps
    x's layout. Four passes forward and six backward (Σ xc² and Σ gy·xc are fused ``dots``),
    where the general ``Normalize`` makes about twice as many over 4-d broadcasts. A
    differentiable backward (``create_graph``) takes ``Normalize``'s path.
    """

    def forward(self, x, w, b):
        xp = get_array_module(x)
        lay = self.layout = _Layout(x)
        v = lay.view(x)
        n = lay.N * lay.M
        mean = lay.sums(xp, v) / n
        xc = xp.subtract(lay.rows(v), lay.expand(xp, mean))
        var = lay.dots(xp, xc, xc) / n
        invstd = 1.0 / xp.sqrt(var + self.eps)
        self.mean, self.var = mean.reshape(self.pshape), var.reshape(self.pshape)
        self.xc, self.invstd3 = xc, invstd
        self.b_shape = None if b is None else b.shape
        scale = invstd if w is None else w * invstd
        y = xp.multiply(xc, lay.expand(xp, scale.astype(x.dtype, copy=False)))
        if b is not None:
            y += lay.expand(xp, b)
        self.save_for_backward(x, w)
        return lay.back(y)

    def backward(self, gy):
        if isinstance(gy, Tensor):
            return super().backward(gy)  # create_graph: through Normalize's recomputation
        x, w = self.saved
        nx, nw, nb = self.needs_input_grad
        xp = get_array_module(gy)
        xc, invstd, lay = self.xc, self.invstd3, self.layout
        g = lay.rows(lay.view(gy))  # gy in x's layout (copied only if it differs)
        n = lay.N * lay.M
        sum_gy = lay.sums(xp, g)
        gw_raw = lay.dots(xp, g, xc)  # Σ gy·xc = σ̂ · ∂L/∂γ
        gw = (gw_raw * invstd).astype(gy.dtype, copy=False) if nw else None
        gb = sum_gy.astype(gy.dtype, copy=False) if nb else None
        gx = None
        if nx:
            dt = gy.dtype
            s = invstd if w is None else w * invstd
            c = s * invstd * invstd * gw_raw / n
            gx = xp.subtract(g, lay.expand(xp, (sum_gy / n).astype(dt, copy=False)))
            gx *= lay.expand(xp, s.astype(dt, copy=False))
            gx -= xp.multiply(xc, lay.expand(xp, c.astype(dt, copy=False)))
            gx = lay.back(gx)
        self.xc = None
        return gx, gw, gb


class _Layout:
    """How ``BatchNormTrain`` reads x (N, C, *) without copying it: as (N, M, C) when its
    memory is channels-last (a convolution's output is, and so is any (N, C) input), else as
    (N, C, M); M is the product of the spatial sizes.

    ``sums`` totals per channel, per sample over the contiguous axis (a batched product with
    ones) and then over the batch, so each float32 accumulation is M long, not N·M.
    Elementwise work runs on ``rows``, a 2-D view whose rows are long runs of whole channels,
    against a per-channel vector that ``expand`` lays out as one such row: NumPy broadcasts
    3× slower over a 32-long inner axis than over a long one (a (64, 784, 32) subtraction:
    1.0 ms against 0.37).
    """

    def __init__(self, x):
        N, C = x.shape[0], x.shape[1]
        M = 1
        for d in x.shape[2:]:
            M *= d
        self.N, self.C, self.M, self.shape = N, C, M, x.shape
        self.perm = (0, *range(2, x.ndim), 1)
        self.last = x.ndim == 2 or x.transpose(self.perm).flags.c_contiguous
        if self.last:  # rows of k pixels × C channels
            self.k = repeats(M, C)
            self.row_shape = (N * M // self.k, self.k * C)
        self.column = not self.last and M >= 1024
        if self.column:  # rows of one channel's M values; the vector is a column
            self.row_shape = (N * C, M)
        elif not self.last:  # rows of one sample's C·M values
            self.row_shape = (N, C * M)

    def view(self, a):
        """a, of x's shape, as the C-contiguous (N, M, C) or (N, C, M) (copied if its memory
        is laid out otherwise)."""
        if self.last:
            t = a.transpose(self.perm)
            if not t.flags.c_contiguous:
                t = get_array_module(a).ascontiguousarray(t)
            return t.reshape(self.N, self.M, self.C)
        return a.reshape(self.N, self.C, self.M)

    def rows(self, v):
        return v.reshape(self.row_shape)

    def back(self, r):
        """``rows`` (or ``view``) of an array as (N, C, *) again, a view of the same memory."""
        if not self.last:
            return r.reshape(self.shape)
        s = self.shape
        t = r.reshape((s[0], *s[2:], s[1]))
        return t.transpose((0, t.ndim - 1, *range(1, t.ndim - 1)))

    def expand(self, xp, a):
        """The per-channel vector a (C,) shaped to broadcast against ``rows``."""
        if self.last:
            return xp.tile(a, self.k)
        if self.column:
            return xp.tile(a, self.N)[:, None]
        return xp.repeat(a, self.M)

    def sums(self, xp, a):
        """Per channel Σ a over an array in ``view`` or ``rows`` shape."""
        if self.last:  # (M,) @ (N, M, C): one batched product
            v = a.reshape(self.N, self.M, self.C)
            return xp.matmul(xp.ones(self.M, dtype=a.dtype), v).sum(axis=0)
        v = a.reshape(self.N, self.C, self.M)
        return xp.matmul(v, xp.ones(self.M, dtype=a.dtype)).sum(axis=0)

    def dots(self, xp, a, b):
        """Per channel Σ a·b over two arrays in ``rows`` shape. Channels-last, one ``einsum``
        down the long rows, with no product array (a (64·784, 32) pair: 0.65 ms against 1.3
        for product then ``sums``), then the row's k runs folded."""
        if self.last:
            return xp.einsum("ij,ij->j", a, b).reshape(self.k, self.C).sum(axis=0)
        return self.sums(xp, a * b)


def _count(shape, axes):
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def _check_param(p, shape, op, name):
    if p is None:
        return None
    p = as_tensor(p)
    if tuple(p.shape) != tuple(shape):
        raise ValueError(f"{op}: {name} must have shape {tuple(shape)}, got {tuple(p.shape)}")
    return p


def _check_channels(op, x, running_mean, running_var, weight, bias):
    """Check the per-channel running buffers and parameters against x's C = x.shape[1];
    returns (weight, bias) as ``_check_param`` gives them."""
    C = x.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and tuple(t.shape) != (C,):
            raise ValueError(
                f"{op}: {name} must have shape ({C},) for input of shape "
                f"{tuple(x.shape)}, got {tuple(t.shape)}"
            )
    return _check_param(weight, (C,), op, "weight"), _check_param(bias, (C,), op, "bias")


def _float_input(x, op):
    x = as_tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: input must be floating point, got dtype {x.dtype}")
    return x


# ------------------------------------------------------------------ public functions
def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalisation over every axis but the channel axis 1 of ``input`` (N, C, *).

    Training: y = γ (x − μ_B) / √(σ²_B + ε) + β with the batch mean and *biased* variance;
    the running buffers are updated in place, r ← (1 − momentum) r + momentum · s, with the
    *unbiased* batch variance for ``running_var`` (as torch). Eval: the running statistics
    replace the batch's.
    """
    op = "batch_norm"
    x = _float_input(input, op)
    momentum, eps = number_arg(momentum, op, "momentum"), number_arg(eps, op, "eps")
    if x.ndim < 2:
        raise ValueError(
            f"{op}: expected input of at least 2 dimensions (N, C, *), got shape {tuple(x.shape)}"
        )
    C = x.shape[1]
    weight, bias = _check_channels(op, x, running_mean, running_var, weight, bias)
    axes = (0,) + tuple(range(2, x.ndim))
    pshape = (1, C) + (1,) * (x.ndim - 2)
    if training:
        m = x.numel() // C if C else 0
        if m <= 1:
            raise ValueError(
                f"{op}: expected more than 1 value per channel when training, got "
                f"input of shape {tuple(x.shape)}"
            )
        fn = BatchNormTrain(axes, eps, x.shape, pshape)
        y = fn(x, weight, bias)
        if running_mean is not None:
            _update(running_mean, fn.mean.reshape(C), momentum)
        if running_var is not None:
            _update(running_var, fn.var.reshape(C) * (m / (m - 1)), momentum)
        return y
    if running_mean is None or running_var is None:
        raise ValueError(
            f"{op}: running_mean and running_var must be given in eval mode (training=False)"
        )
    stats = (
        running_mean.data.reshape(pshape).astype(x.dtype),
        running_var.data.reshape(pshape).astype(x.dtype),
    )
    return Normalize(axes, eps, x.shape, pshape, stats)(x, weight, bias)


def _update(running, stat, momentum):
    """running ← (1 − momentum) running + momentum · stat, in place on the buffer's array."""
    r = running.data
    r *= 1.0 - momentum
    r += (momentum * stat).astype(r.dtype, copy=False)
    bump_version(running)


def layer_norm(
    input: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Layer normalisation over the trailing ``normalized_shape`` dimensions of ``input``;
    γ and β have shape ``normalized_shape``."""
    op = "layer_norm"
    x = _float_input(input, op)
    eps = number_arg(eps, op, "eps")
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or x.ndim < k or tuple(x.shape[x.ndim - k :]) != shape:
        raise ValueError(
            f"{op}: normalized_shape={list(shape)} expects input of shape "
            f"(*, {', '.join(map(str, shape))}), got {tuple(x.shape)}"
        )
    weight = _check_param(weight, shape, op, "weight")
    bias = _check_param(bias, shape, op, "bias")
    axes = tuple(range(x.ndim - k, x.ndim))
    return Normalize(axes, eps, x.shape, shape)(x, weight, bias)


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Group normalisation: the C channels of ``input`` (N, C, *) split into ``num_groups``
    groups, each standardised over its channels and spatial positions; γ, β of shape (C,)."""
    op = "group_norm"
    x = _float_input(input, op)
    eps = number_arg(eps, op, "eps")
    if x.ndim < 2:
        raise ValueError(
            f"{op}: expected input of at least 2 dimensions (N, C, *), got shape {tuple(x.shape)}"
        )
    N, C = x.shape[:2]
    if num_groups <= 0 or C % num_groups:
        raise ValueError(
            f"{op}: {C} channels cannot be split into {num_groups} groups "
            f"(input shape {tuple(x.shape)})"
        )
    weight = _check_param(weight, (C,), op, "weight")
    bias = _check_param(bias, (C,), op, "bias")
    view = (N, num_groups, x.numel() // max(N * num_groups, 1))
    pshape = (1, C) + (1,) * (x.ndim - 2)
    return Normalize((2,), eps, view, pshape)(x, weight, bias)


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Instance normalisation: each (sample, channel) of ``input`` (N, C, *) standardised over
    its own spatial positions, y = γ_c (x − μ_nc) / √(σ²_nc + ε) + β_c.

    With ``use_input_stats`` the running buffers (if given) move towards the batch mean of the
    per-instance statistics (unbiased variance), r ← (1 − momentum) r + momentum · mean_n s_n;
    without it the running statistics replace the instance ones (as batch norm in eval).
    """
    op = "instance_norm"
    x = _float_input(input, op)
    momentum, eps = number_arg(momentum, op, "momentum"), number_arg(eps, op, "eps")
    if x.ndim < 3:
        raise ValueError(
            f"{op}: expected input of at least 3 dimensions (N, C, *), got shape {tuple(x.shape)}"
        )
    if not use_input_stats:
        return batch_norm(x, running_mean, running_var, weight, bias, False, momentum, eps)
    N, C = x.shape[:2]
    weight, bias = _check_channels(op, x, running_mean, running_var, weight, bias)
    m = x.numel() // (N * C) if N * C else 0
    if m <= 1:
        raise ValueError(
            f"{op}: expected more than 1 spatial element per instance when using input "
            f"statistics, got input of shape {tuple(x.shape)}"
        )
    pshape = (1, C) + (1,) * (x.ndim - 2)
    fn = Normalize((2,), eps, (N, C, m), pshape)
    y = fn(x, weight, bias)
    if running_mean is not None:
        _update(running_mean, fn.mean.reshape(N, C).mean(axis=0), momentum)
    if running_var is not None:
        _update(running_var, (fn.var.reshape(N, C) * (m / (m - 1))).mean(axis=0), momentum)
    return y


def rms_norm(
    input: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    eps: float | None = None,
) -> Tensor:
    """Root-mean-square normalisation over the trailing ``normalized_shape`` dims:

        y = γ · x / √(mean(x²) + ε),   ε = None: the machine epsilon of x's dtype.

    A composition of differentiable ops: with r = (mean(x²) + ε)^(−1/2) and g = γ ∂L/∂y,
    ∂L/∂x = r g − x r³ mean(g x), ∂L/∂γ = Σ ∂L/∂y · x r.
    """
    op = "rms_norm"
    x = _float_input(input, op)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or x.ndim < k or tuple(x.shape[x.ndim - k :]) != shape:
        raise ValueError(
            f"{op}: normalized_shape={list(shape)} expects input of shape "
            f"(*, {', '.join(map(str, shape))}), got {tuple(x.shape)}"
        )
    weight = _check_param(weight, shape, op, "weight")
    if eps is None:
        eps = float(backend.np.finfo(x.dtype).eps)
    eps = number_arg(eps, op, "eps")
    dims = tuple(range(x.ndim - k, x.ndim))
    y = x * ((x * x).mean(dim=dims, keepdim=True) + eps).rsqrt()
    return y if weight is None else y * weight


def local_response_norm(
    input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """Local response normalisation across channels of ``input`` (N, C, *):

        y_c = x_c / (k + α/n · Σ_{c' ∈ W(c)} x_{c'}²)^β,

    W(c) = [c − ⌊n/2⌋, c + ⌊(n−1)/2⌋] ∩ [0, C), n = ``size`` (zero padding, as torch). A
    composition of differentiable ops."""
    op = "local_response_norm"
    x = _float_input(input, op)
    if x.ndim < 3:
        raise ValueError(
            f"{op}: expected an input of 3 or more dimensions (N, C, *), got shape {tuple(x.shape)}"
        )
    if int(size) != size or size < 1:
        raise ValueError(f"{op}: size must be a positive integer, got {size}")
    if x.numel() == 0:
        return x
    N, C = x.shape[:2]
    sq = (x * x).reshape(N, C, -1)
    sq = pad(sq, (0, 0, size // 2, (size - 1) // 2))
    total = sq.narrow(1, 0, C)
    for i in range(1, size):
        total = total + sq.narrow(1, i, C)
    div = (total.reshape(x.shape) * (alpha / size) + k) ** beta
    return x / div


__all__ = [
    "batch_norm",
    "layer_norm",
    "group_norm",
    "instance_norm",
    "rms_norm",
    "local_response_norm",
]
