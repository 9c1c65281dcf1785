"""Tensor attributes, conversions, dtype promotion, in-place ops and bad-input errors."""

import numpy as np
import pytest
import torch

import chainrule as cr

DATA = [[1.0, -2.0, 3.0], [4.0, 5.5, -6.0]]


def _dt(t):
    return str(t.dtype).replace("torch.", "")


# ------------------------------------------------------------------ attributes
def test_attributes_match_torch():
    x, xt = cr.tensor(DATA), torch.tensor(DATA)
    assert isinstance(x.data, np.ndarray)
    assert x.shape == tuple(xt.shape) == x.size()
    assert x.ndim == xt.ndim and x.numel() == xt.numel() and len(x) == len(xt)
    assert x.size(1) == xt.size(1) and x.size(-1) == xt.size(-1)
    assert _dt(x) == _dt(xt)
    assert x.T.shape == tuple(xt.T.shape)
    np.testing.assert_array_equal(x.T.data, xt.T.numpy())
    assert x.tolist() == xt.tolist()
    assert cr.tensor([[2.5]]).item() == torch.tensor([[2.5]]).item() == 2.5
    assert isinstance(cr.tensor(3).item(), int)
    np.testing.assert_array_equal(x.numpy(), xt.numpy())


def test_numpy_shares_memory_and_refuses_requires_grad():
    x = cr.tensor([1.0, 2.0])
    x.numpy()[0] = 7.0
    assert x.tolist() == [7.0, 2.0]
    w = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        w.numpy()
    assert w.detach().numpy().tolist() == [1.0]


def test_item_and_len_errors():
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        cr.tensor(DATA).item()
    with pytest.raises(TypeError, match="0-d"):
        len(cr.tensor(1.0))


def test_leaf_and_grad_fn():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    c = cr.tensor([1.0, 2.0])
    y = x * 2
    assert x.is_leaf and c.is_leaf and not y.is_leaf
    assert y.requires_grad and y.grad_fn is not None and x.grad_fn is None
    assert not (c * 2).requires_grad and (c * 2).is_leaf
    with cr.no_grad():
        z = x * 2
    assert z.is_leaf and not z.requires_grad and z.grad_fn is None


def test_detach_shares_data_and_leaves_graph():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    d.data[0] = 100.0
    assert y.data[0] == 100.0  # same memory, as in torch


def test_requires_grad_():
    x = cr.tensor([1.0])
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    x.requires_grad = True
    assert x.requires_grad


@pytest.mark.parametrize("dtype", [cr.int64, cr.int32, cr.bool])
def test_requires_grad_on_non_float_names_dtype(dtype):
    with pytest.raises(TypeError, match=str(dtype)):
        cr.tensor([1, 0], dtype=dtype, requires_grad=True)
    with pytest.raises(TypeError, match=str(dtype)):
        cr.tensor([1, 0], dtype=dtype).requires_grad_()


def test_clone_is_a_copy_in_the_graph():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    c.data[0] = 9.0
    assert x.tolist() == [1.0, 2.0]
    (c * cr.tensor([3.0, 4.0])).sum().backward()
    assert x.grad.tolist() == [3.0, 4.0]


def test_repr_like_torch():
    assert repr(cr.tensor([1.0, 2.0])) == repr(torch.tensor([1.0, 2.0]))
    assert repr(cr.tensor([1, 2])) == repr(torch.tensor([1, 2]))
    assert repr(cr.zeros(0)) == repr(torch.zeros(0))
    assert repr(cr.tensor([1.0, 2.0], requires_grad=True)) == repr(
        torch.tensor([1.0, 2.0], requires_grad=True)
    )
    assert "dtype=float64" in repr(cr.tensor([1.0], dtype=cr.float64))
    assert "grad_fn=" in repr(cr.tensor([1.0], requires_grad=True) * 2)
    assert repr(cr.tensor(2.0)) == "tensor(2.)"


