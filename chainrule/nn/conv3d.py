"""3-D convolution layers: ``Conv3d`` and ``ConvTranspose3d``, with torch's weight layouts,
default initialisation (weight and bias uniform in ±1/√fan_in) and padding modes."""

from __future__ import annotations

from ..functions import conv3d as _C3
from ..functions.shape import pad
from .conv import ConvTranspose2d, _ConvNd

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class Conv3d(_ConvNd):
    """3-D convolution over (N, C_in, D, H, W) or (C_in, D, H, W) → (N, C_out, D_out, H_out,
    W_out); weight (C_out, C_in/groups, kD, kH, kW), bias (C_out,). Takes torch's arguments:
    in_channels, out_channels, kernel_size, stride=1, padding=0 (ints or 'same'/'valid'),
    dilation=1, groups=1, bias=True, padding_mode='zeros', device=None, dtype=None.

    padding_mode 'reflect', 'replicate' or 'circular' pads the input with ``pad`` first (its
    gradient sums the copies back), then convolves without padding, as torch does.

        >>> Conv3d(1, 8, 3, padding=1)(cr.randn(2, 1, 16, 16, 16)).shape
        (2, 8, 16, 16, 16)
    """

    _nd = 3

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
    ):
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"Conv3d: padding_mode must be one of {_PADDING_MODES}, got {padding_mode!r}"
            )
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            "zeros",  # the base class pads with zeros only; the mode is applied in forward
            device,
            dtype,
        )
        self.padding_mode = padding_mode
        if self.padding == "valid":
            widths = [(0, 0)] * 3
        elif self.padding == "same":
            spans = [d * (k - 1) for d, k in zip(self.dilation, self.kernel_size)]
            widths = [(s // 2, s - s // 2) for s in spans]
        else:
            widths = [(p, p) for p in self.padding]
        # F.pad's order: (left, right) pairs from the last dim back
        self._reversed_padding_repeated_twice = tuple(v for w in reversed(widths) for v in w)

    def forward(self, input):  # noqa: A002
        x, padding = input, self.padding
        if self.padding_mode != "zeros":
            x = pad(x, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            padding = 0
        return _C3._conv3d(
            "Conv3d", x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups
        )

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if isinstance(self.padding, str):
            s += f", padding={self.padding}"  # torch prints the string unquoted
        elif self.padding != (0, 0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class ConvTranspose3d(ConvTranspose2d):
    """3-D transposed convolution (the input gradient of Conv3d), (N, C_in, D, H, W) or
    (C_in, D, H, W) → (N, C_out, D_out, H_out, W_out) with
    D_out = (D − 1)·s − 2p + d·(kD − 1) + output_padding + 1; weight (C_in, C_out/groups,
    kD, kH, kW), bias (C_out,). Takes torch's arguments: in_channels, out_channels,
    kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True, dilation=1,
    padding_mode='zeros' (the only mode, as in torch), device=None, dtype=None.
    ``forward(input, output_size=None)``: output_size picks the output_padding that reaches it.
    """

    _nd = 3
    _transposed_conv = staticmethod(_C3._conv_transpose3d)

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
        if padding_mode != "zeros":
            raise ValueError(
                f"ConvTranspose3d: only padding_mode='zeros' is supported, got {padding_mode!r}"
            )
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            output_padding,
            groups,
            bias,
            dilation,
            padding_mode,
            device,
            dtype,
        )


__all__ = ["Conv3d", "ConvTranspose3d"]
