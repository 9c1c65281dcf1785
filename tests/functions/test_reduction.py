"""Reductions against torch: forward, gradient and second-order gradient, every dim form."""

import math

import helpers
import numpy as np
import pytest
import torch
from helpers import assert_close, check_against_torch, check_gradcheck
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule.functions.reduction import median


@pytest.fixture(autouse=True)
def _torch_zero_tensors(monkeypatch):
    """torch returns a lazy ZeroTensor for some second derivatives (of |x|, of max); the
    helper's ``.numpy()`` refuses those, so read them with ``force=True``."""
    plain = helpers._zeros_if_none

    def zeros_if_none(g, x):
        if isinstance(g, torch.Tensor) and g._is_zerotensor():
            return g.detach().numpy(force=True)
        return plain(g, x)

    monkeypatch.setattr(helpers, "_zeros_if_none", zeros_if_none)


DTYPES = ["float64", "float32"]
# (shape, dim) pairs: full reduction, int, negative, tuple, size-1 and size-0 dims.
CASES = [
    ((), None),
    ((), 0),
    ((7,), None),
    ((7,), 0),
    ((3, 4), None),
    ((3, 4), 1),
    ((3, 4), -2),
    ((2, 3, 4), (0, 2)),
    ((2, 3, 4), (-1, 0)),
    ((2, 1, 3), 1),
    ((2, 0, 3), 2),
    ((2, 0, 3), 1),
]
SMOOTH = {
    "sum": lambda t, d, k: t.sum(d, keepdim=k) if d is not None else t.sum(),
    "mean": lambda t, d, k: t.mean(d, keepdim=k) if d is not None else t.mean(),
    "logsumexp": lambda t, d, k: t.logsumexp(d, keepdim=k),
    "norm": lambda t, d, k: t.norm(2, d, keepdim=k),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", CASES)
@pytest.mark.parametrize("op", list(SMOOTH))
def test_smooth_reductions(op, shape, dim, keepdim, dtype):
    f = SMOOTH[op]
    if op == "logsumexp" and dim is None:
        dim = tuple(range(len(shape)))
        if not dim:
            return  # torch.logsumexp needs a dim; logsumexp over () is covered below
    if (
        op == "mean"
        and 0 in shape
        and (dim is None or 0 in np.array(shape)[list(np.atleast_1d(dim))])
    ):
        return  # mean of an empty set: nan in both, covered by test_mean_of_empty
    check_against_torch(lambda t: f(t, dim, keepdim), shape, dtype=dtype)


def test_mean_of_empty_is_nan():
    check_against_torch(lambda t: t.mean(), (0, 3), grad=False)
    check_against_torch(lambda t: t.mean(0), (0, 3), grad=False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize(
    "shape, dim", [((1000,), None), ((37, 129), 0), ((37, 129), 1), ((4, 5, 6), (0, 2)), ((3,), 0)]
)
def test_mean_gives_numpys_bits(shape, dim, dtype):
    """Mean is NumPy's mean bit for bit (in float32 and float64 it runs as sum / n, which
    rounds as NumPy's float64 division does), keepdim or not, for values of every scale."""
    rng = np.random.default_rng(4)
    for scale in (1e-3, 1.0, 3e4):
        a = (rng.standard_normal(shape) * scale).astype(dtype)
        for keep in (False, True):
            got = cr.tensor(a).mean(dim, keepdim=keep).data
            want = np.asarray(a.mean(axis=dim, keepdims=keep))
            assert got.dtype == want.dtype and got.shape == want.shape
            assert np.asarray(got).tobytes() == want.tobytes()


def test_sum_of_bools_and_ints_is_int64():
    for x, f in [
        (np.array([True, False, True]), lambda t: t.sum()),
        (np.arange(6).reshape(2, 3), lambda t: t.sum(0)),
    ]:
        ours, ref = f(cr.tensor(x)), f(torch.from_numpy(x))
        assert ours.dtype == cr.int64 and ref.dtype == torch.int64
        np.testing.assert_array_equal(ours.data, ref.numpy())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize(
    "shape,dim", [((7,), None), ((3, 4), 1), ((2, 3, 4), (0, 2)), ((2, 3, 4), -1), ((5, 1), 1)]
)
@pytest.mark.parametrize("op", ["var", "std"])
@pytest.mark.parametrize("correction", [None, 0, 1, 2])
def test_var_std(op, shape, dim, keepdim, correction, dtype):
    if correction == 2 and shape == (5, 1):
        return  # fewer elements than the correction: torch's own gradient is inconsistent

    def f(t):
        return getattr(t, op)(dim, keepdim=keepdim, correction=correction)

    check_against_torch(f, shape, dtype=dtype)


@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std_unbiased_flag(op):
    check_against_torch(lambda t: getattr(t, op)(1, unbiased=False), (3, 4))
    check_against_torch(lambda t: getattr(t, op)(1, True), (3, 4))
    check_against_torch(lambda t: getattr(t, op)(False), (3, 4))


def test_var_of_one_element_is_nan():
    check_against_torch(lambda t: t.var(1), (3, 1), gradgrad=False)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", ["max", "min", "amax", "amin"])
@pytest.mark.parametrize("shape", [(), (7,), (3, 4), (2, 1, 3)])
def test_full_max_min(op, shape, dtype):
    check_against_torch(lambda t: getattr(t, op)(), shape, dtype=dtype)


@pytest.mark.parametrize("op", ["max", "min", "amax", "amin"])
def test_full_max_min_ties_share_gradient(op):
    x = np.array([[1.0, 3.0, 3.0], [-2.0, 3.0, -2.0]])
    check_against_torch(lambda t: getattr(t, op)(), x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize(
    "shape,dim",
    [((7,), 0), ((3, 4), 1), ((3, 4), -2), ((2, 1, 3), 1), ((2, 3, 4), 2), ((), 0), ((), -1)],
)
@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_with_dim(op, shape, dim, keepdim, dtype):
    check_against_torch(lambda t: getattr(t, op)(dim, keepdim).values, shape, dtype=dtype)
    check_against_torch(lambda t: getattr(t, op)(dim, keepdim).indices, shape, grad=False)
    check_against_torch(lambda t: getattr(t, op)(dim, keepdim)[1], shape, grad=False)


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_with_dim_gradient_goes_to_the_index(op):
    x = np.array([[1.0, 5.0, 5.0, -1.0], [2.0, 2.0, 0.0, 2.0]])
    for k in (False, True):
        check_against_torch(lambda t, k=k: getattr(t, op)(1, k).values, -x if op == "min" else x)


def test_max_min_elementwise():
    check_against_torch(lambda a, b: a.max(b), (3, 4), (4,))
    check_against_torch(lambda a, b: cr.min(a, b), (3, 4), (3, 1), torch_fn=torch.min)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize(
    "shape,dim",
    [((3, 4), 1), ((2, 3, 4), (0, 2)), ((2, 3, 4), -1), ((2, 1, 3), (1,)), ((2, 0, 3), 2)],
)
@pytest.mark.parametrize("op", ["amax", "amin"])
def test_amax_amin_with_dim(op, shape, dim, keepdim, dtype):
    check_against_torch(lambda t: getattr(t, op)(dim, keepdim), shape, dtype=dtype)


@pytest.mark.parametrize("op", ["amax", "amin"])
def test_amax_amin_ties_along_dim(op):
    x = np.array([[1.0, 4.0, 4.0, 4.0], [0.0, 0.0, 0.0, 0.0], [-1.0, -3.0, -3.0, 2.0]])
    check_against_torch(lambda t: getattr(t, op)(1), x)
    check_against_torch(lambda t: getattr(t, op)(0, keepdim=True), x)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize(
    "shape,dim",
    [
        ((), None),
        ((7,), None),
        ((3, 4), 1),
        ((2, 3, 4), -1),
        ((2, 3, 4), None),
        ((3, 1), 1),
        ((7,), 0),
    ],
)
@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_argmax_argmin(op, shape, dim, keepdim):
    out = check_against_torch(lambda t: getattr(t, op)(dim, keepdim), shape, grad=False)
    assert not out.requires_grad


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize(
    "shape,dim",
    [
        ((), None),
        ((7,), None),
        ((3, 4), 1),
        ((2, 3, 4), -1),
        ((2, 3, 4), None),
        ((3, 1), 1),
        ((2, 0, 3), 1),
    ],
)
def test_prod(shape, dim, keepdim, dtype):
    def f(t):
        return t.prod(dim, keepdim) if dim is not None else t.prod()

    check_against_torch(f, shape, dtype=dtype, low=0.5, high=1.5)
    check_against_torch(f, shape, dtype=dtype, low=-2, high=2, seed=1)


@pytest.mark.parametrize(
    "x",
    [
        np.array([2.0, 0.0, 3.0, -1.5]),
        np.array([0.0, 2.0, 0.0, -1.5]),
        np.array([0.0, 0.0, 0.0]),
        np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0], [4.0, 5.0, 6.0]]),
    ],
)
def test_prod_with_zeros(x):
    check_against_torch(lambda t: t.prod(), x)
    check_against_torch(lambda t: t.prod(-1), x)
    check_against_torch(lambda t: t.prod(0, keepdim=True), x)
    check_gradcheck(lambda t: t.prod(), x)


