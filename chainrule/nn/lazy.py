"""Lazy modules: layers whose input size (in_features, in_channels, num_features) is read from
the first input instead of given up front, as torch's ``nn.LazyLinear`` and kin.

Until then their parameters (and the norms' running statistics) are ``UninitializedParameter``
(``UninitializedBuffer``) placeholders: they hold a dtype and a device, but no shape. The first
call materialises them with the size found in the input, initialises them as the regular layer
does, and turns the module into that regular class, so after ``m(x)`` the module *is* an
``nn.Linear`` (``isinstance(m, Linear)``, ``type(m) is Linear``). Loading a state dict into a
lazy module materialises it with the checkpoint's shapes.

The placeholders stay the same Python objects when they are materialised, so an optimizer built
on a lazy model before its first call updates the real weights afterwards (as torch's do; until
then they have no gradient and are skipped).
"""

from __future__ import annotations

from itertools import chain

from .. import backend
from ..tensor import Tensor
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .conv3d import Conv3d, ConvTranspose3d
from .linear import Linear
from .module import Module
from .normalization import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
)
from .parameter import Parameter

_NO_SHAPE = (
    "has no shape yet; run the lazy module once on an input (or load a state dict into it) "
    "to materialise it"
)


class _Uninitialized:
    """A tensor without a shape until ``materialize(shape)``, which gives it an (uninitialised)
    array of that shape and turns it into ``cls_to_become``."""

    __slots__ = ()
    cls_to_become: type = Tensor

    def _no_shape(self, *_):
        raise ValueError(f"{type(self).__name__} {_NO_SHAPE}")

    shape = property(_no_shape)
    ndim = property(_no_shape)
    size = numel = dim = _no_shape

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Become a ``cls_to_become`` of ``shape`` (contents undefined: initialise them), in
        ``dtype`` and on ``device`` (default: the placeholder's)."""
        dtype = backend.as_dtype(dtype) or self.data.dtype
        device = backend.device_of(self.data) if device is None else device
        self.data = backend.to_device(backend.np.empty(tuple(shape), dtype=dtype), device)
        self.__class__ = self.cls_to_become

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


def _placeholder(device, dtype):
    dtype = backend.as_dtype(dtype) or backend.DEFAULT_FLOAT
    a = backend.np.empty((0,), dtype=dtype)
    return a if device is None else backend.to_device(a, device)


class UninitializedParameter(_Uninitialized, Parameter):
    """A Parameter whose shape is not known yet (``nn.UninitializedParameter``)."""

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device=None, dtype=None):
        super().__init__(_placeholder(device, dtype), requires_grad)

    def __reduce_ex__(self, proto):
        return (UninitializedParameter, (self.requires_grad, None, self.data.dtype))


class UninitializedBuffer(_Uninitialized, Tensor):
    """A buffer whose shape is not known yet (``nn.UninitializedBuffer``)."""

    __slots__ = ()
    cls_to_become = Tensor

    def __init__(self, requires_grad: bool = False, device=None, dtype=None):
        super().__init__(_placeholder(device, dtype), requires_grad=requires_grad)

    def __reduce_ex__(self, proto):
        return (UninitializedBuffer, (self.requires_grad, None, self.data.dtype))


class LazyModuleMixin:
    """The lazy half of a Lazy layer: subclasses give ``initialize_parameters(input)`` (read the
    size, materialise, ``reset_parameters``), ``_sizes_from_params`` (the same sizes read back
    from materialised parameters, after a state dict is loaded) and ``cls_to_become``."""

    cls_to_become: type | None = None

    def has_uninitialized_params(self) -> bool:
        """Whether a parameter or buffer is still an uninitialised placeholder."""
        tensors = chain(self._parameters.values(), self._buffers.values())
        return any(isinstance(t, _Uninitialized) for t in tensors)

    def initialize_parameters(self, *args, **kwargs) -> None:
        raise NotImplementedError(f"{type(self).__name__} has no initialize_parameters()")

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params():  # nothing to fill before materialising
            super().reset_parameters()

    def __call__(self, *args, **kwargs):
        if self.has_uninitialized_params():
            self.initialize_parameters(*args, **kwargs)
        self._become()
        return Module.__call__(self, *args, **kwargs)

    def _become(self) -> None:
        if not self.has_uninitialized_params() and self.cls_to_become is not None:
            self.__class__ = self.cls_to_become

    def state_dict(self, destination=None, prefix: str = "", keep_vars: bool = False):
        """As Module's, with the uninitialised placeholders themselves as values (as torch)."""
        out = super().state_dict(destination, prefix, keep_vars)
        for name, t in chain(self._parameters.items(), self._buffers.items()):
            if isinstance(t, _Uninitialized) and prefix + name in out:
                out[prefix + name] = t
        return out

    def _lazy_load_hook(self, state_dict, prefix: str = "") -> None:
        """Materialise every placeholder whose key (``prefix`` + name) is in ``state_dict``,
        with the shape found there; once none is left, read the sizes back and become the
        regular class. (A container's ``load_state_dict`` calls this for its lazy children
        once Module.load_state_dict runs the hook; a lazy module's own does now.)"""
        for name, t in chain(self._parameters.items(), self._buffers.items()):
            value = state_dict.get(prefix + name)
            if isinstance(t, _Uninitialized) and value is not None:
                if isinstance(value, _Uninitialized):
                    continue
                t.materialize(tuple(value.shape))
        if not self.has_uninitialized_params():
            self._sizes_from_params()
            self._become()

    def load_state_dict(self, state_dict, strict: bool = True):
        self._lazy_load_hook(state_dict)
        return Module.load_state_dict(self, state_dict, strict)


