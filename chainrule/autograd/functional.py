"""``cr.grad`` and ``torch.autograd.functional``'s transforms, built on it.

``grad`` gives gradients of outputs with respect to chosen inputs, without touching ``.grad``.
Given ``y = f(x)`` with Jacobian ``J = ∂y/∂x``, the rest evaluate ``f`` on fresh copies of
the inputs and return:

    vjp(f, x, v)      = (f(x), vᵀJ)                one backward pass
    jvp(f, x, v)      = (f(x), J v)                two: J v = ∂(uᵀJ)/∂u · v (the double-vjp
                                                   trick: uᵀJ is linear in u)
    jacobian(f, x)    = J, of shape y.shape + x.shape, one backward per element of y
    hessian(f, x)     = ∂²f/∂x², the Jacobian of the gradient (f scalar)
    vhp(f, x, v)      = (f(x), vᵀH),  hvp(f, x, v) = (f(x), H v)

Inputs and outputs may be one Tensor or a tuple of Tensors; results follow torch's shapes: a
tuple where the inputs (or outputs) were a tuple, a Tensor where they were a Tensor. With
``create_graph=True`` the results are differentiable (also with respect to inputs that already
required grad); otherwise they are detached. With ``strict=True`` an input that an output does
not depend on is an error instead of a zero.
"""

from __future__ import annotations

from .. import backend
from .engine import run_backward
from .function import Function
from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled


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


# ---------------------------------------------------------------- torch.autograd.functional
class Identity(Function):
    """y = x (a new node over the same data); dy/dx = 1. Gives a transform its own copy of an
    input that stays connected to the input's graph."""

    is_view = True

    def forward(self, x):
        return x.view()

    def backward(self, gy):
        return gy


def _as_tuple(inp, arg_name, fn_name):
    """(whether ``inp`` was a tuple, ``inp`` as a tuple of Tensors)."""
    is_tuple = isinstance(inp, tuple)
    items = inp if is_tuple else (inp,)
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            where = f"the value at index {i}" if is_tuple else f"the given {arg_name}"
            raise TypeError(
                f"{fn_name}: the {arg_name} must be a Tensor or a tuple of Tensors, but "
                f"{where} has type {type(el).__name__}"
            )
    return is_tuple, items


def _unpack(res, is_tuple):
    """Undo ``_as_tuple``: ``is_tuple`` is one flag, or (outputs' flag, inputs' flag) for the
    tuple-of-tuples results of ``jacobian`` and ``hessian``."""
    if isinstance(is_tuple, tuple):
        outer, inner = is_tuple
        if not inner:
            res = tuple(r[0] for r in res)
        return res if outer else res[0]
    return res if is_tuple else res[0]


def _preprocess(inputs, create_graph, need_graph):
    """Fresh inputs for ``func``: under ``create_graph`` those that require grad stay linked to
    their graph (so the results can be differentiated back to them); the rest are detached."""
    return tuple(
        Identity.apply(x)
        if create_graph and x.requires_grad
        else x.detach().requires_grad_(need_graph)
        for x in inputs
    )


def _postprocess(res, create_graph):
    if create_graph:
        return res
    return tuple(r.detach() if isinstance(r, Tensor) else _postprocess(r, False) for r in res)


def _validate_v(v, other, other_is_tuple, fn_name):
    if len(v) != len(other):
        if other_is_tuple:
            raise ValueError(
                f"{fn_name}: v is a tuple of invalid length: should be {len(other)} but got "
                f"{len(v)}"
            )
        raise ValueError(f"{fn_name}: the given v should contain a single Tensor, got {len(v)}")
    for i, (a, b) in enumerate(zip(v, other)):
        if a.shape != b.shape:
            entry = f"entry {i} of " if other_is_tuple else ""
            raise ValueError(
                f"{fn_name}: {entry}v has invalid size: should be {b.shape} but got {a.shape}"
            )


_STRICT = {
    "outputs": "output {i} of the user-provided function does not require gradients. The "
    "outputs must be computed in a differentiable manner from the input when running in "
    "strict mode",
    "grad_inputs": "the gradient with respect to input {i} is independent of the inputs of "
    "the user-provided function. This is not allowed in strict mode",
    "jacobian": "the jacobian of the user-provided function with respect to input {i} is "
    "independent of the input. This is not allowed in strict mode (the function must be twice "
    "differentiable with a jacobian that depends on the inputs; a linear one is not)",
    "hessian": "the hessian of the user-provided function with respect to input {i} is "
    "independent of the input. This is not allowed in strict mode",
}


def _check_requires_grad(ts, kind, strict, fn_name):
    if not strict:
        return
    for i, t in enumerate(ts):
        if t is None:
            raise RuntimeError(
                f"{fn_name}: the output of the user-provided function is independent of input "
                f"{i}. This is not allowed in strict mode"
            )
        if not t.requires_grad:
            raise RuntimeError(f"{fn_name}: " + _STRICT[kind].format(i=i))


