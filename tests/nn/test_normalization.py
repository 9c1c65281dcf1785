"""Normalisation layers beside their torch twins (same weights): outputs, input and parameter
gradients, running statistics after several training steps, and eval mode."""

from __future__ import annotations

import helpers
import numpy as np
import pytest
import torch
from helpers import assert_close

import chainrule as cr
from chainrule.nn.normalization import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    GroupNorm,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
    LayerNorm,
    LocalResponseNorm,
    RMSNorm,
)

TORCH_DTYPE = {"float64": torch.float64, "float32": torch.float32}


def _twins(ours, theirs, rng, dtype):
    """Give both layers the same random parameters (not ones/zeros, so they matter); ours then
    moves to the test's device (``helpers.DEVICE``)."""
    theirs.to(TORCH_DTYPE[dtype])
    for name, p in theirs.named_parameters():
        a = rng.uniform(0.5, 1.5, tuple(p.shape)).astype(dtype)
        with torch.no_grad():
            p.copy_(torch.from_numpy(a))
        getattr(ours, name).data[...] = a
    ours.to(helpers.DEVICE)


def _step(ours, theirs, x, rng, dtype):
    """One forward and backward on both; compare output and every gradient."""
    xc = cr.tensor(x, requires_grad=True, device=helpers.DEVICE)
    xt = torch.tensor(x, requires_grad=True)
    y, y_t = ours(xc), theirs(xt)
    assert_close(y.data, y_t, dtype, "output")
    g = rng.standard_normal(y.shape).astype(dtype)
    for p in ours.parameters():
        p.grad = None
    theirs.zero_grad()
    y.backward(cr.tensor(g, device=helpers.DEVICE))
    y_t.backward(torch.from_numpy(g))
    assert_close(xc.grad.data, xt.grad, dtype, "input grad")
    for name, p in theirs.named_parameters():
        assert_close(getattr(ours, name).grad.data, p.grad, dtype, f"{name} grad")


def _compare_buffers(ours, theirs, dtype):
    for name, b in theirs.named_buffers():
        ob = getattr(ours, name)
        assert str(ob.dtype) == str(b.dtype).replace("torch.", ""), name
        assert_close(ob.data, b, dtype, name)


BN_CASES = [
    (BatchNorm1d, torch.nn.BatchNorm1d, (8, 3)),
    (BatchNorm1d, torch.nn.BatchNorm1d, (4, 3, 5)),
    (BatchNorm2d, torch.nn.BatchNorm2d, (4, 3, 3, 3)),
    (BatchNorm3d, torch.nn.BatchNorm3d, (2, 3, 2, 3, 2)),
]


@pytest.mark.parametrize("ours_cls,torch_cls,shape", BN_CASES)
@pytest.mark.parametrize("momentum", [0.1, None, 0.5])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_batch_norm_train_then_eval(ours_cls, torch_cls, shape, momentum, dtype):
    rng = np.random.default_rng(0)
    C = shape[1]
    ours = ours_cls(C, momentum=momentum, dtype=dtype)
    theirs = torch_cls(C, momentum=momentum)
    _twins(ours, theirs, rng, dtype)
    for _ in range(3):
        _step(ours, theirs, (rng.standard_normal(shape) * 2 + 0.5).astype(dtype), rng, dtype)
    _compare_buffers(ours, theirs, dtype)
    assert int(ours.num_batches_tracked.item()) == 3
    ours.eval()
    theirs.eval()
    _step(ours, theirs, rng.standard_normal(shape).astype(dtype), rng, dtype)
    _compare_buffers(ours, theirs, dtype)  # eval leaves the statistics alone


@pytest.mark.parametrize("affine,track", [(False, True), (True, False), (False, False)])
def test_batch_norm_options(affine, track):
    rng = np.random.default_rng(1)
    ours = BatchNorm2d(2, affine=affine, track_running_stats=track, dtype="float64")
    theirs = torch.nn.BatchNorm2d(2, affine=affine, track_running_stats=track)
    _twins(ours, theirs, rng, "float64")
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    for training in (True, True, False):
        ours.train(training)
        theirs.train(training)
        _step(ours, theirs, rng.standard_normal((3, 2, 2, 2)), rng, "float64")
    _compare_buffers(ours, theirs, "float64")


def test_batch_norm_state_and_defaults():
    bn = BatchNorm2d(4)
    t = torch.nn.BatchNorm2d(4)
    assert list(bn.state_dict()) == list(t.state_dict())
    assert bn.weight.dtype == cr.float32 and bn.num_batches_tracked.dtype == cr.int64
    assert len(list(bn.parameters())) == 2
    assert (bn.eps, bn.momentum, bn.affine, bn.track_running_stats) == (1e-5, 0.1, True, True)
    bn(cr.tensor(np.ones((2, 4, 2, 2), np.float32)))
    bn.reset_running_stats()
    assert bn.num_batches_tracked.item() == 0 and (bn.running_var.data == 1).all()


def test_batch_norm_errors():
    with pytest.raises(
        ValueError,
        match=r"BatchNorm2d: expected 4-D input \(N, C, H, W\), got "
        r"shape \(3, 4\)",
    ):
        BatchNorm2d(4)(cr.tensor(np.zeros((3, 4), np.float32)))
    with pytest.raises(
        ValueError,
        match=r"BatchNorm2d: expected 16 channels, got shape "
        r"\(8, 3, 5, 5\)",
    ):
        BatchNorm2d(16)(cr.tensor(np.zeros((8, 3, 5, 5), np.float32)))
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected 2-D or 3-D input"):
        BatchNorm1d(3)(cr.tensor(np.zeros((2, 3, 4, 4), np.float32)))


