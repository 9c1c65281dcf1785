"""batch_norm, layer_norm, group_norm against torch.nn.functional: outputs, gradients of input
and affine parameters, gradients of gradients, running statistics; gradcheck in float64."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import assert_close, check_against_torch, check_gradcheck, on_device

import chainrule as cr
from chainrule.functions.normalization import (
    batch_norm,
    group_norm,
    instance_norm,
    layer_norm,
    local_response_norm,
    rms_norm,
)


# ------------------------------------------------------------------ batch_norm
@pytest.mark.parametrize(
    "shape", [(6, 3), (4, 3, 5), (2, 3, 4, 4), (2, 3, 2, 2, 3), (2, 3, 32, 40)]
)
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training_matches_torch(shape, affine):
    C = shape[1]
    if affine:
        check_against_torch(
            lambda x, w, b: batch_norm(x, None, None, w, b, training=True),
            shape,
            (C,),
            (C,),
            torch_fn=lambda x, w, b: F.batch_norm(x, None, None, w, b, True),
        )
    else:
        check_against_torch(
            lambda x: batch_norm(x, None, None, training=True),
            shape,
            torch_fn=lambda x: F.batch_norm(x, None, None, training=True),
        )


@pytest.mark.parametrize(  # the last two: rows of part of a sample, and of one pixel (M prime)
    "shape", [(5, 3, 4, 6), (4, 3, 5), (2, 3, 2, 2, 3), (2, 3, 80, 80), (2, 5, 3301)]
)
@pytest.mark.parametrize("grad_layout", ["channels_last", "contiguous"])
def test_batch_norm_on_channels_last_memory_keeps_it_and_matches_torch(shape, grad_layout):
    """A convolution's output is an (N, C, H, W) view of (N, H, W, C) memory: batch norm works
    on it in place of a copy, returns the same layout, and its numbers don't change."""
    rng = np.random.default_rng(3)
    C = shape[1]
    last = (0, *range(2, len(shape)), 1)
    back = (0, len(shape) - 1, *range(1, len(shape) - 1))

    def channels_last(a):
        return np.ascontiguousarray(a.transpose(last)).transpose(back)

    x = rng.standard_normal(shape) * 2 + 0.5
    w, b, gy = rng.standard_normal(C), rng.standard_normal(C), rng.standard_normal(shape)
    xc = cr.from_numpy(channels_last(x)).requires_grad_()  # cr.tensor would copy to NCHW
    wc, bc = cr.tensor(w, requires_grad=True), cr.tensor(b, requires_grad=True)
    y = batch_norm(xc, None, None, wc, bc, training=True)
    assert y.data.transpose(last).flags.c_contiguous
    y.backward(cr.from_numpy(channels_last(gy) if grad_layout == "channels_last" else gy))
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    yt = F.batch_norm(xt, None, None, wt, bt, True)
    yt.backward(torch.tensor(gy))
    assert_close(y.data, yt.detach().numpy())
    for ours, ref, what in ((xc, xt, "x"), (wc, wt, "weight"), (bc, bt, "bias")):
        assert_close(ours.grad.data, ref.grad.numpy(), what=f"grad of {what}")


@pytest.mark.parametrize("shape", [(6, 3), (2, 3, 4, 4)])
def test_batch_norm_eval_uses_running_stats(shape):
    rng = np.random.default_rng(1)
    C = shape[1]
    rm, rv = rng.standard_normal(C), rng.random(C) + 0.5
    check_against_torch(
        lambda x, w, b: batch_norm(x, on_device(rm), on_device(rv), w, b, eps=1e-3),
        shape,
        (C,),
        (C,),
        torch_fn=lambda x, w, b: F.batch_norm(
            x, torch.tensor(rm), torch.tensor(rv), w, b, eps=1e-3
        ),
    )


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_batch_norm_updates_running_stats_like_torch(dtype):
    """Biased variance normalises; the unbiased one goes into running_var, in place."""
    rng = np.random.default_rng(2)
    ours = [cr.tensor(np.zeros(3, dtype)), cr.tensor(np.ones(3, dtype))]
    ref = [torch.zeros(3, dtype=getattr(torch, dtype)), torch.ones(3, dtype=getattr(torch, dtype))]
    arrays = [a.data for a in ours]
    for step in range(4):
        x = (rng.standard_normal((5, 3, 2)) * 3 + 1).astype(dtype)
        y = batch_norm(cr.tensor(x), *ours, training=True, momentum=0.1 + 0.2 * step)
        y_t = F.batch_norm(torch.tensor(x), *ref, training=True, momentum=0.1 + 0.2 * step)
        assert_close(y.data, y_t, dtype, "output")
    assert_close(ours[0].data, ref[0], dtype, "running_mean")
    assert_close(ours[1].data, ref[1], dtype, "running_var")
    assert ours[0].data is arrays[0] and ours[1].data is arrays[1]  # updated in place


