"""Classification losses: binary cross-entropy (on probabilities and on logits), nll and
cross_entropy, with torch's options; and the ``reduction`` helpers ('none' | 'mean' | 'sum', or
the legacy ``size_average``/``reduce``) that every loss module shares.

nll_loss is a composition of differentiable ops, so its gradients (and gradients of gradients)
come for free. cross_entropy with class indices, and the two binary cross-entropies, are fused
ops with hand-written backward: they are hot, and fused they are also exact at the edges
(logits of ±1000, probabilities of 0 and 1).
"""

from __future__ import annotations

from .. import backend
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor, as_tensor
from .activation import _sigmoid, log_softmax, softmax
from .arithmetic import _log, clamp, number_arg

_REDUCTIONS = ("none", "mean", "sum")
_np = backend.np
_max, _sum = _np.maximum.reduce, _np.add.reduce


# ------------------------------------------------------------------ shared helpers
def _reduction(reduction, size_average, reduce, op, allowed=_REDUCTIONS):
    """The reduction string, from torch's legacy ``size_average``/``reduce`` if either is given."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "none" if not reduce else "mean" if size_average else "sum"
    if reduction not in allowed:
        names = ", ".join(repr(r) for r in allowed)
        raise ValueError(f"{op}: reduction must be one of {names}, got {reduction!r}")
    return reduction


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _float_pair(input, target, op):
    x, t = as_tensor(input), as_tensor(target)
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: input must be floating point, got dtype {x.dtype}")
    if t.dtype.kind != "f":
        t = t.to(x.dtype)
    return x, t


def _same_shape(x, t, op):
    if tuple(x.shape) != tuple(t.shape):
        raise ValueError(
            f"{op}: target shape {tuple(t.shape)} must match input shape {tuple(x.shape)}"
        )


# ------------------------------------------------------------------ binary cross-entropy
_BCE_EPS = 9.999999960041972e-13  # torch's floor on x (1 − x): 1e-12 as a float32


class BinaryCrossEntropy(Function):
    """ℓ = −w (y ln x + (1 − y) ln(1 − x)), each log clamped to ≥ −100 (as torch);
    ∂ℓ/∂x = w (x − y) / max(x (1 − x), 1e-12), ∂ℓ/∂y = w (ln(1 − x) − ln x)."""

    def __init__(self, weight):
        self.weight = weight

    def forward(self, x, t):
        xp = get_array_module(x)
        with backend.np.errstate(divide="ignore"):  # NumPy warns; a GPU never does
            logx = xp.maximum(xp.log(x), -100.0)
            log1mx = xp.maximum(xp.log1p(-x), -100.0)
        loss = -(t * logx + (1 - t) * log1mx)
        if self.weight is not None:
            loss = loss * self.weight
        self.save_for_backward(x, t)
        return loss.astype(x.dtype, copy=False)

    def backward(self, gy):
        x, t = self.saved
        nx, nt = self.needs_input_grad
        g = gy if self.weight is None else gy * self.weight
        gx = gt = None
        if nx:
            den = x * (1 - x)
            if isinstance(den, Tensor):
                den = clamp(den, min=_BCE_EPS)
            else:
                den = get_array_module(den).maximum(den, _BCE_EPS)
            gx = g * (x - t) / den
        if nt:
            if isinstance(x, Tensor):
                gt = g * (_log(1 - x) - _log(x))
            else:
                xp = get_array_module(x)
                with backend.np.errstate(divide="ignore"):
                    gt = g * (xp.log1p(-x) - xp.log(x))
        return gx, gt


def binary_cross_entropy(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean"
) -> Tensor:
    """−w (y ln x + (1 − y) ln(1 − x)) for probabilities x ∈ [0, 1]; logs clamped at −100."""
    op = "binary_cross_entropy"
    reduction = _reduction(reduction, size_average, reduce, op)
    x, t = _float_pair(input, target, op)
    _same_shape(x, t, op)
    if x.numel() and not bool(((x.data >= 0) & (x.data <= 1)).all()):
        bad = x.data[~((x.data >= 0) & (x.data <= 1))].reshape(-1)[0]
        raise ValueError(f"{op}: all elements of input should be between 0 and 1, got {bad}")
    w = _broadcast_weight(weight, x, op, "weight")
    return _reduce(BinaryCrossEntropy(w)(x, t), reduction)


def _softplus_neg(x):
    """ln(1 + e^(−x)) = max(−x, 0) + ln(1 + e^(−|x|)), exact for any x."""
    if isinstance(x, Tensor):
        return (-x).relu() + (-x.abs()).exp().log1p()
    xp = get_array_module(x)
    return xp.maximum(-x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


class BinaryCrossEntropyWithLogits(Function):
    """ℓ = w ((1 − y) x + (1 + (p − 1) y) ln(1 + e^(−x))), p the pos_weight;
    ∂ℓ/∂x = w ((1 − y) − (1 + (p − 1) y) σ(−x)), ∂ℓ/∂y = w ((p − 1) ln(1 + e^(−x)) − x)."""

    def __init__(self, weight, pos_weight):
        self.weight, self.pos_weight = weight, pos_weight

    def forward(self, x, t):
        sp = _softplus_neg(x)
        if self.pos_weight is None:
            loss = (1 - t) * x + sp
        else:
            loss = (1 - t) * x + (1 + (self.pos_weight - 1) * t) * sp
        if self.weight is not None:
            loss = loss * self.weight
        self.save_for_backward(x, t)
        return loss.astype(x.dtype, copy=False)

    def backward(self, gy):
        x, t = self.saved
        nx, nt = self.needs_input_grad
        g = gy if self.weight is None else gy * self.weight
        pw = self.pos_weight
        gx = gt = None
        if nx:
            s = _sigmoid(-x)  # σ(−x) = 1 − σ(x), without the cancellation
            lw = 1 if pw is None else (pw - 1) * t + 1
            gx = g * (1 - t - lw * s)
        if nt:
            gt = -g * x if pw is None else g * ((pw - 1) * _softplus_neg(x) - x)
        return gx, gt


def binary_cross_entropy_with_logits(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None
) -> Tensor:
    """Sigmoid and binary cross-entropy in one stable op on logits x (any magnitude):
    w ((1 − y) x + (1 + (p − 1) y) ln(1 + e^(−x))). ``pos_weight`` p weighs positives and
    broadcasts along the last (class) dimension."""
    op = "binary_cross_entropy_with_logits"
    reduction = _reduction(reduction, size_average, reduce, op)
    x, t = _float_pair(input, target, op)
    _same_shape(x, t, op)
    w = _broadcast_weight(weight, x, op, "weight")
    pw = _broadcast_weight(pos_weight, x, op, "pos_weight")
    return _reduce(BinaryCrossEntropyWithLogits(w, pw)(x, t), reduction)


def _broadcast_weight(weight, x, op, name):
    """A constant weight array in x's dtype that broadcasts against x, or None."""
    if weight is None:
        return None
    w = as_tensor(weight).data.astype(x.dtype)
    try:
        fits = get_array_module(w).broadcast_shapes(w.shape, tuple(x.shape)) == tuple(x.shape)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"{op}: {name} of shape {tuple(w.shape)} does not broadcast to input "
            f"shape {tuple(x.shape)}"
        )
    return w


