"""``cr.linalg``: torch.linalg's names over chainrule's ops, and the norms.

    cr.linalg.solve(A, b)          cr.linalg.norm(x, ord=1)          cr.linalg.eigh(S)

The decompositions live in ``functions/decomposition.py`` and ``functions/lu.py``, triangular
solves in ``functions/triangular.py``, matrix_exp and lstsq in ``functions/matrix_functions.py``,
the products in ``functions/linalg.py``; the norms and ``cond`` are compositions of reductions
(and of ``svdvals`` for the nuclear and spectral norms), so their gradients and second
derivatives come from those. eig and eigvals are absent: they need complex dtypes.
"""

from __future__ import annotations

from .functions.arithmetic import where
from .functions.decomposition import (
    cholesky,
    det,
    eigh,
    eigvalsh,
    inverse,
    matrix_power,
    pinv,
    qr,
    slogdet,
    solve,
    svd,
    svdvals,
)
from .functions.linalg import diagonal as _diagonal
from .functions.linalg import linalg_cross, matmul, multi_dot
from .functions.linalg_ex import cholesky_ex, inv_ex, solve_ex
from .functions.lu import lu, lu_factor, lu_factor_ex, lu_solve
from .functions.matrix_functions import (
    lstsq,
    matrix_exp,
    matrix_rank,
    tensorinv,
    tensorsolve,
    vander,
    vecdot,
)
from .functions.matrix_util import LinAlgError
from .functions.reduction import amax, amin
from .functions.reduction import norm as _norm
from .functions.triangular import solve_triangular
from .tensor import as_tensor

_INF = float("inf")


def inv(A):
    """A⁻¹ (torch.linalg.inv)."""
    return inverse(A)


def cross(input, other, *, dim=-1):
    """The 3-vector cross product along ``dim`` (default the last), broadcasting."""
    return linalg_cross(input, other, dim=dim)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The ``offset``-th diagonal of the matrices in the last two dims (torch.linalg.diagonal)."""
    return _diagonal(A, offset, dim1, dim2)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """(Σ|x|^ord)^(1/ord) over ``dim`` (all elements if None); ord inf / −inf: max / min |x|,
    0: the count of nonzeros."""
    x = as_tensor(x)
    if dtype is not None:
        x = x.to(dtype)
    if x.dtype.kind != "f":
        raise TypeError(f"vector_norm: expected a floating-point tensor, got {x.dtype}")
    return _norm(x, ord, dim, keepdim)


def _two(dim, ndim, shape, op):
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise ValueError(f"{op}: dim must be a pair of dims, got {dim!r}")
    if ndim < 2:
        raise ValueError(f"{op}: expected a matrix or a batch of them, got shape {shape}")
    for d in dim:
        if not -ndim <= d < ndim:
            raise IndexError(f"{op}: dim {d} out of range for shape {shape}")
    d0, d1 = dim[0] % ndim, dim[1] % ndim
    if d0 == d1:
        raise ValueError(f"{op}: dims must differ, got {dim!r}")
    return d0, d1


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):  # noqa: A002
    """The matrix norm over dims (rows, cols): 'fro' √Σa², 'nuc' Σσ, 1 / −1 the max / min
    column sum of |a|, inf / −inf the max / min row sum, 2 / −2 the largest / smallest σ."""
    A = as_tensor(A)
    if dtype is not None:
        A = A.to(dtype)
    if A.dtype.kind != "f":
        raise TypeError(f"matrix_norm: expected a floating-point tensor, got {A.dtype}")
    d0, d1 = _two(dim, A.ndim, A.shape, "matrix_norm")
    if ord == "fro":
        return _norm(A, 2, (d0, d1), keepdim)
    if ord in (1, -1, _INF, -_INF):
        over, across = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = A.abs().sum(dim=over, keepdim=True)
        y = (amax if ord > 0 else amin)(sums, across, True)
    elif ord in ("nuc", 2, -2):
        s = svdvals(A.movedim((d0, d1), (-2, -1)))
        y = s.sum(dim=-1) if ord == "nuc" else (amax if ord == 2 else amin)(s, -1)
        for d in sorted((d0, d1)):
            y = y.unsqueeze(d)
    else:
        raise ValueError(f"matrix_norm: unsupported ord {ord!r}")
    if keepdim:
        return y
    return y.reshape(tuple(n for i, n in enumerate(y.shape) if i not in (d0, d1)))


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """A vector norm (``dim`` an int, or a 1-D A) or a matrix norm (``dim`` a pair, or a 2-D
    A); with neither ord nor dim, the 2-norm of all elements."""
    A = as_tensor(A)
    if isinstance(dim, int) or (isinstance(dim, (tuple, list)) and len(dim) == 1):
        return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
    if dim is None:
        if ord is None:
            return vector_norm(A, 2, None, keepdim, dtype=dtype)
        if A.ndim == 1:
            return vector_norm(A, ord, None, keepdim, dtype=dtype)
        if A.ndim != 2:
            raise ValueError(f"norm: with ord and no dim, A must be 1-D or 2-D, got {A.shape}")
        dim = (-2, -1)
    return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)


def cond(A, p=None):
    """The condition number of A (…, m, n) in the norm ``p``: for p None or 2, σ_max / σ_min
    (and −2: σ_min / σ_max), any shape; for 'fro', 'nuc', inf, −inf, 1, −1,
    ‖A‖_p ‖A⁻¹‖_p of square A, inf where A is singular."""
    A = as_tensor(A)
    if A.ndim < 2:
        raise ValueError(f"cond: expected a matrix or a batch of them, got shape {A.shape}")
    if p in (None, 2, -2):
        s = svdvals(A)
        big, small = s[..., 0], s[..., -1]
        return big / small if p != -2 else small / big
    if p not in ("fro", "nuc", 1, -1, _INF, -_INF):
        raise ValueError(f"cond: unsupported p {p!r}")
    if A.shape[-1] != A.shape[-2]:
        raise ValueError(f"cond: p={p!r} needs square matrices, got shape {A.shape}")
    Ainv, info = inv_ex(A)
    y = matrix_norm(A, p) * matrix_norm(Ainv, p)
    return where(info.data > 0, _INF, y)


__all__ = [
    "LinAlgError",
    "cond",
    "lstsq",
    "lu",
    "lu_factor",
    "lu_factor_ex",
    "lu_solve",
    "solve_triangular",
    "matrix_exp",
    "matrix_rank",
    "vecdot",
    "vander",
    "tensorinv",
    "tensorsolve",
    "cholesky_ex",
    "inv_ex",
    "solve_ex",
    "det",
    "inv",
    "slogdet",
    "norm",
    "vector_norm",
    "matrix_norm",
    "solve",
    "cross",
    "multi_dot",
    "matrix_power",
    "eigh",
    "eigvalsh",
    "svd",
    "svdvals",
    "pinv",
    "qr",
    "cholesky",
    "diagonal",
    "matmul",
]