def _autograd_grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """``grad`` over the outputs that require grad; None for inputs they don't reach."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    outs, gs = zip(*pairs)
    return grad(
        list(outs),
        list(inputs),
        list(gs),
        retain_graph=retain_graph,
        create_graph=create_graph,
        allow_unused=True,
    )


_STAGES = {
    "back": "the output of the user-provided function is independent of input {i}",
    "back_trick": "the gradient with respect to the input is independent of entry {i} in the "
    "grad_outputs when using the double backward trick to compute forward mode gradients",
    "double_back": "the jacobian of the user-provided function is independent of input {i}",
    "double_back_trick": "the hessian of the user-provided function is independent of entry "
    "{i} in the grad_jacobian, which the double backward trick needs",
}


def _fill_in_zeros(grads, refs, strict, create_graph, stage, fn_name):
    """Zeros (shaped like ``refs[i]``) for the gradients that came back None."""
    res = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(
                    f"{fn_name}: {_STAGES[stage].format(i=i)}. This is not allowed in strict mode"
                )
            g = zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(
                f"{fn_name}: the {what} of the user-provided function is independent of input "
                f"{i}. This is not allowed in strict mode when create_graph=True"
            )
        res.append(g)
    return tuple(res)


def _prepare(fn_name, func, inputs, v, create_graph, v_like_outputs):
    """The common start of vjp, jvp, vhp and hvp: fresh inputs, ``v`` checked, ``func`` run.
    Returns (inputs' tuple flag, inputs, v, outputs' tuple flag, outputs)."""
    is_in_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
    inputs = _preprocess(inputs, create_graph, need_graph=True)
    if v is not None:
        _, v = _as_tuple(v, "v", fn_name)
        v = _preprocess(v, create_graph, need_graph=False)
        if not v_like_outputs:
            _validate_v(v, inputs, is_in_tuple, fn_name)
    elif not v_like_outputs and (len(inputs) != 1 or inputs[0].numel() != 1):
        raise ValueError(
            f"{fn_name}: v can be omitted only when the input to the user-provided function "
            f"is a single Tensor with a single element, got shapes "
            f"{[tuple(x.shape) for x in inputs]}"
        )
    outputs = func(*inputs)
    is_out_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", fn_name)
    return is_in_tuple, inputs, v, is_out_tuple, outputs


def _single_output(fn_name, outputs, is_out_tuple):
    if is_out_tuple:
        raise TypeError(f"{fn_name}: the function should return a single Tensor, got a tuple")
    if outputs[0].numel() != 1:
        raise ValueError(
            f"{fn_name}: the Tensor returned by the function should contain a single element, "
            f"got shape {outputs[0].shape}"
        )


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), vᵀJ): the vector-Jacobian product, one backward pass.

    ``v`` is shaped like the output(s); it may be omitted for a one-element output (then 1).
    The product has the inputs' shapes (a tuple if ``inputs`` is a tuple).
    """
    with enable_grad():
        is_in, inputs, v, is_out, outputs = _prepare("vjp", func, inputs, v, create_graph, True)
        _check_requires_grad(outputs, "outputs", strict, "vjp")
        if v is not None:
            _validate_v(v, outputs, is_out, "vjp")
        elif len(outputs) != 1 or outputs[0].numel() != 1:
            raise ValueError(
                "vjp: v can be omitted only when the user-provided function returns a single "
                f"Tensor with a single element, got shapes {[tuple(o.shape) for o in outputs]}"
            )
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        res = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
        res = _fill_in_zeros(res, inputs, strict, create_graph, "back", "vjp")
    outputs, res = _postprocess(outputs, create_graph), _postprocess(res, create_graph)
    return _unpack(outputs, is_out), _unpack(res, is_in)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v): the Jacobian-vector product, by the double-vjp trick.

    For a dummy u shaped like the output, g(u) = uᵀJ is linear in u, so ∂(g·v)/∂u = J v: two
    backward passes, the first with ``create_graph``. ``v`` is shaped like the input(s); the
    product has the outputs' shapes.
    """
    with enable_grad():
        is_in, inputs, v, is_out, outputs = _prepare("jvp", func, inputs, v, create_graph, False)
        _check_requires_grad(outputs, "outputs", strict, "jvp")
        us = tuple(zeros_like(o, requires_grad=True) for o in outputs)
        g = _autograd_grad(outputs, inputs, us, create_graph=True)
        _check_requires_grad(g, "grad_inputs", strict, "jvp")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        res = _autograd_grad(g, us, v, create_graph=create_graph)
        res = _fill_in_zeros(res, outputs, strict, create_graph, "back_trick", "jvp")
    outputs, res = _postprocess(outputs, create_graph), _postprocess(res, create_graph)
    return _unpack(outputs, is_out), _unpack(res, is_out)


def jacobian(
    func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"
):
    """J[i][j] = ∂outputs[i]/∂inputs[j], of shape outputs[i].shape + inputs[j].shape.

    One backward pass per output element (with a one-hot ``grad_outputs``). A Tensor where
    the outputs and the inputs were Tensors; a tuple over the inputs, or over the outputs, or
    a tuple of tuples, where they were tuples. ``vectorize`` and ``strategy`` select torch's
    algorithms; here both strategies compute the same numbers by reverse mode.
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError(
            f'jacobian: strategy must be "forward-mode" or "reverse-mode", got {strategy!r}'
        )
    with enable_grad():
        is_in, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _preprocess(inputs, create_graph, need_graph=True)
        outputs = func(*inputs)
        is_out, outputs = _as_tuple(outputs, "outputs of the user-provided function", "jacobian")
        _check_requires_grad(outputs, "outputs", strict, "jacobian")
        jac = tuple(
            _jacobian_of(i, out, inputs, create_graph, strict) for i, out in enumerate(outputs)
        )
    return _unpack(_postprocess(jac, create_graph), (is_out, is_in))


