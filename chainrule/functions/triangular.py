"""Triangular systems: solve_triangular, triangular_solve, cholesky_solve, cholesky_inverse,
batched over leading dimensions (broadcast), as torch.

For X = A⁻¹ B with A triangular: ∂L/∂B = A⁻ᵀ G and ∂L/∂A = −(A⁻ᵀ G) Xᵀ kept on A's
triangle (its strict triangle when A is unitriangular). The backward of each op calls the
op itself on Tensors under ``create_graph``, so second derivatives come from the first.
"""

from __future__ import annotations

from collections import namedtuple

from .. import backend
from ..autograd.function import Function
from ..tensor import Tensor, as_tensor
from .linalg import _mm
from .matrix_util import _eye, _matrix, _mT, _square, _tril, _triu
from .shape import broadcast_shapes, broadcast_to, sum_to

triangular_solve_result = namedtuple("triangular_solve", ["solution", "cloned_coefficient"])


# ------------------------------------------------------------------ on arrays
def _substitute(U, B):
    """U⁻¹ B for upper-triangular U by back substitution: a zero on U's diagonal gives inf and
    NaN, as LAPACK's trsm does, where a general solver would refuse."""
    xp = backend.get_array_module(U)
    n = U.shape[-1]
    X = xp.zeros(B.shape, dtype=B.dtype)
    with backend.np.errstate(divide="ignore", invalid="ignore"):
        for i in range(n - 1, -1, -1):
            s = B[..., i, :] - (U[..., i, i + 1 :, None] * X[..., i + 1 :, :]).sum(axis=-2)
            X[..., i, :] = s / U[..., i, i, None]
    return X


def _trsolve_arrays(A, B, upper, left, unit):
    """X with A X = B (left) or X A = B, reading only A's upper or lower triangle (and taking
    its diagonal as ones if ``unit``); batch dimensions broadcast."""
    xp = backend.get_array_module(A)
    if not left:
        return _trsolve_arrays(_mT(A), _mT(B), not upper, True, unit).swapaxes(-1, -2)
    n = A.shape[-1]
    T = xp.triu(A) if upper else xp.tril(A)
    if unit:
        T = xp.where(xp.eye(n, dtype=bool), xp.asarray(1, dtype=A.dtype), T)
    if not upper:  # J L J is upper triangular for the reversal J: back substitution only
        T, B = T[..., ::-1, ::-1], B[..., ::-1, :]
    batch = broadcast_shapes(T.shape[:-2], B.shape[:-2], op="solve_triangular")
    T = xp.broadcast_to(T, batch + T.shape[-2:])
    B = xp.broadcast_to(B, batch + B.shape[-2:])
    try:
        X = xp.linalg.solve(T, B) if n else xp.zeros(B.shape, dtype=B.dtype)
    except backend.np.linalg.LinAlgError:  # a zero on the diagonal
        X = _substitute(T, B)
    return X if upper else X[..., ::-1, :]


def _trsolve(A, B, upper, left=True, unit=False):
    """``solve_triangular`` on arrays, or on Tensors through the op (differentiable)."""
    if isinstance(A, Tensor) or isinstance(B, Tensor):
        return SolveTriangular(upper, left, unit)(as_tensor(A), as_tensor(B))
    return _trsolve_arrays(A, B, upper, left, unit)


# ------------------------------------------------------------------ solve_triangular
class SolveTriangular(Function):
    """X = A⁻¹ B (left) or B A⁻¹, A triangular. Left: ∂L/∂B = A⁻ᵀ G, ∂L/∂A = −∂L/∂B Xᵀ;
    right: ∂L/∂B = G A⁻ᵀ, ∂L/∂A = −Xᵀ ∂L/∂B; ∂L/∂A kept on A's (strict, if unit) triangle."""

    def __init__(self, upper, left, unit):
        self.upper, self.left, self.unit = upper, left, unit

    def forward(self, A, B):
        self.shapes = A.shape, B.shape
        X = _trsolve_arrays(A, B, self.upper, self.left, self.unit)
        self.save_for_backward(A, X)
        return X

    def backward(self, gy):
        A, X = self._saved_as_tensors() if isinstance(gy, Tensor) else self.saved
        na, nb = self.needs_input_grad
        gB = _trsolve(_mT(A), gy, not self.upper, self.left, self.unit)
        gA = None
        if na:
            gA = -_mm(gB, _mT(X)) if self.left else -_mm(_mT(X), gB)
            gA = _triu(gA, int(self.unit)) if self.upper else _tril(gA, -int(self.unit))
            gA = sum_to(gA, self.shapes[0])
        return gA, sum_to(gB, self.shapes[1]) if nb else None


