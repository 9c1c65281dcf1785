"""lp_pool1d/2d and max_unpool1d/2d against torch: values, dtypes, gradients and (lp_pool)
second-order gradients."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import check_against_torch

import chainrule as cr
from chainrule.functions.pooling_extra import lp_pool1d, lp_pool2d, max_unpool1d, max_unpool2d

DTYPES = ["float64", "float32"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "p,kw", [(2.0, dict(kernel_size=2)), (3, dict(kernel_size=(2, 3), stride=1))], ids=str
)
def test_lp_pool2d_matches_torch(p, kw, dtype):
    check_against_torch(
        lambda x: lp_pool2d(x, p, **kw),
        (2, 3, 5, 6),
        torch_fn=lambda x: F.lp_pool2d(x, p, **kw),
        dtype=dtype,
        low=0.2,
        high=2.0,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ceil_mode", [False, True])
def test_lp_pool1d_matches_torch(ceil_mode, dtype):
    check_against_torch(
        lambda x: lp_pool1d(x, 2.0, 3, 2, ceil_mode),
        (2, 3, 8),
        torch_fn=lambda x: F.lp_pool1d(x, 2.0, 3, 2, ceil_mode),
        dtype=dtype,
        low=0.2,
        high=2.0,
    )


def _pooled(shape, kernel, stride, lib_pool, seed=0):
    x = np.random.default_rng(seed).standard_normal(shape)
    y, i = lib_pool(torch.tensor(x), kernel, stride, return_indices=True)
    return y.numpy(), i.numpy()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shape,kernel,stride,size",
    [((2, 3, 6, 6), 2, None, None), ((1, 2, 7, 5), 3, 2, None), ((2, 1, 6, 6), 2, 2, (7, 7))],
    ids=str,
)
def test_max_unpool2d_puts_values_back_as_torch(shape, kernel, stride, size, dtype):
    y, idx = _pooled(shape, kernel, stride, F.max_pool2d)
    check_against_torch(
        lambda v: max_unpool2d(v, cr.tensor(idx), kernel, stride, output_size=size),
        y,
        torch_fn=lambda v: F.max_unpool2d(v, torch.tensor(idx), kernel, stride, output_size=size),
        dtype=dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_max_unpool1d_puts_values_back_as_torch(dtype):
    y, idx = _pooled((2, 3, 9), 3, 2, F.max_pool1d)
    check_against_torch(
        lambda v: max_unpool1d(v, cr.tensor(idx), 3, 2),
        y,
        torch_fn=lambda v: F.max_unpool1d(v, torch.tensor(idx), 3, 2),
        dtype=dtype,
    )


def test_max_unpool_errors_name_the_problem():
    y, idx = cr.ones(1, 1, 2, 2), cr.tensor(np.array([[[[0, 1], [2, 99]]]]))
    with pytest.raises(ValueError, match=r"outside the output plane of 16 values"):
        max_unpool2d(y, idx, 2)
    with pytest.raises(ValueError, match=r"indices must be integers of the input's shape"):
        max_unpool2d(y, cr.ones(1, 1, 2, 2), 2)