# ------------------------------------------------------------------ classification
def _class_target(x, target, weight, ignore_index, op, want_min=False):
    """Check an index target for input x (N, C, d…) and return (target, weight array or None).

    Target must be (N, d…) integers in [0, C) or equal to ``ignore_index``.
    """
    t = as_tensor(target)
    C = x.shape[1]
    want = (x.shape[0],) + tuple(x.shape[2:])
    if tuple(t.shape) != want:
        raise ValueError(
            f"{op}: expected target of shape {want} for input of shape "
            f"{tuple(x.shape)}, got {tuple(t.shape)}"
        )
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: class-index target must be an integer tensor, got dtype {t.dtype}")
    td = t.data
    lo = 0
    # one reduction in the common case: seen unsigned, a negative target is huge
    if td.size and _unsigned(td).max() >= C:
        lo = td.min()
        bad = ((td < 0) | (td >= C)) & (td != ignore_index)
        if bad.any():
            raise IndexError(
                f"{op}: target {int(td[bad].reshape(-1)[0])} out of range for {C} classes"
            )
    w = None
    if weight is not None:
        w = as_tensor(weight).data
        if tuple(w.shape) != (C,):
            raise ValueError(
                f"{op}: weight must have shape ({C},) (one per class), got {tuple(w.shape)}"
            )
        w = w.astype(x.dtype)
    return (td, w, lo) if want_min else (td, w)


