"""Tests of the CuPy test double (tests/fakecupy.py): its numbers against NumPy, and that it
refuses what CuPy refuses."""

import copy
import operator
import pickle

import fakecupy as cp
import numpy as np
import pytest

UNSUPPORTED = "Unsupported type <class 'numpy.ndarray'>"


def host(shape=(2, 3), seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def dev(shape=(2, 3), seed=0):
    return cp.asarray(host(shape, seed))


def assert_dev_equal(fake, expected):
    assert isinstance(fake, cp.ndarray)
    got = fake.get()
    assert got.dtype == np.asarray(expected).dtype
    np.testing.assert_allclose(got, expected)


# ---------------------------------------------------------------- the array type
def test_ndarray_is_not_a_numpy_array():
    x = dev()
    assert not isinstance(x, np.ndarray) and not issubclass(cp.ndarray, np.ndarray)
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and x.dtype == np.float64
    assert x.itemsize == 8 and x.nbytes == 48 and x.strides == (24, 8)
    assert x.flags.c_contiguous and not x.flags.f_contiguous and x.T.flags.f_contiguous
    assert x.flags["C_CONTIGUOUS"] and x.flags.writeable
    assert not isinstance(x.data, np.ndarray) and isinstance(x.data.ptr, int)
    assert x.device.id == 0 and x.device == cp.cuda.Device(0)
    assert repr(x) == repr(host()) and str(x) == str(host())
    with pytest.raises(TypeError):
        hash(x)
    empty = cp.ndarray((2, 2), dtype=np.float32)
    assert empty.shape == (2, 2) and empty.dtype == np.float32


def test_implicit_conversion_is_refused_and_explicit_allowed():
    x = dev()
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
        np.asarray(x)
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.array([x, x])
    back = x.get()
    assert type(back) is np.ndarray and np.array_equal(back, host())
    back[0, 0] = 99.0  # a copy
    assert x[0, 0].item() != 99.0
    assert np.array_equal(cp.asnumpy(x), host())
    a = host()
    y = cp.asarray(a)
    a[0, 0] = 7.0  # host to device copies
    assert y[0, 0].item() != 7.0
    assert cp.asarray(x) is x and cp.array(x) is not x
    assert cp.asarray(x, dtype=np.float32).dtype == np.float32
    z = cp.zeros(3)
    z.set(np.arange(3.0))
    assert z.tolist() == [0.0, 1.0, 2.0]
    assert cp.array([cp.asarray(1.0), cp.asarray(2.0)]).tolist() == [1.0, 2.0]


def test_scalar_conversions_are_explicit():
    s = cp.asarray(2.5)
    assert float(s) == 2.5 and int(s) == 2 and bool(s) and s.item() == 2.5
    assert [1, 2, 3][cp.asarray(1)] == 2  # __index__
    assert f"{s:.2f}" == "2.50"


# ---------------------------------------------------------------- mixing is refused
@pytest.mark.parametrize(
    "mix",
    [
        lambda x, a: x + a,
        lambda x, a: a + x,
        lambda x, a: a * x,
        lambda x, a: x @ a.T,
        lambda x, a: a @ x.T,
        lambda x, a: x < a,
        lambda x, a: np.add(x, a),
        lambda x, a: np.exp(x, out=a),
        lambda x, a: np.exp(a, out=x),
        lambda x, a: cp.add(x, a),
        lambda x, a: cp.exp(a),
        lambda x, a: cp.add(x, x, out=a),
        lambda x, a: cp.add.reduce(a),
        lambda x, a: cp.add.outer(x, a),
        lambda x, a: cp.add.accumulate(a),
        lambda x, a: cp.maximum.at(x, 0, a[0]),
        lambda x, a: np.concatenate([x, a]),
        lambda x, a: np.where(x > 0, x, a),
        lambda x, a: cp.concatenate([x, a]),
        lambda x, a: cp.stack((a, x)),
        lambda x, a: cp.zeros_like(a),
        lambda x, a: cp.dot(x, a.T),
        lambda x, a: x.dot(a.T),
        lambda x, a: x.clip(a, 1.0),
        lambda x, a: np.add.at(x, 0, a[0]),
        lambda x, a: cp.cupyx.scatter_add(x, 0, a[0]),
        lambda x, a: cp.cupyx.scatter_add(a, 0, x[0]),
        lambda x, a: cp.random.permutation(a),
    ],
)
def test_mixing_with_host_arrays_is_refused(mix):
    with pytest.raises(TypeError, match=UNSUPPORTED):
        mix(dev(), host())


@pytest.mark.parametrize("op", [operator.iadd, operator.isub, operator.imul, operator.itruediv])
def test_inplace_mixing_is_refused(op):
    x, a = dev(), host()
    with pytest.raises(TypeError, match=UNSUPPORTED):
        op(x, a)  # x += a
    with pytest.raises(TypeError, match=UNSUPPORTED):
        op(a, x)  # a += x
    assert np.array_equal(a, host()) and np.array_equal(x.get(), host())


def test_setitem_refuses_host_arrays_but_takes_scalars_and_fakes():
    x = dev()
    with pytest.raises(TypeError, match=UNSUPPORTED):
        x[0] = np.ones(3)
    with pytest.raises(TypeError, match=UNSUPPORTED):
        x[0] = [np.ones(3)]
    x[0] = 1.0
    x[1] = np.float32(2.0)
    x[:, 0] = cp.asarray([5.0, 6.0])
    assert x.tolist() == [[5.0, 1.0, 1.0], [6.0, 2.0, 2.0]]


def test_scalars_mix_freely():
    x, a = dev(), host()
    assert_dev_equal(x + 1, a + 1)
    assert_dev_equal(2.0 * x, 2.0 * a)
    assert_dev_equal(x * np.float32(3), a * np.float32(3))
    assert_dev_equal(np.float64(3) - x, 3 - a)
    assert_dev_equal(x + cp.asarray(1.5), a + 1.5)


# ---------------------------------------------------------------- numbers against NumPy
def test_operators_match_numpy():
    x, y, a, b = dev(), dev(seed=1), host(), host(seed=1)
    for f in [
        lambda p, q: p + q,
        lambda p, q: p - q,
        lambda p, q: p * q,
        lambda p, q: p / q,
        lambda p, q: p // q,
        lambda p, q: p % q,
        lambda p, q: p**2,
        lambda p, q: abs(p) ** q,
        lambda p, q: p @ q.T,
        lambda p, q: -p,
        lambda p, q: +p,
        lambda p, q: abs(p),
        lambda p, q: p > q,
        lambda p, q: p == q,
        lambda p, q: p != q,
        lambda p, q: 1 - p,
        lambda p, q: 2 / q,
        lambda p, q: ~(p > 0),
        lambda p, q: (p > 0) & (q > 0),
    ]:
        assert_dev_equal(f(x, y), f(a, b))
    q, r = divmod(x, y)
    assert_dev_equal(q, np.divmod(a, b)[0]) and assert_dev_equal(r, np.divmod(a, b)[1])
    z = x.copy()
    z += y
    z *= 2
    z -= 1
    z /= 3
    assert_dev_equal(z, ((a + b) * 2 - 1) / 3)
    i = cp.arange(5)
    i <<= 1
    i |= 1
    assert i.tolist() == [1, 3, 5, 7, 9]


def test_ufuncs_and_functions_return_fakes():
    x, a = dev(), host()
    assert_dev_equal(np.exp(x), np.exp(a))
    assert_dev_equal(cp.tanh(x), np.tanh(a))
    assert_dev_equal(np.concatenate([x, x]), np.concatenate([a, a]))
    assert_dev_equal(cp.concatenate([x, x], axis=1), np.concatenate([a, a], axis=1))
    assert_dev_equal(np.maximum(x, 0), np.maximum(a, 0))
    assert_dev_equal(cp.einsum("ij,kj->ik", x, x), np.einsum("ij,kj->ik", a, a))
    assert_dev_equal(cp.linalg.norm(x, axis=1), np.linalg.norm(a, axis=1))
    assert_dev_equal(cp.add.reduce(x, axis=0), np.add.reduce(a, axis=0))
    assert_dev_equal(cp.multiply.accumulate(x, axis=1), np.multiply.accumulate(a, axis=1))
    assert_dev_equal(cp.subtract.outer(x[0], x[1]), np.subtract.outer(a[0], a[1]))
    out = cp.empty((2, 3))
    assert cp.add(x, 1, out=out) is out and np.multiply(x, 2, out=out) is out
    assert_dev_equal(out, a * 2)
    for got, want in zip(cp.nonzero(x > 0), np.nonzero(a > 0)):
        assert_dev_equal(got, want)
    for got, want in zip(np.where(x > 0), np.where(a > 0)):
        assert_dev_equal(got, want)
    for got, want in zip(cp.split(x, 3, axis=1), np.split(a, 3, axis=1)):
        assert_dev_equal(got, want)
    for got, want in zip(cp.meshgrid(cp.arange(2), cp.arange(3)), np.meshgrid(range(2), range(3))):
        assert_dev_equal(got, want)
    for got, want in zip(cp.broadcast_arrays(x, x[0]), np.broadcast_arrays(a, a[0])):
        assert_dev_equal(got, want)
    r, c = cp.unravel_index(cp.asarray([4, 1]), (2, 3))
    assert r.tolist() == [1, 0] and c.tolist() == [1, 1]
    assert_dev_equal(cp.where(x > 0, x, 0.0), np.where(a > 0, a, 0.0))


def test_creation_functions():
    assert_dev_equal(cp.zeros((2, 3), dtype=cp.float32), np.zeros((2, 3), np.float32))
    assert_dev_equal(cp.ones(4), np.ones(4))
    assert cp.empty((2, 2)).shape == (2, 2)
    assert_dev_equal(cp.full((2,), 7, dtype=cp.int32), np.full((2,), 7, np.int32))
    assert_dev_equal(cp.arange(5), np.arange(5))
    assert_dev_equal(cp.eye(3), np.eye(3))
    assert_dev_equal(cp.linspace(0, 1, 5), np.linspace(0, 1, 5))
    x = dev()
    assert_dev_equal(cp.zeros_like(x), np.zeros((2, 3)))
    assert_dev_equal(cp.ones_like(x, dtype=cp.int64), np.ones((2, 3), np.int64))
    assert cp.empty_like(x).shape == (2, 3)
    assert_dev_equal(cp.full_like(x, 3.0), np.full((2, 3), 3.0))


def test_dtypes_and_constants_pass_through():
    for name in "float32 float64 int64 int32 bool_ uint8 float16 newaxis inf pi e dtype".split():
        assert getattr(cp, name) is getattr(np, name)
    assert np.isnan(cp.nan) and cp.finfo(cp.float32).eps == np.finfo(np.float32).eps
    assert cp.result_type(dev(), np.float32) == np.float64
    assert cp.promote_types(cp.float32, cp.int64) == np.float64
    assert cp.can_cast(cp.int32, cp.int64) and cp.issubdtype(cp.float32, cp.floating)
    assert cp.iinfo(cp.int8).max == 127 and cp.issubdtype(cp.int8, cp.integer)
    with cp.errstate(divide="ignore"):
        assert float(cp.asarray(1.0) / 0) == np.inf
    assert cp.__version__ == "14.0.0-fake"
    with pytest.raises(AttributeError):
        cp.no_such_function  # noqa: B018


def test_methods_match_numpy():
    x, a = dev((3, 4)), host((3, 4))
    for name, args, kwargs in [
        ("reshape", (4, 3), {}),
        ("transpose", (1, 0), {}),
        ("swapaxes", (0, 1), {}),
        ("sum", (), {"axis": 0}),
        ("mean", (), {"axis": 1, "keepdims": True}),
        ("max", (), {"axis": 1}),
        ("min", (), {}),
        ("argmax", (), {"axis": 0}),
        ("prod", (), {}),
        ("var", (), {"axis": 0}),
        ("std", (), {}),
        ("astype", (np.float32,), {}),
        ("ravel", (), {}),
        ("flatten", (), {}),
        ("clip", (-0.5, 0.5), {}),
        ("cumsum", (), {"axis": 1}),
        ("round", (2,), {}),
        ("take", ([0, 2],), {"axis": 1}),
        ("repeat", (2,), {"axis": 0}),
        ("argsort", (), {"axis": 1}),
    ]:
        assert_dev_equal(getattr(x, name)(*args, **kwargs), getattr(a, name)(*args, **kwargs))
    assert_dev_equal(x.dot(x.T), a.dot(a.T))
    assert_dev_equal(x[:1].squeeze(), a[:1].squeeze())
    assert x.argmin().item() == a.argmin() and x.any().item() and not (x > 10).all().item()
    s = x.copy()
    s.sort(axis=0)
    assert_dev_equal(s, np.sort(a, axis=0))
    assert_dev_equal(x.T, a.T) and assert_dev_equal(x.real, a) and assert_dev_equal(x.imag, 0 * a)
    assert len(x) == 3 and x.tolist() == a.tolist()
    rows = list(x)
    assert len(rows) == 3 and all(isinstance(r, cp.ndarray) for r in rows)
    items = list(x[0])
    assert all(isinstance(i, cp.ndarray) and i.ndim == 0 for i in items)
    x.fill(2.0)
    assert x.sum().item() == 24.0


def test_reductions_and_scalar_indexing_give_0d_fakes():
    x, a = dev(), host()
    for got, want in [
        (x.sum(), a.sum()),
        (cp.sum(x), a.sum()),
        (np.sum(x), a.sum()),
        (x.max(), a.max()),
        (cp.mean(x), a.mean()),
        (x[0, 1], a[0, 1]),
        (cp.exp(cp.asarray(1.0)), np.exp(1.0)),
        (cp.add.reduce(x, axis=None), a.sum()),
    ]:
        assert isinstance(got, cp.ndarray) and got.ndim == 0
        assert got.item() == pytest.approx(want)


def test_indexing_with_host_and_fake_index_arrays():
    x, a = dev((4, 3)), host((4, 3))
    idx = np.array([3, 0, 3])
    assert_dev_equal(x[idx], a[idx])
    assert_dev_equal(x[cp.asarray(idx)], a[idx])
    assert_dev_equal(x[x > 0], a[a > 0])
    assert_dev_equal(x[a > 0], a[a > 0])
    assert_dev_equal(x[cp.asarray(idx), 1:], a[idx, 1:])
    assert_dev_equal(x[None, ..., cp.newaxis], a[None, ..., None])
    x[cp.asarray([0, 1])] = 0.0
    assert (x[:2] == 0).all().item()


# ---------------------------------------------------------------- memory
def test_views_share_memory_and_copies_do_not():
    x = cp.zeros((2, 3))
    x.T[0, 1] = 1.0
    x[1:][0, 2] = 2.0
    x.reshape(6)[0] = 3.0
    x[:, 1] += 4.0
    x.ravel()[2] += 5.0
    assert x.tolist() == [[3.0, 4.0, 5.0], [1.0, 4.0, 2.0]]
    x.copy()[0, 0] = -1.0
    x.astype(np.float64)[0, 0] = -1.0
    x.flatten()[0] = -1.0
    assert x[0, 0].item() == 3.0
    assert x.base is None and x[1:].base is x and x.T.base is x and x[1:][0].base is x
    assert x.copy().base is None and cp.shares_memory(x, x.T)
    assert not cp.shares_memory(x, x.copy())
    y = copy.deepcopy(x)
    y[0, 0] = 0.0
    assert x[0, 0].item() == 3.0
    z = pickle.loads(pickle.dumps(x))
    assert isinstance(z, cp.ndarray) and z.tolist() == x.tolist()


def test_at_and_scatter_add_accumulate_duplicates():
    idx = np.array([0, 2, 0, 0])
    want = np.zeros(3)
    np.add.at(want, idx, 1.0)
    for scatter in [
        lambda x: cp.add.at(x, idx, 1.0),
        lambda x: cp.add.at(x, cp.asarray(idx), cp.ones(4)),
        lambda x: np.add.at(x, cp.asarray(idx), 1.0),
        lambda x: cp.cupyx.scatter_add(x, cp.asarray(idx), cp.ones(4)),
        lambda x: cp.cupyx.scatter_add(x, idx, 1.0),
    ]:
        x = cp.zeros(3)
        assert scatter(x) is None
        assert_dev_equal(x, want)
    m = cp.zeros((2, 2))
    cp.cupyx.scatter_add(m, (np.array([1, 1]), np.array([0, 0])), cp.asarray([1.0, 2.0]))
    assert m.tolist() == [[0.0, 0.0], [3.0, 0.0]]


def test_erf():
    x = cp.asarray(np.array([-1.0, 0.0, 0.5], np.float32))
    got = cp.cupyx.scipy.special.erf(x)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got.get(), [-0.8427008, 0.0, 0.5204999], rtol=1e-6)


