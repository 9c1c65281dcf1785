"""Matrix functions and least squares: matrix_exp, lstsq, matrix_rank, vecdot, vander,
tensorinv, tensorsolve and renorm, batched over leading dimensions, as torch.

matrix_exp is a Function (Padé approximation with scaling and squaring); the rest are short
compositions of differentiable ops, so their gradients (and second derivatives) come from those.
"""

from __future__ import annotations

import math
from collections import namedtuple

from .. import backend
from ..autograd.function import Function
from ..tensor import Tensor, as_tensor
from .arithmetic import where
from .cumulative import cumprod
from .decomposition import inverse, pinv, solve
from .linalg import matmul
from .matrix_util import _cat, _matrix, _mT, _square
from .reduction import norm as _norm
from .shape import cat

lstsq_result = namedtuple("lstsq", ["solution", "residuals", "rank", "singular_values"])

# ------------------------------------------------------------------ matrix_exp
# Higham (2005): the [13/13] Padé approximant is exact to float64 rounding for ‖A‖₁ ≤ θ₁₃
_THETA13 = 5.371920351148152
_B13 = (
    64764752532480000.0,
    32382376266240000.0,
    7771770303897600.0,
    1187353796428800.0,
    129060195264000.0,
    10559470521600.0,
    670442572800.0,
    33522128640.0,
    1323241920.0,
    40840800.0,
    960960.0,
    16380.0,
    182.0,
    1.0,
)


def _expm_arrays(A):
    """exp(A) of (…, n, n) arrays: A / 2ˢ (s per matrix, from its 1-norm) through the [13/13]
    Padé approximant r = (V − U)⁻¹ (V + U), then squared s times."""
    xp = backend.get_array_module(A)
    n = A.shape[-1]
    if n == 0 or A.size == 0:
        return A.copy()
    norm1 = backend.to_host(xp.abs(A).sum(axis=-2).max(axis=-1))
    np = backend.np
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.ceil(np.log2(np.asarray(norm1, dtype="float64") / _THETA13))
    s = np.where(np.isfinite(s) & (s > 0), s, 0).astype("int64")
    A = A * xp.asarray(np.ldexp(1.0, -s), dtype=A.dtype)[..., None, None]
    b = _B13
    eye = xp.eye(n, dtype=A.dtype)
    A2 = A @ A
    A4 = A2 @ A2
    A6 = A4 @ A2
    U = A @ (A6 @ (b[13] * A6 + b[11] * A4 + b[9] * A2) + b[7] * A6 + b[5] * A4 + b[3] * A2
             + b[1] * eye)  # fmt: skip
    V = A6 @ (b[12] * A6 + b[10] * A4 + b[8] * A2) + b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * eye
    R = xp.linalg.solve(V - U, V + U)
    steps = xp.asarray(s)[..., None, None]
    for i in range(int(s.max()) if s.size else 0):
        R = xp.where(steps > i, R @ R, R)
    return R


class MatrixExp(Function):
    """Y = exp(A) = Σ Aᵏ/k!. With the block identity exp([[Aᵀ, G], [0, Aᵀ]]) =
    [[exp(Aᵀ), D], [0, exp(Aᵀ)]], the Fréchet derivative's adjoint is ∂L/∂A = D (Mathias 1996,
    as torch); under create_graph the block exp is this op again."""

    def forward(self, A):
        self.save_for_backward(A)
        return _expm_arrays(A)

    def backward(self, gy):
        (A,) = self._saved_as_tensors() if isinstance(gy, Tensor) else self.saved
        n = A.shape[-1]
        At = _mT(A)
        zero = backend.get_array_module(A.data if isinstance(A, Tensor) else A).zeros(
            A.shape, dtype=A.dtype
        )
        M = _cat([_cat([At, gy], -1), _cat([zero, At], -1)], -2)
        E = MatrixExp()(M) if isinstance(M, Tensor) else _expm_arrays(M)
        return E[..., :n, n:]


def matrix_exp(A):
    """exp(A) = Σₖ Aᵏ/k! of square matrices (…, n, n). Gradient: see ``MatrixExp``."""
    return MatrixExp()(_square("matrix_exp", A))


# ------------------------------------------------------------------ lstsq, matrix_rank
_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def _host_svdvals(A):
    xp = backend.get_array_module(A.data)
    return xp.linalg.svd(A.data, compute_uv=False) if A.data.size else A.data[..., :0, 0]