def test_batch_norm_float32():
    check_against_torch(
        lambda x, w, b: batch_norm(x, None, None, w, b, training=True),
        (8, 4, 3, 3),
        (4,),
        (4,),
        torch_fn=lambda x, w, b: F.batch_norm(x, None, None, w, b, True),
        dtype="float32",
        gradgrad=False,
    )


def test_batch_norm_float32_channels_last_lenet_size_matches_torch():
    """The LeNet's first batch norm in float32 on a conv's channels-last memory, with a mean
    far from 0: Σ xc² and Σ gy·xc run down long rows (an einsum), and must keep float32
    accuracy against torch (which accumulates in float32 too)."""
    rng = np.random.default_rng(5)
    shape = (16, 32, 28, 28)
    x = (rng.standard_normal(shape) * 3 + 20).astype(np.float32)
    w, b = rng.standard_normal(32).astype(np.float32), rng.standard_normal(32).astype(np.float32)
    gy = rng.standard_normal(shape).astype(np.float32)
    last = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    xc = cr.from_numpy(last).requires_grad_()
    wc, bc = cr.tensor(w, requires_grad=True), cr.tensor(b, requires_grad=True)
    y = batch_norm(xc, None, None, wc, bc, training=True)
    y.backward(cr.tensor(gy))
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    yt = F.batch_norm(xt, None, None, wt, bt, True)
    yt.backward(torch.tensor(gy))
    assert_close(y.data, yt.detach().numpy(), dtype="float32")
    for ours, ref, what in ((xc, xt, "x"), (wc, wt, "weight"), (bc, bt, "bias")):
        assert_close(ours.grad.data, ref.grad.numpy(), dtype="float32", what=f"grad of {what}")


def test_batch_norm_gradcheck():
    rng = np.random.default_rng(3)
    x = cr.tensor(rng.standard_normal((4, 2, 3)), requires_grad=True)
    w = cr.tensor(rng.standard_normal(2), requires_grad=True)
    b = cr.tensor(rng.standard_normal(2), requires_grad=True)
    fn = lambda x, w, b: batch_norm(x, None, None, w, b, training=True)  # noqa: E731
    assert cr.autograd.gradcheck(fn, [x, w, b])
    assert cr.autograd.gradgradcheck(fn, [x, w, b])


def test_batch_norm_errors():
    x = cr.tensor(np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"more than 1 value per channel.*\(1, 3\)"):
        batch_norm(x, None, None, training=True)
    with pytest.raises(ValueError, match=r"running_mean must have shape \(4,\).*got \(3,\)"):
        batch_norm(cr.tensor(np.zeros((2, 4))), cr.tensor(np.zeros(3)), cr.tensor(np.ones(4)))
    with pytest.raises(ValueError, match="must be given in eval mode"):
        batch_norm(cr.tensor(np.zeros((2, 4))), None, None)
    with pytest.raises(ValueError, match=r"weight must have shape \(4,\), got \(3,\)"):
        batch_norm(cr.tensor(np.zeros((2, 4))), None, None, cr.tensor(np.ones(3)), training=True)
    with pytest.raises(ValueError, match=r"at least 2 dimensions.*\(4,\)"):
        batch_norm(cr.tensor(np.zeros(4)), None, None, training=True)


