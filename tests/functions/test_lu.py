"""lu_factor, lu_factor_ex, lu, lu_unpack and lu_solve against torch (values, pivots,
gradients, second-order gradients) and finite differences."""

import numpy as np
import pytest
import torch
from helpers import check_against_torch, check_gradcheck, on_device

import chainrule as cr
from chainrule.functions.lu import lu, lu_factor, lu_factor_ex, lu_solve, lu_unpack
from chainrule.functions.matrix_util import LinAlgError

DTYPES = ["float64", "float32"]
SHAPES = [(4, 4), (2, 3, 3), (3, 5), (5, 3), (2, 1, 2, 4), (1, 1), (0, 3, 3), (3, 0)]


def draw(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_lu_factor_values_pivots_and_gradients(shape, dtype):
    A = draw(*shape)
    ours = lu_factor(on_device(A.astype(dtype)))
    ref = torch.linalg.lu_factor(torch.tensor(A.astype(dtype)))
    assert ours._fields == ("LU", "pivots") and str(ours.pivots.dtype) == "int32"
    np.testing.assert_array_equal(ours.pivots.numpy(), ref.pivots.numpy())
    check_against_torch(
        lambda a: lu_factor(a).LU, A, torch_fn=lambda a: torch.linalg.lu_factor(a).LU, dtype=dtype
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_lu(shape, dtype):
    A = draw(*shape, seed=1)
    for i in range(3):  # P, L and U, each with its own gradient
        check_against_torch(
            lambda a, i=i: lu(a)[i] * (1 + i),
            A,
            torch_fn=lambda a, i=i: torch.linalg.lu(a)[i] * (1 + i),
            dtype=dtype,
        )
    check_against_torch(  # all three at once
        lambda a: lu(a)[1].sum(-1, keepdim=True) * lu(a)[2][..., :1, :].sum(),
        A,
        torch_fn=lambda a: (
            torch.linalg.lu(a)[1].sum(-1, keepdim=True) * torch.linalg.lu(a)[2][..., :1, :].sum()
        ),
        dtype=dtype,
    )


@pytest.mark.parametrize("shape", [(3, 3), (2, 4), (4, 2)])
def test_lu_gradcheck(shape):
    check_gradcheck(lambda a: lu(a).L, draw(*shape))
    check_gradcheck(lambda a: lu(a).U, draw(*shape))
    check_gradcheck(lambda a: lu_factor(a).LU, draw(*shape, seed=2))


def test_lu_reconstructs_and_pivot_false():
    A = draw(2, 4, 4)
    P, L, U = lu(cr.tensor(A))
    np.testing.assert_allclose((P @ L @ U).numpy(), A, atol=1e-12)
    P, L, U = lu(cr.tensor(A), pivot=False)  # no row exchanges: P = I
    np.testing.assert_array_equal(P.numpy(), np.broadcast_to(np.eye(4), (2, 4, 4)))
    np.testing.assert_allclose((L @ U).numpy(), A, atol=1e-11)
    _, piv = lu_factor(cr.tensor(A), pivot=False)
    np.testing.assert_array_equal(piv.numpy(), [[1, 2, 3, 4]] * 2)


def test_lu_factor_ex_info_and_singular_errors():
    A = np.stack([draw(3, 3), np.zeros((3, 3)), np.array([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]])])
    ours = lu_factor_ex(cr.tensor(A))
    ref = torch.linalg.lu_factor_ex(torch.tensor(A))
    assert ours._fields == ("LU", "pivots", "info") and str(ours.info.dtype) == "int32"
    np.testing.assert_array_equal(ours.info.numpy(), ref.info.numpy())
    np.testing.assert_array_equal(ours.pivots.numpy(), ref.pivots.numpy())
    np.testing.assert_allclose(ours.LU.numpy(), ref.LU.numpy(), atol=1e-12)
    with pytest.raises(LinAlgError, match=r"lu_factor: U\[0,0\] is zero"):
        lu_factor(cr.tensor(A))
    with pytest.raises(LinAlgError, match=r"lu_factor_ex: U\[0,0\] is zero"):
        lu_factor_ex(cr.tensor(A), check_errors=True)
    P, L, U = lu(cr.zeros(2, 2))  # lu factors singular matrices without complaint
    np.testing.assert_array_equal(L.numpy(), np.eye(2))


@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 5), (5, 3)])
def test_lu_unpack(shape):
    A = draw(*shape)
    LU, piv = torch.linalg.lu_factor(torch.tensor(A))
    for i in range(3):
        check_against_torch(
            lambda a, i=i: lu_unpack(a, on_device(piv.numpy()))[i] * 2,
            LU.numpy(),
            torch_fn=lambda a, i=i: torch.lu_unpack(a, piv)[i] * 2,
        )
    P, L, U = lu_unpack(cr.tensor(LU.numpy()), cr.tensor(piv.numpy()), unpack_data=False)
    assert L.shape == U.shape == (0,) and P.shape == shape[:-2] + (shape[-2],) * 2
    P, L, U = lu_unpack(cr.tensor(LU.numpy()), cr.tensor(piv.numpy()), unpack_pivots=False)
    assert P.shape == (0,) and L.shape[-1] == U.shape[-2] == min(shape[-2:])


def test_lu_unpack_errors():
    LU = cr.tensor(draw(3, 3))
    with pytest.raises(TypeError, match="lu_unpack: LU_pivots must be int32.*int64"):
        lu_unpack(LU, cr.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match=r"lu_unpack: LU_pivots of shape \(2,\).*\(3, 3\)"):
        lu_unpack(LU, cr.tensor(np.array([1, 2], dtype=np.int32)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sa, sb", [((3, 3), (3, 2)), ((2, 3, 3), (3, 1)), ((3, 3), (2, 3, 2))])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [False, True])
def test_lu_solve(sa, sb, left, adjoint, dtype):
    A = draw(*sa) + 3 * np.eye(sa[-1])
    B = draw(*(sb if left else sb[:-2] + sb[:-3:-1]), seed=3)
    LU, piv = torch.linalg.lu_factor(torch.tensor(A.astype(dtype)))

    def f(lu_, b):
        if isinstance(lu_, torch.Tensor):
            return torch.linalg.lu_solve(lu_, piv, b, left=left, adjoint=adjoint)
        return lu_solve(lu_, on_device(piv.numpy()), b, left=left, adjoint=adjoint)

    check_against_torch(f, LU.numpy().astype("float64"), B, dtype=dtype)


def test_lu_solve_gradcheck_through_the_factorization_and_errors():
    A, B = draw(3, 3) + 3 * np.eye(3), draw(3, 2)

    def f(a, b):
        LU, piv = lu_factor(a)
        return lu_solve(LU, piv, b)

    check_gradcheck(f, A, B)
    x = f(cr.tensor(A), cr.tensor(B)).numpy()
    np.testing.assert_allclose(x, np.linalg.solve(A, B), rtol=1e-12)
    LU, piv = lu_factor(cr.tensor(A))
    with pytest.raises(
        ValueError, match=r"lu_solve: incompatible.*AX = B, got \(3, 3\) and \(2, 2\)"
    ):
        lu_solve(LU, piv, cr.ones(2, 2, dtype="float64"))
    with pytest.raises(TypeError, match="lu_solve: LU and B must have the same dtype"):
        lu_solve(LU, piv, cr.ones(3, 2))
