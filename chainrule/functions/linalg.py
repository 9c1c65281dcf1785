"""Matrix multiplication: 1-D, 2-D and batched with broadcasting, as ``torch.matmul``.

For y = a @ b: ∂L/∂a = g @ bᵀ and ∂L/∂b = aᵀ @ g, with batch dimensions that were broadcast
summed away, and 1-D operands treated as a row (left) or column (right) vector.
"""

from __future__ import annotations

import warnings

from .. import backend
from ..autograd.function import Function
from ..tensor import Tensor, as_tensor
from .arithmetic import _promote_types
from .shape import broadcast_shapes, broadcast_to, cat, narrow, pad, sum_to


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


# ------------------------------------------------------------------ products
def _scaled_sum(op, input, y, beta, alpha):
    """β·input + α·y, input broadcast to y's shape; β = 0 ignores input (its NaNs too)."""
    if alpha != 1:
        y = y * alpha
    if beta == 0:
        return y
    input = as_tensor(input)
    if broadcast_shapes(input.shape, y.shape, op=op) != y.shape:  # input may not grow y
        raise ValueError(f"{op}: input of shape {input.shape} doesn't broadcast to {y.shape}")
    return (input if beta == 1 else input * beta) + y


_MV, _B = "a 2-D and a 1-D tensor", "3-D tensors"


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """β·input + α·(mat @ vec): mat (n, m), vec (m,), input broadcastable to (n,)."""
    y = matmul(*_of_ranks("addmv", mat, vec, (2, 1), _MV))
    return _scaled_sum("addmv", input, y, beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """β·input + α·(vec1 ⊗ vec2): the outer product (n, m) of vec1 (n,) and vec2 (m,)."""
    a, b = _of_ranks("addr", vec1, vec2, (1, 1), "1-D tensors")
    return _scaled_sum("addr", input, outer(a, b), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """β·input + α·(batch1 @ batch2) per batch: (b, n, k) @ (b, k, m) gives (b, n, m)."""
    y = matmul(*_of_ranks("baddbmm", batch1, batch2, (3, 3), _B))
    return _scaled_sum("baddbmm", input, y, beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """β·input + α·Σ_b batch1[b] @ batch2[b]: the batch of products, summed to one (n, m)."""
    y = matmul(*_of_ranks("addbmm", batch1, batch2, (3, 3), _B)).sum(dim=0)
    return _scaled_sum("addbmm", input, y, beta, alpha)


def inner(input, other):
    """Σ_k a[..., k] b[..., k] over the last dims: shape a.shape[:-1] + b.shape[:-1]; a 0-d
    operand multiplies instead."""
    a, b = as_tensor(input), as_tensor(other)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    k = a.shape[-1]
    if b.shape[-1] != k:
        raise ValueError(
            f"inner: last dimensions must match, got shapes {a.shape} and {b.shape}: "
            f"{k} != {b.shape[-1]}"
        )
    y = matmul(a.reshape(-1, k), b.reshape(-1, k).mT)
    return y.reshape(a.shape[:-1] + b.shape[:-1])


def vdot(input, other):
    """Σ_k a_k b_k of two 1-D tensors (real: no conjugation)."""
    return matmul(*_of_ranks("vdot", input, other, (1, 1), "1-D tensors"))


def cross(input, other, dim=None):
    """The 3-vector cross product along ``dim`` (size 3), broadcasting the other dims:
    y = (a₁b₂ − a₂b₁, a₂b₀ − a₀b₂, a₀b₁ − a₁b₀). Without ``dim`` (deprecated in torch, with the
    same warning), the first dimension of size 3."""
    a, b = as_tensor(input), as_tensor(other)
    if a.ndim != b.ndim:
        raise ValueError(
            f"cross: inputs must have the same number of dimensions, got shapes {a.shape} "
            f"and {b.shape}"
        )
    shape = broadcast_shapes(a.shape, b.shape, op="cross")
    if dim is None:
        warnings.warn(
            "Using torch.cross without specifying the dim arg is deprecated. Please either "
            "pass the dim explicitly or simply use torch.linalg.cross.",
            UserWarning,
            stacklevel=2,
        )
        dim = next((i for i, n in enumerate(shape) if n == 3), None)
        if dim is None:
            raise ValueError(f"cross: no dimension of size 3 in shapes {a.shape} and {b.shape}")
    if not -len(shape) <= dim < len(shape) or shape[dim] != 3:
        raise ValueError(
            f"cross: dimension {dim} must have size 3, got shapes {a.shape} and {b.shape}"
        )
    return _cross(broadcast_to(a, shape), broadcast_to(b, shape), dim % len(shape))


def _cross(a, b, d):
    a0, a1, a2 = (narrow(a, d, i, 1) for i in range(3))
    b0, b1, b2 = (narrow(b, d, i, 1) for i in range(3))
    return cat([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], dim=d)


def linalg_cross(input, other, *, dim=-1):
    """torch.linalg.cross: ``cross`` along ``dim`` (default the last)."""
    return cross(input, other, dim=dim)


def multi_dot(tensors):
    """A₁ @ A₂ @ … @ Aₙ in the order of fewest multiplications; the first may be 1-D (a row),
    the last 1-D (a column), the others 2-D."""
    ts = [as_tensor(t) for t in tensors]
    if len(ts) < 2:
        raise ValueError(f"multi_dot: expected at least 2 tensors, got {len(ts)}")
    for i, t in enumerate(ts):
        ok = t.ndim == 2 or (t.ndim == 1 and i in (0, len(ts) - 1))
        if not ok:
            raise ValueError(
                f"multi_dot: tensor {i} must be 2-D (1-D allowed first and last), "
                f"got shape {t.shape}"
            )
    first, last = ts[0].ndim == 1, ts[-1].ndim == 1
    if first:
        ts[0] = ts[0].reshape(1, -1)
    if last:
        ts[-1] = ts[-1].reshape(-1, 1)
    for i in range(len(ts) - 1):
        if ts[i].shape[1] != ts[i + 1].shape[0]:
            raise ValueError(
                f"multi_dot: tensors {i} and {i + 1} don't align: shapes {ts[i].shape} and "
                f"{ts[i + 1].shape}"
            )
    y = _chain(ts, _chain_order([t.shape[0] for t in ts] + [ts[-1].shape[1]]), 0, len(ts) - 1)
    if first and last:
        return y.reshape(())
    return y.reshape(-1) if first or last else y


def _chain_order(dims):
    """split[i][j]: where the cheapest product of matrices i..j splits (the textbook DP)."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def _chain(ts, split, i, j):
    if i == j:
        return ts[i]
    k = split[i][j]
    return matmul(_chain(ts, split, i, k), _chain(ts, split, k + 1, j))


def chain_matmul(*matrices):
    """A₁ @ … @ Aₙ of 2-D matrices (torch's deprecated spelling of multi_dot)."""
    for i, m in enumerate(matrices):
        if as_tensor(m).ndim != 2:
            raise ValueError(f"chain_matmul: tensor {i} must be 2-D, got shape {m.shape}")
    if len(matrices) == 1:
        return as_tensor(matrices[0]) * 1
    return multi_dot(matrices)


# ------------------------------------------------------------------ diagonals
class Diagonal(Function):
    """y = the ``offset``-th diagonal of the (dim1, dim2) planes, as a new last dimension;
    the gradient puts gy back on that diagonal of zeros."""

    def __init__(self, offset, dim1, dim2):
        self.offset, self.dim1, self.dim2 = offset, dim1, dim2

    def forward(self, x):
        self.shape = x.shape
        xp = backend.get_array_module(x)
        return xp.diagonal(x, self.offset, self.dim1, self.dim2).copy()

    def backward(self, gy):
        if isinstance(gy, Tensor):
            return EmbedDiagonal(self.offset, self.dim1, self.dim2, self.shape)(gy)
        return _embed_nd(gy, self.offset, self.dim1, self.dim2, self.shape)


class EmbedDiagonal(Function):
    """A zero tensor of ``shape`` with the last dimension of x on the ``offset``-th diagonal of
    its (dim1, dim2) planes; the gradient reads that diagonal back."""

    def __init__(self, offset, dim1, dim2, shape):
        self.offset, self.dim1, self.dim2, self.shape = offset, dim1, dim2, shape

    def forward(self, v):
        return _embed_nd(v, self.offset, self.dim1, self.dim2, self.shape)

    def backward(self, gy):
        if isinstance(gy, Tensor):
            return Diagonal(self.offset, self.dim1, self.dim2)(gy)
        xp = backend.get_array_module(gy)
        return xp.diagonal(gy, self.offset, self.dim1, self.dim2).copy()


def _embed_nd(v, offset, dim1, dim2, shape):
    xp = backend.get_array_module(v)
    out = xp.zeros(shape, dtype=v.dtype)
    planes = xp.moveaxis(out, (dim1, dim2), (-2, -1))  # a writable view of out
    i = xp.arange(v.shape[-1])
    rows, cols = (i, i + offset) if offset >= 0 else (i - offset, i)
    planes[..., rows, cols] = v
    return out


def _two_dims(op, dim1, dim2, ndim, shape):
    if not (-ndim <= dim1 < ndim and -ndim <= dim2 < ndim):
        raise IndexError(
            f"{op}: dims ({dim1}, {dim2}) out of range for {ndim} dimensions (shape {shape})"
        )
    d1, d2 = dim1 % ndim, dim2 % ndim
    if d1 == d2:
        raise ValueError(f"{op}: dim1 and dim2 must differ, got {dim1} and {dim2}")
    return d1, d2


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The ``offset``-th diagonal (above the main one for offset > 0) of the planes spanned by
    dim1 and dim2, as a last dimension: (3, 4) → (3,); (2, 3, 3) with dim1=1, dim2=2 → (2, 3).
    A copy, unlike torch's view: writing into it leaves the input alone."""
    x = as_tensor(input)
    d1, d2 = _two_dims("diagonal", dim1, dim2, x.ndim, x.shape)
    return Diagonal(int(offset), d1, d2)(x)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """The last dimension of ``input`` (n,) on the ``offset``-th diagonal of new
    (n + |offset|)² planes at dim1, dim2 (counted in the output); the rest zeros."""
    x = as_tensor(input)
    if x.ndim == 0:
        raise ValueError("diag_embed: expected at least 1 dimension, got shape ()")
    d1, d2 = _two_dims("diag_embed", dim1, dim2, x.ndim + 1, x.shape)
    m = x.shape[-1] + abs(int(offset))
    shape = list(x.shape[:-1])
    for d in sorted((d1, d2)):
        shape.insert(d, m)
    return EmbedDiagonal(int(offset), d1, d2, tuple(shape))(x)


def diagflat(input, offset=0):
    """The flattened input on the ``offset``-th diagonal of a square matrix."""
    x = as_tensor(input)
    return diag_embed(x.reshape(-1), offset)


def block_diag(*tensors):
    """The tensors (0-, 1- or 2-D; 1-D as a row) as blocks down the diagonal of one zero
    matrix: shapes (a, b) and (c, d) give (a + c, b + d)."""
    blocks = []
    for i, t in enumerate(tensors):
        t = as_tensor(t)
        if t.ndim > 2:
            raise ValueError(
                f"block_diag: input {i} must have 2 or fewer dimensions, got shape {t.shape}"
            )
        blocks.append(t.reshape(1, 1) if t.ndim == 0 else t.reshape(1, -1) if t.ndim == 1 else t)
    if not blocks:
        return as_tensor(backend.np.zeros((1, 0), dtype="float32"))
    dtype = blocks[0].dtype
    for b in blocks[1:]:
        dtype = _promote_types(dtype, b.dtype)
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        b = b.to(dtype)
        rows.append(pad(b, (left, width - left - b.shape[1])))
        left += b.shape[1]
    return cat(rows, dim=0)


__all__ = [
    "matmul",
    "mm",
    "bmm",
    "dot",
    "mv",
    "outer",
    "addmm",
    "diag",
    "trace",
    "addmv",
    "addr",
    "baddbmm",
    "addbmm",
    "inner",
    "vdot",
    "cross",
    "linalg_cross",
    "multi_dot",
    "chain_matmul",
    "diagonal",
    "diag_embed",
    "diagflat",
    "block_diag",
]
