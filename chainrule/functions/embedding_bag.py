"""embedding_bag: sums, means or maxima of bags of embedding rows, without materialising the
(bags, bag length, dim) lookup.

A bag b is a run of indices: row b of a 2-D input, or ``input[offsets[b]:offsets[b + 1]]``
of a 1-D input (the last bag runs to the end; with ``include_last_offset`` offsets carries
one more entry, the input's length, as in CSR). Entries equal to ``padding_idx`` are left out
of their bag.

    sum:   y_b = Σ_{i ∈ b} w_i W[idx_i]          (w = per_sample_weights, else 1)
    mean:  y_b = (1/|b|) Σ_{i ∈ b} W[idx_i]
    max:   y_b[d] = max_{i ∈ b} W[idx_i, d]       (ties: the first in the bag)

    ∂L/∂W[r] = Σ_{i ∈ b, idx_i = r} g_b · w_i (or /|b|),   ∂L/∂w_i = ⟨W[idx_i], g_b⟩;
    max: g_b[d] goes to W[idx_i*, d] for the arg-max i*.

An empty bag gives zeros (and no gradient). Every mode is a composition of the lookup
``embedding`` with differentiable gathers and scatter-adds, so gradients of gradients (which
torch does not implement for embedding_bag) come for free.
"""

from __future__ import annotations

from .. import backend
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor, as_tensor
from .embedding import _check_indices, _normalize_padding_idx, _renorm_, embedding
from .selection import Gather, _gather, _scatter_add

_MODES = ("sum", "mean", "max")


class BagSum(Function):
    """y[b] = Σ_{i: bag_i = b} E_i, the bag ids sorted (each bag one run of rows of E);
    ∂L/∂E_i = gy[bag_i], a gather (recorded when gy is a Tensor: double backward)."""

    def __init__(self, bag, counts):
        self.bag, self.counts = bag, counts

    def forward(self, E):
        xp = get_array_module(E)
        y = xp.zeros((self.counts.shape[0], E.shape[1]), dtype=E.dtype)
        if backend.is_gpu_array(E):
            backend.scatter_add(y, self.bag, E)
        elif E.shape[0]:  # NumPy: a sum per run, about twice as fast as add.at
            full = xp.flatnonzero(self.counts)
            y[full] = xp.add.reduceat(E, (xp.cumsum(self.counts) - self.counts)[full], axis=0)
        return y

    def backward(self, gy):
        return _gather(gy, (self.bag,))


def _int_array(a, xp, op, name):
    a = a.data if isinstance(a, Tensor) else a
    a = xp.asarray(a)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{op}: {name} must hold integers (long or int), got dtype {a.dtype}")
    return a


def _bags_of(idx, offsets, include_last_offset, xp, op):
    """(flat indices, bag id of each entry or -1 for none, number of bags)."""
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError(
                f"{op}: if input is 2-D, offsets has to be None (each row is a bag), "
                f"got offsets for input shape {idx.shape}"
            )
        B, N = idx.shape
        return idx.reshape(-1), xp.repeat(xp.arange(B), N), B
    if idx.ndim != 1:
        raise ValueError(f"{op}: input has to be 1-D or 2-D, got shape {idx.shape}")
    if offsets is None:
        raise ValueError(f"{op}: a 1-D input needs offsets (a 1-D tensor), got None")
    offsets = _int_array(offsets, xp, op, "offsets")
    if offsets.ndim != 1:
        raise ValueError(f"{op}: offsets has to be 1-D, got shape {offsets.shape}")
    n = idx.shape[0]
    if offsets.size == 0:  # torch crashes here; there is no first bag to start at 0
        raise ValueError(f"{op}: offsets is empty; it needs at least offsets[0] = 0")
    first, last = int(offsets[0]), int(offsets[-1])
    if first != 0:
        raise ValueError(f"{op}: offsets[0] has to be 0 (the first bag starts at 0), got {first}")
    if last > n:
        raise ValueError(
            f"{op}: offsets[-1] can not be greater than the input's length {n}, got {last}"
        )
    down = xp.flatnonzero(offsets[1:] < offsets[:-1])
    if down.size:
        k = int(down[0])
        raise ValueError(
            f"{op}: offsets must be non-decreasing, got offsets[{k}] = {int(offsets[k])} > "
            f"offsets[{k + 1}] = {int(offsets[k + 1])}"
        )
    B = offsets.size - 1 if include_last_offset else offsets.size
    # the last start at or before each position; entries past offsets[-1] fall into the last
    # bag with include_last_offset too, as torch's CPU kernel has it (CSR input has none)
    bag = xp.searchsorted(offsets[:B], xp.arange(n), side="right") - 1
    return idx, bag, B


