"""vmap: a function over one example, run over a batch (a loop: chainrule has no batching
rules)."""

from __future__ import annotations

from collections.abc import Callable

from .. import backend
from ..functions.shape import stack
from ..tensor import Tensor
from .pytree import _broadcast_prefix, _describe, _flatten, _unflatten
from .transforms import _check_options, _only_tensors


# ---------------------------------------------------------------- vmap
def vmap(
    func: Callable, in_dims=0, out_dims=0, randomness: str = "error", *, chunk_size=None
) -> Callable:
    """``func`` over one example → ``func`` over a batch: the inputs are sliced along
    ``in_dims``, and the outputs stacked along ``out_dims``.

    chainrule has no batching rules: vmap runs ``func`` once per slice (``x.select(d, i)``)
    and stacks the results (``stack(ys, out_dim)``), so it is a loop, as slow as one, though
    differentiable and nestable (``vmap(grad(f), in_dims=(None, 0, 0))`` gives per-sample
    gradients). ``in_dims`` is an int or None (not mapped) for all positional arguments, or a
    tuple with one entry per argument, each an int, None or a pytree prefix of that argument;
    keyword arguments are passed unmapped. ``out_dims`` likewise for the outputs (None: the
    first slice's output, which should not depend on the mapped inputs). ``randomness``:
    'different' draws anew per slice, 'same' replays the CPU generator's state for every
    slice, 'error' raises if ``func`` draws from it. ``chunk_size`` is accepted and ignored.
    """
    _check_options("vmap", chunk_size, randomness)
    if not isinstance(in_dims, (int, tuple)) and in_dims is not None:
        raise ValueError(
            "vmap: in_dims must be an int, None or a tuple matching the inputs, got "
            f"{type(in_dims).__name__}"
        )

    def wrapper(*args, **kwargs):
        leaves, spec = _flatten(args)
        dims = in_dims if isinstance(in_dims, tuple) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise ValueError(
                f"vmap: in_dims {in_dims!r} has {len(dims)} entries but {len(args)} positional "
                "inputs were given"
            )
        dims = _broadcast_prefix(dims, spec, f"vmap: in_dims {in_dims!r}")
        size = _batch_size(leaves, dims, in_dims)
        gen = backend.rng()
        state = gen.bit_generator.state
        results = []
        for k in range(size):
            if randomness == "same":
                gen.bit_generator.state = state
            sliced = [x if d is None else x.select(d, k) for x, d in zip(leaves, dims)]
            results.append(_flatten(func(*_unflatten(sliced, spec), **kwargs)))
            if randomness == "error" and gen.bit_generator.state != state:
                raise RuntimeError(
                    "vmap: func drew random numbers in randomness='error' mode; pass "
                    "randomness='same' or 'different' to vmap, or draw outside of it"
                )
        return _stack_results(results, out_dims)

    return wrapper


def _batch_size(leaves, dims, in_dims) -> int:
    """Check the mapped inputs (``dims`` made non-negative in place) and return their common
    size along the mapped dimension."""
    sizes = []
    for i, (x, d) in enumerate(zip(leaves, dims)):
        if d is None:
            continue
        if not isinstance(d, int) or isinstance(d, bool):
            raise ValueError(f"vmap: in_dims entries must be int or None, got {d!r}")
        if not isinstance(x, Tensor):
            raise TypeError(
                f"vmap: got in_dim={d} for an input of type {type(x).__name__}; only Tensors "
                "can be mapped over (use None for this input)"
            )
        if not -x.ndim <= d < x.ndim:
            raise ValueError(
                f"vmap: in_dim={d} is out of range for an input of shape {x.shape} (expected "
                f"{-x.ndim} <= in_dim < {x.ndim})"
            )
        dims[i] = d % x.ndim
        sizes.append((x.shape[dims[i]], f"{x.shape} at dim {d}"))
    if not sizes:
        raise ValueError(f"vmap: at least one input must be mapped over, got in_dims={in_dims!r}")
    if any(n != sizes[0][0] for n, _ in sizes):
        raise ValueError(
            "vmap: expected all mapped inputs to have the same size in the mapped dimension, "
            f"got sizes {[n for n, _ in sizes]} (inputs {', '.join(w for _, w in sizes)})"
        )
    if sizes[0][0] == 0:
        raise ValueError("vmap: cannot map over a dimension of size 0 (func runs per slice)")
    return sizes[0][0]


def _stack_results(results, out_dims):
    leaves0, spec = results[0]
    for _, s in results[1:]:
        if s != spec:
            raise ValueError(
                "vmap: func returned different structures for different slices: "
                f"{_describe(spec)} and {_describe(s)}"
            )
    _only_tensors(leaves0, "vmap")
    prefix = out_dims
    if isinstance(out_dims, tuple) and len(out_dims) == 1 and spec is None:
        prefix = out_dims[0]  # torch accepts out_dims=(d,) for a single output
    out = []
    for j, (y, d) in enumerate(zip(leaves0, _broadcast_prefix(prefix, spec, "vmap: out_dims"))):
        if d is not None and (not isinstance(d, int) or not -y.ndim - 1 <= d <= y.ndim):
            raise ValueError(
                f"vmap: out_dim={d!r} is out of range for an output of shape {y.shape} per slice "
                f"(expected {-y.ndim - 1} <= out_dim <= {y.ndim})"
            )
        out.append(y if d is None else stack([r[0][j] for r in results], d))
    return _unflatten(out, spec)
