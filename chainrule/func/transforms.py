"""grad, grad_and_value, vjp, jvp, jacrev, jacfwd and hessian (see the package docstring for
how they nest)."""

from __future__ import annotations

from collections.abc import Callable

from ..autograd.functional import Identity, _jacobian_of
from ..autograd.functional import grad as _grad
from ..autograd.grad_mode import enable_grad
from ..creation import zeros_like
from ..tensor import Tensor
from .pytree import _describe, _flatten, _unflatten


# ---------------------------------------------------------------- levels
def _track(t):
    """A fresh differentiable copy of ``t`` for one transform."""
    return Identity.apply(t) if t.requires_grad else t.detach().requires_grad_(True)


def _reaches_outside(ts, local) -> bool:
    """Whether the graphs of ``ts`` reach a tensor requiring grad other than the ``local``
    leaves (identified by id): then the results must stay differentiable for the outer level."""
    seen, todo = set(), [t for t in ts if isinstance(t, Tensor) and t.requires_grad]
    while todo:
        t = todo.pop()
        fn = t.grad_fn
        if fn is None:
            if id(t) not in local:
                return True
            continue
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        todo.extend(x for x in fn.inputs if isinstance(x, Tensor) and x.requires_grad)
    return False


def _unwrap(tree, local):
    """Detach the tensors of ``tree`` that depend on nothing outside this transform."""
    leaves, spec = _flatten(tree)
    leaves = [
        t.detach() if isinstance(t, Tensor) and not _reaches_outside([t], local) else t
        for t in leaves
    ]
    return _unflatten(leaves, spec)


def _argnums(argnums, n, fn_name):
    """``argnums`` as a tuple of non-negative indices, checked against ``n`` arguments."""
    many = isinstance(argnums, tuple)
    nums = argnums if many else (argnums,)
    if many and not nums:
        raise ValueError(f"{fn_name}: argnums must be non-empty")
    for a in nums:
        if not isinstance(a, int) or isinstance(a, bool):
            raise TypeError(
                f"{fn_name}: argnums must be an int or a tuple of ints, got {argnums!r}"
            )
        if not -n <= a < n:
            raise ValueError(
                f"{fn_name}: got argnums={argnums!r}, but only {n} positional inputs were given"
            )
    nums = tuple(a % n for a in nums)
    if len(set(nums)) != len(nums):
        raise ValueError(f"{fn_name}: argnums must not repeat an argument, got {argnums!r}")
    return nums, many


def _enter(args, argnums, fn_name):
    """Track the tensors of the arguments at ``argnums``. Returns (the new args, the tracked
    leaves, their ids, and a function that rebuilds per-leaf results into argnums' shape)."""
    nums, many = _argnums(argnums, len(args), fn_name)
    args = list(args)
    tracked, specs = [], []
    for a in nums:
        leaves, spec = _flatten(args[a])
        for t in leaves:
            if not isinstance(t, Tensor) or t.dtype.kind != "f":
                raise TypeError(
                    f"{fn_name}: expected argnums to point at floating-point Tensors, got "
                    f"{type(t).__name__ if not isinstance(t, Tensor) else t.dtype} in argument {a}"
                )
        new = [_track(t) for t in leaves]
        args[a] = _unflatten(new, spec)
        tracked += new
        specs.append((spec, len(new)))
    local = {id(t) for t in tracked if t.grad_fn is None}

    def rebuild(per_leaf):
        out, i = [], 0
        for spec, n in specs:
            out.append(_unflatten(per_leaf[i : i + n], spec))
            i += n
        return tuple(out) if many else out[0]

    return tuple(args), tracked, local, rebuild


def _split_aux(out, has_aux, fn_name):
    if not has_aux:
        return out, None
    if not isinstance(out, tuple) or len(out) != 2:
        raise TypeError(
            f"{fn_name}: with has_aux=True the function must return a tuple (output, aux), got "
            f"{type(out).__name__}"
        )
    return out