def _unsigned(t):
    """An integer array seen as the unsigned type of its width (a view: no copy)."""
    return t if t.dtype.kind == "u" else t.view(f"u{t.dtype.itemsize}")


def _class_key(t):
    """Index arrays picking, for each sample (n, d…), element [n, t[n, d…], d…] of (N, C, d…)."""
    xp = get_array_module(t)
    key = []
    for i, n in enumerate(t.shape):
        shape = [1] * t.ndim
        shape[i] = n
        key.append(xp.arange(n).reshape(shape))
    key.insert(1, t)
    return tuple(key)


def _target_weights(t, w, ignore_index, dtype):
    """(safe target, per-sample weight w[t], 0 where ignored; valid mask)."""
    xp = get_array_module(t)
    valid = t != ignore_index
    safe = xp.where(valid, t, 0)
    wt = (w[safe] if w is not None else xp.ones(t.shape, dtype=dtype)) * valid
    return safe, wt.astype(dtype, copy=False), valid


def _batched(x, t, op, prob):
    """Unbatched input (C,) with target () — or (C,) probabilities — as a batch of one."""
    if x.ndim == 0:
        raise ValueError(f"{op}: input must have a class dimension, got a 0-d tensor")
    if x.ndim == 1:
        return x.reshape(1, -1), (t.reshape(1, -1) if prob else t.reshape(1)), True
    return x, t, False


def nll_loss(
    input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"
) -> Tensor:
    """Negative log-likelihood of class indices: −w[t] x[n, t[n]], for log-probabilities x
    (N, C, d…) and targets (N, d…). 'mean' divides by Σ w[t] over targets not ignored."""
    op = "nll_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    x = as_tensor(input)
    if x.dtype.kind != "f":
        raise TypeError(
            f"{op}: input must be floating point (log-probabilities), got dtype {x.dtype}"
        )
    x, t, unbatched = _batched(x, as_tensor(target), op, prob=False)
    t, w = _class_target(x, t, weight, ignore_index, op)
    safe, wt, _ = _target_weights(t, w, ignore_index, x.dtype)
    loss = -(x[_class_key(safe)] * wt)
    if reduction == "mean":
        total = wt.sum()
        if not total:  # every target ignored: NaN (0/0), as torch, with a zero gradient
            return loss.sum() * 0.0 + float("nan")
        return loss.sum() / total
    if reduction == "sum":
        return loss.sum()
    return loss.reshape(()) if unbatched else loss


