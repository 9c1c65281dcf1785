"""torch's older spellings of weight and spectral normalisation, ``nn.utils.weight_norm`` and
``nn.utils.spectral_norm`` (and their ``remove_*``), kept because much code still calls
them. They recompute the weight in a forward pre-hook from ``<name>_g`` / ``<name>_v``
(weight norm) or ``<name>_orig`` with the power-iteration buffers ``<name>_u`` / ``<name>_v``
(spectral norm), the parameter names torch uses, so its state dicts load. New code would use
``nn.utils.parametrizations``."""

from __future__ import annotations

from ...autograd import no_grad
from ...creation import randn
from ...functions.distance import normalize
from ..parameter import Parameter
from .parametrizations import _norm_except_dim, spectral_dim


class _WeightNormHook:
    def __init__(self, name: str, dim: int):
        self.name, self.dim = name, dim

    def compute(self, module):
        g, v = getattr(module, self.name + "_g"), getattr(module, self.name + "_v")
        return v * (g / _norm_except_dim(v, self.dim))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute(module))


def weight_norm(module, name: str = "weight", dim: int | None = 0):
    """w = g · v / ‖v‖ with ``<name>_g`` and ``<name>_v`` trained in place of ``<name>``."""
    weight = module._parameters.get(name)
    if weight is None:
        raise ValueError(f"weight_norm: {type(module).__name__} has no parameter {name!r}")
    hook = _WeightNormHook(name, -1 if dim is None else dim)
    del module._parameters[name]
    module.__dict__.pop(name, None)
    module.register_parameter(name + "_g", Parameter(_norm_except_dim(weight, hook.dim).detach()))
    module.register_parameter(name + "_v", Parameter(weight.detach()))
    setattr(module, name, hook.compute(module))
    _install(module, name, hook)
    return module


class _SpectralNormHook:
    def __init__(self, name: str, n_power_iterations: int, dim: int, eps: float):
        self.name, self.n, self.dim, self.eps = name, n_power_iterations, dim, eps

    def matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.flatten(1)

    def compute(self, module, power: bool):
        """W / σ, σ = uᵀ W v after ``n_power_iterations`` steps v ← normalize(Wᵀ u),
        u ← normalize(W v) when ``power`` (training)."""
        weight = getattr(module, self.name + "_orig")
        mat = self.matrix(weight)
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        if power:
            with no_grad():
                for _ in range(self.n):
                    v = normalize(mat.mT @ u, dim=0, eps=self.eps)
                    u = normalize(mat @ v, dim=0, eps=self.eps)
                setattr(module, self.name + "_u", u)
                setattr(module, self.name + "_v", v)
        return weight / (u * (mat @ v)).sum()

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute(module, module.training))


def spectral_norm(
    module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12, dim=None
):
    """W / σ(W) with ``<name>_orig`` trained and u, v kept as the buffers ``<name>_u``,
    ``<name>_v``; ``dim`` defaults to 0, or 1 for transposed convolutions."""
    weight = module._parameters.get(name)
    if weight is None:
        raise ValueError(f"spectral_norm: {type(module).__name__} has no parameter {name!r}")
    if n_power_iterations <= 0:
        raise ValueError(
            f"spectral_norm: n_power_iterations must be positive, got {n_power_iterations}"
        )
    if dim is None:
        dim = spectral_dim(module)
    hook = _SpectralNormHook(name, n_power_iterations, dim, eps)
    h, w = hook.matrix(weight).shape
    del module._parameters[name]
    module.__dict__.pop(name, None)
    module.register_parameter(name + "_orig", weight)
    setattr(module, name, weight.detach())
    module.register_buffer(name + "_u", normalize(randn(h, dtype=weight.dtype), dim=0, eps=eps))
    module.register_buffer(name + "_v", normalize(randn(w, dtype=weight.dtype), dim=0, eps=eps))
    _install(module, name, hook)
    return module


def _install(module, name: str, hook) -> None:
    """Run ``hook`` before each forward; remember it (and its handle) for ``remove_*``."""
    handle = module.register_forward_pre_hook(hook)
    module._norm_hooks = {**getattr(module, "_norm_hooks", {}), name: (hook, handle)}


def _remove(module, name: str, kind, op: str):
    entry = getattr(module, "_norm_hooks", {}).get(name)
    if entry is None or not isinstance(entry[0], kind):
        raise ValueError(f"{op}: {op[7:]} of {name!r} not found in {type(module).__name__}")
    hook, handle = entry
    handle.remove()
    del module._norm_hooks[name]
    with no_grad():
        if isinstance(hook, _WeightNormHook):
            weight = hook.compute(module)
            suffixes = ("_g", "_v")
        else:
            weight = hook.compute(module, power=False)
            suffixes = ("_orig", "_u", "_v")
    for s in suffixes:
        delattr(module, name + s)
    module.__dict__.pop(name, None)
    module.register_parameter(name, Parameter(weight.detach()))
    return module


def remove_weight_norm(module, name: str = "weight"):
    """Undo ``weight_norm``: ``<name>`` is a plain Parameter again, holding g · v / ‖v‖."""
    return _remove(module, name, _WeightNormHook, "remove_weight_norm")


def remove_spectral_norm(module, name: str = "weight"):
    """Undo ``spectral_norm``: ``<name>`` is a plain Parameter again, holding W / σ."""
    return _remove(module, name, _SpectralNormHook, "remove_spectral_norm")


__all__ = ["weight_norm", "remove_weight_norm", "spectral_norm", "remove_spectral_norm"]
