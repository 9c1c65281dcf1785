"""Transformer layers beside torch's (torch's state_dict loaded into ours): outputs, input and
every parameter's gradient, with dropout 0 in train mode, and in eval mode; masks, pre- and
post-norm, activations, batch_first, unbatched input, stacks and the full Transformer."""

from __future__ import annotations

import helpers
import numpy as np
import pytest
import torch
from helpers import assert_close, on_device

import chainrule as cr
from chainrule.functions.activation import gelu
from chainrule.nn.normalization import LayerNorm
from chainrule.nn.transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)

from .twin import check_twin

E, H, FF = 8, 2, 16


def _src(batch_first, S=5, N=3, d=E):
    return (N, S, d) if batch_first else (S, N, d)


class _Masked(torch.nn.Module):
    """Call a layer with fixed keyword arguments (masks) made per framework."""

    def __init__(self, m, **kw):
        super().__init__()
        self.m, self.kw = m, kw

    def forward(self, *xs):
        return self.m(*xs, **self.kw)


class _MaskedCr(cr.nn.Module):
    def __init__(self, m, **kw):
        super().__init__()
        self.m, self.kw = m, kw

    def forward(self, *xs):
        return self.m(*xs, **self.kw)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_encoder_layer_matches_torch(norm_first, activation, batch_first, bias, dtype):
    kw = dict(
        dim_feedforward=FF,
        dropout=0.0,
        activation=activation,
        norm_first=norm_first,
        batch_first=batch_first,
        bias=bias,
        layer_norm_eps=1e-4,
    )
    torch.manual_seed(0)
    theirs = torch.nn.TransformerEncoderLayer(E, H, **kw)
    ours = TransformerEncoderLayer(E, H, **kw)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    check_twin(ours, theirs, _src(batch_first), dtype=dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_encoder_layer_masks_callable_activation_and_unbatched(dtype):
    rng = np.random.default_rng(1)
    torch.manual_seed(1)
    S, N = 5, 3
    theirs = torch.nn.TransformerEncoderLayer(E, H, FF, 0.0, torch.nn.functional.silu)
    ours = TransformerEncoderLayer(E, H, FF, 0.0, lambda x: x * x.sigmoid())
    kpm = rng.random((N, S)) < 0.3
    kpm[:, 0] = False
    causal = np.triu(np.ones((S, S), bool), 1)  # bool: True = not attended
    check_twin(
        _MaskedCr(ours, src_mask=on_device(causal), src_key_padding_mask=on_device(kpm)),
        _Masked(theirs, src_mask=torch.tensor(causal), src_key_padding_mask=torch.tensor(kpm)),
        (S, N, E),
        dtype=dtype,
    )
    f = np.triu(np.full((S, S), -np.inf), 1).astype(dtype)
    check_twin(
        _MaskedCr(ours, src_mask=on_device(f), is_causal=True),
        _Masked(theirs, src_mask=torch.tensor(f), is_causal=True),
        (S, E),  # unbatched
        dtype=dtype,
    )


def test_encoder_layer_eval_matches_torch():
    """Eval mode turns dropout off (torch's fused inference path gives the same numbers)."""
    rng = np.random.default_rng(2)
    theirs = torch.nn.TransformerEncoderLayer(E, H, FF, dropout=0.4, batch_first=True).eval()
    ours = TransformerEncoderLayer(E, H, FF, dropout=0.4, batch_first=True).eval()
    ours.load_state_dict(theirs.state_dict())
    ours.to(helpers.DEVICE)
    x = rng.standard_normal((2, 5, E)).astype(np.float32)
    with torch.no_grad():
        yt = theirs(torch.tensor(x))
    with cr.no_grad():
        y = ours(on_device(x))
    assert_close(y, yt, "float32")


@pytest.mark.parametrize("norm", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_stack_matches_torch(norm, norm_first):
    torch.manual_seed(3)
    kw = dict(dim_feedforward=FF, dropout=0.0, norm_first=norm_first)
    theirs = torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(E, H, **kw),
        3,
        torch.nn.LayerNorm(E) if norm else None,
        enable_nested_tensor=False,
    )
    layer = TransformerEncoderLayer(E, H, **kw)
    ours = TransformerEncoder(layer, 3, LayerNorm(E) if norm else None)
    assert ours.layers[0] is not layer and ours.layers[0].linear1 is not ours.layers[1].linear1
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    check_twin(ours, theirs, (5, 2, E))


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_decoder_layer_matches_torch(norm_first, batch_first, dtype):
    torch.manual_seed(4)
    kw = dict(dim_feedforward=FF, dropout=0.0, norm_first=norm_first, batch_first=batch_first)
    theirs = torch.nn.TransformerDecoderLayer(E, H, activation="gelu", **kw)
    ours = TransformerDecoderLayer(E, H, activation=gelu, **kw)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    check_twin(ours, theirs, _src(batch_first, S=4), _src(batch_first, S=6), dtype=dtype)


def test_decoder_stack_with_masks_matches_torch():
    rng = np.random.default_rng(5)
    torch.manual_seed(5)
    T, S, N = 4, 6, 2
    theirs = torch.nn.TransformerDecoder(
        torch.nn.TransformerDecoderLayer(E, H, FF, 0.0), 2, torch.nn.LayerNorm(E)
    )
    ours = TransformerDecoder(TransformerDecoderLayer(E, H, FF, 0.0), 2, LayerNorm(E))
    tgt_mask = np.triu(np.full((T, T), -np.inf), 1)
    mem_kpm = rng.random((N, S)) < 0.3
    mem_kpm[:, 0] = False
    check_twin(
        _MaskedCr(ours, tgt_mask=on_device(tgt_mask), memory_key_padding_mask=on_device(mem_kpm)),
        _Masked(
            theirs,
            tgt_mask=torch.tensor(tgt_mask),
            memory_key_padding_mask=torch.tensor(mem_kpm),
        ),
        (T, N, E),
        (S, N, E),
    )


@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_matches_torch(batch_first):
    torch.manual_seed(6)
    kw = dict(
        d_model=E,
        nhead=H,
        num_encoder_layers=2,
        num_decoder_layers=1,
        dim_feedforward=FF,
        dropout=0.0,
        batch_first=batch_first,
    )
    theirs = torch.nn.Transformer(**kw)
    ours = Transformer(**kw)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    mask = Transformer.generate_square_subsequent_mask(4, dtype=cr.float64)
    ref = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    assert_close(mask, ref)
    check_twin(
        _MaskedCr(ours, tgt_mask=mask.to(helpers.DEVICE), tgt_is_causal=True),
        _Masked(theirs, tgt_mask=ref, tgt_is_causal=True),
        _src(batch_first, S=5),
        _src(batch_first, S=4),
    )


def test_transformer_init_is_xavier_uniform():
    m = Transformer(E, H, 1, 1, FF)
    w = m.encoder.layers[0].linear1.weight.data  # (FF, E): bound √(6 / (E + FF))
    bound = np.sqrt(6 / (E + FF))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert m.generate_square_subsequent_mask(3).dtype == cr.float32


def test_transformer_errors():
    with pytest.raises(ValueError, match=r"activation should be 'relu', 'gelu' or a callable"):
        TransformerEncoderLayer(E, H, activation="tanh")
    m = Transformer(E, H, 1, 1, FF)
    with pytest.raises(
        ValueError, match=r"same batch size, got shapes \(5, 2, 8\) and \(4, 3, 8\)"
    ):
        m(cr.zeros(5, 2, E), cr.zeros(4, 3, E))
    with pytest.raises(ValueError, match=r"must have 8 features, got shapes \(5, 2, 6\)"):
        m(cr.zeros(5, 2, 6), cr.zeros(4, 2, 6))
