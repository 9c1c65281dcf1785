"""cholesky_ex, inv_ex and solve_ex against torch: info codes, values and gradients of the
matrices that succeed, NaN for the others, and check_errors."""

import numpy as np
import pytest
import torch
from helpers import check_against_torch, on_device

import chainrule as cr
from chainrule.functions.linalg_ex import cholesky_ex, inv_ex, solve_ex
from chainrule.functions.matrix_util import LinAlgError

DTYPES = ["float64", "float32"]
NOT_PD = np.array([[4.0, 2, 1], [2, 1, 0], [1, 0, 3]])  # its leading minor of order 2 is 0
SINGULAR = np.array([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]])  # LU's third pivot is 0


def spd(*shape, seed=0):
    A = np.random.default_rng(seed).standard_normal(shape)
    return A @ A.swapaxes(-1, -2) + shape[-1] * np.eye(shape[-1])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_ex_matches_torch_where_it_succeeds(upper, dtype):
    def f(a):
        lib = torch.linalg if isinstance(a, torch.Tensor) else cr.functions.linalg_ex
        return lib.cholesky_ex(a, upper=upper).L

    check_against_torch(f, spd(2, 3, 3), dtype=dtype)
    ours = cholesky_ex(on_device(spd(2, 3, 3).astype(dtype)))
    assert ours._fields == ("L", "info") and str(ours.info.dtype) == "int32"
    np.testing.assert_array_equal(ours.info.numpy(), [0, 0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_cholesky_ex_info_nan_and_check_errors(dtype):
    A = np.stack([spd(3, 3), NOT_PD, -np.eye(3), np.diag([1.0, 1.0, 0.0])]).astype(dtype)
    ours, ref = cholesky_ex(on_device(A)), torch.linalg.cholesky_ex(torch.tensor(A))
    np.testing.assert_array_equal(ours.info.numpy(), ref.info.numpy())  # 0, 2, 1, 3
    L = ours.L.numpy()
    np.testing.assert_allclose(L[0], ref.L[0].numpy(), rtol=1e-5)
    assert np.isnan(L[1:]).all() and str(ours.L.dtype) == dtype
    with pytest.raises(LinAlgError, match=r"cholesky_ex: \(batch element 1\) .*positive-def.*= 2"):
        cholesky_ex(on_device(A), check_errors=True)
    x = cr.tensor(A, requires_grad=True)
    cholesky_ex(x).L[0].sum().backward()  # the failed matrices get zero gradients
    assert np.isfinite(x.grad.numpy()).all() and (x.grad.numpy()[1:] == 0).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_inv_ex(dtype):
    A = np.random.default_rng(0).standard_normal((2, 3, 3)) + 3 * np.eye(3)

    def f(a):
        lib = torch.linalg if isinstance(a, torch.Tensor) else cr.functions.linalg_ex
        return lib.inv_ex(a).inverse

    check_against_torch(f, A, dtype=dtype)
    S = np.stack([A[0], SINGULAR, np.zeros((3, 3))]).astype(dtype)
    ours, ref = inv_ex(on_device(S)), torch.linalg.inv_ex(torch.tensor(S))
    assert ours._fields == ("inverse", "info") and str(ours.info.dtype) == "int32"
    np.testing.assert_array_equal(ours.info.numpy(), ref.info.numpy())  # 0, 3, 1
    np.testing.assert_allclose(ours.inverse.numpy()[0], ref.inverse.numpy()[0], rtol=1e-5)
    assert np.isnan(ours.inverse.numpy()[1:]).all()
    with pytest.raises(LinAlgError, match=r"inv_ex: \(batch element 1\) the input is singular"):
        inv_ex(on_device(S), check_errors=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "sb, left", [((2, 3, 2), True), ((3,), True), ((2, 3), True), ((4, 3), False)]
)
def test_solve_ex(sb, left, dtype):
    A = np.random.default_rng(0).standard_normal((2, 3, 3)) + 3 * np.eye(3)
    B = np.random.default_rng(1).standard_normal(sb)

    def f(a, b):
        lib = torch.linalg if isinstance(a, torch.Tensor) else cr.functions.linalg_ex
        return lib.solve_ex(a, b, left=left).result

    check_against_torch(f, A, B, dtype=dtype)
    S = np.stack([A[0], SINGULAR]).astype(dtype)
    ours = solve_ex(on_device(S), on_device(B.astype(dtype)), left=left)
    ref = torch.linalg.solve_ex(torch.tensor(S), torch.tensor(B.astype(dtype)), left=left)
    np.testing.assert_array_equal(ours.info.numpy(), ref.info.numpy())
    assert ours.result.shape == tuple(ref.result.shape)
    np.testing.assert_allclose(ours.result.numpy()[0], ref.result.numpy()[0], rtol=1e-4)
    assert np.isnan(ours.result.numpy()[1]).all()
    with pytest.raises(LinAlgError, match=r"solve_ex: \(batch element 1\) the input is singular"):
        solve_ex(on_device(S), on_device(B.astype(dtype)), left=left, check_errors=True)
