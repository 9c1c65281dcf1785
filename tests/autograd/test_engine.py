"""The backward walk against torch: accumulation, shared nodes, freeing, higher order, hooks,
in-place safety, deep graphs and bad inputs."""

import time

import numpy as np
import pytest
import torch

import chainrule as cr

rng = np.random.default_rng(0)
X = rng.uniform(-1.5, 1.5, size=(3, 4))
W = rng.uniform(-1.0, 1.0, size=(4, 2))


def _leaves(lib, *arrays):
    return [lib.tensor(a, requires_grad=True) for a in arrays]


def _close(ours, ref, rtol=1e-10, atol=1e-12):
    if ref is None:
        assert ours is None
        return
    ref = ref.detach().numpy() if isinstance(ref, torch.Tensor) else ref
    ours = ours.data if isinstance(ours, cr.Tensor) else ours
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=atol)


# ------------------------------------------------------------------ accumulation and sharing
def test_grad_accumulates_over_two_backward_calls():
    def run(lib):
        x, w = _leaves(lib, X, W)
        ((x @ w).tanh() ** 2).sum().backward()
        (x.exp() * 0.5).mean().backward()
        return x.grad, w.grad

    for a, b in zip(run(cr), run(torch)):
        _close(a, b)


def test_diamond_graph_and_shared_subexpression():
    def run(lib):
        (x,) = _leaves(lib, X)
        s = x.sin()  # used by three consumers
        a = s * 2.0
        b = s.exp()
        c = s * x  # x reaches the output along several paths
        out = (a * b + c - s).sum()
        out.backward()
        return x.grad

    _close(run(cr), run(torch))


def test_same_tensor_twice_in_one_op():
    def run(lib):
        (x,) = _leaves(lib, X)
        y = x * x + x / (x * x + 1.0)
        (y * y).sum().backward()
        return x.grad

    _close(run(cr), run(torch))


def test_backward_with_gradient_argument_and_leaf_dtype():
    g = rng.standard_normal((3, 2))

    def run(lib):
        x, w = _leaves(lib, X, W)
        (x @ w).sigmoid().backward(lib.tensor(g))
        return x.grad, w.grad

    for a, b in zip(run(cr), run(torch)):
        _close(a, b)
        assert a.dtype == np.float64 and a.shape == tuple(b.shape)


def test_leaf_grad_is_owned_not_a_view():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x.sum().backward()
    x.grad.data[0] = 5.0  # must not corrupt anything else, and must be writable
    x.sum().backward()
    assert x.grad.tolist() == [6.0, 2.0, 2.0]


# ------------------------------------------------------------------ freeing the graph
def test_second_backward_through_freed_graph_raises():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_shared_prefix_freed_by_first_backward():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = x.exp()
    (h * 2).sum().backward()
    with pytest.raises(RuntimeError, match="Exp.*second time"):
        (h * 3).sum().backward()


def test_retain_graph_allows_second_backward_like_torch():
    def run(lib):
        (x,) = _leaves(lib, X)
        y = (x.exp() * x.sin()).sum()
        y.backward(retain_graph=True)
        y.backward()
        return x.grad

    _close(run(cr), run(torch))


# ------------------------------------------------------------------ higher order
def test_third_derivative_of_x3_sin_x():
    a = np.array([-1.3, 0.2, 0.7, 2.1])

    def run(lib, grad):
        x = lib.tensor(a, requires_grad=True)
        y = (x**3 * x.sin()).sum()
        (g1,) = grad(y, x, create_graph=True)
        (g2,) = grad(g1.sum(), x, create_graph=True)
        (g3,) = grad(g2.sum(), x)
        return g1, g2, g3

    ours, ref = run(cr, cr.grad), run(torch, torch.autograd.grad)
    for a_, b_ in zip(ours, ref):
        _close(a_, b_)
    # closed form of the third derivative: (6 - 9x²) sin x + (18x - x³) cos x
    _close(ours[2], (6 - 9 * a**2) * np.sin(a) + (18 * a - a**3) * np.cos(a))


