"""AdaptiveLogSoftmaxWithLoss against torch's with the same weights: parameter names and shapes,
(output, loss), log_prob and predict values, and gradients of the input and every parameter."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import assert_close, on_device

import chainrule as cr
from chainrule.functions.joining import cat
from chainrule.nn.adaptive import AdaptiveLogSoftmaxWithLoss

from .twin import check_twin

CONFIGS = [  # in_features, n_classes, cutoffs, div_value, head_bias
    (8, 10, [3, 6], 2.0, True),
    (6, 7, [2], 4.0, False),
    (5, 12, [1, 4, 9], 1.5, False),
]
TARGETS = {10: [0, 4, 9, 2, 6, 7, 3], 7: [0, 4, 6, 1, 2, 5, 3], 12: [0, 11, 1, 4, 9, 3, 8]}


class _TorchBoth(torch.nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x, t):
        out, loss = self.inner(x, t)
        return torch.cat([out.reshape(-1), loss.reshape(1)])


class _CrBoth(cr.nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x, t):
        out, loss = self.inner(x, t)
        return cat([out.reshape(-1), loss.reshape(1)])


def _pair(config, dtype="float64", seed=0):
    torch.manual_seed(seed)
    theirs = torch.nn.AdaptiveLogSoftmaxWithLoss(*config)
    theirs = theirs.double() if dtype == "float64" else theirs
    ours = AdaptiveLogSoftmaxWithLoss(*config, dtype=dtype)
    ours.load_state_dict({k: cr.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("config", CONFIGS)
def test_parameters_have_torchs_names_and_shapes(config):
    ours, theirs = AdaptiveLogSoftmaxWithLoss(*config), torch.nn.AdaptiveLogSoftmaxWithLoss(*config)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in theirs.state_dict().items()
    ]
    for attr in ("in_features", "n_classes", "cutoffs", "div_value", "head_bias"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    for attr in ("shortlist_size", "n_clusters", "head_size"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert (
        str(ours.weight.dtype if hasattr(ours, "weight") else ours.head.weight.dtype) == "float32"
    )


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_forward_matches_torch(config, dtype):
    torch.manual_seed(0)
    theirs = torch.nn.AdaptiveLogSoftmaxWithLoss(*config)
    ours = AdaptiveLogSoftmaxWithLoss(*config)
    t = np.array(TARGETS[config[1]])
    check_twin(_CrBoth(ours), _TorchBoth(theirs), (len(t), config[0]), t, dtype=dtype)


def test_forward_shortlist_only_and_unbatched(device):
    """Targets all in the shortlist leave the tails unused (no gradient, as torch); a 0-d target
    with a 1-D input gives a 0-d output."""
    config = CONFIGS[0]
    torch.manual_seed(1)
    theirs = torch.nn.AdaptiveLogSoftmaxWithLoss(*config)
    ours = AdaptiveLogSoftmaxWithLoss(*config)
    check_twin(_CrBoth(ours), _TorchBoth(theirs), (4, 8), np.array([0, 2, 1, 2]))
    for target in (1, 5, 9):
        check_twin(_CrBoth(ours), _TorchBoth(theirs), (8,), np.array(target))
    ours, theirs = _pair(config)
    ours.to(device)
    x = np.random.default_rng(0).standard_normal(8)
    out, loss = ours(on_device(x), on_device(np.array(7)))
    out_t, loss_t = theirs(torch.tensor(x), torch.tensor(7))
    assert out.shape == () == tuple(out_t.shape) and loss.shape == ()
    assert_close(out.data, out_t)
    assert_close(loss.data, loss_t)
    res, res_t = (
        ours(on_device(x), on_device(np.array(7))),
        theirs(torch.tensor(x), torch.tensor(7)),
    )
    assert type(res).__name__ == type(res_t).__name__ and res._fields == res_t._fields


@pytest.mark.parametrize("config", CONFIGS)
def test_log_prob_matches_torch_and_normalises(config):
    ours, theirs = _pair(config)
    x = np.random.default_rng(2).standard_normal((5, config[0]))
    xc = cr.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    lp, lp_t = ours.log_prob(xc), theirs.log_prob(xt)
    assert_close(lp.data, lp_t)
    np.testing.assert_allclose(np.exp(lp.data).sum(1), 1.0, rtol=1e-12)
    g = np.random.default_rng(3).standard_normal(tuple(lp_t.shape))
    lp.backward(cr.tensor(g))
    lp_t.backward(torch.tensor(g))
    assert_close(xc.grad.data, xt.grad)
    for name, p in theirs.named_parameters():
        assert_close(dict(ours.named_parameters())[name].grad.data, p.grad, what=name)
    # the loss's output is log_prob at the targets
    t = np.array(TARGETS[config[1]][:5])
    out, _ = ours(cr.tensor(x), cr.tensor(t))
    assert_close(out.data, lp_t.detach().numpy()[np.arange(5), t])


@pytest.mark.parametrize("where", ["shortlist", "clusters", "mixed"])
def test_predict_matches_torch(where, device):
    ours, theirs = _pair(CONFIGS[2])
    with torch.no_grad():  # steer the head's best entry into the shortlist or the clusters
        bias = {"shortlist": [9, 0, 0, 0], "clusters": [-9, 9, 9, 9], "mixed": [0, 0, 0, 0]}
        theirs.head.weight[:, 0] = torch.tensor(bias[where], dtype=torch.float64)
    ours.load_state_dict({k: cr.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    ours.to(device)
    x = np.random.default_rng(4).standard_normal((16, 5))
    x[:, 0] = np.abs(x[:, 0]) + 1
    if where == "mixed":
        x[::2, 0] *= -1
    pred, pred_t = ours.predict(on_device(x)), theirs.predict(torch.tensor(x))
    assert pred.dtype == cr.int64
    np.testing.assert_array_equal(cr.backend.to_host(pred.data), pred_t.numpy())
    full = theirs.log_prob(torch.tensor(x)).argmax(1).numpy()
    np.testing.assert_array_equal(cr.backend.to_host(pred.data), full)
    head_best = theirs.head(torch.tensor(x)).argmax(1)
    if where != "mixed":
        assert bool(((head_best < 1) if where == "shortlist" else (head_best >= 1)).all())
    else:
        assert 0 < int((head_best >= 1).sum()) < 16


def test_state_dict_from_torch_loads_and_float32_default():
    ours, theirs = _pair(CONFIGS[0], dtype="float32")
    assert ours.head.weight.dtype == cr.float32
    x = np.random.default_rng(5).standard_normal((7, 8)).astype(np.float32)
    t = np.array(TARGETS[10])
    out, loss = ours(cr.tensor(x), cr.tensor(t))
    out_t, loss_t = theirs(torch.tensor(x), torch.tensor(t))
    assert out.dtype == cr.float32 and loss.dtype == cr.float32
    assert_close(out.data, out_t, "float32")
    assert_close(loss.data, loss_t, "float32")


@pytest.mark.parametrize(
    "args,match",
    [
        ((8, 10, []), r"cutoffs must hold at least one value, got \[\]"),
        ((8, 10, [6, 3]), r"increasing order.*n_classes - 1 = 9, got \[6, 3\]"),
        ((8, 10, [0, 3]), r"got \[0, 3\]"),
        ((8, 10, [3, 10]), r"got \[3, 10\]"),
        ((8, 10, [3, 3]), r"got \[3, 3\]"),
        ((8, 10, [2.5]), r"got \[2.5\]"),
    ],
)
def test_constructor_errors(args, match):
    with pytest.raises(ValueError, match="AdaptiveLogSoftmaxWithLoss: .*" + match):
        AdaptiveLogSoftmaxWithLoss(*args)
    with pytest.raises(ValueError):
        torch.nn.AdaptiveLogSoftmaxWithLoss(*args)


@pytest.mark.parametrize(
    "x_shape,target,exc,match",
    [
        ((4, 8), [0, 1, 2], ValueError, r"same batch size, got input shape \(4, 8\) and target"),
        ((4, 2, 8), [0, 1, 2, 3], ValueError, r"1-D target needs a 2-D input, got .*\(4, 2, 8\)"),
        ((4, 8), 1, ValueError, r"0-d target needs a 1-D input, got input shape \(4, 8\)"),
        ((4, 8), [[0, 1]], ValueError, r"target must be 0-d or 1-D, got shape \(1, 2\)"),
        ((4, 8), [0, 1, 10, 2], IndexError, r"in \[0, 9\], got values in \[0, 10\]"),
        ((4, 8), [0, -1, 3, 2], IndexError, r"in \[0, 9\], got values in \[-1, 3\]"),
        ((4, 8), [0.0, 1, 3, 2], TypeError, "target must hold class indices, got dtype float"),
    ],
)
def test_forward_errors(x_shape, target, exc, match):
    ours = AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6])
    with pytest.raises(exc, match="AdaptiveLogSoftmaxWithLoss: .*" + match):
        ours(cr.tensor(np.zeros(x_shape, dtype=np.float32)), cr.tensor(np.array(target)))
    with pytest.raises(ValueError, match=r"log_prob: input must be \(N, 8\), got shape \(8,\)"):
        ours.log_prob(cr.tensor(np.zeros(8, dtype=np.float32)))
    with pytest.raises(ValueError, match=r"predict: input must be \(N, 8\), got shape \(8,\)"):
        ours.predict(cr.tensor(np.zeros(8, dtype=np.float32)))


def test_empty_batch():
    """As torch: an empty output, a NaN loss (the mean of nothing), an empty prediction."""
    ours, theirs = _pair(CONFIGS[0])
    x, t = np.zeros((0, 8)), np.zeros(0, dtype=np.int64)
    with np.errstate(invalid="ignore"):
        out, loss = ours(cr.tensor(x), cr.tensor(t))
    out_t, loss_t = theirs(torch.tensor(x), torch.tensor(t))
    assert out.shape == tuple(out_t.shape) == (0,)
    assert np.isnan(loss.item()) and np.isnan(loss_t.item())
    assert ours.predict(cr.tensor(x)).shape == tuple(theirs.predict(torch.tensor(x)).shape)