@pytest.mark.parametrize("affine,bias", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_layer_norm_matches_torch(affine, bias, dtype):
    rng = np.random.default_rng(2)
    ours = LayerNorm((3, 4), eps=1e-4, elementwise_affine=affine, bias=bias, dtype=dtype)
    theirs = torch.nn.LayerNorm((3, 4), eps=1e-4, elementwise_affine=affine, bias=bias)
    _twins(ours, theirs, rng, dtype)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    _step(ours, theirs, rng.standard_normal((5, 3, 4)).astype(dtype), rng, dtype)


def test_layer_norm_int_shape():
    ln = LayerNorm(6)
    assert ln.normalized_shape == (6,) and ln.weight.shape == (6,)


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_group_norm_matches_torch(affine, dtype):
    rng = np.random.default_rng(3)
    ours = GroupNorm(3, 6, affine=affine, dtype=dtype)
    theirs = torch.nn.GroupNorm(3, 6, affine=affine)
    _twins(ours, theirs, rng, dtype)
    _step(ours, theirs, rng.standard_normal((4, 6, 3, 2)).astype(dtype), rng, dtype)
    ours.eval()
    theirs.eval()  # no running statistics: eval is the same computation
    _step(ours, theirs, rng.standard_normal((4, 6, 5)).astype(dtype), rng, dtype)


def test_group_norm_errors():
    with pytest.raises(
        ValueError,
        match=r"num_channels \(6\) must be divisible by "
        r"num_groups \(4\)",
    ):
        GroupNorm(4, 6)
    with pytest.raises(ValueError, match=r"expected input \(N, 6, \*\), got shape \(2, 4, 3\)"):
        GroupNorm(3, 6)(cr.tensor(np.zeros((2, 4, 3), np.float32)))


# ------------------------------------------------------------------ InstanceNorm
IN_CASES = [
    (InstanceNorm1d, torch.nn.InstanceNorm1d, (4, 3, 5)),
    (InstanceNorm1d, torch.nn.InstanceNorm1d, (3, 5)),  # unbatched (C, L)
    (InstanceNorm2d, torch.nn.InstanceNorm2d, (2, 3, 3, 4)),
    (InstanceNorm2d, torch.nn.InstanceNorm2d, (3, 3, 4)),  # unbatched (C, H, W)
    (InstanceNorm3d, torch.nn.InstanceNorm3d, (2, 3, 2, 2, 3)),
]


@pytest.mark.parametrize("ours_cls,torch_cls,shape", IN_CASES)
@pytest.mark.parametrize(
    "affine,track", [(False, False), (True, False), (True, True), (False, True)]
)
@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_instance_norm_train_then_eval(ours_cls, torch_cls, shape, affine, track, momentum, dtype):
    """Training steps (outputs, gradients, running statistics), then eval, where tracked
    statistics replace the instance ones."""
    rng = np.random.default_rng(7)
    kw = dict(eps=1e-3, momentum=momentum, affine=affine, track_running_stats=track)
    ours, theirs = ours_cls(3, dtype=dtype, **kw), torch_cls(3, **kw)
    _twins(ours, theirs, rng, dtype)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    for _ in range(2):
        x = (rng.standard_normal(shape) * 2 + 1).astype(dtype)
        _step(ours, theirs, x, rng, dtype)
        _compare_buffers(ours, theirs, dtype)
    ours.eval()
    theirs.eval()
    _step(ours, theirs, rng.standard_normal(shape).astype(dtype), rng, dtype)
    _compare_buffers(ours, theirs, dtype)


def test_instance_norm_defaults_and_errors():
    m = InstanceNorm2d(4)
    assert not m.affine and not m.track_running_stats and m.weight is None
    assert m.running_mean is None and list(m.state_dict()) == []
    with pytest.raises(ValueError, match=r"InstanceNorm2d: expected 3-D \(unbatched\) or 4-D"):
        m(cr.zeros(4, 3))
    with pytest.raises(ValueError, match=r"InstanceNorm1d: expected 4 channels, got shape"):
        InstanceNorm1d(4, affine=True)(cr.zeros(2, 3, 5))


# ------------------------------------------------------------------ RMSNorm
@pytest.mark.parametrize("shape,normalized", [((5, 4), 4), ((2, 3, 4), (3, 4))])
@pytest.mark.parametrize("eps", [None, 1e-2])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_rms_norm_matches_torch(shape, normalized, eps, affine, dtype):
    rng = np.random.default_rng(8)
    ours = RMSNorm(normalized, eps=eps, elementwise_affine=affine, dtype=dtype)
    theirs = torch.nn.RMSNorm(normalized, eps=eps, elementwise_affine=affine)
    _twins(ours, theirs, rng, dtype)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    _step(ours, theirs, rng.standard_normal(shape).astype(dtype), rng, dtype)


def test_rms_norm_layer_defaults():
    m = RMSNorm([2, 3])
    assert m.normalized_shape == (2, 3) and m.eps is None
    assert m.weight.shape == (2, 3) and m.weight.dtype == cr.float32
    assert m.weight.data.sum() == 6
    assert RMSNorm(3, elementwise_affine=False).weight is None


# ------------------------------------------------------------------ LocalResponseNorm
@pytest.mark.parametrize("shape", [(2, 5, 4), (2, 6, 3, 3)])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_local_response_norm_layer_matches_torch(shape, dtype):
    rng = np.random.default_rng(9)
    ours, theirs = (
        LocalResponseNorm(3, alpha=0.2, beta=0.5, k=2.0),
        torch.nn.LocalResponseNorm(3, alpha=0.2, beta=0.5, k=2.0),
    )
    _twins(ours, theirs, rng, dtype)
    _step(ours, theirs, rng.standard_normal(shape).astype(dtype), rng, dtype)
    assert list(ours.parameters()) == []
