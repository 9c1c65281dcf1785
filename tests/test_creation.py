"""Constructors against torch: values, shapes and default dtypes."""

import numpy as np
import pytest
import torch

import chainrule as cr


def _same(ours, ref):
    assert str(ours.dtype) == str(ref.dtype).replace("torch.", ""), (ours.dtype, ref.dtype)
    assert ours.shape == tuple(ref.shape)
    np.testing.assert_array_equal(ours.data, ref.numpy())


@pytest.mark.parametrize(
    "data",
    [1.5, 3, True, [1.0, 2.0], [[1, 2], [3, 4]], [True, False], [[0.1, 0.2, 0.3]], []],
)
def test_tensor_default_dtypes_match_torch(data):
    _same(cr.tensor(data), torch.tensor(data))


@pytest.mark.parametrize(
    "data",
    [
        [np.float64(1.5), 2.0],
        [[np.float64(1.0)], [2.0]],
        [np.float32(1.5), 2.0],
        [np.float32(1.0), np.float64(2.0)],
        [1, np.float32(2.0)],
        [np.int32(1), 2.5],
        [np.float16(1.0), 2],
        [np.float16(1.0), np.int16(2)],
        [np.int8(1), np.int8(-3)],
        (np.uint8(3),),
        [np.int16(1), np.uint8(2)],
        [np.int32(1), 2],
        [True, np.int8(1)],
        [np.float64(1.0), True],
        [np.array([1.5]), [2.0]],
        [np.array([1, 2], np.int8), [3, 4]],
    ],
    ids=repr,
)
def test_tensor_of_numpy_scalars_in_lists_takes_torchs_dtype(data):
    """Each NumPy scalar counts with its own dtype, a Python float as float32, and the widest
    float wins over any integer (NumPy alone would make most of these float64 or float32)."""
    _same(cr.tensor(data), torch.tensor(data))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64", "bool"])
def test_tensor_with_dtype(dtype):
    data = [[0.0, 1.0], [2.0, 0.7]] if dtype != "bool" else [[True, False]]
    _same(
        cr.tensor(data, dtype=getattr(cr, dtype)), torch.tensor(data, dtype=getattr(torch, dtype))
    )


def test_tensor_float64_is_not_rounded_through_float32():
    assert cr.tensor(0.1, dtype=cr.float64).item() == 0.1
    assert cr.tensor([0.7, 1e-300], dtype=cr.float64).tolist() == [0.7, 1e-300]


def test_tensor_keeps_ndarray_dtype_and_copies():
    a = np.array([1.0, 2.0])
    t = cr.tensor(a)
    assert t.dtype == np.float64
    a[0] = 5.0
    assert t.tolist() == [1.0, 2.0]


def test_tensor_requires_grad():
    t = cr.tensor([1.0, 2.0], requires_grad=True)
    assert t.requires_grad and t.is_leaf and t.grad is None and t.grad_fn is None


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
@pytest.mark.parametrize("size", [(), (0,), (3,), (2, 3)])
def test_zeros_ones_empty(name, size):
    ours = getattr(cr, name)(*size)
    ref = getattr(torch, name)(size)
    assert ours.shape == tuple(ref.shape) and ours.dtype == np.float32
    if name != "empty":
        _same(ours, ref)
    assert getattr(cr, name)(size).shape == size  # a tuple works too


def test_zeros_dtype_and_requires_grad():
    _same(cr.zeros(2, 3, dtype=cr.int64), torch.zeros(2, 3, dtype=torch.int64))
    assert cr.ones(2, requires_grad=True).requires_grad


@pytest.mark.parametrize("value", [2.5, 3, True])
def test_full_infers_dtype_like_torch(value):
    _same(cr.full((2, 3), value), torch.full((2, 3), value))
    _same(cr.full((2,), value, dtype=cr.float64), torch.full((2,), value, dtype=torch.float64))


@pytest.mark.parametrize(
    "args",
    [
        (5,),
        (2, 9),
        (2, 9, 3),
        (5, 0, -1),
        (0.0, 1.0, 0.25),
        (0, 2.5),
        (1, 1),
        (np.int64(5),),  # NumPy ints are ints: int64, as in torch
        (np.int32(2), 9, np.int64(3)),
        (0, np.float64(2.5)),
    ],
)
def test_arange(args):
    _same(cr.arange(*args), torch.arange(*args))


