"""Weight normalisation and spectral normalisation as parametrizations, as
``torch.nn.utils.parametrizations``."""

from __future__ import annotations

from ...autograd import no_grad
from ...functions.distance import normalize
from ..module import Module
from .parametrize import register_parametrization


def _norm_except_dim(v, dim: int):
    """‖v‖₂ over every dim but ``dim``, keeping them as size 1 (all of v when dim = -1)."""
    if dim == -1:
        return (v * v).sum().sqrt()
    dims = tuple(d for d in range(v.ndim) if d != dim % v.ndim)
    if not dims:  # a vector along dim: the norm of each entry alone
        return (v * v).sqrt()
    return (v * v).sum(dim=dims, keepdim=True).sqrt()


class _WeightNorm(Module):
    """w = g · v / ‖v‖ (Salimans & Kingma), the norm over every dim but ``dim``: the
    direction v and the magnitude g are trained apart."""

    def __init__(self, dim: int | None = 0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return weight_v * (weight_g / _norm_except_dim(weight_v, self.dim))

    def right_inverse(self, weight):
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module, name: str = "weight", dim: int | None = 0):
    """Reparametrize ``module.<name>`` as g · v / ‖v‖: ``parametrizations.<name>.original0``
    holds g, ``original1`` holds v. Returns ``module``."""
    return register_parametrization(module, name, _WeightNorm(dim), unsafe=True)


class _SpectralNorm(Module):
    """W / σ(W), σ the largest singular value of W (viewed as a matrix, rows along ``dim``),
    estimated by power iteration (Miyato et al., 2018): in training mode each forward takes
    ``n_power_iterations`` steps u ← normalize(W v), v ← normalize(Wᵀ u) on the buffers u, v
    (not differentiated), then σ = uᵀ W v (differentiated). A 1-D weight is just normalised."""

    def __init__(self, weight, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12):
        super().__init__()
        ndim = weight.ndim
        if not -ndim <= dim < ndim:
            raise IndexError(
                f"spectral_norm: dim {dim} is out of range for a weight of shape {weight.shape}"
            )
        if n_power_iterations <= 0:
            raise ValueError(
                f"spectral_norm: n_power_iterations must be positive, got {n_power_iterations}"
            )
        self.dim = dim % ndim
        self.eps = eps
        if ndim > 1:
            from ...creation import randn

            self.n_power_iterations = n_power_iterations
            mat = self._as_matrix(weight)
            h, w = mat.shape
            self.register_buffer("_u", normalize(randn(h, dtype=mat.dtype), dim=0, eps=eps))
            self.register_buffer("_v", normalize(randn(w, dtype=mat.dtype), dim=0, eps=eps))
            self._power_method(mat, 15)

    def _as_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, mat, steps: int) -> None:
        with no_grad():
            for _ in range(steps):
                self._u = normalize(mat @ self._v, dim=0, eps=self.eps)
                self._v = normalize(mat.mT @ self._u, dim=0, eps=self.eps)

    def forward(self, weight):
        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        mat = self._as_matrix(weight)
        if self.training:
            self._power_method(mat, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        return weight / (u * (mat @ v)).sum()

    def right_inverse(self, value):
        return value


def spectral_dim(module) -> int:
    """The dim along which spectral norm reads a weight's rows: the output channels, dim 1 of
    a transposed convolution's weight, dim 0 otherwise."""
    from ..conv import ConvTranspose1d, ConvTranspose2d
    from ..conv3d import ConvTranspose3d

    return 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0


def spectral_norm(
    module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12, dim=None
):
    """Reparametrize ``module.<name>`` as W / σ(W) (see ``_SpectralNorm``); ``dim`` defaults to
    0, or 1 for transposed convolutions (their output channels). Returns ``module``."""
    weight = getattr(module, name, None)
    if weight is None:
        raise ValueError(f"spectral_norm: {type(module).__name__} has no parameter {name!r}")
    if dim is None:
        dim = spectral_dim(module)
    parametrization = _SpectralNorm(weight, n_power_iterations, dim, eps)
    return register_parametrization(module, name, parametrization)


__all__ = ["weight_norm", "spectral_norm"]
