"""Matrix functions and decompositions: det, inverse, slogdet, solve, matrix_power, pinv, eigh,
svd, cholesky, qr, all batched over leading dimensions, as ``torch.linalg``.

Each backward is written with ``@``, ``.mT``-style transposes, ``*``, ``/`` and ``reshape``
only, through the helpers of ``matrix_util.py``, so fed Tensors (``create_graph``) it records
a graph: the second derivative comes from differentiating the first. The outputs an op saves
come back as Tensors linked to the op itself (``_saved_as_tensors``), so that path runs through
it again.

Multi-output ops (eigh, svd) return their results packed in one array, split by indexing; the
gradients of the parts that were not used come back as zeros.
"""

from __future__ import annotations

from collections import namedtuple

from .. import backend
from ..autograd.function import Function
from ..tensor import Tensor, as_tensor
from .linalg import _mm, matmul
from .matrix_util import (
    LinAlgError,
    _cholesky_info,
    _col,
    _diag_embed,
    _diagonal,
    _eye,
    _lapack,
    _matrix,
    _mT,
    _row,
    _square,
    _tril,
    _xp,
)
from .shape import broadcast_shapes, cat, sum_to

slogdet_result = namedtuple("slogdet", ["sign", "logabsdet"])
eigh_result = namedtuple("eigh", ["eigenvalues", "eigenvectors"])
svd_result = namedtuple("svd", ["U", "S", "Vh"])
qr_result = namedtuple("qr", ["Q", "R"])


def _inv(A):
    return Inverse()(A) if isinstance(A, Tensor) else _xp(A).linalg.inv(A)


# ------------------------------------------------------------------ inverse, det, slogdet
class Inverse(Function):
    """Y = A⁻¹; ∂L/∂A = −Yᵀ G Yᵀ."""

    def forward(self, A):
        Y = _lapack("inverse", backend.get_array_module(A).linalg.inv, A)
        self.save_for_backward(Y)
        return Y

    def backward(self, gy):
        (Y,) = self._saved_as_tensors() if isinstance(gy, Tensor) else self.saved
        Yt = _mT(Y)
        return -_mm(_mm(Yt, gy), Yt)


class Det(Function):
    """d = det A; ∂L/∂A = g adj(A)ᵀ = g d A⁻ᵀ. For a singular A (first order only) through the
    SVD A = U S Vᵀ: adj(A)ᵀ = det(U) det(V) U diag(Π_{j≠i} s_j) Vᵀ."""

    def forward(self, A):
        xp = backend.get_array_module(A)
        d = xp.asarray(xp.linalg.det(A))  # a 0-d array on A's device, not a NumPy scalar
        self.save_for_backward(A, d)
        return d

    def backward(self, gy):
        if isinstance(gy, Tensor):
            A, d = self._saved_as_tensors()
            return _col(_col(gy * d)) * _mT(_inv(A))
        A, d = self.saved
        try:
            return _col(_col(gy * d)) * _mT(_inv(A))
        except backend.np.linalg.LinAlgError:  # singular somewhere: the adjugate's SVD form
            return _col(_col(gy)) * _adjugate_t(A)


