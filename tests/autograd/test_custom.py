"""Custom ops written PyTorch's way (static forward(ctx, ...) / backward(ctx, ...), apply),
against the same classes written for torch: values, gradients, second derivatives, several
outputs, ctx's options, and the errors."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.autograd.function import once_differentiable


def _define(lib):
    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, gy):
            (y,) = ctx.saved_tensors
            return gy * y

    class MulAdd(lib.autograd.Function):  # two outputs, a constant argument
        @staticmethod
        def forward(ctx, x, w, k):
            ctx.save_for_backward(x, w)
            return x * w + k, (x * w).sum(dim=0)

        @staticmethod
        def backward(ctx, g1, g2):
            x, w = ctx.saved_tensors
            gx = (g1 + g2) * w if ctx.needs_input_grad[0] else None
            gw = (g1 * x).sum(dim=0) + g2 * x.sum(dim=0) if ctx.needs_input_grad[1] else None
            return gx, gw, None

    class SortValues(lib.autograd.Function):  # an integer output, not differentiable
        @staticmethod
        def forward(ctx, x):
            values, idx = x.sort()
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            return values, idx

        @staticmethod
        def backward(ctx, gv, gi):
            (idx,) = ctx.saved_tensors
            return lib.zeros_like(gv).scatter(-1, idx, gv)

    return Exp, MulAdd, SortValues


def _run(lib):
    Exp, MulAdd, SortValues = _define(lib)
    grad = cr.grad if lib is cr else torch.autograd.grad
    x = lib.tensor(np.array([[0.5, 1.0], [1.5, -0.3]]), requires_grad=True)
    w = lib.tensor(np.array([2.0, -1.0]), requires_grad=True)
    a, b = MulAdd.apply(Exp.apply(x), w, 3.0)
    values, idx = SortValues.apply(a)
    loss = (values * lib.tensor(np.array([1.0, 3.0]))).sum() + (b * b).sum()
    gx, gw = grad(loss, [x, w], create_graph=True)
    ggx, ggw = grad((gx**2).sum() + (gw**3).sum(), [x, w])
    out = [loss, gx, gw, ggx, ggw, values, idx]
    flags = (idx.requires_grad, values.requires_grad)
    return [t.detach().numpy() for t in out], flags


def test_values_gradients_and_second_derivatives_match_torch():
    ours, flags = _run(cr)
    theirs, flags_t = _run(torch)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    assert flags == flags_t == (False, True)


def test_unused_output_and_materialize_grads_as_torch():
    seen = {}
    for lib in (cr, torch):
        calls = seen.setdefault(lib.__name__, [])

        class Two(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(False)
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, g1, g2, calls=calls):
                calls.append((g1 is None, g2 is None))
                return (0 if g1 is None else g1 * 2) + (0 if g2 is None else g2 * 3)

        x = lib.tensor([1.0, 2.0], requires_grad=True)
        a, _ = Two.apply(x)
        a.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
    assert seen["chainrule"] == seen["torch"] == [(False, True)]


def test_no_grad_mode_records_nothing_and_constants_pass_through():
    Exp, MulAdd, _ = _define(cr)
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with cr.no_grad():
        y = Exp.apply(x)
    assert not y.requires_grad and y.grad_fn is None
    y = Exp.apply(cr.tensor([1.0]))  # no input requires grad
    assert not y.requires_grad
    np.testing.assert_allclose(y.data, np.exp([1.0]))


def test_once_differentiable_and_errors():
    class Square(cr.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = cr.tensor([3.0], requires_grad=True)
    (g,) = cr.grad(Square.apply(x).sum(), x)
    np.testing.assert_array_equal(g.data, [6.0])
    (g,) = cr.grad((Square.apply(x) * x).sum(), x, create_graph=True)  # computing it is fine
    np.testing.assert_array_equal(g.data, [27.0])  # d(x³)/dx, with the backward's 2x·x
    with pytest.raises(RuntimeError, match="differentiate twice .* @once_differentiable"):
        g.sum().backward()  # differentiating through it is not

    class Wrong(cr.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(ValueError, match=r"Wrong.backward: returned 1 gradients, expected"):
        Wrong.apply(x, cr.tensor([1.0])).sum().backward()

    y = cr.tensor([2.0], requires_grad=True) * 1
    out = Square.apply(y)
    y.mul_(2)
    with pytest.raises(RuntimeError, match="was modified in place"):
        out.sum().backward()