def test_arange_dtype():
    _same(cr.arange(0, 5, dtype=cr.float64), torch.arange(0, 5, dtype=torch.float64))
    with pytest.raises(ValueError, match="step"):
        cr.arange(0, 5, 0)


@pytest.mark.parametrize("args", [(0, 1, 5), (-2.0, 3.0, 7), (1, 1, 1), (0, 1, 0)])
def test_linspace(args):
    ours, ref = cr.linspace(*args), torch.linspace(*args)
    assert ours.dtype == np.float32 and ours.shape == tuple(ref.shape)
    np.testing.assert_allclose(ours.data, ref.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("args", [(3,), (2, 4), (4, 2), (0,)])
def test_eye(args):
    _same(cr.eye(*args), torch.eye(*args))
    _same(cr.eye(*args, dtype=cr.float64), torch.eye(*args, dtype=torch.float64))


def test_rand_randn_shapes_dtypes_and_ranges():
    cr.manual_seed(0)
    u, n = cr.rand(2000), cr.randn(2, 1000)
    assert u.dtype == np.float32 and n.dtype == np.float32 and n.shape == (2, 1000)
    assert 0.0 <= u.data.min() and u.data.max() < 1.0
    assert abs(u.data.mean() - 0.5) < 0.05
    assert abs(n.data.mean()) < 0.1 and abs(n.data.std() - 1.0) < 0.1
    assert cr.randn(3, dtype=cr.float64).dtype == np.float64
    assert cr.rand((2, 3)).shape == (2, 3)
    assert cr.randn(3, requires_grad=True).requires_grad


@pytest.mark.parametrize(
    "args, low, high", [((10, (500,)), 0, 10), ((3, 7, (500,)), 3, 7), ((-2, 2, (4, 5)), -2, 2)]
)
def test_randint(args, low, high):
    r = cr.randint(*args)
    assert r.dtype == np.int64 and r.shape == args[-1]
    assert r.data.min() >= low and r.data.max() < high
    if r.numel() >= 500:
        assert set(r.tolist()) == set(range(low, high))  # every value is reachable


def test_randint_keyword_size_and_bad_range():
    assert cr.randint(0, 5, size=(3,)).shape == (3,)
    with pytest.raises(ValueError, match="high"):
        cr.randint(5, 5, (3,))


def test_manual_seed_reproduces():
    draws = []
    for _ in range(2):
        cr.manual_seed(123)
        draws.append((cr.rand(4).tolist(), cr.randn(3).tolist(), cr.randint(0, 100, (5,)).tolist()))
    assert draws[0] == draws[1]
    cr.manual_seed(124)
    assert cr.rand(4).tolist() != draws[0][0]


def test_like_constructors():
    x = cr.tensor([[1.0, 2.0, 3.0]], dtype=cr.float64)
    i = cr.tensor([1, 2])
    _same(cr.zeros_like(x), torch.zeros_like(torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.float64)))
    _same(cr.ones_like(i), torch.ones_like(torch.tensor([1, 2])))
    _same(
        cr.ones_like(i, dtype=cr.float32),
        torch.ones_like(torch.tensor([1, 2]), dtype=torch.float32),
    )
    r = cr.randn_like(x)
    assert r.shape == x.shape and r.dtype == np.float64
    assert cr.zeros_like(x, requires_grad=True).requires_grad


def test_negative_size_raises():
    with pytest.raises(ValueError, match="negative"):
        cr.zeros(2, -1)


def test_random_floats_refuse_integer_dtypes():
    with pytest.raises(TypeError, match="randn.*int64"):
        cr.randn_like(cr.tensor([1, 2]))
    with pytest.raises(TypeError, match="rand.*int32"):
        cr.rand(3, dtype=cr.int32)


