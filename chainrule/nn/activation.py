"""Activation layers: thin Modules over ``chainrule.functions.activation``, with torch's
constructor arguments and ``extra_repr``. Each keeps the input's shape.

``inplace=True`` (where torch has it) writes the result into the input tensor and returns it;
under autograd the input's graph node is re-pointed at the op, as torch does.
"""

from __future__ import annotations

from .. import backend
from ..functions import activation as A
from ..functions import activation_extra as AX
from ..functions.activation_extra import _inplace
from ..tensor import Tensor
from .container import _FUSING_ACTIVATIONS, _RELUS
from .module import Module
from .parameter import Parameter


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


def _inplace_repr(inplace: bool, sep: str = ", ") -> str:
    return sep + "inplace=True" if inplace else ""


class _InplaceActivation(Module):
    """An activation ``fn(x, inplace=...)`` with no options but ``inplace``."""

    fn = None

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return type(self).fn(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, "")


class SiLU(_InplaceActivation):
    """y = x σ(x)."""

    fn = AX.silu


class Mish(_InplaceActivation):
    """y = x tanh(softplus x)."""

    fn = AX.mish


class Hardswish(_InplaceActivation):
    """y = x · relu6(x + 3) / 6."""

    fn = AX.hardswish

    def extra_repr(self) -> str:  # torch's repr leaves inplace out
        return ""


class Hardsigmoid(_InplaceActivation):
    """y = relu6(x + 3) / 6."""

    fn = AX.hardsigmoid

    def extra_repr(self) -> str:  # torch's repr leaves inplace out
        return ""


class SELU(_InplaceActivation):
    """y = scale · (x if x > 0 else α (eˣ − 1)), α ≈ 1.6733, scale ≈ 1.0507."""

    fn = AX.selu


class Hardtanh(Module):
    """y = min(max(x, min_val), max_val)."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__()
        if max_val <= min_val:
            raise ValueError(
                f"Hardtanh: max_val ({max_val}) must be greater than min_val ({min_val})"
            )
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input: Tensor) -> Tensor:
        return AX.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}" + _inplace_repr(self.inplace)


class ReLU6(Hardtanh):
    """y = min(max(x, 0), 6)."""

    def __init__(self, inplace: bool = False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, "")


class CELU(Module):
    """y = x if x > 0 else α (e^(x/α) − 1)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Tensor) -> Tensor:
        return AX.celu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + _inplace_repr(self.inplace)


class Threshold(Module):
    """y = x if x > threshold else value."""

    def __init__(self, threshold: float, value: float, inplace: bool = False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input: Tensor) -> Tensor:
        return AX.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}" + _inplace_repr(self.inplace)


class RReLU(Module):
    """y = x if x ≥ 0 else a x; a ~ U(lower, upper) per element in training, else the mean."""

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False):
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input: Tensor) -> Tensor:
        return AX.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}" + _inplace_repr(self.inplace)


class PReLU(Module):
    """y = x if x > 0 else w x, w learned: one slope, or one per channel (dim 1), all ``init``."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters, self.init = num_parameters, init
        dtype = backend.as_dtype(dtype) or backend.DEFAULT_FLOAT
        self.weight = Parameter(backend.np.empty((num_parameters,), dtype=dtype))
        self.reset_parameters()
        self._place(device)

    def reset_parameters(self) -> None:
        self.weight.data[...] = self.init

    def forward(self, input: Tensor) -> Tensor:
        return AX.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class _Shrink(Module):
    fn = None

    def __init__(self, lambd: float = 0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        return type(self).fn(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Softshrink(_Shrink):
    """y = x − λ if x > λ, x + λ if x < −λ, else 0."""

    fn = AX.softshrink


class Hardshrink(_Shrink):
    """y = x if |x| > λ else 0."""

    fn = AX.hardshrink


class Softsign(Module):
    """y = x / (1 + |x|)."""

    def forward(self, input: Tensor) -> Tensor:
        return AX.softsign(input)


class LogSigmoid(Module):
    """y = ln σ(x) = −softplus(−x)."""

    def forward(self, input: Tensor) -> Tensor:
        return AX.logsigmoid(input)


class Tanhshrink(Module):
    """y = x − tanh x."""

    def forward(self, input: Tensor) -> Tensor:
        return AX.tanhshrink(input)


class GLU(Module):
    """y = a σ(b), a and b the halves of x along ``dim``."""

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return AX.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmin(Module):
    """y_i = e^(−x_i) / Σ_j e^(−x_j) along ``dim``."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return AX.softmin(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax2d(Module):
    """Softmax over the channels (dim −3) of a (C, H, W) or (N, C, H, W) input."""

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.ndim}D instead")
        return A.softmax(input, -3)


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
    "SiLU",
    "Mish",
    "Hardswish",
    "Hardsigmoid",
    "Hardtanh",
    "ReLU6",
    "SELU",
    "CELU",
    "Softsign",
    "LogSigmoid",
    "Softshrink",
    "Hardshrink",
    "Tanhshrink",
    "Threshold",
    "GLU",
    "PReLU",
    "RReLU",
    "Softmin",
    "Softmax2d",
]
