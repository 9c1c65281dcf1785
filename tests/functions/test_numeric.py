"""i0, igamma/igammac, mvlgamma, frexp, nextafter, unravel_index and the constructors range,
scalar_tensor, asarray and frombuffer, against torch (and scipy / mpmath where torch itself
is approximate)."""

import math
import warnings

import mpmath
import numpy as np
import pytest
import scipy.special
import torch
from helpers import check_against_torch, check_gradcheck, on_device, same_values

import chainrule as cr
from chainrule import backend
from chainrule.functions import numeric as N

DTYPES = ["float64", "float32"]


# ---------------------------------------------------------------- i0
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (7,), (2, 3), (0, 2)])
def test_i0_matches_torch(dtype, shape):
    check_against_torch(N.i0, shape, torch_fn=torch.i0, dtype=dtype, low=-30, high=30)


def test_i0_is_exact_across_the_series_and_asymptotic_ranges():
    x = np.concatenate([np.linspace(-40, 40, 161), [19.999, 20.0, 20.001, 100.0, 710.0, -712]])
    ours = N.i0(on_device(x)).numpy()
    ref = [float(mpmath.besseli(0, v)) for v in x]
    np.testing.assert_allclose(ours, ref, rtol=3e-15)
    x1 = cr.tensor(x, requires_grad=True)
    (g,) = cr.grad(N.i0(x1).sum(), [x1])
    ref = [float(mpmath.besseli(1, v)) for v in x]
    np.testing.assert_allclose(g.numpy(), ref, rtol=3e-15, atol=1e-300)
    x = np.random.default_rng(0).uniform(-60, 60, 500)
    np.testing.assert_allclose(N.i0(on_device(x)).numpy(), scipy.special.i0(x), rtol=1e-14)


def test_i0_special_values_and_dtypes():
    x = np.array([0.0, -0.0, np.nan, 1.0, -5.0, 9.5])
    for dtype in ("float64", "float32", "float16"):
        same_values(N.i0, torch.i0, x.astype(dtype))
    big = np.array([30.0, -60.0, 85.0])
    same_values(N.i0, torch.i0, big.astype("float32"))
    same_values(N.i0, torch.i0, np.append(big, 700.0))
    # torch gives NaN at ±inf, and inf from x ≈ 709.8 where I₀ is still finite: we don't
    out = N.i0(cr.tensor([np.inf, -np.inf, 712.0], dtype=cr.float64)).numpy()
    np.testing.assert_allclose(out, [np.inf, np.inf, float(mpmath.besseli(0, 712))], rtol=3e-15)
    same_values(N.i0, torch.i0, np.array([1, 2, -3]))  # ints give the default float
    same_values(N.i0, torch.i0, np.array([True, False]))


def test_i0_second_derivative_through_create_graph_is_the_closed_form():
    x = np.array([-2.0, 0.0, 0.5, 30.0])
    t = on_device(x).requires_grad_(True)
    (g,) = cr.grad(N.i0(t).sum(), [t], create_graph=True)
    (h,) = cr.grad(g.sum(), [t], create_graph=True)  # I₁′ = I₀ − I₁/x, ½ at 0
    i0, i1 = scipy.special.i0(x), scipy.special.i1(x)
    with np.errstate(invalid="ignore"):
        ref = np.where(x == 0, 0.5, i0 - i1 / x)
    np.testing.assert_allclose(h.detach().numpy(), ref, rtol=1e-14)


def test_i0_third_derivative_by_finite_differences():
    x = np.array([-3.0, -0.5, 0.0, 0.7, 4.0, 6.5])
    check_gradcheck(N.i0, x)
    x1 = cr.tensor(x, requires_grad=True)
    (g,) = cr.grad(N.i0(x1).sum(), [x1], create_graph=True)
    check_gradcheck(lambda t: cr.grad(N.i0(t).sum(), [t], create_graph=True)[0], x)
    assert g.requires_grad


# ---------------------------------------------------------------- igamma / igammac
def _positive(shape, rng, low=0.05, high=8.0):
    return rng.uniform(low, high, size=shape)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fn", ["igamma", "igammac"])