def test_logsumexp_is_stable_for_large_values():
    x = np.array([[1000.0, 1000.0, -1000.0], [-1e4, -1e4 + 1, -1e4 + 2]])
    check_against_torch(lambda t: t.logsumexp(1), x)
    check_against_torch(lambda t: t.logsumexp((0, 1)), x)
    check_against_torch(lambda t: t.logsumexp(1), x, dtype="float32")


def test_logsumexp_with_infinities():
    x = np.array([[-np.inf, -np.inf], [np.inf, 1.0], [-np.inf, 0.0]])
    check_against_torch(lambda t: t.logsumexp(1), x, gradgrad=False)


def test_logsumexp_scalar():
    check_against_torch(lambda t: t.logsumexp(0), ())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize(
    "shape,dim", [((7,), None), ((3, 4), 1), ((2, 3, 4), (0, 2)), ((2, 3, 4), -1), ((), None)]
)
@pytest.mark.parametrize("p", ["fro", 2, 1, math.inf, -math.inf, 3, 0.5])
def test_norm(p, shape, dim, keepdim, dtype):
    low = 0.2 if p == 0.5 else -2.0  # |x|^0.5 has no derivative at 0
    check_against_torch(lambda t: t.norm(p, dim, keepdim), shape, dtype=dtype, low=low)