def _grads(outs, cots, tracked, create_graph, retain_graph=False):
    """∂⟨outs, cots⟩/∂tracked, zeros where an input is not reached."""
    pairs = [(o, c) for o, c in zip(outs, cots) if o.requires_grad]
    gs = [None] * len(tracked)
    if pairs:
        gs = _grad(
            [o for o, _ in pairs],
            tracked,
            [c for _, c in pairs],
            retain_graph=retain_graph or create_graph,
            create_graph=create_graph,
            allow_unused=True,
        )
    return [zeros_like(t) if g is None else g for g, t in zip(gs, tracked)]


# ---------------------------------------------------------------- grad, vjp, jvp
def grad_and_value(func: Callable, argnums=0, has_aux: bool = False) -> Callable:
    """``func`` → a function returning (∂func/∂args[argnums], func(args)), for a ``func``
    returning a scalar Tensor (with ``has_aux``: (scalar, aux), and the value is (scalar,
    aux)). The gradient has the shape of ``args[argnums]`` (a tuple of them for a tuple)."""

    def wrapper(*args, **kwargs):
        with enable_grad():
            args, tracked, local, rebuild = _enter(args, argnums, "grad")
            out, aux = _split_aux(func(*args, **kwargs), has_aux, "grad")
            if not isinstance(out, Tensor) or out.ndim != 0:
                got = f"shape {out.shape}" if isinstance(out, Tensor) else type(out).__name__
                raise ValueError(
                    f"grad: expected the function to return a scalar Tensor, got {got}; maybe "
                    "you wanted vjp or jacrev"
                )
            outer = _reaches_outside([out], local)
            gs = _grads([out], [None], tracked, create_graph=outer)
        value = out if outer else out.detach()
        if has_aux:
            return rebuild(gs), (value, _unwrap(aux, local))
        return rebuild(gs), value

    return wrapper


def grad(func: Callable, argnums=0, has_aux: bool = False) -> Callable:
    """``func`` → ∂func/∂args[argnums] (with ``has_aux``: (gradient, aux)); see
    ``grad_and_value``."""
    gv = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def vjp(func: Callable, *primals, has_aux: bool = False):
    """(func(*primals), vjp_fn[, aux]); ``vjp_fn(cotangents)`` returns vᵀJ for each primal, a
    tuple with one entry per primal. Cotangents have the outputs' structure and shapes;
    ``vjp_fn`` may be called many times."""
    with enable_grad():
        args, tracked, local, rebuild = _enter(primals, tuple(range(len(primals))), "vjp")
        out, aux = _split_aux(func(*args), has_aux, "vjp")
        outs, spec = _flatten(out)
        _only_tensors(outs, "vjp")
        outer = _reaches_outside(outs, local)

    def vjp_fn(cotangents):
        cots = _like(cotangents, outs, spec, "vjp", "cotangent", "outputs")
        create = outer or any(c.requires_grad for c in cots)
        with enable_grad():
            gs = _grads(outs, cots, tracked, create_graph=create, retain_graph=True)
        if not create:
            gs = [g.detach() for g in gs]
        return rebuild(gs)

    value = _unwrap(out, local)
    return (value, vjp_fn, _unwrap(aux, local)) if has_aux else (value, vjp_fn)


def _like(tree, refs, spec, fn_name, noun, whose):
    """The leaves of ``tree``, checked to be Tensors of the structure and shapes of ``refs``."""
    leaves, s = _flatten(tree)
    if s != spec:
        raise ValueError(
            f"{fn_name}: expected {noun}s of the structure of the {whose}, {_describe(spec)}, "
            f"got {_describe(s)}"
        )
    for r, t in zip(refs, leaves):
        if not isinstance(t, Tensor) or t.shape != r.shape:
            got = t.shape if isinstance(t, Tensor) else type(t).__name__
            raise ValueError(f"{fn_name}: expected a {noun} of shape {r.shape}, got {got}")
    return leaves