def test_hessian_vector_product_of_small_mlp():
    x_np = rng.standard_normal((5, 3))
    w1_np, w2_np = rng.standard_normal((3, 4)), rng.standard_normal((4, 1))
    v1, v2 = rng.standard_normal((3, 4)), rng.standard_normal((4, 1))

    def run(lib, grad):
        x = lib.tensor(x_np)
        w1, w2 = _leaves(lib, w1_np, w2_np)
        loss = (((x @ w1).tanh() @ w2).sigmoid() ** 2).mean()
        g1, g2 = grad(loss, [w1, w2], create_graph=True)
        gv = (g1 * lib.tensor(v1)).sum() + (g2 * lib.tensor(v2)).sum()
        return grad(gv, [w1, w2])

    for a, b in zip(run(cr, cr.grad), run(torch, torch.autograd.grad)):
        _close(a, b)


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph")
def test_backward_create_graph_then_grad_of_grad():
    def run(lib):
        (x,) = _leaves(lib, X)
        (x.sin() * x**2).sum().backward(create_graph=True)
        gx = x.grad
        assert gx.requires_grad
        x.grad = None
        (gx * gx).sum().backward()
        return x.grad

    _close(run(cr), run(torch))


# ------------------------------------------------------------------ deep graphs
def test_chain_of_100k_ops_has_no_recursion_error():
    x = cr.tensor(1.0, dtype=cr.float64, requires_grad=True)
    y = x
    start = time.perf_counter()
    for _ in range(50_000):
        y = y * 1.0001
        y = y - 0.0001
    y.backward()
    assert time.perf_counter() - start < 30  # ~2 s on an idle CPU; catches quadratic walks
    np.testing.assert_allclose(x.grad.item(), 1.0001**50_000, rtol=1e-9)


# ------------------------------------------------------------------ hooks and retain_grad
def test_hooks_on_leaf_and_non_leaf_like_torch():
    def run(lib):
        (x,) = _leaves(lib, X)
        seen = []
        hx = x.register_hook(lambda g: g * 10)
        y = x.sin()
        y.register_hook(lambda g: seen.append(g.clone()) or g + 1.0)
        y.retain_grad()
        (y * y).sum().backward()
        first = (x.grad.clone(), y.grad.clone(), seen[0])
        hx.remove()
        x.grad = None
        (x * 2).sum().backward()
        return (*first, x.grad)

    for a, b in zip(run(cr), run(torch)):
        _close(a, b)


def test_hook_returning_none_observes_only():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()))
    (x * 3).sum().backward()
    assert seen == [[3.0, 3.0]] and x.grad.tolist() == [3.0, 3.0]


def test_retain_grad_on_non_leaf_accumulates_like_torch():
    def run(lib):
        (x,) = _leaves(lib, X)
        h = x * 2
        h.retain_grad()
        out = (h.exp()).sum()
        out.backward(retain_graph=True)
        out.backward()
        return h.grad, x.grad

    for a, b in zip(run(cr), run(torch)):
        _close(a, b)


def test_non_leaf_grad_is_none_without_retain_grad():
    x = cr.tensor([1.0], requires_grad=True)
    h = x * 2
    (h * 3).sum().backward()
    assert h.grad is None


# ------------------------------------------------------------------ in-place safety
def test_inplace_on_saved_output_names_exp():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.add_(1)
    with pytest.raises(RuntimeError, match="Exp.*in-place"):
        y.sum().backward()


def test_inplace_on_saved_input_names_mul():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    w = cr.tensor([3.0, 4.0], requires_grad=True)
    a = x * 2
    b = a * w
    a.mul_(3)
    with pytest.raises(RuntimeError, match="Mul.*in-place"):
        b.sum().backward()


def test_setitem_on_saved_tensor_raises():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x.sin()
    z = y.cos()  # saves y
    y[0] = 0.0
    with pytest.raises(RuntimeError, match="Cos"):
        z.sum().backward()


def test_inplace_on_unsaved_input_is_allowed():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x + 1  # Add saves nothing
        with lib.no_grad():
            x.mul_(5)
        (y * 2).sum().backward()
        return x.grad, y

    for a, b in zip(run(cr), run(torch)):
        _close(a, b)


INPLACE_CASES = {
    "mul_ const": lambda L, x, w: (x * 2).mul_(3).sum(),
    "mul_ tensor": lambda L, x, w: (x * 2).mul_(w).sum(),
    "mul_ tensor then pow": lambda L, x, w: ((x * 2).mul_(w) ** 2).sum(),
    "add_ sub_ div_": lambda L, x, w: (x.sin().add_(w).sub_(x, alpha=2).div_(w + 3.0) ** 2).sum(),
    "iadd imul": lambda L, x, w: _iops(x * 1.5, w),
    "zero_ fill_": lambda L, x, w: ((x * 2).zero_() * w).sum() + ((x * 2).fill_(3.0) * x).sum(),
    "copy_": lambda L, x, w: ((x * 2).copy_(w * x) ** 2).sum(),
    "setitem tensor": lambda L, x, w: _setitem(x * 2, w[1:] ** 2, x),
    "consumer before in-place": lambda L, x, w: _consumer_before(x, w),
    "constant made differentiable": lambda L, x, w: (L.ones(3).mul_(w) * x).sum(),
}


