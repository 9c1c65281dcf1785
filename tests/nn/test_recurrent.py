"""RNN, LSTM, GRU and their cells against torch twins with identical weights.

Each case draws an input, copies the torch layer's weights into ours, runs both and compares
the output, the final states, and the gradients of the input, of the initial states and of
every parameter for random upstream gradients on all outputs. Variable lengths are compared
against torch's pack_padded_sequence(enforce_sorted=False) / pad_packed_sequence.
"""

import itertools
import warnings

import helpers
import numpy as np
import pytest
import torch
from helpers import host
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import chainrule as cr
from chainrule.autograd.gradcheck import gradcheck, gradgradcheck
from chainrule.nn.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

OURS = {"LSTM": LSTM, "GRU": GRU, "RNN_TANH": RNN, "RNN_RELU": RNN}
THEIRS = {
    "LSTM": torch.nn.LSTM,
    "GRU": torch.nn.GRU,
    "RNN_TANH": torch.nn.RNN,
    "RNN_RELU": torch.nn.RNN,
}


def close(ours, ref, dtype, what):
    ours = host(ours)
    ref = ref.detach().numpy() if isinstance(ref, torch.Tensor) else np.asarray(ref)
    assert ours.shape == ref.shape, f"{what}: shape {ours.shape} != torch's {ref.shape}"
    tol = 1e-9 if dtype == "float64" else 1e-5
    scale = max(1.0, float(np.abs(ref).max())) if ref.size else 1.0
    np.testing.assert_allclose(ours, ref, rtol=tol, atol=tol * scale, err_msg=what)


def twins(mode, dtype="float64", **kw):
    if mode.startswith("RNN"):
        kw["nonlinearity"] = "tanh" if mode == "RNN_TANH" else "relu"
    theirs = THEIRS[mode](**kw)
    theirs = theirs.double() if dtype == "float64" else theirs.float()
    ours = OURS[mode](**kw).to(getattr(cr, dtype))
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def compare(
    mode,
    *,
    num_layers=1,
    bidirectional=False,
    batch_first=False,
    with_h0=False,
    lengths=None,
    bias=True,
    dtype="float64",
    T=5,
    B=3,
    n_in=4,
    H=5,
    unbatched=False,
    seed=0,
    proj_size=0,
):
    rng = np.random.default_rng(seed)
    extra = dict(proj_size=proj_size) if proj_size else {}
    ours, theirs = twins(
        mode,
        dtype,
        input_size=n_in,
        hidden_size=H,
        num_layers=num_layers,
        bias=bias,
        batch_first=batch_first,
        bidirectional=bidirectional,
        **extra,
    )
    dev = helpers.DEVICE  # ours runs there; torch on the CPU
    ours.to(dev)
    D = 2 if bidirectional else 1
    shape = (T, n_in) if unbatched else ((B, T, n_in) if batch_first else (T, B, n_in))
    x = rng.standard_normal(shape).astype(dtype)
    xc, xt = cr.tensor(x, requires_grad=True, device=dev), torch.tensor(x, requires_grad=True)
    sizes = [proj_size or H] + ([H] if mode == "LSTM" else [])  # h0 (projected), c0
    states = [
        rng.standard_normal((D * num_layers, n) if unbatched else (D * num_layers, B, n))
        for n in sizes
    ]
    states = [a.astype(dtype) for a in states]
    sc = [cr.tensor(s, requires_grad=True, device=dev) for s in states]
    st = [torch.tensor(s, requires_grad=True) for s in states]
    hc = ht = None
    if with_h0:
        hc, ht = (tuple(sc), tuple(st)) if mode == "LSTM" else (sc[0], st[0])

    out_c, hn_c = ours(xc, hc, lengths=lengths)
    if lengths is None:
        out_t, hn_t = theirs(xt, ht)
    else:
        packed = pack_padded_sequence(xt, torch.tensor(lengths), batch_first, False)
        out_t, hn_t = theirs(packed, ht)
        out_t, _ = pad_packed_sequence(out_t, batch_first, total_length=T)
    outs_c = [out_c] + (list(hn_c) if mode == "LSTM" else [hn_c])
    outs_t = [out_t] + (list(hn_t) if mode == "LSTM" else [hn_t])
    names = ["output", "h_n", "c_n"]
    loss_c, loss_t = 0, 0
    for name, a, b in zip(names, outs_c, outs_t):
        close(a, b, dtype, name)
        g = rng.standard_normal(tuple(b.shape)).astype(dtype)
        loss_c = loss_c + (a * cr.tensor(g, device=dev)).sum()
        loss_t = loss_t + (b * torch.tensor(g)).sum()
    loss_c.backward()
    loss_t.backward()
    close(xc.grad, xt.grad, dtype, "grad of input")
    if with_h0:
        for name, a, b in zip(["h0", "c0"], sc, st):
            close(a.grad, b.grad, dtype, f"grad of {name}")
    pc, pt = dict(ours.named_parameters()), dict(theirs.named_parameters())
    assert list(pc) == list(pt)
    for name, p in pt.items():
        close(pc[name].grad, p.grad, dtype, f"grad of {name}")


