"""Affine layers: ``Linear`` (y = x Wᵀ + b) and ``Bilinear`` (y_k = x1ᵀ A_k x2 + b_k).

Default initialisation follows PyTorch: W ~ kaiming_uniform_(a=√5), i.e. U(−1/√in, 1/√in),
and b ~ U(−1/√in, 1/√in).
"""

from __future__ import annotations

import math

from .. import backend
from ..functions.linear import bilinear, linear
from ..tensor import Tensor
from . import init
from .container import _FUSING_LINEARS, Identity
from .module import Module
from .parameter import Parameter


def _empty(shape, dtype):
    dtype = backend.as_dtype(dtype) or backend.DEFAULT_FLOAT
    return backend.np.empty(shape, dtype=dtype)


class Linear(Module):
    """y = x Wᵀ + b.

    x (..., in_features) → y (..., out_features); weight (out_features, in_features),
    bias (out_features,).
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None
    ):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(_empty((out_features, in_features), dtype))
        if bias:
            self.bias = Parameter(_empty((out_features,), dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        self._place(device)

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        try:  # linear checks the input; the layer's own message is made only on failure
            return linear(input, self.weight, self.bias)
        except ValueError:
            shape = getattr(input, "shape", None)
            if shape is not None and (not shape or shape[-1] != self.in_features):
                raise ValueError(
                    f"Linear: expected input with {self.in_features} features "
                    f"(last dim), got shape {tuple(shape)}"
                ) from None
            raise

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


_FUSING_LINEARS.add(Linear)


class Bilinear(Module):
    """y_k = x1ᵀ A_k x2 + b_k.

    x1 (..., in1_features), x2 (..., in2_features) → y (..., out_features);
    weight (out_features, in1_features, in2_features), bias (out_features,), both
    initialised U(−1/√in1, 1/√in1) as torch.
    """

    def __init__(
        self,
        in1_features: int,
        in2_features: int,
        out_features: int,
        bias: bool = True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        self.weight = Parameter(_empty((out_features, in1_features, in2_features), dtype))
        if bias:
            self.bias = Parameter(_empty((out_features,), dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        self._place(device)

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.shape[1]) if self.in1_features > 0 else 0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        for name, x, n in (
            ("input1", input1, self.in1_features),
            ("input2", input2, self.in2_features),
        ):
            if not x.shape or x.shape[-1] != n:
                raise ValueError(
                    f"Bilinear: expected {name} with {n} features (last dim), "
                    f"got shape {tuple(x.shape)}"
                )
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )


__all__ = ["Identity", "Linear", "Bilinear"]
