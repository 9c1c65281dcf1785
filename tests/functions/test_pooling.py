"""max_pool2d, avg_pool2d and adaptive_avg_pool2d against torch: values, gradients (ties
routed to the first maximum), second derivatives, indices, ceil_mode, gradcheck, errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import assert_close, check_against_torch, check_gradcheck

import chainrule as cr
from chainrule.functions.adaptive_pooling import adaptive_avg_pool2d
from chainrule.functions.pooling import avg_pool2d, max_pool2d

DTYPES = ["float64", "float32"]

MAX_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=1),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2)),
    dict(kernel_size=3, stride=1, dilation=2, padding=1),
    dict(kernel_size=2, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=2, stride=3),  # gaps between windows
    dict(kernel_size=2, stride=3, dilation=2),  # dilated, yet disjoint
    dict(kernel_size=1, stride=2),  # one offset: every window is its own maximum
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", MAX_CASES)
def test_max_pool2d_matches_torch(kw, dtype):
    check_against_torch(
        lambda x: max_pool2d(x, **kw),
        (2, 3, 7, 6),
        torch_fn=lambda x: F.max_pool2d(x, **kw),
        dtype=dtype,
    )


@pytest.mark.parametrize("kw", MAX_CASES)
def test_max_pool2d_ties_go_to_the_first_maximum(kw):
    """Zero borders (as in padded MNIST) and small integers make exact ties everywhere."""
    rng = np.random.default_rng(1)
    x = rng.integers(0, 3, size=(2, 3, 7, 6)).astype(np.float64)
    x[:, :, :2] = 0
    check_against_torch(lambda t: max_pool2d(t, **kw), x, torch_fn=lambda t: F.max_pool2d(t, **kw))
    _, i = max_pool2d(cr.tensor(x), return_indices=True, **kw)
    _, it = F.max_pool2d(torch.tensor(x), return_indices=True, **kw)
    assert i.dtype == cr.int64
    np.testing.assert_array_equal(i.data, it.numpy())


def test_max_pool2d_after_relu_on_channels_last_input():
    """The layout a conv produces (NCHW view of NHWC memory) with all-zero windows."""
    x = np.maximum(np.random.default_rng(2).standard_normal((2, 5, 6, 4)), 0).transpose(0, 3, 1, 2)
    check_against_torch(lambda t: max_pool2d(t, 2), x, torch_fn=lambda t: F.max_pool2d(t, 2))


def test_max_pool2d_nan_propagates_like_torch():
    x = np.arange(2 * 4 * 4, dtype=np.float64).reshape(1, 2, 4, 4)
    x[0, 0, 0, 1] = np.nan
    x[0, 1, 2, 2] = x[0, 1, 3, 3] = np.nan
    y, i = max_pool2d(cr.tensor(x), 2, return_indices=True)
    yt, it = F.max_pool2d(torch.tensor(x), 2, return_indices=True)
    assert_close(y.data, yt)
    np.testing.assert_array_equal(i.data, it.numpy())


@pytest.mark.parametrize("pool", [max_pool2d, avg_pool2d])
def test_empty_batch(pool):
    torch_pool = getattr(F, pool.__name__)
    check_against_torch(lambda x: pool(x, 2), (0, 3, 4, 4), torch_fn=lambda x: torch_pool(x, 2))


def test_max_pool2d_unbatched():
    check_against_torch(
        lambda x: max_pool2d(x, 2, return_indices=True)[0],
        (3, 4, 5),
        torch_fn=lambda x: F.max_pool2d(x, 2, return_indices=True)[0],
    )


AVG_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=1),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=(2, 3), stride=(2, 1), padding=(1, 0)),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=2, divisor_override=3),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", AVG_CASES)
def test_avg_pool2d_matches_torch(kw, dtype):
    check_against_torch(
        lambda x: avg_pool2d(x, **kw),
        (2, 3, 7, 6),
        torch_fn=lambda x: F.avg_pool2d(x, **kw),
        dtype=dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [1, (3, 3), (2, 3), (4, 5), (None, 4), (7, 6), (5, 1)])
def test_adaptive_avg_pool2d_matches_torch(size, dtype):
    check_against_torch(
        lambda x: adaptive_avg_pool2d(x, size),
        (2, 3, 7, 6),
        torch_fn=lambda x: F.adaptive_avg_pool2d(x, size),
        dtype=dtype,
    )


def test_adaptive_avg_pool2d_unbatched():
    check_against_torch(
        lambda x: adaptive_avg_pool2d(x, (2, 3)),
        (3, 5, 7),
        torch_fn=lambda x: F.adaptive_avg_pool2d(x, (2, 3)),
    )


def test_gradcheck_pools():
    check_gradcheck(lambda x: max_pool2d(x, 3, stride=2, padding=1), (1, 2, 5, 4))
    check_gradcheck(
        lambda x: avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False), (1, 2, 5, 4)
    )
    check_gradcheck(lambda x: adaptive_avg_pool2d(x, (2, 3)), (1, 2, 5, 4))


def _x(shape):
    return cr.tensor(np.zeros(shape))


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: max_pool2d(_x((2, 3)), 2),
            r"max_pool2d: expected a 3-D .* or 4-D .* got shape \(2, 3\)",
        ),
        (lambda: avg_pool2d(_x((1, 2, 3, 4, 5)), 2), r"avg_pool2d: expected a 3-D"),
        (lambda: max_pool2d(_x((1, 1, 4, 4)), 2, padding=2), r"at most half of the effective"),
        (lambda: max_pool2d(_x((1, 1, 2, 2)), 3), r"output size is too small"),
        (lambda: max_pool2d(_x((1, 1, 4, 4)), (2, 2, 2)), r"kernel_size must be an int or 2"),
        (lambda: max_pool2d(_x((1, 1, 4, 4)), 0), r"must be positive"),
        (lambda: adaptive_avg_pool2d(_x((1, 1, 4, 4)), (0, 2)), r"positive output_size"),
    ],
)
def test_bad_input_raises(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_integer_input_raises():
    with pytest.raises(TypeError, match="max_pool2d: expected a floating-point input, got int64"):
        max_pool2d(cr.tensor(np.zeros((1, 1, 4, 4), np.int64)), 2)


@pytest.mark.parametrize(
    "fn, torch_fn",
    [
        (lambda x: max_pool2d(x, 2) ** 2, lambda x: F.max_pool2d(x, 2) ** 2),
        (lambda x: max_pool2d(x, 3, 1, 1) ** 2, lambda x: F.max_pool2d(x, 3, 1, 1) ** 2),
        (lambda x: avg_pool2d(x, 3, 2, 1) ** 2, lambda x: F.avg_pool2d(x, 3, 2, 1) ** 2),
        (
            lambda x: adaptive_avg_pool2d(x, (2, 3)) ** 2,
            lambda x: F.adaptive_avg_pool2d(x, (2, 3)) ** 2,
        ),
    ],
)
def test_second_derivative_through_a_nonlinear_upstream(fn, torch_fn):
    """(pool)² makes gy depend on x: the backward ops (scatter, gather, the average's
    adjoint) are themselves differentiated."""
    check_against_torch(fn, (2, 3, 6, 5), torch_fn=torch_fn)
    check_gradcheck(fn, (1, 2, 4, 3))


def test_return_indices_under_no_grad():
    x = np.random.default_rng(3).integers(0, 3, size=(2, 2, 6, 6)).astype(np.float32)
    with cr.no_grad():
        y, i = max_pool2d(cr.tensor(x), 3, 2, 1, return_indices=True)
    yt, it = F.max_pool2d(torch.tensor(x), 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(y.data, yt.numpy())
    np.testing.assert_array_equal(i.data, it.numpy())


TILED = [dict(kernel_size=2), dict(kernel_size=3), dict(kernel_size=(2, 3)), dict(kernel_size=1)]


@pytest.mark.parametrize("kw", TILED)
@pytest.mark.parametrize("dtype", DTYPES)
def test_max_pool2d_on_a_convs_memory_layout_matches_torch(kw, dtype):
    """A conv's output is an NCHW view of NHWC memory (``check_against_torch`` would copy it
    to plain NCHW). ReLU zeros and small integers make ties everywhere: each goes to the first
    maximum, as in torch. Values, gradients, indices, and the second-order gather."""
    rng = np.random.default_rng(3)
    a = np.maximum(rng.integers(-2, 3, size=(2, 6, 6, 5)), 0).astype(dtype)  # (N, H, W, C)
    a[0, :, :, 1] = rng.standard_normal((6, 6))  # one channel without ties
    x = cr.from_numpy(a.transpose(0, 3, 1, 2)).requires_grad_(True)  # NCHW view of NHWC
    xt = torch.tensor(a.transpose(0, 3, 1, 2), requires_grad=True)
    assert x.data.transpose(0, 2, 3, 1).flags.c_contiguous
    y, i = max_pool2d(x, return_indices=True, **kw)
    yt, it = F.max_pool2d(xt, return_indices=True, **kw)
    assert_close(y.data, yt, dtype, "forward")
    np.testing.assert_array_equal(i.data, it.numpy())
    g = rng.standard_normal(tuple(yt.shape)).astype(dtype)
    gy, gyt = cr.tensor(g, requires_grad=True), torch.tensor(g, requires_grad=True)
    (gx,) = cr.grad((y * gy).sum(), [x], create_graph=True)  # the scatter of gy
    (gxt,) = torch.autograd.grad((yt * gyt).sum(), [xt], create_graph=True)
    assert_close(gx.data, gxt, dtype, "gradient")
    v = rng.standard_normal(a.transpose(0, 3, 1, 2).shape).astype(dtype)
    (ggy,) = cr.grad((gx * cr.tensor(v)).sum(), [gy])  # the gather, adjoint of the scatter
    (ggyt,) = torch.autograd.grad((gxt * torch.from_numpy(v)).sum(), [gyt])
    assert_close(ggy.data, ggyt, dtype, "second order")


# ---------------------------------------------------------------- 1-d and adaptive max pools
from chainrule.functions.adaptive_pooling import (  # noqa: E402
    adaptive_avg_pool1d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
)
from chainrule.functions.pooling import avg_pool1d, max_pool1d  # noqa: E402

MAX1D_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=1),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=1, dilation=2, padding=1),
    dict(kernel_size=2, ceil_mode=True),
    dict(kernel_size=(3,), stride=(2,), padding=(1,), ceil_mode=True),
    dict(kernel_size=2, stride=3),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", MAX1D_CASES)
@pytest.mark.parametrize("shape", [(2, 3, 9), (3, 8)])
def test_max_pool1d_matches_torch(shape, kw, dtype):
    check_against_torch(
        lambda x: max_pool1d(x, **kw) ** 2,
        shape,
        torch_fn=lambda x: F.max_pool1d(x, **kw) ** 2,
        dtype=dtype,
    )


@pytest.mark.parametrize("kw", MAX1D_CASES)
def test_max_pool1d_ties_and_indices(kw):
    x = np.random.default_rng(1).integers(0, 2, size=(2, 3, 9)).astype(np.float64)
    check_against_torch(lambda t: max_pool1d(t, **kw), x, torch_fn=lambda t: F.max_pool1d(t, **kw))
    y, i = max_pool1d(cr.tensor(x), return_indices=True, **kw)
    yt, it = F.max_pool1d(torch.tensor(x), return_indices=True, **kw)
    assert i.dtype == cr.int64 and i.shape == tuple(it.shape)
    np.testing.assert_array_equal(i.data, it.numpy())


AVG1D_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=4, stride=1, ceil_mode=True, count_include_pad=False),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", AVG1D_CASES)
@pytest.mark.parametrize("shape", [(2, 3, 9), (3, 8)])
def test_avg_pool1d_matches_torch(shape, kw, dtype):
    check_against_torch(
        lambda x: avg_pool1d(x, **kw) ** 2,
        shape,
        torch_fn=lambda x: F.avg_pool1d(x, **kw) ** 2,
        dtype=dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [1, 3, 4, 7, 9, (2,)])
@pytest.mark.parametrize("shape", [(2, 3, 7), (3, 7)])
def test_adaptive_avg_pool1d_matches_torch(shape, size, dtype):
    check_against_torch(
        lambda x: adaptive_avg_pool1d(x, size) ** 2,
        shape,
        torch_fn=lambda x: F.adaptive_avg_pool1d(x, size) ** 2,
        dtype=dtype,
    )


ADAPTIVE_MAX = [1, 2, (3, 2), (2, 5), (7, 1), (4, 3), (None, 2), (5, None)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", ADAPTIVE_MAX)
@pytest.mark.parametrize("shape", [(2, 3, 7, 5), (3, 7, 5)])
def test_adaptive_max_pool2d_matches_torch(shape, size, dtype):
    check_against_torch(
        lambda x: adaptive_max_pool2d(x, size) ** 2,
        shape,
        torch_fn=lambda x: F.adaptive_max_pool2d(x, size) ** 2,
        dtype=dtype,
    )


@pytest.mark.parametrize("size", ADAPTIVE_MAX)
def test_adaptive_max_pool2d_ties_nan_and_indices(size):
    """Small integers tie everywhere (first maximum wins); a window with NaN takes its last."""
    x = np.random.default_rng(4).integers(0, 3, size=(2, 3, 7, 5)).astype(np.float64)
    check_against_torch(
        lambda t: adaptive_max_pool2d(t, size),
        x,
        torch_fn=lambda t: F.adaptive_max_pool2d(t, size),
    )
    x[0, 0, 1, 1] = x[0, 0, 2, 1] = x[1, 2, 6, 4] = np.nan
    y, i = adaptive_max_pool2d(cr.tensor(x), size, return_indices=True)
    yt, it = F.adaptive_max_pool2d(torch.tensor(x), size, return_indices=True)
    assert_close(y.data, yt)
    assert i.dtype == cr.int64
    np.testing.assert_array_equal(i.data, it.numpy())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [1, 3, 4, (7,)])
def test_adaptive_max_pool1d_matches_torch(size, dtype):
    check_against_torch(
        lambda x: adaptive_max_pool1d(x, size) ** 2,
        (2, 3, 7),
        torch_fn=lambda x: F.adaptive_max_pool1d(x, size) ** 2,
        dtype=dtype,
    )
    x = np.random.default_rng(5).integers(0, 2, size=(3, 7)).astype(np.float64)
    _, i = adaptive_max_pool1d(cr.tensor(x), size, return_indices=True)
    _, it = F.adaptive_max_pool1d(torch.tensor(x), size, return_indices=True)
    np.testing.assert_array_equal(i.data, it.numpy())


def test_gradcheck_1d_and_adaptive_max_pools():
    check_gradcheck(lambda x: max_pool1d(x, 3, 2, 1) ** 2, (1, 2, 7))
    check_gradcheck(lambda x: avg_pool1d(x, 3, 2, 1, count_include_pad=False) ** 2, (1, 2, 7))
    check_gradcheck(lambda x: adaptive_avg_pool1d(x, 3) ** 2, (1, 2, 7))
    check_gradcheck(lambda x: adaptive_max_pool2d(x, (2, 3)) ** 2, (1, 2, 5, 4))


def test_1d_pools_keep_float32():
    x = cr.tensor(np.ones((1, 2, 6), dtype=np.float32))
    for y in [max_pool1d(x, 2), avg_pool1d(x, 2), adaptive_avg_pool1d(x, 4)]:
        assert y.dtype == np.float32
    assert adaptive_max_pool2d(x.unsqueeze(0), 2).dtype == np.float32


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: max_pool1d(_x((1, 2, 3, 4)), 2),
            r"max_pool1d: expected a 2-D .* 3-D .*\(1, 2, 3, 4\)",
        ),
        (
            lambda: max_pool1d(_x((1, 2, 5)), 3, padding=2),
            r"max_pool1d: .*padding at most half .*kernel_size 3, stride 3, padding 2",
        ),
        (
            lambda: max_pool1d(_x((1, 2, 9)), 3, dilation=2, padding=2),
            r"padding at most half the kernel_size",  # torch: half the size, not the span
        ),
        (lambda: avg_pool1d(_x((1, 2, 2)), 3), r"avg_pool1d: output size is too small: input"),
        (lambda: max_pool1d(_x((1, 2, 5)), (2, 2)), r"kernel_size must be an int or 1 int"),
        (lambda: avg_pool1d(_x((1, 2, 5)), 0), r"need positive kernel_size"),
        (lambda: adaptive_avg_pool1d(_x((1, 2, 5)), (2, 2)), r"output_size must be an int or 1"),
        (lambda: adaptive_avg_pool1d(_x((5,)), 2), r"adaptive_avg_pool1d: expected a 2-D or 3-D"),
        (lambda: adaptive_max_pool2d(_x((1, 2, 0, 4)), 2), r"non-empty input.*\(1, 2, 0, 4\)"),
        (lambda: adaptive_max_pool2d(_x((1, 2, 3, 4)), (2, 0)), r"positive output_size"),
        (lambda: adaptive_max_pool2d(_x((1, 2, 3, 4)), (1, 2, 3)), r"an int or 2 values"),
        (lambda: adaptive_max_pool1d(_x((1, 2, 5)), 0), r"positive output_size"),
    ],
)
def test_1d_and_adaptive_max_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_1d_pools_reject_integers():
    with pytest.raises(TypeError, match="max_pool1d: expected a floating-point input, got int64"):
        max_pool1d(cr.tensor(np.zeros((1, 1, 4), np.int64)), 2)
    with pytest.raises(TypeError, match="adaptive_max_pool2d: expected a floating-point"):
        adaptive_max_pool2d(cr.tensor(np.zeros((1, 1, 4, 4), np.int64)), 2)


@pytest.mark.parametrize(
    "fn,shape,kw",
    [
        ("max_pool2d", (1, 2, 4, 3), dict(kernel_size=(3, 2), padding=(0, 1), dilation=2)),
        ("max_pool1d", (1, 2, 4), dict(kernel_size=3, dilation=2)),
        ("avg_pool2d", (1, 1, 1, 3), dict(kernel_size=(4, 3), stride=4, padding=1)),
    ],
)
def test_ceil_mode_window_longer_than_the_padded_input_matches_torch(fn, shape, kw):
    """With ceil_mode, one window that starts inside may reach past the end (torch's rule):
    such inputs once raised 'output size is too small'."""
    check_against_torch(
        lambda x: getattr(cr.nn.functional, fn)(x, ceil_mode=True, **kw),
        shape,
        torch_fn=lambda x: getattr(F, fn)(x, ceil_mode=True, **kw),
    )


@pytest.mark.parametrize("nan", [False, True])
def test_max_pool2d_windows_of_minus_inf_touching_the_padding_pick_a_real_element(nan):
    """The padding's −∞ ties with a window of −∞: torch's index and gradient go to the
    window's first real element, never into the padding."""
    a = np.arange(16.0).reshape(1, 1, 4, 4)
    a[a % 3 == 0] = -np.inf
    a[0, 0, :2, :2] = -np.inf
    if nan:
        a[0, 0, 3, 3] = np.nan
    x, t = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, i = max_pool2d(x, 3, 2, 1, return_indices=True)
    yt, it = F.max_pool2d(t, 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(i.data, it.numpy())
    np.testing.assert_array_equal(y.data, yt.detach().numpy())
    (y * cr.tensor(np.arange(1.0, 5.0).reshape(1, 1, 2, 2))).nansum().backward()
    (yt * torch.arange(1.0, 5.0, dtype=torch.float64).reshape(1, 1, 2, 2)).nansum().backward()
    np.testing.assert_array_equal(x.grad.data, t.grad.numpy())
