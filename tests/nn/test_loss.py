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
