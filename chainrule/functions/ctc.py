"""Connectionist temporal classification loss (Graves et al., 2006): ``ctc_loss``, as torch's.

For one sample with log-probabilities x (T, C), target l = (l₁, …, l_L) and blank b, the
extended target l' = (b, l₁, b, l₂, …, b, l_L, b) has 2L + 1 states. The forward variables, in
log space (lse the log-sum-exp),

    α₀(0) = x₀[b],   α₀(1) = x₀[l₁],
    αₜ(s) = xₜ[l'ₛ] + lse(αₜ₋₁(s), αₜ₋₁(s − 1), αₜ₋₁(s − 2) if l'ₛ ≠ l'ₛ₋₂),

sum the probabilities of the alignments that reach state s at time t, and the loss is
ℓ = −lse(α_{T−1}(2L), α_{T−1}(2L − 1)). The backward variables β run the same recursion from
the end, so αₜ(s) + βₜ(s) − xₜ[l'ₛ] is the log-probability of the alignments through s at t, and

    ∂ℓ/∂xₜ[c] = −exp(lse_{s: l'ₛ = c}(αₜ(s) + βₜ(s)) + ℓ − xₜ[c]).

Like torch, the gradient returned adds exp(xₜ[c]): it is the gradient with respect to the logits
z when x = log_softmax(z). Through log_softmax both give the same gradient (the added term sums
to 1 over c, as the other does to −1, and log_softmax's backward removes that sum), so only a
caller differentiating with respect to x itself sees the difference, and sees torch's numbers.
Like torch's, this gradient has no derivative of its own.
"""

from __future__ import annotations

from .. import backend
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor, as_tensor
from .loss_class import _reduction

_np = backend.np
_NINF = float("-inf")


def _lse(xp, *arrays):
    """log Σ exp over ``arrays`` (element-wise), −inf where every term is −inf."""
    m = arrays[0]
    for a in arrays[1:]:
        m = xp.maximum(m, a)
    m = xp.where(m == _NINF, 0, m)  # all −inf: subtract 0, so no −inf − (−inf) = NaN
    s = xp.exp(arrays[0] - m)
    for a in arrays[1:]:
        s = s + xp.exp(a - m)
    with _np.errstate(divide="ignore"):  # log 0 = −inf is meant (NumPy warns, a GPU doesn't)
        return xp.log(s) + m


def _shifted(xp, a, k):
    """``a`` (N, S) moved k states along s: a[:, s − k], −inf where s − k is out of range."""
    n, s = a.shape
    pad = xp.full((n, abs(k)), _NINF, dtype=a.dtype)
    if k > 0:
        return xp.concatenate([pad, a], 1)[:, :s]
    return xp.concatenate([a, pad], 1)[:, -k:]