# ------------------------------------------------------------------ dtype promotion
PROMOTIONS = [
    ("int64", "int32"),
    ("int32", "int32"),
    ("float32", "float64"),
    ("float32", "float32"),
    ("bool", "int64"),
    ("int32", "float64"),
]


@pytest.mark.parametrize("a, b", PROMOTIONS)
@pytest.mark.parametrize("op", ["__add__", "__mul__", "__sub__"])
def test_tensor_tensor_promotion_follows_numpy(a, b, op):
    x = cr.tensor([1, 0, 1], dtype=getattr(cr, a))
    y = cr.tensor([1, 1, 0], dtype=getattr(cr, b))
    ref = getattr(np.array([1, 0, 1], dtype=a), op)(np.array([1, 1, 0], dtype=b))
    out = getattr(x, op)(y)
    assert out.dtype == ref.dtype
    np.testing.assert_array_equal(out.data, ref)


@pytest.mark.parametrize("dtype", ["int32", "int64", "float32", "float64"])
@pytest.mark.parametrize("scalar", [2, 2.5])
def test_python_scalar_with_tensor_like_torch(dtype, scalar):
    x, xt = (
        cr.tensor([1, 2], dtype=getattr(cr, dtype)),
        torch.tensor([1, 2], dtype=getattr(torch, dtype)),
    )
    for f in (
        lambda t: t * scalar,
        lambda t: scalar + t,
        lambda t: t - scalar,
        lambda t: t / scalar,
    ):
        out, ref = f(x), f(xt)
        assert _dt(out) == _dt(ref), (dtype, scalar)
        np.testing.assert_allclose(out.data, ref.numpy(), rtol=1e-6)


def test_int_division_is_true_division_float32():
    out = cr.tensor([1, 3]) / cr.tensor([2, 2])
    assert out.dtype == np.float32 and out.tolist() == [0.5, 1.5]


# ------------------------------------------------------------------ in-place ops without grad
def test_inplace_ops_values_and_identity():
    x = cr.tensor([1.0, 2.0, 3.0])
    xt = torch.tensor([1.0, 2.0, 3.0])
    for f in (
        lambda t: t.add_(2),
        lambda t: t.sub_(0.5),
        lambda t: t.mul_(3),
        lambda t: t.div_(2),
        lambda t: t.add_(torch.ones(3) if isinstance(t, torch.Tensor) else cr.ones(3), alpha=2),
    ):
        assert f(x) is x
        f(xt)
        np.testing.assert_allclose(x.data, xt.numpy())
    y = x
    x += 1
    x *= 2
    x -= 3
    x /= 4
    assert x is y
    xt += 1
    xt *= 2
    xt -= 3
    xt /= 4
    np.testing.assert_allclose(x.data, xt.numpy())
    assert x.zero_() is x and x.tolist() == [0.0, 0.0, 0.0]
    assert x.fill_(1.5).tolist() == [1.5] * 3
    assert x.copy_(cr.tensor([4.0, 5.0, 6.0])).tolist() == [4.0, 5.0, 6.0]
    x[1:] = 0.0
    assert x.tolist() == [4.0, 0.0, 0.0]


def test_inplace_bumps_version():
    x = cr.tensor([1.0, 2.0])
    v = x._version[0]
    x.add_(1)
    x[0] = 3.0
    assert x._version[0] == v + 2


def test_inplace_broadcast_error_names_shapes():
    x = cr.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        x.add_(cr.ones(3))


# ------------------------------------------------------------------ bad inputs
@pytest.mark.parametrize("dim", [5, -4, 2])
def test_size_out_of_range_names_dim_and_range(dim):
    x = cr.tensor(DATA)
    with pytest.raises(IndexError, match=rf"size: dim {dim} .*-2\.\.1"):
        x.size(dim)


def test_reduction_dim_out_of_range():
    with pytest.raises(IndexError, match=r"sum: dim 3 .*-2\.\.1"):
        cr.tensor(DATA).sum(dim=3)


