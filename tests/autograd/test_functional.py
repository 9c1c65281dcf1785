"""``cr.grad`` against ``torch.autograd.grad``."""

import numpy as np
import pytest
import torch

import chainrule as cr

rng = np.random.default_rng(1)
A = rng.uniform(-1, 1, (3, 2))
B = rng.uniform(-1, 1, (2,))


def _close(ours, ref):
    np.testing.assert_allclose(ours.data, ref.detach().numpy(), rtol=1e-10, atol=1e-12)


def _both(f):
    out = []
    for lib, grad in ((cr, cr.grad), (torch, torch.autograd.grad)):
        a = lib.tensor(A, requires_grad=True)
        b = lib.tensor(B, requires_grad=True)
        out.append(f(lib, grad, a, b))
    return out


def test_grad_matches_torch_and_leaves_dot_grad_alone():
    def f(lib, grad, a, b):
        gs = grad(((a * b).exp() + a).sum(), [a, b])
        assert a.grad is None and b.grad is None
        return gs

    ours, ref = _both(f)
    assert isinstance(ours, tuple) and len(ours) == 2
    for o, r in zip(ours, ref):
        _close(o, r)


def test_grad_single_tensor_input_and_grad_outputs():
    g = rng.standard_normal((3, 2))

    def f(lib, grad, a, b):
        return grad((a * b).sin(), a, grad_outputs=lib.tensor(g))

    ours, ref = _both(f)
    _close(ours[0], ref[0])


def test_grad_several_outputs_sum_their_contributions():
    def f(lib, grad, a, b):
        return grad([(a * a).sum(), (a * b).sum()], [a, b])

    for o, r in zip(*_both(f)):
        _close(o, r)


def test_grad_of_non_leaf_input():
    def f(lib, grad, a, b):
        h = a * b
        return grad((h.tanh() * a).sum(), [h, a])

    for o, r in zip(*_both(f)):
        _close(o, r)


def test_grad_frees_graph_unless_retained():
    a = cr.tensor(A, requires_grad=True)
    y = a.exp().sum()
    (g1,) = cr.grad(y, a, retain_graph=True)
    (g2,) = cr.grad(y, a)
    np.testing.assert_allclose(g1.data, np.exp(A))
    np.testing.assert_allclose(g2.data, np.exp(A))
    with pytest.raises(RuntimeError, match="retain_graph"):
        cr.grad(y, a)


def test_create_graph_returns_differentiable_grads():
    def f(lib, grad, a, b):
        (ga,) = grad((a**3 * b).sum(), a, create_graph=True)
        assert ga.requires_grad
        return grad((ga * ga).sum(), [a, b])

    for o, r in zip(*_both(f)):
        _close(o, r)


def test_allow_unused():
    a = cr.tensor(A, requires_grad=True)
    b = cr.tensor(B, requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused"):
        cr.grad((a * 2).sum(), [a, b])
    ga, gb = cr.grad((a * 2).sum(), [a, b], allow_unused=True)
    assert gb is None and np.all(ga.data == 2.0)


def test_grad_errors():
    a = cr.tensor(A, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"\(3, 2\)"):
        cr.grad(a * 2, a)
    with pytest.raises(RuntimeError, match=r"\(2, 3\).*\(3, 2\)"):
        cr.grad(a * 2, a, grad_outputs=cr.ones(2, 3))
    with pytest.raises(RuntimeError, match="input 0 does not require grad"):
        cr.grad((a * 2).sum(), cr.tensor([1.0]))
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.grad(cr.tensor([1.0]).sum(), a)
    with pytest.raises(ValueError, match="2 grad_outputs for 1 outputs"):
        cr.grad([(a * 2).sum()], a, grad_outputs=[None, None])


def test_grad_runs_leaf_hooks_like_torch():
    def f(lib, grad, a, b):
        a.register_hook(lambda g: g * 3)
        return grad((a * a).sum(), a)

    ours, ref = _both(f)
    _close(ours[0], ref[0])