MODES = ["LSTM", "GRU", "RNN_TANH", "RNN_RELU"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "num_layers, bidirectional, batch_first, with_h0, varlen",
    list(itertools.product([1, 2], [False, True], [False, True], [False, True], [False, True])),
)
def test_layer_matches_torch_float64(mode, num_layers, bidirectional, batch_first, with_h0, varlen):
    lengths = [5, 2, 4] if varlen else None
    compare(
        mode,
        num_layers=num_layers,
        bidirectional=bidirectional,
        batch_first=batch_first,
        with_h0=with_h0,
        lengths=lengths,
    )


@pytest.mark.parametrize(
    "num_layers, bidirectional, batch_first, with_h0, varlen, proj_size",
    [
        (1, False, False, False, False, 2),
        (2, True, False, True, False, 3),
        (2, False, True, True, True, 1),
        (1, True, True, False, True, 4),
    ],
)
def test_lstm_with_projections_matches_torch(
    num_layers, bidirectional, batch_first, with_h0, varlen, proj_size
):
    compare(
        "LSTM",
        num_layers=num_layers,
        bidirectional=bidirectional,
        batch_first=batch_first,
        with_h0=with_h0,
        lengths=[5, 2, 4] if varlen else None,
        proj_size=proj_size,
    )
    compare("LSTM", proj_size=proj_size, unbatched=True, with_h0=with_h0, dtype="float32")


def test_proj_size_checks_and_repr_match_torch():
    lstm = LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)
    theirs = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)
    assert repr(lstm) == repr(theirs)
    shapes = {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    assert {k: tuple(v.shape) for k, v in lstm.state_dict().items()} == shapes
    assert list(lstm.state_dict()) == list(shapes)
    with pytest.raises(ValueError, match=r"proj_size \(4\) must be smaller than hidden_size"):
        LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="proj_size is only supported for LSTM"):
        GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="proj_size must be a non-negative int"):
        LSTM(3, 4, proj_size=-1)
    with pytest.raises(ValueError, match=r"h0.*\(1, 5, 2\)"):  # h0 is projected, c0 not
        LSTM(3, 4, proj_size=2)(cr.zeros(6, 5, 3), (cr.zeros(1, 5, 4), cr.zeros(1, 5, 4)))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_layer_matches_torch_float32(mode, bidirectional):
    compare(
        mode,
        num_layers=2,
        bidirectional=bidirectional,
        with_h0=True,
        dtype="float32",
        T=12,
        B=4,
        n_in=6,
        H=16,
    )
    compare(
        mode,
        bidirectional=bidirectional,
        lengths=[3, 12, 7, 1],
        dtype="float32",
        T=12,
        B=4,
        n_in=6,
        H=16,
    )


@pytest.mark.parametrize("mode", MODES)
def test_no_bias_matches_torch(mode):
    compare(mode, num_layers=2, bidirectional=True, bias=False, with_h0=True, lengths=[5, 3, 4])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("with_h0", [False, True])
def test_unbatched_matches_torch(mode, with_h0):
    compare(mode, num_layers=2, bidirectional=True, with_h0=with_h0, unbatched=True)


