"""Helpers shared by the linear-algebra ops (decomposition.py, triangular.py, lu.py, ...).

Each works on arrays and on Tensors alike, so that one backward body serves both the fast
path (arrays) and the differentiable one (Tensors, under ``create_graph``).
"""

from __future__ import annotations

from .. import backend
from ..tensor import Tensor, as_tensor
from .linalg import EmbedDiagonal, _embed_nd, diagonal
from .shape import cat


class LinAlgError(ValueError):
    """A matrix that the op cannot factor or invert (singular, not positive-definite), as
    torch.linalg.LinAlgError; a ValueError here, like chainrule's other bad-input errors."""


def _mT(x):
    return x.mT if isinstance(x, Tensor) else x.swapaxes(-1, -2)


def _xp(x):
    return backend.get_array_module(x.data if isinstance(x, Tensor) else x)


def _eye(n, x):
    """The constant n×n identity, of x's dtype and device."""
    return _xp(x).eye(n, dtype=x.dtype)


def _diag_embed(v):
    """v (..., n) on the diagonals of zero (..., n, n) matrices."""
    shape = tuple(v.shape) + (v.shape[-1],)
    if isinstance(v, Tensor):
        return EmbedDiagonal(0, v.ndim - 1, v.ndim, shape)(v)
    return _embed_nd(v, 0, v.ndim - 1, v.ndim, shape)


def _row(v):  # (..., n) → (..., 1, n)
    return v.reshape(tuple(v.shape[:-1]) + (1, v.shape[-1]))


def _col(v):  # (..., n) → (..., n, 1)
    return v.reshape(tuple(v.shape) + (1,))


def _tril(x, k=0):
    return x.tril(k) if isinstance(x, Tensor) else _xp(x).tril(x, k)


def _triu(x, k=0):
    return x.triu(k) if isinstance(x, Tensor) else _xp(x).triu(x, k)


def _diagonal(x):
    return diagonal(x, 0, -2, -1) if isinstance(x, Tensor) else _xp(x).diagonal(x, 0, -2, -1)


def _cat(xs, dim):
    if any(isinstance(x, Tensor) for x in xs):
        return cat([as_tensor(x) for x in xs], dim=dim)
    return _xp(xs[0]).concatenate(xs, axis=dim)


def _matrix(op, A, square=False):
    """A as a floating Tensor of (…, m, n) matrices (square ones if ``square``), or an error."""
    A = as_tensor(A)
    if A.ndim < 2 or (square and A.shape[-1] != A.shape[-2]):
        what = "a square matrix" if square else "a matrix"
        raise ValueError(f"{op}: expected {what} or a batch of them, got shape {A.shape}")
    if A.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point tensor, got {A.dtype}")
    return A


def _square(op, A):
    return _matrix(op, A, square=True)


def _lapack(op, f, *args, **kw):
    """f(*args, **kw), with LAPACK's complaint about a singular matrix as a LinAlgError. Each
    array of a tuple result is made an array of the input's module (a NumPy scalar or a
    NumPy result would otherwise leave the device)."""
    xp = backend.get_array_module(args[0])
    try:
        y = f(*args, **kw)
    except backend.np.linalg.LinAlgError as e:
        raise LinAlgError(f"{op}: the input is singular or not decomposable ({e})") from e
    return tuple(xp.asarray(a) for a in y) if isinstance(y, tuple) else xp.asarray(y)


def _cholesky_info(A):
    """LAPACK's potrf info for each (…, n, n) array: the order of the first leading minor that
    is not positive-definite (1-based), 0 if none; from a column-by-column Cholesky of A's lower
    triangle."""
    xp = backend.get_array_module(A)
    n = A.shape[-1]
    L = xp.tril(A).reshape((-1, n, n)).copy()
    info = xp.zeros(L.shape[0], dtype=xp.int32)
    for j in range(n):
        d = L[:, j, j] - (L[:, j, :j] ** 2).sum(axis=-1)
        info = xp.where((info == 0) & ~(d > 0), xp.int32(j + 1), info).astype(xp.int32)
        r = xp.sqrt(xp.where(d > 0, d, xp.asarray(1, dtype=A.dtype)))
        L[:, j, j] = r
        L[:, j + 1 :, j] = (L[:, j + 1 :, j] - (L[:, j + 1 :, :j] * L[:, j, None, :j]).sum(-1)) / r[
            :, None
        ]
    return info.reshape(A.shape[:-2])