def test_inplace_on_leaf_requiring_grad():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    for f in (
        lambda: x.add_(1),
        lambda: x.mul_(2),
        lambda: x.zero_(),
        lambda: x.__setitem__(0, 1.0),
    ):
        with pytest.raises(RuntimeError, match="leaf"):
            f()
    assert x.tolist() == [1.0, 2.0]
    with cr.no_grad():
        x.add_(1)
        x[0] = 10.0
        x.mul_(2)
    assert x.tolist() == [20.0, 6.0] and x.requires_grad and x.is_leaf


# ---------------------------------------------------------------- devices
def test_to_cuda_and_back_keeps_values_and_reports_the_device(gpu):
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = cr.tensor(a)
    g = t.to("cuda")
    assert g.device == cr.device("cuda", 0) and g.is_cuda and not t.is_cuda
    assert g.to("cuda:0") is g and g.cuda() is g and t.cpu() is t
    assert "device='cuda:0'" in repr(g) and "device" not in repr(t)
    back = g.cpu()
    assert back.device == cr.device("cpu")
    np.testing.assert_array_equal(back.numpy(), a)
    host = g.numpy()  # a copy on the host
    assert type(host) is np.ndarray
    np.testing.assert_array_equal(np.asarray(g), a)
    assert g.tolist() == a.tolist() and g[1, 2].item() == 5.0


def test_to_takes_device_and_dtype_together_or_from_another_tensor(gpu):
    t = cr.tensor([1.5, 2.5])
    g = t.to("cuda", cr.float64)
    assert (g.device.type, g.dtype) == ("cuda", cr.float64)
    h = cr.tensor([1, 2]).to(g)
    assert (h.device.type, h.dtype) == ("cuda", cr.float64)
    k = t.to(device="cuda", dtype=cr.float16)
    assert (k.device.type, k.dtype) == ("cuda", cr.float16)


def test_gradients_flow_back_across_devices(gpu):
    """y = Σ (2 x)³ with x on the CPU and the math on the GPU: ∂y/∂x = 24 x², ∂²/∂x² = 48 x."""
    x = cr.tensor([0.5, -1.0, 2.0], dtype=cr.float64, requires_grad=True)
    y = ((x.to("cuda") * 2) ** 3).sum()
    assert y.device.type == "cuda"
    (g,) = cr.grad(y, [x], create_graph=True)
    assert g.device.type == "cpu"
    np.testing.assert_allclose(g.detach().numpy(), 24 * x.detach().numpy() ** 2)
    (gg,) = cr.grad(g.sum(), [x])
    np.testing.assert_allclose(gg.numpy(), 48 * x.detach().numpy())
    z = x.cuda()
    z.sum().backward()
    assert x.grad.device.type == "cpu"


@pytest.mark.parametrize(
    "op",
    [
        lambda a, b: a + b,
        lambda a, b: a @ b.T,
        lambda a, b: cr.cat([a, b]),
        lambda a, b: cr.where(a > 0, a, b),
    ],
    ids=["add", "matmul", "cat", "where"],
)
def test_ops_mixing_devices_name_both(gpu, op):
    a = cr.ones(2, 3, device="cuda")
    b = cr.ones(2, 3)
    with pytest.raises(
        RuntimeError, match=r"same device, but found (cuda:0 and cpu|cpu and cuda:0)"
    ):
        op(a, b)


def test_module_to_cuda_moves_parameters_in_place(gpu):
    cr.manual_seed(0)
    m = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.BatchNorm1d(4), cr.nn.Linear(4, 2))
    params = list(m.parameters())
    before = [p.detach().numpy().copy() for p in params]
    opt = cr.optim.SGD(m.parameters(), lr=0.1)
    assert m.cuda() is m
    assert [id(p) for p in m.parameters()] == [id(p) for p in params]  # same objects
    assert all(p.device.type == "cuda" for p in m.parameters())
    assert all(b.device.type == "cuda" for b in m.buffers())
    x = cr.randn(5, 3).cuda()
    (m(x) ** 2).sum().backward()  # (a plain sum gives the layer before BatchNorm no gradient)
    opt.step()
    m.cpu()
    assert all(p.device.type == "cpu" and p.grad.device.type == "cpu" for p in m.parameters())
    assert not np.array_equal(params[0].detach().numpy(), before[0])


