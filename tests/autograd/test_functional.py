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


# ---------------------------------------------------------------- torch.autograd.functional
import torch.autograd.functional as TF  # noqa: E402

from chainrule.autograd import functional as CF  # noqa: E402

X = rng.uniform(-1, 1, (3, 2))
Y = rng.uniform(-1, 1, (2,))
TOL = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=1e-5, atol=1e-6)}


def _same(ours, ref, dtype="float64"):
    """The same structure (Tensor vs tuple, lengths), dtypes and values as torch's result."""
    if isinstance(ref, torch.Tensor):
        assert isinstance(ours, cr.Tensor), f"expected a Tensor, got {type(ours).__name__}"
        assert str(ours.dtype) == str(ref.dtype).replace("torch.", "")
        assert ours.shape == tuple(ref.shape)
        np.testing.assert_allclose(ours.data, ref.detach().numpy(), **TOL[dtype])
    else:
        assert type(ours) is type(ref), f"expected {type(ref).__name__}, got {type(ours)}"
        assert len(ours) == len(ref)
        for o, r in zip(ours, ref):
            _same(o, r, dtype)


def one_to_one(x):
    return x.exp() * x.sum()


def two_to_two(x, y):
    return (x * y.sum()).tanh(), (x**2).sum() * y


def scalar(x, y):
    return (x.sin() * y).sum() + (x**3).sum() * (y**2).sum()


def _inputs(lib, dtype, arrays, requires_grad=False):
    return tuple(lib.tensor(a.astype(dtype), requires_grad=requires_grad) for a in arrays)


def _run(name, func, arrays, dtype, tuple_in, v_arrays=None, **kw):
    out = []
    for lib, F in ((cr, CF), (torch, TF)):
        xs = _inputs(lib, dtype, arrays)
        args = [func, xs if tuple_in else xs[0]]
        if isinstance(v_arrays, tuple):
            args.append(_inputs(lib, dtype, v_arrays))
        elif v_arrays is not None:
            args.append(_inputs(lib, dtype, (v_arrays,))[0])
        out.append(getattr(F, name)(*args, **kw))
    return out


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    "name, func, tuple_in, v",
    [
        ("jacobian", one_to_one, False, None),
        ("jacobian", two_to_two, True, None),
        ("jacobian", lambda x, y: (x * y).sum(), True, None),  # tuple in, Tensor out
        ("jacobian", lambda x: (x.sin(), x.sum()), False, None),  # Tensor in, tuple out
        ("hessian", lambda x: scalar(x, x[0]), False, None),
        ("hessian", scalar, True, None),
        ("vjp", one_to_one, False, (rng.standard_normal((3, 2)),)),
        ("vjp", two_to_two, True, (rng.standard_normal((3, 2)), rng.standard_normal(2))),
        ("jvp", one_to_one, False, (rng.standard_normal((3, 2)),)),
        ("jvp", two_to_two, True, (rng.standard_normal((3, 2)), rng.standard_normal(2))),
        ("hvp", scalar, True, (rng.standard_normal((3, 2)), rng.standard_normal(2))),
        ("vhp", scalar, True, (rng.standard_normal((3, 2)), rng.standard_normal(2))),
        ("hvp", lambda x: scalar(x, x[1]), False, (rng.standard_normal((3, 2)),)),
        ("vhp", lambda x: scalar(x, x[1]), False, (rng.standard_normal((3, 2)),)),
    ],
)
def test_functional_matches_torch(name, func, tuple_in, v, dtype):
    arrays = (X, Y) if tuple_in else (X,)
    if v is not None and not tuple_in:
        (v,) = v  # one array: the single-Tensor form of v
    ours, ref = _run(name, func, arrays, dtype, tuple_in, v)
    _same(ours, ref, dtype)
    assert not any(t.requires_grad for t in _leaves(ours)), "results must be detached"


def test_v_may_be_omitted_for_one_element():
    for name, func, x in (
        ("vjp", lambda x: (x * 3).sum(), X),
        ("jvp", lambda x: x.exp() * 2, np.array([0.5])),
        ("hvp", lambda x: (x**3).sum(), np.array([0.5])),
        ("vhp", lambda x: (x**3).sum(), np.array(0.5)),
    ):
        ours = getattr(CF, name)(func, cr.tensor(x))
        ref = getattr(TF, name)(func, torch.tensor(x))
        _same(ours, ref)


