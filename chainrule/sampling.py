"""Random sampling with torch's names: ``bernoulli``, ``multinomial``, ``normal``, ``poisson``,
and the in-place fills behind ``Tensor.bernoulli_``, ``exponential_``, ``geometric_``,
``cauchy_``, ``log_normal_`` and ``random_``.

Every draw comes from chainrule's generator for the tensor's device (``backend.rng``, seeded
by ``cr.manual_seed``), built from its uniform and normal draws by inverting a distribution
function where needed, so the same code runs on NumPy and CuPy:

    exponential(λ):  −ln(1 − U)/λ              U uniform on [0, 1)
    geometric(p):    ⌊ln(1 − U)/ln(1 − p)⌋ + 1  trials up to the first success
    cauchy(m, σ):    m + σ tan(π (U − ½))
    log-normal:      exp(μ + σ Z)               Z standard normal

Samples carry no gradient, as in torch.
"""

from __future__ import annotations

import math

from . import backend
from .autograd.grad_mode import no_grad
from .tensor import Tensor, as_tensor


def _draws(t):
    return backend.rng(backend.get_array_module(t.data))


def _fill(t: Tensor, values) -> Tensor:
    """Write ``values`` into ``t`` in place (cast to its dtype), as the ``*_`` fills do."""
    with no_grad():
        t[...] = values.astype(t.data.dtype, copy=False)
    return t


def _check_probabilities(p, op) -> None:
    """A ValueError naming the op unless every value of array ``p`` is in [0, 1]."""
    if p.size and not bool(((p >= 0) & (p <= 1)).all()):
        raise ValueError(f"{op}: probabilities must be in [0, 1], got values out of range")


def bernoulli(input, p=None, *, generator=None) -> Tensor:
    """1 with probability ``input`` (or the number ``p``), else 0, in input's dtype and shape."""
    t = as_tensor(input)
    if p is None:
        _check_probabilities(t.data, "bernoulli")
        p = t.data
    elif not 0 <= p <= 1:
        raise ValueError(f"bernoulli: p must be in [0, 1], got {p}")
    return Tensor((_draws(t).random(t.shape) < p).astype(t.data.dtype))


def bernoulli_(t: Tensor, p=0.5) -> Tensor:
    """Fill ``t`` with 0/1 draws, 1 with probability ``p`` (a number or a broadcastable tensor)."""
    pd = p.data if isinstance(p, Tensor) else p
    if isinstance(p, Tensor):
        _check_probabilities(pd, "bernoulli_")
    elif not 0 <= p <= 1:
        raise ValueError(f"bernoulli_: p must be in [0, 1], got {p}")
    return _fill(t, _draws(t).random(t.shape) < pd)


def exponential_(t: Tensor, lambd=1.0) -> Tensor:
    if not lambd > 0:
        raise ValueError(f"exponential_: lambd must be positive, got {lambd}")
    xp = backend.get_array_module(t.data)
    return _fill(t, -xp.log1p(-_draws(t).random(t.shape)) / lambd)


def geometric_(t: Tensor, p) -> Tensor:
    if not 0 < p < 1:
        raise ValueError(f"geometric_: p must be in (0, 1), got {p}")
    xp = backend.get_array_module(t.data)
    u = xp.log1p(-_draws(t).random(t.shape))
    return _fill(t, xp.floor(u / math.log1p(-p)) + 1)


def cauchy_(t: Tensor, median=0.0, sigma=1.0) -> Tensor:
    xp = backend.get_array_module(t.data)
    return _fill(t, median + sigma * xp.tan(math.pi * (_draws(t).random(t.shape) - 0.5)))


def log_normal_(t: Tensor, mean=1.0, std=2.0) -> Tensor:
    if not std > 0:
        raise ValueError(f"log_normal_: std must be positive, got {std}")
    xp = backend.get_array_module(t.data)
    return _fill(t, xp.exp(_draws(t).normal(mean, std, t.shape)))


def random_(t: Tensor, from_=0, to=None) -> Tensor:
    """Integers uniform in [from, to − 1]; ``random_(to)`` is [0, to − 1]. Without ``to``, up to
    the largest integer the dtype holds exactly (2²⁴ for float32, 2⁵³ for float64), as torch."""
    if to is None and from_ != 0:
        from_, to = 0, from_
    if to is None:
        dt = t.data.dtype
        to = (
            2 ** (backend.np.finfo(dt).nmant + 1) + 1
            if dt.kind == "f"
            else int(backend.np.iinfo(dt).max) + 1
            if dt.kind in "iu"
            else 2
        )
    if not to > from_:
        raise ValueError(f"random_: expects 'from' < 'to', got from={from_}, to={to}")
    return _fill(t, _draws(t).integers(from_, to, t.shape))