# ------------------------------------------------------------------ layer_norm
@pytest.mark.parametrize(
    "shape,normalized", [((4, 6), (6,)), ((2, 3, 4), (3, 4)), ((2, 3, 5), 5), ((7,), (7,))]
)
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_layer_norm_matches_torch(shape, normalized, affine):
    nshape = (normalized,) if isinstance(normalized, int) else normalized
    if affine == "both":
        check_against_torch(
            lambda x, w, b: layer_norm(x, normalized, w, b),
            shape,
            nshape,
            nshape,
            torch_fn=lambda x, w, b: F.layer_norm(x, nshape, w, b),
        )
    elif affine == "weight":
        check_against_torch(
            lambda x, w: layer_norm(x, normalized, w, eps=1e-3),
            shape,
            nshape,
            torch_fn=lambda x, w: F.layer_norm(x, nshape, w, eps=1e-3),
        )
    else:
        check_against_torch(
            lambda x: layer_norm(x, normalized), shape, torch_fn=lambda x: F.layer_norm(x, nshape)
        )


def test_layer_norm_float32_and_gradcheck():
    check_against_torch(
        lambda x, w, b: layer_norm(x, (16,), w, b),
        (5, 16),
        (16,),
        (16,),
        torch_fn=lambda x, w, b: F.layer_norm(x, (16,), w, b),
        dtype="float32",
        gradgrad=False,
    )
    rng = np.random.default_rng(4)
    xs = [cr.tensor(rng.standard_normal(s), requires_grad=True) for s in [(3, 4), (4,), (4,)]]
    fn = lambda x, w, b: layer_norm(x, 4, w, b)  # noqa: E731
    assert cr.autograd.gradcheck(fn, xs)
    assert cr.autograd.gradgradcheck(fn, xs)


def test_layer_norm_errors():
    with pytest.raises(
        ValueError,
        match=r"normalized_shape=\[5\] expects input of shape "
        r"\(\*, 5\), got \(3, 4\)",
    ):
        layer_norm(cr.tensor(np.zeros((3, 4))), 5)
    with pytest.raises(ValueError, match=r"weight must have shape \(4,\), got \(3,\)"):
        layer_norm(cr.tensor(np.zeros((3, 4))), 4, cr.tensor(np.ones(3)))


# ------------------------------------------------------------------ group_norm
@pytest.mark.parametrize(
    "shape,groups", [((4, 6, 5), 3), ((2, 4, 3, 3), 2), ((3, 4), 4), ((2, 6, 2, 2), 1)]
)
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_matches_torch(shape, groups, affine):
    C = shape[1]
    if affine:
        check_against_torch(
            lambda x, w, b: group_norm(x, groups, w, b),
            shape,
            (C,),
            (C,),
            torch_fn=lambda x, w, b: F.group_norm(x, groups, w, b),
        )
    else:
        check_against_torch(
            lambda x: group_norm(x, groups, eps=1e-2),
            shape,
            torch_fn=lambda x: F.group_norm(x, groups, eps=1e-2),
        )


def test_group_norm_float32_and_gradcheck():
    check_against_torch(
        lambda x, w, b: group_norm(x, 2, w, b),
        (4, 6, 7),
        (6,),
        (6,),
        torch_fn=lambda x, w, b: F.group_norm(x, 2, w, b),
        dtype="float32",
        gradgrad=False,
    )
    rng = np.random.default_rng(5)
    xs = [cr.tensor(rng.standard_normal(s), requires_grad=True) for s in [(2, 4, 3), (4,), (4,)]]
    fn = lambda x, w, b: group_norm(x, 2, w, b)  # noqa: E731
    assert cr.autograd.gradcheck(fn, xs)
    assert cr.autograd.gradgradcheck(fn, xs)


