"""det, inverse, slogdet, solve, matrix_power, pinv, eigh, svd and the norms of cr.linalg,
against torch (values, gradients, second-order gradients) and finite differences."""

import numpy as np
import pytest
import torch
from helpers import check_against_torch, check_gradcheck

import chainrule as cr
import chainrule.linalg as LA
from chainrule.functions.decomposition import (
    cholesky,
    det,
    eigh,
    eigvalsh,
    inverse,
    logdet,
    matrix_power,
    pinv,
    pinverse,
    qr,
    slogdet,
    solve,
    svd,
    svdvals,
)
from chainrule.functions.matrix_util import LinAlgError

DTYPES = ["float64", "float32"]
INF = float("inf")


def well_conditioned(*shape, seed=0):
    """Random (…, n, n) matrices at distance ≥ ~1 from singular: a random one plus n·I."""
    rng = np.random.default_rng(seed)
    n = shape[-1]
    return rng.standard_normal(shape) + n * np.eye(n)


def lib(t):
    return torch.linalg if isinstance(t, torch.Tensor) else LA


def sym(A):
    return (A + A.mT) / 2


# ------------------------------------------------------------------ inverse, det, slogdet
SQUARE = [(3, 3), (1, 1), (2, 4, 4), (2, 1, 3, 3), (0, 3, 3)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SQUARE)
def test_inverse_det_slogdet(shape, dtype):
    A = well_conditioned(*shape)
    check_against_torch(lambda a: inverse(a), A, torch_fn=torch.inverse, dtype=dtype)
    check_against_torch(lambda a: lib(a).inv(a) * a, A, dtype=dtype)
    check_against_torch(lambda a: det(a), A, torch_fn=torch.det, dtype=dtype)
    check_against_torch(lambda a: lib(a).det(a) * a.sum(), A, dtype=dtype)
    check_against_torch(lambda a: lib(a).slogdet(a).logabsdet, A, dtype=dtype)
    check_against_torch(lambda a: slogdet(a)[1], A, torch_fn=lambda a: torch.slogdet(a)[1])
    check_against_torch(lambda a: logdet(a @ a.mT), A, torch_fn=lambda a: torch.logdet(a @ a.mT))


@pytest.mark.parametrize("dtype", DTYPES)
def test_signs_and_negative_determinants(dtype):
    A = np.array([[[0.0, 2.0], [1.0, 0.0]], [[2.0, 0.0], [0.0, 3.0]], [[1.0, 2.0], [2.0, 4.0]]])
    ours, theirs = slogdet(cr.tensor(A.astype(dtype))), torch.slogdet(torch.tensor(A.astype(dtype)))
    assert type(ours).__name__ == "slogdet" and ours._fields == ("sign", "logabsdet")
    np.testing.assert_array_equal(ours.sign.data, theirs.sign.numpy())
    assert str(ours.sign.dtype) == dtype and str(ours.logabsdet.dtype) == dtype
    np.testing.assert_allclose(ours.logabsdet.data, theirs.logabsdet.numpy(), rtol=1e-6)
    np.testing.assert_allclose(
        logdet(cr.tensor(A.astype(dtype))).data, torch.logdet(torch.tensor(A.astype(dtype))).numpy()
    )  # nan, log 6, -inf
    np.testing.assert_allclose(det(cr.tensor(A)).data, [-2.0, 6.0, 0.0], atol=1e-12)


def test_det_closed_form_gradient():
    # d det(A) / dA = det(A) A⁻ᵀ: for diag(2, 3), [[3, 0], [0, 2]]
    A = cr.tensor(np.diag([2.0, 3.0]), requires_grad=True)
    det(A).backward()
    np.testing.assert_allclose(A.grad.data, [[3.0, 0.0], [0.0, 2.0]])


