"""Parameters as one flat vector and back, as ``torch.nn.utils``."""

from __future__ import annotations

from ...autograd import no_grad
from ...functions.shape import cat
from ...tensor import Tensor


def parameters_to_vector(parameters) -> Tensor:
    """The parameters, flattened and joined into one vector (differentiable)."""
    params = list(parameters)
    if not params:
        raise ValueError("parameters_to_vector: got no parameters")
    device = params[0].device
    for p in params:
        if p.device != device:
            raise ValueError(
                f"parameters_to_vector: parameters are on different devices ({device} and "
                f"{p.device})"
            )
    return cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec, parameters) -> None:
    """Copy consecutive slices of ``vec`` into the parameters, in place (not recorded)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected a Tensor, got {type(vec).__name__}")
    params = list(parameters)
    total = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.numel() != total:
        raise ValueError(
            f"vector_to_parameters: expected a vector of {total} values (the parameters' "
            f"total), got shape {vec.shape}"
        )
    lo = 0
    with no_grad():
        for p in params:
            n = p.numel()
            p.copy_(vec[lo : lo + n].reshape(p.shape))
            lo += n
