"""Numerical gradient checks: compare backward with central finite differences in float64.

    ∂f/∂xᵢ ≈ (f(x + εeᵢ) − f(x − εeᵢ)) / 2ε

``gradcheck`` checks first derivatives (each output weighted by a fixed random vector, so
one backward checks the whole Jacobian–vector product); ``gradgradcheck`` checks the
derivative of that gradient, through ``create_graph=True``.
"""

from __future__ import annotations

from .. import backend


class GradcheckError(AssertionError):
    """Analytical and numerical gradients disagree."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _outputs(fn, inputs):
    from ..tensor import Tensor

    return [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor)]


def _check_inputs(inputs, op):
    from ..tensor import Tensor

    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    for i in diff:
        if inputs[i].dtype != backend.float64:
            raise TypeError(
                f"{op}: input {i} is {inputs[i].dtype}; finite differences need "
                "float64 inputs (use .double())"
            )
    if not diff:
        raise ValueError(f"{op}: no input requires grad")
    return diff


def _on(w, o):
    """The host array ``w`` on the device of tensor ``o``."""
    return backend.to_device(w, o.device)


def _numeric(f, x, eps):
    """Central differences of the scalar f() with respect to every element of x.data."""
    flat = x.data.reshape(-1)
    g = backend.np.zeros(flat.shape, dtype=backend.float64)
    for k in range(flat.size):
        old = flat[k]
        flat[k] = old + eps
        hi = f()
        flat[k] = old - eps
        lo = f()
        flat[k] = old
        g[k] = (hi - lo) / (2 * eps)
    return g.reshape(x.shape)


def _compare(name, i, analytic, numeric, atol, rtol, raise_exception):
    np = backend.np
    a = np.zeros(numeric.shape) if analytic is None else backend.to_host(analytic)
    a = a.astype(np.float64, copy=False)
    bad = ~np.isclose(a, numeric, rtol=rtol, atol=atol, equal_nan=True)
    if bad.any():
        k = tuple(int(v) for v in np.argwhere(bad)[0])
        msg = (
            f"{name}: mismatch for input {i} at element {k}: analytical {float(a[k])!r}, "
            f"numerical {float(numeric[k])!r} (atol={atol}, rtol={rtol}; {int(bad.sum())} of "
            f"{bad.size} elements differ)"
        )
        if raise_exception:
            raise GradcheckError(msg)
        return False
    return True


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, seed=0) -> bool:
    """Check ``fn``'s backward against finite differences for every input requiring grad.

    ``fn`` takes the ``inputs`` (float64 Tensors) and returns a Tensor or a tuple of them.
    Returns True, or raises ``GradcheckError`` naming the input, the element and both values.
    """
    from ..tensor import _wrap
    from .functional import grad

    inputs = _as_tuple(inputs)
    diff = _check_inputs(inputs, "gradcheck")
    rng = backend.np.random.default_rng(seed)
    outs = _outputs(fn, inputs)
    ws = [_on(rng.standard_normal(o.shape), o) for o in outs]  # on each output's device

    def weighted():  # recorded, since fn may itself differentiate (gradgradcheck)
        return float(sum((o.data * w).sum() for o, w in zip(_outputs(fn, inputs), ws)))

    live = [(o, w) for o, w in zip(outs, ws) if o.requires_grad]
    if live:
        analytic = grad(
            [o for o, _ in live],
            [inputs[i] for i in diff],
            [_wrap(w.astype(o.dtype), None) for o, w in live],
            allow_unused=True,
        )
    else:
        analytic = [None] * len(diff)
    for i, a in zip(diff, analytic):
        num = _numeric(weighted, inputs[i], eps)
        if not _compare(
            "gradcheck", i, None if a is None else a.data, num, atol, rtol, raise_exception
        ):
            return False
    return True


def gradgradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, seed=0) -> bool:
    """Check second derivatives: gradcheck of x ↦ ∂⟨fn(x), w⟩/∂x (built with create_graph)."""
    from ..tensor import _wrap
    from .functional import grad

    inputs = _as_tuple(inputs)
    diff = _check_inputs(inputs, "gradgradcheck")
    rng = backend.np.random.default_rng(seed + 1)
    ws = [_on(rng.standard_normal(o.shape), o) for o in _outputs(fn, inputs)]

    def first_grads(*xs):
        outs = _outputs(fn, xs)
        live = [(o, w) for o, w in zip(outs, ws) if o.requires_grad]
        gs = grad(
            [o for o, _ in live],
            [xs[i] for i in diff],
            [_wrap(w.astype(o.dtype), None) for o, w in live],
            create_graph=True,
            allow_unused=True,
        )
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_grads, inputs, eps, atol, rtol, raise_exception, seed)
