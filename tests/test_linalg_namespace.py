"""cr.linalg's new names: cond against torch (values, gradients), and the namespace spellings
of the ops from functions/ (solve_triangular, lu_*, lstsq, matrix_exp, the _ex variants, ...)."""

import numpy as np
import pytest
import torch
from helpers import check_against_torch, check_gradcheck

import chainrule as cr
import chainrule.linalg as LA

INF = float("inf")
PS = [None, 2, -2, "fro", "nuc", INF, -INF, 1, -1]


def lib(t):
    return torch.linalg if isinstance(t, torch.Tensor) else LA


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("p", PS)
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
def test_cond(p, shape, dtype):
    A = np.random.default_rng(0).standard_normal(shape) + np.eye(shape[-1])
    torch_fn = None
    if p not in (None, 2, -2):  # torch.linalg.cond has no gradient there (an in-place op in
        # its graph): its definition ‖A‖ ‖A⁻¹‖ is the oracle for the gradients
        def torch_fn(a):
            return torch.linalg.matrix_norm(a, p) * torch.linalg.matrix_norm(a.inverse(), p)

        np.testing.assert_allclose(
            LA.cond(cr.tensor(A.astype(dtype)), p).numpy(),
            torch.linalg.cond(torch.tensor(A.astype(dtype)), p).numpy(),
            rtol=1e-5,
        )
    gg = dtype == "float64"
    check_against_torch(lambda a: lib(a).cond(a, p), A, torch_fn=torch_fn, dtype=dtype, gradgrad=gg)


@pytest.mark.parametrize("p", [None, 2, -2])
@pytest.mark.parametrize("shape", [(4, 2), (2, 2, 3)])
def test_cond_of_non_square_matrices(p, shape):
    check_against_torch(lambda a: lib(a).cond(a, p), shape)


def test_cond_singular_gradcheck_and_errors():
    Z = np.zeros((2, 2))
    for p in ("fro", 1, INF, None):
        ours, ref = LA.cond(cr.tensor(Z), p).numpy(), torch.linalg.cond(torch.tensor(Z), p).numpy()
        np.testing.assert_equal(ours, ref)  # inf, or nan (0 / 0) for the σ ratio
    for p in ("fro", "nuc", 1, -INF):
        check_gradcheck(
            lambda a, p=p: LA.cond(a, p), np.eye(3) * 3 + 0.1 * np.arange(1, 10).reshape(3, 3)
        )
    check_gradcheck(lambda a: LA.cond(a), np.eye(3) * 3 + 0.1 * np.arange(1, 10).reshape(3, 3))
    with pytest.raises(
        ValueError, match=r"cond: p='fro' needs square matrices, got shape \(2, 3\)"
    ):
        LA.cond(cr.ones(2, 3), "fro")
    with pytest.raises(ValueError, match="cond: unsupported p 3"):
        LA.cond(cr.eye(2), 3)
    with pytest.raises(ValueError, match=r"cond: expected a matrix.*\(3,\)"):
        LA.cond(cr.ones(3))


def test_namespace_spellings_match_torch():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    B = rng.standard_normal((3, 2))
    a, b = cr.tensor(A), cr.tensor(B)
    ta, tb = torch.tensor(A), torch.tensor(B)
    pairs = [
        (LA.solve_triangular(a, b, upper=True), torch.linalg.solve_triangular(ta, tb, upper=True)),
        (LA.lu_factor(a).LU, torch.linalg.lu_factor(ta).LU),
        (LA.lu_factor_ex(a).info, torch.linalg.lu_factor_ex(ta).info),
        (LA.lu(a).U, torch.linalg.lu(ta).U),
        (LA.lu_solve(*LA.lu_factor(a), b), torch.linalg.lu_solve(*torch.linalg.lu_factor(ta), tb)),
        (LA.lstsq(a, b).solution, torch.linalg.lstsq(ta, tb).solution),
        (LA.matrix_exp(a), torch.linalg.matrix_exp(ta)),
        (LA.matrix_rank(a), torch.linalg.matrix_rank(ta)),
        (LA.vecdot(a, a), torch.linalg.vecdot(ta, ta)),
        (LA.vander(a[0]), torch.linalg.vander(ta[0])),
        (LA.tensorinv(a, 1), torch.linalg.tensorinv(ta, 1)),
        (LA.tensorsolve(a, b[:, 0]), torch.linalg.tensorsolve(ta, tb[:, 0])),
        (LA.cholesky_ex(a @ a.mT).L, torch.linalg.cholesky_ex(ta @ ta.mT).L),
        (LA.inv_ex(a).inverse, torch.linalg.inv_ex(ta).inverse),
        (LA.solve_ex(a, b).result, torch.linalg.solve_ex(ta, tb).result),
    ]
    for i, (ours, ref) in enumerate(pairs):
        assert str(ours.dtype) == str(ref.dtype).replace("torch.", ""), i
        np.testing.assert_allclose(
            ours.numpy(), ref.numpy(), rtol=1e-10, atol=1e-12, err_msg=str(i)
        )
    assert issubclass(LA.LinAlgError, ValueError)
    with pytest.raises(LA.LinAlgError):
        LA.cholesky(-cr.eye(2))
    for name in LA.__all__:
        assert hasattr(LA, name), name
