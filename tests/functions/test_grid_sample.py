"""grid_sample and affine_grid against torch: values, dtypes, gradients of the input and the
grid, second derivatives, finite differences, edge cases and error messages."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import assert_close, check_against_torch, check_gradcheck, on_device

import chainrule as cr
from chainrule.functions.grid_sample import (
    affine_grid,
    affine_grid_generator,
    grid_sample,
    grid_sampler,
)

DTYPES = ["float64", "float32"]
PADDINGS = ["zeros", "border", "reflection"]


def _arrays(x_shape, g_shape, dtype, seed=0, reach=1.7):
    """An input in [−2, 2] and a grid in [−reach, reach]: points outside the input too."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, x_shape).astype(dtype)
    g = rng.uniform(-reach, reach, g_shape).astype(dtype)
    return x, g


def _check(x, g, dtype, **kw):
    """Values, both gradients and every second derivative against torch's."""
    check_against_torch(
        lambda a, b: grid_sample(a, b, **kw),
        x,
        g,
        torch_fn=lambda a, b: F.grid_sample(a, b, **kw),
        dtype=dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
def test_2d_matches_torch(mode, padding_mode, align_corners, dtype):
    x, g = _arrays((2, 3, 4, 5), (2, 3, 4, 2), dtype)
    _check(x, g, dtype, mode=mode, padding_mode=padding_mode, align_corners=align_corners)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_3d_matches_torch(mode, padding_mode, align_corners, dtype):
    x, g = _arrays((2, 2, 3, 4, 5), (2, 2, 3, 2, 3), dtype, seed=1)
    _check(x, g, dtype, mode=mode, padding_mode=padding_mode, align_corners=align_corners)


@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_far_outside_reflects_many_times(mode, padding_mode):
    """Points up to 4 widths away: reflection folds several times, zeros reads nothing."""
    x, g = _arrays((1, 2, 3, 4), (1, 5, 6, 2), "float64", seed=2, reach=9.0)
    _check(x, g, "float64", mode=mode, padding_mode=padding_mode, align_corners=False)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
def test_unit_sized_input(mode, padding_mode, align_corners):
    """A 1-pixel-wide input: the reflection span is empty with align_corners."""
    x, g = _arrays((2, 2, 1, 3), (2, 3, 2, 2), "float64", seed=3)
    _check(x, g, "float64", mode=mode, padding_mode=padding_mode, align_corners=align_corners)


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
def test_grid_points_on_pixels_and_borders(mode):
    """Points exactly on pixel centres and on the borders (where torch's clip passes no
    gradient), and halfway between pixels (nearest rounds half to even)."""
    xs = np.array([-1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0, 1.25])
    g = np.stack(np.meshgrid(xs, xs[::-1], indexing="xy"), -1)[None]  # (1, 9, 9, 2)
    x = np.random.default_rng(4).uniform(-2, 2, (1, 2, 4, 4))
    for padding_mode in PADDINGS:
        for align_corners in (False, True):
            _check(
                x, g, "float64", mode=mode, padding_mode=padding_mode, align_corners=align_corners
            )


@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
def test_non_finite_points(mode, padding_mode):
    """NaN and ±inf points: torch's values (NaN, or 0 / an edge pixel where it clips)."""
    x = np.arange(12.0).reshape(1, 1, 3, 4)
    inf, nan = np.inf, np.nan
    g = np.array([[[[nan, 0.0], [inf, 0.0], [-inf, 0.3], [1e30, 0.0], [0.2, nan]]]])
    check_against_torch(
        lambda a, b: grid_sample(a, b, mode=mode, padding_mode=padding_mode),
        x,
        g,
        torch_fn=lambda a, b: F.grid_sample(
            a, b, mode=mode, padding_mode=padding_mode, align_corners=False
        ),
        grad=False,
    )


def test_nearest_rounds_half_to_even():
    x = np.arange(5.0).reshape(1, 1, 1, 5)
    gx = np.array([-0.75, -0.25, 0.25, 0.75])  # pixel coordinates 0.5, 1.5, 2.5, 3.5
    g = np.stack([gx, np.zeros(4)], -1).reshape(1, 1, 4, 2)
    y = grid_sample(on_device(x), on_device(g), mode="nearest", align_corners=True)
    assert_close(y, np.array([[[[0.0, 2.0, 2.0, 4.0]]]]))


def test_bilinear_closed_form():
    """Midway between four pixels of a 2 × 2 input: their mean. Half a pixel beyond the right
    edge, zeros padding reads 0 for the two missing pixels, border the edge pixels."""
    x = np.array([[[[1.0, 2.0], [3.0, 5.0]]]])
    g = np.array([[[[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]]]])  # with align_corners: centre, corner
    y = grid_sample(on_device(x), on_device(g), align_corners=True)
    assert_close(y, np.array([[[[2.75, 5.0, (2.0 + 5.0) / 4]]]]))
    y = grid_sample(on_device(x), on_device(g), padding_mode="border", align_corners=True)
    assert_close(y, np.array([[[[2.75, 5.0, 3.5]]]]))


@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_gradcheck(mode, padding_mode):
    rng = np.random.default_rng(5)
    x = rng.uniform(-2, 2, (1, 2, 3, 3))
    g = rng.uniform(-1.4, 1.4, (1, 2, 2, 2))
    check_gradcheck(
        lambda a, b: grid_sample(a, b, mode=mode, padding_mode=padding_mode, align_corners=False),
        x,
        g,
    )


@pytest.mark.parametrize("padding_mode", PADDINGS)
def test_trilinear_gradcheck(padding_mode):
    rng = np.random.default_rng(6)
    x = rng.uniform(-2, 2, (1, 1, 2, 3, 2))
    g = rng.uniform(-1.4, 1.4, (1, 1, 2, 2, 3))
    check_gradcheck(
        lambda a, b: grid_sample(a, b, padding_mode=padding_mode, align_corners=True), x, g
    )


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
def test_only_the_grid_requires_grad(mode):
    """The output requires grad when only the grid does (nearest: a zero gradient)."""
    x, g = _arrays((1, 2, 3, 4), (1, 2, 3, 2), "float32", seed=7)
    xt, gt = torch.tensor(x), torch.tensor(g, requires_grad=True)
    yt = F.grid_sample(xt, gt, mode=mode, align_corners=False)
    gc = on_device(g).requires_grad_()
    y = grid_sample(on_device(x), gc, mode=mode, align_corners=False)
    assert y.requires_grad
    v = np.random.default_rng(8).standard_normal(tuple(yt.shape)).astype("float32")
    (ref,) = torch.autograd.grad(yt, gt, torch.tensor(v))
    (ours,) = cr.grad(y, [gc], on_device(v))
    assert str(ours.dtype) == "float32"
    assert_close(ours, ref, "float32", "grid gradient")


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
def test_empty_output_and_batch(mode):
    shapes = [
        ((2, 3, 4, 5), (2, 0, 3, 2)),
        ((0, 3, 4, 5), (0, 2, 3, 2)),
        ((2, 0, 3, 3), (2, 2, 2, 2)),
    ]
    for x_shape, g_shape in shapes:
        x, g = _arrays(x_shape, g_shape, "float64")
        check_against_torch(
            lambda a, b: grid_sample(a, b, mode=mode, align_corners=False),
            x,
            g,
            torch_fn=lambda a, b: F.grid_sample(a, b, mode=mode, align_corners=False),
            gradgrad=False,
        )


@pytest.mark.parametrize("padding_code", [0, 1, 2])
@pytest.mark.parametrize("mode_code", [0, 1, 2])
def test_grid_sampler_codes(mode_code, padding_code):
    x, g = _arrays((1, 2, 3, 4), (1, 2, 3, 2), "float64", seed=11)
    check_against_torch(
        lambda a, b: grid_sampler(a, b, mode_code, padding_code, True),
        x,
        g,
        torch_fn=lambda a, b: torch.grid_sampler(a, b, mode_code, padding_code, True),
    )


def test_grid_sampler_bad_code():
    x, g = on_device(np.zeros((1, 1, 2, 2))), on_device(np.zeros((1, 1, 1, 2)))
    with pytest.raises(ValueError, match=r"must be 0, 1 or 2, got 3 and 0"):
        grid_sampler(x, g, 3, 0, False)


def test_affine_grid_generator():
    check_against_torch(
        lambda t: affine_grid_generator(t, (2, 1, 3, 4), False),
        (2, 2, 3),
        torch_fn=lambda t: torch.affine_grid_generator(t, (2, 1, 3, 4), False),
    )


def test_align_corners_none_is_false():
    x, g = _arrays((1, 1, 3, 3), (1, 2, 2, 2), "float32")
    a = grid_sample(on_device(x), on_device(g))
    b = grid_sample(on_device(x), on_device(g), align_corners=False)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def _raises(kind, match, x_shape, g_shape, x_dtype="float32", g_dtype="float32", **kw):
    x = cr.tensor(np.zeros(x_shape, dtype=x_dtype))
    g = cr.tensor(np.zeros(g_shape, dtype=g_dtype))
    with pytest.raises(kind, match=match):
        grid_sample(x, g, **kw)


def test_grid_sample_errors():
    _raises(
        ValueError,
        r"mode must be one of .* got 'linear'",
        (1, 1, 2, 2),
        (1, 1, 1, 2),
        mode="linear",
    )
    _raises(
        ValueError,
        r"padding_mode must be one of .* got 'edge'",
        (1, 1, 2, 2),
        (1, 1, 1, 2),
        padding_mode="edge",
    )
    _raises(ValueError, r"4-D .* or 5-D .* got shape \(1, 2, 3\)", (1, 2, 3), (1, 3, 1))
    _raises(
        ValueError,
        r"as many dims as the input \(4\), got input \(1, 1, 2, 2\) and "
        r"grid \(1, 1, 2\)",
        (1, 1, 2, 2),
        (1, 1, 2),
    )
    _raises(
        ValueError,
        r"same batch size, got input \(2, 1, 2, 2\) and grid \(3, 1, 1, 2\)",
        (2, 1, 2, 2),
        (3, 1, 1, 2),
    )
    _raises(
        ValueError,
        r"last dim must be 2 for a 4-D input, got input \(1, 1, 2, 2\) and "
        r"grid \(1, 1, 1, 3\)",
        (1, 1, 2, 2),
        (1, 1, 1, 3),
    )
    _raises(
        ValueError,
        r"spatial dims must be non-empty, got \(1, 1, 0, 2\)",
        (1, 1, 0, 2),
        (1, 1, 1, 2),
    )
    _raises(
        ValueError,
        r"'bicubic' supports only 4-D input, got \(1, 1, 2, 2, 2\)",
        (1, 1, 2, 2, 2),
        (1, 1, 1, 1, 3),
        mode="bicubic",
    )
    _raises(
        TypeError,
        r"floating point of one dtype, got float32 and float64",
        (1, 1, 2, 2),
        (1, 1, 1, 2),
        g_dtype="float64",
    )
    _raises(
        TypeError,
        r"got int64 and int64",
        (1, 1, 2, 2),
        (1, 1, 1, 2),
        x_dtype="int64",
        g_dtype="int64",
    )


# ---------------------------------------------------------------- affine_grid
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize(
    "size", [(2, 3, 4, 5), (2, 1, 1, 3), (1, 1, 7, 1), (2, 3, 2, 3, 4), (1, 2, 1, 5, 1)]
)
def test_affine_grid_matches_torch(size, align_corners, dtype):
    k = len(size) - 2
    check_against_torch(
        lambda t: affine_grid(t, size, align_corners=align_corners),
        (size[0], k, k + 1),
        torch_fn=lambda t: F.affine_grid(t, size, align_corners=align_corners),
        dtype=dtype,
    )


def test_affine_grid_identity_samples_the_input():
    """The identity map's grid reads every pixel back (a closed form for both ops)."""
    x = np.random.default_rng(9).uniform(-2, 2, (2, 3, 4, 5)).astype("float32")
    theta = on_device(np.tile(np.eye(2, 3, dtype="float32"), (2, 1, 1)))
    for align_corners in (False, True):
        grid = affine_grid(theta, x.shape, align_corners=align_corners)
        y = grid_sample(on_device(x), grid, align_corners=align_corners)
        assert str(y.dtype) == "float32"
        assert_close(y, x, "float32")


def test_affine_grid_then_grid_sample_gradient_of_theta():
    """The spatial transformer's path: the gradient reaches theta through both ops."""
    rng = np.random.default_rng(10)
    x = rng.uniform(-2, 2, (2, 2, 4, 4))
    theta = np.tile(np.eye(2, 3), (2, 1, 1)) + rng.uniform(-0.3, 0.3, (2, 2, 3))
    check_against_torch(
        lambda a, t: grid_sample(
            a,
            affine_grid(t, a.shape, align_corners=False),
            padding_mode="border",
            align_corners=False,
        ),
        x,
        theta,
        torch_fn=lambda a, t: F.grid_sample(
            a,
            F.affine_grid(t, a.shape, align_corners=False),
            padding_mode="border",
            align_corners=False,
        ),
    )


def test_affine_grid_errors():
    t = cr.tensor(np.zeros((2, 2, 3), dtype="float32"))
    with pytest.raises(
        ValueError,
        match=r"theta must have shape \(N, 3, 4\) for size "
        r"\(2, 1, 2, 2, 2\), got \(2, 2, 3\)",
    ):
        affine_grid(t, (2, 1, 2, 2, 2))
    with pytest.raises(ValueError, match=r"size must be 4-D .* got \(2, 1, 2\)"):
        affine_grid(t, (2, 1, 2))
    with pytest.raises(ValueError, match=r"batch size 2 does not match size \(3, 1, 2, 2\)"):
        affine_grid(t, (3, 1, 2, 2))
    with pytest.raises(ValueError, match=r"size must be positive, got \(2, 1, 0, 2\)"):
        affine_grid(t, (2, 1, 0, 2))
    with pytest.raises(TypeError, match="theta must be floating point, got int64"):
        affine_grid(cr.tensor(np.zeros((2, 2, 3), dtype="int64")), (2, 1, 2, 2))