class CTCLoss(Function):
    """Per-sample CTC losses ℓₙ (N,) of log-probabilities x (T, N, C), by the α–β recursion
    above, vectorised over the batch; ∂ℓₙ/∂xₜ,ₙ[c] = exp(xₜ,ₙ[c]) − exp(lse_{s: l'ₛ = c}(αₜ(s)
    + βₜ(s)) + ℓₙ − xₜ,ₙ[c]) for t < Tₙ, and 0 for t ≥ Tₙ (and for ℓₙ = ∞ with
    ``zero_infinity``, which also makes that loss 0)."""

    def __init__(self, ext, input_lengths, target_lengths, zero_infinity):
        self.ext = ext  # (N, 2L + 1) extended targets, on the input's device
        self.il, self.tl = input_lengths, target_lengths  # host int64 (N,)
        self.zero_infinity = zero_infinity

    def forward(self, x):
        xp = get_array_module(x)
        T, N, _ = x.shape
        S = self.ext.shape[1]
        s = xp.arange(S).reshape(1, S)
        tl = xp.asarray(self.tl).reshape(N, 1)
        ext = self.ext
        self.valid = s < 2 * tl + 1
        prev2 = xp.concatenate([ext[:, :1], ext[:, :1], ext[:, :-2]], 1)[:, :S]
        self.skip = (s >= 2) & (ext != prev2)  # by position, as torch: a blank never differs
        xe = xp.take_along_axis(x, xp.broadcast_to(ext, (T, N, S)), axis=2)  # xₜ[l'ₛ]
        alpha = xp.empty((T, N, S), dtype=x.dtype)
        a = xp.where(self.valid & (s < 2), xe[0], _NINF)
        alpha[0] = a
        for t in range(1, T):
            two = xp.where(self.skip, _shifted(xp, a, 2), _NINF)
            a = xp.where(self.valid, xe[t] + _lse(xp, a, _shifted(xp, a, 1), two), _NINF)
            alpha[t] = a
        il = xp.asarray(self.il)
        last = alpha[xp.maximum(il - 1, 0), xp.arange(N)]  # α_{Tₙ−1}, (N, S)
        end = xp.take_along_axis(last, 2 * tl, axis=1)[:, 0]
        end1 = xp.take_along_axis(last, xp.maximum(2 * tl - 1, 0), axis=1)[:, 0]
        nll = -_lse(xp, end, xp.where(tl[:, 0] > 0, end1, _NINF))
        # no frames: the empty target has probability 1, any other 0 (as torch)
        nll = xp.where(il == 0, xp.where(tl[:, 0] == 0, 0, float("inf")), nll).astype(x.dtype)
        self.alpha, self.xe, self.nll = alpha, xe, nll
        self.save_for_backward(x)
        if self.zero_infinity:
            return xp.where(xp.isinf(nll), 0, nll).astype(x.dtype)
        return nll

    def _beta(self, xp, T, N, S):
        """The backward variables βₜ(s), (T, N, S): β_{Tₙ−1}(s) = x[l'ₛ] at the two final
        states, then βₜ(s) = xₜ[l'ₛ] + lse(βₜ₊₁(s), βₜ₊₁(s + 1), βₜ₊₁(s + 2) if l'ₛ₊₂ may
        skip)."""
        s = xp.arange(S).reshape(1, S)
        tl = xp.asarray(self.tl).reshape(N, 1)
        il = xp.asarray(self.il).reshape(N, 1)
        final = (s == 2 * tl) | (s == 2 * tl - 1)
        skip2 = xp.concatenate([self.skip[:, 2:], xp.zeros((N, 2), dtype=bool)], 1)[:, :S]
        beta = xp.empty((T, N, S), dtype=self.xe.dtype)
        b = xp.full((N, S), _NINF, dtype=self.xe.dtype)
        for t in range(T - 1, -1, -1):
            xe = self.xe[t]
            two = xp.where(skip2, _shifted(xp, b, -2), _NINF)
            b_rec = xe + _lse(xp, b, _shifted(xp, b, -1), two)
            b = xp.where(il - 1 > t, b_rec, xp.where((il - 1 == t) & final, xe, _NINF))
            beta[t] = b
        return beta

    def _grad(self, gy):
        x = self.saved[0]
        x = x.data if isinstance(x, Tensor) else x  # create_graph swaps in the Tensor
        xp = get_array_module(x)
        T, N, C = x.shape
        S = self.ext.shape[1]
        ab = self.alpha + self._beta(xp, T, N, S)
        m = ab.max(axis=2, keepdims=True)
        m = xp.where(m == _NINF, 0, m)
        onehot = (self.ext.reshape(N, S, 1) == xp.arange(C)).astype(x.dtype)  # (N, S, C)
        sums = xp.matmul(xp.exp(ab - m).transpose(1, 0, 2), onehot).transpose(1, 0, 2)
        nll = self.nll.reshape(1, N, 1)
        with _np.errstate(divide="ignore", invalid="ignore"):  # ℓ = ∞: NaN, as torch
            g = xp.exp(x) - xp.exp(xp.log(sums) + m + nll - x)
        g = g * xp.asarray(gy).reshape(1, N, 1)
        live = xp.arange(T).reshape(T, 1, 1) < xp.asarray(self.il).reshape(1, N, 1)
        if self.zero_infinity:
            live = live & ~xp.isinf(nll)
        return xp.where(live, g, 0).astype(x.dtype, copy=False)

    def backward(self, gy):
        if isinstance(gy, Tensor):  # create_graph: record the gradient, with no derivative
            return _CTCGrad(self)(gy, self.inputs[0])
        return self._grad(gy)


class _CTCGrad(Function):
    """ctc_loss's gradient as an op of (gy, log_probs), so that a graph records it; like
    torch's, it has no derivative."""

    def __init__(self, ctc):
        self.ctc = ctc

    def forward(self, gy, x):
        return self.ctc._grad(gy)

    def backward(self, gg):
        raise RuntimeError("ctc_loss: the derivative of ctc_loss's gradient is not implemented")


def _lengths(v, name, n, op="ctc_loss"):
    """Lengths given as a tensor, array, sequence or int, as a host int64 array (n,)."""
    a = backend.to_host(as_tensor(v).data) if not isinstance(v, (list, tuple)) else None
    if a is None:
        a = _np.asarray(v)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{op}: {name} must be integers, got dtype {a.dtype}")
    if a.size != n or a.ndim > 1:
        raise ValueError(
            f"{op}: {name} must hold one length per batch element ({n}), got shape {a.shape}"
        )
    return a.reshape(n).astype(_np.int64)


