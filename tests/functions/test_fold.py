"""unfold and fold against torch: values, gradients, second derivatives (through a nonlinear
upstream), the adjoint identity, gradcheck and errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import assert_close, check_against_torch, check_gradcheck

import chainrule as cr
from chainrule.functions.fold import fold, unfold

DTYPES = ["float64", "float32"]

CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, padding=1),
    dict(kernel_size=(2, 3), stride=(2, 1)),
    dict(kernel_size=2, dilation=2, padding=1, stride=2),
    dict(kernel_size=(3, 1), dilation=(1, 2), padding=(0, 2), stride=(1, 3)),
    dict(kernel_size=1),
    dict(kernel_size=(5, 6)),  # one block
]


def _blocks(hw, kw):
    """torch's block count for output size hw, and the kernel as a pair."""
    k = kw["kernel_size"]
    return F.unfold(torch.zeros(1, 1, *hw), **kw).shape[-1], (k if isinstance(k, tuple) else (k, k))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", CASES)
@pytest.mark.parametrize("shape", [(2, 3, 5, 6), (3, 5, 6)])
def test_unfold_matches_torch(shape, kw, dtype):
    check_against_torch(
        lambda t: unfold(t * t, **kw), shape, torch_fn=lambda t: F.unfold(t * t, **kw), dtype=dtype
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", CASES)
@pytest.mark.parametrize("batched", [True, False])
def test_fold_matches_torch(kw, batched, dtype):
    n_blocks, (kh, kw_) = _blocks((5, 6), kw)
    shape = (2, 3 * kh * kw_, n_blocks) if batched else (3 * kh * kw_, n_blocks)
    check_against_torch(
        lambda t: fold(t * t, (5, 6), **kw),
        shape,
        torch_fn=lambda t: F.fold(t * t, (5, 6), **kw),
        dtype=dtype,
    )


def test_fold_is_the_adjoint_of_unfold():
    # ⟨unfold(x), c⟩ = ⟨x, fold(c)⟩ for every x and c
    rng = np.random.default_rng(0)
    kw = dict(kernel_size=3, dilation=2, padding=2, stride=2)
    x = rng.standard_normal((2, 3, 7, 6))
    cols = unfold(cr.tensor(x), **kw)
    c = rng.standard_normal(cols.shape)
    lhs = (cols.data * c).sum()
    rhs = (x * fold(cr.tensor(c), (7, 6), **kw).data).sum()
    assert_close(lhs, rhs)


def test_fold_of_unfold_counts_overlaps():
    # fold(unfold(ones)) counts how many blocks cover each pixel: a closed form
    ones = cr.ones(1, 1, 3, 3, dtype=cr.float64)
    counts = fold(unfold(ones, 2), (3, 3), 2)
    np.testing.assert_array_equal(counts.data[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


def test_gradcheck_unfold_fold():
    check_gradcheck(lambda t: unfold(t, 2, padding=1, stride=2) ** 2, (1, 2, 3, 4))
    check_gradcheck(lambda t: fold(t, (3, 4), 2, padding=1, stride=2) ** 2, (1, 8, 6))


def test_float32_kept():
    x = cr.tensor(np.ones((1, 2, 4, 4), dtype=np.float32))
    assert unfold(x, 2).dtype == np.float32
    assert fold(unfold(x, 2), (4, 4), 2).dtype == np.float32


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: unfold(cr.zeros(3, 3), 2), r"unfold: expected a 3-D or 4-D input, got shape"),
        (lambda: unfold(cr.zeros(1, 2, 3, 3), 4), r"unfold: no sliding block fits.*\(0, 0\)"),
        (lambda: unfold(cr.zeros(1, 2, 3, 3), 0), r"kernel_size must be an int or 2 ints"),
        (lambda: unfold(cr.zeros(1, 2, 3, 3), 2, padding=-1), r"padding must be"),
        (lambda: fold(cr.zeros(2), (3, 3), 2), r"fold: expected a 2-D or 3-D input"),
        (lambda: fold(cr.zeros(2, 5, 4), (3, 3), 2), r"input dim 1 \(5\) must be divisible by"),
        (
            lambda: fold(cr.zeros(2, 8, 5), (3, 3), 2),
            r"give 2 \* 2 blocks, but input dim 2 is 5",
        ),
    ],
)
def test_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()