def test_det_gradient_at_singular_matrices_is_the_adjugate():
    # det [[a, b], [c, d]] = ad − bc: the gradient [[d, −c], [−b, a]] also where it is 0
    # (torch 2.13 returns zeros there; finite differences agree with the adjugate)
    A = cr.tensor([[1.0, 2.0], [2.0, 4.0]], requires_grad=True)
    det(A).backward()
    np.testing.assert_allclose(A.grad.data, [[4.0, -2.0], [-2.0, 1.0]], atol=1e-6)
    rank1 = np.array([[[1.0, 2, 3], [2, 4, 6], [0, 1, 5]], [[2.0, 0, 0], [0, 3, 0], [0, 0, 0]]])
    check_gradcheck(lambda a: det(a), rank1, gradgrad=False)


def test_gradcheck_inverse_det_slogdet():
    A = well_conditioned(2, 3, 3)
    check_gradcheck(lambda a: inverse(a), A)
    check_gradcheck(lambda a: det(a), A)
    check_gradcheck(lambda a: slogdet(a).logabsdet, A)


@pytest.mark.parametrize("fn", [inverse, det, slogdet, logdet, LA.inv])
def test_square_errors(fn):
    with pytest.raises(
        ValueError, match=r": expected a square matrix or a batch of them, got shape \(2, 3\)"
    ):
        fn(cr.zeros(2, 3))
    with pytest.raises(TypeError, match=r": expected a floating-point tensor, got int64"):
        fn(cr.tensor([[1, 2], [3, 4]]))


def test_inverse_of_a_singular_matrix_raises():
    with pytest.raises(ValueError, match=r"inverse: the input is singular"):
        inverse(cr.tensor([[1.0, 2.0], [2.0, 4.0]]))


# ------------------------------------------------------------------ matrix_power
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [0, 1, 2, 3, 6, -1, -2, -3])
@pytest.mark.parametrize("shape", [(3, 3), (2, 2, 2)])
def test_matrix_power(n, shape, dtype):
    A = well_conditioned(*shape) / shape[-1]
    check_against_torch(
        lambda a: matrix_power(a, n),
        A,
        torch_fn=lambda a: torch.linalg.matrix_power(a, n),
        dtype=dtype,
    )
    check_against_torch(lambda a: lib(a).matrix_power(a, n) * a, A, dtype=dtype)


def test_matrix_power_errors():
    with pytest.raises(TypeError, match=r"matrix_power: n must be an int, got 2.0"):
        matrix_power(cr.eye(2), 2.0)
    with pytest.raises(ValueError, match=r"matrix_power: expected a square matrix"):
        matrix_power(cr.zeros(2, 3), 2)


# ------------------------------------------------------------------ solve
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "sa,sb,left",
    [
        ((3, 3), (3, 2), True),
        ((3, 3), (3,), True),
        ((2, 3, 3), (2, 3), True),  # a batch of vectors
        ((2, 3, 3), (3, 4), True),  # B broadcast over A's batch
        ((3, 3), (4, 3, 2), True),  # A broadcast over B's batch
        ((2, 1, 3, 3), (5, 3, 1), True),
        ((3, 3), (2, 3), False),
        ((2, 3, 3), (4, 3), False),
        ((0, 3, 3), (0, 3, 2), True),
    ],
)
def test_solve(sa, sb, left, dtype):
    A = well_conditioned(*sa)
    B = np.random.default_rng(1).standard_normal(sb)
    check_against_torch(lambda a, b: lib(a).solve(a, b, left=left) * b.sum(), A, B, dtype=dtype)


def test_solve_gradcheck_and_closed_form():
    check_gradcheck(lambda a, b: solve(a, b), well_conditioned(2, 3, 3), (3, 2))
    x = solve(cr.tensor([[2.0, 0.0], [0.0, 4.0]]), cr.tensor([2.0, 2.0]))
    np.testing.assert_allclose(x.data, [1.0, 0.5])


