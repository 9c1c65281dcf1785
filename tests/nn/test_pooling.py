"""MaxPool2d, AvgPool2d and AdaptiveAvgPool2d against their torch twins, and their repr."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.nn.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d

from .twin import check_twin

DTYPES = ["float64", "float32"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "ours, theirs",
    [
        (MaxPool2d(2), torch.nn.MaxPool2d(2)),
        (MaxPool2d(3, 2, 1, ceil_mode=True), torch.nn.MaxPool2d(3, 2, 1, ceil_mode=True)),
        (MaxPool2d((2, 3), dilation=(2, 1)), torch.nn.MaxPool2d((2, 3), dilation=(2, 1))),
        (AvgPool2d(2), torch.nn.AvgPool2d(2)),
        (
            AvgPool2d(3, 2, 1, count_include_pad=False),
            torch.nn.AvgPool2d(3, 2, 1, count_include_pad=False),
        ),
        (AdaptiveAvgPool2d((3, 2)), torch.nn.AdaptiveAvgPool2d((3, 2))),
        (AdaptiveAvgPool2d(1), torch.nn.AdaptiveAvgPool2d(1)),
    ],
)
def test_pool_layers_match_torch(ours, theirs, dtype):
    check_twin(ours, theirs, (2, 3, 8, 7), dtype=dtype)


def test_max_pool_return_indices():
    x = np.random.default_rng(0).integers(0, 2, size=(2, 3, 6, 6)).astype(np.float64)
    y, i = MaxPool2d(2, return_indices=True)(cr.tensor(x))
    yt, it = torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(y.data, yt.numpy())
    np.testing.assert_array_equal(i.data, it.numpy())


def test_repr_like_torch():
    for ours, theirs in [
        (MaxPool2d(2), torch.nn.MaxPool2d(2)),
        (MaxPool2d(3, 1, 1, ceil_mode=True), torch.nn.MaxPool2d(3, 1, 1, ceil_mode=True)),
        (AvgPool2d(2), torch.nn.AvgPool2d(2)),
        (AdaptiveAvgPool2d((2, 3)), torch.nn.AdaptiveAvgPool2d((2, 3))),
    ]:
        assert repr(ours) == repr(theirs)


# ---------------------------------------------------------------- 1-d and adaptive max pools
from chainrule.nn.pooling import (  # noqa: E402
    AdaptiveAvgPool1d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AvgPool1d,
    MaxPool1d,
)

LAYERS_1D = [
    (MaxPool1d(2), torch.nn.MaxPool1d(2), (2, 3, 9)),
    (
        MaxPool1d(3, 2, 1, dilation=2, ceil_mode=True),
        torch.nn.MaxPool1d(3, 2, 1, dilation=2, ceil_mode=True),
        (2, 3, 9),
    ),
    (AvgPool1d(3, 2, 1), torch.nn.AvgPool1d(3, 2, 1), (2, 3, 9)),
    (
        AvgPool1d(3, 2, 1, ceil_mode=True, count_include_pad=False),
        torch.nn.AvgPool1d(3, 2, 1, ceil_mode=True, count_include_pad=False),
        (3, 8),
    ),
    (AdaptiveAvgPool1d(4), torch.nn.AdaptiveAvgPool1d(4), (2, 3, 9)),
    (AdaptiveMaxPool1d(4), torch.nn.AdaptiveMaxPool1d(4), (2, 3, 9)),
    (AdaptiveMaxPool2d((3, 2)), torch.nn.AdaptiveMaxPool2d((3, 2)), (2, 3, 8, 7)),
    (AdaptiveMaxPool2d((None, 3)), torch.nn.AdaptiveMaxPool2d((None, 3)), (3, 8, 7)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ours, theirs, shape", LAYERS_1D)
def test_1d_and_adaptive_max_layers_match_torch(ours, theirs, shape, dtype):
    check_twin(ours, theirs, shape, dtype=dtype)


@pytest.mark.parametrize("ours, theirs, shape", LAYERS_1D)
def test_1d_and_adaptive_max_repr_like_torch(ours, theirs, shape):
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (MaxPool1d(3, 2, 1, return_indices=True), torch.nn.MaxPool1d(3, 2, 1, return_indices=True)),
        (AdaptiveMaxPool1d(3, return_indices=True), torch.nn.AdaptiveMaxPool1d(3, True)),
        (AdaptiveMaxPool2d((3, 2), return_indices=True), torch.nn.AdaptiveMaxPool2d((3, 2), True)),
    ],
)
def test_1d_and_adaptive_max_return_indices(ours, theirs):
    shape = (2, 3, 7) if "1d" in type(ours).__name__ else (2, 3, 7, 5)
    x = np.random.default_rng(0).integers(0, 2, size=shape).astype(np.float64)
    y, i = ours(cr.tensor(x))
    yt, it = theirs(torch.tensor(x))
    np.testing.assert_array_equal(y.data, yt.numpy())
    np.testing.assert_array_equal(i.data, it.numpy())


def test_lp_pool_and_max_unpool_modules_match_torch():
    x = np.abs(np.random.default_rng(2).standard_normal((2, 3, 6, 6))) + 0.1
    for ours, theirs in (
        (cr.nn.LPPool2d(2, 2), torch.nn.LPPool2d(2, 2)),
        (cr.nn.LPPool1d(3, 3, 2), torch.nn.LPPool1d(3, 3, 2)),
    ):
        a = (
            x
            if isinstance(ours, cr.nn.LPPool2d) and not isinstance(ours, cr.nn.LPPool1d)
            else x[:, :, 0]
        )
        np.testing.assert_allclose(
            ours(cr.tensor(a)).data, theirs(torch.tensor(a)).numpy(), rtol=1e-10
        )
        assert repr(ours) == repr(theirs)
    y, idx = torch.nn.functional.max_pool2d(torch.tensor(x), 2, return_indices=True)
    ours, theirs = cr.nn.MaxUnpool2d(2), torch.nn.MaxUnpool2d(2)
    out = ours(cr.tensor(y.numpy()), cr.tensor(idx.numpy()), output_size=(6, 6))
    np.testing.assert_array_equal(out.data, theirs(y, idx, output_size=(6, 6)).numpy())
    assert repr(ours) == repr(theirs)
    y1, i1 = torch.nn.functional.max_pool1d(torch.tensor(x[:, :, 0]), 2, return_indices=True)
    out1 = cr.nn.MaxUnpool1d(2)(cr.tensor(y1.numpy()), cr.tensor(i1.numpy()))
    np.testing.assert_array_equal(out1.data, torch.nn.MaxUnpool1d(2)(y1, i1).numpy())