def _iops(a, w):
    a += w
    a *= w
    return (a**2).sum()


def _setitem(a, v, x):
    a[:2] = v
    return (a * x).sum()


def _consumer_before(x, w):
    a = x * 2
    b = a + w  # saves nothing: a may change afterwards
    a.mul_(3)  # b must still see a's old node
    return (a * b).sum() + b.sum()


@pytest.mark.parametrize("name", list(INPLACE_CASES))
def test_inplace_on_non_leaf_gradients_match_torch(name):
    f = INPLACE_CASES[name]

    def run(lib):
        x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        w = lib.tensor([0.5, 2.0, -1.0], requires_grad=True)
        f(lib, x, w).backward()
        return x.grad, w.grad

    for a, b in zip(run(cr), run(torch)):
        _close(a, b, rtol=1e-6, atol=1e-6)


def test_inplace_with_itself_as_operand():
    # torch refuses this one (it saved a); we give the closed form: a = 2x, a·a = 4x², d/dx = 8x
    x = cr.tensor([1.0, -2.0], requires_grad=True)
    a = x * 2
    a.mul_(a)
    a.sum().backward()
    assert a.tolist() == [4.0, 16.0] and x.grad.tolist() == [8.0, -16.0]


def test_inplace_under_no_grad_does_not_record():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with cr.no_grad():
        x.mul_(2)
    assert x.is_leaf and x.grad_fn is None
    (x * x).sum().backward()
    assert x.grad.tolist() == [4.0, 8.0]


# ------------------------------------------------------------------ bad inputs
def test_backward_on_non_scalar_names_shape():
    x = cr.tensor(X, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"\(3, 4\)"):
        (x * 2).backward()


def test_backward_on_tensor_not_requiring_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.tensor([1.0, 2.0]).sum().backward()
    x = cr.tensor([1.0], requires_grad=True)
    with cr.no_grad():
        y = x * 2
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()


def test_backward_gradient_of_wrong_shape_names_both():
    x = cr.tensor(X, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"\(4, 3\).*\(3, 4\)"):
        (x * 2).backward(cr.ones(4, 3))


def test_leaves_fed_the_same_array_get_gradients_of_their_own():
    """(x + y) hands one gradient array to both leaves; each .grad must own its memory."""
    x = cr.ones(3, requires_grad=True)
    y = cr.ones(3, requires_grad=True)
    (x + y).sum().backward()
    x.grad.data[0] = 5.0  # an in-place edit of one gradient (as an optimizer might make)
    np.testing.assert_array_equal(y.grad.data, [1.0, 1.0, 1.0])


def test_backward_order_follows_recording_order_with_fan_out():
    """A node used by many later nodes gets every share before it runs (diamonds in a chain)."""
    x = cr.tensor([0.3, -0.7], dtype=cr.float64, requires_grad=True)
    xt = torch.tensor([0.3, -0.7], dtype=torch.float64, requires_grad=True)
    for t in (x, xt):
        h = t
        for _ in range(5):
            a = h.sin()
            b = h * h
            h = a * b + h.exp() * 0.1
        h.sum().backward()
    np.testing.assert_allclose(x.grad.data, xt.grad.numpy(), rtol=1e-12)


def test_post_accumulate_grad_hook_sees_the_accumulated_grad_as_torch():
    seen = {}
    for lib in (cr, torch):
        w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        calls = []
        w.register_hook(lambda g: g * 10)  # runs before accumulation
        handle = w.register_post_accumulate_grad_hook(
            lambda p, calls=calls: calls.append(p.grad.tolist())
        )
        (w * w).sum().backward()
        (w * 3).sum().backward()  # accumulates: the hook sees the sum
        handle.remove()
        (w * 1).sum().backward()
        (cr.grad if lib is cr else torch.autograd.grad)((w * w).sum(), w)  # no .grad: no call
        seen[lib] = (calls, w.grad.tolist())
    assert seen[cr] == seen[torch]
    assert seen[cr][0] == [[20.0, 40.0, 60.0], [50.0, 70.0, 90.0]]


def test_post_accumulate_grad_hook_only_on_leaves_that_require_grad():
    with pytest.raises(RuntimeError, match="can only be registered on leaf tensors"):
        (cr.ones(2, requires_grad=True) * 2).register_post_accumulate_grad_hook(print)
    with pytest.raises(RuntimeError, match="doesn't require grad"):
        cr.ones(2).register_post_accumulate_grad_hook(print)