def test_solve_errors():
    with pytest.raises(
        ValueError, match=r"solve: A of shape \(3, 3\) and B of shape \(2,\) don't align"
    ):
        solve(cr.eye(3), cr.zeros(2))
    with pytest.raises(ValueError, match=r"solve: shapes \(2,\) and \(3,\) cannot be broadcast"):
        solve(cr.zeros(2, 3, 3) + cr.eye(3), cr.zeros(3, 3, 1))
    with pytest.raises(ValueError, match=r"solve: the input is singular"):
        solve(cr.zeros(2, 2), cr.zeros(2, 1))
    with pytest.raises(
        TypeError, match=r"solve: A and B must have the same dtype, got float32 and"
    ):
        solve(cr.eye(2), cr.zeros(2, dtype=cr.float64))
    with pytest.raises(ValueError, match=r"solve: B must be a matrix when left=False"):
        solve(cr.eye(2), cr.zeros(2), left=False)


# ------------------------------------------------------------------ pinv
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (2, 4, 2), (2, 1, 2, 3)])
def test_pinv(shape, dtype):
    A = np.random.default_rng(2).standard_normal(shape)
    gg = dtype == "float64"  # float32 SVDs differ in the last digits between LAPACKs
    check_against_torch(lambda a: lib(a).pinv(a), A, dtype=dtype, gradgrad=gg)
    check_against_torch(
        lambda a: pinverse(a) * a.sum(),
        A,
        gradgrad=gg,
        torch_fn=lambda a: torch.pinverse(a) * a.sum(),
        dtype=dtype,
    )


def test_pinv_gradcheck():
    check_gradcheck(lambda a: pinv(a), (4, 2), seed=3)
    check_gradcheck(lambda a: pinv(a), (2, 3), seed=4)


@pytest.mark.parametrize("kw", [dict(), dict(atol=0.5), dict(rtol=0.3), dict(atol=0.1, rtol=0.3)])
def test_pinv_of_rank_deficient_and_cutoffs(kw):
    rng = np.random.default_rng(5)
    A = rng.standard_normal((4, 2)) @ rng.standard_normal((2, 3))  # rank 2
    A[:, 0] *= 0.2
    ours, theirs = pinv(cr.tensor(A), **kw), torch.linalg.pinv(torch.tensor(A), **kw)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(
        pinverse(cr.tensor(A), rcond=0.3).data,
        torch.pinverse(torch.tensor(A), rcond=0.3).numpy(),
        atol=1e-10,
    )


# ------------------------------------------------------------------ eigh
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 3), (1, 1), (2, 4, 4), (0, 2, 2)])
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh(shape, uplo, dtype):
    A = np.random.default_rng(6).standard_normal(shape)

    def fn(a):
        L, V = lib(a).eigh(sym(a), UPLO=uplo)
        return L.unsqueeze(-2) * (V * V) + V @ (L.unsqueeze(-1) ** 2 * V.mT)

    check_against_torch(fn, A, dtype=dtype)
    check_against_torch(lambda a: lib(a).eigvalsh(sym(a), UPLO=uplo) ** 2, A, dtype=dtype)


def test_eigh_reads_one_triangle():
    A = np.array([[2.0, 100.0], [1.0, 3.0]])
    for uplo in "LU":
        ours = eigh(cr.tensor(A), UPLO=uplo).eigenvalues
        np.testing.assert_allclose(ours.data, torch.linalg.eigvalsh(torch.tensor(A), UPLO=uplo))


def test_eigh_gradcheck_and_closed_form():
    check_gradcheck(lambda a: eigvalsh(sym(a)), (3, 3))
    check_gradcheck(lambda a: (lambda L, V: L.unsqueeze(-2) * V * V)(*eigh(sym(a))), (2, 3, 3))
    # dλ_i/dA = v_i v_iᵀ: for a diagonal A, the unit matrices e_i e_iᵀ
    A = cr.tensor(np.diag([1.0, 2.0, 3.0]), requires_grad=True)
    eigh(A).eigenvalues[2].backward()
    np.testing.assert_allclose(A.grad.data, np.diag([0.0, 0.0, 1.0]))


