"""matrix_exp, lstsq, matrix_rank, vecdot, vander, tensorinv, tensorsolve and renorm against
torch (values, gradients, second-order gradients), closed forms and finite differences."""

import numpy as np
import pytest
import torch
from helpers import check_against_torch, check_gradcheck, on_device

import chainrule as cr
from chainrule.functions.matrix_functions import (
    lstsq,
    matrix_exp,
    matrix_rank,
    renorm,
    tensorinv,
    tensorsolve,
    vander,
    vecdot,
)

DTYPES = ["float64", "float32"]


def draw(*shape, seed=0, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


# ------------------------------------------------------------------ matrix_exp
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shape, scale", [((3, 3), 0.1), ((2, 4, 4), 1.0), ((3, 3), 8.0), ((1, 1), 2.0), ((0, 2, 2), 1)]
)
def test_matrix_exp(shape, scale, dtype):
    A = draw(*shape, scale=scale)
    # torch's float32 second derivative is off by ~2e-4 (ours matches float64): float64 only
    gradgrad = dtype == "float64"
    check_against_torch(matrix_exp, A, torch_fn=torch.matrix_exp, dtype=dtype, gradgrad=gradgrad)


def test_matrix_exp_closed_forms_and_gradcheck():
    t = 0.7  # a rotation generator: exp(t J) = [[cos t, -sin t], [sin t, cos t]]
    R = matrix_exp(cr.tensor([[0.0, -t], [t, 0.0]], dtype="float64")).numpy()
    np.testing.assert_allclose(R, [[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]], rtol=1e-14)
    N = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]]) * 50  # nilpotent
    np.testing.assert_allclose(matrix_exp(cr.tensor(N)).numpy(), np.eye(3) + N + N @ N / 2)
    big = np.diag([30.0, -30.0, 1e-3])  # scaling and squaring, per matrix of a batch
    out = matrix_exp(cr.tensor(np.stack([big, big / 1e4]))).numpy()
    np.testing.assert_allclose(
        np.diagonal(out, 0, -2, -1), np.exp([np.diag(big), np.diag(big) / 1e4])
    )
    assert matrix_exp(cr.zeros(3, 3)).dtype == "float32"
    check_gradcheck(matrix_exp, draw(3, 3))
    check_gradcheck(matrix_exp, draw(2, 2, scale=4.0))


def test_matrix_exp_errors():
    with pytest.raises(ValueError, match=r"matrix_exp: expected a square.*\(2, 3\)"):
        matrix_exp(cr.ones(2, 3))
    with pytest.raises(TypeError, match="matrix_exp: expected a floating-point tensor, got int64"):
        matrix_exp(cr.tensor([[1, 2], [3, 4]]))


# ------------------------------------------------------------------ lstsq
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "sa, sb", [((5, 3), (5, 2)), ((2, 5, 3), (2, 5)), ((3, 5), (3, 2)), ((2, 4, 4), (1, 4, 3))]
)
@pytest.mark.parametrize("driver", [None, "gels", "gelsd", "gelss", "gelsy"])
def test_lstsq(sa, sb, driver, dtype):
    A, B = draw(*sa), draw(*sb, seed=1)

    def part(i):
        def f(a, b):
            lib = torch.linalg if isinstance(a, torch.Tensor) else cr.functions.matrix_functions
            return lib.lstsq(a, b, driver=driver)[i]

        return f

    gg = dtype == "float64"  # float32 second derivatives through pinv differ by ~5e-5
    check_against_torch(part(0), A, B, dtype=dtype, gradgrad=gg)  # the solution, its gradients
    ours, ref = (
        lstsq(on_device(A), on_device(B), driver=driver),
        torch.linalg.lstsq(torch.tensor(A), torch.tensor(B), driver=driver),
    )
    for i, name in enumerate(ours._fields[1:], 1):
        assert ours[i].shape == tuple(ref[i].shape), name
        assert str(ours[i].dtype) == str(ref[i].dtype).replace("torch.", ""), name
        np.testing.assert_allclose(ours[i].numpy(), ref[i].numpy(), rtol=1e-10, err_msg=name)
    if ref.residuals.numel():  # its gradient too
        check_against_torch(part(1), A, B, dtype=dtype, gradgrad=gg)