@pytest.mark.parametrize("shapes", [((5,), (5,)), ((2, 1), (1, 3)), ((), (4,)), ((0,), (1,))])
def test_igamma_matches_torch_with_gradient_along_x(dtype, fn, shapes):
    rng = np.random.default_rng(1)
    a, x = (_positive(s, rng) for s in shapes)
    check_against_torch(
        getattr(N, fn),
        a,
        x,
        torch_fn=getattr(torch, fn),
        dtype=dtype,
        requires_grad=[False, True],
    )


def test_igamma_is_exact_against_scipy_on_both_branches():
    rng = np.random.default_rng(2)
    a = np.concatenate([rng.uniform(0.01, 30, 300), [0.5, 1.0, 100.0, 1000.0]])
    x = np.concatenate([rng.uniform(0.0, 60, 300), [1e-8, 1.0, 90.0, 1100.0]])
    p, q = N.igamma(on_device(a), on_device(x)).numpy(), N.igammac(on_device(a), on_device(x))
    np.testing.assert_allclose(p, scipy.special.gammainc(a, x), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(q.numpy(), scipy.special.gammaincc(a, x), rtol=1e-11, atol=1e-300)


def test_igamma_edges_match_torch():
    a = np.array([0.0, 0.0, 1.0, 2.0, -1.0, np.inf, 3.0, np.inf, np.nan, 2.0])
    x = np.array([0.0, 1.0, 0.0, np.inf, 1.0, 2.0, -1.0, np.inf, 1.0, np.nan])
    same_values(N.igamma, torch.igamma, a, x)
    same_values(N.igammac, torch.igammac, a, x)


def test_igamma_second_derivative_along_x_by_finite_differences():
    a = np.array([0.7, 1.0, 2.5, 6.0])

    def fn(x):
        return N.igamma(cr.tensor(a), x)

    check_gradcheck(fn, np.array([0.3, 1.5, 2.0, 9.0]))
    check_gradcheck(lambda x: N.igammac(cr.tensor(a), x), np.array([0.3, 1.5, 2.0, 9.0]))


def test_igamma_refuses_the_derivative_along_a_and_integer_inputs():
    a = cr.tensor([1.5], dtype=cr.float64, requires_grad=True)
    with pytest.raises(NotImplementedError, match="igamma: the derivative with respect to"):
        N.igamma(a, cr.tensor([2.0], dtype=cr.float64)).sum().backward()
    with pytest.raises(TypeError, match="igammac: expects floating point inputs, got int64"):
        N.igammac(cr.tensor([1, 2]), cr.tensor([1, 2]))
    with pytest.raises(ValueError, match=r"igamma: shapes \(2,\) and \(3,\) don't broadcast"):
        N.igamma(cr.tensor([1.0, 2.0]), cr.tensor([1.0, 2.0, 3.0]))


def test_igamma_promotes_like_torch():
    ours = N.igamma(cr.tensor([1.0, 2.0]), cr.tensor(2.0, dtype=cr.float64))
    ref = torch.igamma(torch.tensor([1.0, 2.0]), torch.tensor(2.0, dtype=torch.float64))
    assert str(ours.dtype) == "float32" == str(ref.dtype)[6:]
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-6)


# ---------------------------------------------------------------- mvlgamma
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [1, 2, 5])
def test_mvlgamma_matches_torch(dtype, p):
    # second order in float32 only: chainrule's trigamma (gamma.py) is good to ~1e-10
    check_against_torch(
        lambda t: N.mvlgamma(t, p),
        (2, 3),
        torch_fn=lambda t: torch.mvlgamma(t, p),
        dtype=dtype,
        low=2.5,
        high=6.0,
        gradgrad=dtype == "float32",
    )
    check_gradcheck(lambda t: N.mvlgamma(t, p), (4,), low=2.5, high=6.0)


def test_mvlgamma_ints_edges_and_errors():
    same_values(lambda t: N.mvlgamma(t, 2), lambda t: torch.mvlgamma(t, 2), np.array([3, 4]))
    x = np.array([1.0, 0.5, 3.0])  # below (p−1)/2: torch gives inf/NaN rather than raising
    same_values(lambda t: N.mvlgamma(t, 3), lambda t: torch.mvlgamma(t, 3), x)
    with pytest.raises(ValueError, match="mvlgamma: p must be at least 1, got 0"):
        N.mvlgamma(cr.tensor([3.0]), 0)
    with pytest.raises(TypeError, match="mvlgamma: p must be an int, got 1.5"):
        N.mvlgamma(cr.tensor([3.0]), 1.5)