def _jacobian_of(i, out, inputs, create_graph, strict):
    """The Jacobians of output ``out`` (number ``i``) with respect to each of ``inputs``."""
    rows = [[] for _ in inputs]
    xp = backend.get_array_module(out.data)
    for k in range(out.numel()):
        e = xp.zeros(out.numel(), dtype=out.data.dtype)
        e[k] = 1
        gs = _autograd_grad(
            (out,), inputs, (_wrap(e.reshape(out.shape), None),), create_graph, retain_graph=True
        )
        for j, (g, x) in enumerate(zip(gs, inputs)):
            if g is None:
                if strict:
                    raise RuntimeError(
                        f"jacobian: output {i} of the user-provided function is independent of "
                        f"input {j}. This is not allowed in strict mode"
                    )
                g = zeros_like(x)
            elif strict and create_graph and not g.requires_grad:
                raise RuntimeError(
                    f"jacobian: the jacobian of the user-provided function is independent of "
                    f"input {j}. This is not allowed in strict mode when create_graph=True"
                )
            rows[j].append(g)
    return tuple(
        stack(r).reshape(out.shape + x.shape) if r else zeros(out.shape + x.shape, dtype=x.dtype)
        for r, x in zip(rows, inputs)
    )


def hessian(
    func,
    inputs,
    create_graph=False,
    strict=False,
    vectorize=False,
    outer_jacobian_strategy="reverse-mode",
):
    """H[i][j] = ∂²func/∂inputs[i]∂inputs[j], of shape inputs[i].shape + inputs[j].shape, for a
    ``func`` returning one single-element Tensor: the Jacobian of its gradient. A Tensor for a
    Tensor input, a tuple of tuples for a tuple of inputs."""
    is_in, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError(
            'hessian: outer_jacobian_strategy must be "forward-mode" or "reverse-mode", got '
            f"{outer_jacobian_strategy!r}"
        )

    def single(*xs):
        out = func(*xs)
        is_out, outs = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(outs, "outputs", strict, "hessian")
        _single_output("hessian", outs, is_out)
        return out.reshape(())

    def jac_func(*xs):
        jac = jacobian(single, xs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict, "hessian")
        return jac

    res = jacobian(jac_func, inputs, create_graph, strict, vectorize, outer_jacobian_strategy)
    return _unpack(res, (is_in, is_in))


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), vᵀH), H the Hessian of the single-element output: two backward passes
    (the gradient with ``create_graph``, then its vjp with v)."""
    with enable_grad():
        is_in, inputs, v, is_out, outputs = _prepare("vhp", func, inputs, v, create_graph, False)
        _check_requires_grad(outputs, "outputs", strict, "vhp")
        _single_output("vhp", outputs, is_out)
        jac = _autograd_grad(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict, "vhp")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        res = _autograd_grad(jac, inputs, v, create_graph=create_graph)
        res = _fill_in_zeros(res, inputs, strict, create_graph, "double_back", "vhp")
    outputs, res = _postprocess(outputs, create_graph), _postprocess(res, create_graph)
    return _unpack(outputs, is_out), _unpack(res, is_in)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v), H the Hessian of the single-element output, by the double-vjp
    trick on the gradient: with g(u) = uᵀH linear in u, ∂(g·v)/∂u = H v. Equal to ``vhp``
    when H is symmetric (a twice continuously differentiable ``func``)."""
    with enable_grad():
        is_in, inputs, v, is_out, outputs = _prepare("hvp", func, inputs, v, create_graph, False)
        _check_requires_grad(outputs, "outputs", strict, "hvp")
        _single_output("hvp", outputs, is_out)
        jac = _autograd_grad(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict, "hvp")
        us = tuple(zeros_like(x, requires_grad=True) for x in inputs)
        double_back = _autograd_grad(jac, inputs, us, create_graph=True)
        _check_requires_grad(jac, "hessian", strict, "hvp")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        res = _autograd_grad(double_back, us, v, create_graph=create_graph)
        res = _fill_in_zeros(res, inputs, strict, create_graph, "double_back_trick", "hvp")
    outputs, res = _postprocess(outputs, create_graph), _postprocess(res, create_graph)
    return _unpack(outputs, is_out), _unpack(res, is_in)


from ..creation import zeros, zeros_like  # noqa: E402
from ..functions.shape import stack  # noqa: E402
from ..tensor import Tensor, _wrap  # noqa: E402
