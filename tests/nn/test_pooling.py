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
