"""interpolate, pixel_shuffle and pixel_unshuffle against torch: values (torch's index and
weight rounding included), dtypes, input gradients, second derivatives, gradcheck, errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import assert_close, check_against_torch, check_gradcheck

import chainrule as cr
from chainrule.functions.resampling import interpolate, pixel_shuffle, pixel_unshuffle

DTYPES = ["float64", "float32"]

SIZES = [
    dict(size=1),
    dict(size=3),
    dict(size=8),
    dict(size=13),
    dict(scale_factor=2),
    dict(scale_factor=1.7),
    dict(scale_factor=0.6),
    dict(scale_factor=1.2),  # same size out, yet a scale of 1/1.2 for most modes
    dict(scale_factor=2.1),  # out = 2·in: torch's 2-D nearest maps it by ⌊j/2⌋ anyway
    dict(scale_factor=3.3, recompute_scale_factor=True),
]


def _squared(f):
    return lambda t: f(t) ** 2


def _check(shape, dtype, **kw):
    check_against_torch(
        _squared(lambda t: interpolate(t, **kw)),
        shape,
        torch_fn=_squared(lambda t: F.interpolate(t, **kw)),
        dtype=dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", SIZES)
@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 3, 4, 5), (1, 2, 3, 4, 5)])
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "area"])
def test_non_interpolating_modes_match_torch(mode, shape, kw, dtype):
    if mode == "nearest" and len(shape) != 4 and kw.get("scale_factor") in (1.2, 2.1):
        # torch's 1-D and 3-D nearest backward maps out = in and out = 2·in by j and ⌊j/2⌋,
        # unlike its forward: its gradient is not its forward's; ours is (checked below)
        check_against_torch(
            lambda t: interpolate(t, mode=mode, **kw),
            shape,
            torch_fn=lambda t: F.interpolate(t, mode=mode, **kw),
            dtype=dtype,
            grad=False,
        )
        check_gradcheck(lambda t: interpolate(t, mode=mode, **kw) ** 2, shape)
        return
    _check(shape, dtype, mode=mode, **kw)


INTERPOLATING = [("linear", (2, 3, 5)), ("bilinear", (2, 3, 4, 5)), ("trilinear", (1, 2, 3, 4, 5))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("align_corners", [False, True])  # None: False (test_per_dim_...)
@pytest.mark.parametrize("kw", SIZES)
@pytest.mark.parametrize("mode, shape", INTERPOLATING + [("bicubic", (2, 3, 4, 5))])
def test_interpolating_modes_match_torch(mode, shape, kw, align_corners, dtype):
    _check(shape, dtype, mode=mode, align_corners=align_corners, **kw)


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic", "area"])
def test_per_dim_sizes_and_scales(mode):  # align_corners left at None
    _check((2, 2, 5, 6), "float64", mode=mode, size=(7, 3))
    _check((2, 2, 5, 6), "float64", mode=mode, scale_factor=(0.5, 2.5))


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic", "area"])
def test_one_pixel_input(mode):
    _check((1, 2, 1, 1), "float64", mode=mode, size=(3, 2))


def test_empty_batch():
    _check((0, 3, 4, 5), "float64", mode="bilinear", scale_factor=2)


def test_dtypes_kept():
    x = cr.tensor(np.ones((1, 1, 3, 3), dtype=np.float32))
    for mode in ["nearest", "nearest-exact", "bilinear", "bicubic", "area"]:
        assert interpolate(x, scale_factor=1.5, mode=mode).dtype == np.float32


def test_nearest_on_integers_matches_torch():
    a = np.arange(12, dtype=np.uint8).reshape(1, 1, 3, 4)
    got = interpolate(cr.tensor(a), size=(5, 3))
    want = F.interpolate(torch.tensor(a), size=(5, 3)).numpy()
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got.data, want)


def test_same_size_is_a_copy():
    x = cr.tensor(np.arange(6.0).reshape(1, 1, 2, 3))
    y = interpolate(x, size=(2, 3), mode="bilinear")
    assert y is not x
    np.testing.assert_array_equal(y.data, x.data)


def test_bilinear_closed_form():
    # 2 → 4 with half-pixel centres: src = (j + ½)/2 − ½ = −¼, ¼, ¾, 1¼ → clamped, mixed
    x = cr.tensor(np.array([[[[0.0, 4.0]]]]))
    y = interpolate(x, size=(1, 4), mode="bilinear")
    np.testing.assert_allclose(y.data.ravel(), [0.0, 1.0, 3.0, 4.0])


def test_gradcheck_interpolate():
    for mode in ["bilinear", "bicubic", "nearest", "area"]:
        check_gradcheck(lambda t, m=mode: interpolate(t, size=(5, 3), mode=m) ** 2, (1, 2, 3, 4))


@pytest.mark.parametrize(
    "kw, error, message",
    [
        (dict(size=3, scale_factor=2), ValueError, r"exactly one of size and scale_factor"),
        (dict(), ValueError, r"exactly one of size and scale_factor"),
        (dict(size=(2, 2)), ValueError, r"size must have one value per spatial dim.*\(1, 2, 5\)"),
        (dict(scale_factor=(2, 2)), ValueError, r"scale_factor must have one value"),
        (dict(size=3, recompute_scale_factor=True), ValueError, r"not meaningful with a size"),
        (dict(size=3, align_corners=True), ValueError, r"align_corners can only be set"),
        (dict(size=3, mode="bilinear"), ValueError, r"'bilinear' needs a 4-D input.*\(1, 2, 5\)"),
        (dict(size=3, mode="cubic"), ValueError, r"mode must be one of .*'cubic'"),
        (dict(size=0), ValueError, r"sizes must be positive.*output size \(0,\)"),
        (dict(scale_factor=0.1), ValueError, r"sizes must be positive"),
        (dict(size=3, mode="linear", antialias=True), ValueError, r"antialias"),
    ],
)
def test_interpolate_errors(kw, error, message):
    with pytest.raises(error, match=message):
        interpolate(cr.zeros(1, 2, 5), **kw)


def test_interpolate_rejects_bad_ranks_and_integers():
    with pytest.raises(ValueError, match=r"3-D, 4-D or 5-D input .*\(2, 5\)"):
        interpolate(cr.zeros(2, 5), size=3)
    with pytest.raises(TypeError, match=r"'linear' needs a floating-point input, got int64"):
        interpolate(cr.tensor(np.zeros((1, 1, 3), dtype=np.int64)), size=5, mode="linear")


# ---------------------------------------------------------------- pixel shuffle
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, r", [((2, 8, 3, 4), 2), ((9, 2, 3), 3), ((2, 1, 4, 3, 2), 2)])
def test_pixel_shuffle_matches_torch(shape, r, dtype):
    check_against_torch(
        _squared(lambda t: pixel_shuffle(t, r)),
        shape,
        torch_fn=_squared(lambda t: F.pixel_shuffle(t, r)),
        dtype=dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, r", [((2, 2, 6, 4), 2), ((1, 6, 9), 3), ((2, 1, 3, 4, 2), 2)])
def test_pixel_unshuffle_matches_torch(shape, r, dtype):
    check_against_torch(
        _squared(lambda t: pixel_unshuffle(t, r)),
        shape,
        torch_fn=_squared(lambda t: F.pixel_unshuffle(t, r)),
        dtype=dtype,
    )


def test_pixel_unshuffle_inverts_pixel_shuffle():
    a = np.random.default_rng(0).standard_normal((2, 12, 3, 5))
    back = pixel_unshuffle(pixel_shuffle(cr.tensor(a), 2), 2)
    assert_close(back, a)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: pixel_shuffle(cr.zeros(2, 5, 3, 3), 2), r"pixel_shuffle: the channel dim \(5\)"),
        (lambda: pixel_shuffle(cr.zeros(4, 3), 2), r"at least 3 dims, got shape \(4, 3\)"),
        (lambda: pixel_shuffle(cr.zeros(4, 3, 3), 0), r"upscale_factor must be a positive int"),
        (
            lambda: pixel_unshuffle(cr.zeros(1, 2, 5, 4), 2),
            r"pixel_unshuffle: height and width .*\(2\).*\(1, 2, 5, 4\)",
        ),
    ],
)
def test_pixel_shuffle_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("shape,groups", [((2, 6, 3, 2), 3), ((1, 4, 5), 2), ((2, 6, 1, 1, 2), 6)])
def test_channel_shuffle_matches_torch(shape, groups):
    from chainrule.functions.resampling import channel_shuffle

    check_against_torch(
        lambda x: channel_shuffle(x, groups) ** 2,
        shape,
        torch_fn=lambda x: F.channel_shuffle(x, groups) ** 2,
    )
    with pytest.raises(ValueError, match=r"C divisible by groups \(4\), got shape \(1, 6, 2\)"):
        channel_shuffle(cr.ones(1, 6, 2), 4)


def test_upsample_nearest_and_bilinear_are_torchs_old_spellings():
    from chainrule.functions.resampling import upsample_bilinear, upsample_nearest

    check_against_torch(
        lambda x: upsample_nearest(x, scale_factor=2),
        (1, 2, 3, 4),
        torch_fn=lambda x: F.upsample_nearest(x, scale_factor=2),
    )
    check_against_torch(
        lambda x: upsample_bilinear(x, size=(5, 7)),
        (1, 2, 3, 4),
        torch_fn=lambda x: F.upsample_bilinear(x, size=(5, 7)),
    )