class CrossEntropy(Function):
    """log-softmax and nll in one op, with label smoothing ε over C classes:

        ℓₙ = (1 − ε) w[tₙ] (−ln pₙ,tₙ) + (ε / C) Σ_c w_c (−ln pₙ,c),     p = softmax(x)

    (0 for ignored targets). With gₙ the upstream gradient of ℓₙ,

        ∂L/∂xₙ,c = gₙ (pₙ,c aₙ − Bₙ,c),   aₙ = Σ_c Bₙ,c,
        Bₙ,c = (1 − ε) w[tₙ] [c = tₙ] + (ε / C) w_c.
    """

    def __init__(self, target, weight, ignore_index, smoothing, reduction, t_min=None, plain=None):
        self.target, self.weight = target, weight
        self.ignore_index, self.smoothing, self.reduction = ignore_index, smoothing, reduction
        self.t_min = t_min
        self.plain = plain  # None: the forward tells (True when the caller has checked)

    def _plain(self, x, t_min):
        """The common case, kept lean: (N, C) logits, mean over N, no weights, smoothing or
        ignored targets. Then ℓ = mean(ln Σ eˣ − x[t]) and ∂ℓ/∂x = (softmax(x) − onehot(t))/N."""
        t = self.target
        if self.weight is not None or self.smoothing or self.reduction != "mean":
            return False
        if x.ndim != 2 or not x.size or (self.ignore_index >= 0 and (t == self.ignore_index).any()):
            return False
        return self.ignore_index >= 0 or t_min >= 0

    def forward(self, x):
        xp = get_array_module(x)
        if self.plain is None:
            t_min = self.target.min() if self.t_min is None and self.target.size else self.t_min
            self.plain = self._plain(x, t_min)
        if self.plain:  # few NumPy calls: this is every classifier's loss
            n = x.shape[0]
            rows = self.rows = _row_starts(xp, n, x.shape[1])
            # element [n, t[n]] as a flat index: fast (in the rows' int64: uint64 + int64
            # would make floats)
            self.flat = rows + self.target.astype(rows.dtype, copy=False)
            if xp is _np:  # NumPy's reductions themselves, without their Python wrappers
                z = x - _max(x, 1, None, None, True)
                e = _np.exp(z)
                s = _sum(e, 1, None, None, True)
                loss = _sum(_np.log(s), None) - _sum(z.take(self.flat), None)
            else:
                z = x - x.max(axis=1, keepdims=True)
                e = xp.exp(z)
                s = e.sum(axis=1, keepdims=True)
                loss = xp.log(s).sum() - z.take(self.flat).sum()
            self.p = xp.divide(e, s, out=e)  # e is ours: the softmax in its place
            self.save_for_backward(x)
            return loss * (1.0 / n)
        eps, C = self.smoothing, x.shape[1]
        z = x - x.max(axis=1, keepdims=True) if x.size else x
        e = xp.exp(z)
        s = e.sum(axis=1, keepdims=True)
        logp = z - xp.log(s)
        self.p = e / s
        safe, wt, valid = _target_weights(self.target, self.weight, self.ignore_index, x.dtype)
        self.key, self.wt, self.valid = _class_key(safe), wt, valid
        loss = -logp[self.key] * wt
        if eps:
            lw = logp if self.weight is None else logp * self._wb(x.ndim)
            loss = loss * (1 - eps) - lw.sum(axis=1) * valid * (eps / C)
        self.save_for_backward(x)
        if self.reduction == "none":
            return loss
        total = loss.sum()
        if self.reduction == "sum":
            return total
        self.total_w = wt.sum()
        with backend.np.errstate(invalid="ignore", divide="ignore"):
            return total / self.total_w

    def _wb(self, ndim):
        """The class weights shaped (1, C, 1, …) to broadcast along the class axis."""
        return self.weight.reshape((1, -1) + (1,) * (ndim - 2))

    def backward(self, gy):
        (x,) = self.saved
        if self.plain and not isinstance(x, Tensor):
            g = gy * (1.0 / x.shape[0])
            gx = self.p * g
            gx.reshape(-1)[self.flat] -= g
            return gx
        if self.plain:  # a differentiable backward: the general formula's ingredients
            xp = get_array_module(x.data)
            self.wt = xp.ones(self.target.shape, dtype=x.dtype)
            self.valid = xp.ones(self.target.shape, dtype=bool)
            self.key = (xp.arange(self.target.shape[0]), self.target)
            self.total_w = self.wt.sum()
        xp = get_array_module(self.wt)
        eps, C = self.smoothing, self.p.shape[1]
        dtype = self.p.dtype
        wt = self.wt * (1 - eps)
        B = xp.zeros(self.p.shape, dtype=dtype)
        if eps:
            valid = xp.expand_dims(self.valid, 1) * (eps / C)
            B += valid if self.weight is None else valid * self._wb(B.ndim)
        B[self.key] += wt
        a = xp.expand_dims(B.sum(axis=1), 1)
        p = softmax(x, dim=1) if isinstance(x, Tensor) else self.p
        if self.reduction == "none":
            g = gy.reshape(B.shape[:1] + (1,) + B.shape[2:])
        elif self.reduction == "sum":
            g = gy
        elif self.total_w:
            g = gy * (1 / self.total_w)
        else:  # every target ignored: the loss is NaN (0/0) and, as torch's, its gradient 0
            g = gy * 0
        return (p * a - B) * g


