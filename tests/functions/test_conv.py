"""conv1d, conv2d, conv_transpose2d against torch: forward, input/weight/bias gradients and
second derivatives, over strides, paddings, dilations, groups; gradcheck; bad input."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import check_against_torch, check_gradcheck

import chainrule as cr
from chainrule.functions.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d

DTYPES = ["float64", "float32"]
pytestmark = pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")

# (input shape, weight shape, with bias, keyword arguments)
CONV2D_CASES = [
    ((2, 3, 6, 5), (4, 3, 3, 3), True, {}),
    ((2, 3, 7, 6), (4, 3, 3, 3), True, dict(stride=2)),
    ((2, 3, 6, 5), (4, 3, 3, 3), True, dict(padding=1)),
    ((2, 3, 6, 5), (4, 3, 3, 3), False, dict(padding="same")),
    ((2, 3, 6, 5), (4, 3, 2, 4), True, dict(padding="same")),  # even kernel: uneven padding
    ((2, 3, 6, 5), (4, 3, 3, 3), True, dict(padding="valid")),
    ((2, 3, 8, 7), (4, 3, 3, 3), True, dict(dilation=2, padding=1)),
    ((2, 4, 6, 5), (6, 2, 3, 3), True, dict(groups=2, padding=1)),
    ((2, 4, 6, 5), (8, 1, 3, 3), True, dict(groups=4, padding=1, stride=2)),  # depthwise ×2
    ((1, 3, 6, 7), (5, 3, 2, 3), True, dict(stride=(2, 1), padding=(1, 0))),  # non-square
    ((1, 2, 5, 5), (3, 2, 1, 1), False, {}),  # 1×1
    ((0, 3, 5, 5), (4, 3, 3, 3), True, dict(padding=1)),  # empty batch
    ((2, 3, 9, 8), (4, 3, 3, 2), True, dict(stride=(3, 2), padding=(2, 1), dilation=(1, 2))),
    # over 32 outputs per group: the weight gradient takes its product the other way round
    ((2, 3, 5, 4), (40, 3, 3, 3), True, dict(padding=1)),
    ((1, 4, 4, 4), (66, 2, 2, 2), True, dict(groups=2)),
]


def _args(xs, bias):
    return (xs[0], xs[1], xs[2] if bias else None)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("xs, ws, bias, kw", CONV2D_CASES)
def test_conv2d_matches_torch(xs, ws, bias, kw, dtype):
    shapes = (xs, ws, (ws[0],)) if bias else (xs, ws)
    check_against_torch(
        lambda *t: conv2d(*_args(t, bias), **kw),
        *shapes,
        torch_fn=lambda *t: F.conv2d(*_args(t, bias), **kw),
        dtype=dtype,
        gradgrad=dtype == "float64",
    )


CONV1D_CASES = [
    ((2, 3, 9), (4, 3, 3), dict()),
    ((2, 3, 9), (4, 3, 3), dict(stride=2, padding=1)),
    ((1, 4, 10), (6, 2, 4), dict(padding="same", groups=2)),
    ((2, 2, 11), (3, 2, 3), dict(dilation=2, padding=2)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("xs, ws, kw", CONV1D_CASES)
def test_conv1d_matches_torch(xs, ws, kw, dtype):
    check_against_torch(
        lambda x, w, b: conv1d(x, w, b, **kw),
        xs,
        ws,
        (ws[0],),
        torch_fn=lambda x, w, b: F.conv1d(x, w, b, **kw),
        dtype=dtype,
    )


TRANSPOSE_CASES = [
    ((2, 4, 3, 4), (4, 3, 3, 3), True, dict()),
    ((2, 4, 3, 4), (4, 3, 3, 3), True, dict(stride=2, padding=1, output_padding=1)),
    ((1, 4, 3, 3), (4, 2, 4, 4), True, dict(stride=2, padding=1)),
    ((2, 4, 3, 4), (4, 3, 3, 2), False, dict(stride=(2, 3), output_padding=(1, 2), groups=2)),
    ((2, 3, 4, 3), (3, 2, 3, 3), True, dict(dilation=2, padding=2)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("xs, ws, bias, kw", TRANSPOSE_CASES)
def test_conv_transpose2d_matches_torch(xs, ws, bias, kw, dtype):
    groups = kw.get("groups", 1)
    shapes = (xs, ws, (ws[1] * groups,)) if bias else (xs, ws)
    check_against_torch(
        lambda *t: conv_transpose2d(*_args(t, bias), **kw),
        *shapes,
        torch_fn=lambda *t: F.conv_transpose2d(*_args(t, bias), **kw),
        dtype=dtype,
        gradgrad=dtype == "float64",
    )


TRANSPOSE_1D_CASES = [
    ((2, 4, 5), (4, 3, 3), True, dict()),
    ((2, 4, 5), (4, 3, 3), True, dict(stride=2, padding=1, output_padding=1)),
    ((2, 4, 6), (4, 2, 2), False, dict(stride=3, output_padding=2, groups=2, dilation=2)),
    ((4, 5), (4, 3, 3), True, dict(padding=1)),  # unbatched
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("xs, ws, bias, kw", TRANSPOSE_1D_CASES)
def test_conv_transpose1d_matches_torch(xs, ws, bias, kw, dtype):
    groups = kw.get("groups", 1)
    shapes = (xs, ws, (ws[1] * groups,)) if bias else (xs, ws)
    check_against_torch(
        lambda *t: conv_transpose1d(*_args(t, bias), **kw),
        *shapes,
        torch_fn=lambda *t: F.conv_transpose1d(*_args(t, bias), **kw),
        dtype=dtype,
        gradgrad=dtype == "float64",
    )
    with pytest.raises(ValueError, match=r"3-D weight, got shapes \(2, 4, 5\) and \(4, 3\)"):
        conv_transpose1d(cr.ones(2, 4, 5), cr.ones(4, 3))


def test_unbatched_input_matches_torch():
    check_against_torch(
        lambda x, w: conv2d(x, w, padding=1),
        (3, 5, 4),
        (2, 3, 3, 3),
        torch_fn=lambda x, w: F.conv2d(x, w, padding=1),
    )
    check_against_torch(
        lambda x, w: conv1d(x, w), (3, 7), (2, 3, 2), torch_fn=lambda x, w: F.conv1d(x, w)
    )


def test_input_only_or_weight_only_gradient():
    check_against_torch(
        lambda x, w: conv2d(x, w, stride=2, padding=1),
        (2, 3, 5, 5),
        (4, 3, 3, 3),
        torch_fn=lambda x, w: F.conv2d(x, w, stride=2, padding=1),
        requires_grad=[False, True],
    )
    check_against_torch(
        lambda x, w: conv2d(x, w, stride=2, padding=1),
        (2, 3, 5, 5),
        (4, 3, 3, 3),
        torch_fn=lambda x, w: F.conv2d(x, w, stride=2, padding=1),
        requires_grad=[True, False],
    )


def test_gradcheck_conv2d():
    check_gradcheck(
        lambda x, w, b: conv2d(x, w, b, stride=2, padding=1, groups=2),
        (1, 4, 4, 3),
        (2, 2, 2, 2),
        (2,),
    )


def test_gradcheck_conv_transpose2d():
    check_gradcheck(
        lambda x, w, b: conv_transpose2d(x, w, b, stride=2, output_padding=1),
        (1, 2, 2, 3),
        (2, 2, 2, 2),
        (2,),
    )


def test_gradcheck_conv1d():
    check_gradcheck(lambda x, w: conv1d(x, w, padding="same", dilation=2), (2, 2, 5), (2, 2, 2))


def test_output_is_channels_last_view():
    """The result is an NCHW view of NHWC memory (what the next layer and the pools want)."""
    y = conv2d(cr.randn(2, 3, 5, 5), cr.randn(4, 3, 3, 3), padding=1)
    assert y.shape == (2, 4, 5, 5)
    assert y.data.transpose(0, 2, 3, 1).flags["C_CONTIGUOUS"]


def _x(shape):
    return cr.tensor(np.zeros(shape))


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: conv2d(_x((8, 1, 28, 28)), _x((4, 3, 3, 3))),
            r"conv2d: expected input with 3 channels .*got shape \(8, 1, 28, 28\)",
        ),
        (lambda: conv2d(_x((8, 28, 28)), _x((4, 3, 3, 3))), r"expected input with 3 channels"),
        (
            lambda: conv2d(_x((2, 2, 8, 28, 28)), _x((4, 2, 3, 3))),
            r"conv2d: expected a 3-D \(unbatched\) or 4-D \(batched\) input, got shape",
        ),
        (lambda: conv2d(_x((2, 3, 8, 8)), _x((4, 3, 3))), r"conv2d: expected a 4-D weight"),
        (lambda: conv2d(_x((2, 4, 8, 8)), _x((3, 2, 3, 3)), groups=2), r"not divisible by groups"),
        (
            lambda: conv2d(_x((2, 3, 8, 8)), _x((4, 3, 3, 3)), _x((3,))),
            r"expected bias of shape \(4,\), got \(3,\)",
        ),
        (lambda: conv2d(_x((2, 3, 2, 2)), _x((4, 3, 3, 3))), r"kernel .* is larger than"),
        (
            lambda: conv2d(_x((2, 3, 8, 8)), _x((4, 3, 3, 3)), stride=2, padding="same"),
            r"padding='same' needs stride 1",
        ),
        (
            lambda: conv2d(_x((2, 3, 8, 8)), _x((4, 3, 3, 3)), padding="full"),
            r"padding must be 'valid', 'same'",
        ),
        (lambda: conv1d(_x((2, 3, 8, 8)), _x((4, 3, 3))), r"conv1d: expected a 2-D .* or 3-D"),
        (lambda: conv1d(_x((2, 2, 8)), _x((4, 3, 3))), r"conv1d: expected input with 3 channels"),
        (
            lambda: conv_transpose2d(_x((2, 3, 4, 4)), _x((4, 2, 3, 3))),
            r"conv_transpose2d: expected input with 4 channels",
        ),
        (
            lambda: conv_transpose2d(
                _x((2, 4, 4, 4)), _x((4, 2, 3, 3)), stride=2, output_padding=2
            ),
            r"output_padding must be smaller than stride or dilation",
        ),
    ],
)
def test_bad_input_raises(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_dtype_mismatch_raises():
    x, w = cr.tensor(np.zeros((1, 1, 3, 3), np.float32)), cr.tensor(np.zeros((1, 1, 2, 2)))
    with pytest.raises(TypeError, match="same dtype, got input float32, weight float64"):
        conv2d(x, w)


def test_second_backward_after_retain_graph():
    x, w = cr.randn(2, 3, 5, 5, requires_grad=True), cr.randn(4, 3, 3, 3, requires_grad=True)
    y = conv2d(x, w, padding=1).sum()
    y.backward(retain_graph=True)
    g1 = w.grad.data.copy()
    y.backward()
    np.testing.assert_allclose(w.grad.data, 2 * g1, rtol=1e-6)
    xt = torch.tensor(x.data, requires_grad=True)
    F.conv2d(xt, torch.tensor(w.data), padding=1).sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * xt.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_second_derivative_through_a_nonlinear_upstream():
    """(conv)² makes gy depend on x and W, so the backward ops are differentiated in every
    argument (Deconvolution and WeightGrad through their own backward)."""
    check_against_torch(
        lambda x, w: conv2d(x, w, stride=2, padding=1, groups=2) ** 2,
        (2, 4, 5, 5),
        (4, 2, 3, 3),
        torch_fn=lambda x, w: F.conv2d(x, w, stride=2, padding=1, groups=2) ** 2,
    )
    check_against_torch(
        lambda x, w: conv_transpose2d(x, w, stride=2, output_padding=1) ** 2,
        (2, 2, 3, 3),
        (2, 3, 3, 3),
        torch_fn=lambda x, w: F.conv_transpose2d(x, w, stride=2, output_padding=1) ** 2,
    )
    check_gradcheck(lambda x, w: conv2d(x, w, padding=1) ** 2, (1, 2, 3, 3), (2, 2, 2, 2))
