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


def mm(a, b):
    """2-D matrix product."""
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"mm: expected 2-D tensors, got shapes {a.shape} and {b.shape}")
    return matmul(a, b)


def bmm(a, b):
    """Batched 3-D matrix product."""
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim != 3 or b.ndim != 3:
        raise ValueError(f"bmm: expected 3-D tensors, got shapes {a.shape} and {b.shape}")
    return matmul(a, b)


def dot(a, b):
    """Inner product of two 1-D tensors."""
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"dot: expected 1-D tensors, got shapes {a.shape} and {b.shape}")
    return matmul(a, b)


__all__ = ["matmul", "mm", "bmm", "dot"]