def _count_above(S, atol, rtol, dtype):
    """#{σ > max(atol, rtol σ_max)} per matrix (int64), atol and rtol broadcast with the batch."""
    xp = backend.get_array_module(S)
    smax = S.max(axis=-1) if S.shape[-1] else xp.zeros(S.shape[:-1], dtype=dtype)
    cut = xp.maximum(atol, rtol * smax)
    return (S > cut[..., None]).sum(axis=-1).astype(xp.int64)


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution X = argmin ‖A X − B‖ (minimum-norm where A is rank-deficient)
    of A (…, m, n), B (…, m, k) or (…, m) (a vector when B has one dimension fewer than A).
    Singular values ≤ rcond·σ_max (rcond defaults to eps·max(m, n)) count as zero, whatever
    the driver (torch's gelsy estimates the rank from a pivoted QR instead: the two can differ
    for a singular value near the cutoff).

    As torch on the CPU: ``rank`` is filled except for driver 'gels'; ``singular_values``
    for 'gelsd' and 'gelss'; ``residuals`` ‖A X − B‖² per column when m > n, every A has
    full rank and the driver is not 'gelsy' (the default). The gradient is that of
    X = A⁺ B, as torch's."""
    if driver is not None and driver not in _DRIVERS:
        raise ValueError(f"lstsq: driver must be one of {_DRIVERS}, got {driver!r}")
    driver = driver or "gelsy"
    A, B = _matrix("lstsq", A), as_tensor(B)
    vector = B.ndim == A.ndim - 1
    B2 = B.unsqueeze(-1) if vector else B
    if B2.ndim < 2 or B2.shape[-2] != A.shape[-2]:
        raise ValueError(
            f"lstsq: A and B must have the same number of rows, got shapes {A.shape} and {B.shape}"
        )
    if B.dtype != A.dtype:
        raise TypeError(f"lstsq: A and B must have the same dtype, got {A.dtype} and {B.dtype}")
    m, n = A.shape[-2:]
    if rcond is None:
        rcond = float(backend.np.finfo(A.dtype).eps) * max(m, n)
    X = matmul(pinv(A, atol=0.0, rtol=float(rcond)), B2)
    xp = backend.get_array_module(A.data)
    S = _host_svdvals(A)
    rank = _count_above(S, 0.0, float(rcond), A.dtype)
    empty = as_tensor(xp.zeros((0,), dtype=A.dtype))
    residuals = empty
    full = bool(backend.to_host((rank == n).all())) if rank.size else True
    if driver != "gelsy" and m > n and full:
        residuals = ((matmul(A, X) - B2) ** 2).sum(dim=-2)
    rank = as_tensor(xp.zeros((0,), dtype=xp.int64)) if driver == "gels" else as_tensor(rank)
    sv = as_tensor(S) if driver in ("gelsd", "gelss") else empty
    return lstsq_result(X.squeeze(-1) if vector else X, residuals, rank, sv)


def _tol(t, xp, dtype):
    return t.data if isinstance(t, Tensor) else xp.asarray(t, dtype=dtype)


def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None):
    """The number of singular values (absolute eigenvalues if ``hermitian``) of A (…, m, n)
    above max(atol, rtol·σ_max), int64 of shape (…). atol and rtol may be tensors broadcast
    with the batch; rtol defaults to eps·max(m, n), or to 0 where atol > 0. ``tol`` is torch's
    older spelling of atol (with rtol 0)."""
    A = _matrix("matrix_rank", A)
    if tol is not None:
        if atol is not None or rtol is not None:
            raise ValueError("matrix_rank: give either tol or atol / rtol, not both")
        atol, rtol = tol, 0.0
    xp = backend.get_array_module(A.data)
    if hermitian:
        if A.shape[-1] != A.shape[-2]:
            raise ValueError(f"matrix_rank: hermitian=True needs square matrices, got {A.shape}")
        S = xp.abs(xp.linalg.eigvalsh(A.data)) if A.data.size else A.data[..., 0]
    else:
        S = _host_svdvals(A)
    eps = float(backend.np.finfo(A.dtype).eps) * max(A.shape[-2:])
    a = _tol(0.0 if atol is None else atol, xp, A.dtype)
    if rtol is None:
        r = xp.where(a > 0, xp.asarray(0, dtype=A.dtype), xp.asarray(eps, dtype=A.dtype))
        r = r if atol is not None else xp.asarray(eps, dtype=A.dtype)
    else:
        r = _tol(rtol, xp, A.dtype)
    return as_tensor(_count_above(S, a, r, A.dtype))