def test_lengths_all_full_and_length_one():
    compare("LSTM", lengths=[5, 5, 5], bidirectional=True)
    compare("GRU", lengths=[1, 5, 1], bidirectional=True, with_h0=True)


def test_padded_values_do_not_matter():
    lstm = LSTM(3, 4, bidirectional=True, batch_first=True)
    x = np.random.default_rng(0).standard_normal((2, 6, 3)).astype(np.float32)
    x2 = x.copy()
    x2[0, 4:] = 100.0  # garbage in the padding
    outs = []
    for a in (x, x2):
        xc = cr.tensor(a, requires_grad=True)
        out, (h, c) = lstm(xc, lengths=[4, 6])
        (out.sum() + h.sum() + c.sum()).backward()
        outs.append((out.data, h.data, c.data, xc.grad.data[:, :4]))
        assert not xc.grad.data[0, 4:].any()  # no gradient reaches padded steps
        assert not out.data[0, 4:].any()  # padded outputs are zero
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)


def test_parameters_names_shapes_and_init_match_torch():
    for mode in MODES:
        ours, theirs = twins(mode, input_size=3, hidden_size=7, num_layers=2, bidirectional=True)
        shapes_t = {k: tuple(v.shape) for k, v in theirs.named_parameters()}
        assert {k: tuple(v.shape) for k, v in ours.named_parameters()} == shapes_t
    lstm = LSTM(3, 16, num_layers=2)
    bound = 1 / np.sqrt(16)
    for name, p in lstm.named_parameters():
        assert np.abs(p.data).max() <= bound, name
        assert p.data.std() > bound / 3, name  # spread over the range, not all zeros
    assert LSTM(3, 7, 2, bidirectional=True).weight_ih_l1_reverse.shape == (28, 14)
    assert repr(LSTM(3, 4, 2, batch_first=True)) == "LSTM(3, 4, num_layers=2, batch_first=True)"
    assert RNN(3, 4, 1, "relu").nonlinearity == "relu"


def test_torch_state_dict_through_safetensors(tmp_path):
    from safetensors.torch import save_file

    torch.manual_seed(0)
    theirs = torch.nn.LSTM(4, 6, num_layers=2, bidirectional=True, batch_first=True)
    path = str(tmp_path / "lstm.safetensors")
    save_file(theirs.state_dict(), path)
    ours = LSTM(4, 6, num_layers=2, bidirectional=True, batch_first=True)
    ours.load_state_dict(cr.load(path))
    x = np.random.default_rng(1).standard_normal((3, 7, 4)).astype(np.float32)
    out, (h, c) = ours(cr.tensor(x))
    out_t, (h_t, c_t) = theirs(torch.tensor(x))
    close(out, out_t, "float32", "output")
    close(h, h_t, "float32", "h_n")
    close(c, c_t, "float32", "c_n")


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_truncated_bptt_with_detached_state(mode):
    rng = np.random.default_rng(0)
    ours, theirs = twins(mode, input_size=3, hidden_size=5, num_layers=2)
    x1, x2 = (rng.standard_normal((4, 2, 3)) for _ in range(2))
    x1c, x1t = cr.tensor(x1, requires_grad=True), torch.tensor(x1, requires_grad=True)
    _, sc = ours(x1c)
    _, st = theirs(x1t)
    if mode == "LSTM":
        sc, st = tuple(s.detach() for s in sc), tuple(s.detach() for s in st)
    else:
        sc, st = sc.detach(), st.detach()
    ours.zero_grad()
    theirs.zero_grad()
    out_c, _ = ours(cr.tensor(x2), sc)
    out_t, _ = theirs(torch.tensor(x2), st)
    close(out_c, out_t, "float64", "chunk 2 output")
    (out_c**2).sum().backward()
    (out_t**2).sum().backward()
    assert x1c.grad is None  # nothing flows back into chunk 1
    for name, p in theirs.named_parameters():
        close(dict(ours.named_parameters())[name].grad, p.grad, "float64", f"grad of {name}")


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_thousand_steps(mode):
    rng = np.random.default_rng(0)
    ours, theirs = twins(mode, input_size=2, hidden_size=4)
    x = rng.standard_normal((1000, 2, 2))
    xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_c, _ = ours(xc)
    out_t, _ = theirs(xt)
    out_c[-1].sum().backward()  # the gradient crosses all 1,000 steps
    out_t[-1].sum().backward()
    close(xc.grad, xt.grad, "float64", "grad of input")
    close(ours.weight_hh_l0.grad, theirs.weight_hh_l0.grad, "float64", "grad of weight_hh")


