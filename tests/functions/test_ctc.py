"""ctc_loss against torch.nn.functional.ctc_loss: values, dtypes and log_probs gradients for each
reduction, padded and concatenated targets, batched and unbatched input, zero_infinity with
impossible alignments, repeated labels; closed forms and finite differences as second oracles."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import assert_close, check_against_torch, check_gradcheck, on_device

import chainrule as cr
from chainrule.functions.activation import log_softmax
from chainrule.functions.ctc import ctc_loss

T, N, C = 6, 4, 5
# sample 0 repeats a label (needs a blank between), sample 2 cannot fit in its 3 frames
# (1, 1, 2, 2 needs 6), sample 3 has an empty target
TARGETS = np.array([[1, 1, 3, 0], [2, 4, 0, 0], [1, 1, 2, 2], [3, 0, 0, 0]])
TARGET_LENGTHS = np.array([3, 2, 4, 0])
INPUT_LENGTHS = np.array([6, 5, 3, 4])


def _log_probs(shape=(T, N, C), seed=0):
    z = np.random.default_rng(seed).standard_normal(shape)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def _concat(targets, lengths):
    return np.concatenate([t[:n] for t, n in zip(targets, lengths)])


def _check(targets, il, tl, dtype="float64", x=None, **kw):
    """ctc_loss of log-probabilities x in both libraries: value, dtype and gradient."""
    x = _log_probs() if x is None else x

    def ours(lp):
        return ctc_loss(lp, on_device(targets), on_device(il), on_device(tl), **kw)

    def theirs(lp):
        return F.ctc_loss(lp, torch.tensor(targets), torch.tensor(il), torch.tensor(tl), **kw)

    # torch's gradient has no derivative: first order only
    return check_against_torch(ours, x, torch_fn=theirs, dtype=dtype, gradgrad=False)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("layout", ["padded", "concatenated"])
def test_ctc_matches_torch(reduction, zero_infinity, layout):
    targets = TARGETS if layout == "padded" else _concat(TARGETS, TARGET_LENGTHS)
    out = _check(
        targets, INPUT_LENGTHS, TARGET_LENGTHS, reduction=reduction, zero_infinity=zero_infinity
    )
    if reduction == "none":  # the impossible sample is there: inf, or 0 with zero_infinity
        assert out.data[2] == (0 if zero_infinity else math.inf)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_ctc_float32(reduction):
    out = _check(TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, dtype="float32", reduction=reduction)
    assert str(out.dtype) == "float32"


def test_ctc_possible_alignments_only_and_int32_lengths():
    il, tl = INPUT_LENGTHS.astype(np.int32), TARGET_LENGTHS.astype(np.int32)
    il[2] = 6
    _check(TARGETS.astype(np.int32), il, tl, reduction="mean")


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_ctc_unnormalised_log_probs_get_torchs_gradient(reduction):
    """torch's gradient adds exp(x): it is the gradient w.r.t. logits behind a log_softmax, and
    differs from the plain derivative when x is not normalised; we return torch's numbers."""
    x = np.random.default_rng(1).standard_normal((T, N, C))
    _check(TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, x=x, reduction=reduction)


def test_ctc_through_log_softmax_matches_torch():
    il = np.array([6, 5, 6, 4])

    def ours(z):
        return ctc_loss(log_softmax(z, 2), on_device(TARGETS), il, TARGET_LENGTHS)

    def theirs(z):
        return F.ctc_loss(z.log_softmax(2), torch.tensor(TARGETS), il.tolist(), [3, 2, 4, 0])

    check_against_torch(ours, (T, N, C), torch_fn=theirs, gradgrad=False)


def test_ctc_through_log_softmax_gradcheck():
    """Finite differences: through log_softmax, torch's gradient is the true one."""
    targets, il, tl = np.array([[1, 1], [2, 0]]), [4, 3], [2, 1]

    def fn(z):
        return ctc_loss(log_softmax(z, 2), targets, il, tl, reduction="sum")

    check_gradcheck(fn, (4, 2, 3), gradgrad=False)


def test_ctc_unbatched():
    x = _log_probs((T, C))
    _check(TARGETS[:1], np.array(6), np.array(3), x=x, reduction="none")  # padded (1, S)
    _check(TARGETS[0, :3], np.array([6]), np.array([3]), x=x, reduction="mean")  # 1-D
    out = ctc_loss(cr.tensor(x), TARGETS[0, :3], (6,), (3,), reduction="none")
    ref = F.ctc_loss(torch.tensor(x), torch.tensor(TARGETS[0, :3]), (6,), (3,), reduction="none")
    assert out.shape == () and ref.shape == ()
    assert_close(out.data, ref)


def test_ctc_blank_last_class_and_sequence_lengths():
    targets = np.array([[0, 1, 1], [3, 2, 0]])
    x = _log_probs((5, 2, C), seed=3)
    _check(targets, np.array([5, 4]), np.array([3, 2]), x=x, blank=C - 1, reduction="sum")
    out = ctc_loss(cr.tensor(x), cr.tensor(targets), [5, 4], (3, 2), blank=C - 1)
    ref = F.ctc_loss(torch.tensor(x), torch.tensor(targets), [5, 4], (3, 2), blank=C - 1)
    assert_close(out.data, ref)


def test_ctc_zero_input_length():
    """No frames: the empty target costs 0, any other is impossible."""
    il, tl = np.array([0, 0, 6, 2]), np.array([0, 2, 3, 0])
    for zero_infinity in (False, True):
        out = _check(TARGETS, il, tl, reduction="none", zero_infinity=zero_infinity)
        assert out.data[0] == 0 and out.data[1] == (0 if zero_infinity else math.inf)