def test_group_norm_errors():
    with pytest.raises(ValueError, match=r"6 channels cannot be split into 4 groups"):
        group_norm(cr.tensor(np.zeros((2, 6, 3))), 4)
    with pytest.raises(ValueError, match=r"bias must have shape \(6,\), got \(2,\)"):
        group_norm(cr.tensor(np.zeros((2, 6, 3))), 3, None, cr.tensor(np.ones(2)))


def test_numpy_scalar_eps_and_momentum_act_as_the_numbers_they_hold():
    """numpy.float64 options, as torch reads them: the float32 result and the running statistics
    are those of the Python numbers, bit for bit, and stay float32."""
    a = np.random.default_rng(0).standard_normal((4, 6, 3)).astype(np.float32)
    runs = []
    for eps, momentum in ((1e-3, 0.3), (np.float64(1e-3), np.float64(0.3))):
        rm, rv = cr.zeros(6), cr.ones(6)
        out = [
            batch_norm(cr.tensor(a), rm, rv, training=True, momentum=momentum, eps=eps),
            layer_norm(cr.tensor(a), (6, 3), eps=eps),
            group_norm(cr.tensor(a), 3, eps=eps),
        ]
        runs.append([t.data for t in out + [rm, rv]])
    for ours, plain in zip(*runs):
        assert ours.dtype == np.float32
        np.testing.assert_array_equal(ours, plain)
    ref = F.batch_norm(torch.tensor(a), None, None, training=True, eps=np.float64(1e-3))
    assert_close(runs[1][0], ref, "float32")
    with pytest.raises(TypeError, match="layer_norm: eps must be a number, got str"):
        layer_norm(cr.tensor(a), (6, 3), eps="1e-3")


# ------------------------------------------------------------------ instance_norm
@pytest.mark.parametrize("shape", [(2, 3, 5), (3, 2, 4, 3), (1, 2, 2, 2, 3)])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_instance_norm_matches_torch(shape, affine, dtype):
    C = shape[1]
    if affine:
        check_against_torch(
            lambda x, w, b: instance_norm(x, weight=w, bias=b, eps=1e-3),
            shape,
            (C,),
            (C,),
            torch_fn=lambda x, w, b: F.instance_norm(x, weight=w, bias=b, eps=1e-3),
            dtype=dtype,
        )
    else:
        check_against_torch(instance_norm, shape, torch_fn=F.instance_norm, dtype=dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_instance_norm_running_stats_match_torch(dtype):
    """use_input_stats=True moves the buffers by the batch mean of the per-instance mean and
    unbiased variance; use_input_stats=False normalises with the buffers."""
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((4, 3, 6)) * 3 + 1).astype(dtype)
    rm, rv = on_device(np.zeros(3, dtype)), on_device(np.ones(3, dtype))
    rm_t, rv_t = (
        torch.zeros(3, dtype=getattr(torch, dtype)),
        torch.ones(3, dtype=getattr(torch, dtype)),
    )
    for momentum in (0.1, 0.5):
        y = instance_norm(on_device(x), rm, rv, momentum=momentum)
        y_t = F.instance_norm(torch.tensor(x), rm_t, rv_t, momentum=momentum)
        assert_close(y, y_t, dtype, "output")
        assert_close(rm, rm_t, dtype, "running_mean")
        assert_close(rv, rv_t, dtype, "running_var")
        assert str(rm.dtype) == dtype and str(rv.dtype) == dtype
    check_against_torch(
        lambda x, w, b: instance_norm(x, rm, rv, w, b, use_input_stats=False),
        x,
        (3,),
        (3,),
        torch_fn=lambda x, w, b: F.instance_norm(x, rm_t, rv_t, w, b, use_input_stats=False),
        dtype=dtype,
    )


def test_instance_norm_gradcheck():
    check_gradcheck(lambda x, w, b: instance_norm(x, weight=w, bias=b), (2, 3, 4), (3,), (3,))


