"""The 3-d pools (max, average, adaptive, Lp, unpool), the ``*_with_indices`` spellings and the
fractional max pools against torch: values, indices (ties to the first maximum, NaN), input
gradients, second derivatives through a nonlinear upstream, gradcheck, and errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import assert_close, check_against_torch, check_gradcheck, on_device

import chainrule as cr
from chainrule.functions import pooling3d as P

DTYPES = ["float64", "float32"]
SHAPE = (2, 2, 5, 6, 5)


def _ties(shape, seed=1, high=3):
    """Small integers: exact ties in every window."""
    return np.random.default_rng(seed).integers(0, high, size=shape).astype(np.float64)


def _same_indices(ours, theirs):
    assert ours.dtype == cr.int64
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# ---------------------------------------------------------------- max_pool3d
MAX_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=1),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3, 1), stride=(1, 2, 2)),
    dict(kernel_size=(3, 2, 3), stride=1, dilation=(2, 1, 1), padding=(1, 0, 1)),
    dict(kernel_size=2, ceil_mode=True),  # the last windows hang past the edge
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=2, stride=3, padding=1, ceil_mode=True),  # a window would start past D + p
    dict(kernel_size=(2,), stride=(3,)),  # gaps between windows; 1-tuples as in torch
    dict(kernel_size=1, stride=2),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", MAX_CASES)
def test_max_pool3d_matches_torch(kw, dtype):
    check_against_torch(
        lambda x: P.max_pool3d(x, **kw) ** 2,
        SHAPE,
        torch_fn=lambda x: F.max_pool3d(x, **kw) ** 2,
        dtype=dtype,
    )


@pytest.mark.parametrize("kw", MAX_CASES)
def test_max_pool3d_ties_go_to_the_first_maximum(kw):
    x = _ties(SHAPE)
    x[:, :, :2] = 0  # whole zero slices: ties across depth too
    check_against_torch(
        lambda t: P.max_pool3d(t, **kw), x, torch_fn=lambda t: F.max_pool3d(t, **kw)
    )
    _, i = P.max_pool3d(cr.tensor(x), return_indices=True, **kw)
    _, it = F.max_pool3d(torch.tensor(x), return_indices=True, **kw)
    _same_indices(i, it)


def test_max_pool3d_nan_takes_the_last_nan_like_torch():
    x = np.arange(2 * 4 * 4 * 4, dtype=np.float64).reshape(1, 2, 4, 4, 4)
    x[0, 0, 0, 0, 1] = np.nan
    x[0, 1, 0, 2, 2] = x[0, 1, 1, 3, 2] = x[0, 1, 1, 2, 3] = np.nan
    y, i = P.max_pool3d(cr.tensor(x), 2, return_indices=True)
    yt, it = F.max_pool3d(torch.tensor(x), 2, return_indices=True)
    assert_close(y, yt)
    _same_indices(i, it)


def test_max_pool3d_unbatched_and_empty_batch():
    kw = dict(kernel_size=3, stride=2, padding=1, return_indices=True)
    x = _ties((2, 5, 4, 6))
    check_against_torch(
        lambda t: P.max_pool3d(t, **kw)[0], x, torch_fn=lambda t: F.max_pool3d(t, **kw)[0]
    )
    _same_indices(P.max_pool3d(cr.tensor(x), **kw)[1], F.max_pool3d(torch.tensor(x), **kw)[1])
    check_against_torch(
        lambda t: P.max_pool3d(t, 2), (0, 2, 4, 4, 4), torch_fn=lambda t: F.max_pool3d(t, 2)
    )


def test_max_pool3d_indices_under_no_grad_and_float32():
    x = _ties((2, 2, 6, 5, 6)).astype(np.float32)
    with cr.no_grad():
        y, i = P.max_pool3d(cr.tensor(x), 3, 2, 1, return_indices=True)
    yt, it = F.max_pool3d(torch.tensor(x), 3, 2, 1, return_indices=True)
    assert y.dtype == cr.float32
    np.testing.assert_array_equal(y.numpy(), yt.numpy())
    _same_indices(i, it)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_max_pool_with_indices_spellings(nd):
    ours = getattr(P, f"max_pool{nd}d_with_indices")
    theirs = getattr(F, f"max_pool{nd}d_with_indices")
    x = _ties((2, 3) + (7, 6, 5)[:nd])
    y, i = ours(cr.tensor(x), 3, 2, 1, 1, True)
    yt, it = theirs(torch.tensor(x), 3, 2, 1, 1, True)
    assert_close(y, yt)
    _same_indices(i, it)
    y, i = ours(cr.tensor(x), 2, return_indices=False)  # a pair all the same, as in torch
    yt, it = theirs(torch.tensor(x), 2, return_indices=False)
    assert_close(y, yt)
    _same_indices(i, it)


# ---------------------------------------------------------------- avg_pool3d
AVG_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=1),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=(2, 3, 1), stride=(2, 1, 2), padding=(1, 0, 0)),
    dict(kernel_size=2, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=2, stride=3, padding=1, ceil_mode=True),
    dict(kernel_size=2, divisor_override=3),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, divisor_override=5),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", AVG_CASES)
def test_avg_pool3d_matches_torch(kw, dtype):
    check_against_torch(
        lambda x: P.avg_pool3d(x, **kw) ** 2,
        SHAPE,
        torch_fn=lambda x: F.avg_pool3d(x, **kw) ** 2,
        dtype=dtype,
    )


def test_avg_pool3d_unbatched_and_empty_batch():
    kw = dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
    check_against_torch(
        lambda x: P.avg_pool3d(x, **kw), (3, 4, 5, 6), torch_fn=lambda x: F.avg_pool3d(x, **kw)
    )
    check_against_torch(
        lambda x: P.avg_pool3d(x, 2), (0, 2, 4, 4, 4), torch_fn=lambda x: F.avg_pool3d(x, 2)
    )


# ---------------------------------------------------------------- adaptive pools
SIZES = [1, 2, (3, None, 2), (5, 6, 5), (4, 4, 3), (2, 1, 5), (None, None, None)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", SIZES)
def test_adaptive_avg_pool3d_matches_torch(size, dtype):
    check_against_torch(
        lambda x: P.adaptive_avg_pool3d(x, size) ** 2,
        SHAPE,
        torch_fn=lambda x: F.adaptive_avg_pool3d(x, size) ** 2,
        dtype=dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", SIZES)
def test_adaptive_max_pool3d_matches_torch(size, dtype):
    check_against_torch(
        lambda x: P.adaptive_max_pool3d(x, size) ** 2,
        SHAPE,
        torch_fn=lambda x: F.adaptive_max_pool3d(x, size) ** 2,
        dtype=dtype,
    )


@pytest.mark.parametrize("size", SIZES)
def test_adaptive_max_pool3d_ties_nan_and_indices(size):
    x = _ties(SHAPE, seed=4)
    check_against_torch(
        lambda t: P.adaptive_max_pool3d(t, size),
        x,
        torch_fn=lambda t: F.adaptive_max_pool3d(t, size),
    )
    x[0, 0, 1, 1, 1] = x[0, 0, 2, 1, 0] = x[1, 1, 4, 5, 4] = np.nan
    y, i = P.adaptive_max_pool3d(cr.tensor(x), size, return_indices=True)
    yt, it = F.adaptive_max_pool3d(torch.tensor(x), size, return_indices=True)
    assert_close(y, yt)
    _same_indices(i, it)
    y, i = P.adaptive_max_pool3d_with_indices(cr.tensor(x), size)
    _same_indices(i, it)


def test_adaptive_pools_unbatched():
    check_against_torch(
        lambda x: P.adaptive_avg_pool3d(x, (2, 3, 4)),
        (3, 5, 4, 7),
        torch_fn=lambda x: F.adaptive_avg_pool3d(x, (2, 3, 4)),
    )
    x = _ties((3, 5, 4, 7))
    y, i = P.adaptive_max_pool3d(cr.tensor(x), (2, 3, 4), True)
    yt, it = F.adaptive_max_pool3d(torch.tensor(x), (2, 3, 4), True)
    assert_close(y, yt)
    _same_indices(i, it)


@pytest.mark.parametrize("nd, size", [(1, 3), (2, (2, 3))])
def test_adaptive_max_pool_with_indices_spellings(nd, size):
    x = _ties((2, 3) + (7, 5)[:nd])
    ours = getattr(P, f"adaptive_max_pool{nd}d_with_indices")
    theirs = getattr(F, f"adaptive_max_pool{nd}d_with_indices")
    y, i = ours(cr.tensor(x), size)
    yt, it = theirs(torch.tensor(x), size)
    assert_close(y, yt)
    _same_indices(i, it)


# ---------------------------------------------------------------- lp_pool3d, max_unpool3d
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "p, kw",
    [
        (2, dict(kernel_size=2)),
        (3.0, dict(kernel_size=(2, 3, 2), stride=1)),
        (1, dict(kernel_size=3, stride=2, ceil_mode=True)),
    ],
)
def test_lp_pool3d_matches_torch(p, kw, dtype):
    check_against_torch(
        lambda x: P.lp_pool3d(x, p, **kw),
        SHAPE,
        torch_fn=lambda x: F.lp_pool3d(x, p, **kw),
        dtype=dtype,
        low=0.1,  # positive sums: torch's (Σ xᵖ)^(1/p) is smooth there
        high=2.0,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "kw, shape, output_size",
    [
        (dict(kernel_size=2), (2, 2, 4, 6, 4), None),
        (dict(kernel_size=2), SHAPE, (5, 6, 5)),  # the odd sizes max_pool3d rounded down
        (dict(kernel_size=3, stride=2, padding=1), (2, 2, 5, 7, 5), None),
        (dict(kernel_size=(1, 2, 3), stride=(1, 2, 2)), SHAPE, (2, 2, 5, 6, 5)),
    ],
)
def test_max_unpool3d_matches_torch(kw, shape, output_size, dtype):
    x = np.random.default_rng(5).standard_normal(shape).astype(dtype)
    _, i = F.max_pool3d(torch.tensor(x), return_indices=True, **kw)
    pooled = np.random.default_rng(6).standard_normal(tuple(i.shape)).astype(dtype)
    idx = i.numpy()
    check_against_torch(
        lambda v, j: P.max_unpool3d(v, j, output_size=output_size, **kw),
        pooled,
        idx,
        torch_fn=lambda v, j: F.max_unpool3d(v, j, output_size=output_size, **kw),
        dtype=dtype,
    )


def test_max_unpool3d_undoes_max_pool3d_unbatched():
    x = np.random.default_rng(7).standard_normal((2, 4, 4, 6))
    y, i = P.max_pool3d(cr.tensor(x), 2, return_indices=True)
    u = P.max_unpool3d(y, i, 2)
    ut = F.max_unpool3d(*F.max_pool3d(torch.tensor(x), 2, return_indices=True), 2)
    assert_close(u, ut)


# ---------------------------------------------------------------- fractional max pools
FRACTIONAL_2D = [
    dict(kernel_size=2, output_size=4),
    dict(kernel_size=(3, 2), output_size=(5, 3)),
    dict(kernel_size=2, output_ratio=(0.5, 0.7)),
    dict(kernel_size=3, output_size=1),
    dict(kernel_size=1, output_size=(9, 8)),  # every position its own window
]
FRACTIONAL_3D = [
    dict(kernel_size=2, output_size=(4, 3, 5)),
    dict(kernel_size=(3, 2, 1), output_ratio=(0.5, 0.7, 0.9)),
    dict(kernel_size=2, output_size=(1, 6, 1)),
    dict(kernel_size=1, output_size=(8, 7, 6)),  # the largest output torch's 3-d bound allows
]


def _fractional_case(nd, kw, shape, dtype, seed):
    rng = np.random.default_rng(seed)
    u = rng.random((shape[0] if len(shape) == nd + 2 else 1, shape[-nd - 1], nd)).astype(dtype)
    ours = getattr(P, f"fractional_max_pool{nd}d")
    theirs = getattr(F, f"fractional_max_pool{nd}d")
    return (
        lambda x: ours(x, _random_samples=on_device(u), **kw) ** 2,
        lambda x: theirs(x, _random_samples=torch.from_numpy(u), **kw) ** 2,
        u,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "nd, kw, shape",
    [(2, kw, (2, 3, 9, 8)) for kw in FRACTIONAL_2D]
    + [(3, kw, (2, 2, 9, 8, 7)) for kw in FRACTIONAL_3D]
    + [(2, FRACTIONAL_2D[1], (3, 9, 8)), (3, FRACTIONAL_3D[0], (2, 9, 8, 7))],  # unbatched
)
def test_fractional_max_pool_matches_torch(nd, kw, shape, dtype):
    ours, theirs, _ = _fractional_case(nd, kw, shape, dtype, seed=len(shape))
    check_against_torch(ours, shape, torch_fn=theirs, dtype=dtype)


@pytest.mark.parametrize(
    "nd, kw", [(2, kw) for kw in FRACTIONAL_2D] + [(3, kw) for kw in FRACTIONAL_3D]
)
def test_fractional_max_pool_ties_nan_and_indices(nd, kw):
    shape = (2, 3, 9, 8) if nd == 2 else (2, 2, 9, 8, 7)
    x = _ties(shape, seed=8)
    _, _, u = _fractional_case(nd, kw, shape, "float64", seed=9)
    ours = getattr(P, f"fractional_max_pool{nd}d")
    theirs = getattr(F, f"fractional_max_pool{nd}d")
    flat = x.reshape(-1)
    flat[[5, 6, 40, 41, 200]] = np.nan  # NaN and neighbours in the same window
    y, i = ours(cr.tensor(x), return_indices=True, _random_samples=cr.tensor(u), **kw)
    yt, it = theirs(torch.tensor(x), return_indices=True, _random_samples=torch.tensor(u), **kw)
    assert_close(y, yt)
    _same_indices(i, it)


@pytest.mark.parametrize("dtype", DTYPES)
def test_fractional_window_starts_use_the_inputs_dtype(dtype):
    """u = 0.87499994, α = 8/3: (1 + u)·α truncates to 4 in float32 but to 3 in float64 (as
    torch computes in the input's dtype), so the second window starts at 3 or at 2."""
    x = np.arange(81, dtype=dtype).reshape(1, 1, 9, 9)
    u = np.full((1, 1, 2), 0.87499994, dtype=np.float32).astype(dtype)
    _, i = P.fractional_max_pool2d(
        on_device(x), 1, 4, return_indices=True, _random_samples=on_device(u)
    )
    _, it = F.fractional_max_pool2d(
        torch.tensor(x), 1, 4, return_indices=True, _random_samples=torch.tensor(u)
    )
    _same_indices(i, it)
    assert it[0, 0, 0, 1].item() == (3 if dtype == "float32" else 2)


def test_fractional_max_pool_draws_its_own_samples():
    """Without _random_samples: torch's output shape, float32 kept, and every output the max
    of a kernel-sized window (windows start in [0, n − k])."""
    x = cr.tensor(np.random.default_rng(10).standard_normal((2, 3, 9, 8)).astype(np.float32))
    cr.manual_seed(0)
    y = P.fractional_max_pool2d(x, 2, output_ratio=0.5)
    assert y.dtype == cr.float32
    assert y.shape == tuple(F.fractional_max_pool2d(torch.zeros(2, 3, 9, 8), 2, 4).shape)
    windows = F.max_pool2d(torch.tensor(x.numpy()), 2, stride=1).numpy()  # all 2×2 maxima
    for n in range(2):
        for c in range(3):
            assert np.isin(y.numpy()[n, c], windows[n, c]).all()
    cr.manual_seed(0)
    np.testing.assert_array_equal(P.fractional_max_pool2d(x, 2, (4, 4)).numpy(), y.numpy())


# ---------------------------------------------------------------- finite differences
def test_gradcheck_3d_pools():
    check_gradcheck(lambda x: P.max_pool3d(x, 2, 1, 1) ** 2, (1, 1, 3, 3, 2))
    check_gradcheck(
        lambda x: P.avg_pool3d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False) ** 2,
        (1, 1, 3, 4, 3),
    )
    check_gradcheck(lambda x: P.adaptive_avg_pool3d(x, (2, 3, 2)) ** 2, (1, 1, 3, 4, 3))
    check_gradcheck(lambda x: P.adaptive_max_pool3d(x, (2, 3, 2)) ** 2, (1, 1, 3, 4, 3))
    check_gradcheck(lambda x: P.lp_pool3d(x, 2, 2), (1, 1, 2, 3, 2), low=0.5)
    u = cr.tensor(np.full((1, 1, 3), 0.3))
    check_gradcheck(
        lambda x: P.fractional_max_pool3d(x, 2, (2, 2, 2), _random_samples=u) ** 2,
        (1, 1, 4, 4, 4),
    )