def test_create_graph_results_differentiate_back_to_the_inputs():
    """With create_graph the results stay linked to inputs that require grad; the gradient
    of a function of them reaches those inputs as torch's does."""
    for name, v in (("jacobian", None), ("hessian", None), ("vjp", 1), ("hvp", 0), ("vhp", 0)):
        grads = []
        for lib, F in ((cr, CF), (torch, TF)):
            x, y = _inputs(lib, "float64", (X, Y), requires_grad=True)
            func = two_to_two if name in ("jacobian", "vjp") else scalar
            args = [func, (x, y)]
            if v is not None:
                args.append(
                    (lib.tensor(X[::-1].copy()), lib.tensor(Y))
                    if v == 0
                    else (lib.tensor(X[::-1].copy()), lib.tensor(Y * 2))
                )
            res = getattr(F, name)(*args, create_graph=True)
            flat = [t for t in _leaves(res) if t.requires_grad]
            assert flat, name
            total = sum((t * t).sum() for t in flat)
            gx, gy = (lib.autograd if lib is torch else cr).grad(total, [x, y], allow_unused=True)
            grads.append((gx, gy))
        for o, r in zip(*grads):
            _close(o, r)


def test_jvp_create_graph_matches_torch():
    grads = []
    for lib, F in ((cr, CF), (torch, TF)):
        x, y = _inputs(lib, "float64", (X, Y), requires_grad=True)
        out, jv = F.jvp(two_to_two, (x, y), (lib.tensor(X * 0.5), lib.tensor(Y)), create_graph=True)
        total = (jv[0] ** 2).sum() + (jv[1] * out[1]).sum()
        grads.append((lib.autograd if lib is torch else cr).grad(total, [x, y]))
    for o, r in zip(*grads):
        _close(o, r)


def _leaves(res):
    if isinstance(res, (tuple, list)):
        return [t for r in res for t in _leaves(r)]
    return [res]


def test_unused_input_gives_zeros_or_a_strict_error():
    def func(x, y):
        return x * 2

    xs = (cr.tensor(X), cr.tensor(Y))
    v = cr.tensor(X)
    _, (gx, gy) = CF.vjp(func, xs, v)
    np.testing.assert_array_equal(gy.data, np.zeros(2))
    np.testing.assert_array_equal(gx.data, np.full((3, 2), 2.0) * X)
    jac = CF.jacobian(func, xs)
    _same(jac, TF.jacobian(func, (torch.tensor(X), torch.tensor(Y))))
    with pytest.raises(RuntimeError, match="independent of input 1.*strict"):
        CF.vjp(func, xs, v, strict=True)
    with pytest.raises(RuntimeError, match="output 0 .*independent of input 1.*strict"):
        CF.jacobian(func, xs, strict=True)
    with pytest.raises(RuntimeError, match="jvp: .*independent of input 1"):
        CF.jvp(func, xs, (cr.tensor(X), cr.tensor(Y)), strict=True)


def test_strict_errors_for_constant_outputs_and_linear_functions():
    x = cr.tensor(X)
    with pytest.raises(RuntimeError, match="output 0 of the user-provided function does not"):
        CF.vjp(lambda x: cr.tensor(Y).sum(), x, strict=True)
    with pytest.raises(RuntimeError, match="hessian: the jacobian .* input 0 is independent"):
        CF.hessian(lambda x: (x * 3).sum(), x, strict=True)
    with pytest.raises(RuntimeError, match="vhp: the jacobian .* input 0 is independent"):
        CF.vhp(lambda x: (x * 3).sum(), x, cr.tensor(X), strict=True)
    # not strict: the mathematically right zeros, as torch
    _same(
        CF.hessian(lambda x: (x * 3).sum(), x), TF.hessian(lambda x: (x * 3).sum(), torch.tensor(X))
    )
    with pytest.raises(RuntimeError, match="independent of input 0.*create_graph=True"):
        CF.jacobian(lambda x: x * 3, x, create_graph=True, strict=True)