# ---------------------------------------------------------------- frexp, nextafter
@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
def test_frexp_matches_torch(dtype):
    x = np.array([0.0, -0.0, 1.0, -3.5, 0.3, 1e4, np.inf, -np.inf, np.nan], dtype=dtype)
    if dtype == "float32":
        x = np.append(x, np.float32(1e-40))  # subnormal
    m, e = N.frexp(on_device(x))
    rm, re = torch.frexp(torch.tensor(x))
    assert (m.dtype, e.dtype) == (cr.tensor(x).dtype, cr.int32)
    assert str(re.dtype) == "torch.int32"
    np.testing.assert_array_equal(m.numpy(), rm.numpy())
    np.testing.assert_array_equal(e.numpy(), re.numpy())


@pytest.mark.parametrize("dtype", DTYPES)
def test_frexp_mantissa_gradient_matches_torch(dtype):
    check_against_torch(
        lambda t: N.frexp(t).mantissa, (3, 4), torch_fn=lambda t: torch.frexp(t)[0],
        dtype=dtype, low=-100, high=100,
    )  # fmt: skip


def test_frexp_refuses_integers():
    with pytest.raises(TypeError, match="frexp: only supports floating-point dtypes, got int64"):
        N.frexp(cr.tensor([1, 2]))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", [((4,), (4,)), ((2, 1), (3,)), ((), (2, 2))])
def test_nextafter_matches_torch_with_its_gradients(dtype, shapes):
    check_against_torch(N.nextafter, *shapes, torch_fn=torch.nextafter, dtype=dtype)


def test_nextafter_special_values_and_promotion():
    x = np.array([1.0, 0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, 3.4e38], dtype="float32")
    y = np.array([2.0, -1.0, 1.0, 0.0, np.inf, 1.0, 1.0, np.inf], dtype="float32")
    same_values(N.nextafter, torch.nextafter, x, y, exact=True)
    same_values(N.nextafter, torch.nextafter, x.astype("float64"), y.astype("float64"), exact=True)
    ours = N.nextafter(cr.tensor([1.0]), cr.tensor(2.0, dtype=cr.float64))
    ref = torch.nextafter(torch.tensor([1.0]), torch.tensor(2.0, dtype=torch.float64))
    assert ours.dtype == cr.float32 and ours.item() == ref.item()
    with pytest.raises(TypeError, match="nextafter: expects floating point inputs, got int64"):
        N.nextafter(cr.tensor([1]), cr.tensor([2]))
    with pytest.raises(ValueError, match=r"nextafter: shapes \(2,\) and \(3,\) don't broadcast"):
        N.nextafter(cr.tensor([1.0, 2.0]), cr.tensor([1.0, 2.0, 3.0]))


# ---------------------------------------------------------------- unravel_index
@pytest.mark.parametrize(
    "indices,shape",
    [
        (np.array([4, 1, -1, 0, 5]), (2, 3)),
        (np.array([[1, 2], [23, -24]]), (2, 3, 4)),
        (np.array(5), (2, 3)),
        (np.array([3], dtype=np.int32), (6,)),
        (np.array([], dtype=np.int64), (2, 3)),
        (np.array([0, 0]), ()),
        (np.array([7, 0]), (4, 1, 2)),
    ],
)
def test_unravel_index_matches_torch(indices, shape):
    ours = N.unravel_index(on_device(indices), shape)
    ref = torch.unravel_index(torch.tensor(indices), shape)
    assert len(ours) == len(ref)
    for o, r in zip(ours, ref):
        assert o.dtype == cr.int64 and o.shape == tuple(r.shape)
        np.testing.assert_array_equal(o.numpy(), r.numpy())


