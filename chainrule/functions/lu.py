"""The LU decomposition with partial pivoting, A = P L U, as torch.linalg: lu_factor (packed,
with LAPACK's 1-based pivots), lu, lu_unpack, lu_solve, batched over leading dimensions.

The factorization is LAPACK's getrf written out column by column (the pivot is the first
entry of largest magnitude), vectorized over the batch. For A (m, n), k = min(m, n):
L (m, k) is unit lower triangular, U (k, n) upper triangular. The gradient is torch's: for a
square A, ∂L/∂A = P L⁻ᵀ [tril₋₁(Lᵀ gL) + triu(gU Uᵀ)] U⁻ᵀ, with the wide and tall cases in
``_lu_backward``; its solves are ``solve_triangular``, so under ``create_graph`` it is
differentiable again.
"""

from __future__ import annotations

import math
from collections import namedtuple

from .. import backend
from ..autograd.function import Function
from ..tensor import Tensor, as_tensor
from .linalg import _mm
from .matrix_util import LinAlgError, _cat, _matrix, _mT, _tril, _triu
from .shape import broadcast_shapes, broadcast_to
from .triangular import _trsolve, solve_triangular

lu_factor_result = namedtuple("lu_factor", ["LU", "pivots"])
lu_factor_ex_result = namedtuple("lu_factor_ex", ["LU", "pivots", "info"])
lu_result = namedtuple("lu", ["P", "L", "U"])
lu_unpack_result = namedtuple("lu_unpack", ["P", "L", "U"])


# ------------------------------------------------------------------ on arrays
def _getrf(A, pivot=True):
    """(LU, pivots, info) of A (…, m, n): LAPACK's getrf, right-looking, one column at a
    time. pivots are 1-based int32; info is the 1-based index of the first zero pivot, else 0."""
    xp = backend.get_array_module(A)
    m, n = A.shape[-2:]
    k = min(m, n)
    batch = A.shape[:-2]
    LU = A.reshape((math.prod(batch), m, n)).copy()
    nb = LU.shape[0]
    piv = xp.zeros((nb, k), dtype=xp.int32)
    info = xp.zeros((nb,), dtype=xp.int32)
    b = xp.arange(nb)
    for j in range(k):
        p = xp.argmax(xp.abs(LU[:, j:, j]), axis=-1) + j if pivot else xp.full(nb, j)
        piv[:, j] = p + 1
        row = LU[b, p].copy()  # swap rows j and p
        LU[b, p] = LU[:, j]
        LU[:, j] = row
        d = LU[:, j, j]
        zero = d == 0
        info = xp.where((info == 0) & zero, xp.int32(j + 1), info).astype(xp.int32)
        LU[:, j + 1 :, j] /= xp.where(zero, xp.asarray(1, dtype=A.dtype), d)[:, None]
        LU[:, j + 1 :, j + 1 :] -= LU[:, j + 1 :, j, None] * LU[:, j, None, j + 1 :]
    return LU.reshape(A.shape), piv.reshape(batch + (k,)), info.reshape(batch)


def _permutation(pivots, m, dtype):
    """P (…, m, m) with A = P L U, from getrf's 1-based row swaps: row i of Pᵀ A is row
    perm[i] of A, where perm applies the swaps i ↔ pivots[i] - 1 in order."""
    xp = backend.get_array_module(pivots)
    batch, k = pivots.shape[:-1], pivots.shape[-1]
    piv = pivots.reshape((math.prod(batch), k)).astype(xp.int64) - 1
    nb = piv.shape[0]
    b = xp.arange(nb)
    perm = xp.broadcast_to(xp.arange(m), (nb, m)).copy()
    for i in range(k):
        p = piv[:, i]
        a = perm[:, i].copy()
        perm[:, i] = perm[b, p]
        perm[b, p] = a
    P = xp.zeros((nb, m, m), dtype=dtype)
    P[b[:, None], perm, xp.arange(m)[None, :]] = 1
    return P.reshape(batch + (m, m))


