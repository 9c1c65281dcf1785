"""Attention: ``scaled_dot_product_attention`` and ``multi_head_attention_forward``.

Scaled dot-product attention of queries Q (..., L, E) over keys K (..., S, E) and values
V (..., S, Ev), with an additive bias B (−∞ where a position may not be attended),

    A = softmax(Q Kᵀ · s + B),    y = A V,    s = 1/√E by default.

Both are compositions of differentiable ops (matmul, softmax, where, dropout), so gradients,
and gradients of gradients, follow from theirs: with P = Q Kᵀ s + B and g = ∂L/∂y,

    ∂L/∂V = Aᵀ g,   ∂L/∂P = A ⊙ (g Vᵀ − rowsum(A ⊙ g Vᵀ)),   ∂L/∂Q = s ∂L/∂P K,
    ∂L/∂K = s (∂L/∂P)ᵀ Q.

A row whose every score is −∞ (fully masked) attends to nothing: its output is 0, as torch's.
"""

from __future__ import annotations

import math

from .. import backend
from ..tensor import Tensor, as_tensor
from .activation import softmax
from .dropout import dropout
from .linear import linear
from .shape import cat, pad

_NEG_INF = float("-inf")


def _constant(array) -> Tensor:
    return Tensor(array)


def _check_mask_dtype(mask, dtype, op, name):
    if mask.dtype.kind == "b":
        return
    if mask.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be bool or floating point, got dtype {mask.dtype}")
    if mask.dtype != dtype:
        raise TypeError(
            f"{op}: a float {name} must have the query's dtype {dtype}, got {mask.dtype}"
        )


def _safe_softmax(scores: Tensor) -> Tensor:
    """softmax over the last dim, with rows that are all −∞ giving 0 (and gradient 0), not
    NaN."""
    dead = (scores == _NEG_INF).all(dim=-1, keepdim=True)
    return softmax(scores.masked_fill(dead, 0.0), -1).masked_fill(dead, 0.0)


def _repeat_heads(x: Tensor, r: int) -> Tensor:
    """x (..., H, S, E) → (..., H·r, S, E), each head repeated r times in a row (as
    ``repeat_interleave(r, dim=-3)``)."""
    if r == 1:
        return x
    *lead, H, S, E = x.shape
    y = x.unsqueeze(-3).expand(*lead, H, r, S, E)
    return y.reshape(*lead, H * r, S, E)


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """y = dropout(softmax(Q Kᵀ · scale + B)) V.

    query (..., L, E), key (..., S, E), value (..., S, Ev) → (..., L, Ev); the leading dims
    broadcast. ``attn_mask`` broadcasts to (..., L, S): bool (True = may attend; False adds
    −∞) or float (added to the scores). ``is_causal`` masks j > i (top-left aligned, as
    torch) and excludes ``attn_mask``. ``scale`` defaults to 1/√E. ``dropout_p`` is applied
    to the attention weights whenever it is > 0 (there is no training flag, as in torch).
    ``enable_gqa``: query has Hq heads on dim −3 and key/value Hk; each key/value head serves
    Hq/Hk consecutive query heads.
    """
    op = "scaled_dot_product_attention"
    q, k, v = as_tensor(query), as_tensor(key), as_tensor(value)
    for name, t in (("query", q), ("key", k), ("value", v)):
        if t.ndim < 2:
            raise ValueError(f"{op}: {name} must have at least 2 dims, got shape {t.shape}")
        if t.dtype.kind != "f":
            raise TypeError(f"{op}: {name} must be floating point, got dtype {t.dtype}")
    if not (q.dtype == k.dtype == v.dtype):
        raise TypeError(
            f"{op}: query, key and value must have the same dtype, got {q.dtype}, {k.dtype} "
            f"and {v.dtype}"
        )
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"{op}: query and key must have the same last dimension, got {q.shape} and {k.shape}"
        )
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"{op}: key and value must have the same sequence length (dim -2), got {k.shape} "
            f"and {v.shape}"
        )
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{op}: dropout_p must be in [0, 1], got {dropout_p}")
    if is_causal and attn_mask is not None:
        raise ValueError(f"{op}: attn_mask must not be given when is_causal=True")
    if enable_gqa:
        if q.ndim < 3 or k.ndim < 3 or v.ndim < 3:
            raise ValueError(
                f"{op}: enable_gqa needs a heads dim (-3), got shapes {q.shape}, {k.shape}, "
                f"{v.shape}"
            )
        Hq, Hk, Hv = q.shape[-3], k.shape[-3], v.shape[-3]
        if Hk != Hv or Hk == 0 or Hq % Hk:
            raise ValueError(
                f"{op}: with enable_gqa the query heads ({Hq}) must be a multiple of the "
                f"key heads ({Hk}), which must equal the value heads ({Hv})"
            )
        k, v = _repeat_heads(k, Hq // Hk), _repeat_heads(v, Hq // Hk)
    L, S = q.shape[-2], k.shape[-2]
    s = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    scores = (q @ k.transpose(-2, -1)) * s
    masked = False
    if is_causal:
        xp = backend.get_array_module(q.data)
        scores = scores.masked_fill(_constant(~xp.tri(L, S, dtype=bool)), _NEG_INF)
        masked = True
    elif attn_mask is not None:
        mask = as_tensor(attn_mask)
        _check_mask_dtype(mask, q.dtype, op, "attn_mask")
        try:
            backend.np.broadcast_shapes(tuple(mask.shape), tuple(scores.shape))
        except ValueError:
            raise ValueError(
                f"{op}: attn_mask of shape {mask.shape} does not broadcast to the scores' "
                f"shape {scores.shape}"
            ) from None
        if mask.dtype.kind == "b":
            scores = scores.masked_fill(~mask, _NEG_INF)
        else:
            scores = scores + mask
        masked = True
    attn = _safe_softmax(scores) if masked else softmax(scores, -1)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p, training=True)
    return attn @ v


