"""Selection against torch: gather, index_select, take_along_dim, sort, argsort, topk.

Values, dtypes, first and second-order gradients go through ``check_against_torch``; outputs are
squared (``y * y``) so that the second derivative runs through the scatter-add's own backward.
"""

import numpy as np
import pytest
import torch
from helpers import assert_close, check_against_torch, check_gradcheck, host, on_device

import chainrule as cr
from chainrule.functions.selection import (
    argsort,
    gather,
    index_select,
    sort,
    take_along_dim,
    topk,
)

DTYPES = ["float64", "float32"]


def _ints(high, shape, seed=1, low=0, dtype=np.int64):
    """Random indices in [low, high): small ranges, so repeats are certain in larger shapes."""
    return np.random.default_rng(seed).integers(low, high, size=shape).astype(dtype)


def _squared(f):
    return lambda *xs: f(*xs) * f(*xs)


# ---------------------------------------------------------------- gather
GATHER = [
    ("rows", (3, 4), 0, (5, 4)),
    ("cols", (3, 4), 1, (3, 6)),
    ("neg_dim", (3, 4), -1, (2, 3)),
    ("smaller_index", (4, 5), 0, (2, 3)),
    ("3d_mid", (2, 3, 4), -2, (2, 7, 2)),
    ("3d_last", (2, 3, 4), 2, (1, 3, 5)),
    ("1d", (5,), 0, (9,)),
    ("empty_index", (3, 4), 1, (3, 0)),
    ("size0_other", (0, 3), 1, (0, 2)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,shape,dim,ishape", GATHER, ids=[c[0] for c in GATHER])
def test_gather(name, shape, dim, ishape, dtype):
    index = _ints(shape[dim] if shape[dim] else 1, ishape)
    check_against_torch(
        _squared(lambda x, i: gather(x, dim, i)),
        shape,
        index,
        torch_fn=_squared(lambda x, i: torch.gather(x, dim, i)),
        dtype=dtype,
        requires_grad=[True, False],
    )


def test_gather_size0_dim():
    """An empty dimension to gather from, with an empty index: empty out, zero gradient."""
    check_against_torch(
        lambda x, i: gather(x, 1, i),
        (2, 0),
        np.zeros((2, 0), dtype=np.int64),
        torch_fn=lambda x, i: torch.gather(x, 1, i),
        requires_grad=[True, False],
    )


def test_gather_int32_index_and_scalar_input():
    """torch takes int32 indices too, and treats a 0-d input as one element along dim 0."""
    check_against_torch(
        _squared(lambda x, i: gather(x, 1, i)),
        (3, 4),
        _ints(4, (3, 5), dtype=np.int32),
        torch_fn=_squared(lambda x, i: torch.gather(x, 1, i)),
        requires_grad=[True, False],
    )
    check_against_torch(
        _squared(lambda x, i: gather(x, 0, i)),
        (),
        np.zeros(3, dtype=np.int64),
        torch_fn=_squared(lambda x, i: torch.gather(x, 0, i)),
        requires_grad=[True, False],
    )


def test_gather_repeated_index_accumulates():
    """Closed form: d/dx sum(gather(x, 1, index)) counts how often each element is picked."""
    x = cr.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    index = cr.tensor(np.array([[2, 2, 0, 2], [1, 1, 1, 1]]))
    (gx,) = cr.grad(gather(x, 1, index).sum(), [x])
    np.testing.assert_array_equal(host(gx), [[1.0, 0.0, 3.0], [0.0, 4.0, 0.0]])


def test_gather_list_index():
    x = cr.tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(host(gather(x, 0, [[1, 0, 1]])), [[3.0, 1.0, 5.0]])


def test_gather_gradcheck():
    index = _ints(4, (3, 6))
    check_gradcheck(_squared(lambda x, i: gather(x, 1, i)), (3, 4), index)


# ---------------------------------------------------------------- index_select
INDEX_SELECT = [
    ("rows_repeated", (4, 3), 0, [0, 2, 2, 0, 3]),
    ("cols", (3, 4), 1, [3, 1]),
    ("neg_dim", (2, 3, 4), -1, [1, 1, 1]),
    ("mid", (2, 3, 4), 1, [2, 0, 2, 1]),
    ("1d", (5,), 0, [4, 0, 4]),
    ("empty_index", (3, 4), 1, []),
    ("size0_other", (0, 3), 1, [2, 2]),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,shape,dim,idx", INDEX_SELECT, ids=[c[0] for c in INDEX_SELECT])
def test_index_select(name, shape, dim, idx, dtype):
    check_against_torch(
        _squared(lambda x, i: index_select(x, dim, i)),
        shape,
        np.array(idx, dtype=np.int64),
        torch_fn=_squared(lambda x, i: torch.index_select(x, dim, i)),
        dtype=dtype,
        requires_grad=[True, False],
    )


def test_index_select_int32_and_0d_index():
    check_against_torch(
        _squared(lambda x, i: index_select(x, 1, i)),
        (3, 4),
        np.array([3, 0, 3], dtype=np.int32),
        torch_fn=_squared(lambda x, i: torch.index_select(x, 1, i)),
        requires_grad=[True, False],
    )
    check_against_torch(
        _squared(lambda x, i: index_select(x, 0, i)),
        (3, 4),
        np.array(2, dtype=np.int64),
        torch_fn=_squared(lambda x, i: torch.index_select(x, 0, i)),
        requires_grad=[True, False],
    )


def test_index_select_repeated_index_accumulates():
    x = cr.tensor(np.arange(3.0), requires_grad=True)
    (gx,) = cr.grad(index_select(x, 0, [1, 1, 1, 2]).sum(), [x])
    np.testing.assert_array_equal(host(gx), [0.0, 3.0, 1.0])


# ---------------------------------------------------------------- take_along_dim
TAKE = [
    ("same_shape", (3, 4), (3, 4), 1),
    ("fewer_picks", (3, 4), (3, 2), -1),
    ("rows", (3, 4), (5, 4), 0),
    ("broadcast_index", (3, 4), (1, 6), 1),
    ("broadcast_input", (1, 4), (3, 2), 1),
    ("broadcast_both", (3, 1, 5), (1, 4, 2), 2),
    ("broadcast_mid", (2, 3, 1), (2, 5, 3), -2),
    ("empty", (3, 4), (3, 0), 1),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,shape,ishape,dim", TAKE, ids=[c[0] for c in TAKE])
def test_take_along_dim(name, shape, ishape, dim, dtype):
    n = shape[dim]
    check_against_torch(
        _squared(lambda x, i: take_along_dim(x, i, dim)),
        shape,
        _ints(n, ishape, low=-n),  # negative indices count from the end, as in torch
        torch_fn=_squared(lambda x, i: torch.take_along_dim(x, i, dim)),
        dtype=dtype,
        requires_grad=[True, False],
    )


@pytest.mark.parametrize("ishape", [(7,), (2, 2)])
def test_take_along_dim_flat(ishape):
    check_against_torch(
        _squared(lambda x, i: take_along_dim(x, i)),
        (3, 4),
        _ints(12, ishape),
        torch_fn=_squared(lambda x, i: torch.take_along_dim(x, i)),
        requires_grad=[True, False],
    )


def test_take_along_dim_with_argsort_sorts():
    """The classic use: take_along_dim(x, argsort(x, dim), dim) is sort(x, dim).values."""
    x = on_device(np.array([[3.0, 1.0, 2.0], [0.0, 5.0, -1.0]]))
    y = take_along_dim(x, argsort(x, 1), 1)
    np.testing.assert_array_equal(host(y), [[1.0, 2.0, 3.0], [-1.0, 0.0, 5.0]])


def test_take_along_dim_broadcast_gradient_sums():
    """Closed form: a size-1 input dimension broadcast to 3 rows gets the sum of their picks."""
    x = cr.tensor(np.array([[1.0, 2.0, 3.0]]), requires_grad=True)
    index = cr.tensor(np.array([[0], [2], [2]]))
    (gx,) = cr.grad(take_along_dim(x, index, 1).sum(), [x])
    np.testing.assert_array_equal(host(gx), [[1.0, 0.0, 2.0]])


# ---------------------------------------------------------------- sort, argsort
SORT = [((7,), 0), ((3, 5), -1), ((3, 5), 0), ((2, 3, 4), 1), ((4, 0), 1), ((0, 3), 0)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("shape,dim", SORT)
def test_sort(shape, dim, descending, dtype):
    # uniform draws: no ties, so torch's descending order is determined
    kw = dict(dim=dim, descending=descending)
    check_against_torch(
        _squared(lambda x: sort(x, **kw).values),
        shape,
        torch_fn=_squared(lambda x: torch.sort(x, **kw).values),
        dtype=dtype,
    )
    check_against_torch(
        lambda x: sort(x, **kw).indices, shape, torch_fn=lambda x: torch.sort(x, **kw).indices
    )


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("shape,dim", SORT + [((), 0)])
def test_argsort(shape, dim, descending):
    kw = dict(dim=dim, descending=descending)
    check_against_torch(
        lambda x: argsort(x, **kw), shape, torch_fn=lambda x: torch.argsort(x, **kw)
    )


@pytest.mark.parametrize("descending", [False, True])
def test_sort_ties_are_stable(descending):
    """Equal values keep their order (torch's stable=True), ascending and descending."""
    a = np.array([[2.0, 1.0, 2.0, 1.0, 3.0, 1.0], [0.0, 0.0, 0.0, 4.0, 4.0, 0.0]])
    kw = dict(dim=1, descending=descending, stable=True)
    check_against_torch(
        _squared(lambda x: sort(x, **kw).values),
        a,
        torch_fn=_squared(lambda x: torch.sort(x, **kw).values),
    )
    check_against_torch(
        lambda x: sort(x, **kw).indices, a, torch_fn=lambda x: torch.sort(x, **kw).indices
    )


@pytest.mark.parametrize("descending", [False, True])
def test_sort_nan_is_largest(descending):
    a = np.array([1.0, np.nan, -2.0, 0.5])
    ours = sort(on_device(a), descending=descending)
    ref = torch.sort(torch.from_numpy(a), descending=descending)
    assert_close(ours.values, ref.values, what="values")
    np.testing.assert_array_equal(host(ours.indices), ref.indices.numpy())


def test_sort_integers_and_scalar():
    a = np.array([[5, -1, 3], [2, 2, 0]], dtype=np.int64)
    for descending in (False, True):
        ours = sort(on_device(a), 1, descending, stable=True)
        ref = torch.sort(torch.from_numpy(a), dim=1, descending=descending, stable=True)
        assert ours.values.dtype == np.int64 and ours.indices.dtype == np.int64
        np.testing.assert_array_equal(host(ours.values), ref.values.numpy())
        np.testing.assert_array_equal(host(ours.indices), ref.indices.numpy())
    check_against_torch(
        _squared(lambda x: sort(x).values), (), torch_fn=_squared(lambda x: torch.sort(x).values)
    )
    check_against_torch(lambda x: sort(x).indices, (), torch_fn=lambda x: torch.sort(x).indices)


def test_sort_is_a_named_tuple_with_constant_indices():
    x = on_device(np.array([3.0, 1.0, 2.0]))
    x.requires_grad = True
    r = sort(x)
    assert isinstance(r, tuple) and r._fields == ("values", "indices")
    values, indices = r
    assert values is r.values and indices is r.indices
    assert values.requires_grad and not indices.requires_grad
    assert indices.dtype == np.int64
    np.testing.assert_array_equal(host(indices), [1, 2, 0])


def test_sort_gradcheck():
    check_gradcheck(_squared(lambda x: sort(x, 0, descending=True).values), (5, 3))


# ---------------------------------------------------------------- topk
TOPK = [((7,), 3, 0), ((3, 5), 2, -1), ((3, 5), 3, 0), ((2, 3, 4), 4, 2), ((3, 4), 0, 1)]
TOPK += [((3, 4), 4, 1), ((0, 4), 2, 1)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("shape,k,dim", TOPK)
def test_topk(shape, k, dim, largest, dtype):
    kw = dict(k=k, dim=dim, largest=largest, sorted=True)
    check_against_torch(
        _squared(lambda x: topk(x, **kw).values),
        shape,
        torch_fn=_squared(lambda x: torch.topk(x, **kw).values),
        dtype=dtype,
    )
    check_against_torch(
        lambda x: topk(x, **kw).indices, shape, torch_fn=lambda x: torch.topk(x, **kw).indices
    )


def test_topk_closed_form_gradient():
    """Gradient of sum(top-2 values): 1 at the two largest elements, 0 elsewhere."""
    x = cr.tensor(np.array([[0.5, 3.0, -1.0, 2.0]]), requires_grad=True)
    values, indices = topk(x, 2)
    np.testing.assert_array_equal(host(values), [[3.0, 2.0]])
    np.testing.assert_array_equal(host(indices), [[1, 3]])
    (gx,) = cr.grad(values.sum(), [x])
    np.testing.assert_array_equal(host(gx), [[0.0, 1.0, 0.0, 1.0]])


# ---------------------------------------------------------------- errors
X = np.arange(6.0).reshape(2, 3)


@pytest.mark.parametrize(
    "call,error,match",
    [
        (lambda x: gather(x, 1, np.array([[1.0]])), TypeError, "int32 or int64.*float64"),
        (lambda x: gather(x, 1, np.array([[1]], np.int16)), TypeError, "got int16"),
        (lambda x: gather(x, 1, np.array([1])), ValueError, r"index shape \(1,\).*\(2, 3\)"),
        (
            lambda x: gather(x, 1, np.zeros((3, 1), np.int64)),
            ValueError,
            r"index shape \(3, 1\) is larger than input shape \(2, 3\) at dimension 0",
        ),
        (lambda x: gather(x, 1, np.array([[3]])), IndexError, "index 3 .* dimension 1 with size 3"),
        (lambda x: gather(x, 1, np.array([[-1]])), IndexError, "index -1 .* size 3"),
        (lambda x: gather(x, 2, np.array([[0]])), IndexError, r"dim 2 .*expected -2\.\.1"),
        (lambda x: index_select(x, 1, np.array([[1]])), ValueError, r"1-D, got shape \(1, 1\)"),
        (lambda x: index_select(x, 0, np.array([2])), IndexError, "index 2 .* size 2"),
        (lambda x: index_select(x, 0, np.array([0.0])), TypeError, "got float64"),
        (lambda x: index_select(x, -3, np.array([0])), IndexError, r"dim -3 .*expected -2\.\.1"),
        (
            lambda x: take_along_dim(x, np.array([[1]], np.int32), 1),
            TypeError,
            "int64, got int32",
        ),
        (
            lambda x: take_along_dim(x, np.array([1]), 1),
            ValueError,
            r"input shape \(2, 3\) and indices shape \(1,\)",
        ),
        (
            lambda x: take_along_dim(x, np.zeros((3, 1), np.int64), 1),
            ValueError,
            r"\(2, 3\) and indices shape \(3, 1\) don't broadcast at dimension 0: 2 != 3",
        ),
        (lambda x: take_along_dim(x, np.array([[-4]]), 1), IndexError, "index -4 .* size 3"),
        (lambda x: take_along_dim(x, np.array([[-2, 3]]), 1), IndexError, "index 3 .* size 3"),
        (lambda x: sort(x, 2), IndexError, r"sort: dim 2 .*expected -2\.\.1"),
        (lambda x: argsort(x, -3), IndexError, r"argsort: dim -3"),
        (lambda x: topk(x, 4), ValueError, r"k \(4\) .* dimension 1 of size 3"),
        (lambda x: topk(x, 3, dim=0), ValueError, r"k \(3\) .* dimension 0 of size 2"),
        (lambda x: topk(x, -1), ValueError, r"k \(-1\)"),
        (lambda x: topk(x, 1, dim=2), IndexError, r"topk: dim 2"),
    ],
)
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call(cr.tensor(X))


def test_scalar_inputs():
    """torch treats a 0-d input as one element: topk with k = 1 and index_select give it back."""
    check_against_torch(
        _squared(lambda x: topk(x, 1).values), (), torch_fn=_squared(lambda x: torch.topk(x, 1)[0])
    )
    check_against_torch(
        _squared(lambda x, i: index_select(x, 0, i)),
        (),
        np.array([0]),
        torch_fn=_squared(lambda x, i: torch.index_select(x, 0, i)),
        requires_grad=[True, False],
    )
