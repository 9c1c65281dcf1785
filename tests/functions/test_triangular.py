"""solve_triangular, triangular_solve, cholesky_solve and cholesky_inverse against torch (values,
gradients, second-order gradients) and finite differences."""

import numpy as np
import pytest
import torch
from helpers import check_against_torch, check_gradcheck, on_device

import chainrule as cr
from chainrule.functions.triangular import (
    cholesky_inverse,
    cholesky_solve,
    solve_triangular,
    triangular_solve,
)

DTYPES = ["float64", "float32"]


def well_conditioned(*shape, seed=0):
    rng = np.random.default_rng(seed)
    n = shape[-1]
    return rng.standard_normal(shape) + n * np.eye(n)


def cholesky_factor(*shape, seed=0):
    A = well_conditioned(*shape, seed=seed)
    return np.linalg.cholesky(A @ A.swapaxes(-1, -2))


# ------------------------------------------------------------------ solve_triangular
SHAPES = [((3, 3), (3, 2)), ((2, 4, 4), (2, 4, 1)), ((2, 1, 3, 3), (4, 3, 2)), ((3, 3), (2, 3, 3))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sa, sb", SHAPES)
@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("unit", [False, True])
def test_solve_triangular(sa, sb, upper, left, unit, dtype):
    A = well_conditioned(*sa)  # both triangles full: only one may be read
    B = np.random.default_rng(1).standard_normal(sb if left else sb[:-2] + sb[:-3:-1])

    def f(a, b):
        lib = torch.linalg if isinstance(a, torch.Tensor) else cr.functions.triangular
        return lib.solve_triangular(a, b, upper=upper, left=left, unitriangular=unit)

    check_against_torch(f, A, B, dtype=dtype)


def test_solve_triangular_gradcheck_and_zero_diagonal():
    A, B = well_conditioned(3, 3), np.ones((3, 2))
    check_gradcheck(lambda a, b: solve_triangular(a, b, upper=False), A, B)
    check_gradcheck(lambda a, b: solve_triangular(a, b, upper=True, left=False), A, B.T)
    Z = np.triu(well_conditioned(3, 3))
    Z[1, 1] = 0.0  # singular: inf and NaN as torch, no error
    ours = solve_triangular(on_device(Z), on_device(B), upper=True).numpy()
    ref = torch.linalg.solve_triangular(torch.tensor(Z), torch.tensor(B), upper=True).numpy()
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
    np.testing.assert_array_equal(ours[~np.isnan(ours)], ref[~np.isnan(ref)])


def test_solve_triangular_empty():
    check_against_torch(
        lambda a, b: (
            torch.linalg if isinstance(a, torch.Tensor) else cr.functions.triangular
        ).solve_triangular(a, b, upper=True),
        np.zeros((0, 3, 3)),
        np.zeros((0, 3, 2)),
    )
    y = solve_triangular(cr.zeros(0, 0), cr.zeros(0, 2), upper=False)
    assert y.shape == (0, 2)


def test_solve_triangular_errors():
    A = cr.tensor(well_conditioned(3, 3))
    with pytest.raises(ValueError, match=r"solve_triangular: B must have at least 2 dim.*\(3,\)"):
        solve_triangular(A, cr.ones(3, dtype="float64"), upper=True)
    with pytest.raises(ValueError, match=r"AX = B, got \(3, 3\) and \(2, 2\)"):
        solve_triangular(A, cr.ones(2, 2, dtype="float64"), upper=True)
    with pytest.raises(ValueError, match=r"XA = B, got \(3, 3\) and \(3, 2\)"):
        solve_triangular(A, cr.ones(3, 2, dtype="float64"), upper=True, left=False)
    with pytest.raises(ValueError, match=r"square matrix.*\(3, 4\)"):
        solve_triangular(cr.ones(3, 4), cr.ones(3, 2), upper=True)
    with pytest.raises(TypeError, match="same dtype, got float64 and float32"):
        solve_triangular(A, cr.ones(3, 2), upper=True)
    with pytest.raises(ValueError, match="solve_triangular"):
        solve_triangular(cr.ones(2, 3, 3), cr.ones(4, 3, 1), upper=True)


# ------------------------------------------------------------------ triangular_solve
@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("transpose", [False, True])
@pytest.mark.parametrize("unit", [False, True])
def test_triangular_solve(upper, transpose, unit):
    A, B = well_conditioned(2, 3, 3), np.random.default_rng(1).standard_normal((3, 2))

    def f(b, a):
        fn = torch.triangular_solve if isinstance(a, torch.Tensor) else triangular_solve
        X, C = fn(b, a, upper, transpose, unit)
        return X * 2 + C.sum()  # the copy of A carries a gradient too

    check_against_torch(f, B, A)
    X, C = triangular_solve(cr.tensor(B), cr.tensor(A[0]))
    assert type(X).__name__ == "Tensor" and C.shape == (3, 3)


# ------------------------------------------------------------------ cholesky_solve / inverse
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sl, sb", [((3, 3), (3, 2)), ((2, 3, 3), (3, 1)), ((3, 3), (2, 3, 4))])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve(sl, sb, upper, dtype):
    L = cholesky_factor(*sl)
    L = L.swapaxes(-1, -2) if upper else L
    B = np.random.default_rng(1).standard_normal(sb)
    check_against_torch(
        lambda b, f: cholesky_solve(b, f, upper),
        B,
        L,
        torch_fn=lambda b, f: torch.cholesky_solve(b, f, upper),
        dtype=dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (1, 1)])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_inverse(shape, upper, dtype):
    L = cholesky_factor(*shape)
    L = L.swapaxes(-1, -2) if upper else L
    check_against_torch(
        lambda f: cholesky_inverse(f, upper),
        L,
        torch_fn=lambda f: torch.cholesky_inverse(f, upper),
        dtype=dtype,
    )


def test_cholesky_solve_reads_one_triangle_and_gradcheck():
    L = cholesky_factor(3, 3)
    junk = L + np.triu(np.ones((3, 3)), 1)  # the upper triangle is not read
    B = np.ones((3, 2))
    x = cholesky_solve(cr.tensor(B), cr.tensor(junk)).numpy()
    np.testing.assert_allclose(x, np.linalg.solve(L @ L.T, B), rtol=1e-12)
    check_gradcheck(lambda b, f: cholesky_solve(b, f.tril()), B, L)
    check_gradcheck(lambda f: cholesky_inverse(f.tril()), L)


def test_cholesky_solve_errors():
    with pytest.raises(ValueError, match=r"cholesky_solve: incompatible.*\(3, 3\) and \(2, 1\)"):
        cholesky_solve(cr.ones(2, 1), cr.ones(3, 3))
    with pytest.raises(ValueError, match=r"cholesky_inverse: expected a square.*\(2, 3\)"):
        cholesky_inverse(cr.ones(2, 3))
