"""Weight initialisation, as ``torch.nn.init``: each function fills a Tensor (or Parameter) in
place, without recording a gradient, from ``chainrule.backend.rng()`` (so ``cr.manual_seed``
makes it reproducible), and returns it.

For a weight of shape (out, in, *kernel), with r = Π kernel:
fan_in = in · r and fan_out = out · r.

    xavier (Glorot):   std = gain · √(2 / (fan_in + fan_out))
    kaiming (He):      std = gain / √fan,   gain = calculate_gain(nonlinearity, a)
    uniform variants:  U(−√3 · std, √3 · std), which has that std
"""

from __future__ import annotations

import math

from .. import backend
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor

_LINEAR_FNS = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (torch's table).

    linear, conv*, conv_transpose*, sigmoid: 1;  tanh: 5/3;  relu: √2;
    leaky_relu: √(2 / (1 + slope²)) (slope = ``param``, default 0.01);  selu: 3/4.
    """
    if nonlinearity in _LINEAR_FNS:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(
        f"calculate_gain: unsupported nonlinearity {nonlinearity!r} (expected one "
        f"of {', '.join(_LINEAR_FNS)}, tanh, relu, leaky_relu, selu)"
    )


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) = (size(1) · r, size(0) · r), r the product of dims after the 2nd."""
    if tensor.ndim < 2:
        raise ValueError(
            f"fan in and fan out can not be computed for a tensor with fewer than "
            f"2 dimensions, got shape {tuple(tensor.shape)}"
        )
    receptive = 1
    for s in tensor.shape[2:]:
        receptive *= s
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor: Tensor, values) -> Tensor:
    """Write ``values`` into ``tensor`` in place (no gradient recorded), bumping its version.

    Values are drawn on the host by the CPU generator, whatever the tensor's device, so a seed
    gives the same weights on every device; a GPU tensor gets them copied over."""
    if backend.is_array(values):
        values = backend.to_device(values, tensor.device)
    with no_grad():
        tensor[...] = values
    return tensor


def _rng(generator):
    return backend.rng() if generator is None else generator


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with U(a, b)."""
    return _fill(tensor, _rng(generator).uniform(a, b, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with N(mean, std²)."""
    return _fill(tensor, _rng(generator).normal(mean, std, tensor.shape))


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator=None,
) -> Tensor:
    """Fill with N(mean, std²) truncated to [a, b] (redrawing the values outside)."""
    if not a < b:
        raise ValueError(f"trunc_normal_: need a < b, got a={a}, b={b}")
    rng = _rng(generator)
    xp = backend.np
    out = rng.normal(mean, std, tensor.shape)
    bad = (out < a) | (out > b)
    while bad.any():
        out[bad] = rng.normal(mean, std, int(bad.sum()))
        bad = (out < a) | (out > b)
    return _fill(tensor, xp.asarray(out))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    return _fill(tensor, val)


def zeros_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 1.0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity (ones on the diagonal, zeros elsewhere)."""
    if tensor.ndim != 2:
        raise ValueError(f"eye_: only 2-D tensors are supported, got shape {tuple(tensor.shape)}")
    return _fill(tensor, backend.np.eye(*tensor.shape))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Fill with U(−a, a), a = gain · √(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Fill with N(0, std²), std = gain · √(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator=None,
) -> Tensor:
    """Fill with U(−bound, bound), bound = gain · √(3 / fan), gain from
    ``calculate_gain(nonlinearity, a)``, fan = fan_in or fan_out (``mode``)."""
    fan = _calculate_correct_fan(tensor, mode)
    if fan == 0:
        return tensor  # a zero-element tensor: nothing to fill (torch warns and returns)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator=None,
) -> Tensor:
    """Fill with N(0, std²), std = gain / √fan (see ``kaiming_uniform_``)."""
    fan = _calculate_correct_fan(tensor, mode)
    if fan == 0:
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Fill with a (semi-)orthogonal matrix times ``gain``: the tensor viewed as
    (rows, cols) = (size(0), numel / size(0)) has orthonormal rows (W Wᵀ = I when rows ≤ cols)
    or columns (WᵀW = I when rows > cols). Drawn as the Q of a QR decomposition of a Gaussian
    matrix, with signs fixed so the distribution is uniform (Haar)."""
    if tensor.ndim < 2:
        raise ValueError(
            f"orthogonal_: only tensors with 2 or more dimensions are supported, "
            f"got shape {tuple(tensor.shape)}"
        )
    if tensor.numel() == 0:
        return tensor
    xp = backend.np
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = _rng(generator).normal(0.0, 1.0, (rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = xp.linalg.qr(flat)
    q = q * xp.sign(xp.diag(r))  # make Q unique: R's diagonal positive
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor.shape))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a 3-, 4- or 5-D convolution weight (out, in, *k) with the Dirac delta: each of
    the ``groups`` keeps its first min(out/groups, in) input channels, as an identity
    convolution would (a 1 at the kernel's centre, k // 2)."""
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(
            f"dirac_: only 3, 4 and 5-D tensors are supported, got shape {tuple(tensor.shape)}"
        )
    out = tensor.shape[0]
    if groups < 1 or out % groups:
        raise ValueError(f"dirac_: dim 0 ({out}) must be divisible by groups ({groups})")
    per = out // groups
    values = backend.np.zeros(tensor.shape)
    centre = tuple(k // 2 for k in tensor.shape[2:])
    for g in range(groups):
        for d in range(min(per, tensor.shape[1])):
            values[(g * per + d, d) + centre] = 1
    return _fill(tensor, values)


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator=None) -> Tensor:
    """Fill a 2-D tensor with N(0, std²) values, then zero ⌈sparsity·rows⌉ entries of each
    column, at random rows (Martens, 2010)."""
    if tensor.ndim != 2:
        raise ValueError(
            f"sparse_: only 2-D tensors are supported, got shape {tuple(tensor.shape)}"
        )
    rows, cols = tensor.shape
    zeros = int(math.ceil(sparsity * rows))
    rng = _rng(generator)
    values = rng.normal(0.0, std, (rows, cols))
    for c in range(cols):
        values[rng.permutation(rows)[:zeros], c] = 0
    return _fill(tensor, values)


__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "trunc_normal_",
    "constant_",
    "zeros_",
    "ones_",
    "eye_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "orthogonal_",
    "dirac_",
    "sparse_",
]
