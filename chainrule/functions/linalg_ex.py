"""The ``_ex`` variants of torch.linalg: cholesky_ex, inv_ex, solve_ex (lu_factor_ex is in
lu.py). Each returns its result with ``info`` (int32, one per matrix: 0 for success, else
LAPACK's code) instead of raising, unless ``check_errors``.

The matrices that fail are replaced by the identity before the differentiable op runs, and
their results by NaN (torch leaves whatever LAPACK wrote there); the others get their usual
values and gradients.
"""

from __future__ import annotations

from collections import namedtuple

from .. import backend
from ..tensor import as_tensor
from .arithmetic import where
from .decomposition import cholesky, inverse, solve
from .lu import _getrf
from .matrix_util import LinAlgError, _cholesky_info, _square

cholesky_ex_result = namedtuple("cholesky_ex", ["L", "info"])
inv_ex_result = namedtuple("inv_ex", ["inverse", "info"])
solve_ex_result = namedtuple("solve_ex", ["result", "info"])


def _info(A, factor, code):
    """info (…) int32: zeros if ``factor`` succeeds on the whole batch, else ``code``(A)."""
    xp = backend.get_array_module(A)
    try:
        factor(A)
    except backend.np.linalg.LinAlgError:
        return code(A)
    return xp.zeros(A.shape[:-2], dtype=xp.int32)


def _guarded(op, A, info, check_errors, what):
    """(A with each failed matrix replaced by I, the failure mask (…, 1, 1)), or a LinAlgError
    for the first failure if ``check_errors``."""
    bad = info > 0
    host = backend.to_host(info).reshape(-1)
    if check_errors and (host > 0).any():
        b = int((host > 0).argmax())
        raise LinAlgError(f"{op}: (batch element {b}) {what} (info = {int(host[b])})")
    xp = backend.get_array_module(info)
    mask = bad[..., None, None]
    return where(mask, xp.eye(A.shape[-1], dtype=A.dtype), A), mask


def cholesky_ex(A, *, upper: bool = False, check_errors: bool = False):
    """(L, info): ``cholesky`` of A (…, n, n), with info the order of the first leading minor
    that is not positive-definite (0 if none); L is NaN for those matrices."""
    A = _square("cholesky_ex", A)
    xp = backend.get_array_module(A.data)
    info = _info(A.data, xp.linalg.cholesky, _cholesky_info)
    what = "the input is not positive-definite"
    A2, mask = _guarded("cholesky_ex", A, info, check_errors, what)
    L = where(mask, float("nan"), cholesky(A2, upper=upper)).to(A.dtype)
    return cholesky_ex_result(L, as_tensor(info))


def _lu_info(A):
    return _getrf(A)[2]


def inv_ex(A, *, check_errors: bool = False):
    """(A⁻¹, info): ``inverse`` of A (…, n, n), with info the 1-based index of the first zero
    pivot of A's LU factorization (0 if none); the inverse is NaN for those matrices."""
    A = _square("inv_ex", A)
    xp = backend.get_array_module(A.data)
    info = _info(A.data, xp.linalg.inv, _lu_info)
    A2, mask = _guarded("inv_ex", A, info, check_errors, "the input is singular")
    return inv_ex_result(where(mask, float("nan"), inverse(A2)).to(A.dtype), as_tensor(info))


def solve_ex(A, B, *, left: bool = True, check_errors: bool = False):
    """(X, info): ``solve`` of A X = B (or X A = B), with info as in ``inv_ex``; X is NaN
    for the singular matrices."""
    A = _square("solve_ex", A)
    xp = backend.get_array_module(A.data)
    info = _info(A.data, xp.linalg.inv, _lu_info)
    A2, mask = _guarded("solve_ex", A, info, check_errors, "the input is singular")
    X = solve(A2, B, left=left)
    mask = mask.reshape(mask.shape[:-2] + (1,) * (X.ndim - (A.ndim - 2)))
    return solve_ex_result(where(mask, float("nan"), X).to(A.dtype), as_tensor(info))


__all__ = ["cholesky_ex", "inv_ex", "solve_ex"]
