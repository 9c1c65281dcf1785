"""torch's older top-level spellings of the decompositions: torch.svd (returns V, not Vh),
torch.qr (``some``), torch.cholesky, torch.lu and torch.lu_solve (B first), over the
torch.linalg ones.
"""

from __future__ import annotations

from collections import namedtuple

from .. import backend
from ..tensor import as_tensor
from .decomposition import cholesky as _cholesky
from .decomposition import qr as _qr
from .decomposition import svd as _svd
from .decomposition import svdvals
from .lu import lu_factor_ex
from .lu import lu_solve as _lu_solve
from .matrix_util import _matrix

svd_result = namedtuple("svd", ["U", "S", "V"])
qr_result = namedtuple("qr", ["Q", "R"])


def svd(input, some: bool = True, compute_uv: bool = True):
    """torch.svd: A = U diag(S) Vᵀ with V (not Vh); reduced if ``some``, else U (…, m, m) and
    V (…, n, n). With compute_uv=False, U and V are zeros of the full shapes and only S (with
    its gradient) is computed, as torch."""
    A = _matrix("svd", input)
    if not compute_uv:
        xp = backend.get_array_module(A.data)
        m, n = A.shape[-2:]
        batch = tuple(A.shape[:-2])
        U = as_tensor(xp.zeros(batch + (m, m), dtype=A.dtype))
        V = as_tensor(xp.zeros(batch + (n, n), dtype=A.dtype))
        return svd_result(U, svdvals(A), V)
    U, S, Vh = _svd(A, full_matrices=not some)
    return svd_result(U, S, Vh.mT)


def qr(input, some: bool = True):
    """torch.qr: the reduced QR decomposition if ``some``, else the complete one."""
    return qr_result(*_qr(input, mode="reduced" if some else "complete"))


def cholesky(input, upper: bool = False):
    """torch.cholesky (deprecated there): L with A = L Lᵀ, or U with A = Uᵀ U if ``upper``."""
    return _cholesky(input, upper=upper)


def lu_solve(b, LU_data, LU_pivots):
    """torch.lu_solve: X with A X = b, from lu_factor's (LU_data, LU_pivots) of A."""
    return _lu_solve(LU_data, LU_pivots, b)


def lu(A, pivot: bool = True, get_infos: bool = False):
    """torch.lu (deprecated there): (A_LU, pivots), or (A_LU, pivots, infos) with
    ``get_infos``, as lu_factor_ex gives; a singular A is factored without complaint, as torch."""
    LU, piv, info = lu_factor_ex(A, pivot=pivot)
    return (LU, piv, info) if get_infos else (LU, piv)


__all__ = ["svd", "qr", "cholesky", "lu_solve", "lu"]