def _only_tensors(outs, fn_name):
    for o in outs:
        if not isinstance(o, Tensor):
            raise TypeError(
                f"{fn_name}: expected the function to return only Tensors, got {type(o).__name__}"
            )


def jvp(func: Callable, primals, tangents, *, strict: bool = False, has_aux: bool = False):
    """(func(*primals), J·tangents[, aux]), by the double-vjp trick: for u shaped like the
    output, g(u) = uᵀJ is linear in u, and ∂⟨g, t⟩/∂u = J t. ``primals`` and ``tangents`` are
    tuples of the same structure and shapes; the result has the outputs' structure."""
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise TypeError(
            f"jvp: expected primals and tangents to be tuples, got {type(primals).__name__} and "
            f"{type(tangents).__name__}"
        )
    tl = _like(tangents, *_flatten(primals), "jvp", "tangent", "primals")
    with enable_grad():
        args, tracked, local, _ = _enter(primals, tuple(range(len(primals))), "jvp")
        out, aux = _split_aux(func(*args), has_aux, "jvp")
        outs, spec = _flatten(out)
        _only_tensors(outs, "jvp")
        outer = _reaches_outside(outs, local) or any(t.requires_grad for t in tl)
        us = [zeros_like(o, requires_grad=True) for o in outs]
        g = _grads(outs, us, tracked, create_graph=True)
        res = _grads(g, tl, us, create_graph=outer)  # ∂⟨uᵀJ, t⟩/∂u = J t
    value = _unwrap(out, local)
    res = _unflatten(res, spec)
    return (value, res, _unwrap(aux, local)) if has_aux else (value, res)


# ---------------------------------------------------------------- Jacobians
def jacrev(func: Callable, argnums=0, *, has_aux: bool = False, chunk_size=None) -> Callable:
    """``func`` → its Jacobian with respect to ``args[argnums]``, by reverse mode: one
    backward pass per output element. For each output leaf of shape S and input leaf of shape
    T the Jacobian has shape S + T; the result has the outputs' structure, each leaf holding
    the structure of the differentiated arguments (a tuple of them for a tuple ``argnums``)."""
    _check_options("jacrev", chunk_size)

    def wrapper(*args, **kwargs):
        with enable_grad():
            args, tracked, local, rebuild = _enter(args, argnums, "jacrev")
            out, aux = _split_aux(func(*args, **kwargs), has_aux, "jacrev")
            outs, spec = _flatten(out)
            _only_tensors(outs, "jacrev")
            outer = _reaches_outside(outs, local)
            jac = [rebuild(_jacobian_of(0, o, tracked, outer, False)) for o in outs]
        jac = _unflatten(jac, spec)
        return (jac, _unwrap(aux, local)) if has_aux else jac

    return wrapper


def jacfwd(func: Callable, argnums=0, has_aux: bool = False, *, randomness: str = "error"):
    """``func`` → its Jacobian with respect to ``args[argnums]``, as torch's forward-mode
    ``jacfwd`` returns it (same structure as ``jacrev``). chainrule has no forward mode: the
    numbers are computed by reverse mode, and are the same."""
    _check_options("jacfwd", None, randomness)
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func: Callable, argnums=0) -> Callable:
    """``func`` → ∂²func/∂args[argnums]², the Jacobian of the gradient:
    ``jacfwd(jacrev(func, argnums), argnums)``. For a scalar ``func`` and an input of shape T,
    the Hessian has shape T + T."""
    return jacfwd(jacrev(func, argnums), argnums)


def _check_options(fn_name, chunk_size, randomness="error"):
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(
            f"{fn_name}: chunk_size must be a positive int or None, got {chunk_size!r}"
        )
    if randomness not in ("error", "different", "same"):
        raise ValueError(
            f"{fn_name}: randomness must be 'error', 'different' or 'same', got {randomness!r}"
        )