def test_lstsq_rank_deficient_rcond_and_gradcheck():
    A = draw(5, 3)
    A[:, 2] = A[:, 1]  # rank 2: the minimum-norm solution
    B = draw(5, 2, seed=1)
    ours = lstsq(cr.tensor(A), cr.tensor(B), driver="gelsd")
    ref = torch.linalg.lstsq(torch.tensor(A), torch.tensor(B), driver="gelsd")
    np.testing.assert_allclose(ours.solution.numpy(), ref.solution.numpy(), rtol=1e-8)
    assert int(ours.rank.item()) == 2 and ours.residuals.shape == (0,)
    A2 = draw(5, 3)  # σ-based cutoffs as gelsd's (gelsy estimates the rank from a pivoted QR)
    for rcond in (0.5, 0.3, 1e-3):
        ours = lstsq(cr.tensor(A2), cr.tensor(B), rcond=rcond, driver="gelsd")
        ref = torch.linalg.lstsq(torch.tensor(A2), torch.tensor(B), rcond=rcond, driver="gelsd")
        assert ours.rank.item() == ref.rank.item()
        np.testing.assert_allclose(ours.solution.numpy(), ref.solution.numpy(), rtol=1e-10)
    check_gradcheck(lambda a, b: lstsq(a, b).solution, draw(4, 2), draw(4, 2, seed=1))


def test_lstsq_errors():
    with pytest.raises(ValueError, match=r"lstsq: driver must be one of .*'gelsy'.*'foo'"):
        lstsq(cr.ones(3, 2), cr.ones(3, 1), driver="foo")
    with pytest.raises(ValueError, match=r"same number of rows, got shapes \(5, 3\) and \(4, 2\)"):
        lstsq(cr.ones(5, 3), cr.ones(4, 2))
    with pytest.raises(TypeError, match="lstsq: A and B must have the same dtype"):
        lstsq(cr.ones(3, 2), cr.ones(3, 1, dtype="float64"))


# ------------------------------------------------------------------ matrix_rank
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("hermitian", [False, True])
def test_matrix_rank(hermitian, dtype):
    rng = np.random.default_rng(0)
    Q = np.linalg.qr(rng.standard_normal((4, 4)))[0]
    mats = [
        Q @ np.diag(d) @ Q.T for d in ([3, 2, 1, 0], [5, 1e-3, 1e-9, 0], [4, -2, 1.5, 0.9], [0] * 4)
    ]
    A = np.stack(mats).astype(dtype)
    cases = [{}, {"atol": 0.5}, {"rtol": 0.3}, {"atol": 1e-4, "rtol": 0.25}, {"atol": 0.0}]
    for kw in cases:
        ours = matrix_rank(on_device(A), hermitian=hermitian, **kw)
        ref = torch.linalg.matrix_rank(torch.tensor(A), hermitian=hermitian, **kw)
        assert str(ours.dtype) == "int64"
        np.testing.assert_array_equal(ours.numpy(), ref.numpy(), err_msg=str(kw))
    tols = np.array([0.5, 1e-4, 1e-2, 0.1], dtype=dtype)  # per-matrix tolerances, as tensors
    ours = matrix_rank(on_device(A), atol=on_device(tols), hermitian=hermitian)
    ref = torch.linalg.matrix_rank(torch.tensor(A), atol=torch.tensor(tols), hermitian=hermitian)
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    assert (
        matrix_rank(on_device(A), 0.5).tolist()
        == torch.linalg.matrix_rank(torch.tensor(A), 0.5).tolist()
    )
    # a small atol > 0 sets the default rtol to 0: σ = 1e-5 counts, though below eps·max(m, n)·σ_max
    D = np.diag([5e3, 1e-5, 0.0]).astype(dtype)
    for kw in ({"atol": 1e-9}, {"atol": 1e-9, "rtol": 1e-3}, {}):
        ours = matrix_rank(on_device(D), hermitian=hermitian, **kw)
        ref = torch.linalg.matrix_rank(torch.tensor(D), hermitian=hermitian, **kw)
        assert ours.item() == ref.item(), kw


def test_matrix_rank_shapes_and_errors():
    A = draw(2, 3, 5)
    assert matrix_rank(cr.tensor(A)).tolist() == [3, 3]
    assert matrix_rank(cr.zeros(2, 0, 3)).tolist() == [0, 0]
    with pytest.raises(ValueError, match=r"hermitian=True needs square matrices.*\(2, 3, 5\)"):
        matrix_rank(cr.tensor(A), hermitian=True)
    with pytest.raises(ValueError, match="matrix_rank: give either tol or atol"):
        matrix_rank(cr.tensor(A), 0.1, atol=0.2)