def test_unravel_index_takes_an_int_and_a_size_and_names_bad_input():
    assert [t.item() for t in N.unravel_index(5, (2, 3))] == [1, 2]
    assert [t.item() for t in N.unravel_index(cr.tensor(3), 6)] == [3]
    with pytest.raises(IndexError, match=r"unravel_index: indices must be in \[-6, 5\]"):
        N.unravel_index(cr.tensor([6]), (2, 3))
    with pytest.raises(IndexError, match=r"in \[-6, 5\] for shape \(2, 3\), got -7..0"):
        N.unravel_index(cr.tensor([-7, 0]), (2, 3))
    with pytest.raises(TypeError, match="unravel_index: expected 'indices' to be integer dtype"):
        N.unravel_index(cr.tensor([1.0]), (2, 3))
    with pytest.raises(ValueError, match=r"'shape' cannot have negative values, got \(2, -1\)"):
        N.unravel_index(cr.tensor([0]), (2, -1))


# ---------------------------------------------------------------- constructors
@pytest.mark.parametrize(
    "args,kwargs",
    [
        ((0, 3), {}),
        ((0, 1, 0.25), {}),
        ((1, 4), {"dtype": "int64"}),
        ((3, 0, -1), {}),
        ((0.5, 2.2, 0.3), {"dtype": "float64"}),
        ((2, 2), {}),
        ((-5, 5, 3), {"dtype": "int32"}),
        ((4,), {}),
    ],
)
def test_range_matches_torch(args, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tkw = {k: getattr(torch, v) for k, v in kwargs.items()}
        ref = torch.range(*args, **tkw) if len(args) > 1 else torch.range(0, args[0], **tkw)
    ours = N.range(*args, **kwargs)
    assert str(ours.dtype) == str(ref.dtype)[6:]
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-7)


def test_range_errors_and_requires_grad():
    assert N.range(0, 2, requires_grad=True).requires_grad
    with pytest.raises(ValueError, match="range: step must be nonzero, got 0"):
        N.range(0, 3, 0)
    with pytest.raises(ValueError, match="inconsistent with step sign, got start=3, end=0, step=1"):
        N.range(3, 0)


@pytest.mark.parametrize("value", [3, 2.5, True, -7, np.float64(0.1)])
@pytest.mark.parametrize("dtype", [None, "float64", "int64", "bool"])
def test_scalar_tensor_matches_torch(value, dtype):
    ref = torch.scalar_tensor(value, dtype=None if dtype is None else getattr(torch, dtype))
    ours = N.scalar_tensor(value, dtype=dtype)
    assert ours.shape == () and str(ours.dtype) == str(ref.dtype)[6:]
    assert ours.item() == ref.item()


def test_scalar_tensor_requires_grad_and_errors():
    t = N.scalar_tensor(2, requires_grad=True)
    (t * t).backward()
    assert t.grad.item() == 4.0 and t.dtype == cr.float32
    with pytest.raises(TypeError, match="scalar_tensor: expected a number, got list"):
        N.scalar_tensor([1.0])


def test_asarray_shares_memory_as_torch():
    t = cr.tensor([1.0, 2.0])
    assert N.asarray(t) is t
    a = np.array([1.0, 2.0])
    shared = N.asarray(a)
    a[0] = 5.0
    assert shared.dtype == cr.float64 and shared.tolist() == [5.0, 2.0]
    copied = N.asarray(a, copy=True)
    a[1] = 7.0
    assert copied.tolist() == [5.0, 2.0]
    assert N.asarray(t, dtype=cr.float32, copy=False) is t
    c = N.asarray(t, copy=True)
    assert c is not t and c.tolist() == t.tolist()
    t.data[0] = 9.0
    assert c.tolist() == [1.0, 2.0]


@pytest.mark.parametrize(
    "obj",
    [[1.0, 2.0], 3, 2.5, [[1, 2], [3, 4]], [np.float64(1.0)], np.float64(2.0), [True, False]],
)
@pytest.mark.parametrize("dtype", [None, "float64", "int32"])
def test_asarray_of_python_data_matches_torch(obj, dtype):
    ref = torch.asarray(obj, dtype=None if dtype is None else getattr(torch, dtype))
    ours = N.asarray(obj, dtype=dtype)
    assert str(ours.dtype) == str(ref.dtype)[6:]
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())


