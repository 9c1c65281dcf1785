"""scaled_dot_product_attention and multi_head_attention_forward against torch: outputs,
gradients of every input, gradients of gradients; masks (bool, float, broadcast, fully
masked rows), causal, scale, grouped-query heads, dropout; gradcheck in float64."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import assert_close, check_against_torch, check_gradcheck, on_device
from torch.nn.attention import SDPBackend, sdpa_kernel

import chainrule as cr
from chainrule.functions.attention import (
    multi_head_attention_forward,
    scaled_dot_product_attention,
)


def torch_sdpa(*args, **kwargs):
    """torch's math kernel: its flash kernel (taken for 4-D inputs) has no double backward."""
    with sdpa_kernel(SDPBackend.MATH):
        return F.scaled_dot_product_attention(*args, **kwargs)


def torch_mha(*args, **kwargs):
    with sdpa_kernel(SDPBackend.MATH):
        return F.multi_head_attention_forward(*args, **kwargs)


SHAPES = [  # query, key, value
    ((3, 4), (5, 4), (5, 6)),
    ((2, 3, 4), (2, 5, 4), (2, 5, 2)),
    ((2, 2, 3, 4), (2, 2, 3, 4), (2, 2, 3, 4)),
    ((2, 1, 3, 4), (1, 2, 5, 4), (1, 2, 5, 3)),  # batch dims broadcast
    ((0, 4), (5, 4), (5, 3)),  # no queries (2-D: backend.matmul fails on 3-D empty sums)
]


@pytest.mark.parametrize("shapes", SHAPES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sdpa_matches_torch(shapes, dtype):
    check_against_torch(scaled_dot_product_attention, *shapes, torch_fn=torch_sdpa, dtype=dtype)


@pytest.mark.parametrize("L,S", [(3, 3), (3, 5), (5, 3)])
@pytest.mark.parametrize("scale", [None, 0.7])
def test_sdpa_causal_and_scale_match_torch(L, S, scale):
    """is_causal is top-left aligned: query i sees keys j ≤ i (for L > S every row sees some)."""
    check_against_torch(
        lambda q, k, v: scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale),
        (2, L, 4),
        (2, S, 4),
        (2, S, 3),
        torch_fn=lambda q, k, v: torch_sdpa(q, k, v, is_causal=True, scale=scale),
    )


