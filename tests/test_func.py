"""``chainrule.func`` against ``torch.func`` on the same functions."""

import numpy as np
import pytest
import torch
import torch.func as TF

import chainrule as cr
import chainrule.func as CF

rng = np.random.default_rng(3)
X = rng.uniform(-1, 1, (3, 2))
Y = rng.uniform(-1, 1, (2,))
TOL = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=1e-5, atol=1e-6)}


def _same(ours, ref, dtype="float64"):
    """The same pytree (tuple/list/dict structure), dtypes and values as torch's result."""
    if isinstance(ref, torch.Tensor):
        assert isinstance(ours, cr.Tensor), f"expected a Tensor, got {type(ours).__name__}"
        assert str(ours.dtype) == str(ref.dtype).replace("torch.", "")
        assert ours.shape == tuple(ref.shape), (ours.shape, tuple(ref.shape))
        np.testing.assert_allclose(ours.data, ref.detach().numpy(), **TOL[dtype])
    elif isinstance(ref, dict):
        assert isinstance(ours, dict) and list(ours) == list(ref), (ours, ref)
        for k in ref:
            _same(ours[k], ref[k], dtype)
    elif isinstance(ref, (tuple, list)):
        assert type(ours) is type(ref), f"expected {type(ref).__name__}, got {type(ours)}"
        assert len(ours) == len(ref)
        for o, r in zip(ours, ref):
            _same(o, r, dtype)
    else:
        assert ours == ref


def _leaves(t):
    if isinstance(t, dict):
        return [x for v in t.values() for x in _leaves(v)]
    if isinstance(t, (tuple, list)):
        return [x for v in t for x in _leaves(v)]
    return [t]


def _t(lib, a, dtype="float64", requires_grad=False):
    return lib.tensor(a.astype(dtype), requires_grad=requires_grad)


def _both(make_args, call, dtype="float64"):
    """``call(F, *args)`` with chainrule's and torch's transforms; asserts the same result."""
    ours = call(CF, *make_args(cr, dtype))
    ref = call(TF, *make_args(torch, dtype))
    _same(ours, ref, dtype)
    return ours


def f(x, y):
    return (x.sin() * y).sum() + (x**3).sum() * (y**2).sum()


def g(x, y):
    return (x * y.sum()).tanh(), {"s": (x**2).sum() * y}


def xy(lib, dtype):
    return _t(lib, X, dtype), _t(lib, Y, dtype)


# ---------------------------------------------------------------- grad
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("argnums", [0, 1, -1, (0, 1), (1, 0)])
def test_grad_and_grad_and_value_match_torch(argnums, dtype):
    res = _both(xy, lambda F, x, y: F.grad(f, argnums)(x, y), dtype)
    assert not any(t.requires_grad for t in _leaves(res))
    _both(xy, lambda F, x, y: F.grad_and_value(f, argnums=argnums)(x, y), dtype)


def test_grad_of_a_pytree_argument_and_has_aux():
    def h(p, z):
        loss = (p["w"] * z).sum() ** 2 + (p["b"][0].exp() * p["b"][1].sin()).sum()
        return loss, {"z": z * 2, "n": [z.sum()]}

    def args(lib, dtype):
        return {"w": _t(lib, X), "b": [_t(lib, Y), _t(lib, Y[::-1].copy())]}, _t(lib, X)

    res = _both(args, lambda F, p, z: F.grad(h, has_aux=True)(p, z))
    assert not any(t.requires_grad for t in _leaves(res[1]) if isinstance(t, cr.Tensor))
    _both(args, lambda F, p, z: F.grad_and_value(h, (0, 1), has_aux=True)(p, z))


def test_grad_nests_and_its_result_is_differentiable_for_the_outer_level():
    # grad of grad: d/dx of (∂f/∂x · y-weighted) through closures, and jacrev of grad = hessian
    def gg(F, x, y):
        return F.grad(lambda x: (F.grad(f)(x, y) * x).sum())(x)

    _both(xy, gg)
    _both(xy, lambda F, x, y: F.jacrev(F.grad(f), argnums=1)(x, y))
    # a tensor requiring grad from outside: the gradient is part of its graph, as in torch
    grads = []
    for lib, F in ((cr, CF), (torch, TF)):
        x, y = _t(lib, X, requires_grad=True), _t(lib, Y, requires_grad=True)
        gx = F.grad(f)(x, y)
        assert gx.requires_grad
        (gx**2).sum().backward()
        grads.append((x.grad, y.grad))
    _same(*grads)
    # nothing from outside: plain tensors, as torch's
    res = CF.grad(lambda x: (x**2).sum())(cr.tensor(X))
    assert not res.requires_grad and res.grad_fn is None