def test_without_a_gpu_moving_to_cuda_says_how_to_install(monkeypatch):
    from chainrule import backend

    monkeypatch.setattr(backend, "cupy", None)
    t = cr.ones(2)
    for move in (lambda: t.to("cuda"), t.cuda, lambda: cr.nn.Linear(2, 2).cuda()):
        with pytest.raises(RuntimeError, match=r"pip install chainrule\[gpu\]"):
            move()
    assert t.to("cpu") is t


def test_comparison_and_test_methods_match_torch():
    a = np.array([[1.0, np.nan, 3.0], [-np.inf, 2.0, 2.0]])
    b = np.array([2.0, 2.0, 3.0])
    for name in ("eq", "ne", "lt", "le", "gt", "ge"):
        ours = getattr(cr.tensor(a), name)(cr.tensor(b))
        ref = getattr(torch.tensor(a), name)(torch.tensor(b))
        assert ours.dtype == cr.bool
        np.testing.assert_array_equal(ours.numpy(), ref.numpy(), err_msg=name)
    for name in ("isnan", "isinf", "isfinite", "logical_not"):
        np.testing.assert_array_equal(
            getattr(cr.tensor(a), name)().numpy(), getattr(torch.tensor(a), name)().numpy()
        )
    p, q = a > 1, a < 3
    for name in ("logical_and", "logical_or", "logical_xor"):
        np.testing.assert_array_equal(
            getattr(cr.tensor(p), name)(cr.tensor(q)).numpy(),
            getattr(torch.tensor(p), name)(torch.tensor(q)).numpy(),
        )
    assert cr.tensor(b).equal(cr.tensor(b.copy())) and not cr.tensor(b).equal(cr.tensor(a))
    assert cr.tensor(b).allclose(cr.tensor(b + 1e-9)) and not cr.tensor(b).allclose(
        cr.tensor(b + 1)
    )


def test_new_tensor_constructors_take_this_tensors_dtype_like_torch():
    x, t = cr.zeros(2, dtype=cr.float64), torch.zeros(2, dtype=torch.float64)
    pairs = [
        (x.new_zeros(2, 3), t.new_zeros(2, 3)),
        (x.new_ones((3,)), t.new_ones((3,))),
        (x.new_full((2,), 7), t.new_full((2,), 7)),
        (x.new_zeros(2, dtype=cr.int64), t.new_zeros(2, dtype=torch.int64)),
        (x.new_tensor([1, 2]), t.new_tensor([1, 2])),
        (cr.tensor([1, 2]).type_as(x), torch.tensor([1, 2]).type_as(t)),
    ]
    for ours, ref in pairs:
        assert str(ours.dtype) == str(ref.dtype).replace("torch.", "")
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    assert x.nelement() == 2 and x.is_contiguous()


