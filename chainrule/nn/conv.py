"""Convolution layers: ``Conv1d``, ``Conv2d``, ``ConvTranspose2d``, with torch's weight layouts
and default initialisation (weight and bias uniform in ±1/√fan_in)."""

from __future__ import annotations

import math

from .. import backend
from ..functions import conv as _C
from ..functions.conv import _tuple
from ..functions.shape import pad
from .module import Module
from .parameter import Parameter

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """Shared construction: checks, Parameters, initialisation and repr."""

    _nd = 2
    _transposed = False

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
        output_padding=0,
    ):
        super().__init__()
        op, nd = type(self).__name__, self._nd
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(
                f"{op}: in_channels ({in_channels}) and out_channels ({out_channels}) must be "
                f"divisible by groups ({groups})"
            )
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"{op}: padding_mode must be one of {_PADDING_MODES}, got {padding_mode!r}"
            )
        if self._transposed and padding_mode != "zeros":
            raise ValueError(f"{op}: only padding_mode='zeros' is supported, got {padding_mode!r}")
        if isinstance(padding, str) and padding not in ("same", "valid"):
            raise ValueError(f"{op}: padding must be 'same', 'valid' or ints, got {padding!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _tuple(kernel_size, nd, "kernel_size", op)
        self.stride = _tuple(stride, nd, "stride", op)
        self.padding = padding if isinstance(padding, str) else _tuple(padding, nd, "padding", op)
        if padding == "same" and any(s != 1 for s in self.stride):
            raise ValueError(f"{op}: padding='same' needs stride 1, got stride {self.stride}")
        self.dilation = _tuple(dilation, nd, "dilation", op)
        self.output_padding = _tuple(output_padding, nd, "output_padding", op)
        self.padding_mode = padding_mode
        if padding_mode != "zeros":  # F.pad's (left, right) pairs, from the last dim back
            if self.padding == "valid":
                widths = [(0, 0)] * nd
            elif self.padding == "same":
                spans = [d * (k - 1) for d, k in zip(self.dilation, self.kernel_size)]
                widths = [(s // 2, s - s // 2) for s in spans]
            else:
                widths = [(p, p) for p in self.padding]
            self._reversed_padding_repeated_twice = tuple(v for w in reversed(widths) for v in w)
        if self._transposed:
            shape = (in_channels, out_channels // groups, *self.kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *self.kernel_size)
        dtype = backend.as_dtype(dtype) or backend.DEFAULT_FLOAT
        self.weight = Parameter(backend.np.empty(shape, dtype=dtype))
        self.bias = Parameter(backend.np.empty(out_channels, dtype=dtype)) if bias else None
        self.reset_parameters()
        self._place(device)

    def reset_parameters(self) -> None:
        """torch's default: kaiming_uniform_(a=√5), i.e. weight and bias uniform in
        ±1/√fan_in with fan_in = weight.shape[1]·∏kernel_size."""
        fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        rng = backend.rng()  # drawn on the host, copied to the weights' device
        w = rng.uniform(-bound, bound, size=self.weight.shape)
        self.weight.data[...] = backend.to_device(w, self.weight.device)
        if self.bias is not None:
            b = rng.uniform(-bound, bound, size=self.bias.shape)
            self.bias.data[...] = backend.to_device(b, self.bias.device)

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,) * self._nd:
            s += f", padding={self.padding}"  # a string unquoted, as torch prints it
        if self.dilation != (1,) * self._nd:
            s += f", dilation={self.dilation}"
        if self._transposed and self.output_padding != (0,) * self._nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def _padded(self, input):  # noqa: A002
        """(the input, the padding to convolve it with): for padding_mode 'reflect',
        'replicate' or 'circular' the input padded first with ``pad`` (whose gradient sums the
        copies back) and then no padding, as torch does."""
        if self.padding_mode == "zeros":
            return input, self.padding
        return pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode), 0


class Conv1d(_ConvNd):
    """1-D convolution over (N, C_in, L) → (N, C_out, L_out); weight (C_out, C_in/groups, k).
    Takes torch's arguments: in_channels, out_channels, kernel_size, stride=1, padding=0,
    dilation=1, groups=1, bias=True, padding_mode='zeros' ('reflect', 'replicate' or
    'circular' pad the input with ``pad`` first, as torch)."""

    _nd = 1

    def forward(self, input):  # noqa: A002
        x, padding = self._padded(input)
        return _C._conv1d(
            "Conv1d", x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups
        )


class Conv2d(_ConvNd):
    """2-D convolution over (N, C_in, H, W) → (N, C_out, H_out, W_out);
    weight (C_out, C_in/groups, kH, kW), bias (C_out,). Takes torch's arguments:
    in_channels, out_channels, kernel_size, stride=1, padding=0 (ints or 'same'/'valid'),
    dilation=1, groups=1, bias=True, padding_mode='zeros' (or 'reflect', 'replicate',
    'circular': the input is padded with ``pad`` first, as torch does).

        >>> Conv2d(1, 16, 3, padding=1)(cr.randn(8, 1, 28, 28)).shape
        (8, 16, 28, 28)
    """

    def forward(self, input):  # noqa: A002
        x, padding = self._padded(input)
        return _C._conv2d(
            "Conv2d", x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups
        )


class ConvTranspose2d(_ConvNd):
    """2-D transposed convolution (the input gradient of Conv2d), (N, C_in, H, W) →
    (N, C_out, H_out, W_out) with H_out = (H − 1)·s − 2p + d·(k − 1) + output_padding + 1;
    weight (C_in, C_out/groups, kH, kW), bias (C_out,)."""

    _transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ):
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__}: padding must be ints, got {padding!r}")
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            device,
            dtype,
            output_padding,
        )
        self._place(device)

    _transposed_conv = staticmethod(_C._conv_transpose2d)  # ConvTranspose1d: the 1-d one

    def forward(self, input, output_size=None):  # noqa: A002
        opad = self.output_padding
        if output_size is not None:
            opad = self._output_padding_for(input, output_size)
        return self._transposed_conv(
            type(self).__name__,
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            opad,
            self.groups,
            self.dilation,
        )

    def _output_padding_for(self, input, output_size):  # noqa: A002
        """The output_padding that gives ``output_size`` (its last one or two entries), as
        torch."""
        nd = self._nd
        size = tuple(output_size)[-nd:]
        opad = []
        for n, want, s, p, d, k in zip(
            tuple(input.shape)[-nd:],
            size,
            self.stride,
            self.padding,
            self.dilation,
            self.kernel_size,
        ):
            least = (n - 1) * s - 2 * p + d * (k - 1) + 1
            if not least <= want < least + s:
                raise ValueError(
                    f"{type(self).__name__}: requested output size {tuple(size)} is not reachable "
                    f"from input {tuple(input.shape)}: each side must lie in [{least}, "
                    f"{least + s - 1}]"
                )
            opad.append(want - least)
        return tuple(opad)


class ConvTranspose1d(ConvTranspose2d):
    """1-D transposed convolution (the input gradient of Conv1d), (N, C_in, L) →
    (N, C_out, L_out) with L_out = (L − 1)·s − 2p + d·(k − 1) + output_padding + 1; weight
    (C_in, C_out/groups, k), bias (C_out,)."""

    _nd = 1
    _transposed_conv = staticmethod(_C._conv_transpose1d)


__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]