def test_dropout_between_layers():
    x = cr.tensor(np.random.default_rng(0).standard_normal((6, 2, 3)).astype(np.float32))
    cr.manual_seed(0)
    lstm = LSTM(3, 8, num_layers=3, dropout=0.5)
    runs = []
    for _ in range(2):
        cr.manual_seed(1)
        out, _ = lstm(x)
        runs.append(out.data)
    np.testing.assert_array_equal(runs[0], runs[1])  # reproducible under manual_seed
    lstm.eval()
    ev1, ev2 = lstm(x)[0].data, lstm(x)[0].data
    np.testing.assert_array_equal(ev1, ev2)
    assert not np.allclose(ev1, runs[0])  # dropout acted in training only
    plain = LSTM(3, 8, num_layers=3)
    plain.load_state_dict(lstm.state_dict())
    np.testing.assert_allclose(plain(x)[0].data, ev1, rtol=1e-6)
    out, _ = LSTM(3, 8, num_layers=3, dropout=0.5)(x)
    out.sum().backward()  # and it trains


def test_dropout_zero_in_train_mode_matches_torch():
    ours, theirs = twins("GRU", input_size=3, hidden_size=5, num_layers=2, dropout=0.0)
    ours.train(), theirs.train()
    x = np.random.default_rng(0).standard_normal((4, 2, 3))
    close(ours(cr.tensor(x))[0], theirs(torch.tensor(x))[0], "float64", "output")


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="num_layers=1"):
        LSTM(3, 4, dropout=0.3)


def test_no_grad_inference():
    lstm = LSTM(3, 4, bidirectional=True)
    x = cr.randn(5, 2, 3)
    with cr.no_grad():
        out, (h, c) = lstm(x)
    assert not out.requires_grad and out.shape == (5, 2, 8) and h.shape == (2, 2, 4)


# ------------------------------------------------------------------ errors
def test_bad_inputs_name_expected_and_actual():
    lstm = LSTM(3, 4, num_layers=2)
    with pytest.raises(ValueError, match=r"2 dims \(unbatched\) or 3 dims.*got 4 dims"):
        lstm(cr.zeros(2, 2, 2, 3))
    with pytest.raises(ValueError, match="expected 3, got 5"):
        lstm(cr.zeros(6, 2, 5))
    with pytest.raises(ValueError, match=r"h0 of shape \(2, 2, 4\), got \(1, 2, 4\)"):
        lstm(cr.zeros(6, 2, 3), (cr.zeros(1, 2, 4), cr.zeros(2, 2, 4)))
    with pytest.raises(ValueError, match=r"c0 of shape \(2, 2, 4\), got \(2, 3, 4\)"):
        lstm(cr.zeros(6, 2, 3), (cr.zeros(2, 2, 4), cr.zeros(2, 3, 4)))
    with pytest.raises(ValueError, match=r"hx of shape \(1, 2, 4\), got \(1, 4\)"):
        GRU(3, 4)(cr.zeros(6, 2, 3), cr.zeros(1, 4))
    with pytest.raises(ValueError, match=r"lengths must lie in \[0, 6\].*got 7"):
        lstm(cr.zeros(6, 2, 3), lengths=[7, 2])
    with pytest.raises(ValueError, match=r"expected shape \(2,\), got \(3,\)"):
        lstm(cr.zeros(6, 2, 3), lengths=[1, 2, 3])
    with pytest.raises(ValueError, match=r"tuple \(h0, c0\)"):
        lstm(cr.zeros(6, 2, 3), cr.zeros(2, 2, 4))
    with pytest.raises(ValueError, match="nonlinearity"):
        RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="expected input_size 3"):
        LSTMCell(3, 4)(cr.zeros(2, 5))
    with pytest.raises(ValueError, match=r"hx of shape \(2, 4\), got \(2, 5\)"):
        GRUCell(3, 4)(cr.zeros(2, 3), cr.zeros(2, 5))


