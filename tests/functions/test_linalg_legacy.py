"""torch.svd, torch.qr, torch.cholesky and torch.lu_solve spellings against torch."""

import numpy as np
import pytest
import torch
from helpers import check_against_torch, on_device

from chainrule.functions.linalg_legacy import cholesky, lu, lu_solve, qr, svd

DTYPES = ["float64", "float32"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5), (3, 3)])
def test_svd_returns_V(shape, dtype):
    def f(a):  # sign-invariant: U diag(S) Vᵀ, and each |v|
        U, S, V = (torch.svd if isinstance(a, torch.Tensor) else svd)(a)
        return (U * S[..., None, :]) @ V.mT + V.abs().sum() + S.sum()

    check_against_torch(f, shape, dtype=dtype, gradgrad=dtype == "float64")
    A = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    for some in (True, False):
        ours, ref = svd(on_device(A), some=some), torch.svd(torch.tensor(A), some=some)
        assert ours._fields == ("U", "S", "V")
        for a, b in zip(ours, ref):
            assert a.shape == tuple(b.shape) and str(a.dtype) == dtype
        np.testing.assert_allclose(ours.S.numpy(), ref.S.numpy(), rtol=1e-5)
        np.testing.assert_allclose(
            np.abs(ours.V.numpy()[..., :, :1]), np.abs(ref.V.numpy()[..., :, :1]), rtol=1e-4
        )


def test_svd_compute_uv_false():
    check_against_torch(
        lambda a: svd(a, compute_uv=False).S,
        (4, 2),
        torch_fn=lambda a: torch.svd(a, compute_uv=False).S,
    )
    A = np.random.default_rng(0).standard_normal((2, 4, 2))
    ours, ref = svd(on_device(A), compute_uv=False), torch.svd(torch.tensor(A), compute_uv=False)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-12)


@pytest.mark.parametrize("shape, some", [((4, 3), True), ((4, 3), False), ((2, 4), False)])
def test_qr(shape, some):
    A = np.random.default_rng(0).standard_normal(shape)
    ours, ref = qr(on_device(A), some), torch.qr(torch.tensor(A), some)
    assert ours._fields == ("Q", "R")
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-12)
    if some:
        check_against_torch(
            lambda a: qr(a)[0] + qr(a)[1].sum(),
            shape,
            torch_fn=lambda a: torch.qr(a)[0] + torch.qr(a)[1].sum(),
        )


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(upper):
    rng = np.random.default_rng(0)
    M = rng.standard_normal((2, 3, 3))
    A = M @ M.swapaxes(-1, -2) + 3 * np.eye(3)
    check_against_torch(
        lambda a: cholesky(a, upper), A, torch_fn=lambda a: torch.cholesky(a, upper)
    )


def test_lu_solve():
    A = np.random.default_rng(0).standard_normal((2, 3, 3)) + 3 * np.eye(3)
    LU, piv = torch.linalg.lu_factor(torch.tensor(A))
    check_against_torch(
        lambda b, lu_: lu_solve(b, lu_, on_device(piv.numpy())),
        np.random.default_rng(1).standard_normal((2, 3, 2)),
        LU.numpy(),
        torch_fn=lambda b, lu_: torch.lu_solve(b, lu_, piv),
    )


def test_lu():
    A = np.random.default_rng(0).standard_normal((2, 3, 4))
    check_against_torch(lambda a: lu(a)[0], A, torch_fn=lambda a: torch.lu(a)[0])
    ours, ref = lu(on_device(A), get_infos=True), torch.lu(torch.tensor(A), get_infos=True)
    assert len(ours) == 3
    for a, b in zip(ours, ref):
        assert str(a.dtype) == str(b.dtype).replace("torch.", "")
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-12)
    Z = np.zeros((2, 2))  # singular: factored, info 1, no error (as torch)
    np.testing.assert_array_equal(lu(on_device(Z), get_infos=True)[2].numpy(), 1)
    for a, b in zip(lu(on_device(Z)), torch.lu(torch.tensor(Z))):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
