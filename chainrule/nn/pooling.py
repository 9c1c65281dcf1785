"""Pooling layers: ``MaxPool2d``, ``AvgPool2d``, ``AdaptiveAvgPool2d``, ``AdaptiveMaxPool2d``
and their 1-d forms (no parameters)."""

from __future__ import annotations

from ..functions import adaptive_pooling as _AP
from ..functions import pooling as _P
from ..functions import pooling_extra as _PX
from .container import _MAX_POOLS
from .module import Module


class MaxPool2d(Module):
    """Max over each kH×kW window (stride defaults to the kernel size), as ``torch.nn.MaxPool2d``;
    ties route the gradient to the first maximum."""

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        dilation=1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    _pool = staticmethod(_P.max_pool2d)  # MaxPool1d: max_pool1d

    def forward(self, input):  # noqa: A002
        return self._pool(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
        )

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class AvgPool2d(Module):
    """Mean over each kH×kW window, as ``torch.nn.AvgPool2d`` (padding counts by default)."""

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override=None,
    ):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    _pool = staticmethod(_P.avg_pool2d)  # AvgPool3d: the 3-d one

    def forward(self, input):  # noqa: A002
        return self._pool(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Mean over torch's adaptive bins, giving an (N, C, *output_size) output."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):  # noqa: A002
        return _AP.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class MaxPool1d(MaxPool2d):
    """Max over each window of the last dim, as ``torch.nn.MaxPool1d``; input (N, C, L)."""

    _pool = staticmethod(_P.max_pool1d)


class AvgPool1d(Module):
    """Mean over each window of the last dim, as ``torch.nn.AvgPool1d``; input (N, C, L)."""

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ):
        super().__init__()
        self.kernel_size = _one(kernel_size)
        self.stride = self.kernel_size if stride is None else _one(stride)
        self.padding, self.ceil_mode = _one(padding), ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input):  # noqa: A002
        return _P.avg_pool1d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


def _one(v):
    """torch's AvgPool1d keeps its sizes as 1-tuples."""
    return (v,) if isinstance(v, int) else tuple(v)


class AdaptiveAvgPool1d(AdaptiveAvgPool2d):
    """Mean over torch's adaptive bins of the last dim: (N, C, L) → (N, C, output_size)."""

    def forward(self, input):  # noqa: A002
        return _AP.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveMaxPool2d(Module):
    """Max over torch's adaptive bins, giving an (N, C, *output_size) output."""

    def __init__(self, output_size, return_indices: bool = False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input):  # noqa: A002
        return _AP.adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(AdaptiveMaxPool2d):
    """Max over torch's adaptive bins of the last dim: (N, C, L) → (N, C, output_size)."""

    def forward(self, input):  # noqa: A002
        return _AP.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class LPPool2d(Module):
    """(Σ xᵖ over each kH×kW window)^(1/p), as ``torch.nn.LPPool2d``."""

    _pool = staticmethod(_PX.lp_pool2d)

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
        super().__init__()
        self.norm_type, self.kernel_size, self.stride = norm_type, kernel_size, stride
        self.ceil_mode = ceil_mode

    def forward(self, input):  # noqa: A002
        return self._pool(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return (
            f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, ceil_mode={self.ceil_mode}"
        )


class LPPool1d(LPPool2d):
    """(Σ xᵖ over each window of the last dim)^(1/p), as ``torch.nn.LPPool1d``."""

    _pool = staticmethod(_PX.lp_pool1d)


class MaxUnpool2d(Module):
    """Max pooling undone from its indices (zeros elsewhere), as ``torch.nn.MaxUnpool2d``."""

    _unpool = staticmethod(_PX.max_unpool2d)
    _nd = 2

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        n = self._nd  # kept as n-tuples, as torch keeps them

        def tup(v):
            return (v,) * n if isinstance(v, int) else tuple(v)

        self.kernel_size = tup(kernel_size)
        self.stride = self.kernel_size if stride is None else tup(stride)
        self.padding = tup(padding)

    def forward(self, input, indices, output_size=None):  # noqa: A002
        return self._unpool(
            input, indices, self.kernel_size, self.stride, self.padding, output_size
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(MaxUnpool2d):
    """``MaxUnpool2d`` along the last dim, as ``torch.nn.MaxUnpool1d``."""

    _unpool = staticmethod(_PX.max_unpool1d)
    _nd = 1


__all__ = [
    "LPPool1d",
    "LPPool2d",
    "MaxUnpool1d",
    "MaxUnpool2d",
    "MaxPool2d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "MaxPool1d",
    "AvgPool1d",
    "AdaptiveAvgPool1d",
    "AdaptiveMaxPool2d",
    "AdaptiveMaxPool1d",
]


# nn.Sequential runs a MaxPool2d that follows a ReLU first (max and ReLU commute), unless it
# returns indices, which would then point at other elements of windows whose max is ≤ 0
_MAX_POOLS[MaxPool2d] = lambda m: not m.return_indices