def test_selection_methods_match_torch():
    a = np.array([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    idx = np.array([[0, 0], [2, 1]])
    x, t = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    outs = [
        (x.gather(1, cr.tensor(idx)), t.gather(1, torch.tensor(idx))),
        (x.index_select(1, cr.tensor([2, 0])), t.index_select(1, torch.tensor([2, 0]))),
        (x.take_along_dim(cr.tensor(idx), 1), t.take_along_dim(torch.tensor(idx), 1)),
        (x.sort(1, descending=True).values, t.sort(1, descending=True).values),
        (x.topk(2).values, t.topk(2).values),
        (x.topk(1, dim=0, largest=False).values, t.topk(1, dim=0, largest=False).values),
    ]
    for k, (ours, ref) in enumerate(outs):
        np.testing.assert_array_equal(ours.detach().numpy(), ref.detach().numpy(), err_msg=str(k))
        w = np.arange(1.0, ours.numel() + 1).reshape(ours.shape)
        (ours * cr.tensor(w)).sum().backward()
        (ref * torch.tensor(w)).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy(), err_msg=str(k))
    for ours, ref in [
        (x.sort(1).indices, t.sort(1).indices),
        (x.argsort(0, descending=True), t.argsort(0, descending=True)),
        (x.topk(2).indices, t.topk(2).indices),
    ]:
        assert ours.dtype == cr.int64
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    assert cr.sort is not None and cr.gather(x, 1, cr.tensor(idx)).shape == (2, 2)


def test_scatter_and_running_op_methods_match_torch():
    a = np.array([[3.0, 0.0, 2.0], [1.0, 5.0, 4.0]])
    idx = np.array([[2, 0, 1], [0, 1, 2]])
    x, t = cr.tensor(a), torch.tensor(a)
    src, tsrc = cr.tensor(a * 10), torch.tensor(a * 10)
    pairs = [
        (x.scatter(1, cr.tensor(idx), src), t.scatter(1, torch.tensor(idx), tsrc)),
        (x.scatter(1, cr.tensor(idx), value=-1.0), t.scatter(1, torch.tensor(idx), value=-1.0)),
        (x.scatter_add(0, cr.tensor(idx % 2), src), t.scatter_add(0, torch.tensor(idx % 2), tsrc)),
        (x.masked_select(x > 1), t.masked_select(t > 1)),
        (x.nonzero(), t.nonzero()),
        (x.argwhere(), t.argwhere()),
        (x.count_nonzero(1), t.count_nonzero(1)),
        (x.cumprod(1), t.cumprod(1)),
        (x.cumsum(0), t.cumsum(0)),
        (x.diff(dim=1), t.diff(dim=1)),
        (x.median(), t.median()),
        (x.median(1).values, t.median(1).values),
        (x.median(1).indices, t.median(1).indices),
    ]
    for k, (ours, ref) in enumerate(pairs):
        assert str(ours.dtype) == str(ref.dtype).replace("torch.", ""), k
        np.testing.assert_array_equal(ours.numpy(), ref.numpy(), err_msg=str(k))
    rows, cols = x.nonzero(as_tuple=True)
    np.testing.assert_array_equal(rows.numpy(), [0, 0, 1, 1, 1])
    np.testing.assert_array_equal(cols.numpy(), [0, 2, 0, 1, 2])


# ---------------------------------------------------------------- in-place variants
def _t(a):
    return lambda: (cr.tensor(a), torch.tensor(a))


_OTHER = np.random.default_rng(9).uniform(0.2, 0.8, (3, 4)).astype(np.float32)
_UNARY = """abs acos arccos asin arcsin atan arctan ceil cos cosh exp expm1 floor frac log log10
    log1p log2 neg reciprocal relu round rsqrt sigmoid sign sin sinh sqrt square tan tanh trunc
    nan_to_num""".split()
INPLACE_CASES = [(n, ()) for n in _UNARY] + [
    ("pow", (2.0,)),
    ("pow", (_t(_OTHER),)),
    ("fmod", (0.3,)),
    ("remainder", (0.3,)),
    ("atan2", (_t(_OTHER),)),
    ("arctan2", (_t(_OTHER),)),
    ("lerp", (_t(_OTHER), 0.3)),
    ("clip", (0.3, 0.6)),
    ("tril", (1,)),
    ("triu", (-1,)),
    ("cumsum", (1,)),
    ("cumprod", (0,)),
    ("index_add", (0, _t(np.array([0, 2, 0])), _t(_OTHER))),
    ("index_copy", (1, _t(np.array([3, 0])), _t(_OTHER[:, :2].copy()))),
    ("index_fill", (1, _t(np.array([1, 2])), 0.5)),
    ("index_put", (lambda: ((cr.tensor([0, 2]),), (torch.tensor([0, 2]),)), _t(_OTHER[:2]))),
    ("put", (_t(np.array([0, 5, 11])), _t(_OTHER[0, :3].copy()))),
    ("masked_scatter", (_t(_OTHER > 0.5), _t(_OTHER))),
    ("scatter_reduce", (0, _t(np.array([[2, 0, 1, 2]])), _t(_OTHER[:1]), "amax")),
]
NO_GRAD_CASES = [
    ("floor_divide", (0.3,)),
    ("eq", (_t(_OTHER),)),
    ("ne", (0.5,)),
    ("lt", (0.5,)),
    ("le", (0.5,)),
    ("gt", (_t(_OTHER),)),
    ("ge", (0.5,)),
    ("logical_not", ()),
    ("logical_and", (_t(_OTHER > 0.5),)),
    ("logical_or", (_t(_OTHER > 0.5),)),
    ("logical_xor", (_t(_OTHER > 0.5),)),
]


def _both(args):
    ours, theirs = [], []
    for a in args:
        a = a() if callable(a) else (a, a)
        ours.append(a[0])
        theirs.append(a[1])
    return ours, theirs


@pytest.mark.parametrize("name,args", INPLACE_CASES + NO_GRAD_CASES, ids=lambda v: str(v)[:20])
def test_inplace_variants_match_torch_values_and_gradients(name, args):
    """x.name_(...) overwrites x with x.name(...): same values as torch's, the tensor itself
    returned, its version bumped, and (for the differentiable ones) the gradient through the
    in-place op equal to torch's."""
    a = np.random.default_rng(3).uniform(0.1, 0.9, (3, 4)).astype(np.float32)
    grad = (name, args) in INPLACE_CASES
    xs, xt = cr.tensor(a, requires_grad=grad), torch.tensor(a, requires_grad=grad)
    ys, yt = xs * 1.0, xt * 1.0
    version = ys._version[0]
    ours, theirs = _both(args)
    assert getattr(ys, name + "_")(*ours) is ys
    getattr(yt, name + "_")(*theirs)
    assert ys.dtype == cr.float32 and ys._version[0] == version + 1
    np.testing.assert_allclose(ys.data, yt.detach().numpy(), rtol=1e-6, atol=1e-6)
    if grad:
        w = np.linspace(-1, 2, 12, dtype=np.float32).reshape(3, 4)
        (ys * cr.tensor(w)).sum().backward()
        (yt * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(xs.grad.data, xt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_inplace_variant_of_a_leaf_requiring_grad_refuses_and_casts_like_torch():
    x = cr.tensor([0.5, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="exp_: a leaf tensor that requires grad"):
        x.exp_()
    with cr.no_grad():
        x.exp_()
    np.testing.assert_allclose(x.data, np.exp([0.5, 2.0]).astype(np.float32))
    i = cr.tensor([1, 2])
    with pytest.raises(TypeError):
        i.sqrt_()  # a float result can't be written into int64 (torch refuses too)
    assert i.masked_fill_(cr.tensor([True, False]), 2.5).tolist() == [2, 2]  # as torch


def test_masked_fill_scatter_and_fill_diagonal_in_place_match_torch():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    mask = a % 3 == 0
    index = np.array([[2, 0, 1, 2]])
    src = -np.ones((1, 4), np.float32)
    for lib, T in ((cr, cr.tensor), (torch, torch.tensor)):
        x = T(a, requires_grad=True)
        y = x * 2
        y.masked_fill_(T(mask), 0.5).scatter_(0, T(index), T(src)).scatter_add_(0, T(index), T(src))
        y.fill_diagonal_(7.0)
        (y * y).sum().backward()
        if lib is cr:
            ours = (y.data.copy(), x.grad.data.copy())
        else:
            theirs = (y.detach().numpy(), x.grad.numpy())
    np.testing.assert_array_equal(ours[0], theirs[0])
    np.testing.assert_array_equal(ours[1], theirs[1])
    for shape, wrap in (((7, 3), False), ((7, 3), True), ((3, 5), True), ((2, 2, 2), False)):
        np.testing.assert_array_equal(
            cr.zeros(*shape).fill_diagonal_(5.0, wrap).data,
            torch.zeros(*shape).fill_diagonal_(5.0, wrap).numpy(),
        )
    with pytest.raises(ValueError, match=r"all dimensions must be equal, got \(2, 3, 2\)"):
        cr.zeros(2, 3, 2).fill_diagonal_(1.0)


# ---------------------------------------------------------------- attributes and small methods
def test_attribute_methods_answer_as_torchs_do():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    x, t = cr.tensor(a), torch.tensor(a)
    for name in ("itemsize", "nbytes", "is_cpu", "real"):
        ours, theirs = getattr(x, name), getattr(t, name)
        if isinstance(theirs, torch.Tensor):
            np.testing.assert_array_equal(ours.data, theirs.numpy())
        else:
            assert ours == theirs, name
    for name in ("ndimension", "get_device", "is_floating_point", "is_complex", "is_signed"):
        assert getattr(x, name)() == getattr(t, name)(), name
    assert x.stride() == t.stride() and x.stride(-2) == t.stride(-2)
    assert cr.tensor([3], dtype=cr.uint8).is_signed() is False
    assert cr.tensor([0.0]).is_nonzero() is False and cr.tensor([[2]]).is_nonzero() is True
    with pytest.raises(RuntimeError, match="a tensor with 2 values is ambiguous"):
        cr.tensor([1.0, 2.0]).is_nonzero()
    assert x.is_same_size(t) and not x.is_same_size(cr.ones(2, 3))
    for name, dtype in (("byte", cr.uint8), ("char", cr.int8), ("short", cr.int16)):
        assert getattr(x, name)().dtype == dtype
        assert str(getattr(t, name)().dtype) == f"torch.{dtype}"
    np.testing.assert_array_equal(x.mH.data, t.mH.numpy())
    np.testing.assert_array_equal(x[0].H.data, t[0].H.numpy())
    np.testing.assert_array_equal(x.adjoint().data, t.adjoint().numpy())
    assert x.conj() is x and x.positive() is x and not x.is_conj()


def test_sum_to_size_split_with_sizes_narrow_copy_and_new_empty_match_torch():
    a = np.random.default_rng(0).standard_normal((3, 2, 4)).astype(np.float32)
    x, t = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    for size in ((1, 4), (2, 1), (3, 1, 4), (1, 1, 1), (3, 2, 4)):
        y, u = x.sum_to_size(*size), t.sum_to_size(*size)
        assert y.shape == tuple(u.shape)
        np.testing.assert_allclose(y.data, u.detach().numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"size \(3, 4\) is not expandable to \(3, 2, 4\)"):
        x.sum_to_size(3, 4)
    for y, u in zip(x.split_with_sizes([1, 2]), t.split_with_sizes([1, 2])):
        np.testing.assert_array_equal(y.data, u.detach().numpy())
    c = x.narrow_copy(2, 1, 2)
    np.testing.assert_array_equal(c.data, t.narrow_copy(2, 1, 2).detach().numpy())
    assert not np.shares_memory(c.data, x.data)
    e = x.new_empty(2, 5)
    assert e.shape == (2, 5) and e.dtype == cr.float32 and not e.requires_grad


@pytest.mark.parametrize(
    "args", [(2, 2, 1), (1, 2, 1), (0, 1, 1), (-1, 3, 2), (2, 4, 4), (2, 0, 1)]
)
def test_unfold_windows_and_their_gradient_match_torch(args):
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    x, t = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, u = x.unfold(*args), t.unfold(*args)
    assert y.shape == tuple(u.shape)
    np.testing.assert_array_equal(y.data, u.detach().numpy())
    w = np.random.default_rng(0).standard_normal(y.shape).astype(np.float32)
    (y * cr.tensor(w)).sum().backward()
    (u * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_unfold_errors_name_the_sizes():
    with pytest.raises(ValueError, match="size 5 doesn't fit dimension 1 of size 4"):
        cr.ones(2, 4).unfold(1, 5, 1)
    with pytest.raises(ValueError, match="step must be positive, got 0"):
        cr.ones(2, 4).unfold(1, 2, 0)


# ------------------------------------------------------------------ in-place view ops
@pytest.mark.parametrize(
    "ops",
    [
        [("squeeze_", (1,))],
        [("squeeze_", ())],
        [("unsqueeze_", (0,)), ("unsqueeze_", (-1,))],
        [("squeeze_", (1,)), ("t_", ())],
        [("transpose_", (0, 2))],
        [("swapaxes_", (0, 1))],
        [("swapdims_", (2, 1))],
    ],
)
def test_view_in_place_ops_match_torch(ops):
    a = np.arange(1.0, 7.0).reshape(2, 1, 3)
    results = []
    for lib in (cr, torch):
        x = lib.tensor(a, requires_grad=True)
        y = x * 2
        for name, args in ops:
            assert getattr(y, name)(*args) is y
        y.mul_(3.0)  # an in-place op after the view op, as torch allows
        w = lib.arange(float(y.numel()), dtype=y.dtype).reshape(y.shape)
        (y * w).sum().backward()
        results.append((tuple(y.shape), y.detach().numpy(), x.grad.numpy()))
    (s, v, g), (st, vt, gt) = results
    assert s == st
    np.testing.assert_allclose(v, vt)
    np.testing.assert_allclose(g, gt)


def test_view_in_place_shares_memory_and_refuses_grad_leaves():
    x = cr.zeros(2, 3)
    x.t_()
    x[0, 1] = 5.0  # row 0 of the transposed tensor is column 0 of the original memory
    assert x.shape == (3, 2) and x.tolist()[0] == [0.0, 5.0]
    leaf = cr.zeros(2, 1, requires_grad=True)
    with pytest.raises(RuntimeError, match="squeeze_: a leaf tensor that requires grad"):
        leaf.squeeze_()
    with cr.no_grad():
        leaf.squeeze_()
    assert leaf.shape == (2,)


@pytest.mark.parametrize("start,size", [((2, 3), (3, 3)), ((2, 3), (3, 2)), ((4,), (2,))])
def test_resize_keeps_leading_values_as_torch(start, size):
    a = np.arange(1.0, 1.0 + np.prod(start)).reshape(start)
    x, xt = cr.tensor(a), torch.tensor(a)
    x.resize_(*size)
    xt.resize_(*size)
    kept = min(np.prod(start), np.prod(size))
    assert x.shape == tuple(xt.shape)
    np.testing.assert_array_equal(x.numpy().ravel()[:kept], xt.numpy().ravel()[:kept])
    y = cr.zeros(5)
    assert y.resize_as_(x).shape == x.shape


def test_resize_errors():
    with pytest.raises(RuntimeError, match=r"resize_: can't resize a tensor that requires grad"):
        cr.zeros(3, requires_grad=True).resize_(4)
    with pytest.raises(ValueError, match=r"resize_: sizes must be non-negative"):
        cr.zeros(3).resize_(-1, 2)


def test_storage_offset_and_data_ptr_match_torch():
    a = np.arange(24.0).reshape(4, 6)
    x, xt = cr.tensor(a), torch.tensor(a)
    for key in [(slice(None),), (2,), (slice(1, 3), slice(2, None)), (slice(None), 4)]:
        assert x[key].storage_offset() == xt[key].storage_offset()
        step = x.element_size()
        assert x[key].data_ptr() - x.data_ptr() == x[key].storage_offset() * step


def test_mT_needs_a_matrix_as_torch():
    with pytest.raises(ValueError, match=r"mT: expects a matrix .* got shape \(3,\)"):
        _ = cr.zeros(3).mT
    with pytest.raises(RuntimeError):
        _ = torch.zeros(3).mT


def test_fix_and_erf_in_place_match_torch():
    a = np.array([1.7, -1.7, 0.5, -0.2])
    np.testing.assert_array_equal(cr.tensor(a).fix().numpy(), torch.tensor(a).fix().numpy())
    x, xt = cr.tensor(a), torch.tensor(a)
    x.erf_()
    xt.erf_()
    np.testing.assert_allclose(x.numpy(), xt.numpy(), rtol=1e-12)
