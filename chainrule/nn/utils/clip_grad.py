"""Gradient clipping: rescale all gradients by their joint norm, or clamp each entry."""

from __future__ import annotations

import math
from collections.abc import Iterable

from ... import backend
from ...tensor import Tensor

_Params = Tensor | Iterable[Tensor]


def _vector_norm(x, p: float):
    """‖x‖ₚ over all entries, in x's dtype: (Σ|x|ᵖ)^(1/p); max |x| for p = inf; the number of
    nonzeros for p = 0."""
    xp = backend.get_array_module(x)
    x = x.reshape(-1)
    if x.size == 0:
        return xp.zeros((), x.dtype)
    if p == 2:
        out = xp.sqrt(xp.dot(x, x))
    elif p == 1:
        out = xp.abs(x).sum()
    elif p == math.inf:
        out = xp.abs(x).max()
    elif p == -math.inf:
        out = xp.abs(x).min()
    elif p == 0:
        out = xp.count_nonzero(x)
    else:
        out = (xp.abs(x) ** p).sum() ** (1.0 / p)
    return xp.asarray(out, dtype=x.dtype)


def get_total_norm(
    tensors: _Params, norm_type: float = 2.0, error_if_nonfinite: bool = False
) -> Tensor:
    """The norm of the norms of ``tensors``: their joint ``norm_type``-norm, as if they were
    concatenated into one vector. A 0-d Tensor; 0 for no tensors."""
    arrays = [t.data for t in ([tensors] if isinstance(tensors, Tensor) else tensors)]
    norm_type = float(norm_type)
    if not arrays:
        return Tensor(0.0)
    xp = backend.get_array_module(arrays[0])
    norms = [_vector_norm(a, norm_type) for a in arrays]
    total = _vector_norm(xp.stack(norms), norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the "
            f"gradients is non-finite ({float(total)}), so it cannot be clipped; "
            "pass error_if_nonfinite=False to scale by it anyway"
        )
    return Tensor(total)


def clip_grads_with_norm_(parameters: _Params, max_norm: float, total_norm: Tensor) -> None:
    """Scale every ``.grad`` in place by min(1, max_norm / (total_norm + 1e-6))."""
    params = [parameters] if isinstance(parameters, Tensor) else parameters
    grads = [p.grad.data for p in params if p.grad is not None]
    if not grads:
        return
    total = total_norm.data if isinstance(total_norm, Tensor) else total_norm
    xp = backend.get_array_module(total)
    coef = xp.minimum(float(max_norm) / (total + 1e-6), 1.0)
    for g in grads:
        g *= coef


def clip_grad_norm_(
    parameters: _Params, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False
) -> Tensor:
    """Rescale the gradients of ``parameters`` in place so their joint norm is at most
    ``max_norm``: each g ← g · min(1, max_norm / (‖(g₁, g₂, ...)‖ + 1e-6)).

    Returns the total norm before clipping (a 0-d Tensor). ``norm_type`` may be ``inf``.

    >>> total = clip_grad_norm_(model.parameters(), max_norm=1.0)
    """
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    grads = [p.grad for p in params if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(params, max_norm, total)
    return total


def clip_grad_value_(parameters: _Params, clip_value: float) -> None:
    """Clamp every gradient entry into [-clip_value, clip_value], in place."""
    params = [parameters] if isinstance(parameters, Tensor) else parameters
    clip_value = float(clip_value)
    for p in params:
        if p.grad is not None:
            g = p.grad.data
            backend.get_array_module(g).clip(g, -clip_value, clip_value, out=g)