_ROW_STARTS: dict = {}


def _row_starts(xp, n, c):
    """[0, c, 2c, ...]: where each row of an (n, c) array starts, cached (same every step)."""
    key = (xp.__name__, n, c)
    r = _ROW_STARTS.get(key)
    if r is None:
        if len(_ROW_STARTS) > 64:
            _ROW_STARTS.clear()
        r = _ROW_STARTS[key] = xp.arange(n) * c
    return r


def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
    label_smoothing=0.0,
) -> Tensor:
    """Cross-entropy between softmax(input) over the class axis 1 and the target.

    ``input`` (N, C, d…) or (C,) holds logits. ``target`` holds class indices (N, d…), or class
    probabilities of the input's shape. With indices, ``weight`` w (C,) rescales each class,
    targets equal to ``ignore_index`` count for nothing, and 'mean' divides by Σ w[t]. With
    ``label_smoothing`` ε the target mixes (1 − ε) of itself with ε spread uniformly.

    >>> cross_entropy(cr.tensor([[2.0, 0.0]]), cr.tensor([0]))     # −ln softmax = ln(1 + e⁻²)
    tensor(0.1269)
    """
    if (  # the usual call, (N, C) logits and N class indices, checked in a few steps
        type(input) is Tensor
        and type(target) is Tensor
        and weight is None
        and ignore_index == -100
        and reduction == "mean"
        and type(label_smoothing) is float
        and label_smoothing == 0.0
        and size_average is None
        and reduce is None
    ):
        xd, td = input.data, target.data
        if (
            xd.ndim == 2
            and td.ndim == 1
            and xd.dtype.kind == "f"
            and td.dtype.kind in "iu"
            and td.shape[0] == xd.shape[0]
            and xd.size
            and _unsigned(td).max() < xd.shape[1]  # also no negatives (no ignore_index)
        ):
            return CrossEntropy(td, None, -100, 0.0, "mean", 0, plain=True)(input)
    op = "cross_entropy"
    reduction = _reduction(reduction, size_average, reduce, op)
    label_smoothing = number_arg(label_smoothing, op, "label_smoothing")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"{op}: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}"
        )
    x, t = as_tensor(input), as_tensor(target)
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: input must be floating point (logits), got dtype {x.dtype}")
    prob = t.dtype.kind == "f"
    x, t, unbatched = _batched(x, t, op, prob)
    if prob:
        if ignore_index != -100:
            raise ValueError(
                f"{op}: ignore_index is not supported for probability targets, got "
                f"ignore_index={ignore_index}"
            )
        loss = _cross_entropy_prob(x, t, weight, label_smoothing, reduction)
    else:
        t, w, lo = _class_target(x, t, weight, ignore_index, op, want_min=True)
        loss = CrossEntropy(t, w, ignore_index, label_smoothing, reduction, lo)(x)
    return loss.reshape(()) if unbatched and reduction == "none" else loss


def _cross_entropy_prob(x, t, weight, eps, reduction):
    """−Σ_c w_c y_c ln softmax(x)_c with probability targets y; 'mean' divides by N·d…."""
    op = "cross_entropy"
    if tuple(t.shape) != tuple(x.shape):
        raise ValueError(
            f"{op}: probability target of shape {tuple(t.shape)} must match input "
            f"shape {tuple(x.shape)}"
        )
    C = x.shape[1]
    if t.dtype != x.dtype:
        t = t.to(x.dtype)
    logp = log_softmax(x, dim=1)
    if eps:
        t = t * (1 - eps) + eps / C
    prod = logp * t
    if weight is not None:
        w = as_tensor(weight).data
        if tuple(w.shape) != (C,):
            raise ValueError(
                f"{op}: weight must have shape ({C},) (one per class), got {tuple(w.shape)}"
            )
        prod = prod * w.astype(x.dtype).reshape((1, C) + (1,) * (x.ndim - 2))
    if reduction == "none":
        return -prod.sum(dim=1)
    if reduction == "sum":
        return -prod.sum()
    n = x.numel() // C if C else 0
    return -prod.sum() / (n if n else float("nan"))


__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "nll_loss",
    "cross_entropy",
]