def test_eigh_errors():
    with pytest.raises(ValueError, match=r"eigh: UPLO must be 'L' or 'U', got 'X'"):
        eigh(cr.eye(2), UPLO="X")
    with pytest.raises(ValueError, match=r"eigh: expected a square matrix"):
        eigh(cr.zeros(3))


# ------------------------------------------------------------------ svd
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 3), (5, 3), (3, 5), (2, 4, 2), (2, 1, 2, 3), (1, 1)])
def test_svd(shape, dtype):
    A = np.random.default_rng(7).standard_normal(shape)

    def fn(a):
        U, S, Vh = lib(a).svd(a, full_matrices=False)
        return (
            (U @ Vh) * (U @ (S.unsqueeze(-1) * Vh)).sum() + (U * U).sum() + (Vh * Vh).sum(-2).sum()
        )

    gg = dtype == "float64"  # float32 SVDs differ in the last digits between LAPACKs
    check_against_torch(fn, A, dtype=dtype, gradgrad=gg)
    check_against_torch(lambda a: lib(a).svdvals(a) ** 2, A, dtype=dtype, gradgrad=gg)
    check_against_torch(lambda a: lib(a).svd(a, full_matrices=False).S, A, dtype=dtype)


def test_svd_full_matrices_for_square_and_errors():
    A = np.random.default_rng(8).standard_normal((3, 3))
    np.testing.assert_allclose(svd(cr.tensor(A)).S.data, torch.linalg.svdvals(torch.tensor(A)))
    with pytest.raises(
        ValueError, match=r"svdvals: expected a matrix or a batch of them, got shape \(3,\)"
    ):
        svdvals(cr.zeros(3))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 5), (4, 1), (3, 0), (0, 2)])
def test_svd_full_matrices_non_square(shape, dtype):
    A = np.random.default_rng(9).standard_normal(shape).astype(dtype)
    U, S, Vh = svd(cr.tensor(A), full_matrices=True)
    ref = torch.linalg.svd(torch.tensor(A), full_matrices=True)
    m, n = shape[-2:]
    k = min(m, n)
    assert U.shape == tuple(ref.U.shape) and Vh.shape == tuple(ref.Vh.shape)
    assert str(U.dtype) == str(Vh.dtype) == dtype
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(S.numpy(), ref.S.numpy(), atol=tol, rtol=tol)
    eye_m, eye_n = np.eye(m), np.eye(n)
    np.testing.assert_allclose(
        U.numpy().swapaxes(-1, -2) @ U.numpy(), np.broadcast_to(eye_m, U.shape), atol=tol
    )
    np.testing.assert_allclose(
        Vh.numpy() @ Vh.numpy().swapaxes(-1, -2), np.broadcast_to(eye_n, Vh.shape), atol=tol
    )
    recon = (U.numpy()[..., :, :k] * S.numpy()[..., None, :]) @ Vh.numpy()[..., :k, :]
    np.testing.assert_allclose(recon, A, atol=10 * tol)
    Ur = svd(cr.tensor(A), full_matrices=False).U  # the first k columns are the reduced ones
    np.testing.assert_array_equal(U.numpy()[..., :, :k], Ur.numpy())


def test_svd_full_matrices_gradient_ignores_the_extra_columns():
    def f(a):  # sign-invariant in the first k singular vectors; the extra ones weigh too
        U, S, Vh = (torch.linalg if isinstance(a, torch.Tensor) else LA).svd(a, full_matrices=True)
        k = S.shape[-1]
        return (U[..., :, :k] * U[..., :, :k]).sum(-1) * 2 + U.sum() * 0 + (Vh * Vh).sum() + S.sum()

    check_against_torch(f, (4, 2), gradgrad=False)
    check_against_torch(f, (2, 3), gradgrad=False)


