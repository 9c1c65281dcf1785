"""``torch.func``'s composable transforms: grad, vjp, jvp, jacrev, jacfwd, hessian, vmap and
functional_call, written over chainrule's reverse-mode graph.

Each transform runs ``func`` on fresh copies of the differentiated inputs (new leaves, or, for
an input that an enclosing transform or the caller already differentiates, a new node linked
to it). Before differentiating, the output's graph is walked: if it reaches a tensor that
requires grad from outside (an enclosing transform's input, a closed-over parameter), the
gradients are computed with ``create_graph`` so that the outer level can differentiate them;
otherwise they are plain, detached tensors. That makes the transforms nest as torch's do:
``jacfwd(jacrev(f))`` is the Hessian, ``vmap(grad(f), in_dims=(None, 0, 0))`` gives
per-sample gradients.

Arguments and results may be pytrees: Tensors (or other leaves) nested in tuples, lists and
dicts. ``argnums`` selects which positional arguments are differentiated; each may be a
pytree, and its gradient is a pytree of the same shape.

    >>> gx = grad(lambda x: (x ** 3).sum())(cr.tensor([1.0, 2.0]))     # 3x² = [3., 12.]
"""

from .functional_call import functional_call
from .transforms import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp
from .vmap import vmap

__all__ = [
    "grad",
    "grad_and_value",
    "vjp",
    "jvp",
    "jacrev",
    "jacfwd",
    "hessian",
    "functional_call",
    "vmap",
]