# ------------------------------------------------------------------ vecdot, vander
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "sx, sy, dim", [((3,), (3,), -1), ((2, 3), (3,), -1), ((4, 1), (1, 4, 2), 1)]
)
def test_vecdot(sx, sy, dim, dtype):
    check_against_torch(
        lambda x, y: vecdot(x, y, dim=dim),
        sx,
        sy,
        torch_fn=lambda x, y: torch.linalg.vecdot(x, y, dim=dim),
        dtype=dtype,
    )
    with pytest.raises(TypeError, match="vecdot: expected floating-point tensors, got int64"):
        vecdot(cr.tensor([1, 2]), cr.tensor([3, 4]))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, N", [((3,), None), ((2, 4), 3), ((3,), 5), ((0,), 2)])
def test_vander(shape, N, dtype):
    x = draw(*shape)
    x.flat[:1] = 0.0  # a zero: the running product's gradient there
    check_against_torch(
        lambda t: vander(t, N=N),
        x,
        torch_fn=lambda t: torch.linalg.vander(t, N=N),
        dtype=dtype,
    )


def test_vander_ints_and_errors():
    ours, ref = vander(cr.tensor([1, 2, 3])), torch.linalg.vander(torch.tensor([1, 2, 3]))
    assert str(ours.dtype) == "int64"
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    with pytest.raises(ValueError, match="vander: N must be greater than 1, got 1"):
        vander(cr.tensor([1.0, 2.0]), N=1)
    with pytest.raises(ValueError, match=r"vander: x must have at least one dimension"):
        vander(cr.tensor(1.0))


# ------------------------------------------------------------------ tensorinv, tensorsolve
def test_tensorinv():
    A = draw(4, 6, 8, 3) + 0.0
    A = (draw(24, 24) + 6 * np.eye(24)).reshape(4, 6, 8, 3)
    check_against_torch(
        lambda a: tensorinv(a, ind=2), A, torch_fn=lambda a: torch.linalg.tensorinv(a, ind=2)
    )
    B = (draw(6, 6) + 3 * np.eye(6)).reshape(6, 2, 3)
    check_against_torch(
        lambda a: tensorinv(a, 1), B, torch_fn=lambda a: torch.linalg.tensorinv(a, 1)
    )
    with pytest.raises(ValueError, match=r"tensorinv: prod\(shape\[ind:\]\).*\(2, 3, 4\).*12 != 2"):
        tensorinv(cr.ones(2, 3, 4), ind=1)
    with pytest.raises(ValueError, match="tensorinv: ind must be a positive integer, got 0"):
        tensorinv(cr.ones(4, 4), ind=0)


@pytest.mark.parametrize(
    "shape, order, dims",
    [
        ((2, 3, 6), (0, 1, 2), None),
        ((2, 3, 6), (2, 0, 1), (0,)),
        ((2, 3, 3, 2), (0, 2, 1, 3), (1, 3)),
    ],
)
def test_tensorsolve(shape, order, dims):
    n = int(np.prod(shape[:2]))
    base = (draw(n, n) + 3 * np.eye(n)).reshape(shape)  # leading dims: B's; the rest: X's
    A = base.transpose(order)  # dims moves X's dimensions back to the end
    B = draw(*shape[:2], seed=1)
    check_against_torch(
        lambda a, b: tensorsolve(a, b, dims),
        A,
        B,
        torch_fn=lambda a, b: torch.linalg.tensorsolve(a, b, dims),
    )
    with pytest.raises(ValueError, match=r"tensorsolve: A of shape \(2, 3, 6\) and B of shape"):
        tensorsolve(cr.ones(2, 3, 6), cr.ones(2, 2))


# ------------------------------------------------------------------ renorm
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p, dim, maxnorm", [(2, 0, 1.0), (1, -1, 2.0), (3.5, 1, 0.5), (2, 0, 0.0)])
def test_renorm(p, dim, maxnorm, dtype):
    check_against_torch(
        lambda x: renorm(x, p, dim, maxnorm),
        (3, 4, 2),
        torch_fn=lambda x: torch.renorm(x, p, dim, maxnorm),
        dtype=dtype,
    )


def test_renorm_errors():
    with pytest.raises(ValueError, match=r"renorm: input needs at least 2 dimensions.*\(3,\)"):
        renorm(cr.ones(3), 2, 0, 1.0)
    with pytest.raises(ValueError, match="renorm: maxnorm must be >= 0, got -1"):
        renorm(cr.ones(2, 3), 2, 0, -1)
    with pytest.raises(ValueError, match="renorm: p must be positive, got -1"):
        renorm(cr.ones(2, 3), -1, 0, 1.0)
    with pytest.raises(IndexError, match=r"renorm: dim 2 out of range for shape \(2, 3\)"):
        renorm(cr.ones(2, 3), 2, 2, 1.0)
