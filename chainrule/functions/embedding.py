"""Embedding lookup, y = W[indices], rows of a table picked by integer indices; and one_hot,
the same lookup in an identity table (without gradient).

    y[..., :] = W[idx[...], :]        idx (...) integers, W (num_embeddings, dim), y (..., dim)
    ∂L/∂W[r] = Σ_{positions with idx = r} g[position]      (a scatter-add: repeats accumulate)

The row ``padding_idx`` gets no gradient.
"""

from __future__ import annotations

from .. import backend
from ..autograd.function import Function, bump_version
from ..autograd.grad_mode import no_grad
from ..backend import get_array_module
from ..tensor import Tensor, as_tensor
from .arithmetic import number_arg


class Embedding(Function):
    """y = W[idx]; the backward scatter-adds gy into the rows that were picked."""

    def __init__(self, idx, padding_idx, scale_grad_by_freq):
        self.idx, self.padding_idx, self.scale = idx, padding_idx, scale_grad_by_freq

    def forward(self, W):
        self.w_shape = W.shape
        return W[self.idx]

    def backward(self, gy):
        if isinstance(gy, Tensor):  # record the scatter, for double backward
            return EmbeddingBackward(self)(gy)
        return self.scatter(gy)

    def scatter(self, gy):
        """gW = rowscale · Σ_{positions p with idx_p = r} gy_p, as an array."""
        xp = get_array_module(gy)
        D = self.w_shape[1]
        flat = self.idx.reshape(-1)
        g2 = gy.reshape(-1, D)
        gW = xp.zeros(self.w_shape, dtype=gy.dtype)
        if flat.size * 4 < self.w_shape[0] or backend.is_gpu_array(gW):
            # few rows touched (or a GPU, whose atomic adds beat sorting): scatter-add in place
            backend.scatter_add(gW, flat, g2)
        elif flat.size:  # sort by row and sum each run: much faster than add.at
            order = xp.argsort(flat, kind="stable")
            rows = flat[order]
            starts = xp.flatnonzero(xp.concatenate(([True], rows[1:] != rows[:-1])))
            gW[rows[starts]] = xp.add.reduceat(g2[order], starts, axis=0)
        rowscale = self.rowscale(gy.dtype, self.scale)
        if rowscale is not None:
            gW *= rowscale
        return gW

    def rowscale(self, dtype, by_freq):
        """Per-row gradient factor (V, 1): 0 at padding_idx, 1/count if ``by_freq``."""
        if self.padding_idx is None and not by_freq:
            return None
        xp = get_array_module(self.idx)
        V = self.w_shape[0]
        s = xp.ones((V, 1), dtype=dtype)
        if by_freq:
            counts = xp.bincount(self.idx.reshape(-1), minlength=V)
            s[:, 0] = 1.0 / xp.maximum(counts, 1)
        if self.padding_idx is not None:
            s[self.padding_idx] = 0
        return s


class EmbeddingBackward(Function):
    """gy ↦ gW (Embedding's backward) as a differentiable op. Its own backward gathers:
    ggy = (ggW with the padding row zeroed)[idx], without the frequency scaling, as torch's
    embedding double backward (the scaling is already applied once on the path through the
    forward's lookup)."""

    def __init__(self, op):
        self.op = op

    def forward(self, gy):
        return self.op.scatter(gy)

    def backward(self, ggW):
        pad = self.op.rowscale(ggW.dtype, False)
        return (ggW if pad is None else ggW * pad)[self.op.idx]


def _check_indices(idx, num_embeddings, op):
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be integers (long or int), got dtype {idx.dtype}")
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        bad = hi if hi >= num_embeddings else lo
        if lo < 0 or hi >= num_embeddings:
            raise IndexError(
                f"{op}: index {bad} is out of range for num_embeddings="
                f"{num_embeddings} (valid: 0..{num_embeddings - 1})"
            )