def _padded_targets(targets, tl, blank, C, op="ctc_loss"):
    """Targets (N, S) padded, or concatenated (Σ tl,), as a host (N, max tl) array with the
    positions past each length set to blank; used entries checked to lie in [0, C) and to differ
    from blank (torch's docs forbid it; its gradient would not match its value)."""
    t = as_tensor(targets)
    td = backend.to_host(t.data)
    if td.dtype.kind == "f":  # torch takes floats holding indices
        td = td.astype(_np.int64)
    if td.dtype.kind not in "iu":
        raise TypeError(f"{op}: targets must be class indices, got dtype {td.dtype}")
    n, L = tl.shape[0], int(tl.max()) if tl.size else 0
    k = _np.arange(L).reshape(1, L)
    used = k < tl.reshape(n, 1)
    if td.ndim == 2:
        if td.shape[0] != n or td.shape[1] < L:
            raise ValueError(
                f"{op}: padded targets must have shape (N, S) with N = {n} and S at least the "
                f"longest target length {L}, got {tuple(td.shape)}"
            )
        pad = td[:, :L]
    elif td.ndim == 1:
        if td.shape[0] != int(tl.sum()):
            raise ValueError(
                f"{op}: concatenated targets must have sum(target_lengths) = {int(tl.sum())} "
                f"elements, got {td.shape[0]}"
            )
        start = _np.cumsum(tl) - tl
        pad = td[_np.where(used, start.reshape(n, 1) + k, 0)]
    else:
        raise ValueError(
            f"{op}: targets must be (N, S) padded or 1-D concatenated, got shape {tuple(td.shape)}"
        )
    pad = _np.where(used, pad, blank).astype(_np.int64)
    bad = (pad < 0) | (pad >= C)
    if bad.any():
        raise IndexError(f"{op}: target {int(pad[bad][0])} out of range for {C} classes")
    if (used & (pad == blank)).any():
        raise ValueError(f"{op}: targets must not contain the blank label {blank}")
    return pad


def ctc_loss(
    log_probs,
    targets,
    input_lengths,
    target_lengths,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> Tensor:
    """The CTC loss −ln p(l | x): the probability of target l summed over every alignment of it
    (with blanks and repeats) to the T frames of log-probabilities x.

    ``log_probs`` (T, N, C) or (T, C) unbatched, normally from log_softmax; ``targets`` (N, S)
    padded or 1-D, all targets concatenated; ``input_lengths`` and ``target_lengths`` (N,)
    (tensors or sequences of ints) say how many frames and labels each sample uses. A repeated
    label needs a blank between its two frames. 'mean' divides each loss by its target length
    (at least 1) and then averages; ``zero_infinity`` makes impossible alignments (ℓ = ∞) cost 0
    and have zero gradient.
    """
    op = "ctc_loss"
    reduction = _reduction(reduction, None, None, op)
    x = as_tensor(log_probs)
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: log_probs must be floating point, got dtype {x.dtype}")
    if x.ndim not in (2, 3):
        raise ValueError(
            f"{op}: log_probs must be (T, N, C) or unbatched (T, C), got shape {tuple(x.shape)}"
        )
    unbatched = x.ndim == 2
    if unbatched:
        x = x.unsqueeze(1)
    T, N, C = x.shape
    if x.numel() == 0:
        raise ValueError(f"{op}: log_probs must not be empty, got shape {tuple(x.shape)}")
    blank = int(blank)
    if not 0 <= blank < C:
        raise ValueError(f"{op}: blank must be in the label range [0, {C}), got {blank}")
    il = _lengths(input_lengths, "input_lengths", N)
    tl = _lengths(target_lengths, "target_lengths", N)
    for name, v in (("input_lengths", il), ("target_lengths", tl)):
        if (v < 0).any():
            raise ValueError(f"{op}: {name} must be non-negative, got {v.tolist()}")
    if (il > T).any():
        raise ValueError(
            f"{op}: input_lengths must be at most the number of frames T = {T}, got {il.tolist()}"
        )
    pad = _padded_targets(targets, tl, blank, C)
    ext = _np.full((N, 2 * pad.shape[1] + 1), blank, dtype=_np.int64)
    ext[:, 1::2] = pad
    ext = backend.to_device(ext, backend.device_of(x.data))
    loss = CTCLoss(ext, il, tl, bool(zero_infinity))(x)
    if reduction == "none":
        return loss.reshape(()) if unbatched else loss
    if reduction == "sum":
        return loss.sum()
    per_label = _np.maximum(tl, 1).astype(x.dtype)
    return (loss / backend.to_device(per_label, backend.device_of(x.data))).mean()


__all__ = ["ctc_loss"]