def _unpack(LU, k):
    """L (…, m, k) with a unit diagonal and U (…, k, n) from the packed LU (arrays or
    Tensors)."""
    m = LU.shape[-2]
    eye = backend.get_array_module(LU.data if isinstance(LU, Tensor) else LU).eye(
        m, k, dtype=LU.dtype
    )
    return _tril(LU, -1)[..., :, :k] + eye, _triu(LU)[..., :k, :]


def _pmm(P, X):
    """P X for a constant permutation array P."""
    return as_tensor(P) @ X if isinstance(X, Tensor) else _mm(P, X)


# ------------------------------------------------------------------ lu_factor
class LuFactor(Function):
    """The packed LU = (L − I) + U of A = P L U. The pivots and info are kept on the op (no
    gradient); the gradient reads gL from gy's strict lower part and gU from its upper."""

    def __init__(self, pivot):
        self.pivot = pivot

    def forward(self, A):
        LU, self.pivots, self.info = _getrf(A, self.pivot)
        self.P = _permutation(self.pivots, A.shape[-2], A.dtype)
        self.save_for_backward(LU)
        return LU

    def backward(self, gy):
        (LU,) = self._saved_as_tensors() if isinstance(gy, Tensor) else self.saved
        k = min(LU.shape[-2:])
        L, U = _unpack(LU, k)
        gL, gU = _tril(gy, -1)[..., :, :k], _triu(gy)[..., :k, :]
        return _pmm(self.P, _lu_backward(L, U, gL, gU))


def _lu_backward(L, U, gL, gU):
    """Pᵀ ∂L/∂A for A = P L U (torch's linalg_lu_backward), from L (m, k), U (k, n)."""
    m, n = L.shape[-2], U.shape[-1]
    k = min(m, n)
    if m == n:  # L⁻ᵀ [tril₋₁(Lᵀ gL) + triu(gU Uᵀ)] U⁻ᵀ
        G = _tril(_mm(_mT(L), gL), -1) + _triu(_mm(gU, _mT(U)))
        G = _trsolve(_mT(U), G, upper=False, left=False)
        return _trsolve(_mT(L), G, upper=True, unit=True)
    if m < n:  # wide: U = [U₁ | U₂], U₁ (k, k)
        U1 = U[..., :, :k]
        G = _tril(_mm(_mT(L), gL) - _mm(_triu(gU), _mT(U)), -1)
        G = _trsolve(_mT(U1), G, upper=False, left=False)
        G = _cat([G + _triu(gU[..., :, :k]), gU[..., :, k:]], -1)
        return _trsolve(_mT(L), G, upper=True, unit=True)
    L1 = L[..., :k, :]  # tall: L = [L₁; L₂], L₁ (k, k)
    G = _triu(_mm(gU, _mT(U)) - _mm(_mT(L), _tril(gL, -1)))
    G = _trsolve(_mT(L1), G, upper=True, unit=True)
    G = _cat([G + _tril(gL[..., :k, :], -1), gL[..., k:, :]], -2)
    return _trsolve(_mT(U), G, upper=False, left=False)


def _factor(op, A, pivot):
    A = _matrix(op, A)
    f = LuFactor(bool(pivot))
    LU = f(A)
    return LU, as_tensor(f.pivots), as_tensor(f.info), f.P


def lu_factor_ex(A, *, pivot: bool = True, check_errors: bool = False):
    """(LU, pivots, info): the packed LU factorization of A (…, m, n), pivots (…, min(m, n))
    1-based int32, info (…) int32: the 1-based index of the first zero on U's diagonal, 0 if
    none. ``check_errors`` raises LinAlgError where info > 0. ``pivot=False`` factors without
    row exchanges (A's leading minors must be nonzero)."""
    LU, piv, info, _ = _factor("lu_factor_ex", A, pivot)
    if check_errors:
        _raise_on_info("lu_factor_ex", info)
    return lu_factor_ex_result(LU, piv, info)


