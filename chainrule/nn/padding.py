"""Padding layers, as torch's: ``ZeroPad*``, ``ConstantPad*``, ``ReflectionPad*``,
``ReplicationPad*`` and ``CircularPad*`` (1d, 2d and 3d). Each is ``F.pad`` with a fixed padding
(no parameters); an int pads every side by that amount."""

from __future__ import annotations

from ..functions.shape import pad as _pad
from .module import Module


def _widths(padding, n, name):
    if isinstance(padding, int):
        return (padding,) * n
    t = tuple(padding)
    if len(t) != n or not all(isinstance(p, int) for p in t):
        raise ValueError(f"{name}: padding must be an int or {n} ints, got {padding!r}")
    return t


class _PadNd(Module):
    mode = "constant"
    sides = 2

    def __init__(self, padding, value: float = 0.0):
        super().__init__()
        self.padding = _widths(padding, self.sides, type(self).__name__)
        self.value = value

    def forward(self, input):  # noqa: A002
        if self.mode == "constant":
            return _pad(input, self.padding, "constant", self.value)
        return _pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ConstantPad1d(_PadNd):
    """Pads the last dim by (left, right) with ``value``."""

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad2d(ConstantPad1d):
    """Pads the last two dims by (left, right, top, bottom) with ``value``."""

    sides = 4


class ZeroPad1d(ConstantPad1d):
    """Pads the last dim by (left, right) with zeros."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ZeroPad1d):
    """Pads the last two dims by (left, right, top, bottom) with zeros."""

    sides = 4


class ReflectionPad1d(_PadNd):
    """Mirrors the last dim without repeating the edge; input (N, C, W) or (C, W)."""

    mode = "reflect"


class ReflectionPad2d(ReflectionPad1d):
    """Mirrors the last two dims; input (N, C, H, W) or (C, H, W)."""

    sides = 4


class ReplicationPad1d(_PadNd):
    """Repeats the edge of the last dim; input (N, C, W) or (C, W)."""

    mode = "replicate"


class ReplicationPad2d(ReplicationPad1d):
    """Repeats the edges of the last two dims; input (N, C, H, W) or (C, H, W)."""

    sides = 4


class CircularPad1d(_PadNd):
    """Wraps the last dim around; input (N, C, W) or (C, W)."""

    mode = "circular"


class CircularPad2d(CircularPad1d):
    """Wraps the last two dims around; input (N, C, H, W) or (C, H, W)."""

    sides = 4


class ConstantPad3d(ConstantPad1d):
    """Pads the last three dims by (left, right, top, bottom, front, back) with ``value``."""

    sides = 6


class ZeroPad3d(ZeroPad1d):
    """Pads the last three dims by (left, right, top, bottom, front, back) with zeros."""

    sides = 6


class ReflectionPad3d(ReflectionPad1d):
    """Mirrors the last three dims; input (N, C, D, H, W) or (C, D, H, W)."""

    sides = 6


class ReplicationPad3d(ReplicationPad1d):
    """Repeats the edges of the last three dims; input (N, C, D, H, W) or (C, D, H, W)."""

    sides = 6


class CircularPad3d(CircularPad1d):
    """Wraps the last three dims around; input (N, C, D, H, W) or (C, D, H, W)."""

    sides = 6


__all__ = [
    "ZeroPad1d",
    "ZeroPad2d",
    "ConstantPad1d",
    "ConstantPad2d",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "CircularPad1d",
    "CircularPad2d",
    "ZeroPad3d",
    "ConstantPad3d",
    "ReflectionPad3d",
    "ReplicationPad3d",
    "CircularPad3d",
]