def test_bad_arguments_name_the_shapes():
    x = cr.tensor(X)
    with pytest.raises(
        ValueError, match=r"vjp: v has invalid size: should be \(3, 2\) but got \(2,\)"
    ):
        CF.vjp(lambda x: x * 2, x, cr.tensor(Y))
    with pytest.raises(
        ValueError, match=r"jvp: entry 1 of v has invalid size: should be \(2,\) but got \(3, 2\)"
    ):
        CF.jvp(two_to_two, (x, cr.tensor(Y)), (x, x))
    with pytest.raises(ValueError, match="invalid length: should be 2 but got 1"):
        CF.hvp(scalar, (x, cr.tensor(Y)), (x,))
    with pytest.raises(ValueError, match=r"vjp: v can be omitted only .*\[\(3, 2\)\]"):
        CF.vjp(lambda x: x * 2, x)
    with pytest.raises(ValueError, match=r"hvp: v can be omitted only .*\[\(3, 2\)\]"):
        CF.hvp(lambda x: x.sum(), x)
    with pytest.raises(TypeError, match="jacobian: the inputs must be a Tensor .* has type list"):
        CF.jacobian(lambda x: x, [x])
    with pytest.raises(TypeError, match="index 1 has type float"):
        CF.jacobian(lambda x, y: x, (x, 2.0))
    with pytest.raises(TypeError, match="outputs of the user-provided function"):
        CF.vjp(lambda x: 3.0, x, cr.tensor(1.0))
    with pytest.raises(ValueError, match=r"hessian: .* single element, got shape \(3, 2\)"):
        CF.hessian(lambda x: x * 2, x)
    with pytest.raises(TypeError, match="hvp: the function should return a single Tensor"):
        CF.hvp(lambda x: (x.sum(), x.sum()), x, x)
    with pytest.raises(ValueError, match="strategy must be"):
        CF.jacobian(lambda x: x, x, strategy="sideways")
    with pytest.raises(ValueError, match="outer_jacobian_strategy must be"):
        CF.hessian(lambda x: x.sum(), x, outer_jacobian_strategy="sideways")


def test_jacobian_options_give_the_same_numbers():
    ref = TF.jacobian(two_to_two, (torch.tensor(X), torch.tensor(Y)))
    for kw in (dict(vectorize=True), dict(strategy="forward-mode"), dict(strict=True)):
        _same(CF.jacobian(two_to_two, (cr.tensor(X), cr.tensor(Y)), **kw), ref)
    ref = TF.hessian(scalar, (torch.tensor(X), torch.tensor(Y)))
    h = CF.hessian(scalar, (cr.tensor(X), cr.tensor(Y)), outer_jacobian_strategy="forward-mode")
    _same(h, ref)


def test_jacobian_of_empty_and_scalar_tensors():
    x = np.array(1.5)
    _same(
        CF.jacobian(lambda x: x.exp(), cr.tensor(x)),
        TF.jacobian(lambda x: x.exp(), torch.tensor(x)),
    )
    # torch's loop fails on an empty output (stack of nothing); the Jacobian is empty zeros
    j = CF.jacobian(lambda x, z: (x * 2, z), (cr.tensor(X), cr.tensor(np.zeros((2, 0)))))
    shapes = [[t.shape for t in row] for row in j]
    assert shapes == [[(3, 2, 3, 2), (3, 2, 2, 0)], [(2, 0, 3, 2), (2, 0, 2, 0)]]
    np.testing.assert_array_equal(j[0][0].data.reshape(6, 6), 2 * np.eye(6))
    assert j[1][0].dtype == cr.float64


def test_inputs_are_not_modified_and_grad_mode_is_respected():
    x = cr.tensor(X, requires_grad=True)
    out, g = CF.vjp(lambda x: (x**2).sum(), x)
    assert x.grad is None and not out.requires_grad and not g.requires_grad
    with cr.no_grad():
        j = CF.jacobian(one_to_one, x)
    _same(j, TF.jacobian(one_to_one, torch.tensor(X)))