def _raise_on_info(op, info):
    bad = backend.to_host(info.data).reshape(-1)
    if bad.size and bad.max() > 0:
        i = int(bad[bad > 0][0]) - 1
        raise LinAlgError(
            f"{op}: U[{i},{i}] is zero, so the matrix is singular (info = {i + 1}); "
            f"use lu_factor_ex to factor it anyway"
        )


def lu_factor(A, *, pivot: bool = True):
    """(LU, pivots) of A = P L U: L − I below the diagonal of LU, U on and above it; pivots
    1-based as LAPACK's. Raises LinAlgError where U has a zero on its diagonal, as torch."""
    LU, piv, info, _ = _factor("lu_factor", A, pivot)
    _raise_on_info("lu_factor", info)
    return lu_factor_result(LU, piv)


def lu(A, *, pivot: bool = True):
    """(P, L, U) with A = P L U: P (…, m, m) a permutation, L (…, m, k) unit lower
    triangular, U (…, k, n) upper triangular, k = min(m, n). Singular A is factored too."""
    LU, _, _, P = _factor("lu", A, pivot)
    L, U = _unpack(LU, min(LU.shape[-2:]))
    return lu_result(as_tensor(P), L, U)


def lu_unpack(LU_data, LU_pivots, unpack_data: bool = True, unpack_pivots: bool = True):
    """(P, L, U) from lu_factor's (LU, pivots); what is not unpacked comes back empty."""
    LU, piv = _matrix("lu_unpack", LU_data), as_tensor(LU_pivots)
    k = min(LU.shape[-2:])
    if str(piv.dtype) != "int32":
        raise TypeError(f"lu_unpack: LU_pivots must be int32 (as lu_factor gives), got {piv.dtype}")
    if tuple(piv.shape) != tuple(LU.shape[:-2]) + (k,):
        raise ValueError(
            f"lu_unpack: LU_pivots of shape {piv.shape} don't match LU_data of shape {LU.shape}"
        )
    empty = as_tensor(backend.get_array_module(LU.data).zeros((0,), dtype=LU.dtype))
    P = as_tensor(_permutation(piv.data, LU.shape[-2], LU.dtype)) if unpack_pivots else empty
    L, U = _unpack(LU, k) if unpack_data else (empty, empty)
    return lu_unpack_result(P, L, U)


# ------------------------------------------------------------------ lu_solve
def lu_solve(LU, pivots, B, *, left: bool = True, adjoint: bool = False):
    """X with A X = B (left) or X A = B, or with Aᵀ in place of A if ``adjoint``, given
    lu_factor's (LU, pivots) of a square A (…, n, n). B (…, n, k) (left) or (…, k, n); batch
    dimensions broadcast. Differentiable in LU and B."""
    LU, B = _matrix("lu_solve", LU, square=True), as_tensor(B)
    n = LU.shape[-1]
    if B.ndim < 2 or B.shape[-2 if left else -1] != n:
        raise ValueError(
            f"lu_solve: incompatible shapes of LU and B for the equation "
            f"{'AX' if left else 'XA'} = B, got {LU.shape} and {B.shape}"
        )
    if B.dtype != LU.dtype:
        raise TypeError(
            f"lu_solve: LU and B must have the same dtype, got {LU.dtype} and {B.dtype}"
        )
    if not left:  # X A = B ⇔ Aᵀ Xᵀ = Bᵀ
        return lu_solve(LU, pivots, B.mT, adjoint=not adjoint).mT
    P, L, U = lu_unpack(LU, pivots)
    batch = broadcast_shapes(LU.shape[:-2], B.shape[:-2], op="lu_solve")
    B = broadcast_to(B, batch + tuple(B.shape[-2:]))
    if adjoint:  # Uᵀ Lᵀ Pᵀ X = B
        Y = solve_triangular(U.mT, B, upper=False)
        return P @ solve_triangular(L.mT, Y, upper=True, unitriangular=True)
    Y = solve_triangular(L, P.mT @ B, upper=False, unitriangular=True)
    return solve_triangular(U, Y, upper=True)


__all__ = ["lu_factor", "lu_factor_ex", "lu", "lu_unpack", "lu_solve"]