def test_grad_leaves_the_inputs_alone_and_gives_zeros_for_unused():
    x = cr.tensor(X, requires_grad=True)
    gx, gy = CF.grad(lambda x, y: (x * 2).sum(), (0, 1))(x, cr.tensor(Y))
    assert x.grad is None
    np.testing.assert_array_equal(gy.data, np.zeros(2))
    np.testing.assert_array_equal(gx.data, np.full((3, 2), 2.0))
    with cr.no_grad():  # transforms turn grad mode on for themselves
        _same(CF.grad(f)(cr.tensor(X), cr.tensor(Y)), TF.grad(f)(torch.tensor(X), torch.tensor(Y)))


def test_grad_errors():
    x, y = cr.tensor(X), cr.tensor(Y)
    with pytest.raises(ValueError, match=r"grad: expected .* scalar Tensor, got shape \(3, 2\)"):
        CF.grad(lambda x: x * 2)(x)
    with pytest.raises(ValueError, match="argnums=2, but only 2 positional inputs"):
        CF.grad(f, argnums=2)(x, y)
    with pytest.raises(ValueError, match="argnums must be non-empty"):
        CF.grad(f, argnums=())(x, y)
    with pytest.raises(ValueError, match="must not repeat"):
        CF.grad(f, argnums=(0, -2))(x, y)
    with pytest.raises(TypeError, match="argnums must be an int or a tuple of ints"):
        CF.grad(f, argnums=[0])(x, y)
    with pytest.raises(TypeError, match="floating-point Tensors, got float"):
        CF.grad(lambda a, b: (a * b).sum(), argnums=1)(x, 2.0)
    with pytest.raises(TypeError, match="floating-point Tensors, got int64"):
        CF.grad(lambda a: a.sum())(cr.tensor([1, 2]))
    with pytest.raises(TypeError, match=r"has_aux=True .* tuple \(output, aux\), got Tensor"):
        CF.grad(lambda x: x.sum(), has_aux=True)(x)


# ---------------------------------------------------------------- vjp, jvp
def test_vjp_matches_torch_and_vjp_fn_can_be_called_again():
    cot = (rng.standard_normal((3, 2)), {"s": rng.standard_normal(2)})
    outs = []
    for lib, F in ((cr, CF), (torch, TF)):
        out, fn = F.vjp(g, *xy(lib, "float64"))
        c = (lib.tensor(cot[0]), {"s": lib.tensor(cot[1]["s"])})
        outs.append((out, fn(c), fn(c)))
    _same(*outs)
    assert not any(t.requires_grad for t in _leaves(outs[0]))


def test_vjp_single_output_has_aux_and_float32():
    def h(x):
        return x.exp() * 2, x.sum()

    def call(F, x):
        out, fn, aux = F.vjp(h, x, has_aux=True)
        return out, fn(out * 3), aux

    _both(lambda lib, dt: (_t(lib, X, dt),), call, "float32")


def test_vjp_errors():
    out, fn = CF.vjp(g, cr.tensor(X), cr.tensor(Y))
    with pytest.raises(
        ValueError,
        match=r"vjp: expected cotangents of the structure of the outputs, "
        r"\(\*, \{'s': \*\}\), got \*",
    ):
        fn(cr.tensor(X))
    with pytest.raises(ValueError, match=r"cotangent of shape \(2,\), got \(3,\)"):
        fn((cr.tensor(X), {"s": cr.ones(3, dtype=cr.float64)}))
    with pytest.raises(TypeError, match="vjp: expected the function to return only Tensors"):
        CF.vjp(lambda x: (x, 3.0), cr.tensor(X))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_jvp_matches_torch(dtype):
    def args(lib, dt):
        x, y = xy(lib, dt)
        return (x, y), (_t(lib, X[::-1].copy(), dt), _t(lib, Y * 3, dt))

    res = _both(args, lambda F, p, t: F.jvp(g, p, t), dtype)
    assert not any(t.requires_grad for t in _leaves(res))
    _both(args, lambda F, p, t: F.jvp(lambda x, y: (f(x, y), x.sum()), p, t, has_aux=True), dtype)
    _both(args, lambda F, p, t: F.jvp(lambda x, y: x * 0 + y.sum(), p, t), dtype)  # J = 0 for x


