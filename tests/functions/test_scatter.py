"""Scatter and its kin against torch: scatter, scatter_add, masked_select, nonzero, argwhere,
count_nonzero, meshgrid; index_add, index_copy, index_fill, index_put, put, masked_scatter and
scatter_reduce.

Values, dtypes, first and second-order gradients go through ``check_against_torch``; outputs are
squared (``y * y``) so that the second derivative runs through the gradients' own graphs.
"""

import helpers
import numpy as np
import pytest
import torch
from helpers import assert_close, check_against_torch, check_gradcheck, host, on_device

import chainrule as cr
from chainrule.functions.scatter import (
    argwhere,
    count_nonzero,
    index_add,
    index_copy,
    index_fill,
    index_put,
    masked_scatter,
    masked_select,
    meshgrid,
    nonzero,
    put,
    scatter,
    scatter_add,
)

DTYPES = ["float64", "float32"]


def _ints(high, shape, seed=1):
    """Random indices in [0, high): small ranges, so repeats are certain in larger shapes."""
    return np.random.default_rng(seed).integers(0, high, size=shape).astype(np.int64)


def _distinct(size, ishape, axis, seed=1):
    """An index of shape ``ishape`` whose entries along ``axis`` are distinct in [0, size):
    scatter's result is unspecified where a place is written twice."""
    full = list(ishape)
    full[axis] = size
    order = np.argsort(np.random.default_rng(seed).uniform(size=full), axis=axis)
    return np.take(order, np.arange(ishape[axis]), axis=axis).astype(np.int64)


def _squared(f):
    return lambda *xs: f(*xs) * f(*xs)


