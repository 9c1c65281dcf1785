"""3-D convolution layers: ``Conv3d`` and ``ConvTranspose3d``, with torch's weight layouts,
default initialisation (weight and bias uniform in ±1/√fan_in) and padding modes."""

from __future__ import annotations

from ..functions import conv3d as _C3
from .conv import ConvTranspose2d, _ConvNd


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

    def forward(self, input):  # noqa: A002
        x, padding = self._padded(input)
        return _C3._conv3d(
            "Conv3d", x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups
        )


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


__all__ = ["Conv3d", "ConvTranspose3d"]