def test_ctc_closed_forms():
    """Empty target: −Σₜ xₜ[blank]. Target (1, 1) in exactly 3 frames: the one alignment
    1, blank, 1. In 2 frames it is impossible."""
    x = _log_probs((3, 1, 3), seed=5)
    lp = cr.tensor(x)
    empty = ctc_loss(lp, np.zeros((1, 0), dtype=np.int64), [3], [0], reduction="sum")
    np.testing.assert_allclose(empty.data, -x[:, 0, 0].sum(), rtol=1e-12)
    rep = ctc_loss(lp, np.array([[1, 1]]), [3], [2], reduction="sum")
    np.testing.assert_allclose(rep.data, -(x[0, 0, 1] + x[1, 0, 0] + x[2, 0, 1]), rtol=1e-12)
    assert ctc_loss(lp, np.array([[1, 1]]), [2], [2], reduction="sum").item() == math.inf
    # distinct labels may follow each other directly: 1 2 in two frames has one alignment
    two = ctc_loss(lp, np.array([[1, 2]]), [2], [2], reduction="sum")
    np.testing.assert_allclose(two.data, -(x[0, 0, 1] + x[1, 0, 2]), rtol=1e-12)


def test_ctc_gradient_has_no_derivative():
    x = cr.tensor(_log_probs(), requires_grad=True)
    loss = ctc_loss(x, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, zero_infinity=True)
    (g,) = cr.grad(loss, [x], create_graph=True)
    xt = torch.tensor(_log_probs(), requires_grad=True)
    lt = F.ctc_loss(
        xt, torch.tensor(TARGETS), INPUT_LENGTHS.tolist(), [3, 2, 4, 0], 0, "mean", True
    )
    (gt,) = torch.autograd.grad(lt, xt, create_graph=True)
    assert_close(g.data, gt)
    assert g.requires_grad and gt.requires_grad
    with pytest.raises(RuntimeError, match="derivative for aten::_ctc_loss_backward"):
        torch.autograd.grad(gt.sum(), xt)
    with pytest.raises(RuntimeError, match="ctc_loss: the derivative of ctc_loss's gradient"):
        cr.grad(g.sum(), [x])


LP = _log_probs()
ERRORS = [
    (dict(log_probs=LP[0, 0]), ValueError, r"\(T, N, C\) or unbatched \(T, C\), got shape \(5,\)"),
    (dict(log_probs=LP.astype(np.int64)), TypeError, "log_probs must be floating point"),
    (dict(log_probs=LP[:, :0]), ValueError, r"must not be empty, got shape \(6, 0, 5\)"),
    (dict(blank=5), ValueError, r"blank must be in the label range \[0, 5\), got 5"),
    (dict(blank=-1), ValueError, r"blank must be in the label range \[0, 5\), got -1"),
    (dict(reduction="avg"), ValueError, "reduction must be one of 'none', 'mean', 'sum'"),
    (dict(input_lengths=[6, 5, 3]), ValueError, r"input_lengths must hold one length per .*\(4\)"),
    (dict(target_lengths=[3, 2]), ValueError, r"target_lengths must hold one length .*\(2,\)"),
    (dict(input_lengths=[6.0, 5, 3, 4]), TypeError, "input_lengths must be integers"),
    (dict(input_lengths=[7, 5, 3, 4]), ValueError, r"at most the number of frames T = 6"),
    (dict(input_lengths=[-1, 5, 3, 4]), ValueError, r"input_lengths must be non-negative"),
    (dict(target_lengths=[3, -2, 4, 0]), ValueError, r"target_lengths must be non-negative"),
    (dict(target_lengths=[5, 2, 4, 0]), ValueError, r"longest target length 5, got \(4, 4\)"),
    (dict(targets=TARGETS[:3]), ValueError, r"with N = 4 .* got \(3, 4\)"),
    (dict(targets=TARGETS.reshape(-1)), ValueError, r"sum\(target_lengths\) = 9 elements, got 16"),
    (dict(targets=TARGETS[None]), ValueError, r"\(N, S\) padded or 1-D concatenated, got shape"),
    (dict(targets=TARGETS + 3), IndexError, "target 6 out of range for 5 classes"),
    (
        dict(targets=np.where(TARGETS == 1, 0, TARGETS)),
        ValueError,
        "must not contain the blank label 0",
    ),
    (dict(targets=TARGETS.astype(bool)), TypeError, "targets must be class indices"),
]


@pytest.mark.parametrize("kw,exc,match", ERRORS)
def test_ctc_errors(kw, exc, match):
    args = dict(
        log_probs=LP, targets=TARGETS, input_lengths=INPUT_LENGTHS, target_lengths=TARGET_LENGTHS
    )
    args.update(kw)
    args["log_probs"] = cr.tensor(args["log_probs"])
    with pytest.raises(exc, match=match):
        ctc_loss(**args)


def test_ctc_float_targets_are_indices_as_in_torch():
    out = ctc_loss(cr.tensor(LP), TARGETS.astype(np.float32), INPUT_LENGTHS, TARGET_LENGTHS)
    ref = F.ctc_loss(
        torch.tensor(LP),
        torch.tensor(TARGETS.astype(np.float32)),
        torch.tensor(INPUT_LENGTHS),
        torch.tensor(TARGET_LENGTHS),
    )
    assert_close(out.data, ref)