def test_asarray_of_buffers_matches_torch():
    raw = bytearray(np.arange(4, dtype=np.float32).tobytes())
    ours, ref = N.asarray(raw), torch.asarray(raw)
    assert ours.dtype == cr.float32 and ours.tolist() == ref.tolist()
    ours, ref = N.asarray(raw, dtype=cr.int32), torch.asarray(raw, dtype=torch.int32)
    assert ours.tolist() == ref.tolist()


def test_asarray_casts_stay_differentiable_and_requires_grad_as_torch():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    z = N.asarray(w, dtype=cr.float64)
    assert z.dtype == cr.float64 and z.requires_grad
    (z * z).sum().backward()
    assert w.grad.tolist() == [2.0, 4.0]
    r = N.asarray([1.0, 2.0], requires_grad=True)
    assert r.requires_grad and r.is_leaf
    t = cr.tensor([1.0])
    assert N.asarray(t, requires_grad=True) is t and t.requires_grad  # torch: t itself


def test_asarray_errors():
    t = cr.tensor([1.0])
    with pytest.raises(ValueError, match="asarray: can't alias a tensor of dtype float32 into"):
        N.asarray(t, dtype=cr.float64, copy=False)
    with pytest.raises(ValueError, match=r"asarray: can't alias a list into a tensor \(copy=False"):
        N.asarray([1.0], copy=False)
    with pytest.raises(TypeError, match="asarray: only floating point tensors can require grad"):
        N.asarray([1, 2], requires_grad=True)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"dtype": "int32"},
        {"dtype": "int16", "count": 3},
        {"dtype": "int16", "offset": 2},
        {"dtype": "uint8", "offset": 3, "count": 2},
        {"dtype": "float64"},
    ],
)
def test_frombuffer_matches_torch(kwargs):
    raw = bytearray(range(16))
    tkw = dict(kwargs, dtype=getattr(torch, kwargs["dtype"]))
    ours, ref = N.frombuffer(raw, **kwargs), torch.frombuffer(bytearray(range(16)), **tkw)
    assert str(ours.dtype) == str(ref.dtype)[6:]
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    raw[kwargs.get("offset", 0)] = 255  # the tensor views the buffer
    assert ours.numpy().tobytes()[0] == 255


def test_frombuffer_errors():
    with pytest.raises(ValueError, match=r"buffer length \(7\) minus offset \(0\) must be a"):
        N.frombuffer(bytearray(7), dtype=cr.int32)
    with pytest.raises(ValueError, match=r"frombuffer: offset must be in \[0, 4\)"):
        N.frombuffer(bytearray(4), dtype=cr.int16, offset=4)
    with pytest.raises(ValueError, match="3 elements of 2 bytes from offset 0 overrun a buffer"):
        N.frombuffer(bytearray(4), dtype=cr.int16, count=3)
    with pytest.raises(ValueError, match="frombuffer: count must be positive or -1, got 0"):
        N.frombuffer(bytearray(4), dtype=cr.int16, count=0)
    with pytest.raises(ValueError, match="frombuffer: the buffer is empty"):
        N.frombuffer(b"", dtype=cr.int16)
    with pytest.raises(TypeError, match="frombuffer: expected an object with the buffer protocol"):
        N.frombuffer([1, 2], dtype=cr.int16)
    assert N.frombuffer(bytearray(8), dtype=cr.float32, requires_grad=True).requires_grad


def test_math_module_is_untouched():
    assert math.pi == np.pi  # (the module defines its own ``range``, not the builtin's)


def test_constructors_on_a_gpu(gpu):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = torch.range(0, 1, 0.25)
    for t, r in [
        (N.range(0, 1, 0.25, device="cuda"), ref),
        (N.scalar_tensor(2, device="cuda"), torch.scalar_tensor(2)),
        (N.asarray([1.0, 2.0], device="cuda"), torch.asarray([1.0, 2.0])),
    ]:
        assert backend.on_device(t.data, "cuda") and str(t.dtype) == str(r.dtype)[6:]
        np.testing.assert_array_equal(backend.to_host(t.data), r.numpy())
    host = cr.tensor([1.0, 2.0])
    moved = N.asarray(host, device="cuda")
    assert backend.on_device(moved.data, "cuda") and moved is not host
    with pytest.raises(
        ValueError, match=r"asarray: can't alias a tensor into device cuda \(copy=False\)"
    ):
        N.asarray(host, device="cuda", copy=False)