@pytest.mark.parametrize("p", ["fro", 2, 1, math.inf, 3])
def test_norm_of_zero_vector_has_zero_gradient(p):
    # The second derivative at a zero norm is unbounded (torch gives nan); check the first.
    x = np.zeros((2, 3))
    check_against_torch(lambda t: t.norm(p), x, gradgrad=False)
    check_against_torch(lambda t: t.norm(p, 1), x, gradgrad=False)
    y = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 0.5]])
    check_against_torch(lambda t: t.norm(p, 1), y, gradgrad=False)


def test_norm_p0_counts_nonzeros():
    check_against_torch(lambda t: t.norm(0), np.array([0.0, 1.0, -2.0, 0.0]), grad=False)


def test_norm_ties_for_inf():
    check_against_torch(lambda t: t.norm(math.inf), np.array([3.0, -3.0, 1.0]))


GRADCHECK_OPS = {
    "sum": lambda t: t.sum((0, 2)),
    "mean": lambda t: t.mean(1, keepdim=True),
    "var": lambda t: t.var(-1),
    "std": lambda t: t.std((0, 1)),
    "max": lambda t: t.max(1).values,
    "amin": lambda t: t.amin((0, 2)),
    "prod": lambda t: t.prod(1),
    "logsumexp": lambda t: t.logsumexp(2),
    "norm2": lambda t: t.norm(dim=1),
    "norm3": lambda t: t.norm(3, dim=(1, 2)),
    "norm1": lambda t: t.norm(1),
}


@pytest.mark.parametrize("op", list(GRADCHECK_OPS))
def test_gradcheck(op):
    check_gradcheck(GRADCHECK_OPS[op], (2, 3, 4), low=0.5, high=2.0)


@settings(max_examples=25, deadline=None)
@given(
    shape=st.lists(st.integers(1, 4), min_size=0, max_size=4).map(tuple),
    data=st.data(),
    op=st.sampled_from(
        ["sum", "mean", "var", "std", "amax", "amin", "logsumexp", "norm", "prod", "max", "min"]
    ),
    keepdim=st.booleans(),
)
def test_random_shapes(shape, data, op, keepdim):
    ndim = max(len(shape), 1)
    dims = data.draw(
        st.lists(
            st.integers(-ndim, ndim - 1), min_size=1, max_size=ndim, unique_by=lambda d: d % ndim
        )
    )
    if op in ("prod", "max", "min") or len(shape) == 0:
        dim = dims[0]
    else:
        dim = tuple(dims)

    def f(t):
        if op == "norm":
            return t.norm(2, dim, keepdim)
        if op in ("max", "min"):
            return getattr(t, op)(dim, keepdim).values
        return getattr(t, op)(dim, keepdim=keepdim)

    low = 0.5 if op == "prod" else -2.0
    gradgrad = op not in ("var", "std") or all(
        s > 1 for i, s in enumerate(shape) if i in {d % ndim for d in dims}
    )
    check_against_torch(f, shape, low=low, seed=len(shape), gradgrad=gradgrad)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "op", ["sum", "mean", "amax", "logsumexp", "prod", "max", "argmax", "var", "norm"]
)
def test_out_of_range_dim(op):
    x = cr.ones(2, 3)
    args = ("fro", 2) if op == "norm" else (2,)
    with pytest.raises(IndexError, match=rf"{op}: dim 2 is out of range .* \(expected -2\.\.1\)"):
        getattr(x, op)(*args)


def test_max_of_empty_raises():
    with pytest.raises((ValueError, IndexError), match=r"max: .*\(0, 3\)"):
        cr.ones(0, 3).max()