# ------------------------------------------------------------------ cells
CELLS = [
    (RNNCell, torch.nn.RNNCell, {}),
    (RNNCell, torch.nn.RNNCell, {"nonlinearity": "relu"}),
    (LSTMCell, torch.nn.LSTMCell, {}),
    (GRUCell, torch.nn.GRUCell, {}),
    (GRUCell, torch.nn.GRUCell, {"bias": False}),
]


@pytest.mark.parametrize("ours_cls, theirs_cls, kw", CELLS)
@pytest.mark.parametrize("batched", [True, False])
def test_cell_matches_torch(ours_cls, theirs_cls, kw, batched):
    rng = np.random.default_rng(0)
    theirs = theirs_cls(3, 4, **kw).double()
    ours = ours_cls(3, 4, **kw).to(cr.float64)
    ours.load_state_dict(theirs.state_dict())
    lstm = ours_cls is LSTMCell
    lead = (2,) if batched else ()
    x = rng.standard_normal(lead + (3,))
    hs = [rng.standard_normal(lead + (4,)) for _ in range(2 if lstm else 1)]
    xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    hc = [cr.tensor(h, requires_grad=True) for h in hs]
    ht = [torch.tensor(h, requires_grad=True) for h in hs]
    yc = ours(xc, tuple(hc) if lstm else hc[0])
    yt = theirs(xt, tuple(ht) if lstm else ht[0])
    yc, yt = (yc, yt) if lstm else ((yc,), (yt,))
    lc, lt = 0, 0
    for a, b in zip(yc, yt):
        close(a, b, "float64", "output")
        g = rng.standard_normal(tuple(b.shape))
        lc, lt = lc + (a * cr.tensor(g)).sum(), lt + (b * torch.tensor(g)).sum()
    lc.backward()
    lt.backward()
    close(xc.grad, xt.grad, "float64", "grad of input")
    for a, b in zip(hc, ht):
        close(a.grad, b.grad, "float64", "grad of state")
    for name, p in theirs.named_parameters():
        close(dict(ours.named_parameters())[name].grad, p.grad, "float64", f"grad of {name}")
    default = ours(xc)  # zero state by default
    default_t = theirs(xt)
    for a, b in zip(default if lstm else (default,), default_t if lstm else (default_t,)):
        close(a, b, "float64", "output with zero state")


@pytest.mark.parametrize("cls", [RNNCell, LSTMCell, GRUCell])
def test_cell_gradcheck(cls):
    cell = cls(2, 3).to(cr.float64)
    rng = np.random.default_rng(0)
    x = cr.tensor(rng.standard_normal((2, 2)), requires_grad=True)
    h = cr.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    c = cr.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    lstm = cls is LSTMCell

    def fn(x, h, c=None):
        return cell(x, (h, c)) if lstm else cell(x, h)

    inputs = (x, h, c) if lstm else (x, h)
    assert gradcheck(fn, inputs, atol=1e-6)
    assert gradgradcheck(fn, inputs, atol=1e-5)


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN_TANH"])
def test_layer_gradcheck_and_double_backward(mode):
    """Through the module (fused path): gradcheck on input and states; gradgradcheck goes
    through the composed reference that the fused backward falls back to."""
    rng = np.random.default_rng(0)
    ours, _ = twins(mode, input_size=2, hidden_size=3, bidirectional=True)
    x = cr.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    h = cr.tensor(rng.standard_normal((2, 2, 3)), requires_grad=True)

    def fn(x, h):
        hx = (h, h * 0.5) if mode == "LSTM" else h
        out, hn = ours(x, hx, lengths=[3, 2])
        return out, hn[0] if mode == "LSTM" else hn

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gradcheck(fn, (x, h), atol=1e-6)
        assert gradgradcheck(fn, (x, h), atol=1e-5)