# ---------------------------------------------------------------- scatter
SCATTER = [
    ("rows", (3, 4), 0, (2, 4)),
    ("cols", (3, 4), 1, (3, 4)),
    ("neg_dim_smaller", (3, 5), -1, (2, 3)),
    ("3d_mid", (2, 3, 4), -2, (2, 2, 3)),
    ("3d_first", (4, 2, 3), 0, (3, 2, 1)),
    ("1d", (5,), 0, (3,)),
    ("empty_index", (3, 4), 1, (3, 0)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,shape,dim,ishape", SCATTER, ids=[c[0] for c in SCATTER])
def test_scatter_src(name, shape, dim, ishape, dtype):
    index = _distinct(shape[dim], ishape, dim)
    check_against_torch(
        _squared(lambda x, i, s: scatter(x, dim, i, s)),
        shape,
        index,
        ishape,
        torch_fn=_squared(lambda x, i, s: torch.scatter(x, dim, i, s)),
        dtype=dtype,
        requires_grad=[True, False, True],
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,shape,dim,ishape", SCATTER, ids=[c[0] for c in SCATTER])
def test_scatter_value(name, shape, dim, ishape, dtype):
    """A number is written everywhere index points, repeats or not; input gets gy elsewhere."""
    index = _ints(shape[dim], ishape)
    check_against_torch(
        _squared(lambda x, i: scatter(x, dim, i, -1.5)),
        shape,
        index,
        torch_fn=_squared(lambda x, i: torch.scatter(x, dim, i, -1.5)),
        dtype=dtype,
        requires_grad=[True, False],
    )
    check_against_torch(
        lambda x, i: scatter(x, dim, i, value=2.0),
        shape,
        index,
        torch_fn=lambda x, i: torch.scatter(x, dim, i, value=2.0),
        dtype=dtype,
        requires_grad=[True, False],
    )


def test_scatter_0d_and_int_inputs():
    check_against_torch(
        _squared(lambda x, i, s: scatter(x, 0, i, s)),
        (),
        np.array(0),
        (),
        torch_fn=_squared(lambda x, i, s: torch.scatter(x, 0, i, s)),
        requires_grad=[True, False, True],
    )
    a = np.arange(12, dtype=np.int32).reshape(3, 4)
    index = _distinct(3, (2, 4), 0)
    check_against_torch(
        lambda x, i, s: scatter(x, 0, i, s),
        a,
        index,
        -a[:2],
        torch_fn=lambda x, i, s: torch.scatter(x, 0, i, s),
    )
    check_against_torch(
        lambda x, i: scatter(x, 0, i, 7), a, index, torch_fn=lambda x, i: torch.scatter(x, 0, i, 7)
    )


def test_scatter_src_larger_than_index():
    """src's block beyond index is never read: its gradient is 0 there. (torch's backward
    refuses this case, so the gradient is checked against the closed form.)"""
    index = np.array([[2, 0, 1], [0, 1, 2]])  # shape (2, 3), distinct along dim 0
    src = np.arange(20.0).reshape(4, 5)
    out = check_against_torch(
        lambda x, i, s: scatter(x, 0, i, s),
        (3, 4),
        index,
        src,
        torch_fn=lambda x, i, s: torch.scatter(x, 0, i, s),
        grad=False,
    )
    assert out.shape == (3, 4)
    x = cr.tensor(np.zeros((3, 4)), requires_grad=True, device=helpers.DEVICE)
    s = cr.tensor(src, requires_grad=True, device=helpers.DEVICE)
    g = np.arange(12.0).reshape(3, 4) + 1
    gx, gs = cr.grad(scatter(x, 0, cr.tensor(index), s), [x, s], on_device(g))
    want_s = np.zeros((4, 5))
    want_s[:2, :3] = np.take_along_axis(g[:, :3], index, axis=0)
    want_x = g.copy()
    want_x[index, np.arange(3)] = 0
    assert_close(gs, want_s)
    assert_close(gx, want_x)


def test_scatter_gradcheck():
    index = _distinct(4, (3, 2), 0)
    check_gradcheck(lambda x, s: scatter(x, 0, cr.tensor(index), s) ** 2, (4, 2), (3, 2))


# ---------------------------------------------------------------- scatter_add
SCATTER_ADD = SCATTER + [("repeats", (3, 4), 0, (7, 4)), ("repeats_last", (2, 3), -1, (2, 9))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,shape,dim,ishape", SCATTER_ADD, ids=[c[0] for c in SCATTER_ADD])
def test_scatter_add(name, shape, dim, ishape, dtype):
    """Repeated places accumulate; src gets gy gathered at index, input gets all of gy."""
    index = _ints(shape[dim], ishape)
    check_against_torch(
        _squared(lambda x, i, s: scatter_add(x, dim, i, s)),
        shape,
        index,
        ishape,
        torch_fn=_squared(lambda x, i, s: torch.scatter_add(x, dim, i, s)),
        dtype=dtype,
        requires_grad=[True, False, True],
    )


def test_scatter_add_accumulates_in_closed_form():
    x = cr.tensor(np.zeros(3), requires_grad=True)
    s = cr.tensor(np.array([1.0, 2.0, 4.0, 8.0]), requires_grad=True)
    y = scatter_add(x, 0, cr.tensor(np.array([2, 0, 2, 2])), s)
    np.testing.assert_array_equal(host(y), [2.0, 0.0, 13.0])
    gx, gs = cr.grad(y, [x, s], on_device(np.array([10.0, 20.0, 30.0])))
    np.testing.assert_array_equal(host(gx), [10.0, 20.0, 30.0])
    np.testing.assert_array_equal(host(gs), [30.0, 10.0, 30.0, 30.0])


def test_scatter_add_ints_and_0d():
    a = np.arange(6, dtype=np.int64).reshape(2, 3)
    check_against_torch(
        lambda x, i, s: scatter_add(x, 1, i, s),
        a,
        _ints(3, (2, 5)),
        np.ones((2, 5), np.int64),
        torch_fn=lambda x, i, s: torch.scatter_add(x, 1, i, s),
    )
    check_against_torch(
        _squared(lambda x, i, s: scatter_add(x, -1, i, s)),
        (),
        np.array(0),
        (),
        torch_fn=_squared(lambda x, i, s: torch.scatter_add(x, -1, i, s)),
        requires_grad=[True, False, True],
    )


def test_scatter_add_gradcheck():
    index = _ints(3, (5, 2))
    check_gradcheck(lambda x, s: scatter_add(x, 0, cr.tensor(index), s) ** 2, (3, 2), (5, 2))


@pytest.mark.parametrize("op", [scatter, scatter_add])
def test_scatter_errors(op):
    name = op.__name__
    x, s = cr.tensor(np.zeros((3, 4))), cr.tensor(np.ones((3, 4)))
    with pytest.raises(TypeError, match=rf"{name}: expected an index of dtype int64, got int32"):
        op(x, 0, cr.tensor(np.zeros((3, 4), np.int32)), s)
    with pytest.raises(ValueError, match=r"index shape \(4,\) for input shape \(3, 4\)"):
        op(x, 0, cr.tensor(np.zeros(4, np.int64)), s)
    with pytest.raises(ValueError, match=r"index shape \(2, 4\) for src shape \(4,\)"):
        op(x, 0, cr.tensor(np.zeros((2, 4), np.int64)), cr.tensor(np.ones(4)))
    with pytest.raises(ValueError, match=r"index shape \(3, 5\) must be no larger than input"):
        op(x, 0, cr.tensor(np.zeros((3, 5), np.int64)), cr.tensor(np.ones((3, 5))))
    with pytest.raises(ValueError, match=r"index shape \(3, 4\) .* src shape \(2, 4\)"):
        op(x, 0, cr.tensor(np.zeros((3, 4), np.int64)), cr.tensor(np.ones((2, 4))))
    with pytest.raises(IndexError, match=rf"{name}: index 5 is out of bounds for dimension 1"):
        op(x, 1, cr.tensor(np.full((3, 4), 5)), s)
    with pytest.raises(TypeError, match=r"expected src dtype float64 .*, got float32"):
        op(x, 0, cr.tensor(np.zeros((3, 4), np.int64)), cr.tensor(np.ones((3, 4), np.float32)))
    with pytest.raises(IndexError, match=r"dim 2 is out of range"):
        op(x, 2, cr.tensor(np.zeros((3, 4), np.int64)), s)


def test_scatter_needs_src_or_value():
    with pytest.raises(TypeError, match="scatter: expected src"):
        scatter(cr.tensor(np.zeros(3)), 0, cr.tensor(np.array([0])))


# ---------------------------------------------------------------- masked_select
MASKED = [
    ("same", (3, 4), (3, 4)),
    ("mask_row", (3, 4), (4,)),
    ("mask_col", (2, 3, 4), (3, 1)),
    ("input_broadcast", (4,), (3, 4)),
    ("both_broadcast", (3, 1), (1, 5)),
    ("scalar", (), ()),
    ("scalar_input", (), (2, 3)),
    ("empty", (0, 3), (3,)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,shape,mshape", MASKED, ids=[c[0] for c in MASKED])
def test_masked_select(name, shape, mshape, dtype):
    """A broadcast input gets the gradient of every copy the mask picks, summed."""
    mask = np.asarray(np.random.default_rng(3).uniform(size=mshape) < 0.6)
    check_against_torch(
        _squared(masked_select),
        shape,
        mask,
        torch_fn=_squared(torch.masked_select),
        dtype=dtype,
    )


def test_masked_select_all_or_nothing_and_ints():
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    for mask in (np.ones((2, 3), bool), np.zeros((2, 3), bool), np.array([True, False, True])):
        check_against_torch(masked_select, a, mask, torch_fn=torch.masked_select)


def test_masked_select_errors():
    x = cr.tensor(np.zeros((3, 4)))
    with pytest.raises(TypeError, match="masked_select: expected a bool mask, got dtype int64"):
        masked_select(x, cr.tensor(np.ones((3, 4), np.int64)))
    with pytest.raises(ValueError, match=r"masked_select: shapes \(3, 4\) and \(3,\) cannot"):
        masked_select(x, cr.tensor(np.ones(3, bool)))


# ---------------------------------------------------------------- nonzero, count_nonzero
ARRAYS = [
    np.array([[0, 3, 0], [4, 0, -1]], np.int64),
    np.array([[[True, False], [False, False]], [[True, True], [False, True]]]),
    np.array([0.0, -2.5, 0.0, 1e-300, np.nan]),
    np.array(7.0),
    np.array(0, np.int32),
    np.zeros((2, 0)),
    np.zeros((3, 2)),
]


@pytest.mark.parametrize("a", ARRAYS, ids=[f"{a.dtype}{a.shape}" for a in ARRAYS])
def test_nonzero_and_argwhere(a):
    check_against_torch(nonzero, a, torch_fn=torch.nonzero)
    check_against_torch(argwhere, a, torch_fn=torch.argwhere)
    ours = nonzero(on_device(a), as_tuple=True)
    ref = torch.nonzero(torch.tensor(a), as_tuple=True)
    assert len(ours) == len(ref)
    for o, r in zip(ours, ref):
        assert o.dtype == cr.int64
        np.testing.assert_array_equal(host(o), r.numpy())


@pytest.mark.parametrize("a", ARRAYS, ids=[f"{a.dtype}{a.shape}" for a in ARRAYS])
def test_count_nonzero(a):
    dims = [None] + list(range(-a.ndim, a.ndim)) + ([(0, -1)] if a.ndim > 1 else [])
    for dim in dims:
        check_against_torch(
            lambda x, d=dim: count_nonzero(x, d),
            a,
            torch_fn=lambda x, d=dim: torch.count_nonzero(x, d),
        )


def test_count_nonzero_errors():
    x = cr.tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"count_nonzero: dim \(0, -2\) names a dimension"):
        count_nonzero(x, (0, -2))
    with pytest.raises(IndexError, match="count_nonzero: dim 2 is out of range"):
        count_nonzero(x, 2)


def test_nonzero_has_no_gradient():
    x = cr.tensor(np.array([1.0, 0.0, 2.0]), requires_grad=True)
    for out in (nonzero(x), argwhere(x), count_nonzero(x), *nonzero(x, as_tuple=True)):
        assert not out.requires_grad and out.dtype == cr.int64


# ---------------------------------------------------------------- meshgrid
def _grids(lib, indexing):
    """A function of the inputs that uses every grid, nonlinearly."""

    def f(*ts):
        gs = lib.meshgrid(*ts, indexing=indexing)
        out = gs[0] * gs[0]
        for g in gs[1:]:
            out = out * g + g
        return out

    return f


class _Ours:
    meshgrid = staticmethod(meshgrid)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("indexing", ["ij", "xy"])
@pytest.mark.parametrize(
    "shapes", [[(3,), (4,)], [(2,), (3,), (4,)], [(5,)], [(), (3,)], [(2,), (0,)], [(1,), (3,)]]
)
def test_meshgrid(shapes, indexing, dtype):
    check_against_torch(
        _grids(_Ours, indexing), *shapes, torch_fn=_grids(torch, indexing), dtype=dtype
    )


def test_meshgrid_shapes_list_form_and_default():
    a, b, c = (on_device(np.arange(n, dtype=np.float32)) for n in (2, 3, 4))
    assert [g.shape for g in meshgrid(a, b, c, indexing="xy")] == [(3, 2, 4)] * 3
    assert [g.shape for g in meshgrid([a, b, c])] == [(2, 3, 4)] * 3
    x, y = meshgrid(a, b, indexing="xy")
    rx, ry = torch.meshgrid(torch.arange(2.0), torch.arange(3.0), indexing="xy")
    np.testing.assert_array_equal(host(x), rx.numpy())
    np.testing.assert_array_equal(host(y), ry.numpy())


def test_meshgrid_errors():
    a = cr.tensor(np.zeros(2))
    with pytest.raises(ValueError, match=r"meshgrid: expected 0-d or 1-D .* shape \(2, 2\)"):
        meshgrid(a, cr.tensor(np.zeros((2, 2))))
    with pytest.raises(TypeError, match="tensor 0 is float64 and tensor 1 is float32"):
        meshgrid(a, cr.tensor(np.zeros(3, np.float32)))
    with pytest.raises(ValueError, match='meshgrid: indexing must be "ij" or "xy", got \'ab\''):
        meshgrid(a, a, indexing="ab")
    with pytest.raises(ValueError, match="meshgrid: expected a non-empty sequence"):
        meshgrid()


# ---------------------------------------------------------------- index_add, index_copy
INDEX_OPS = [
    ("rows", (4, 3), 0, [3, 0, 3, 1, 3]),
    ("cols_neg_dim", (2, 5), -1, [4, 1]),
    ("3d_mid", (2, 4, 3), 1, [0, 2, 2, 3, 1, 0]),
    ("1d", (5,), 0, [1, 1, 4]),
    ("empty_index", (3, 2), 0, []),
    ("empty_input", (0, 3), 1, [2, 0]),
]


def _source_shape(shape, dim, n):
    d = dim % len(shape)
    return shape[:d] + (n,) + shape[d + 1 :]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("alpha", [1, 2.5, -1])
@pytest.mark.parametrize("name,shape,dim,index", INDEX_OPS, ids=[c[0] for c in INDEX_OPS])
def test_index_add(name, shape, dim, index, alpha, dtype):
    """Repeated indices accumulate; source gets alpha · gy at index."""
    idx = np.array(index, dtype=np.int64)
    check_against_torch(
        _squared(lambda x, i, s: index_add(x, dim, i, s, alpha=alpha)),
        shape,
        idx,
        _source_shape(shape, dim, len(index)),
        torch_fn=_squared(lambda x, i, s: torch.index_add(x, dim, i, s, alpha=alpha)),
        dtype=dtype,
        requires_grad=[True, False, True],
    )


def test_index_add_ints_int32_index_and_0d():
    a = np.arange(6, dtype=np.int64).reshape(3, 2)
    check_against_torch(
        lambda x, i, s: index_add(x, 0, i, s, alpha=3),
        a,
        np.array([2, 2], np.int32),
        np.ones((2, 2), np.int64),
        torch_fn=lambda x, i, s: torch.index_add(x, 0, i, s, alpha=3),
    )
    check_against_torch(
        _squared(lambda x, i, s: index_add(x, 0, i, s)),
        (),
        np.array([0]),
        (),
        torch_fn=_squared(lambda x, i, s: torch.index_add(x, 0, i, s)),
        requires_grad=[True, False, True],
    )


def test_index_add_closed_form_and_gradcheck():
    x = on_device(np.zeros(3)).requires_grad_()
    s = on_device(np.array([1.0, 2.0, 4.0])).requires_grad_()
    y = index_add(x, 0, on_device(np.array([2, 0, 2])), s, alpha=2)
    np.testing.assert_array_equal(host(y), [4.0, 0.0, 10.0])
    gx, gs = cr.grad(y, [x, s], on_device(np.array([10.0, 20.0, 30.0])))
    np.testing.assert_array_equal(host(gx), [10.0, 20.0, 30.0])
    np.testing.assert_array_equal(host(gs), [60.0, 20.0, 60.0])
    idx = cr.tensor([1, 1, 0])
    check_gradcheck(lambda x, s: index_add(x, 1, idx, s, alpha=0.5) ** 2, (2, 3), (2, 3))


DISTINCT_OPS = [
    ("rows", (4, 3), 0, [3, 0, 1]),
    ("cols_neg_dim", (2, 5), -1, [4, 1]),
    ("3d_mid", (2, 4, 3), 1, [2, 0, 3]),
    ("1d_all", (3,), 0, [2, 0, 1]),
    ("empty_index", (3, 2), 0, []),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,shape,dim,index", DISTINCT_OPS, ids=[c[0] for c in DISTINCT_OPS])
def test_index_copy(name, shape, dim, index, dtype):
    idx = np.array(index, dtype=np.int64)
    check_against_torch(
        _squared(lambda x, i, s: index_copy(x, dim, i, s)),
        shape,
        idx,
        _source_shape(shape, dim, len(index)),
        torch_fn=_squared(lambda x, i, s: torch.index_copy(x, dim, i, s)),
        dtype=dtype,
        requires_grad=[True, False, True],
    )


def test_index_copy_gradcheck():
    idx = cr.tensor([2, 0])
    check_gradcheck(lambda x, s: index_copy(x, 0, idx, s) ** 2, (3, 2), (2, 2))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,shape,dim,index", INDEX_OPS, ids=[c[0] for c in INDEX_OPS])
def test_index_fill_number(name, shape, dim, index, dtype):
    check_against_torch(
        _squared(lambda x, i: index_fill(x, dim, i, -2.5)),
        shape,
        np.array(index, dtype=np.int64),
        torch_fn=_squared(lambda x, i: torch.index_fill(x, dim, i, -2.5)),
        dtype=dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_index_fill_tensor_value(dtype):
    """A 0-d tensor value receives gy summed over the filled places."""
    check_against_torch(
        _squared(lambda x, i, v: index_fill(x, 1, i, v)),
        (3, 4),
        np.array([3, 0, 3], np.int64),
        (),
        torch_fn=_squared(lambda x, i, v: torch.index_fill(x, 1, i, v)),
        dtype=dtype,
    )


def test_index_fill_keeps_int_dtype():
    a = np.arange(6, dtype=np.int64).reshape(2, 3)
    check_against_torch(
        lambda x, i: index_fill(x, 1, i, 7),
        a,
        np.array([1], np.int64),
        torch_fn=lambda x, i: torch.index_fill(x, 1, i, 7),
    )


@pytest.mark.parametrize("op", [index_add, index_copy])
def test_index_add_copy_errors(op):
    name, x = op.__name__, cr.tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=rf"{name}: source shape \(2, 4\) must be input shape "):
        op(x, 1, cr.tensor([0, 1]), cr.tensor(np.ones((2, 4))))
    with pytest.raises(ValueError, match=rf"{name}: index must be 0-d or 1-D, got shape \(1, 2\)"):
        op(x, 0, cr.tensor([[0, 1]]), cr.tensor(np.ones((2, 4))))
    with pytest.raises(IndexError, match=rf"{name}: index 3 is out of bounds for dimension 0"):
        op(x, 0, cr.tensor([3]), cr.tensor(np.ones((1, 4))))
    with pytest.raises(IndexError, match=rf"{name}: index -1 is out of bounds"):
        op(x, 0, cr.tensor([-1]), cr.tensor(np.ones((1, 4))))
    with pytest.raises(TypeError, match=rf"{name}: expected an index of dtype int32 or int64"):
        op(x, 0, cr.tensor([0.0]), cr.tensor(np.ones((1, 4))))
    with pytest.raises(TypeError, match=rf"{name}: expected source dtype float64"):
        op(x, 0, cr.tensor([0]), cr.tensor(np.ones((1, 4), np.float32)))
    with pytest.raises(IndexError, match=rf"{name}: dim 2 is out of range"):
        op(x, 2, cr.tensor([0]), cr.tensor(np.ones((1, 4))))


def test_index_fill_errors():
    x = cr.zeros(2, 3)
    with pytest.raises(IndexError, match=r"index_fill: index 3 is out of bounds for dimension 1"):
        index_fill(x, 1, cr.tensor([3]), 1.0)
    with pytest.raises(ValueError, match=r"index_fill: value must be a number or a 0-d tensor"):
        index_fill(x, 1, cr.tensor([0]), cr.zeros(2))


# ---------------------------------------------------------------- index_put, put
def _as_index(i):
    return on_device(i) if isinstance(i, np.ndarray) else i


PUTS = [
    ("rows", (4, 3), (np.array([3, 0]),), (2, 3)),
    ("pairs", (4, 3), (np.array([3, 0, 1]), np.array([2, 2, 0])), (3,)),
    ("pairs_broadcast_value", (4, 3), (np.array([[1], [2]]), np.array([0, 2])), ()),
    ("value_row", (4, 3), (np.array([1, 2]),), (3,)),
    ("mask", (3, 4), (np.array([True, False, True]),), (1, 4)),
    ("mask_full", (2, 3), (np.array([[True, False, True], [False, False, True]]),), (3,)),
    ("negative", (4,), (np.array([-1, 0]),), (2,)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,shape,indices,vshape", PUTS, ids=[c[0] for c in PUTS])
def test_index_put(name, shape, indices, vshape, dtype):
    for acc in (False, True):
        check_against_torch(
            _squared(lambda x, v, acc=acc: index_put(x, tuple(map(_as_index, indices)), v, acc)),
            shape,
            vshape,
            torch_fn=_squared(
                lambda x, v, acc=acc: torch.index_put(
                    x, tuple(map(torch.from_numpy, indices)), v, acc
                )
            ),
            dtype=dtype,
        )


def test_index_put_accumulates_repeats():
    idx = (np.array([0, 2, 0, 0]), np.array([1, 1, 1, 0]))
    check_against_torch(
        _squared(lambda x, v: index_put(x, tuple(map(_as_index, idx)), v, True)),
        (3, 2),
        (4,),
        torch_fn=_squared(
            lambda x, v: torch.index_put(x, tuple(map(torch.from_numpy, idx)), v, True)
        ),
    )


def test_index_put_errors():
    x = cr.zeros(3, 4)
    with pytest.raises(ValueError, match=r"index_put: .*\(3,\).*\(2, 4\)"):
        index_put(x, (cr.tensor([0, 1]),), cr.zeros(3))
    with pytest.raises(IndexError, match=r"index_put: .*input shape \(3, 4\)"):
        index_put(x, (cr.tensor([5]),), cr.zeros(4))
    with pytest.raises(TypeError, match=r"index_put: expected values dtype float32"):
        index_put(x, (cr.tensor([0]),), cr.zeros(4, dtype="float64"))
    with pytest.raises(TypeError, match=r"index_put: indices must be a tuple of tensors"):
        index_put(x, cr.tensor([0]), cr.zeros(4))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("accumulate", [False, True])
@pytest.mark.parametrize(
    "shape,index,sshape",
    [
        ((2, 3), [[5, 0], [-1, 2]], (4,)),
        ((4,), [3, 1], (1, 2)),
        ((), [0], (1,)),
        ((2, 2), np.zeros((0,), np.int64), (0,)),
    ],
)
def test_put(shape, index, sshape, accumulate, dtype):
    index = np.asarray(index, np.int64)
    check_against_torch(
        _squared(lambda x, i, s: put(x, i, s, accumulate)),
        shape,
        index,
        sshape,
        torch_fn=_squared(lambda x, i, s: torch.put(x, i, s, accumulate)),
        dtype=dtype,
        requires_grad=[True, False, True],
    )


def test_put_accumulates_repeats():
    check_against_torch(
        _squared(lambda x, i, s: put(x, i, s, True)),
        (2, 2),
        np.array([3, 0, 3, -1], np.int64),
        (4,),
        torch_fn=_squared(lambda x, i, s: torch.put(x, i, s, True)),
        requires_grad=[True, False, True],
    )


def test_put_errors():
    x = cr.zeros(2, 3)
    with pytest.raises(ValueError, match=r"put: index has 2 elements but source has 3"):
        put(x, cr.tensor([0, 1]), cr.zeros(3))
    with pytest.raises(IndexError, match=r"put: index 6 is out of bounds"):
        put(x, cr.tensor([6]), cr.zeros(1))
    with pytest.raises(IndexError, match=r"put: index -7 is out of bounds"):
        put(x, cr.tensor([-7]), cr.zeros(1))
    with pytest.raises(TypeError, match=r"put: expected source dtype float32"):
        put(x, cr.tensor([0]), cr.zeros(1, dtype="float64"))


# ---------------------------------------------------------------- masked_scatter
MSCATTER = [
    ("same", (3, 4), (3, 4), (12,)),
    ("mask_row", (3, 4), (4,), (3, 5)),
    ("input_broadcast", (4,), (3, 4), (20,)),
    ("both_broadcast", (3, 1), (1, 5), (16,)),
    ("scalar", (), (), (2,)),
    ("empty", (0, 3), (3,), (1,)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,shape,mshape,sshape", MSCATTER, ids=[c[0] for c in MSCATTER])
def test_masked_scatter(name, shape, mshape, sshape, dtype):
    mask = np.random.default_rng(3).uniform(size=mshape) < 0.5
    if name == "scalar":
        mask = np.array(True)
    check_against_torch(
        _squared(lambda x, m, s: masked_scatter(x, m, s)),
        shape,
        mask,
        sshape,
        torch_fn=_squared(lambda x, m, s: torch.masked_scatter(x, m, s)),
        dtype=dtype,
    )


def test_masked_scatter_errors():
    x = cr.zeros(2, 3)
    with pytest.raises(ValueError, match=r"masked_scatter: mask has 6 true places but source"):
        masked_scatter(x, cr.ones(2, 3).bool(), cr.zeros(5))
    with pytest.raises(TypeError, match=r"masked_scatter: expected a bool mask"):
        masked_scatter(x, cr.ones(2, 3), cr.zeros(6))
    with pytest.raises(ValueError, match=r"masked_scatter: shapes \(2, 3\) and \(2,\) cannot"):
        masked_scatter(x, cr.ones(2).bool(), cr.zeros(6))
    with pytest.raises(TypeError, match=r"masked_scatter: expected source dtype float32"):
        masked_scatter(x, cr.ones(2, 3).bool(), cr.zeros(6, dtype="float64"))