def _check_pair(op, A, B, left, eq="AX = B"):
    A = _square(op, A)
    B = as_tensor(B)
    if B.ndim < 2:
        raise ValueError(f"{op}: B must have at least 2 dimensions, got shape {B.shape}")
    if B.dtype != A.dtype:
        raise TypeError(f"{op}: A and B must have the same dtype, got {A.dtype} and {B.dtype}")
    if B.shape[-2 if left else -1] != A.shape[-1]:
        raise ValueError(
            f"{op}: incompatible shapes of A and B for the equation {eq}, got {A.shape} and "
            f"{B.shape}"
        )
    broadcast_shapes(A.shape[:-2], B.shape[:-2], op=op)
    return A, B


def solve_triangular(A, B, *, upper: bool, left: bool = True, unitriangular: bool = False):
    """X with A X = B (left) or X A = B, A (…, n, n) triangular: only its upper (``upper``) or
    lower triangle is read, and its diagonal is taken as ones if ``unitriangular``. B is
    (…, n, k) (left) or (…, k, n); batch dimensions broadcast. A zero on A's diagonal gives
    inf / NaN, as torch. Gradient: see ``SolveTriangular``."""
    eq = "AX = B" if left else "XA = B"
    A, B = _check_pair("solve_triangular", A, B, left, eq)
    return SolveTriangular(bool(upper), bool(left), bool(unitriangular))(A, B)


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False):
    """torch.triangular_solve (deprecated there): X with A X = b, or Aᵀ X = b if
    ``transpose``; returns (solution, a copy of A)."""
    A, b = _check_pair("triangular_solve", A, b, True)
    T = A.mT if transpose else A
    X = SolveTriangular(bool(upper) != bool(transpose), True, bool(unitriangular))(T, b)
    return triangular_solve_result(X, A.clone())


# ------------------------------------------------------------------ cholesky_solve / inverse
def _cholesky_solve_arrays(B, L, upper):
    F = _mT(L) if upper else L  # A = F Fᵀ, F lower triangular
    Y = _trsolve_arrays(F, B, False, True, False)  # F Y = B, then Fᵀ X = Y
    return _trsolve_arrays(_mT(F), Y, True, True, False)


class CholeskySolve(Function):
    """X = (L Lᵀ)⁻¹ B (or (Uᵀ U)⁻¹ B if ``upper``), reading only L's triangle. As torch, the
    gradient treats L as a full matrix in A = L Lᵀ: with Y = A⁻¹ G and C = Y Xᵀ + X Yᵀ,
    ∂L/∂B = Y, ∂L/∂L = −C L (∂L/∂U = −U C)."""

    def __init__(self, upper):
        self.upper = upper

    def forward(self, B, L):
        self.shapes = B.shape, L.shape
        X = _cholesky_solve_arrays(B, L, self.upper)
        self.save_for_backward(L, X)
        return X

    def backward(self, gy):
        L, X = self._saved_as_tensors() if isinstance(gy, Tensor) else self.saved
        nb, nl = self.needs_input_grad
        if isinstance(gy, Tensor):
            Y = CholeskySolve(self.upper)(gy, L)
        else:
            Y = _cholesky_solve_arrays(gy, L, self.upper)
        gL = None
        if nl:
            C = _mm(Y, _mT(X))
            C = C + _mT(C)
            gL = sum_to(-(_mm(L, C) if self.upper else _mm(C, L)), self.shapes[1])
        return sum_to(Y, self.shapes[0]) if nb else None, gL


def cholesky_solve(B, L, upper: bool = False):
    """X with A X = B, given A's Cholesky factor: A = L Lᵀ (L lower, (…, n, n)), or A = Uᵀ U
    if ``upper``. B (…, n, k); batch dimensions broadcast."""
    L, B = _check_pair("cholesky_solve", L, B, True)
    return CholeskySolve(bool(upper))(B, L)


def cholesky_inverse(L, upper: bool = False):
    """A⁻¹ = (L Lᵀ)⁻¹ (or (Uᵀ U)⁻¹ if ``upper``) from A's Cholesky factor (…, n, n)."""
    L = _matrix("cholesky_inverse", L, square=True)
    eye = as_tensor(_eye(L.shape[-1], L))
    return cholesky_solve(broadcast_to(eye, L.shape), L, upper)


__all__ = [
    "solve_triangular",
    "triangular_solve",
    "cholesky_solve",
    "cholesky_inverse",
]