def _adjugate_t(A):
    """adj(A)ᵀ from the SVD: exact for singular A too (its products skip each s_i)."""
    xp = backend.get_array_module(A)
    U, S, Vh = xp.linalg.svd(A)
    ones = xp.ones(S.shape[:-1] + (1,), dtype=S.dtype)
    before = xp.cumprod(xp.concatenate([ones, S[..., :-1]], axis=-1), axis=-1)
    after = xp.cumprod(xp.concatenate([ones, S[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    others = before * after  # Π_{j≠i} s_j
    sign = xp.linalg.det(U) * xp.linalg.det(Vh)  # ±1
    return sign[..., None, None] * _mm(U * others[..., None, :], Vh)


class LogAbsDet(Function):
    """y = log|det A|; ∂L/∂A = g A⁻ᵀ. The sign is kept in ``self.sign`` (no gradient)."""

    def forward(self, A):
        xp = backend.get_array_module(A)
        sign, y = xp.linalg.slogdet(A)
        self.sign = xp.asarray(sign)  # 0-d arrays on A's device, not NumPy scalars
        self.save_for_backward(A)
        return xp.asarray(y)

    def backward(self, gy):
        (A,) = self._saved_as_tensors() if isinstance(gy, Tensor) else self.saved
        return _col(_col(gy)) * _mT(_inv(A))


def inverse(A):
    """A⁻¹ of a square matrix (…, n, n); a singular one raises ValueError."""
    return Inverse()(_square("inverse", A))


def det(A):
    """The determinant of each (…, n, n) matrix: shape (…). Gradient d·A⁻ᵀ (A nonsingular)."""
    return Det()(_square("det", A))


def slogdet(A):
    """(sign, logabsdet) with det A = sign·exp(logabsdet): stable where det over/underflows.
    Only logabsdet has a gradient: A⁻ᵀ."""
    A = _square("slogdet", A)
    f = LogAbsDet()
    y = f(A)
    sign = _xp(A).asarray(f.sign, dtype=A.dtype)
    return slogdet_result(Tensor(sign), y)


def logdet(A):
    """log det A: NaN where det A < 0, −inf where it is 0. Gradient A⁻ᵀ."""
    A = _square("logdet", A)
    f = LogAbsDet()
    y = f(A)
    xp = _xp(A)
    return y + xp.where(f.sign < 0, xp.nan, 0.0).astype(A.dtype)


def matrix_power(A, n):
    """Aⁿ for an integer n by repeated squaring; A⁰ = I, and n < 0 inverts A first."""
    A = _square("matrix_power", A)
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"matrix_power: n must be an int, got {n!r}")
    if n == 0:
        return A * 0 + _eye(A.shape[-1], A)
    if n < 0:
        A, n = inverse(A), -n
    y = None
    while n:
        if n & 1:
            y = A if y is None else matmul(y, A)
        n >>= 1
        if n:
            A = matmul(A, A)
    return y


# ------------------------------------------------------------------ solve
class Solve(Function):
    """X = A⁻¹ B for A (…, n, n), B (…, n, k), batch dims broadcast;
    ∂L/∂B = A⁻ᵀ G, ∂L/∂A = −(A⁻ᵀ G) Xᵀ."""

    def forward(self, A, B):
        self.shapes = A.shape, B.shape
        X = _solve_arrays(A, B)
        self.save_for_backward(A, X)
        return X

    def backward(self, gy):
        A, X = self._saved_as_tensors() if isinstance(gy, Tensor) else self.saved
        na, nb = self.needs_input_grad
        gB = Solve()(_mT(A), gy) if isinstance(gy, Tensor) else _solve_arrays(_mT(A), gy)
        gA = sum_to(-_mm(gB, _mT(X)), self.shapes[0]) if na else None
        return gA, sum_to(gB, self.shapes[1]) if nb else None


def _solve_arrays(A, B):
    """A⁻¹ B on arrays, the batch dimensions broadcast."""
    xp = backend.get_array_module(A)
    batch = broadcast_shapes(A.shape[:-2], B.shape[:-2], op="solve")
    A2 = xp.broadcast_to(A, batch + A.shape[-2:])
    B2 = xp.broadcast_to(B, batch + B.shape[-2:])
    return _lapack("solve", xp.linalg.solve, A2, B2)


def solve(A, B, *, left=True):
    """X with A X = B (left=True) or X A = B: A (…, n, n); B (…, n, k), or (…, n) / (n,) as
    a batch of vectors. Batch dimensions broadcast."""
    A, B = _square("solve", A), as_tensor(B)
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    if not left:
        if vector:
            raise ValueError(f"solve: B must be a matrix when left=False, got shape {B.shape}")
        return solve(A.mT, B.mT).mT
    B2 = _col(B) if vector else B
    if B2.ndim < 2 or B2.shape[-2] != A.shape[-1]:
        raise ValueError(f"solve: A of shape {A.shape} and B of shape {B.shape} don't align")
    if B.dtype != A.dtype:
        raise TypeError(f"solve: A and B must have the same dtype, got {A.dtype} and {B.dtype}")
    X = Solve()(A, B2)
    return X.reshape(X.shape[:-1]) if vector else X


# ------------------------------------------------------------------ pinv
class Pinv(Function):
    """X = A⁺ from the SVD, singular values at or below max(atol, rtol·σ_max) dropped.
    For A of constant rank (Golub & Pereyra):
    ∂L/∂A = −Xᵀ G Xᵀ + (I − A X) Gᵀ X Xᵀ + Xᵀ X Gᵀ (I − X A)."""

    def __init__(self, atol, rtol):
        self.atol, self.rtol = atol, rtol

    def forward(self, A):
        xp = backend.get_array_module(A)
        U, S, Vh = _lapack("pinv", xp.linalg.svd, A, False)
        smax = S.max(axis=-1, keepdims=True) if S.shape[-1] else S[..., :1]
        cut = xp.maximum(self.atol, self.rtol * smax)
        keep = S > cut
        Sinv = xp.where(keep, 1 / xp.where(keep, S, 1), 0).astype(A.dtype)
        X = _mm(_mT(Vh) * Sinv[..., None, :], _mT(U))
        self.save_for_backward(A, X)
        return X

    def backward(self, gy):
        A, X = self._saved_as_tensors() if isinstance(gy, Tensor) else self.saved
        Xt, gt = _mT(X), _mT(gy)
        M2 = _mm(gt, _mm(X, Xt))  # Gᵀ X Xᵀ
        M3 = _mm(_mm(Xt, X), gt)  # Xᵀ X Gᵀ
        return -_mm(_mm(Xt, gy), Xt) + M2 - _mm(A, _mm(X, M2)) + M3 - _mm(_mm(M3, X), A)


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """The Moore–Penrose pseudo-inverse (…, n, m) of A (…, m, n). Singular values at or below
    max(atol, rtol·σ_max) count as zero; rtol defaults to eps·max(m, n) when atol is not given,
    else to 0. ``hermitian`` is accepted (the SVD serves symmetric A too)."""
    A = _matrix("pinv", A)
    if rtol is None:
        rtol = (
            0.0
            if atol is not None and atol > 0
            else float(backend.np.finfo(A.dtype).eps * max(A.shape[-2:]))
        )
    return Pinv(0.0 if atol is None else float(atol), float(rtol))(A)


def pinverse(input, rcond=1e-15):
    """torch.pinverse: ``pinv`` with rtol = rcond."""
    return pinv(input, rtol=rcond)


# ------------------------------------------------------------------ eigh
def _off_diagonal_reciprocal(E, n):
    """1/E off the diagonal, 0 on it: (1/(E + I))·(1 − I), which stays finite to differentiate."""
    eye = _eye(n, E)
    return (1 / (E + eye)) * (1 - eye)


class Eigh(Function):
    """A = V diag(λ) Vᵀ for symmetric A (the ``uplo`` triangle is read), λ ascending. Output:
    λ and V packed as (…, n + 1, n), row 0 holding λ. With F_ij = 1/(λ_j − λ_i) (0 for i = j):
    ∂L/∂A = V (diag(gλ) + F ∘ (Vᵀ gV)) Vᵀ, for distinct eigenvalues."""

    def __init__(self, uplo):
        self.uplo = uplo

    def forward(self, A):
        xp = backend.get_array_module(A)
        L, V = _lapack("eigh", xp.linalg.eigh, A, UPLO=self.uplo)
        y = xp.concatenate([L[..., None, :], V], axis=-2)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self._saved_as_tensors() if isinstance(gy, Tensor) else self.saved
        n = y.shape[-1]
        L, V = y[..., 0, :], y[..., 1:, :]
        gL, gV = gy[..., 0, :], gy[..., 1:, :]
        F = _off_diagonal_reciprocal(_row(L) - _col(L), n)
        inner = _diag_embed(gL) + F * _mm(_mT(V), gV)
        return _mm(_mm(V, inner), _mT(V))


def eigh(A, UPLO="L"):
    """(eigenvalues (…, n) ascending, eigenvectors (…, n, n) as columns) of symmetric A, read
    from its lower (UPLO='L') or upper ('U') triangle. Eigenvectors are unique up to sign; the
    gradient assumes distinct eigenvalues."""
    A = _square("eigh", A)
    if UPLO not in ("L", "U"):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    y = Eigh(UPLO)(A)
    return eigh_result(y[..., 0, :], y[..., 1:, :])


def eigvalsh(A, UPLO="L"):
    """The eigenvalues of symmetric A, ascending."""
    return eigh(A, UPLO).eigenvalues


# ------------------------------------------------------------------ svd
class Svd(Function):
    """A = U diag(S) Vᵀ, reduced (k = min(m, n)). Output: U (m, k), S (1, k), V (n, k) packed
    as (…, m + 1 + n, k). With F_ij = 1/(S_j² − S_i²) (0 for i = j), J = UᵀgU − gUᵀU,
    K = VᵀgV − gVᵀV:
    ∂L/∂A = U [F∘J S + S F∘K + diag(gS)] Vᵀ + (I − UUᵀ) gU S⁻¹ Vᵀ + U S⁻¹ gVᵀ (I − VVᵀ),
    for distinct, nonzero singular values."""

    def forward(self, A):
        xp = backend.get_array_module(A)
        U, S, Vh = _lapack("svd", xp.linalg.svd, A, False)
        self.m = A.shape[-2]
        y = xp.concatenate([U, S[..., None, :], _mT(Vh)], axis=-2)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self._saved_as_tensors() if isinstance(gy, Tensor) else self.saved
        m, k = self.m, y.shape[-1]
        U, S, V = y[..., :m, :], y[..., m, :], y[..., m + 1 :, :]
        gU, gS, gV = gy[..., :m, :], gy[..., m, :], gy[..., m + 1 :, :]
        S2 = S * S
        F = _off_diagonal_reciprocal(_row(S2) - _col(S2), k)
        UtgU, VtgV = _mm(_mT(U), gU), _mm(_mT(V), gV)
        J, K = F * (UtgU - _mT(UtgU)), F * (VtgV - _mT(VtgV))
        inner = J * _row(S) + _col(S) * K + _diag_embed(gS)
        gA = _mm(_mm(U, inner), _mT(V))
        if m > k:  # the part of gU outside U's span
            gUS = gU / _row(S)
            gA = gA + _mm(gUS - _mm(U, _mm(_mT(U), gUS)), _mT(V))
        if V.shape[-2] > k:  # the part of gV outside V's span
            gVS = gV / _row(S)
            gA = gA + _mm(U, _mT(gVS - _mm(V, _mm(_mT(V), gVS))))
        return gA


def svd(A, full_matrices=True):
    """A = U diag(S) Vh: S (…, k) descending, k = min(m, n); reduced U (…, m, k) and
    Vh (…, k, n), or with ``full_matrices`` (torch's default) square U (…, m, m) and
    Vh (…, n, n), whose extra columns (rows) complete an orthonormal basis. Singular vectors
    are unique up to sign; the gradient assumes distinct, nonzero singular values and, as
    torch's, ignores the extra columns, which are not unique."""
    A = _matrix("svd", A)
    m, n = A.shape[-2:]
    y = Svd()(A)
    U, S, Vh = y[..., :m, :], y[..., m, :], y[..., m + 1 :, :].mT
    if full_matrices and m != n:
        if m > n:
            U = cat([U, _complement(U)], dim=-1)
        else:
            Vh = cat([Vh, _complement(Vh.mT).mT], dim=-2)
    return svd_result(U, S, Vh)


def _complement(Q):
    """Constant columns (…, m, m − k) that complete Q's k orthonormal columns to a basis."""
    xp, (m, k) = _xp(Q), Q.shape[-2:]
    if Q.data.size == 0:
        full = xp.broadcast_to(xp.eye(m, dtype=Q.dtype), tuple(Q.shape[:-2]) + (m, m))
    else:
        full = _lapack("svd", xp.linalg.qr, Q.data, mode="complete")[0]
    return as_tensor(xp.ascontiguousarray(full[..., :, k:]))


class SvdVals(Function):
    """S, the singular values, descending; ∂L/∂A = U diag(gS) Vᵀ (defined for repeated ones
    too). Double backward differentiates the full SVD (distinct singular values)."""

    def forward(self, A):
        U, S, Vh = _lapack("svdvals", backend.get_array_module(A).linalg.svd, A, False)
        self.U, self.Vh = U, Vh
        return S

    def backward(self, gy):
        if isinstance(gy, Tensor):  # U and Vh as functions of A, through the full SVD
            U, _, Vh = svd(self.inputs[0], full_matrices=False)
        else:
            U, Vh = self.U, self.Vh
        return _mm(U * _row(gy), Vh)


def svdvals(A):
    """The singular values (…, min(m, n)) of A, descending."""
    return SvdVals()(_matrix("svdvals", A))


# ------------------------------------------------------------------ cholesky, qr
class Cholesky(Function):
    """A = L Lᵀ, L lower triangular (A symmetric positive-definite; its lower triangle is
    read). With P = Φ(Lᵀ gL), Φ keeping the lower triangle mirrored up and the diagonal
    halved: ∂L/∂A = L⁻ᵀ P L⁻¹ (Murray, 2016)."""

    def forward(self, A):
        try:
            L = backend.get_array_module(A).linalg.cholesky(A)
        except backend.np.linalg.LinAlgError as e:
            info = backend.to_host(_cholesky_info(A)).reshape(-1)
            k = int(info[info > 0][0]) if (info > 0).any() else "?"
            raise LinAlgError(
                f"cholesky: the input is not positive-definite (the leading minor of order {k} "
                f"is not positive-definite)"
            ) from e
        self.save_for_backward(L)
        return L

    def backward(self, gy):
        (L,) = self._saved_as_tensors() if isinstance(gy, Tensor) else self.saved
        T = _tril(_mm(_mT(L), gy))
        P = (T + _mT(_tril(T, -1))) * 0.5
        Linv = _inv(L)
        return _mm(_mm(_mT(Linv), P), Linv)


def cholesky(A, *, upper=False):
    """L with A = L Lᵀ (or U with A = Uᵀ U for upper=True) of a symmetric positive-definite
    A (…, n, n); only its lower triangle is read. One that is not positive-definite raises."""
    L = Cholesky()(_square("cholesky", A))
    return L.mT if upper else L


class Qr(Function):
    """A = Q R for A (…, m, n), m ≥ n: Q (m, n) with orthonormal columns, R (n, n) upper
    triangular; packed as (…, m + n, n). With M = R gRᵀ − gQᵀ Q and copyltu(M) its lower
    triangle mirrored up: ∂L/∂A = (gQ + Q copyltu(M)) R⁻ᵀ (R nonsingular)."""

    def forward(self, A):
        xp = backend.get_array_module(A)
        Q, R = _lapack("qr", xp.linalg.qr, A)
        self.m = A.shape[-2]
        y = xp.concatenate([Q, R], axis=-2)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self._saved_as_tensors() if isinstance(gy, Tensor) else self.saved
        m = self.m
        Q, R, gQ, gR = y[..., :m, :], y[..., m:, :], gy[..., :m, :], gy[..., m:, :]
        M = _mm(R, _mT(gR)) - _mm(_mT(gQ), Q)
        low = _tril(M, -1)
        copyltu = low + _mT(low) + _diag_embed(_diagonal(M))
        return _mm(gQ + _mm(Q, copyltu), _mT(_inv(R)))


class QrComplete(Function):
    """Q (…, m, m) and R (…, m, n) of a tall A (m > n), packed as (…, m, m + n). Not
    differentiable, as in torch: Q's last m − n columns are not unique."""

    def forward(self, A):
        Q, R = _lapack("qr", backend.get_array_module(A).linalg.qr, A, mode="complete")
        return backend.get_array_module(A).concatenate([Q, R], axis=-1)

    def backward(self, gy):
        raise ValueError(
            "qr: the QR decomposition is not differentiable when mode='complete' and "
            "nrows > ncols; use mode='reduced'"
        )


def qr(A, mode="reduced"):
    """A = Q R with R upper triangular and Q's columns orthonormal: mode='reduced' gives
    Q (…, m, k), R (…, k, n), k = min(m, n); 'complete' gives Q (…, m, m), R (…, m, n) (the
    same as 'reduced' unless m > n, and then not differentiable, as torch); 'r' gives R and an
    empty Q, as torch. Signs follow LAPACK, as torch's do. The gradient needs the first k
    columns of A to be independent."""
    A = _matrix("qr", A)
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    m, n = A.shape[-2:]
    if mode == "complete" and m > n:
        y = QrComplete()(A)
        return qr_result(y[..., :, :m], y[..., :, m:])
    if m >= n:
        y = Qr()(A)
        Q, R = y[..., :m, :], y[..., m:, :]
    else:  # A = [X | Y], X square: Q R_X = X, and R = [R_X | Qᵀ Y]
        Q, RX = qr(A[..., :, :m])
        R = cat([RX, matmul(Q.mT, A[..., :, m:])], dim=-1)
    if mode == "r":
        return qr_result(as_tensor(_xp(A).zeros((0,), dtype=A.dtype)), R)
    return qr_result(Q, R)


__all__ = [
    "det",
    "inverse",
    "slogdet",
    "logdet",
    "matrix_power",
    "solve",
    "pinv",
    "pinverse",
    "eigh",
    "eigvalsh",
    "svd",
    "svdvals",
    "cholesky",
    "qr",
]