def test_svd_gradcheck():
    check_gradcheck(lambda a: svdvals(a), (3, 2), seed=9)
    check_gradcheck(
        lambda a: (lambda U, S, Vh: U @ Vh * S.sum())(*svd(a, full_matrices=False)), (2, 3), seed=9
    )
    check_gradcheck(
        lambda a: (lambda U, S, Vh: U * U * S)(*svd(a, full_matrices=False)), (4, 2), seed=9
    )


def test_svdvals_gradient_with_repeated_singular_values():
    # the first-order gradient U Vᵀ of Σσ is defined for the identity too (σ = 1, 1, 1)
    A = cr.tensor(np.eye(3), requires_grad=True)
    svdvals(A).sum().backward()
    np.testing.assert_allclose(A.grad.data, np.eye(3), atol=1e-12)


# ------------------------------------------------------------------ cholesky, qr
def spd(a):
    """a aᵀ + n I: symmetric positive-definite, well-conditioned."""
    n = a.shape[-1]
    eye = (
        torch.eye(n, dtype=a.dtype)
        if isinstance(a, torch.Tensor)
        else cr.eye(n, dtype=a.dtype, device=a.device)
    )
    return a @ a.mT + n * eye


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 3), (1, 1), (2, 4, 4), (0, 2, 2)])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(shape, upper, dtype):
    check_against_torch(lambda a: lib(a).cholesky(spd(a), upper=upper) * a, shape, dtype=dtype)


def test_cholesky_reads_the_lower_triangle_and_gradcheck():
    A = np.array([[4.0, 100.0], [2.0, 5.0]])
    np.testing.assert_allclose(
        cholesky(cr.tensor(A)).data,
        torch.linalg.cholesky(torch.tensor(np.tril(A) + np.tril(A, -1).T)),
    )
    check_gradcheck(lambda a: cholesky(spd(a)), (2, 3, 3))
    with pytest.raises(LinAlgError, match=r"cholesky: .*not positive-definite.*order 1 is"):
        cholesky(-cr.eye(2))
    S = np.stack([np.eye(3), [[4.0, 2, 1], [2, 1, 0], [1, 0, 3]]])  # as torch: order 2
    with pytest.raises(ValueError, match=r"the leading minor of order 2 is not positive-definite"):
        cholesky(cr.tensor(S))
    with pytest.raises(LinAlgError, match=r"inverse: the input is singular"):
        inverse(cr.zeros(2, 2))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 3), (5, 3), (3, 5), (2, 4, 2), (2, 2, 3), (1, 1)])
def test_qr(shape, dtype):
    def fn(a):
        Q, R = lib(a).qr(a)
        return Q @ (R * R) + (Q * a.sum()).sum()

    gg = dtype == "float64"
    check_against_torch(fn, shape, dtype=dtype, gradgrad=gg)


def test_qr_modes_gradcheck_and_errors():
    A = np.random.default_rng(10).standard_normal((4, 3))
    Q, R = qr(cr.tensor(A), mode="r")
    assert Q.shape == tuple(torch.linalg.qr(torch.tensor(A), mode="r").Q.shape)
    np.testing.assert_allclose(R.data, torch.linalg.qr(torch.tensor(A)).R.numpy(), atol=1e-12)
    check_gradcheck(lambda a: (lambda Q, R: Q @ (R * R))(*qr(a)), (4, 3))
    check_gradcheck(lambda a: (lambda Q, R: Q @ (R * R))(*qr(a)), (2, 3))
    with pytest.raises(ValueError, match=r"qr: mode must be 'reduced', 'complete' or 'r', got 'x'"):
        qr(cr.eye(2), mode="x")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 2), (3, 3), (2, 4), (3, 0)])