# ---------------------------------------------------------------- devices
@pytest.mark.parametrize(
    "make",
    [
        lambda d: cr.tensor([[1.0, 2.0], [3.0, 4.0]], device=d),
        lambda d: cr.zeros(2, 3, device=d),
        lambda d: cr.ones((2, 3), dtype=cr.float64, device=d),
        lambda d: cr.empty(2, device=d).fill_(3.0),
        lambda d: cr.full((2, 2), 7, device=d),
        lambda d: cr.arange(1, 10, 2, device=d),
        lambda d: cr.linspace(0, 1, 5, device=d),
        lambda d: cr.eye(3, device=d),
        lambda d: cr.as_tensor([1, 2], device=d),
        lambda d: cr.zeros_like(cr.ones(2, 2, device=d)),
        lambda d: cr.full_like(cr.ones(2, device=d), 4.0),
    ],
)
def test_constructors_make_the_same_tensor_on_each_device(make, gpu):
    cpu, cuda = make("cpu"), make("cuda")
    assert cpu.device.type == "cpu" and cuda.device.type == "cuda"
    assert cuda.dtype == cpu.dtype and cuda.shape == cpu.shape
    np.testing.assert_array_equal(cuda.cpu().numpy(), cpu.numpy())


@pytest.mark.parametrize(
    "draw",
    [
        lambda d: cr.rand(3, 4, device=d),
        lambda d: cr.randn(3, 4, dtype=cr.float64, device=d),
        lambda d: cr.randint(0, 5, (20,), device=d),
        lambda d: cr.randperm(6, device=d),
        lambda d: cr.randn_like(cr.ones(2, 3, device=d)),
    ],
)
def test_random_constructors_draw_on_the_device_and_repeat_with_the_seed(draw, gpu):
    cr.manual_seed(1)
    a = draw("cuda")
    cr.manual_seed(1)
    b = draw("cuda")
    ref = draw("cpu")
    assert a.device.type == "cuda" and a.dtype == ref.dtype and a.shape == ref.shape
    np.testing.assert_array_equal(a.cpu().numpy(), b.cpu().numpy())


def test_tensor_from_a_gpu_array_copies_unless_asked_to_share(gpu):
    g = cr.ones(3, device="cuda")
    t = cr.tensor(g.data)
    t.data[0] = 5
    assert g[0].item() == 1.0 and t.device.type == "cuda"
    s = cr.as_tensor(g)
    assert s is g


@pytest.mark.parametrize("args", [(0, 2, 5), (-1.5, 1.0, 4, 2.0), (1, 1, 1), (0, 3, 0)])
def test_logspace_matches_torch(args):
    ours, ref = cr.logspace(*args), torch.logspace(*args)
    assert ours.dtype == cr.float32 and ours.shape == tuple(ref.shape)
    np.testing.assert_allclose(ours.data, ref.numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="steps must be non-negative, got -1"):
        cr.logspace(0, 1, -1)


@pytest.mark.parametrize("dtype", ["float64", "float16"])
def test_set_default_dtype_changes_what_torchs_does(dtype):
    """Python floats, float constructors, int true division and new layers' weights take the
    default float dtype, as in torch; NumPy arrays and explicit dtypes keep theirs."""
    makers = {
        "tensor": lambda lib: lib.tensor([1.5, 2.0]),
        "scalar": lambda lib: lib.tensor(2.5),
        "zeros": lambda lib: lib.zeros(2),
        "randn": lambda lib: lib.randn(2),
        "arange": lambda lib: lib.arange(0.0, 1.0, 0.5),
        "full": lambda lib: lib.full((2,), 1.5),
        "int_division": lambda lib: lib.tensor([1, 2]) / 2,
        "linear_weight": lambda lib: lib.nn.Linear(2, 3).weight,
        "with_numpy_float32": lambda lib: lib.tensor([np.float32(1.0), 2.0]),
        "ndarray": lambda lib: lib.tensor(np.ones(2, np.float32)),
        "explicit": lambda lib: lib.zeros(2, dtype=lib.float32),
    }
    try:
        cr.set_default_dtype(getattr(cr, dtype))
        torch.set_default_dtype(getattr(torch, dtype))
        assert cr.get_default_dtype() == getattr(cr, dtype)
        for name, make in makers.items():
            ours, ref = make(cr), make(torch)
            assert str(ours.dtype) == str(ref.dtype).replace("torch.", ""), name
    finally:
        cr.set_default_dtype(cr.float32)
        torch.set_default_dtype(torch.float32)
    assert cr.tensor([1.5]).dtype == cr.float32
    with pytest.raises(TypeError, match="only float16, float32 and float64.*got int64"):
        cr.set_default_dtype(cr.int64)
