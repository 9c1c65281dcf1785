"""nn.utils.rnn against torch.nn.utils.rnn: packing, unpacking and padding (values, order,
gradients), the recurrent layers on packed input, and the errors."""

import numpy as np
import pytest
import torch
from torch.nn.utils import rnn as TR

import chainrule as cr
from chainrule.nn.utils import rnn as R


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths", [[5, 3, 2], [2, 5, 3]])
def test_layers_on_packed_sequences_match_torch(mode, batch_first, lengths):
    enforce = lengths == sorted(lengths, reverse=True)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 5, 4) if batch_first else (5, 3, 4))
    xt, xc = torch.tensor(x, requires_grad=True), cr.tensor(x, requires_grad=True)
    pt = TR.pack_padded_sequence(xt, torch.tensor(lengths), batch_first, enforce)
    pc = R.pack_padded_sequence(xc, lengths, batch_first, enforce)
    np.testing.assert_allclose(pc.data.data, pt.data.detach().numpy())
    assert pc.batch_sizes.tolist() == pt.batch_sizes.tolist()
    if enforce:
        assert pc.sorted_indices is None and pt.sorted_indices is None
    else:
        assert pc.sorted_indices.tolist() == pt.sorted_indices.tolist()
        assert pc.unsorted_indices.tolist() == pt.unsorted_indices.tolist()
    torch.manual_seed(0)
    kw = dict(batch_first=batch_first, bidirectional=True, num_layers=2)
    theirs = getattr(torch.nn, mode)(4, 3, **kw).double()
    ours = getattr(cr.nn, mode)(4, 3, **kw).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    out_t, state_t = theirs(pt)
    out_c, state_c = ours(pc)
    assert isinstance(out_c, R.PackedSequence)
    np.testing.assert_allclose(out_c.data.data, out_t.data.detach().numpy(), rtol=1e-10)
    states_t = state_t if mode == "LSTM" else (state_t,)
    states_c = state_c if mode == "LSTM" else (state_c,)
    for a, b in zip(states_c, states_t):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-10)
    yt, lt = TR.pad_packed_sequence(out_t, batch_first, padding_value=-1.0, total_length=6)
    yc, lc = R.pad_packed_sequence(out_c, batch_first, padding_value=-1.0, total_length=6)
    np.testing.assert_allclose(yc.data, yt.detach().numpy(), rtol=1e-10)
    assert lc.tolist() == lt.tolist() and lc.dtype == cr.int64
    g = rng.standard_normal(tuple(yt.shape))
    ((yt * torch.tensor(g)).sum() + states_t[0].sum()).backward()
    ((yc * cr.tensor(g)).sum() + states_c[0].sum()).backward()
    np.testing.assert_allclose(xc.grad.data, xt.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_matches_torch(batch_first, side):
    rng = np.random.default_rng(1)
    seqs = [rng.standard_normal((n, 2)) for n in (3, 1, 4)]
    ours = R.pad_sequence(
        [cr.tensor(s, requires_grad=True) for s in seqs], batch_first, 9.0, padding_side=side
    )
    theirs = TR.pad_sequence([torch.tensor(s) for s in seqs], batch_first, 9.0, padding_side=side)
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_pack_and_unpack_sequence_round_trip_as_torch():
    rng = np.random.default_rng(2)
    seqs = [rng.standard_normal((n, 2)) for n in (3, 1, 4)]
    ours = R.pack_sequence([cr.tensor(s) for s in seqs], enforce_sorted=False)
    theirs = TR.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    np.testing.assert_array_equal(ours.data.data, theirs.data.numpy())
    for a, s in zip(R.unpack_sequence(ours), seqs):
        np.testing.assert_array_equal(a.data, s)
    padded = R.pad_sequence([cr.tensor(s) for s in seqs], batch_first=True)
    for a, s in zip(R.unpad_sequence(padded, cr.tensor([3, 1, 4]), batch_first=True), seqs):
        np.testing.assert_array_equal(a.data, s)


def test_errors_name_the_problem():
    x = cr.zeros(4, 3, 2)
    with pytest.raises(ValueError, match=r"sorted in decreasing order .* got \[2, 4, 3\]"):
        R.pack_padded_sequence(x, [2, 4, 3])
    with pytest.raises(ValueError, match="every length must be greater than 0"):
        R.pack_padded_sequence(x, [4, 3, 0])
    with pytest.raises(ValueError, match=r"a length \(5\) exceeds the sequence length 4"):
        R.pack_padded_sequence(x, [5, 3, 1])
    with pytest.raises(ValueError, match="expected 3 lengths"):
        R.pack_padded_sequence(x, [4, 3])
    packed = R.pack_padded_sequence(x, [4, 3, 1])
    with pytest.raises(ValueError, match=r"total_length \(2\) must be at least"):
        R.pad_packed_sequence(packed, total_length=2)
    with pytest.raises(ValueError, match=r"every sequence must have shape \(L, \*\(2,\)\)"):
        R.pad_sequence([cr.zeros(3, 2), cr.zeros(3, 4)])
    with pytest.raises(ValueError, match="padding_side must be 'right' or 'left'"):
        R.pad_sequence([cr.zeros(3)], padding_side="top")