def multinomial(input, num_samples: int, replacement: bool = False, *, generator=None) -> Tensor:
    """Indices drawn from the categories of each row of non-negative weights ``input`` (C,)
    or (N, C): int64 (num_samples,) or (N, num_samples).

    With replacement: each draw inverts the row's cumulative distribution at a uniform U.
    Without: the Gumbel top-k trick, the k largest of ln wᵢ + Gᵢ (Gᵢ Gumbel), which draws the
    same sequence law as sampling one by one and removing each pick."""
    t = as_tensor(input)
    w = t.data
    op = "multinomial"
    if t.ndim not in (1, 2):
        raise ValueError(f"{op}: input must be 1-D or 2-D, got shape {t.shape}")
    if w.dtype.kind != "f":
        raise TypeError(f"{op}: weights must be floating point, got dtype {w.dtype}")
    n = int(num_samples)
    if n <= 0:
        raise ValueError(f"{op}: num_samples must be positive, got {num_samples}")
    xp = backend.get_array_module(w)
    w2 = w.reshape(1, -1) if t.ndim == 1 else w
    if not bool(xp.isfinite(w2).all()) or bool((w2 < 0).any()):
        raise ValueError(f"{op}: weights must be finite and non-negative")
    positive = (w2 > 0).sum(axis=1)
    if bool((positive == 0).any()):
        raise ValueError(f"{op}: each row of weights must have a positive sum")
    if not replacement and n > int(positive.min()):
        raise ValueError(
            f"{op}: cannot draw {n} samples without replacement from a row with only "
            f"{int(positive.min())} categories of positive weight"
        )
    rng = _draws(t)
    rows = w2.shape[0]
    if replacement:
        cdf = xp.cumsum(w2.astype(backend.float64), axis=1)
        cdf /= cdf[:, -1:]
        u = rng.random((rows, n))
        idx = xp.stack([xp.searchsorted(cdf[r], u[r], side="right") for r in range(rows)])
        idx = xp.minimum(idx, w2.shape[1] - 1)  # u just below 1 against a rounded last cdf
    else:
        with backend.np.errstate(divide="ignore"):
            keys = xp.log(w2.astype(backend.float64)) - xp.log(-xp.log1p(-rng.random(w2.shape)))
        idx = xp.argsort(-keys, axis=1, kind="stable")[:, :n]
    idx = idx.astype(backend.int64)
    return Tensor(idx[0] if t.ndim == 1 else idx)


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None) -> Tensor:
    """Normal draws: element-wise from tensors ``mean`` and/or ``std`` (broadcast), or
    ``normal(mean, std, size)`` from two numbers."""
    if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
        if size is None:
            raise TypeError("normal: give a size when mean and std are numbers")
        if not std >= 0:
            raise ValueError(f"normal: std must be non-negative, got {std}")
        shape = tuple(size) if isinstance(size, (tuple, list)) else (int(size),)
        out = backend.rng().normal(mean, std, shape)
        return Tensor(out.astype(backend.as_dtype(dtype) or backend.DEFAULT_FLOAT))
    m, s = as_tensor(mean), as_tensor(std)
    ref = m if isinstance(mean, Tensor) else s
    if bool((s.data < 0).any()):
        raise ValueError("normal: std must be non-negative")
    shape = backend.np.broadcast_shapes(m.shape, s.shape)
    z = _draws(ref).standard_normal(shape)
    return Tensor((m.data + s.data * z).astype(ref.data.dtype))


def poisson(input, generator=None) -> Tensor:
    """Poisson draws with rates ``input`` (non-negative), in input's dtype."""
    t = as_tensor(input)
    if bool((t.data < 0).any()):
        raise ValueError("poisson: rates must be non-negative")
    xp = backend.get_array_module(t.data)
    if xp is backend.np:
        out = backend.rng().poisson(t.data)
    else:
        out = xp.random.poisson(t.data)
    return Tensor(out.astype(t.data.dtype))


__all__ = ["bernoulli", "multinomial", "normal", "poisson"]