def _first_argmax(E, bag, counts, full, xp):
    """(non-empty bags, D): the position in E (m, D) of each bag's first maximum, per column.
    A NaN counts as the maximum (it propagates, as in ``max``)."""
    starts = (xp.cumsum(counts) - counts)[full]
    m = E.shape[0]
    if not backend.is_gpu_array(E):  # NumPy: segment maxima, then the first place they occur
        mx = xp.maximum.reduceat(E, starts, axis=0)[(xp.cumsum(counts > 0) - 1)[bag]]
        hit = (E == mx) | ((mx != mx) & (E != E))
        pos = xp.where(hit, xp.arange(m)[:, None], m)
        return xp.minimum.reduceat(pos, starts, axis=0)
    # GPU: a stable sort by value (descending, NaN first), then by bag, puts each bag's first
    # maximum at the bag's start
    by_value = xp.argsort(xp.where(E != E, -xp.inf, -E), axis=0, kind="stable")
    by_bag = xp.argsort(bag[by_value], axis=0, kind="stable")
    return xp.take_along_axis(by_value, by_bag, axis=0)[starts]


def _bag_max(W, idx, bag, B, xp):
    """y[b, d] = W[idx_i*, d], i* the first arg-max of bag b along d; a gather from W, placed
    into zeros for the empty bags."""
    D = W.shape[1]
    counts = xp.bincount(bag, minlength=B)
    full = xp.flatnonzero(counts)  # the non-empty bags, in order
    first = xp.zeros((0, D), dtype=full.dtype)
    if full.size:
        first = _first_argmax(W.data[idx], bag, counts, full, xp)
    y = Gather((idx[first], xp.arange(D)[None, :]))(W)
    return y if full.size == B else _scatter_add(y, (full,), (B, D))


def embedding_bag(
    input: Tensor,
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """Sum, mean or max of bags of rows of ``weight`` (num_embeddings, embedding_dim).

    ``input`` (B, N): each row a bag, offsets None; or ``input`` (n,) with 1-D ``offsets``
    of the bag starts (B of them, or B + 1 with ``include_last_offset``). Output (B, dim) in
    weight's dtype. ``per_sample_weights`` (input's shape, weight's dtype) scales each entry
    (mode 'sum' only); ``padding_idx`` entries are skipped; ``max_norm`` renormalises the
    looked-up rows in place first; ``scale_grad_by_freq`` divides each row's gradient by the
    number of times it occurs in ``input`` (torch 2.13's CPU kernel miscounts mixed counts,
    pytorch#190063; this follows the documented rule, as torch's GPU kernel does).

    >>> embedding_bag(cr.tensor([0, 2, 1]), cr.eye(3), cr.tensor([0, 2]), mode="sum")
    tensor([[1., 0., 1.],
            [0., 1., 0.]])
    """
    op = "embedding_bag"
    W = as_tensor(weight)
    if W.ndim != 2:
        raise ValueError(
            f"{op}: weight must be 2-D (num_embeddings, embedding_dim), got shape {W.shape}"
        )
    if W.dtype.kind != "f":
        raise TypeError(f"{op}: weight must be floating point, got dtype {W.dtype}")
    if mode not in _MODES:
        raise ValueError(f"{op}: mode has to be one of sum, mean or max, got {mode!r}")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError(f"{op}: max mode does not support scaling the gradient by the frequency")
    if sparse:
        raise NotImplementedError(
            f"{op}: sparse=True gradients are not supported; use sparse=False (dense gradients)"
        )
    xp = get_array_module(W.data)
    idx = _int_array(input, xp, op, "input (indices)")
    if per_sample_weights is not None:
        psw = as_tensor(per_sample_weights)
        if psw.shape != idx.shape:
            raise ValueError(
                f"{op}: per_sample_weights must have the input's shape, got "
                f"{psw.shape} and {idx.shape}"
            )
        if mode != "sum":
            raise NotImplementedError(
                f"{op}: per_sample_weights is only supported for mode='sum', got mode={mode!r}"
            )
        if psw.dtype != W.dtype:
            raise TypeError(
                f"{op}: per_sample_weights must have weight's dtype {W.dtype}, got {psw.dtype}"
            )
    V, D = W.shape
    flat, bag, B = _bags_of(idx, offsets, include_last_offset, xp, op)
    _check_indices(flat, V, op)
    padding_idx = _normalize_padding_idx(padding_idx, V, op)
    if max_norm is not None:
        _renorm_(W, flat, max_norm, norm_type)
    keep = bag >= 0
    if padding_idx is not None:
        keep &= flat != padding_idx
    sel = xp.flatnonzero(keep)
    rows, bag = flat[sel], bag[sel]
    if mode == "max":
        return _bag_max(W, rows, bag, B, xp)
    E = embedding(rows, W, scale_grad_by_freq=scale_grad_by_freq)  # (m, D)
    counts = xp.bincount(bag, minlength=B)
    if per_sample_weights is not None:
        E = E * psw.reshape(-1)[sel].reshape(-1, 1)
    elif mode == "mean":
        E = E * (1.0 / counts[bag]).astype(W.dtype)[:, None]
    if idx.ndim == 2 and sel.size == flat.size:  # every row a full bag: a plain sum
        return E.reshape(B, idx.shape[1], D).sum(1)
    return BagSum(bag, counts)(E)


__all__ = ["embedding_bag"]