# ---------------------------------------------------------------- cuda, random, modules
def test_cuda():
    assert cp.cuda.runtime.getDeviceCount() == 1 and cp.cuda.get_device_id() == 0
    props = cp.cuda.runtime.getDeviceProperties(0)
    assert props["name"] == b"Fake GPU (tests/fakecupy.py)" and props["totalGlobalMem"] > 0
    with cp.cuda.Device(0) as d:
        assert d.id == 0 and cp.cuda.Device().id == 0
        d.synchronize()
    cp.cuda.Device(0).use()
    cp.cuda.Stream.null.synchronize()
    with pytest.raises(cp.cuda.runtime.CUDARuntimeError):
        with cp.cuda.Device(1):
            pass


def test_random_generator():
    g = cp.random.default_rng(3)
    draws = [
        (g.random((2, 3)), (2, 3), np.float64),
        (g.random(4, dtype=np.float32), (4,), np.float32),
        (g.standard_normal((3,), dtype=np.float32), (3,), np.float32),
        (g.integers(0, 5, size=(6,)), (6,), np.int64),
        (g.uniform(-1, 1, size=(2,)), (2,), np.float64),
        (g.normal(0, 2, size=(2, 2)), (2, 2), np.float64),
        (g.permutation(5), (5,), np.int64),
        (g.random(), (), np.float64),
    ]
    for got, shape, dtype in draws:
        assert isinstance(got, cp.ndarray) and got.shape == shape and got.dtype == dtype
    assert sorted(g.permutation(cp.arange(4)).tolist()) == [0, 1, 2, 3]
    assert ((draws[3][0] >= 0) & (draws[3][0] < 5)).all().item()
    a = cp.random.default_rng(7).standard_normal(5).get()
    b = cp.random.default_rng(7).standard_normal(5).get()
    assert np.array_equal(a, b)


def test_random_module_functions_follow_seed():
    def draw():
        r = cp.random
        return [r.rand(2, 3), r.randn(4), r.random((2,)), r.normal(0, 1, 3)] + [
            r.uniform(0, 1, (2,)),
            r.randint(0, 10, size=(5,)),
            r.permutation(6),
        ]

    cp.random.seed(11)
    first = draw()
    cp.random.seed(11)
    second = draw()
    shapes = [(2, 3), (4,), (2,), (3,), (2,), (5,), (6,)]
    for p, q, shape in zip(first, second, shapes):
        assert isinstance(p, cp.ndarray) and p.shape == shape
        assert np.array_equal(p.get(), q.get())


def test_get_array_module():
    assert cp.get_array_module(dev()) is cp
    assert cp.get_array_module(host(), 1.0, dev()) is cp
    assert cp.get_array_module(host(), 1.0) is np
    assert cp.get_array_module() is np
