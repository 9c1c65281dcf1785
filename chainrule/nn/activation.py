"""Activation layers: thin Modules over ``chainrule.functions.activation``, with torch's
constructor arguments and ``extra_repr``. Each keeps the input's shape.

``inplace=True`` (where torch has it) writes the result into the input tensor and returns it;
under autograd the input's graph node is re-pointed at the op, as torch does.
"""

from __future__ import annotations

from ..autograd.function import bump_version
from ..autograd.grad_mode import is_grad_enabled
from ..functions import activation as A
from ..tensor import Tensor
from .container import _FUSING_ACTIVATIONS, _RELUS
from .module import Module


def _inplace(x: Tensor, fn, name: str) -> Tensor:
    """Overwrite ``x`` with ``fn(x)`` and return ``x``."""
    if not (is_grad_enabled() and x.requires_grad):
        x.data[...] = fn(x).data
        bump_version(x)
        return x
    return x._inplace(name, None, lambda t, _: fn(t), None)


class ReLU(Module):
    """y = max(x, 0)."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        if self.inplace:
            return _inplace(input, A.relu, "relu_")
        return A.relu(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """y = x if x > 0 else negative_slope · x."""

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input: Tensor) -> Tensor:
        def fn(x):
            return A.leaky_relu(x, self.negative_slope)

        return _inplace(input, fn, "leaky_relu_") if self.inplace else fn(input)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


# nn.Sequential runs Linears, each followed by a ReLU (or a LeakyReLU whose slope is in (0, 1])
# or by nothing, as one op
_FUSING_ACTIVATIONS[ReLU] = lambda m: 0.0
# and a max pooling right after a ReLU runs before it, unless the ReLU is in place: then the
# tensor it overwrites, which a hook on the module before may hold, must be overwritten
_RELUS[ReLU] = lambda m: None if m.inplace else A.relu_of_own
_FUSING_ACTIVATIONS[LeakyReLU] = lambda m: (
    float(m.negative_slope)
    if isinstance(m.negative_slope, (int, float)) and 0 < m.negative_slope <= 1
    else None
)


class ELU(Module):
    """y = x if x > 0 else α (eˣ − 1)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Tensor) -> Tensor:
        def fn(x):
            return A.elu(x, self.alpha)

        return _inplace(input, fn, "elu_") if self.inplace else fn(input)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """y = x Φ(x); ``approximate='tanh'`` uses 0.5 x (1 + tanh(√(2/π)(x + 0.044715 x³)))."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return A.gelu(input, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Sigmoid(Module):
    """y = 1 / (1 + e^(−x))."""

    def forward(self, input: Tensor) -> Tensor:
        return A.sigmoid(input)


class Tanh(Module):
    """y = tanh x."""

    def forward(self, input: Tensor) -> Tensor:
        return A.tanh(input)


class Softplus(Module):
    """y = ln(1 + e^(βx)) / β, and y = x where βx > threshold."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input: Tensor) -> Tensor:
        return A.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


def _legacy_dim(ndim: int) -> int:
    """torch's implicit softmax dim, used when ``dim=None``: 0 for 0-, 1- and 3-D, else 1."""
    return 0 if ndim in (0, 1, 3) else 1


class Softmax(Module):
    """y_i = e^(x_i) / Σ_j e^(x_j) along ``dim``."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        dim = _legacy_dim(input.ndim) if self.dim is None else self.dim
        return A.softmax(input, dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """y_i = x_i − log Σ_j e^(x_j) along ``dim``."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        dim = _legacy_dim(input.ndim) if self.dim is None else self.dim
        return A.log_softmax(input, dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


__all__ = [
    "ReLU",
    "LeakyReLU",
    "ELU",
    "GELU",
    "Sigmoid",
    "Tanh",
    "Softplus",
    "Softmax",
    "LogSoftmax",
]
