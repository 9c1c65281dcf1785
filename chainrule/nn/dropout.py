"""Dropout layers: active in training mode, the identity in evaluation mode (``eval()``).

y = x · m / (1 − p),  m ~ Bernoulli(1 − p) per element (Dropout) or per channel
(Dropout1d, Dropout2d, Dropout3d); AlphaDropout and FeatureAlphaDropout keep SELU's
self-normalisation instead: y = x · a m + λα a (m − 1 + p) (functions/dropout.py).
"""

from __future__ import annotations

from ..functions import dropout as D
from ..tensor import Tensor
from .module import Module


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(
                f"{type(self).__name__}: dropout probability has to be between 0 and 1, but got {p}"
            )
        self.p, self.inplace = p, inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability ``p`` in training; scale the rest by 1/(1 − p).
    Any shape."""

    def forward(self, input: Tensor) -> Tensor:
        return D.dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) or (C, L) input with probability ``p`` in training."""

    def forward(self, input: Tensor) -> Tensor:
        return D.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zero whole channels (feature maps) of (N, C, H, W) input with probability ``p`` in
    training; a 3-D input is read as (N, C, L)."""

    def forward(self, input: Tensor) -> Tensor:
        return D.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """Zero whole channels (volumes) of (N, C, D, H, W) or (C, D, H, W) input with
    probability ``p`` in training."""

    def forward(self, input: Tensor) -> Tensor:
        return D.dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Alpha dropout for SELU networks: in training each element is dropped to SELU's
    saturation value with probability ``p``, and an affine map keeps mean 0 and variance 1.
    Any shape."""

    def forward(self, input: Tensor) -> Tensor:
        return D.alpha_dropout(input, self.p, self.training, self.inplace)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels of (N, C, ...) input: each (n, c) channel is kept
    (scaled and shifted) or set to the dropped value as one."""

    def forward(self, input: Tensor) -> Tensor:
        return D.feature_alpha_dropout(input, self.p, self.training, self.inplace)


__all__ = ["AlphaDropout", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "FeatureAlphaDropout"]