@pytest.mark.parametrize("mask_shape", [(3, 5), (2, 1, 5), (2, 3, 5), (1, 5)])
@pytest.mark.parametrize("kind", ["bool", "float"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sdpa_masks_match_torch(mask_shape, kind, dtype):
    """Bool masks (True = attend) and additive float masks, broadcast; some rows are fully
    masked, which torch's math path turns into zeros (not NaN), gradients included."""
    rng = np.random.default_rng(1)
    if kind == "bool":
        mask = rng.random(mask_shape) < 0.6
        mask[..., 0, :] = False  # a fully masked row
    else:
        mask = rng.standard_normal(mask_shape).astype(dtype)
        mask[rng.random(mask_shape) < 0.3] = -np.inf
        mask[..., -1, :] = -np.inf
    check_against_torch(
        lambda q, k, v: scaled_dot_product_attention(q, k, v, on_device(mask)),
        (2, 3, 4),
        (2, 5, 4),
        (2, 5, 3),
        torch_fn=lambda q, k, v: torch_sdpa(q, k, v, torch.tensor(mask)),
        dtype=dtype,
    )


def test_sdpa_fully_masked_rows_are_zero_with_zero_gradient():
    q = on_device(np.ones((2, 3), np.float32)).requires_grad_()
    k = on_device(np.ones((4, 3), np.float32)).requires_grad_()
    v = on_device(np.arange(8, dtype=np.float32).reshape(4, 2)).requires_grad_()
    mask = np.ones((2, 4), bool)
    mask[1] = False
    y = scaled_dot_product_attention(q, k, v, on_device(mask))
    assert_close(y, np.array([[3.0, 4.0], [0.0, 0.0]], np.float32), "float32")
    y.sum().backward()
    assert np.all(np.isfinite(cr.backend.to_host(q.grad.data)))
    assert_close(v.grad, np.full((4, 2), 0.25, np.float32), "float32")


@pytest.mark.parametrize("Hq,Hk", [(4, 2), (3, 1), (2, 2)])
def test_sdpa_grouped_query_heads_match_torch(Hq, Hk):
    check_against_torch(
        lambda q, k, v: scaled_dot_product_attention(q, k, v, enable_gqa=True),
        (2, Hq, 3, 4),
        (2, Hk, 5, 4),
        (2, Hk, 5, 3),
        torch_fn=lambda q, k, v: torch_sdpa(q, k, v, enable_gqa=True),
    )


def test_sdpa_gradcheck():
    mask = np.random.default_rng(2).standard_normal((3, 5))
    check_gradcheck(
        lambda q, k, v: scaled_dot_product_attention(q, k, v, cr.tensor(mask), scale=0.4),
        (2, 3, 4),
        (2, 5, 4),
        (2, 5, 2),
    )


def test_sdpa_dropout_drops_weights_and_rescales():
    """With V = I the output is the attention matrix itself: after dropout each entry is 0 or
    the undropped weight / (1 − p); p = 1 drops all; the result keeps float32."""
    rng = np.random.default_rng(3)
    q = rng.standard_normal((4, 50, 8)).astype(np.float32)
    k = rng.standard_normal((4, 20, 8)).astype(np.float32)
    eye = np.broadcast_to(np.eye(20, dtype=np.float32), (4, 20, 20)).copy()
    ref = torch_sdpa(torch.tensor(q), torch.tensor(k), torch.tensor(eye))
    ref = ref.numpy()
    cr.manual_seed(0)
    y = scaled_dot_product_attention(on_device(q), on_device(k), on_device(eye), dropout_p=0.25)
    assert y.dtype == cr.float32
    y = cr.backend.to_host(y.data)
    kept = y != 0
    np.testing.assert_allclose(y[kept], ref[kept] / 0.75, rtol=1e-5)
    assert 0.65 < kept.mean() < 0.85
    cr.manual_seed(0)
    again = scaled_dot_product_attention(on_device(q), on_device(k), on_device(eye), dropout_p=0.25)
    np.testing.assert_array_equal(cr.backend.to_host(again.data), y)
    none = scaled_dot_product_attention(on_device(q), on_device(k), on_device(eye), dropout_p=1.0)
    assert not cr.backend.to_host(none.data).any()


def test_sdpa_errors():
    q, k, v = cr.zeros(2, 3, 4), cr.zeros(2, 5, 4), cr.zeros(2, 5, 6)
    with pytest.raises(ValueError, match=r"query and key must have the same last dimension, got"):
        scaled_dot_product_attention(q, cr.zeros(2, 5, 3), v)
    with pytest.raises(ValueError, match=r"key and value must have the same sequence length"):
        scaled_dot_product_attention(q, k, cr.zeros(2, 4, 6))
    with pytest.raises(ValueError, match=r"attn_mask must not be given when is_causal=True"):
        scaled_dot_product_attention(q, k, v, cr.ones(3, 5, dtype=cr.bool), is_causal=True)
    with pytest.raises(ValueError, match=r"attn_mask of shape \(4, 5\) does not broadcast"):
        scaled_dot_product_attention(q, k, v, cr.ones(4, 5, dtype=cr.bool))
    with pytest.raises(TypeError, match=r"same dtype, got float32, float64 and float32"):
        scaled_dot_product_attention(q, k.double(), v)
    with pytest.raises(TypeError, match=r"float attn_mask must have the query's dtype float32"):
        scaled_dot_product_attention(q, k, v, cr.zeros(3, 5, dtype=cr.float64))
    with pytest.raises(TypeError, match=r"attn_mask must be bool or floating point, got dtype"):
        scaled_dot_product_attention(q, k, v, cr.zeros(3, 5, dtype=cr.int64))
    with pytest.raises(ValueError, match=r"dropout_p must be in \[0, 1\], got 1.5"):
        scaled_dot_product_attention(q, k, v, dropout_p=1.5)
    with pytest.raises(ValueError, match=r"query heads \(3\) must be a multiple of the key"):
        scaled_dot_product_attention(
            cr.zeros(3, 2, 4), cr.zeros(2, 2, 4), cr.zeros(2, 2, 4), enable_gqa=True
        )
    with pytest.raises(TypeError, match=r"query must be floating point"):
        scaled_dot_product_attention(cr.zeros(3, 4, dtype=cr.int64), k[0], v[0])


# ------------------------------------------------------------------ multi_head_attention_forward
def _mha_args(rng, E, H, kdim, vdim, separate, bias, bias_kv, dtype):
    """The weights, as arrays, in the order of multi_head_attention_forward's arguments."""
    w = {}
    if separate:
        w["q"] = rng.standard_normal((E, E)).astype(dtype) * 0.5
        w["k"] = rng.standard_normal((E, kdim)).astype(dtype) * 0.5
        w["v"] = rng.standard_normal((E, vdim)).astype(dtype) * 0.5
    else:
        w["in"] = rng.standard_normal((3 * E, E)).astype(dtype) * 0.5
    w["in_b"] = rng.standard_normal(3 * E).astype(dtype) if bias else None
    w["bk"] = rng.standard_normal((1, 1, E)).astype(dtype) if bias_kv else None
    w["bv"] = rng.standard_normal((1, 1, E)).astype(dtype) if bias_kv else None
    w["out"] = rng.standard_normal((E, E)).astype(dtype) * 0.5
    w["out_b"] = rng.standard_normal(E).astype(dtype) if bias else None
    return w


def _call(mod, t, w, q, k, v, H, separate, zero_attn, **kw):
    def T(name):
        a = w.get(name)
        return None if a is None else t(a)

    return mod(
        q,
        k,
        v,
        q.shape[-1],
        H,
        T("in"),
        T("in_b"),
        T("bk"),
        T("bv"),
        zero_attn,
        0.0,
        T("out"),
        T("out_b"),
        use_separate_proj_weight=separate,
        q_proj_weight=T("q"),
        k_proj_weight=T("k"),
        v_proj_weight=T("v"),
        **kw,
    )


MHA_CASES = [  # E, H, kdim, vdim, bias, bias_kv, zero_attn
    (6, 2, 6, 6, True, False, False),
    (6, 3, 4, 5, True, False, False),
    (4, 1, 4, 4, False, False, False),
    (6, 2, 6, 6, True, True, True),
]


@pytest.mark.parametrize("E,H,kdim,vdim,bias,bias_kv,zero_attn", MHA_CASES)
@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("masks", ["none", "both", "padding"])
@pytest.mark.parametrize("batched", [True, False])
def test_multi_head_attention_forward_matches_torch(
    E, H, kdim, vdim, bias, bias_kv, zero_attn, need_weights, average, masks, batched
):
    rng = np.random.default_rng(4)
    L, S, N = 3, 4, 2
    separate = (kdim, vdim) != (E, E)
    w = _mha_args(rng, E, H, kdim, vdim, separate, bias, bias_kv, "float64")
    shapes = [(L, N, E), (S, N, kdim), (S, N, vdim)] if batched else [(L, E), (S, kdim), (S, vdim)]
    kw = dict(need_weights=need_weights, average_attn_weights=average)
    kw_t = dict(kw)
    if masks != "none":
        kpm = rng.random((N, S) if batched else (S,)) < 0.3
        kpm[..., 0] = False
        kw["key_padding_mask"], kw_t["key_padding_mask"] = on_device(kpm), torch.tensor(kpm)
    if masks == "both":
        am = rng.standard_normal((L, S))
        kw["attn_mask"], kw_t["attn_mask"] = on_device(am), torch.tensor(am)
    out = {}

    def ours(q, k, v):
        y, a = _call(
            multi_head_attention_forward, on_device, w, q, k, v, H, separate, zero_attn, **kw
        )
        out["ours"] = a
        return y

    def theirs(q, k, v):
        y, a = _call(torch_mha, torch.tensor, w, q, k, v, H, separate, zero_attn, **kw_t)
        out["theirs"] = a
        return y

    check_against_torch(ours, *shapes, torch_fn=theirs, gradgrad=False)
    if need_weights:
        assert_close(out["ours"], out["theirs"].detach(), what="attention weights")
    else:
        assert out["ours"] is None and out["theirs"] is None


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_multi_head_attention_forward_bool_attn_mask_3d_and_gradgrad(dtype):
    rng = np.random.default_rng(6)
    L, S, N, E, H = 3, 4, 2, 4, 2
    w = _mha_args(rng, E, H, E, E, False, True, False, dtype)
    am = rng.random((N * H, L, S)) < 0.3
    am[..., 0] = False

    def run(mod, t):
        return lambda q, k, v: _call(
            mod, t, w, q, k, v, H, False, False, attn_mask=t(am), need_weights=False
        )[0]

    check_against_torch(
        run(multi_head_attention_forward, on_device),
        (L, N, E),
        (S, N, E),
        (S, N, E),
        torch_fn=run(torch_mha, torch.tensor),
        dtype=dtype,
    )


def test_multi_head_attention_forward_errors():
    rng = np.random.default_rng(0)
    w = _mha_args(rng, 6, 2, 6, 6, False, True, False, "float32")
    q, k = cr.zeros(3, 2, 6), cr.zeros(4, 2, 6)

    def call(q, k, v, H=2, **kw):
        return _call(multi_head_attention_forward, cr.tensor, w, q, k, v, H, False, False, **kw)

    with pytest.raises(ValueError, match=r"embed_dim 6 is not divisible by num_heads 4"):
        call(q, k, k, H=4)
    with pytest.raises(ValueError, match=r"key \(4, 2, 6\) and value \(5, 2, 6\) must share"):
        call(q, k, cr.zeros(5, 2, 6))
    with pytest.raises(ValueError, match=r"all be 3-D .* or all 2-D"):
        call(q, cr.zeros(4, 6), cr.zeros(4, 6))
    with pytest.raises(ValueError, match=r"attn_mask must be given"):
        call(q, k, k, is_causal=True)
    with pytest.raises(ValueError, match=r"a 2-D attn_mask must have shape \(3, 4\), got"):
        call(q, k, k, attn_mask=cr.zeros(4, 4))
    with pytest.raises(ValueError, match=r"a 3-D attn_mask must have shape \(4, 3, 4\), got"):
        call(q, k, k, attn_mask=cr.zeros(2, 3, 4))
    with pytest.raises(ValueError, match=r"key_padding_mask must have shape \(2, 4\), got"):
        call(q, k, k, key_padding_mask=cr.zeros(2, 3, dtype=cr.bool))
