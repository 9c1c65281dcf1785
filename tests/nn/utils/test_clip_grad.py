import math

import helpers
import numpy as np
import pytest
import torch
from helpers import assert_close, host

import chainrule as cr
from chainrule.nn import Parameter
from chainrule.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)

SHAPES = [(3, 4), (5,), (), (2, 0)]


def pairs(scale, dtype="float64", seed=0, shapes=SHAPES):
    """The same parameters with the same gradients in chainrule (on ``helpers.DEVICE``) and
    torch."""
    rng = np.random.default_rng(seed)
    ours, theirs = [], []
    for s in shapes:
        g = (scale * rng.standard_normal(s)).astype(dtype)
        p, t = (
            Parameter(cr.tensor(np.zeros(s, dtype), device=helpers.DEVICE)),
            torch.nn.Parameter(torch.zeros(s, dtype=getattr(torch, dtype))),
        )
        p.grad, t.grad = cr.tensor(g.copy(), device=helpers.DEVICE), torch.tensor(g.copy())
        ours.append(p)
        theirs.append(t)
    return ours, theirs


def same_grads(ours, theirs, dtype):
    for i, (p, t) in enumerate(zip(ours, theirs)):
        assert_close(p.grad.data, t.grad, dtype, what=f"grad {i}")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("norm_type", [2, 2.0, 1, math.inf, 3.0, 0.5])
@pytest.mark.parametrize("scale", [0.01, 10.0])  # below and above max_norm
def test_clip_grad_norm_matches_torch(norm_type, scale, dtype):
    # torch refuses the inf-norm of an empty gradient; ours takes it as 0 (tested below)
    ours, theirs = pairs(scale, dtype, shapes=SHAPES if norm_type != math.inf else SHAPES[:-1])
    total = clip_grad_norm_(ours, max_norm=1.5, norm_type=norm_type)
    ref = torch.nn.utils.clip_grad_norm_(theirs, max_norm=1.5, norm_type=norm_type)
    assert isinstance(total, cr.Tensor) and total.shape == ()
    assert str(total.dtype) == dtype
    assert_close(total.data, ref, dtype, what="total norm")
    same_grads(ours, theirs, dtype)


def test_clip_grad_norm_mixed_dtypes_promote_like_torch():
    a, ta = pairs(5.0, "float32", seed=1, shapes=[(4,)])
    b, tb = pairs(5.0, "float64", seed=2, shapes=[(3,)])
    total = clip_grad_norm_(a + b, 1.0)
    ref = torch.nn.utils.clip_grad_norm_(ta + tb, 1.0)
    assert str(total.dtype) == "float64" and ref.dtype == torch.float64
    assert_close(total.data, ref, "float32", what="total norm")
    same_grads(a, ta, "float32")
    same_grads(b, tb, "float64")


def test_clip_grad_norm_takes_one_tensor_and_skips_missing_grads():
    p, q = Parameter(cr.tensor([3.0, 4.0])), Parameter(cr.tensor([1.0]))
    p.grad = cr.tensor([3.0, 4.0])
    total = clip_grad_norm_(p, max_norm=1.0)
    assert total.item() == pytest.approx(5.0)
    assert_close(p.grad.data, np.array([0.6, 0.8], "float32"), "float32")
    assert clip_grad_norm_([p, q], 10.0).item() == pytest.approx(1.0, rel=1e-6)
    assert q.grad is None


def test_empty_gradients_count_as_zero_in_every_norm():
    for norm_type in (1, 2, math.inf):
        ours, theirs = pairs(3.0, shapes=[(2, 0), (4,)])
        assert_close(
            clip_grad_norm_(ours, 1.0, norm_type).data,
            torch.linalg.vector_norm(theirs[1].grad, norm_type),
            what=str(norm_type),
        )


def test_clip_grad_norm_of_nothing_is_zero():
    total = clip_grad_norm_([Parameter(cr.tensor([1.0]))], 1.0)
    ref = torch.nn.utils.clip_grad_norm_([torch.nn.Parameter(torch.tensor([1.0]))], 1.0)
    assert total.item() == ref.item() == 0.0 and str(total.dtype) == "float32"


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_clip_grad_norm_nonfinite():
    p = Parameter(cr.tensor([1.0, 2.0]))
    p.grad = cr.tensor([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="total norm of order 2.0 .* is non-finite"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    t = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    t.grad = torch.tensor([np.inf, 1.0])
    total = clip_grad_norm_([p], 1.0)
    ref = torch.nn.utils.clip_grad_norm_([t], 1.0)
    assert total.item() == ref.item() == math.inf
    np.testing.assert_array_equal(p.grad.data, t.grad.numpy())


def test_get_total_norm_and_clip_grads_with_norm_compose():
    ours, theirs = pairs(3.0)
    total = get_total_norm([p.grad for p in ours], 1.0)
    ref = torch.nn.utils.get_total_norm([t.grad for t in theirs], 1.0)
    assert_close(total.data, ref, "float64", what="total norm")
    clip_grads_with_norm_(ours, 2.0, total)
    torch.nn.utils.clip_grads_with_norm_(theirs, 2.0, ref)
    same_grads(ours, theirs, "float64")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("clip_value", [0.5, 3])
def test_clip_grad_value_matches_torch(clip_value, dtype):
    ours, theirs = pairs(2.0, dtype)
    assert clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    same_grads(ours, theirs, dtype)
    assert max(float(np.abs(host(p.grad)).max(initial=0)) for p in ours) <= clip_value


def test_clip_grad_value_takes_one_tensor():
    p = Parameter(cr.tensor([-5.0, 0.25, 5.0]))
    p.grad = cr.tensor([-5.0, 0.25, 5.0])
    clip_grad_value_(p, 1)
    assert p.grad.data.tolist() == [-1.0, 0.25, 1.0]
