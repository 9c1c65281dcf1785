"""MultiheadAttention beside torch's (torch's state_dict loaded into ours): parameter names and
shapes, outputs, attention weights, input and parameter gradients, across its options; train
mode with dropout 0 and eval mode."""

from __future__ import annotations

import helpers
import numpy as np
import pytest
import torch
from helpers import assert_close, on_device

import chainrule as cr
from chainrule.nn.attention import MultiheadAttention

from .twin import check_twin


class _Out(torch.nn.Module):
    """Wrap a MultiheadAttention so that it returns its output only (what check_twin takes),
    with fixed keyword arguments; masks are given per framework."""

    def __init__(self, mha, **kw):
        super().__init__()
        self.mha, self.kw = mha, kw

    def forward(self, q, k, v):
        return self.mha(q, k, v, **self.kw)[0]


class _OutCr(cr.nn.Module):
    def __init__(self, mha, **kw):
        super().__init__()
        self.mha, self.kw = mha, kw

    def forward(self, q, k, v):
        return self.mha(q, k, v, **self.kw)[0]


OPTIONS = [
    {},
    dict(kdim=3, vdim=5),
    dict(bias=False),
    dict(add_bias_kv=True),
    dict(add_zero_attn=True),
    dict(batch_first=True),
    dict(batch_first=True, kdim=2, vdim=7, add_bias_kv=True),
]


def _shapes(opts, L=4, S=5, N=3, E=8, batched=True):
    kd, vd = opts.get("kdim", E), opts.get("vdim", E)
    if not batched:
        return (L, E), (S, kd), (S, vd)
    if opts.get("batch_first"):
        return (N, L, E), (N, S, kd), (N, S, vd)
    return (L, N, E), (S, N, kd), (S, N, vd)


@pytest.mark.parametrize("opts", OPTIONS)
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_multihead_attention_matches_torch(opts, need_weights, dtype):
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(8, 2, **opts)
    ours = MultiheadAttention(8, 2, **opts)
    assert [(n, p.shape) for n, p in ours.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in theirs.named_parameters()
    ]
    check_twin(
        _OutCr(ours, need_weights=need_weights),
        _Out(theirs, need_weights=need_weights),
        *_shapes(opts),
        dtype=dtype,
    )


@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("average", [True, False])
@pytest.mark.parametrize("batch_first", [True, False])
def test_multihead_attention_weights_and_masks_match_torch(batched, average, batch_first):
    """Attention weights (averaged over heads or per head), a bool key_padding_mask, a float
    attn_mask, the causal hint, unbatched input; train mode with dropout 0."""
    rng = np.random.default_rng(1)
    L, S, N, E = 4, 4, 3, 6
    theirs = torch.nn.MultiheadAttention(E, 3, batch_first=batch_first).double()
    ours = MultiheadAttention(E, 3, batch_first=batch_first).double()
    ours.load_state_dict(theirs.state_dict())
    ours.to(helpers.DEVICE)
    opts = dict(batch_first=batch_first)
    arrays = [rng.standard_normal(s) for s in _shapes(opts, L, S, N, E, batched)]
    kpm = rng.random((N, S) if batched else (S,)) < 0.3
    kpm[..., 0] = False
    causal = np.triu(np.full((L, S), -np.inf), 1)
    for kw_np in (
        dict(key_padding_mask=kpm),
        dict(attn_mask=causal, is_causal=True),
        dict(attn_mask=causal, key_padding_mask=kpm),
        dict(attn_mask=rng.standard_normal((L, S))),
    ):
        kw_cr = {k: on_device(v) if isinstance(v, np.ndarray) else v for k, v in kw_np.items()}
        kw_t = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw_np.items()}
        xs = [on_device(a).requires_grad_() for a in arrays]
        xt = [torch.tensor(a, requires_grad=True) for a in arrays]
        y, w = ours(*xs, average_attn_weights=average, **kw_cr)
        yt, wt = theirs(*xt, average_attn_weights=average, **kw_t)
        assert_close(y, yt.detach(), what="output")
        assert_close(w, wt.detach(), what="attention weights")
        g = rng.standard_normal(y.shape)
        (y * on_device(g)).sum().backward()
        yt.backward(torch.tensor(g))
        for a, b in zip(xs, xt):
            assert_close(a.grad, b.grad, what="input grad")
        ours.zero_grad()
        theirs.zero_grad()


def test_multihead_attention_eval_matches_torch():
    """Eval (dropout off) without grad, where torch takes its fused path, gives the same
    numbers; so does train mode with dropout 0 on a layer built with dropout 0.3 in eval."""
    rng = np.random.default_rng(2)
    theirs = torch.nn.MultiheadAttention(8, 4, dropout=0.3, batch_first=True).eval()
    ours = MultiheadAttention(8, 4, dropout=0.3, batch_first=True).eval()
    ours.load_state_dict(theirs.state_dict())
    ours.to(helpers.DEVICE)
    x = rng.standard_normal((2, 5, 8)).astype(np.float32)
    with torch.no_grad():
        yt, wt = theirs(*(torch.tensor(x),) * 3)
    with cr.no_grad():
        y, w = ours(*(on_device(x),) * 3)
    assert_close(y, yt, "float32", "output")
    assert_close(w, wt, "float32", "weights")


def test_multihead_attention_dropout_in_training_only():
    cr.manual_seed(0)
    ours = MultiheadAttention(4, 2, dropout=0.5)
    x = cr.randn(6, 2, 4)
    y1, w1 = ours(x, x, x, average_attn_weights=False)
    assert (w1.data == 0).any()  # some weights were dropped
    kept = w1.data[w1.data != 0]
    assert (kept > 0).all()
    ours.eval()
    y2, w2 = ours(x, x, x)
    assert not (w2.data == 0).any()
    np.testing.assert_allclose(w2.data.sum(-1), 1.0, rtol=1e-5)


def test_multihead_attention_init_and_state_dict():
    """Xavier-uniform projections and zero biases as torch; a state_dict round-trips into a torch
    layer."""
    m = MultiheadAttention(16, 4)
    bound = np.sqrt(6 / (3 * 16 + 16))  # fan_in 16, fan_out 48
    w = m.in_proj_weight.data
    assert w.dtype == np.float32 and np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert not m.in_proj_bias.data.any() and not m.out_proj.bias.data.any()
    assert m.head_dim == 4 and m._qkv_same_embed_dim
    theirs = torch.nn.MultiheadAttention(16, 4)
    theirs.load_state_dict({k: torch.from_numpy(v.data) for k, v in m.state_dict().items()})
    assert torch.equal(theirs.in_proj_weight, torch.from_numpy(w))
    sep = MultiheadAttention(16, 4, kdim=3, vdim=16, dtype=cr.float64)
    assert sep.in_proj_weight is None and sep.k_proj_weight.shape == (16, 3)
    assert sep.k_proj_weight.dtype == cr.float64


def test_multihead_attention_errors():
    with pytest.raises(ValueError, match=r"embed_dim 6 must be divisible by num_heads 4"):
        MultiheadAttention(6, 4)
    m = MultiheadAttention(6, 2)
    with pytest.raises(ValueError, match=r"expected embedding dimension 6, got 5"):
        m(cr.zeros(3, 2, 5), cr.zeros(3, 2, 6), cr.zeros(3, 2, 6))
    with pytest.raises(ValueError, match=r"attn_mask must be given"):
        x = cr.zeros(3, 2, 6)
        m(x, x, x, is_causal=True)