# ---------------------------------------------------------------- LazyLinear
class LazyLinear(LazyModuleMixin, Linear):
    """``Linear`` with ``in_features`` read from the first input's last dimension:
    ``LazyLinear(out_features, bias=True)``; then y = x Wᵀ + b, initialised as Linear."""

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None):
        Module.__init__(self)
        self.in_features, self.out_features = 0, out_features
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        else:
            self.register_parameter("bias", None)

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        shape = tuple(getattr(input, "shape", ()))
        if not shape:
            raise ValueError(
                f"{type(self).__name__}: expected an input with a feature dimension (last), "
                f"got shape {shape}"
            )
        self.in_features = int(shape[-1])
        self.weight.materialize((self.out_features, self.in_features))
        if self.bias is not None:
            self.bias.materialize((self.out_features,))
        self.reset_parameters()

    def _sizes_from_params(self) -> None:
        self.in_features = self.weight.shape[1]


# ---------------------------------------------------------------- LazyConv*
class _LazyConvMixin(LazyModuleMixin):
    """in_channels from the first input: dim 1 of a batched (N, C, *spatial) input, dim 0 of
    an unbatched (C, *spatial) one, as torch."""

    def _lazy(self, out_channels, groups, bias, device, dtype) -> None:
        if groups < 1 or out_channels % groups:
            raise ValueError(
                f"{type(self).__name__}: out_channels ({out_channels}) must be divisible by "
                f"groups ({groups})"
            )
        self.out_channels = out_channels
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        else:
            self.register_parameter("bias", None)

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        op, nd = type(self).__name__, self._nd
        shape = tuple(getattr(input, "shape", ()))
        if len(shape) not in (nd + 1, nd + 2):
            raise ValueError(
                f"{op}: expected {nd + 1}-D (unbatched) or {nd + 2}-D (batched) input, got "
                f"shape {shape}"
            )
        c = int(shape[0] if len(shape) == nd + 1 else shape[1])
        if c % self.groups:
            raise ValueError(
                f"{op}: in_channels ({c}) of input shape {shape} must be divisible by groups "
                f"({self.groups})"
            )
        self.in_channels = c
        out, g, k = self.out_channels, self.groups, self.kernel_size
        self.weight.materialize((c, out // g, *k) if self._transposed else (out, c // g, *k))
        if self.bias is not None:
            self.bias.materialize((out,))
        self.reset_parameters()

    def _sizes_from_params(self) -> None:
        w = self.weight.shape
        self.in_channels = w[0] if self._transposed else w[1] * self.groups


class _LazyConv(_LazyConvMixin):
    def __init__(
        self,
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
        # the regular constructor with no channels checks the rest and draws no numbers
        type(self).cls_to_become.__init__(
            self, 0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode,
            device, dtype,
        )  # fmt: skip
        self._lazy(out_channels, groups, bias, device, dtype)


class _LazyConvTranspose(_LazyConvMixin):
    def __init__(
        self,
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
        type(self).cls_to_become.__init__(
            self, 0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation,
            padding_mode, device, dtype,
        )  # fmt: skip
        self._lazy(out_channels, groups, bias, device, dtype)


class LazyConv1d(_LazyConv, Conv1d):
    """``Conv1d`` with in_channels read from the first input:
    ``LazyConv1d(out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
    bias=True, padding_mode='zeros')``."""

    cls_to_become = Conv1d


class LazyConv2d(_LazyConv, Conv2d):
    """``Conv2d`` with in_channels read from the first input (arguments as LazyConv1d)."""

    cls_to_become = Conv2d


class LazyConvTranspose1d(_LazyConvTranspose, ConvTranspose1d):
    """``ConvTranspose1d`` with in_channels read from the first input:
    ``LazyConvTranspose1d(out_channels, kernel_size, stride=1, padding=0, output_padding=0,
    groups=1, bias=True, dilation=1, padding_mode='zeros')``."""

    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTranspose, ConvTranspose2d):
    """``ConvTranspose2d`` with in_channels read from the first input (arguments as
    LazyConvTranspose1d)."""

    cls_to_become = ConvTranspose2d


class LazyConv3d(_LazyConv, Conv3d):
    """``Conv3d`` with in_channels read from the first input (arguments as LazyConv1d)."""

    cls_to_become = Conv3d


class LazyConvTranspose3d(_LazyConvTranspose, ConvTranspose3d):
    """``ConvTranspose3d`` with in_channels read from the first input (arguments as
    LazyConvTranspose1d)."""

    cls_to_become = ConvTranspose3d


# ---------------------------------------------------------------- LazyBatchNorm, LazyInstanceNorm
class _LazyNormMixin(LazyModuleMixin):
    """num_features from the first input's channel dimension."""

    def __init__(
        self,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
    ):
        self._lazy(eps, momentum, affine, track_running_stats, device, dtype)

    def _lazy(self, eps, momentum, affine, track_running_stats, device, dtype) -> None:
        type(self).cls_to_become.__init__(
            self, 0, eps, momentum, affine, track_running_stats, device, dtype
        )
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.register_buffer("running_mean", UninitializedBuffer(device=device, dtype=dtype))
            self.register_buffer("running_var", UninitializedBuffer(device=device, dtype=dtype))

    def _channels(self, shape) -> int:
        raise NotImplementedError

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        self.num_features = self._channels(tuple(getattr(input, "shape", ())))
        for t in (self.weight, self.bias, self.running_mean, self.running_var):
            if isinstance(t, _Uninitialized):
                t.materialize((self.num_features,))
        self.reset_parameters()

    def _sizes_from_params(self) -> None:
        t = self.weight if self.weight is not None else self.running_mean
        if t is not None:
            self.num_features = t.shape[0]


class _LazyBatchNorm(_LazyNormMixin):
    def _channels(self, shape) -> int:
        if len(shape) not in self._ranks:
            raise ValueError(f"{type(self).__name__}: expected {self._layout}, got shape {shape}")
        return int(shape[1])


class LazyBatchNorm1d(_LazyBatchNorm, BatchNorm1d):
    """``BatchNorm1d`` with num_features read from the first (N, C) or (N, C, L) input."""

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyBatchNorm, BatchNorm2d):
    """``BatchNorm2d`` with num_features read from the first (N, C, H, W) input."""

    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyBatchNorm, BatchNorm3d):
    """``BatchNorm3d`` with num_features read from the first (N, C, D, H, W) input."""

    cls_to_become = BatchNorm3d


class _LazyInstanceNorm(_LazyNormMixin):
    """torch's lazy instance norms default to ``affine=True, track_running_stats=True``
    (the regular ones to False, False). The channel count of an unbatched input (C, *) is
    its dim 0 (torch 2.13 reads dim 1 there, then fails in forward)."""

    def _channels(self, shape) -> int:
        d = self._dims
        if len(shape) not in (d, d + 1):
            raise ValueError(
                f"{type(self).__name__}: expected {d}-D (unbatched) or {d + 1}-D input, got "
                f"shape {shape}"
            )
        return int(shape[0] if len(shape) == d else shape[1])


class LazyInstanceNorm1d(_LazyInstanceNorm, InstanceNorm1d):
    """``InstanceNorm1d`` with num_features read from the first (N, C, L) or (C, L) input."""

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyInstanceNorm, InstanceNorm2d):
    """``InstanceNorm2d`` with num_features read from the first (N, C, H, W) or (C, H, W)
    input."""

    cls_to_become = InstanceNorm2d


class LazyInstanceNorm3d(_LazyInstanceNorm, InstanceNorm3d):
    """``InstanceNorm3d`` with num_features read from the first (N, C, D, H, W) or
    (C, D, H, W) input."""

    cls_to_become = InstanceNorm3d


__all__ = [
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
    "LazyBatchNorm3d",
    "LazyConv1d",
    "LazyConv2d",
    "LazyConvTranspose1d",
    "LazyConvTranspose2d",
    "LazyInstanceNorm1d",
    "LazyInstanceNorm2d",
    "LazyInstanceNorm3d",
    "LazyLinear",
    "LazyModuleMixin",
    "UninitializedBuffer",
    "UninitializedParameter",
]
