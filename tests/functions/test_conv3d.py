"""conv3d and conv_transpose3d against torch: forward, input/weight/bias gradients and second
derivatives, over strides, paddings, dilations, groups; gradcheck; bad input."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import check_against_torch, check_gradcheck

import chainrule as cr
from chainrule.functions.conv3d import conv3d, conv_transpose3d

DTYPES = ["float64", "float32"]
pytestmark = pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")

# (input shape, weight shape, with bias, keyword arguments)
CONV3D_CASES = [
    ((2, 2, 4, 3, 4), (3, 2, 2, 2, 3), True, {}),
    ((1, 3, 5, 4, 5), (2, 3, 3, 2, 3), True, dict(stride=2, padding=1)),
    ((2, 2, 3, 4, 3), (3, 2, 3, 3, 3), False, dict(padding="same")),
    ((1, 2, 4, 3, 5), (3, 2, 2, 3, 2), True, dict(padding="same")),  # even kernel: uneven pads
    ((1, 2, 3, 3, 4), (2, 2, 2, 2, 2), True, dict(padding="valid")),
    ((1, 2, 5, 4, 5), (2, 2, 2, 2, 2), True, dict(dilation=(2, 1, 2), padding=(1, 0, 2))),
    ((2, 4, 3, 3, 3), (6, 2, 2, 2, 2), True, dict(groups=2, padding=1)),
    ((1, 6, 4, 3, 3), (6, 1, 3, 2, 2), True, dict(groups=6, padding=1, stride=(1, 2, 1))),
    ((1, 5, 3, 3, 3), (2, 5, 1, 1, 1), False, {}),  # 1×1×1, more than 4 channels
    ((0, 2, 3, 3, 3), (3, 2, 2, 2, 2), True, dict(padding=1)),  # empty batch
    ((1, 2, 6, 5, 4), (3, 2, 2, 3, 2), True, dict(stride=(3, 2, 1), padding=(2, 1, 0))),
    # over 32 outputs per group: the weight gradient takes its product the other way round
    ((1, 2, 3, 2, 3), (34, 2, 2, 1, 2), True, dict(padding=1)),
    ((1, 4, 2, 2, 3), (66, 2, 1, 2, 2), True, dict(groups=2)),
]


def _args(xs, bias):
    return (xs[0], xs[1], xs[2] if bias else None)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("xs, ws, bias, kw", CONV3D_CASES)
def test_conv3d_matches_torch(xs, ws, bias, kw, dtype):
    shapes = (xs, ws, (ws[0],)) if bias else (xs, ws)
    out = check_against_torch(
        lambda *t: conv3d(*_args(t, bias), **kw),
        *shapes,
        torch_fn=lambda *t: F.conv3d(*_args(t, bias), **kw),
        dtype=dtype,
        gradgrad=dtype == "float64",
    )
    assert str(out.dtype) == dtype


TRANSPOSE_CASES = [
    ((2, 3, 2, 3, 2), (3, 2, 2, 2, 3), True, dict()),
    ((1, 2, 2, 3, 2), (2, 3, 3, 3, 3), True, dict(stride=2, padding=1, output_padding=1)),
    (
        (1, 4, 2, 2, 3),
        (4, 1, 2, 3, 2),
        False,
        dict(stride=(2, 3, 1), output_padding=(1, 2, 0), groups=2),
    ),
    ((1, 2, 3, 2, 2), (2, 2, 2, 2, 2), True, dict(dilation=2, padding=1, output_padding=1)),
    ((2, 2, 2, 2, 2), (2, 2, 1, 2, 3), True, dict(stride=(1, 2, 2), padding=(0, 1, 1))),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("xs, ws, bias, kw", TRANSPOSE_CASES)
def test_conv_transpose3d_matches_torch(xs, ws, bias, kw, dtype):
    groups = kw.get("groups", 1)
    shapes = (xs, ws, (ws[1] * groups,)) if bias else (xs, ws)
    out = check_against_torch(
        lambda *t: conv_transpose3d(*_args(t, bias), **kw),
        *shapes,
        torch_fn=lambda *t: F.conv_transpose3d(*_args(t, bias), **kw),
        dtype=dtype,
        gradgrad=dtype == "float64",
    )
    assert str(out.dtype) == dtype


def test_unbatched_input_matches_torch():
    check_against_torch(
        lambda x, w, b: conv3d(x, w, b, padding=1),
        (2, 3, 2, 3),
        (3, 2, 2, 2, 2),
        (3,),
        torch_fn=lambda x, w, b: F.conv3d(x, w, b, padding=1),
    )
    check_against_torch(
        lambda x, w: conv_transpose3d(x, w, stride=2),
        (2, 2, 2, 2),
        (2, 3, 2, 2, 2),
        torch_fn=lambda x, w: F.conv_transpose3d(x, w, stride=2),
    )


def test_strided_views_as_input():
    """Inputs that are transposed views (not C-contiguous) convolve as their values say."""
    check_against_torch(
        lambda x, w: conv3d(x.transpose(2, 4), w.transpose(3, 4), padding=1, groups=2),
        (1, 4, 3, 2, 4),
        (2, 2, 2, 2, 3),
        torch_fn=lambda x, w: F.conv3d(x.transpose(2, 4), w.transpose(3, 4), padding=1, groups=2),
    )
    check_against_torch(
        lambda y, w: conv_transpose3d(y.transpose(0, 1), w, stride=2),
        (2, 1, 2, 2, 2),
        (2, 2, 2, 2, 2),
        torch_fn=lambda y, w: F.conv_transpose3d(y.transpose(0, 1), w, stride=2),
    )


def test_input_only_or_weight_only_gradient():
    for requires in ([False, True, True], [True, False, False]):
        check_against_torch(
            lambda x, w, b: conv3d(x, w, b, stride=2, padding=1),
            (1, 2, 3, 4, 3),
            (3, 2, 2, 2, 2),
            (3,),
            torch_fn=lambda x, w, b: F.conv3d(x, w, b, stride=2, padding=1),
            requires_grad=requires,
        )
        check_against_torch(
            lambda x, w, b: conv_transpose3d(x, w, b, stride=2),
            (1, 2, 2, 2, 2),
            (2, 3, 2, 2, 2),
            (3,),
            torch_fn=lambda x, w, b: F.conv_transpose3d(x, w, b, stride=2),
            requires_grad=requires,
        )


def test_second_derivative_through_a_nonlinear_upstream():
    """(conv)² makes gy depend on x and W, so the backward ops are differentiated in every
    argument (Deconvolution3d and WeightGrad3d through their own backward)."""
    check_against_torch(
        lambda x, w: conv3d(x, w, stride=2, padding=1, groups=2) ** 2,
        (1, 4, 3, 3, 3),
        (4, 2, 2, 2, 2),
        torch_fn=lambda x, w: F.conv3d(x, w, stride=2, padding=1, groups=2) ** 2,
    )
    check_against_torch(
        lambda x, w, b: conv_transpose3d(x, w, b, stride=2, output_padding=1) ** 2,
        (1, 2, 2, 2, 2),
        (2, 2, 2, 2, 2),
        (2,),
        torch_fn=lambda x, w, b: F.conv_transpose3d(x, w, b, stride=2, output_padding=1) ** 2,
    )


def test_gradcheck_conv3d():
    check_gradcheck(
        lambda x, w, b: conv3d(x, w, b, stride=(2, 1, 1), padding=1, groups=2) ** 2,
        (1, 2, 3, 2, 2),
        (2, 1, 2, 2, 2),
        (2,),
    )


def test_gradcheck_conv_transpose3d():
    check_gradcheck(
        lambda x, w, b: conv_transpose3d(x, w, b, stride=2, output_padding=1, padding=1) ** 2,
        (1, 2, 2, 2, 1),
        (2, 1, 2, 2, 2),
        (1,),
    )


def test_transpose_is_the_adjoint_of_conv():
    """⟨conv_transpose3d(y, W), v⟩ = ⟨y, conv3d(v, W)⟩, a closed form independent of torch."""
    rng = np.random.default_rng(1)
    kw = dict(stride=(2, 1, 2), padding=(1, 0, 1), dilation=(1, 2, 1), groups=2)
    W = cr.tensor(rng.standard_normal((4, 2, 2, 2, 3)))
    v = cr.tensor(rng.standard_normal((2, 4, 5, 6, 5)))
    y_shape = conv3d(v, W, **kw).shape
    y = cr.tensor(rng.standard_normal(y_shape))
    x = conv_transpose3d(y, W, output_padding=(1, 0, 0), **kw)
    assert x.shape == v.shape
    lhs = float((x * v).sum().item())
    rhs = float((y * conv3d(v, W, **kw)).sum().item())
    assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(rhs))


def test_float32_stays_float32_and_layout_is_channels_last():
    x = cr.tensor(np.ones((1, 2, 3, 3, 3), np.float32))
    w = cr.tensor(np.ones((4, 2, 2, 2, 2), np.float32))
    y = conv3d(x, w, cr.tensor(np.zeros(4, np.float32)), padding=1)
    assert y.dtype == cr.float32 and y.shape == (1, 4, 4, 4, 4)
    assert y.data.transpose(0, 2, 3, 4, 1).flags["C_CONTIGUOUS"]
    assert float(y.data.max()) == 16.0  # a full 2×2×2 window over 2 channels of ones
    assert conv_transpose3d(y, w).dtype == cr.float32


def _x(shape):
    return cr.tensor(np.zeros(shape))


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: conv3d(_x((2, 1, 4, 4, 4)), _x((4, 3, 2, 2, 2))),
            r"conv3d: expected input with 3 channels .*got shape \(2, 1, 4, 4, 4\)",
        ),
        (
            lambda: conv3d(_x((2, 4, 4, 4)), _x((4, 3, 2, 2, 2))),
            r"conv3d: expected input with 3 channels .*got shape \(1, 2, 4, 4, 4\)",
        ),
        (
            lambda: conv3d(_x((1, 2, 3, 4, 4, 4)), _x((4, 3, 2, 2, 2))),
            r"conv3d: expected a 4-D \(unbatched\) or 5-D \(batched\) input, got shape "
            r"\(1, 2, 3, 4, 4, 4\)",
        ),
        (
            lambda: conv3d(_x((3, 4, 4)), _x((4, 3, 2, 2, 2))),
            r"conv3d: expected a 4-D \(unbatched\) or 5-D",
        ),
        (
            lambda: conv3d(_x((2, 3, 4, 4, 4)), _x((4, 3, 2, 2))),
            r"conv3d: expected a 5-D weight, got shape \(4, 3, 2, 2\)",
        ),
        (
            lambda: conv3d(_x((2, 4, 4, 4, 4)), _x((3, 2, 2, 2, 2)), groups=2),
            r"conv3d: 3 output channels are not divisible by groups=2",
        ),
        (
            lambda: conv3d(_x((2, 3, 4, 4, 4)), _x((4, 3, 2, 2, 2)), _x((3,))),
            r"conv3d: expected bias of shape \(4,\), got \(3,\)",
        ),
        (
            lambda: conv3d(_x((1, 3, 4, 2, 4)), _x((4, 3, 3, 3, 3))),
            r"conv3d: kernel \(size 3 with dilation\) is larger than the padded input \(size 2\)",
        ),
        (
            lambda: conv3d(_x((1, 3, 4, 4, 4)), _x((4, 3, 3, 3, 3)), dilation=(1, 1, 2)),
            r"conv3d: kernel \(size 5 with dilation\) is larger than the padded input \(size 4\)",
        ),
        (
            lambda: conv3d(_x((2, 3, 8, 8, 8)), _x((4, 3, 3, 3, 3)), stride=2, padding="same"),
            r"conv3d: padding='same' needs stride 1",
        ),
        (
            lambda: conv3d(_x((2, 3, 8, 8, 8)), _x((4, 3, 3, 3, 3)), padding="full"),
            r"conv3d: padding must be 'valid', 'same'",
        ),
        (
            lambda: conv3d(_x((2, 3, 8, 8, 8)), _x((4, 3, 3, 3, 3)), stride=(1, 2)),
            r"conv3d: stride must be an int or 3 ints, got \(1, 2\)",
        ),
        (
            lambda: conv3d(_x((2, 3, 8, 8, 8)), _x((4, 3, 3, 3, 3)), padding=-1),
            r"conv3d: padding must be non-negative",
        ),
        (
            lambda: conv3d(_x((2, 4, 4, 4, 4)), _x((4, 2, 2, 2, 2)), groups=0),
            r"conv3d: groups must be a positive int, got 0",
        ),
        (
            lambda: conv3d(_x((2, 3, 8, 8, 8)), _x((4, 3, 3, 3, 3)), stride=0),
            r"conv3d: stride and dilation must be positive",
        ),
        (
            lambda: conv_transpose3d(_x((2, 3, 4, 4, 4)), _x((4, 2, 3, 3, 3))),
            r"conv_transpose3d: expected input with 4 channels",
        ),
        (
            lambda: conv_transpose3d(_x((2, 4, 4, 4)), _x((4, 2, 3, 3))),
            r"conv_transpose3d: expected a 5-D weight, got shape \(4, 2, 3, 3\)",
        ),
        (
            lambda: conv_transpose3d(_x((4, 4, 4)), _x((4, 2, 3, 3, 3))),
            r"conv_transpose3d: expected a 4-D \(unbatched\) or 5-D",
        ),
        (
            lambda: conv_transpose3d(_x((1, 4, 2, 2, 2)), _x((4, 2, 3, 3, 3)), _x((3,))),
            r"conv_transpose3d: expected bias of shape \(2,\), got \(3,\)",
        ),
        (
            lambda: conv_transpose3d(
                _x((1, 4, 2, 2, 2)), _x((4, 2, 3, 3, 3)), stride=2, output_padding=(0, 2, 0)
            ),
            r"output_padding must be smaller than stride or dilation, got output_padding "
            r"\(0, 2, 0\), stride \(2, 2, 2\)",
        ),
        (
            lambda: conv_transpose3d(_x((1, 4, 1, 1, 1)), _x((4, 2, 2, 2, 2)), padding=1),
            r"conv_transpose3d: output size \(0, 0, 0\) is too small",
        ),
        (
            lambda: conv_transpose3d(_x((1, 4, 2, 2, 2)), _x((4, 2, 2, 2, 2)), padding="same"),
            r"conv_transpose3d: padding must be ints, got 'same'",
        ),
        (
            lambda: conv_transpose3d(_x((1, 6, 2, 2, 2)), _x((6, 2, 2, 2, 2)), groups=4),
            r"conv_transpose3d: 6 input channels \(weight \(6, 2, 2, 2, 2\)\) are not divisible by "
            r"groups=4",
        ),
    ],
)
def test_bad_input_raises(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_torch_rejects_what_we_reject():
    """The shapes above that we refuse, torch refuses too (it raises RuntimeError)."""
    with pytest.raises(RuntimeError):
        F.conv3d(torch.zeros(1, 3, 4, 2, 4), torch.zeros(4, 3, 3, 3, 3))
    with pytest.raises(RuntimeError):
        F.conv3d(torch.zeros(2, 1, 4, 4, 4), torch.zeros(4, 3, 2, 2, 2))


def test_dtype_mismatch_raises():
    x = cr.tensor(np.zeros((1, 1, 3, 3, 3), np.float32))
    w = cr.tensor(np.zeros((1, 1, 2, 2, 2)))
    with pytest.raises(TypeError, match="conv3d: .*same dtype, got input float32, weight float64"):
        conv3d(x, w)
    with pytest.raises(TypeError, match="conv_transpose3d: expected a floating-point input"):
        conv_transpose3d(cr.tensor(np.zeros((1, 1, 2, 2, 2), np.int64)), w)


@pytest.mark.parametrize("groups", [1, 2])
def test_float32_gradients_stay_float32(groups):
    """Every gradient of a float32 convolution is float32, on the array and the Tensor path."""
    rng = np.random.default_rng(0)

    def leaf(*shape):
        return cr.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)

    for op, w_shape in ((conv3d, (4, 4 // groups, 2, 2, 2)), (conv_transpose3d, (4, 2, 2, 2, 2))):
        x, w = leaf(1, 4, 3, 3, 3), leaf(*w_shape)
        b = leaf(4 if op is conv3d else 2 * groups)
        y = op(x, w, b, groups=groups)
        grads = cr.grad((y**2).sum(), [x, w, b], create_graph=True)
        assert [str(g.dtype) for g in grads] == ["float32"] * 3, op.__name__
        second = cr.grad(sum((g * g).sum() for g in grads), [x, w, b], allow_unused=True)
        assert all(g is None or str(g.dtype) == "float32" for g in second), op.__name__
        y = op(x, w, b, groups=groups)  # a fresh graph: the one above was freed
        y.backward(cr.tensor(np.ones(y.shape, np.float32)))
        assert [str(t.grad.dtype) for t in (x, w, b)] == ["float32"] * 3, op.__name__
