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


def test_grad_outputs_in_the_graph_are_differentiated_through_like_torch():
    """With create_graph, a grad_outputs (or backward's gradient) that depends on x is part of
    the graph: d/dx Σ v·cos x with v = 3x is 3 cos x − 3x sin x, not −3x sin x alone."""
    a = np.array([1.5, 2.0])
    for how in ("grad", "backward"):
        x, t = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        if how == "grad":
            (g,) = cr.grad(cr.sin(x), x, 3 * x, create_graph=True)
            (h,) = torch.autograd.grad(torch.sin(t), t, 3 * t, create_graph=True)
            g.sum().backward()
            h.sum().backward()
        else:
            cr.sin(x).backward(3 * x, create_graph=True)
            torch.sin(t).backward(3 * t, create_graph=True)
        np.testing.assert_allclose(x.grad.data, t.grad.detach().numpy(), rtol=1e-12)


def test_gradient_penalty_through_fused_layers_reaches_every_weight_like_torch():
    """A WGAN-style penalty on ∂D/∂x, where D's first Linear run is one fused op whose double
    backward differentiates it composed: the upstream gradient it receives depends on the later
    layers' weights, and their share of the penalty's gradient must come through it."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3))
    sizes = [(8, 3), (8,), (4, 8), (4,), (1, 4), (1,)]
    weights = [rng.standard_normal(s) * 0.5 for s in sizes]

    def make(lib):
        nn = lib.nn
        m = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 4), nn.Tanh(), nn.Linear(4, 1))
        m = m.double() if lib is torch else m.to(cr.float64)
        for p, w in zip(m.parameters(), weights):
            p.data[...] = cr.tensor(w) if lib is cr else torch.tensor(w)
        return m

    grads = []
    for lib in (cr, torch):
        m = make(lib)
        xs = (cr.tensor if lib is cr else torch.tensor)(x, requires_grad=True)
        autograd = cr if lib is cr else torch.autograd
        (gx,) = autograd.grad(m(xs).sum(), xs, create_graph=True)
        ((gx * gx).sum(1).sqrt() - 1).pow(2).mean().backward()
        grads.append(
            [
                None if p.grad is None else np.asarray(p.grad.data if lib is cr else p.grad)
                for p in m.parameters()
            ]
        )
    assert [g is None for g in grads[0]] == [g is None for g in grads[1]]  # the last bias
    for ours, theirs in zip(*grads):
        if ours is not None:
            np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