# ---------------------------------------------------------------- errors
def _x(shape, dtype=np.float64):
    return cr.tensor(np.zeros(shape, dtype))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: P.max_pool3d(_x((2, 3, 4)), 2),
            ValueError,
            r"max_pool3d: expected a 4-D \(unbatched\) or 5-D \(batched\) input, got shape "
            r"\(2, 3, 4\)",
        ),
        (lambda: P.avg_pool3d(_x((1,) * 6), 1), ValueError, r"avg_pool3d: expected a 4-D"),
        (
            lambda: P.max_pool3d(_x((1, 0, 4, 4, 4)), 2),
            ValueError,
            r"max_pool3d: expected non-empty dims after the batch, got shape \(1, 0, 4, 4, 4\)",
        ),
        (
            lambda: P.max_pool3d(_x((1, 1, 4, 4, 4)), 3, padding=2),
            ValueError,
            r"max_pool3d: .*padding at most half the kernel_size, got kernel_size \(3, 3, 3\)",
        ),
        (
            lambda: P.max_pool3d(_x((1, 1, 9, 9, 9)), 3, padding=2, dilation=2),
            ValueError,
            r"padding at most half the kernel_size",  # torch: half the size, not the span
        ),
        (
            lambda: P.max_pool3d(_x((1, 1, 4, 2, 4)), 3),
            ValueError,
            r"max_pool3d: output size is too small: input \(1, 1, 4, 2, 4\)",
        ),
        (
            lambda: P.avg_pool3d(_x((1, 1, 4, 4, 4)), (2, 2)),
            ValueError,
            r"avg_pool3d: kernel_size must be an int or 3 ints, got \(2, 2\)",
        ),
        (lambda: P.max_pool3d(_x((1, 1, 4, 4, 4)), 0), ValueError, r"need positive kernel_size"),
        (
            lambda: P.avg_pool3d(_x((1, 1, 4, 4, 4)), 2, divisor_override=0),
            ValueError,
            r"avg_pool3d: divisor_override must be positive, got 0",
        ),
        (
            lambda: P.adaptive_avg_pool3d(_x((1, 1, 4, 4, 4)), (2, 0, 2)),
            ValueError,
            r"adaptive_avg_pool3d: need positive output_size, got \(2, 0, 2\)",
        ),
        (
            lambda: P.adaptive_max_pool3d(_x((1, 1, 4, 4, 4)), (2, 2)),
            ValueError,
            r"adaptive_max_pool3d: output_size must be an int or 3 values, got \(2, 2\)",
        ),
        (
            lambda: P.max_pool3d(_x((1, 1, 4, 4, 4), np.int64), 2),
            TypeError,
            r"max_pool3d: expected a floating-point input, got int64",
        ),
        (
            lambda: P.max_unpool3d(_x((1, 1, 2, 2, 2)), cr.tensor(np.zeros((1, 1, 2, 2))), 2),
            ValueError,
            r"max_unpool3d: indices must be integers of the input's shape",
        ),
        (
            lambda: P.max_unpool3d(_x((1, 1, 2, 2, 2)), cr.tensor(np.full((1, 1, 2, 2, 2), 64)), 2),
            ValueError,
            r"max_unpool3d: an index is outside the output plane of 64 values",
        ),
        (
            lambda: P.fractional_max_pool2d(_x((1, 1, 5, 5)), 2),
            ValueError,
            r"fractional_max_pool2d: requires specifying either an output_size or an output_ratio",
        ),
        (
            lambda: P.fractional_max_pool2d(_x((1, 1, 5, 5)), 2, (5, 4)),
            ValueError,
            r"fractional_max_pool2d: .*- 1 <= input size, got kernel_size \(2, 2\), output_size "
            r"\(5, 4\) for input",
        ),
        (
            lambda: P.fractional_max_pool3d(_x((1, 1, 5, 5, 5)), 1, (5, 4, 4)),
            ValueError,
            r"fractional_max_pool3d: .*- 1 < input size, got kernel_size \(1, 1, 1\), output_size",
        ),
        (
            lambda: P.fractional_max_pool3d(_x((1, 2, 5, 5, 5)), 2, 2, _random_samples=_x((1, 2))),
            ValueError,
            r"fractional_max_pool3d: _random_samples must be float64 of shape \(1, 2, 3\)",
        ),
        (
            lambda: P.fractional_max_pool3d(_x((2, 5, 5)), 2, 2),
            ValueError,
            r"fractional_max_pool3d: expected a 4-D \(unbatched\) or 5-D",
        ),
    ],
)
def test_bad_input_raises(call, error, message):
    with pytest.raises(error, match=message):
        call()