def test_jvp_errors():
    x = cr.tensor(X)
    with pytest.raises(TypeError, match="primals and tangents to be tuples, got Tensor"):
        CF.jvp(lambda x: x, x, (x,))
    with pytest.raises(ValueError, match=r"tangent of shape \(3, 2\), got \(2,\)"):
        CF.jvp(lambda x: x, (x,), (cr.tensor(Y),))
    with pytest.raises(
        ValueError,
        match=r"jvp: expected tangents of the structure of the primals, \(\*,\), got \(\*, \*\)",
    ):
        CF.jvp(lambda x: x, (x,), (x, x))


# ---------------------------------------------------------------- Jacobians, Hessians
@pytest.mark.parametrize("jac", ["jacrev", "jacfwd"])
@pytest.mark.parametrize("argnums", [0, 1, (0, 1)])
def test_jacobians_match_torch(jac, argnums):
    _both(xy, lambda F, x, y: getattr(F, jac)(g, argnums)(x, y))
    _both(xy, lambda F, x, y: getattr(F, jac)(lambda x, y: f(x, y) * x, argnums)(x, y))


def test_jacrev_of_pytree_input_has_aux_and_empty_or_scalar_shapes():
    def h(d):
        return d["p"].sum() * d["q"], d["q"] * 2

    def args(lib, dtype):
        return ({"p": _t(lib, X), "q": _t(lib, Y)},)

    _both(args, lambda F, d: F.jacrev(h, has_aux=True)(d))
    _both(args, lambda F, d: F.jacfwd(h, has_aux=True)(d))
    _both(lambda lib, dt: (_t(lib, np.array(0.7)),), lambda F, x: F.jacrev(lambda x: x.exp())(x))
    j = CF.jacrev(lambda x: x * 2)(cr.zeros(0, 2, dtype=cr.float64))
    assert j.shape == (0, 2, 0, 2) and j.dtype == cr.float64


@pytest.mark.parametrize("argnums", [0, (0, 1)])
def test_hessian_matches_torch(argnums):
    _both(xy, lambda F, x, y: F.hessian(f, argnums)(x, y))


def test_jacobian_arguments_are_checked():
    with pytest.raises(ValueError, match="chunk_size must be a positive int"):
        CF.jacrev(f, chunk_size=0)
    with pytest.raises(ValueError, match="randomness must be"):
        CF.jacfwd(f, randomness="some")
    with pytest.raises(TypeError, match="jacrev: expected the function to return only Tensors"):
        CF.jacrev(lambda x: [x, None])(cr.tensor(X))


# ---------------------------------------------------------------- vmap
@pytest.mark.parametrize(
    "in_dims, out_dims",
    [(0, 0), (1, 0), (-1, 1), ((0, None), 0), ((1, 0), -1), ((None, 0), (1, 0))],
)
def test_vmap_matches_torch(in_dims, out_dims):
    def h(x, y):
        return x.sin() * y.sum(), x * y.exp()[0]

    a, b = rng.uniform(-1, 1, (4, 4, 4)), rng.uniform(-1, 1, (4, 4))
    _both(
        lambda lib, dt: (_t(lib, a), _t(lib, b)), lambda F, x, y: F.vmap(h, in_dims, out_dims)(x, y)
    )


def test_vmap_pytrees_kwargs_nesting_and_float32():
    def h(d, z, scale=1.0):
        return {"a": d["x"] @ d["w"] * scale, "b": [z.sum(), d["x"].max()]}

    x, w, z = rng.uniform(-1, 1, (5, 3)), rng.uniform(-1, 1, (3, 2)), rng.uniform(-1, 1, (2, 5))

    def args(lib, dt):
        return {"x": _t(lib, x, dt), "w": _t(lib, w, dt)}, _t(lib, z, dt)

    in_dims = ({"x": 0, "w": None}, 1)
    _both(args, lambda F, d, z: F.vmap(h, in_dims)(d, z, scale=2.0), "float32")
    _both(args, lambda F, d, z: F.vmap(h, in_dims, out_dims={"a": 1, "b": [0, 0]})(d, z))
    # vmap of vmap: a matrix function applied over a 2-D batch
    _both(
        lambda lib, dt: (_t(lib, X), _t(lib, Y)),
        lambda F, x, y: F.vmap(F.vmap(lambda a, b: a * b + a.exp(), (0, None)), (0, None))(x, y),
    )


