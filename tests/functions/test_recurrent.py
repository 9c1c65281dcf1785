"""The fused recurrent layer Functions against the composed reference (and finite differences).

``fused_layer`` (hand-written backward through time) and ``composed_layer`` (the cells written
with differentiable ops) must give the same packed output and the same gradient for every
input, in both directions, with and without a length mask, with and without biases and
initial states. gradcheck covers the fused backward; gradgradcheck covers its create_graph
fallback to the composed reference.
"""

import itertools

import numpy as np
import pytest
from helpers import host

import chainrule as cr
from chainrule import backend
from chainrule.autograd.gradcheck import gradcheck, gradgradcheck
from chainrule.functions.recurrent import GATES, composed_layer, fused_layer

MODES = ["LSTM", "GRU", "RNN_TANH", "RNN_RELU"]
T, B, I, H = 5, 3, 4, 6
MASK = (np.arange(T)[:, None] < np.array([5, 2, 4])[None, :]).astype(np.float64)[..., None]


def draw(mode, rng, bias=True, states=True, dtype="float64", device="cpu"):
    G = GATES[mode] * H
    shapes = [(T, B, I), (G, I), (G, H), (G,), (G,), (B, H), (B, H)]
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    ts = [cr.tensor(a, requires_grad=True, device=device) for a in arrays]
    if not bias:
        ts[3] = ts[4] = None
    if not states:
        ts[5] = ts[6] = None
    if mode != "LSTM":
        ts[6] = None
    return ts


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "reverse, masked, bias, states", list(itertools.product([False, True], repeat=4))
)
def test_fused_matches_composed(mode, reverse, masked, bias, states, device):
    rng = np.random.default_rng(0)
    ts = draw(mode, rng, bias, states, device=device)
    mask = backend.to_device(MASK, device) if masked else None
    gy = rng.standard_normal((T + 2, B, H))
    if mode != "LSTM":
        gy[T + 1] = 0  # the c row is a constant zero there
    results = []
    for f in (fused_layer, composed_layer):
        for t in ts:
            if t is not None:
                t.grad = None
        y = f(mode, *ts, mask=mask, reverse=reverse)
        y.backward(cr.tensor(gy, device=device))
        results.append([host(y)] + [host(t.grad) for t in ts if t is not None])
    for i, (a, b) in enumerate(zip(*results)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"item {i}")
    if masked:  # padded outputs are zero
        assert not results[0][0][:T][MASK[..., 0] == 0].any()


@pytest.mark.parametrize("mode", MODES)
def test_fused_float32_matches_composed(mode, device):
    rng = np.random.default_rng(1)
    ts = draw(mode, rng, dtype="float32", device=device)
    mask = backend.to_device(MASK.astype(np.float32), device)
    outs = [f(mode, *ts, mask=mask) for f in (fused_layer, composed_layer)]
    assert outs[0].dtype == np.float32
    np.testing.assert_allclose(host(outs[0]), host(outs[1]), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("reverse", [False, True])
def test_fused_gradcheck(mode, reverse):
    rng = np.random.default_rng(2)
    ts = [t for t in draw(mode, rng) if t is not None]
    if mode == "RNN_RELU":  # keep pre-activations away from relu's kink
        ts[0].data *= 0.1

    def fn(*xs):
        return fused_layer(mode, *xs, mask=MASK, reverse=reverse)

    assert gradcheck(fn, ts, atol=1e-6)


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN_TANH"])
def test_fused_double_backward_uses_the_composed_reference(mode):
    rng = np.random.default_rng(3)
    G, h = GATES[mode] * 2, 2
    x, h0, c0 = (
        cr.tensor(rng.standard_normal(s), requires_grad=True) for s in [(3, 2, 2), (2, h), (2, h)]
    )
    W_ih, W_hh, b_ih, b_hh = (
        cr.tensor(rng.standard_normal(s), requires_grad=True) for s in [(G, 2), (G, h), (G,), (G,)]
    )
    mask = MASK[:3, :2]

    def fn(x, W_hh, h0, *c0):
        args = [x, W_ih, W_hh, b_ih, b_hh, h0] + list(c0)
        return fused_layer(mode, *args, mask=mask, reverse=True)

    inputs = (x, W_hh, h0, c0) if mode == "LSTM" else (x, W_hh, h0)
    assert gradgradcheck(fn, inputs, atol=1e-5)


def test_fused_thousand_steps_no_recursion():
    rng = np.random.default_rng(4)
    x = cr.tensor(rng.standard_normal((1000, 2, 3)), requires_grad=True)
    W_ih = cr.tensor(rng.standard_normal((16, 3)) * 0.3, requires_grad=True)
    W_hh = cr.tensor(rng.standard_normal((16, 4)) * 0.3, requires_grad=True)
    y = fused_layer("LSTM", x, W_ih, W_hh)
    y[1000].sum().backward()
    assert x.grad.shape == (1000, 2, 3) and np.isfinite(x.grad.data).all()
    assert np.abs(x.grad.data[0]).sum() < np.abs(x.grad.data[-1]).sum()  # it decays back


@pytest.mark.parametrize("steps", [1, 2, 7])
@pytest.mark.parametrize("reverse", [False, True])
def test_fused_lstm_on_two_threads_matches_composed(steps, reverse):
    """On two BLAS threads (the step loops use every thread) the fused LSTM's outputs and
    gradients are the composed reference's, for T = 1, 2 and 7, in both directions."""
    from chainrule import backend

    rng = np.random.default_rng(3)
    G = 4 * H
    shapes = [(steps, B, I), (G, I), (G, H), (G,), (G,), (B, H), (B, H)]
    ts = [cr.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    gy = cr.tensor(rng.standard_normal((steps + 2, B, H)))
    before = backend._threads[0]
    results = []
    try:
        for f, threads in ((fused_layer, 2), (composed_layer, 1)):
            cr.set_num_threads(threads)
            for t in ts:
                t.grad = None
            y = f("LSTM", *ts, reverse=reverse)
            y.backward(gy)
            results.append([y.data] + [t.grad.data for t in ts])
    finally:
        backend._threads[0] = before
        if backend._blas._set is not None:
            backend._blas.most = before or backend._blas.most
    for i, (a, b) in enumerate(zip(*results)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"item {i}")