# ------------------------------------------------------------------ multi-head attention
def _float_mask(mask, dtype, op, name):
    """A bool mask (True = masked out) as an additive float mask (−∞ there, 0 elsewhere)."""
    if mask is None:
        return None
    mask = as_tensor(mask)
    if mask.dtype.kind == "b":
        xp = backend.get_array_module(mask.data)
        return _constant(xp.where(mask.data, dtype.type(_NEG_INF), dtype.type(0)))
    if mask.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be bool or floating point, got dtype {mask.dtype}")
    return mask


def multi_head_attention_forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool = True,
    key_padding_mask: Tensor | None = None,
    need_weights: bool = True,
    attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None,
    static_v: Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention, sequence first: query (L, N, E) or (L, E), key (S, N, Ek),
    value (S, N, Ev).

    Each head h attends with its own slice of the projections, q = x W_qᵀ + b_q (likewise k,
    v), y_h = softmax(q_h k_hᵀ/√(E/H) + mask) v_h, and the heads' outputs, concatenated, go
    through ``out_proj``. Masks: ``key_padding_mask`` (N, S) and ``attn_mask`` (L, S) or
    (N·H, L, S), bool (True = not attended) or float (added). ``is_causal`` is only a hint
    that ``attn_mask`` is causal, which must then be given. Returns (output (L, N, E), the
    attention weights (N, L, S) averaged over heads, (N, H, L, S), or None without
    ``need_weights``).
    """
    op = "multi_head_attention_forward"
    query, key, value = as_tensor(query), as_tensor(key), as_tensor(value)
    batched = query.ndim == 3
    if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
        raise ValueError(
            f"{op}: query, key and value must all be 3-D (seq, batch, feature) or all 2-D "
            f"(seq, feature), got {query.shape}, {key.shape} and {value.shape}"
        )
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = as_tensor(key_padding_mask).unsqueeze(0)
    L, N, E = query.shape
    S = key.shape[0]
    if E != embed_dim_to_check:
        raise ValueError(f"{op}: expected embedding dimension {embed_dim_to_check}, got {E}")
    if num_heads <= 0 or E % num_heads:
        raise ValueError(f"{op}: embed_dim {E} is not divisible by num_heads {num_heads}")
    if key.shape[:2] != value.shape[:2] or key.shape[1] != N:
        raise ValueError(
            f"{op}: key {key.shape} and value {value.shape} must share (seq, batch), with the "
            f"query's batch {N}"
        )
    if is_causal and attn_mask is None:
        raise ValueError(
            f"{op}: is_causal is a hint that attn_mask is causal; attn_mask must be given "
            "(e.g. Transformer.generate_square_subsequent_mask)"
        )
    H, hd = num_heads, E // num_heads
    dt = query.dtype
    kpm = _float_mask(key_padding_mask, dt, op, "key_padding_mask")
    mask = _float_mask(attn_mask, dt, op, "attn_mask")
    if use_separate_proj_weight:
        bq = bk = bv = None
        if in_proj_bias is not None:
            bq, bk, bv = in_proj_bias.chunk(3)
        q = linear(query, q_proj_weight, bq)
        k = linear(key, k_proj_weight, bk)
        v = linear(value, v_proj_weight, bv)
    else:
        Wq, Wk, Wv = in_proj_weight.chunk(3)
        bq = bk = bv = None
        if in_proj_bias is not None:
            bq, bk, bv = in_proj_bias.chunk(3)
        q, k, v = linear(query, Wq, bq), linear(key, Wk, bk), linear(value, Wv, bv)
    if mask is not None:
        if mask.ndim == 2:
            if tuple(mask.shape) != (L, S):
                raise ValueError(
                    f"{op}: a 2-D attn_mask must have shape {(L, S)}, got {mask.shape}"
                )
            mask = mask.unsqueeze(0)
        elif mask.ndim == 3:
            if tuple(mask.shape) != (N * H, L, S):
                raise ValueError(
                    f"{op}: a 3-D attn_mask must have shape {(N * H, L, S)}, got {mask.shape}"
                )
        else:
            raise ValueError(f"{op}: attn_mask must be 2-D or 3-D, got shape {mask.shape}")
    if bias_k is not None and bias_v is not None:
        k = cat([k, bias_k.reshape(1, 1, E).expand(1, N, E)], 0)
        v = cat([v, bias_v.reshape(1, 1, E).expand(1, N, E)], 0)
        mask = None if mask is None else pad(mask, (0, 1))
        kpm = None if kpm is None else pad(kpm, (0, 1))
    elif (bias_k is None) != (bias_v is None):
        raise ValueError(f"{op}: bias_k and bias_v must be given together")
    q = q.reshape(L, N * H, hd).transpose(0, 1)
    k = static_k if static_k is not None else k.reshape(k.shape[0], N * H, hd).transpose(0, 1)
    v = static_v if static_v is not None else v.reshape(v.shape[0], N * H, hd).transpose(0, 1)
    if add_zero_attn:
        xp = backend.get_array_module(k.data)
        zeros = _constant(xp.zeros((N * H, 1, hd), dtype=dt))
        k, v = cat([k, zeros], 1), cat([v, zeros], 1)
        mask = None if mask is None else pad(mask, (0, 1))
        kpm = None if kpm is None else pad(kpm, (0, 1))
    S = k.shape[1]
    if kpm is not None:
        if tuple(kpm.shape) != (N, S):
            raise ValueError(f"{op}: key_padding_mask must have shape {(N, S)}, got {kpm.shape}")
        kpm = kpm.reshape(N, 1, 1, S).expand(N, H, 1, S).reshape(N * H, 1, S)
        mask = kpm if mask is None else mask + kpm
    if not training:
        dropout_p = 0.0
    if need_weights:
        scores = (q * math.sqrt(1.0 / hd)) @ k.transpose(-2, -1)
        if mask is not None:
            scores = scores + mask
        attn = softmax(scores, -1)
        if dropout_p > 0.0:
            attn = dropout(attn, dropout_p, training=True)
        y = (attn @ v).transpose(0, 1).reshape(L * N, E)
        y = linear(y, out_proj_weight, out_proj_bias).reshape(L, N, E)
        attn = attn.reshape(N, H, L, S)
        if average_attn_weights:
            attn = attn.mean(dim=1)
        if not batched:
            y, attn = y.squeeze(1), attn.squeeze(0)
        return y, attn
    if mask is not None:
        mask = mask.unsqueeze(0) if mask.shape[0] == 1 else mask.reshape(N, H, -1, S)
    y = scaled_dot_product_attention(
        q.reshape(N, H, L, hd),
        k.reshape(N, H, S, hd),
        v.reshape(N, H, S, hd),
        mask,
        dropout_p,
    )
    y = y.permute(2, 0, 1, 3).reshape(L * N, E)
    y = linear(y, out_proj_weight, out_proj_bias).reshape(L, N, E)
    if not batched:
        y = y.squeeze(1)
    return y, None


__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]
