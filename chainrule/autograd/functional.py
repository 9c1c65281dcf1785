"""``cr.grad``: gradients of outputs with respect to chosen inputs, without touching ``.grad``."""

from __future__ import annotations

from .engine import run_backward


def _seq(x):
    from ..tensor import Tensor

    if isinstance(x, Tensor):
        return [x]
    return list(x)


def grad(
    outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False
):
    """Return (∂Σoutputs/∂input for each input) as a tuple, like ``torch.autograd.grad``.

    ``grad_outputs`` weights each output (required for non-scalar outputs). With
    ``create_graph=True`` the returned gradients are themselves differentiable.
    """
    from ..tensor import Tensor, _root

    outputs = _seq(outputs)
    inputs = _seq(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    else:
        grad_outputs = (
            _seq(grad_outputs) if not isinstance(grad_outputs, Tensor) else [grad_outputs]
        )
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad")
    roots, gs = [], []
    for i, (o, g) in enumerate(zip(outputs, grad_outputs)):
        if not o.requires_grad:
            raise RuntimeError(
                f"grad: output {i} (shape {o.shape}) does not require grad and has no grad_fn"
            )
        roots.append(o)
        gs.append(_root(o, g, "grad", create_graph))
    if retain_graph is None:
        retain_graph = create_graph
    return run_backward(
        roots, gs, retain_graph, create_graph, inputs=inputs, allow_unused=allow_unused
    )
