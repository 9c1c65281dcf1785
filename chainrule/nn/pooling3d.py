"""3-d pooling layers, as torch's: ``MaxPool3d``, ``AvgPool3d``, ``AdaptiveAvgPool3d``,
``AdaptiveMaxPool3d``, ``LPPool3d``, ``MaxUnpool3d``, and ``FractionalMaxPool2d/3d`` (no
parameters; each wraps its function in chainrule/functions/pooling3d.py)."""

from __future__ import annotations

from ..functions import pooling3d as _P3
from ..tensor import Tensor
from .container import _MAX_POOLS
from .module import Module
from .pooling import (
    AdaptiveAvgPool2d,
    AdaptiveMaxPool2d,
    AvgPool2d,
    LPPool2d,
    MaxPool2d,
    MaxUnpool2d,
)


class MaxPool3d(MaxPool2d):
    """Max over each kD×kH×kW window (stride defaults to the kernel size), as
    ``torch.nn.MaxPool3d``; ties route the gradient to the first maximum."""

    _pool = staticmethod(_P3.max_pool3d)


class AvgPool3d(AvgPool2d):
    """Mean over each kD×kH×kW window, as ``torch.nn.AvgPool3d`` (padding counts by default)."""

    _pool = staticmethod(_P3.avg_pool3d)


class AdaptiveAvgPool3d(AdaptiveAvgPool2d):
    """Mean over torch's adaptive bins: (N, C, D, H, W) → (N, C, *output_size)."""

    def forward(self, input):  # noqa: A002
        return _P3.adaptive_avg_pool3d(input, self.output_size)


class AdaptiveMaxPool3d(AdaptiveMaxPool2d):
    """Max over torch's adaptive bins: (N, C, D, H, W) → (N, C, *output_size)."""

    def forward(self, input):  # noqa: A002
        return _P3.adaptive_max_pool3d(input, self.output_size, self.return_indices)


class LPPool3d(LPPool2d):
    """(Σ xᵖ over each kD×kH×kW window)^(1/p), as ``torch.nn.LPPool3d``."""

    _pool = staticmethod(_P3.lp_pool3d)


class MaxUnpool3d(MaxUnpool2d):
    """Max pooling undone from its indices (zeros elsewhere), as ``torch.nn.MaxUnpool3d``."""

    _unpool = staticmethod(_P3.max_unpool3d)
    _nd = 3


class FractionalMaxPool2d(Module):
    """Max over pseudo-random windows of size ``kernel_size`` (Graham, 2014), as
    ``torch.nn.FractionalMaxPool2d``; give ``output_size`` or ``output_ratio`` (in (0, 1)).
    ``_random_samples`` (N, C, 2), kept as a buffer, fixes the windows; else each call draws."""

    _nd = 2
    _fn = staticmethod(_P3.fractional_max_pool2d)

    def __init__(
        self,
        kernel_size,
        output_size=None,
        output_ratio=None,
        return_indices: bool = False,
        _random_samples: Tensor | None = None,
    ):
        super().__init__()
        n, name = self._nd, type(self).__name__

        def tup(v):
            return (v,) * n if isinstance(v, (int, float)) else tuple(v)

        k = tup(kernel_size)
        if not all(isinstance(v, int) and v > 0 for v in k):
            raise ValueError(f"{name}: kernel_size must be greater than 0, got {kernel_size!r}")
        if (output_size is None) == (output_ratio is None):
            raise ValueError(
                f"{name}: give exactly one of output_size and output_ratio, got output_size "
                f"{output_size!r} and output_ratio {output_ratio!r}"
            )
        self.kernel_size, self.return_indices = k, return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = None if output_size is None else tup(output_size)
        self.output_ratio = None if output_ratio is None else tup(output_ratio)
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"{name}: output_ratio must be between 0 and 1, got {output_ratio}")

    def forward(self, input):  # noqa: A002
        return self._fn(
            input,
            self.kernel_size,
            self.output_size,
            self.output_ratio,
            self.return_indices,
            _random_samples=self._random_samples,
        )


class FractionalMaxPool3d(FractionalMaxPool2d):
    """Max over pseudo-random kD×kH×kW windows, as ``torch.nn.FractionalMaxPool3d``;
    ``_random_samples`` is (N, C, 3)."""

    _nd = 3
    _fn = staticmethod(_P3.fractional_max_pool3d)


__all__ = [
    "MaxPool3d",
    "AvgPool3d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool3d",
    "LPPool3d",
    "MaxUnpool3d",
    "FractionalMaxPool2d",
    "FractionalMaxPool3d",
]


# max and ReLU commute, as for MaxPool2d (nn.Sequential may pool first; see container.py)
_MAX_POOLS[MaxPool3d] = lambda m: not m.return_indices