def test_qr_complete(shape, dtype):
    A = np.random.default_rng(11).standard_normal(shape).astype(dtype)
    Q, R = qr(cr.tensor(A), mode="complete")
    ref = torch.linalg.qr(torch.tensor(A), mode="complete")
    assert str(Q.dtype) == dtype and Q.shape == tuple(ref.Q.shape) and R.shape == tuple(ref.R.shape)
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(Q.numpy(), ref.Q.numpy(), atol=tol)
    np.testing.assert_allclose(R.numpy(), ref.R.numpy(), atol=tol)
    if shape[-2] <= shape[-1]:  # the reduced decomposition: differentiable
        check_against_torch(lambda a: lib(a).qr(a, mode="complete")[0], A.astype("float64"))


def test_qr_complete_tall_is_not_differentiable():
    A = cr.tensor(np.random.default_rng(12).standard_normal((4, 2)), requires_grad=True)
    Q, R = qr(A, mode="complete")
    with pytest.raises(
        ValueError, match="not differentiable when mode='complete' and nrows > ncols"
    ):
        R.sum().backward()


# ------------------------------------------------------------------ norms
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ord", [2, 1, INF, -INF, 0, 3, 0.5])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (-1, False), (0, True), ((0, 2), False)])
def test_vector_norm(ord, dim, keepdim, dtype):
    check_against_torch(
        lambda x: lib(x).vector_norm(x, ord, dim, keepdim),
        (2, 3, 4),
        dtype=dtype,
        grad=ord != 0,  # torch's count of nonzeros has a zero gradient, ours none
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ord", ["fro", "nuc", 1, -1, INF, -INF, 2, -2])
@pytest.mark.parametrize("dim,keepdim", [((-2, -1), False), ((0, 2), True), ((2, 0), False)])
def test_matrix_norm(ord, dim, keepdim, dtype):
    check_against_torch(lambda x: lib(x).matrix_norm(x, ord, dim, keepdim), (3, 2, 4), dtype=dtype)


@pytest.mark.parametrize(
    "shape,ord,dim",
    [
        ((2, 3), None, None),
        ((2, 3, 4), None, None),
        ((4,), 1, None),
        ((3, 4), 1, None),
        ((3, 4), "nuc", None),
        ((2, 3, 4), None, 1),
        ((2, 3, 4), 3, (2,)),
        ((2, 3, 4), -INF, (0, 1)),
        ((2, 3, 4), None, (1, 2)),
    ],
)
def test_norm_dispatch(shape, ord, dim):
    check_against_torch(lambda x: lib(x).norm(x, ord, dim), shape)
    check_against_torch(lambda x: lib(x).norm(x, ord, dim, True), shape, dtype="float32")


def test_norm_dtype_and_errors():
    x = cr.tensor([[3.0, 4.0]])
    assert str(LA.norm(x, dtype=cr.float64).dtype) == "float64"
    np.testing.assert_allclose(LA.norm(x).data, 5.0)
    with pytest.raises(ValueError, match=r"matrix_norm: unsupported ord 3"):
        LA.matrix_norm(cr.zeros(2, 2), 3)
    with pytest.raises(
        ValueError, match=r"matrix_norm: expected a matrix or a batch of them, got shape \(3,\)"
    ):
        LA.matrix_norm(cr.zeros(3))
    with pytest.raises(ValueError, match=r"matrix_norm: dims must differ"):
        LA.matrix_norm(cr.zeros(2, 2), dim=(1, -1))
    with pytest.raises(ValueError, match=r"norm: with ord and no dim, A must be 1-D or 2-D"):
        LA.norm(cr.zeros(2, 2, 2), ord=1)
    with pytest.raises(
        TypeError, match=r"vector_norm: expected a floating-point tensor, got int64"
    ):
        LA.vector_norm(cr.tensor([1, 2]))


def test_namespace_products():
    check_against_torch(lambda a, b: lib(a).cross(a, b), (2, 3), (2, 3))
    check_against_torch(lambda a, b: lib(a).multi_dot([a, b, a]), (2, 3), (3, 2))
    check_against_torch(lambda a: lib(a).diagonal(a, offset=1), (2, 3, 4))
    check_against_torch(lambda a, b: lib(a).matmul(a, b), (2, 3), (3, 2))