def test_instance_norm_errors():
    with pytest.raises(ValueError, match=r"instance_norm: expected input of at least 3 dim"):
        instance_norm(cr.zeros(2, 3))
    with pytest.raises(ValueError, match=r"more than 1 spatial element.*\(2, 3, 1\)"):
        instance_norm(cr.zeros(2, 3, 1))
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\), got \(2,\)"):
        instance_norm(cr.zeros(2, 3, 4), weight=cr.ones(2))
    with pytest.raises(ValueError, match=r"running_mean must have shape \(3,\).*got \(4,\)"):
        instance_norm(cr.zeros(2, 3, 4), cr.zeros(4), cr.ones(3))
    with pytest.raises(TypeError, match=r"instance_norm: input must be floating point"):
        instance_norm(cr.zeros(2, 3, 4, dtype=cr.int64))


# ------------------------------------------------------------------ rms_norm
@pytest.mark.parametrize(
    "shape,normalized", [((4, 5), (5,)), ((2, 3, 4), (3, 4)), ((3, 4), 4), ((0, 4), (4,))]
)
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_rms_norm_matches_torch(shape, normalized, affine, dtype):
    w_shape = (normalized,) if isinstance(normalized, int) else normalized
    if affine:
        check_against_torch(
            lambda x, w: rms_norm(x, normalized, w),
            shape,
            w_shape,
            torch_fn=lambda x, w: F.rms_norm(x, w_shape, w),  # torch's F takes no int
            dtype=dtype,
        )
    else:
        check_against_torch(
            lambda x: rms_norm(x, normalized, eps=0.5),
            shape,
            torch_fn=lambda x: F.rms_norm(x, w_shape, eps=0.5),
            dtype=dtype,
        )


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_rms_norm_default_eps_is_the_dtypes_machine_epsilon(dtype):
    """On an all-zero row the output is 0 either way; on a tiny row the eps shows: x/√(x²+ε)."""
    x = np.full((2, 3), 1e-4, dtype=dtype)
    y = rms_norm(cr.tensor(x), 3)
    y_t = F.rms_norm(torch.tensor(x), [3])
    assert str(y.dtype) == dtype
    assert_close(y, y_t, dtype)
    eps = np.finfo(dtype).eps
    assert_close(y, x / np.sqrt(x * x + eps), dtype)


def test_rms_norm_gradcheck():
    check_gradcheck(lambda x, w: rms_norm(x, (3,), w), (4, 3), (3,))


def test_rms_norm_errors():
    with pytest.raises(ValueError, match=r"rms_norm: normalized_shape=\[4\] expects input of "):
        rms_norm(cr.zeros(2, 3), 4)
    with pytest.raises(ValueError, match=r"rms_norm: weight must have shape \(3,\), got \(2,\)"):
        rms_norm(cr.zeros(2, 3), 3, cr.ones(2))


# ------------------------------------------------------------------ local_response_norm
@pytest.mark.parametrize("shape", [(2, 5, 3), (2, 6, 3, 2), (1, 4, 2, 2, 2)])
@pytest.mark.parametrize("size", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_local_response_norm_matches_torch(shape, size, dtype):
    check_against_torch(
        lambda x: local_response_norm(x, size, alpha=0.3, beta=0.6, k=1.5),
        shape,
        torch_fn=lambda x: F.local_response_norm(x, size, alpha=0.3, beta=0.6, k=1.5),
        dtype=dtype,
    )


def test_local_response_norm_defaults_and_empty():
    check_against_torch(
        lambda x: local_response_norm(x, 3),
        (2, 4, 3),
        torch_fn=lambda x: F.local_response_norm(x, 3),
        low=-20,
        high=20,
    )
    y = local_response_norm(cr.zeros(0, 3, 2), 2)
    assert y.shape == (0, 3, 2)


def test_local_response_norm_gradcheck():
    check_gradcheck(lambda x: local_response_norm(x, 3, alpha=0.5), (2, 4, 3))


def test_local_response_norm_errors():
    with pytest.raises(ValueError, match=r"local_response_norm: expected an input of 3 or more"):
        local_response_norm(cr.zeros(2, 3), 2)
    with pytest.raises(ValueError, match=r"local_response_norm: size must be a positive integer"):
        local_response_norm(cr.zeros(2, 3, 4), 0)
