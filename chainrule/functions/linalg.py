"""Matrix multiplication: 1-D, 2-D and batched with broadcasting, as ``torch.matmul``.

For y = a @ b: ∂L/∂a = g @ bᵀ and ∂L/∂b = aᵀ @ g, with batch dimensions that were broadcast
summed away, and 1-D operands treated as a row (left) or column (right) vector.
"""

from __future__ import annotations

from .. import backend
from ..autograd.function import Function
from ..tensor import Tensor, as_tensor
from .shape import sum_to


def _mT(x):
    return x.swapaxes(-1, -2)


def _mm(a, b):
    """a @ b: arrays go through the backend (BLAS threads sized to the product)."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return a @ b
    return backend.matmul(a, b)


class MatMul(Function):
    def forward(self, a, b):
        self.save_for_backward(a, b)
        return backend.matmul(a, b)

    def backward(self, gy):
        a, b = self.saved
        na, nb = self.needs_input_grad
        if a.ndim == 2 and b.ndim == 2:  # the common case, kept lean
            return (_mm(gy, b.T) if na else None, _mm(a.T, gy) if nb else None)
        if a.ndim == 1 and b.ndim == 1:
            return (gy * b if na else None, gy * a if nb else None)
        a2, b2, g = a, b, gy
        if a.ndim == 1:  # a row vector: (k,) -> (1, k)
            a2 = a.reshape((1,) + a.shape)
            g = g.reshape(g.shape[:-1] + (1, g.shape[-1]))
        if b.ndim == 1:  # a column vector: (k,) -> (k, 1)
            b2 = b.reshape(b.shape + (1,))
            g = g.reshape(g.shape + (1,))
        ga = sum_to(_mm(g, _mT(b2)), a2.shape).reshape(a.shape) if na else None
        gb = sum_to(_mm(_mT(a2), g), b2.shape).reshape(b.shape) if nb else None
        return ga, gb


def matmul(a, b):
    """Matrix product with torch's rules: (n,k)@(k,m), batched (...,n,k)@(...,k,m) with
    broadcast batch dims, and 1-D operands as vectors. Raises naming both shapes."""
    if not isinstance(a, Tensor):
        a = as_tensor(a)
    if not isinstance(b, Tensor):
        b = as_tensor(b)
    try:
        return MatMul()(a, b)
    except ValueError:
        pass  # NumPy refused: explain with both shapes
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul: both arguments need at least 1 dimension, got shapes {a.shape} and {b.shape}"
        )
    ka = a.shape[-1]
    kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if ka != kb:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} don't align: {ka} != {kb}")
    raise ValueError(
        f"matmul: batch dimensions of shapes {a.shape} and {b.shape} cannot be broadcast together"
    )


def _of_ranks(op, a, b, ranks, want):
    """a and b as Tensors, or a ValueError naming both shapes if their ranks aren't ``ranks``."""
    a, b = as_tensor(a), as_tensor(b)
    if (a.ndim, b.ndim) != ranks:
        raise ValueError(f"{op}: expected {want}, got shapes {a.shape} and {b.shape}")
    return a, b


def mm(a, b):
    """2-D matrix product."""
    return matmul(*_of_ranks("mm", a, b, (2, 2), "2-D tensors"))


def bmm(a, b):
    """Batched 3-D matrix product."""
    return matmul(*_of_ranks("bmm", a, b, (3, 3), "3-D tensors"))


def dot(a, b):
    """Inner product of two 1-D tensors."""
    return matmul(*_of_ranks("dot", a, b, (1, 1), "1-D tensors"))


def mv(a, v):
    """Matrix (n, k) times vector (k,)."""
    return matmul(*_of_ranks("mv", a, v, (2, 1), "a 2-D and a 1-D tensor"))


def outer(a, b):
    """The outer product a bᵀ of two 1-D tensors: (n,) and (m,) give (n, m)."""
    a, b = _of_ranks("outer", a, b, (1, 1), "1-D tensors")
    return a.reshape(-1, 1) * b.reshape(1, -1)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """β·input + α·(mat1 @ mat2), input broadcast to the product's shape."""
    y = mm(mat1, mat2)
    if alpha != 1:
        y = y * alpha
    if beta == 0:  # torch: input is ignored (its NaNs too)
        return y
    return (input if beta == 1 else input * beta) + y


class _Diagonal(Function):
    """The ``offset``-th diagonal of a matrix as a vector; the gradient puts gy back on that
    diagonal of zeros."""

    def __init__(self, offset):
        self.offset = offset

    def forward(self, x):
        self.shape = x.shape
        return backend.get_array_module(x).diagonal(x, self.offset).copy()

    def backward(self, gy):
        return (
            _DiagEmbed(self.offset, self.shape)(gy)
            if isinstance(gy, Tensor)
            else (_embed(gy, self.offset, self.shape))
        )


class _DiagEmbed(Function):
    """A vector on the ``offset``-th diagonal of a zero matrix of ``shape``; the gradient
    reads that diagonal back."""

    def __init__(self, offset, shape):
        self.offset, self.shape = offset, shape

    def forward(self, v):
        return _embed(v, self.offset, self.shape)

    def backward(self, gy):
        if isinstance(gy, Tensor):
            return _Diagonal(self.offset)(gy)
        return backend.get_array_module(gy).diagonal(gy, self.offset).copy()


def _embed(v, offset, shape):
    xp = backend.get_array_module(v)
    out = xp.zeros(shape, dtype=v.dtype)
    i = xp.arange(v.shape[0])
    rows, cols = (i, i + offset) if offset >= 0 else (i - offset, i)
    out[rows, cols] = v
    return out


def diag(x, diagonal=0):
    """For a 1-D x, the square matrix with x on its ``diagonal``-th diagonal; for a 2-D x, that
    diagonal as a vector (as torch.diag)."""
    x = as_tensor(x)
    k = int(diagonal)
    if x.ndim == 1:
        n = x.shape[0] + abs(k)
        return _DiagEmbed(k, (n, n))(x)
    if x.ndim == 2:
        return _Diagonal(k)(x)
    raise ValueError(f"diag: expected a 1-D or 2-D tensor, got shape {x.shape}")


def trace(x):
    """The sum of a matrix's main diagonal."""
    x = as_tensor(x)
    if x.ndim != 2:
        raise ValueError(f"trace: expected a 2-D tensor, got shape {x.shape}")
    return _Diagonal(0)(x).sum()


__all__ = ["matmul", "mm", "bmm", "dot", "mv", "outer", "addmm", "diag", "trace"]