def test_vmap_is_differentiable():
    grads = []
    for lib, F in ((cr, CF), (torch, TF)):
        x, w = _t(lib, X, requires_grad=True), _t(lib, Y, requires_grad=True)
        out = F.vmap(lambda r, w=w: (r * w).sin().sum())(x)
        (out * lib.tensor(np.arange(3.0))).sum().backward()
        grads.append((out, x.grad, w.grad))
    _same(*grads)


def test_per_sample_gradients_of_a_linear_model_through_functional_call():
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()
    cm = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.Tanh(), cr.nn.Linear(4, 2)).to(cr.float64)
    for p, q in zip(cm.parameters(), tm.parameters()):
        p.data[...] = q.detach().numpy()
    xb, yb = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    res = []
    for lib, F, m in ((cr, CF, cm), (torch, TF, tm)):
        params = {k: v.detach() for k, v in m.named_parameters()}

        def loss(p, x, y, m=m, F=F):
            out = F.functional_call(m, p, (x[None],))
            return ((out - y) ** 2).mean()

        per_sample = F.vmap(F.grad(loss), in_dims=(None, 0, 0))(
            params, lib.tensor(xb), lib.tensor(yb)
        )
        res.append(per_sample)
    _same(*res)
    assert res[0]["0.weight"].shape == (6, 4, 3)
    # the mean of the per-sample gradients is the batch gradient
    cm.zero_grad()
    ((cm(cr.tensor(xb)) - cr.tensor(yb)) ** 2).mean(1).mean().backward()
    for k, p in cm.named_parameters():
        np.testing.assert_allclose(res[0][k].data.mean(0), p.grad.data, rtol=1e-10)


def test_vmap_randomness():
    with pytest.raises(RuntimeError, match="randomness='error'"):
        CF.vmap(lambda x: x + cr.rand(3))(cr.ones(2, 3))
    same = CF.vmap(lambda x: x + cr.rand(3), randomness="same")(cr.zeros(4, 3))
    assert np.all(same.data == same.data[0])
    diff = CF.vmap(lambda x: x + cr.rand(3), randomness="different")(cr.zeros(4, 3))
    assert not np.all(diff.data == diff.data[0])


def test_vmap_errors_name_the_shapes():
    x, y = cr.ones(3, 2), cr.ones(4)
    with pytest.raises(ValueError, match=r"same size .* got sizes \[3, 4\].*\(3, 2\) at dim 0"):
        CF.vmap(lambda a, b: a.sum() + b)(x, y)
    with pytest.raises(ValueError, match=r"in_dim=2 is out of range .* shape \(3, 2\)"):
        CF.vmap(lambda a: a, in_dims=2)(x)
    with pytest.raises(ValueError, match=r"in_dims \(0, 0\) has 2 entries but 1 positional"):
        CF.vmap(lambda a: a, in_dims=(0, 0))(x)
    with pytest.raises(ValueError, match="in_dims must be an int, None or a tuple"):
        CF.vmap(lambda a: a, in_dims=[0])
    with pytest.raises(ValueError, match="at least one input must be mapped"):
        CF.vmap(lambda a: a, in_dims=None)(x)
    with pytest.raises(TypeError, match="in_dim=0 for an input of type float"):
        CF.vmap(lambda a, s: a * s)(x, 2.0)
    with pytest.raises(ValueError, match=r"does not match the structure \{'a': \*\}"):
        CF.vmap(lambda d: d["a"], in_dims=({"b": 0},))({"a": x})
    with pytest.raises(ValueError, match=r"out_dim=3 is out of range .* shape \(2,\)"):
        CF.vmap(lambda a: a, out_dims=3)(x)
    with pytest.raises(TypeError, match="vmap: expected the function to return only Tensors"):
        CF.vmap(lambda a: 1.0)(x)
    with pytest.raises(ValueError, match="size 0"):
        CF.vmap(lambda a: a)(cr.ones(0, 2))
    with pytest.raises(ValueError, match="randomness must be"):
        CF.vmap(lambda a: a, randomness="sometimes")


