"""Loss modules beside torch's: constructor arguments, buffers, values and input gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import assert_close

import chainrule as cr
from chainrule.nn import loss as nnl

rng = np.random.default_rng(0)
X = rng.standard_normal((6, 4))
PROBS = rng.uniform(0.05, 0.95, (6, 4))
TARGETS = rng.random((6, 4))
LABELS = np.array([0, 3, 1, 2, 3, 1])
WEIGHT = rng.random(4) + 0.5
LOG_P = np.log(np.exp(X) / np.exp(X).sum(1, keepdims=True))

# (name, kwargs with arrays for tensors, input array, target array)
CASES = [
    ("MSELoss", {}, X, TARGETS),
    ("MSELoss", {"reduction": "sum"}, X, TARGETS),
    ("L1Loss", {"reduction": "none"}, X, TARGETS),
    ("SmoothL1Loss", {"beta": 0.3}, X, TARGETS),
    ("HuberLoss", {"delta": 0.4, "reduction": "sum"}, X, TARGETS),
    ("BCELoss", {"weight": WEIGHT}, PROBS, TARGETS),
    ("BCELoss", {"reduction": "none"}, PROBS, TARGETS),
    ("BCEWithLogitsLoss", {"pos_weight": WEIGHT, "weight": WEIGHT}, X * 30, TARGETS),
    ("BCEWithLogitsLoss", {"reduction": "sum"}, X, TARGETS),
    ("NLLLoss", {"weight": WEIGHT, "ignore_index": 3}, LOG_P, LABELS),
    ("NLLLoss", {"reduction": "none"}, LOG_P, LABELS),
    ("KLDivLoss", {"reduction": "batchmean"}, LOG_P, PROBS / PROBS.sum(1, keepdims=True)),
    ("KLDivLoss", {"log_target": True, "reduction": "sum"}, LOG_P, LOG_P[::-1].copy()),
    ("CrossEntropyLoss", {}, X, LABELS),
    ("CrossEntropyLoss", {"weight": WEIGHT, "ignore_index": 1, "label_smoothing": 0.2}, X, LABELS),
    (
        "CrossEntropyLoss",
        {"reduction": "none", "label_smoothing": 0.1},
        X,
        PROBS / PROBS.sum(1, keepdims=True),
    ),
    ("CrossEntropyLoss", {"size_average": False}, X, LABELS),
    ("MSELoss", {"reduce": False}, X, TARGETS),
]


def _kwargs(kw, lib):
    return {k: (lib.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}


@pytest.mark.parametrize("name,kw,x,t", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_loss_module_matches_torch(name, kw, x, t, device):
    ours = getattr(nnl, name)(**_kwargs(kw, cr)).to(device)  # weights are buffers: they move
    with pytest.warns(UserWarning) if "reduce" in kw or "size_average" in kw else _nothing():
        theirs = getattr(torch.nn, name)(**_kwargs(kw, torch))
    assert ours.reduction == theirs.reduction
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    xc = cr.tensor(x, requires_grad=True, device=device)
    xt = torch.tensor(x, requires_grad=True)
    y, y_t = ours(xc, cr.tensor(t, device=device)), theirs(xt, torch.tensor(t))
    assert_close(y.data, y_t, what="loss")
    g = rng.standard_normal(tuple(y_t.shape))
    y.backward(cr.tensor(g, device=device))
    y_t.backward(torch.tensor(g))
    assert_close(xc.grad.data, xt.grad, what="input grad")


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_loss_module_float32():
    ours = nnl.CrossEntropyLoss(label_smoothing=0.1)
    theirs = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
    x = X.astype(np.float32)
    xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, y_t = ours(xc, cr.tensor(LABELS)), theirs(xt, torch.tensor(LABELS))
    assert y.dtype == cr.float32
    assert_close(y.data, y_t, "float32")
    y.backward()
    y_t.backward()
    assert_close(xc.grad.data, xt.grad, "float32")


def test_loss_module_invalid_reduction():
    with pytest.raises(ValueError, match="CrossEntropyLoss: reduction must be one of"):
        nnl.CrossEntropyLoss(reduction="avg")
    with pytest.raises(ValueError, match="MSELoss: reduction must be one of .*got 'batchmean'"):
        nnl.MSELoss(reduction="batchmean")
    assert nnl.KLDivLoss(reduction="batchmean").reduction == "batchmean"


# ------------------------------------------------------------------ likelihood, margin, ranking
SIGNS = np.array([1.0, -1.0, -1.0, 1.0, 1.0, -1.0])
B = rng.standard_normal((6, 4))
C3 = rng.standard_normal((6, 4))
MLM = np.array(
    [[0, 1, -1, 2], [3, -1, 0, 0], [2, 2, 1, -1], [1, 0, 2, 3], [0, -1, 1, 1], [2, 1, -1, 0]]
)

# (name, constructor kwargs with arrays for tensors, call arguments, how many are differentiable)
MORE_CASES = [
    ("PoissonNLLLoss", {}, [X, TARGETS * 3], 2),
    ("PoissonNLLLoss", {"log_input": False, "full": True, "eps": 0.1, "reduction": "sum"},
     [PROBS, TARGETS * 3], 2),
    ("PoissonNLLLoss", {"reduce": False}, [X, TARGETS], 2),
    ("GaussianNLLLoss", {}, [X, B, PROBS], 3),
    ("GaussianNLLLoss", {"full": True, "eps": 0.2, "reduction": "none"}, [X, B, PROBS[:, 0]], 3),
    ("MarginRankingLoss", {"margin": 0.3}, [X[:, 0], B[:, 0], SIGNS], 3),
    ("MarginRankingLoss", {"reduction": "none"}, [X, B, np.ones((6, 4))], 3),
    ("HingeEmbeddingLoss", {"margin": 0.5}, [np.abs(X), np.resize(SIGNS, (6, 4))], 1),
    ("HingeEmbeddingLoss", {"size_average": False}, [np.abs(X), np.resize(SIGNS, (6, 4))], 1),
    ("CosineEmbeddingLoss", {"margin": 0.2}, [X, B, SIGNS], 2),
    ("CosineEmbeddingLoss", {"reduction": "sum"}, [X, B, SIGNS], 2),
    ("SoftMarginLoss", {}, [X, np.resize(SIGNS, (6, 4))], 1),
    ("SoftMarginLoss", {"reduction": "none"}, [X, np.resize(SIGNS, (6, 4))], 1),
    ("MultiLabelSoftMarginLoss", {"weight": WEIGHT}, [X, (TARGETS > 0.5) * 1.0], 1),
    ("MultiLabelSoftMarginLoss", {"reduction": "none"}, [X, (TARGETS > 0.5) * 1.0], 1),
    ("MultiMarginLoss", {}, [X, LABELS], 1),
    ("MultiMarginLoss", {"p": 2, "margin": 0.5, "weight": WEIGHT, "reduction": "sum"},
     [X, LABELS], 1),
    ("MultiLabelMarginLoss", {}, [X, MLM], 1),
    ("MultiLabelMarginLoss", {"reduction": "none"}, [X, MLM], 1),
    ("TripletMarginLoss", {}, [X, B, C3], 3),
    ("TripletMarginLoss", {"margin": 2.0, "p": 1, "eps": 0.0, "swap": True, "reduction": "none"},
     [X, B, C3], 3),
    ("TripletMarginWithDistanceLoss", {}, [X, B, C3], 3),
    ("TripletMarginWithDistanceLoss", {"margin": 2.0, "swap": True, "reduction": "none"},
     [X, B, C3], 3),
]  # fmt: skip


@pytest.mark.parametrize(
    "name,kw,args,n", MORE_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(MORE_CASES)]
)
def test_more_loss_modules_match_torch(name, kw, args, n, device):
    ours = getattr(nnl, name)(**_kwargs(kw, cr)).to(device)
    with pytest.warns(UserWarning) if "reduce" in kw or "size_average" in kw else _nothing():
        theirs = getattr(torch.nn, name)(**_kwargs(kw, torch))
    assert ours.reduction == theirs.reduction
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    xs = [cr.tensor(a, requires_grad=i < n, device=device) for i, a in enumerate(args)]
    xts = [torch.tensor(a, requires_grad=i < n) for i, a in enumerate(args)]
    y, y_t = ours(*xs), theirs(*xts)
    assert_close(y.data, y_t, what="loss")
    g = rng.standard_normal(tuple(y_t.shape))
    gs = cr.grad(y, xs[:n], cr.tensor(g, device=device))
    gts = torch.autograd.grad(y_t, xts[:n], torch.tensor(g))
    for i, (a, b) in enumerate(zip(gs, gts)):
        assert_close(a.data, b, what=f"grad of input {i}")


def test_more_loss_modules_keep_their_options():
    t = nnl.TripletMarginLoss(margin=2.0, p=1, eps=0.0, swap=True, reduction="sum")
    assert (t.margin, t.p, t.eps, t.swap, t.reduction) == (2.0, 1, 0.0, True, "sum")
    m = nnl.MultiMarginLoss(p=2, margin=0.5, weight=WEIGHT)
    assert (m.p, m.margin) == (2, 0.5) and isinstance(m.weight, cr.Tensor)
    g = nnl.GaussianNLLLoss(full=True, eps=0.1)
    assert (g.full, g.eps, g.reduction) == (True, 0.1, "mean")
    with pytest.raises(TypeError):
        nnl.GaussianNLLLoss(True)  # keyword-only, as torch
    p = nnl.PoissonNLLLoss(log_input=False, full=True, eps=0.5)
    assert (p.log_input, p.full, p.eps) == (False, True, 0.5)
    with pytest.raises(ValueError, match="MultiMarginLoss: only p == 1 and p == 2"):
        nnl.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match="SoftMarginLoss: reduction must be one of"):
        nnl.SoftMarginLoss(reduction="avg")


def test_more_loss_modules_float32():
    x, b = X.astype(np.float32), B.astype(np.float32)
    for ours, theirs, args in [
        (nnl.TripletMarginLoss(), torch.nn.TripletMarginLoss(), [x, b, x[::-1].copy()]),
        (nnl.GaussianNLLLoss(), torch.nn.GaussianNLLLoss(), [x, b, PROBS.astype(np.float32)]),
        (nnl.SoftMarginLoss(), torch.nn.SoftMarginLoss(), [x, np.sign(b)]),
    ]:
        y = ours(*[cr.tensor(a) for a in args])
        y_t = theirs(*[torch.tensor(a) for a in args])
        assert y.dtype == cr.float32
        assert_close(y.data, y_t, "float32")


def test_triplet_margin_with_distance_loss_module():
    """The default distance is a PairwiseDistance submodule, as torch's; a given one is used."""
    ours, theirs = nnl.TripletMarginWithDistanceLoss(), torch.nn.TripletMarginWithDistanceLoss()
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert type(ours.distance_function).__name__ == type(theirs.distance_function).__name__
    ours = nnl.TripletMarginWithDistanceLoss(
        distance_function=cr.nn.PairwiseDistance(p=1), margin=0.5, swap=True, reduction="sum"
    )
    theirs = torch.nn.TripletMarginWithDistanceLoss(
        distance_function=torch.nn.PairwiseDistance(p=1), margin=0.5, swap=True, reduction="sum"
    )
    assert (ours.margin, ours.swap, ours.reduction) == (0.5, True, "sum")
    xs = [cr.tensor(a, requires_grad=True) for a in (X, B, C3)]
    xts = [torch.tensor(a, requires_grad=True) for a in (X, B, C3)]
    y, y_t = ours(*xs), theirs(*xts)
    assert_close(y.data, y_t, what="loss")
    for a, b in zip(cr.grad(y, xs), torch.autograd.grad(y_t, xts)):
        assert_close(a.data, b, what="grad")
    with pytest.raises(ValueError, match="TripletMarginWithDistanceLoss: margin must be greater"):
        nnl.TripletMarginWithDistanceLoss(margin=0)
    with pytest.raises(TypeError):
        nnl.TripletMarginWithDistanceLoss(None)  # keyword-only, as torch


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_loss_module_matches_torch(reduction, zero_infinity, device):
    z = rng.standard_normal((5, 3, 4))
    lp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    targets, il, tl = np.array([[1, 1, 2], [3, 2, 0], [2, 2, 3]]), [5, 4, 2], [3, 2, 3]
    ours = nnl.CTCLoss(blank=0, reduction=reduction, zero_infinity=zero_infinity)
    theirs = torch.nn.CTCLoss(blank=0, reduction=reduction, zero_infinity=zero_infinity)
    assert (ours.blank, ours.zero_infinity, ours.reduction) == (0, zero_infinity, reduction)
    assert ours.state_dict() == {} and theirs.state_dict() == {}
    x = cr.tensor(lp, requires_grad=True, device=device)
    xt = torch.tensor(lp, requires_grad=True)
    y = ours(x, cr.tensor(targets, device=device), il, tl)
    y_t = theirs(xt, torch.tensor(targets), il, tl)  # sample 2 cannot fit: inf, or 0
    assert_close(y.data, y_t, what="loss")
    g = rng.standard_normal(tuple(y_t.shape))
    (gx,) = cr.grad(y, [x], cr.tensor(g, device=device))
    (gt,) = torch.autograd.grad(y_t, [xt], torch.tensor(g))
    assert_close(gx.data, gt, what="grad")
    with pytest.raises(ValueError, match="CTCLoss: reduction must be one of"):
        nnl.CTCLoss(reduction="batchmean")