# ------------------------------------------------------------------ products and shapes
def vecdot(x, y, *, dim=-1):
    """Σᵢ xᵢ yᵢ along ``dim`` (real: no conjugation), the other dimensions broadcast."""
    x, y = as_tensor(x), as_tensor(y)
    for t in (x, y):
        if t.dtype.kind != "f":
            raise TypeError(f"vecdot: expected floating-point tensors, got {x.dtype} and {y.dtype}")
    return (x * y).sum(dim=dim)


def vander(x, *, N=None):
    """The Vandermonde matrix (…, n, N) of x (…, n): column j holds xʲ, j = 0 … N − 1
    (N defaults to n), as torch.linalg.vander; built by a running product, as torch."""
    x = as_tensor(x)
    if x.ndim == 0:
        raise ValueError("vander: x must have at least one dimension, got shape ()")
    N = x.shape[-1] if N is None else int(N)
    if N <= 1:
        raise ValueError(f"vander: N must be greater than 1, got {N}")
    ones = x.unsqueeze(-1) * 0 + 1
    powers = cumprod(x.unsqueeze(-1).expand(*x.shape, N - 1), -1)
    return cat([ones, powers], dim=-1)


def _prod(shape):
    return math.prod(int(s) for s in shape)


def tensorinv(A, ind=2):
    """The inverse of A viewed as a square matrix (Π shape[:ind], Π shape[ind:]), of shape
    A.shape[ind:] + A.shape[:ind]: tensordot(tensorinv(A), A, ind) is the identity."""
    A = as_tensor(A)
    if isinstance(ind, bool) or not isinstance(ind, int) or ind <= 0:
        raise ValueError(f"tensorinv: ind must be a positive integer, got {ind!r}")
    rows, cols = _prod(A.shape[:ind]), _prod(A.shape[ind:])
    if rows != cols:
        raise ValueError(
            f"tensorinv: prod(shape[ind:]) must equal prod(shape[:ind]) for shape {A.shape} "
            f"and ind={ind}, got {cols} != {rows}"
        )
    return inverse(A.reshape(rows, cols)).reshape(*A.shape[ind:], *A.shape[:ind])


def tensorsolve(A, B, dims=None):
    """X with tensordot(A, X, X.ndim) = B; X has shape A.shape[B.ndim:]. ``dims`` lists
    dimensions of A moved to the end first."""
    A, B = as_tensor(A), as_tensor(B)
    if dims is not None:
        dims = [d % A.ndim for d in dims]
        A = A.movedim(tuple(dims), tuple(range(A.ndim - len(dims), A.ndim)))
    out = tuple(A.shape[B.ndim :])
    rows, cols = _prod(A.shape[: B.ndim]), _prod(out)
    if tuple(A.shape[: B.ndim]) != tuple(B.shape) or rows != cols:
        raise ValueError(
            f"tensorsolve: A of shape {A.shape} and B of shape {B.shape} don't match: A's "
            f"leading dims must be B's shape and prod(A.shape[B.ndim:]) must equal B.numel()"
        )
    return solve(A.reshape(rows, cols), B.reshape(rows)).reshape(out)


def renorm(input, p, dim, maxnorm):
    """Each slice x[i] along ``dim`` whose p-norm (over all its elements) exceeds ``maxnorm``,
    scaled to norm maxnorm: x[i] · maxnorm / (‖x[i]‖ₚ + 1e-7); the others left as they are."""
    x = as_tensor(input)
    if x.ndim < 2:
        raise ValueError(f"renorm: input needs at least 2 dimensions, got shape {x.shape}")
    if not -x.ndim <= dim < x.ndim:
        raise IndexError(f"renorm: dim {dim} out of range for shape {x.shape}")
    if p <= 0:
        raise ValueError(f"renorm: p must be positive, got {p}")
    if maxnorm < 0:
        raise ValueError(f"renorm: maxnorm must be >= 0, got {maxnorm}")
    d = dim % x.ndim
    norms = _norm(x, p, tuple(i for i in range(x.ndim) if i != d), True)
    big = norms.data > maxnorm
    return where(big, x * (maxnorm / (norms + 1e-7)), x)