# ---------------------------------------------------------------- functional_call
class Scaled(cr.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = cr.nn.Linear(2, 2)
        self.register_buffer("scale", cr.tensor([1.0, 2.0]))

    def forward(self, x, shift=0.0):
        return self.lin(x) * self.scale + shift


def test_functional_call_swaps_and_restores_parameters_and_buffers():
    m = Scaled()
    W, s = cr.tensor([[1.0, 0.0], [0.0, 3.0]]), cr.tensor([5.0, 7.0])
    before = {k: v for k, v in m.state_dict(keep_vars=True).items()}
    x = cr.tensor([[1.0, 2.0]])
    out = CF.functional_call(m, ({"lin.weight": W}, {"scale": s}), x, {"shift": 1.0})
    expected = (x.data @ W.data.T + m.lin.bias.data) * s.data + 1.0
    np.testing.assert_allclose(out.data, expected, rtol=1e-6)
    after = m.state_dict(keep_vars=True)
    assert all(after[k] is before[k] for k in before)
    assert m.lin.weight is before["lin.weight"] and m.scale is before["scale"]
    assert isinstance(m.lin.weight, cr.nn.Parameter)

    def boom(x):
        raise KeyError("inside")

    m.forward = boom
    with pytest.raises(KeyError):
        CF.functional_call(m, {"lin.weight": W}, (x,))
    del m.forward
    assert m.lin.weight is before["lin.weight"]


def test_functional_call_gradients_flow_to_the_given_tensors_like_torch():
    torch.manual_seed(1)
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1)).double()
    cm = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.ReLU(), cr.nn.Linear(4, 1)).to(cr.float64)
    x = rng.standard_normal((5, 3))
    cm(cr.tensor(x))  # Sequential builds (and keeps) its fused plan of the layers' own tensors
    res = []
    for lib, F, m in ((cr, CF, cm), (torch, TF, tm)):
        params = {
            k: lib.tensor(v.detach().numpy() * 1.5, requires_grad=True)
            for k, v in tm.named_parameters()
        }
        out = F.functional_call(m, params, (lib.tensor(x),))
        out.sum().backward()
        res.append((out, {k: v.grad for k, v in params.items()}))
        assert all(p.grad is None for p in m.parameters())
    _same(*res)
    np.testing.assert_allclose(cm(cr.tensor(x)).data, cm[2](cm[1](cm[0](cr.tensor(x)))).data)


def test_functional_call_strict_tied_and_bad_dicts():
    m = Scaled()
    W = cr.ones(2, 2)
    with pytest.raises(
        ValueError,
        match=r"Unexpected key\(s\): 'lin.w'.\n\tMissing key\(s\): 'lin.bias', 'lin.weight', "
        "'scale'",
    ):
        CF.functional_call(m, {"lin.w": W}, cr.ones(1, 2), strict=True)
    with pytest.raises(ValueError, match=r"\['scale'\] appeared in multiple dictionaries"):
        CF.functional_call(m, ({"scale": W}, {"scale": W}), cr.ones(1, 2))
    with pytest.raises(TypeError, match="dict or a tuple of dicts, got list"):
        CF.functional_call(m, [W], cr.ones(1, 2))

    class Tied(cr.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = cr.nn.Linear(2, 2, bias=False)
            self.b = cr.nn.Linear(2, 2, bias=False)
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.a(x) + self.b(x)

    t = Tied()
    x = cr.ones(1, 2)
    own = t.b.weight.data @ np.ones(2)
    np.testing.assert_allclose(CF.functional_call(t, {"a.weight": W}, x).data[0], [4.0, 4.0])
    out = CF.functional_call(t, {"a.weight": W}, x, tie_weights=False)
    np.testing.assert_allclose(out.data[0], 2.0 + own, rtol=1e-6)
    with pytest.raises(ValueError, match=r"multiple values for keys \['a.weight', 'b.weight'\]"):
        CF.functional_call(t, {"a.weight": W, "b.weight": cr.zeros(2, 2)}, x)
    assert t.b.weight is t.a.weight


def test_vmap_out_dims_none_and_unmapped_outputs_like_torch():
    def h(x, c):
        return x * 2, c * 3

    _both(
        lambda lib, dt: (_t(lib, X), _t(lib, Y)),
        lambda F, x, c: F.vmap(h, in_dims=(0, None), out_dims=(1, None))(x, c),
    )


def test_jacobian_of_an_unused_input_is_zeros_and_float32_hessian():
    _both(xy, lambda F, x, y: F.jacrev(lambda x, y: y * 2, argnums=(0, 1))(x, y))
    _both(xy, lambda F, x, y: F.hessian(f, argnums=1)(x, y), "float32")