def _normalize_padding_idx(padding_idx, num_embeddings, op):
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(
            f"{op}: padding_idx {padding_idx} must be within num_embeddings="
            f"{num_embeddings} (-{num_embeddings}..{num_embeddings - 1})"
        )
    return padding_idx % num_embeddings


def _renorm_(W, idx, max_norm, norm_type):
    """Rescale, in place and without gradient, the rows of W picked by ``idx`` whose
    ``norm_type``-norm exceeds ``max_norm`` to norm ``max_norm`` (torch's embedding_renorm_)."""
    xp = get_array_module(W.data)
    rows = xp.unique(idx.reshape(-1))
    sub = W.data[rows]
    norms = (
        xp.linalg.norm(sub, ord=norm_type, axis=1)
        if norm_type != 2
        else xp.sqrt((sub * sub).sum(axis=1))
    )
    over = norms > max_norm
    if over.any():
        with no_grad():
            scale = max_norm / (norms[over] + 1e-7)
            W.data[rows[over]] = sub[over] * scale[:, None].astype(W.dtype)
            bump_version(W)


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Look up rows of ``weight`` (num_embeddings, embedding_dim) at integer ``input`` (any
    shape); output (*input.shape, embedding_dim). The ``padding_idx`` row gets no gradient;
    ``max_norm`` renormalises the looked-up rows in place first; ``scale_grad_by_freq``
    divides each row's gradient by how often it occurs in ``input``.

    >>> embedding(cr.tensor([[0, 2]]), cr.eye(3)).shape
    (1, 2, 3)
    """
    W = as_tensor(weight)
    if W.ndim != 2:
        raise ValueError(
            f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape {W.shape}"
        )
    if sparse:
        raise NotImplementedError(
            "embedding: sparse=True gradients are not supported; use sparse=False (dense gradients)"
        )
    idx = input.data if isinstance(input, Tensor) else backend.asarray(input)
    V = W.shape[0]
    _check_indices(idx, V, "embedding")
    padding_idx = _normalize_padding_idx(padding_idx, V, "embedding")
    if max_norm is not None:
        _renorm_(W, idx, max_norm, norm_type)
    return Embedding(idx, padding_idx, scale_grad_by_freq)(W)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """y[..., c] = 1 if tensor[...] == c else 0: class indices (any shape) as int64 one-hot
    vectors, output (*tensor.shape, num_classes). ``num_classes=-1`` takes max(tensor) + 1.
    Any integer dtype is accepted (torch takes int64 only). Not differentiable.

    >>> one_hot(cr.tensor([0, 2]), 3)
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    op = "one_hot"
    idx = as_tensor(tensor).data
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: tensor must hold integer class indices, got dtype {idx.dtype}")
    num_classes = number_arg(num_classes, op, "num_classes")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int):
        raise TypeError(f"{op}: num_classes must be an int, got {num_classes!r}")
    lo = int(idx.min()) if idx.size else 0
    hi = int(idx.max()) if idx.size else -1
    if lo < 0:
        raise ValueError(f"{op}: class values must be non-negative, got {lo}")
    if num_classes < -1:
        raise ValueError(f"{op}: num_classes must be -1 or positive, got {num_classes}")
    if num_classes <= 0 and not idx.size:  # torch: no zero-width one-hot of nothing either
        raise ValueError(
            f"{op}: cannot infer the number of classes from an empty tensor of shape "
            f"{tuple(idx.shape)}; pass a positive num_classes"
        )
    if num_classes == -1:
        num_classes = hi + 1
    elif hi >= num_classes:
        raise ValueError(
            f"{op}: class values must be smaller than num_classes={num_classes}, got {hi}"
        )
    xp = get_array_module(idx)
    y = idx[..., None] == xp.arange(num_classes, dtype=idx.dtype)
    return Tensor(y.astype(backend.DEFAULT_INT))


__all__ = ["embedding", "one_hot"]