def test_reduction_results_are_plain_numbers():
    # a closed form, independent of torch: d/dx Σx² = 2x
    x = cr.tensor([1.0, -2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    assert_close(x.grad.data, np.array([2.0, -4.0, 6.0]))


@pytest.mark.parametrize("name", ["all", "any"])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (1, False), (0, True), ((0, 2), False)])
def test_all_any_against_torch(name, dim, keepdim):
    a = np.array([[[1, 0], [2, 3]], [[0, 0], [4, 5]]])
    kw = {} if dim is None else {"dim": dim, "keepdim": keepdim}
    for arr in (a, a > 0, a.astype(np.float32)):
        ours = getattr(cr, name)(cr.tensor(arr), **kw)
        ref = getattr(torch, name)(torch.tensor(arr), **kw)
        assert ours.dtype == cr.bool and ours.shape == tuple(ref.shape)
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())
        np.testing.assert_array_equal(getattr(cr.tensor(arr), name)(**kw).numpy(), ref.numpy())


# ---------------------------------------------------------------- median
def _median(*args, **kw):
    return lambda x: (torch.median if isinstance(x, torch.Tensor) else median)(x, *args, **kw)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(7,), (8,), (3, 4), (2, 3, 5), (1,), ()])
def test_median_all_against_torch(shape, dtype):
    """The lower median of all elements; the gradient goes to it alone (no ties drawn)."""
    check_against_torch(lambda x: _median()(x) * x, shape, dtype=dtype)


def test_median_all_ties_share_the_gradient_and_even_count_takes_the_lower():
    a = np.array([[3.0, 1.0, 2.0], [2.0, 5.0, 2.0]])
    check_against_torch(lambda x: _median()(x) * x, a)
    check_against_torch(_median(), np.array([4.0, 1.0, 3.0, 2.0]))  # 2, not 2.5
    assert median(cr.tensor([4.0, 1.0, 3.0, 2.0])).item() == 2.0
    check_against_torch(_median(), np.array([3, 1, 2, 5], np.int32))


def test_median_nan_and_empty():
    nan = float("nan")
    check_against_torch(_median(), np.array([1.0, nan, 3.0]))
    check_against_torch(
        lambda x: _median(1)(x).values, np.array([[1.0, nan, 3.0, nan], [1, 2, 3, 4]])
    )
    ours, ref = (
        median(cr.tensor([[1.0, nan, 3.0, nan]]), 1),
        torch.median(torch.tensor([[1.0, nan, 3.0, nan]]), 1),
    )
    np.testing.assert_array_equal(ours.indices.numpy(), ref.indices.numpy())
    check_against_torch(_median(), np.zeros((0, 3)))
    check_against_torch(lambda x: _median(1)(x).values, np.zeros((0, 3)))
    check_against_torch(lambda x: _median(0, True)(x).values, np.zeros((4, 0)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize(
    "shape, dim",
    [
        ((7,), 0),
        ((6,), -1),
        ((3, 4), 1),
        ((3, 5), 0),
        ((2, 3, 4), -2),
        ((2, 1), 1),
        ((), 0),
        ((), -1),
    ],
)
def test_median_dim_against_torch(shape, dim, keepdim, dtype):
    """(values, indices) of the lower median along dim; values' gradient to that element."""
    out = check_against_torch(lambda x: _median(dim, keepdim)(x).values ** 2, shape, dtype=dtype)
    a = np.random.default_rng(0).uniform(-2, 2, size=shape).astype(dtype)
    ours = median(helpers.on_device(a), dim, keepdim)
    ref = torch.median(torch.tensor(a), dim, keepdim)
    assert type(ours).__name__ == "median" and ours._fields == ("values", "indices")
    assert ours.indices.dtype == cr.int64
    np.testing.assert_array_equal(helpers.host(ours.indices), ref.indices.numpy())
    np.testing.assert_array_equal(helpers.host(ours.values), ref.values.numpy())
    assert out.shape == tuple(ref.values.shape)


def test_median_dim_ints():
    a = np.array([[5, 1, 4, 2], [7, 3, 9, 8]], np.int64)
    ours, ref = median(cr.tensor(a), 1), torch.median(torch.tensor(a), 1)
    np.testing.assert_array_equal(ours.values.numpy(), ref.values.numpy())
    np.testing.assert_array_equal(ours.indices.numpy(), ref.indices.numpy())
    assert ours.values.dtype == cr.int64


def test_median_errors():
    for shape in ((3, 0), (0, 0)):
        with pytest.raises(
            IndexError, match=r"median: cannot take the median along dimension 1 of size 0"
        ):
            median(cr.tensor(np.zeros(shape)), 1)
    with pytest.raises(IndexError, match="median: dim 2 is out of range"):
        median(cr.tensor(np.zeros((3, 2))), 2)
