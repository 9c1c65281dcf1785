"""Joining, splitting and rearranging against torch: hstack, vstack, dstack, column_stack,
atleast_nd, tensor_split and hsplit/vsplit/dsplit, swapaxes, t, ravel, select, broadcast_*,
repeat_interleave, rot90, fliplr/flipud, take, cartesian_prod, combinations, tril/triu_indices,
vander, and select/slice/diagonal_scatter.

Values, dtypes, first and second-order gradients go through ``check_against_torch``; outputs
are squared (``y * y``) so that the second derivative runs through the gradients' own graphs.
"""

import numpy as np
import pytest
import torch
from helpers import assert_close, check_against_torch, check_gradcheck, host

import chainrule as cr
from chainrule.functions import joining as J

DTYPES = ["float64", "float32"]


def _sq(f):
    return lambda *xs: f(*xs) * f(*xs)


def _cat_outputs(f):
    """A function returning a tuple of tensors, as one tensor (flattened pieces, joined), so
    that check_against_torch compares every piece and its gradient."""

    def g(*xs):
        outs = f(*xs)
        lib = cr if isinstance(xs[0], cr.Tensor) else torch
        return lib.cat([o.reshape(-1) for o in outs] + [xs[0].reshape(-1)[:0]])

    return g


# ---------------------------------------------------------------- stacking
STACKS = [
    ("1d", [(3,), (2,)]),
    ("0d_and_1d", [(), (2,)]),
    ("2d", [(2, 3), (2, 1)]),
    ("3d", [(2, 3, 4), (2, 3, 4)]),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,shapes", STACKS, ids=[c[0] for c in STACKS])
def test_hstack(name, shapes, dtype):
    check_against_torch(
        _sq(lambda *xs: J.hstack(list(xs))),
        *shapes,
        torch_fn=_sq(lambda *xs: torch.hstack(list(xs))),
        dtype=dtype,
    )


VSTACKS = [
    ("1d", [(3,), (3,)]),
    ("1d_and_2d", [(3,), (2, 3)]),
    ("0d", [(), ()]),
    ("3d", [(1, 3, 2), (2, 3, 2)]),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,shapes", VSTACKS, ids=[c[0] for c in VSTACKS])
def test_vstack_and_row_stack(name, shapes, dtype):
    for ours in (J.vstack, J.row_stack):
        check_against_torch(
            _sq(lambda *xs, ours=ours: ours(list(xs))),
            *shapes,
            torch_fn=_sq(lambda *xs: torch.vstack(list(xs))),
            dtype=dtype,
        )


DSTACKS = [
    ("0d", [(), ()]),
    ("1d", [(3,), (3,)]),
    ("2d", [(2, 3), (2, 3)]),
    ("3d", [(2, 1, 2)] * 3),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,shapes", DSTACKS, ids=[c[0] for c in DSTACKS])
def test_dstack(name, shapes, dtype):
    check_against_torch(
        _sq(lambda *xs: J.dstack(list(xs))),
        *shapes,
        torch_fn=_sq(lambda *xs: torch.dstack(list(xs))),
        dtype=dtype,
    )


COLUMNS = [("1d", [(3,), (3,)]), ("0d", [(), ()]), ("mixed", [(2,), (2, 3), (2, 1)])]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,shapes", COLUMNS, ids=[c[0] for c in COLUMNS])
def test_column_stack(name, shapes, dtype):
    check_against_torch(
        _sq(lambda *xs: J.column_stack(list(xs))),
        *shapes,
        torch_fn=_sq(lambda *xs: torch.column_stack(list(xs))),
        dtype=dtype,
    )


def test_stacks_promote_like_torch():
    a, b = np.arange(3), np.array([0.5, 1.5, 2.5], dtype=np.float32)
    for ours, theirs in [
        (J.hstack, torch.hstack),
        (J.vstack, torch.vstack),
        (J.dstack, torch.dstack),
        (J.column_stack, torch.column_stack),
    ]:
        y = ours([cr.tensor(a), cr.tensor(b)])
        ref = theirs([torch.tensor(a), torch.tensor(b)])
        assert str(y.dtype) == "float32" == str(ref.dtype).replace("torch.", "")
        assert_close(y, ref, "float32")


def test_stack_errors():
    with pytest.raises(ValueError, match=r"hstack: expected a non-empty sequence"):
        J.hstack([])
    with pytest.raises(TypeError, match=r"vstack: expected a sequence of tensors, got Tensor"):
        J.vstack(cr.zeros(2, 3))
    with pytest.raises(ValueError, match=r"cat: .*\(1, 3\).*\(1, 2\)"):
        J.vstack([cr.zeros(3), cr.zeros(2)])


# ---------------------------------------------------------------- atleast_nd
@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("shape", [(), (4,), (2, 3), (2, 1, 3), (1, 2, 3, 1)])
def test_atleast(n, shape):
    ours, theirs = getattr(J, f"atleast_{n}d"), getattr(torch, f"atleast_{n}d")
    check_against_torch(_sq(ours), shape, torch_fn=_sq(theirs))


def test_atleast_tuple_forms():
    a, b = cr.tensor(1.0), cr.zeros(2)
    for n in (1, 2, 3):
        ours, theirs = getattr(J, f"atleast_{n}d"), getattr(torch, f"atleast_{n}d")
        for args_cr, args_t in [
            ((a, b), (torch.tensor(1.0), torch.zeros(2))),
            (([a],), ([torch.tensor(1.0)],)),
        ]:
            got, ref = ours(*args_cr), theirs(*args_t)
            assert isinstance(got, tuple) and len(got) == len(ref)
            assert [g.shape for g in got] == [tuple(r.shape) for r in ref]


# ---------------------------------------------------------------- splitting
SPLITS = [
    ("sections_uneven", (7, 2), 3, 0),
    ("sections_more_than_size", (3, 2), 5, 0),
    ("sections_neg_dim", (2, 8), 3, -1),
    ("indices", (7,), [2, 5], 0),
    ("indices_negative_and_past_end", (7, 3), [2, -1, 10], 0),
    ("indices_unsorted", (6, 2), [4, 1], 0),
    ("indices_dim1", (2, 5, 2), [1, 3, 3], 1),
    ("empty_dim", (0, 3), 2, 0),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,shape,spec,dim", SPLITS, ids=[c[0] for c in SPLITS])
def test_tensor_split(name, shape, spec, dim, dtype):
    check_against_torch(
        _sq(_cat_outputs(lambda x: J.tensor_split(x, spec, dim))),
        shape,
        torch_fn=_sq(_cat_outputs(lambda x: torch.tensor_split(x, spec, dim))),
        dtype=dtype,
    )
    got = J.tensor_split(cr.zeros(*shape), spec, dim)
    ref = torch.tensor_split(torch.zeros(shape), spec, dim)
    assert [g.shape for g in got] == [tuple(r.shape) for r in ref]


def test_tensor_split_tensor_spec():
    x = cr.arange(10.0)
    for spec in [torch.tensor(3), torch.tensor([2, 7])]:
        got = J.tensor_split(x, cr.tensor(spec.numpy()))
        ref = torch.tensor_split(torch.arange(10.0), spec)
        assert [g.tolist() for g in got] == [r.tolist() for r in ref]


@pytest.mark.parametrize(
    "op,shape,spec",
    [
        ("hsplit", (6,), 3),
        ("hsplit", (2, 6), 2),
        ("hsplit", (2, 6, 1), [1, 4]),
        ("vsplit", (4, 3), 2),
        ("vsplit", (5, 2, 2), [2]),
        ("dsplit", (2, 1, 6), 3),
        ("dsplit", (1, 2, 5), [1, 3]),
    ],
)
def test_hsplit_vsplit_dsplit(op, shape, spec):
    ours, theirs = getattr(J, op), getattr(torch, op)
    check_against_torch(
        _sq(_cat_outputs(lambda x: ours(x, spec))),
        shape,
        torch_fn=_sq(_cat_outputs(lambda x: theirs(x, spec))),
    )
    got, ref = ours(cr.zeros(*shape), spec), theirs(torch.zeros(shape), spec)
    assert [g.shape for g in got] == [tuple(r.shape) for r in ref]


def test_split_errors():
    with pytest.raises(ValueError, match=r"tensor_split: number of sections must be positive"):
        J.tensor_split(cr.zeros(4), 0)
    with pytest.raises(ValueError, match=r"tensor_split: expected at least a 1-dim"):
        J.tensor_split(cr.tensor(1.0), 2)
    with pytest.raises(IndexError, match=r"tensor_split: dim 2 is out of range"):
        J.tensor_split(cr.zeros(2, 2), 2, 2)
    with pytest.raises(TypeError, match=r"tensor_split: a tensor indices_or_sections"):
        J.tensor_split(cr.zeros(4), cr.tensor([1.0]))
    with pytest.raises(ValueError, match=r"hsplit: dimension 1 of size 5 \(shape \(2, 5\)\)"):
        J.hsplit(cr.zeros(2, 5), 2)
    with pytest.raises(ValueError, match=r"vsplit: expected at least a 2-dim.*\(3,\)"):
        J.vsplit(cr.zeros(3), 1)
    with pytest.raises(ValueError, match=r"dsplit: expected at least a 3-dim.*\(3, 2\)"):
        J.dsplit(cr.zeros(3, 2), 1)
    with pytest.raises(ValueError, match=r"dsplit: .*not divisible by the number of sections 0"):
        J.dsplit(cr.zeros(3, 2, 2), 0)


# ---------------------------------------------------------------- axes and views
@pytest.mark.parametrize("a,b", [(0, 1), (-1, 0), (1, 1), (2, -3)])
def test_swapaxes_swapdims(a, b):
    for ours in (J.swapaxes, J.swapdims):
        check_against_torch(
            _sq(lambda x, ours=ours: ours(x, a, b)),
            (2, 3, 4),
            torch_fn=_sq(lambda x: torch.swapaxes(x, a, b)),
        )


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (0, 2)])
def test_t(shape):
    check_against_torch(_sq(J.t), shape, torch_fn=_sq(torch.t))


def test_t_rejects_3d():
    with pytest.raises(ValueError, match=r"t: expects a tensor with <= 2 dimensions, got shape"):
        J.t(cr.zeros(1, 2, 3))


@pytest.mark.parametrize("shape", [(), (3,), (2, 3, 4), (2, 0)])
def test_ravel(shape):
    check_against_torch(_sq(J.ravel), shape, torch_fn=_sq(torch.ravel))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim,index", [(0, 1), (1, -1), (-1, 0), (2, 3), (-3, -2)])
def test_select(dim, index, dtype):
    check_against_torch(
        _sq(lambda x: J.select(x, dim, index)),
        (3, 2, 4),
        torch_fn=_sq(lambda x: torch.select(x, dim, index)),
        dtype=dtype,
    )


def test_select_errors():
    with pytest.raises(IndexError, match=r"select: index 3 is out of range for dimension 1 of"):
        J.select(cr.zeros(2, 3), 1, 3)
    with pytest.raises(IndexError, match=r"select: index -3 is out of range"):
        J.select(cr.zeros(2, 3), 0, -3)
    with pytest.raises(IndexError, match=r"select: cannot select on a 0-d tensor"):
        J.select(cr.tensor(1.0), 0, 0)
    with pytest.raises(IndexError, match=r"select: dim 2 is out of range"):
        J.select(cr.zeros(2, 3), 2, 0)


@pytest.mark.parametrize(
    "shapes",
    [[(2, 1), (3,)], [(), (4, 1, 3)], [(5,), 5], [(1, 0), (3, 1)], [3, (2, 1), (1, 1, 1)], []],
)
def test_broadcast_shapes(shapes):
    assert J.broadcast_shapes(*shapes) == tuple(torch.broadcast_shapes(*shapes))


def test_broadcast_shapes_errors():
    with pytest.raises(ValueError, match=r"broadcast_shapes: shapes \(2, 3\) and \(4,\) cannot"):
        J.broadcast_shapes((2, 3), (4,))
    with pytest.raises(ValueError, match=r"broadcast_shapes: negative size in shape \(-1,\)"):
        J.broadcast_shapes((-1,), (2,))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shapes", [[(2, 1), (3,)], [(), (2, 3)], [(4, 1, 3), (1, 5, 1), (3,)], [(0, 1), (2,)]]
)
def test_broadcast_tensors(shapes, dtype):
    check_against_torch(
        _sq(_cat_outputs(J.broadcast_tensors)),
        *shapes,
        torch_fn=_sq(_cat_outputs(torch.broadcast_tensors)),
        dtype=dtype,
    )


def test_broadcast_tensors_shapes_and_errors():
    got = J.broadcast_tensors(cr.zeros(2, 1), cr.zeros(3))
    assert [g.shape for g in got] == [(2, 3), (2, 3)]
    assert J.broadcast_tensors([cr.zeros(1), cr.zeros(4)])[0].shape == (4,)
    with pytest.raises(ValueError, match=r"broadcast_tensors: shapes \(2,\) and \(3,\) cannot"):
        J.broadcast_tensors(cr.zeros(2), cr.zeros(3))


# ---------------------------------------------------------------- repeat_interleave
RI = [
    ("int_flat", (2, 3), 2, None),
    ("int_dim", (2, 3), 3, 1),
    ("int_neg_dim", (2, 3, 2), 2, -2),
    ("zero", (2, 3), 0, 0),
    ("tensor", (3, 2), [1, 0, 3], 0),
    ("tensor_flat", (2, 2), [2, 1, 0, 1], None),
    ("tensor_one", (2, 3), [2], 1),
    ("scalar_input", (), 3, None),
    ("scalar_input_tensor", (), [2], None),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,shape,reps,dim", RI, ids=[c[0] for c in RI])
def test_repeat_interleave(name, shape, reps, dim, dtype):
    def ours(x):
        r = cr.tensor(reps) if isinstance(reps, list) else reps
        return J.repeat_interleave(x, r, dim)

    def theirs(x):
        r = torch.tensor(reps) if isinstance(reps, list) else reps
        return torch.repeat_interleave(x, r, dim)

    check_against_torch(_sq(ours), shape, torch_fn=_sq(theirs), dtype=dtype)


def test_repeat_interleave_index_form_and_output_size():
    r = [3, 0, 2, 1]
    got = J.repeat_interleave(cr.tensor(r))
    ref = torch.repeat_interleave(torch.tensor(r))
    assert got.tolist() == ref.tolist() and str(got.dtype) == "int64"
    got = J.repeat_interleave(cr.tensor([[1, 2], [3, 4]]), cr.tensor([1, 2]), 0, output_size=3)
    ref = torch.repeat_interleave(torch.tensor([[1, 2], [3, 4]]), torch.tensor([1, 2]), 0)
    assert got.tolist() == ref.tolist() and str(got.dtype) == "int64"


def test_repeat_interleave_gradcheck():
    check_gradcheck(lambda x: J.repeat_interleave(x, cr.tensor([2, 0, 1]), 1) ** 2, (2, 3))


def test_repeat_interleave_errors():
    x = cr.zeros(2, 3)
    with pytest.raises(ValueError, match=r"repeat_interleave: repeats must have one element or"):
        J.repeat_interleave(x, cr.tensor([1, 2]), 1)
    with pytest.raises(ValueError, match=r"repeat_interleave: repeats must be non-negative"):
        J.repeat_interleave(x, -1)
    with pytest.raises(ValueError, match=r"repeat_interleave: output_size 5 differs .* 4"):
        J.repeat_interleave(x, 2, 0, output_size=5)
    with pytest.raises(TypeError, match=r"repeat_interleave: expected an index of dtype"):
        J.repeat_interleave(x, cr.tensor([1.0, 2.0]), 0)
    with pytest.raises(IndexError, match=r"repeat_interleave: dim 0 given but the input is 0-d"):
        J.repeat_interleave(cr.tensor(1.0), 2, 0)
    with pytest.raises(TypeError, match=r"repeat_interleave: repeats must be a 0-d or 1-D int"):
        J.repeat_interleave(cr.tensor([1.0]))


# ---------------------------------------------------------------- rot90, fliplr, flipud
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("k", [0, 1, 2, 3, 4, -1, 7])
@pytest.mark.parametrize("dims", [(0, 1), (1, 0), (-1, 0), (0, 2)])
def test_rot90(k, dims, dtype):
    check_against_torch(
        _sq(lambda x: J.rot90(x, k, dims)),
        (2, 3, 4),
        torch_fn=_sq(lambda x: torch.rot90(x, k, dims)),
        dtype=dtype,
    )


def test_rot90_errors():
    with pytest.raises(ValueError, match=r"rot90: expected 2 dims, got 3"):
        J.rot90(cr.zeros(2, 2, 2), 1, (0, 1, 2))
    with pytest.raises(ValueError, match=r"rot90: dims must name two different axes"):
        J.rot90(cr.zeros(2, 2), 1, (0, -2))
    with pytest.raises(ValueError, match=r"rot90: expected a tensor of at least 2 dims.*\(3,\)"):
        J.rot90(cr.zeros(3))


@pytest.mark.parametrize("shape", [(2, 3), (3, 2, 2)])
def test_fliplr(shape):
    check_against_torch(_sq(J.fliplr), shape, torch_fn=_sq(torch.fliplr))


@pytest.mark.parametrize("shape", [(3,), (3, 2), (2, 0)])
def test_flipud(shape):
    check_against_torch(_sq(J.flipud), shape, torch_fn=_sq(torch.flipud))


def test_flip_lr_ud_errors():
    with pytest.raises(ValueError, match=r"fliplr: expected a tensor of at least 2 dims"):
        J.fliplr(cr.zeros(3))
    with pytest.raises(ValueError, match=r"flipud: expected a tensor of at least 1 dim"):
        J.flipud(cr.tensor(1.0))


# ---------------------------------------------------------------- take
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shape,index",
    [
        ((2, 3), [[0, 5], [5, -1]]),
        ((4,), [3, 3, 3]),
        ((), [0, -1]),
        ((2, 2), 2),
        ((3, 1), np.zeros((0, 2), dtype=np.int64)),
    ],
)
def test_take(shape, index, dtype):
    check_against_torch(
        _sq(J.take),
        shape,
        np.asarray(index, dtype=np.int64),
        torch_fn=_sq(torch.take),
        dtype=dtype,
        requires_grad=[True, False],
    )


def test_take_errors():
    with pytest.raises(IndexError, match=r"take: index 6 is out of bounds for dimension 0 with"):
        J.take(cr.zeros(2, 3), cr.tensor([6]))
    with pytest.raises(IndexError, match=r"take: index -7 is out of bounds"):
        J.take(cr.zeros(2, 3), cr.tensor([-7]))
    with pytest.raises(TypeError, match=r"take: expected an index of dtype int64, got int32"):
        J.take(cr.zeros(2, 3), cr.tensor([1], dtype="int32"))


# ---------------------------------------------------------------- cartesian_prod, combinations
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", [[(3,)], [(2,), (3,)], [(2,), (1,), (3,)], [(2,), (0,)]])
def test_cartesian_prod(shapes, dtype):
    check_against_torch(
        _sq(J.cartesian_prod), *shapes, torch_fn=_sq(torch.cartesian_prod), dtype=dtype
    )


def test_cartesian_prod_ints_and_errors():
    got = J.cartesian_prod(cr.tensor([1, 2]), cr.tensor([3, 4, 5]))
    ref = torch.cartesian_prod(torch.tensor([1, 2]), torch.tensor([3, 4, 5]))
    assert got.tolist() == ref.tolist() and str(got.dtype) == "int64"
    with pytest.raises(ValueError, match=r"cartesian_prod: expected 1-D tensors, tensor 1 has"):
        J.cartesian_prod(cr.zeros(2), cr.zeros(2, 2))
    with pytest.raises(ValueError, match=r"cartesian_prod: expected at least one tensor"):
        J.cartesian_prod()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [0, 1, 4])
@pytest.mark.parametrize("r", [0, 1, 2, 3, 5])
@pytest.mark.parametrize("rep", [False, True])
def test_combinations(n, r, rep, dtype):
    check_against_torch(
        _sq(lambda x: J.combinations(x, r, rep)),
        (n,),
        torch_fn=_sq(lambda x: torch.combinations(x, r, rep)),
        dtype=dtype,
    )


def test_combinations_errors():
    with pytest.raises(ValueError, match=r"combinations: expected a 1-D tensor, got shape"):
        J.combinations(cr.zeros(2, 2))
    with pytest.raises(ValueError, match=r"combinations: r must be non-negative, got -1"):
        J.combinations(cr.zeros(3), -1)


# ---------------------------------------------------------------- tril_indices, triu_indices
@pytest.mark.parametrize("row,col", [(3, 3), (4, 2), (2, 5), (0, 3), (3, 0), (1, 1)])
@pytest.mark.parametrize("offset", [0, 1, -1, 3, -4])
def test_tri_indices(row, col, offset):
    for ours, theirs in [
        (J.tril_indices, torch.tril_indices),
        (J.triu_indices, torch.triu_indices),
    ]:
        got, ref = ours(row, col, offset), theirs(row, col, offset)
        assert got.shape == tuple(ref.shape) and str(got.dtype) == "int64"
        np.testing.assert_array_equal(host(got), ref.numpy())


def test_tri_indices_dtype_and_errors():
    got = J.triu_indices(3, 3, dtype=cr.int32)
    assert str(got.dtype) == "int32"
    np.testing.assert_array_equal(host(got), torch.triu_indices(3, 3).numpy())
    with pytest.raises(ValueError, match=r"tril_indices: row and col must be non-negative"):
        J.tril_indices(-1, 2)
    with pytest.raises(TypeError, match=r"triu_indices: dtype must be an int type"):
        J.triu_indices(2, 2, dtype=cr.float32)


# ---------------------------------------------------------------- vander
def _powers(x, N, increasing):
    """torch's vander as powers: the oracle for gradients (torch 2.13's vander fails in its own
    backward, an in-place cumprod), exact at x = 0 since torch's pow masks exponent 0."""
    n = x.shape[0] if N is None else N
    p = torch.arange(n, dtype=x.dtype)
    return x[:, None] ** (p if increasing else p.flip(0))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("N", [None, 0, 1, 2, 5])
@pytest.mark.parametrize("increasing", [False, True])
def test_vander(N, increasing, dtype):
    x = np.array([0.0, -1.5, 0.7, 2.0])  # a zero: the derivative of x^1 at 0 must be 1
    check_against_torch(
        lambda x: J.vander(x, N, increasing),
        x,
        torch_fn=lambda x: torch.vander(x, N, increasing),
        dtype=dtype,
        grad=False,
    )
    for v, gradgrad in [(x, False), (x[1:], True)]:  # torch's pow: NaN second order at 0
        check_against_torch(
            _sq(lambda x: J.vander(x, N, increasing)),
            v,
            torch_fn=_sq(lambda x: _powers(x, N, increasing)),
            dtype=dtype,
            gradgrad=gradgrad,
        )


def test_vander_ints_empty_and_errors():
    for x in ([1, 2, 3], [True, False]):
        got, ref = J.vander(cr.tensor(x), 3), torch.vander(torch.tensor(x), 3)
        assert got.tolist() == ref.tolist() and str(got.dtype) == "int64"
    assert J.vander(cr.zeros(0)).shape == tuple(torch.vander(torch.zeros(0)).shape)
    with pytest.raises(ValueError, match=r"vander: x must be a 1-D tensor, got shape \(2, 2\)"):
        J.vander(cr.zeros(2, 2))
    with pytest.raises(ValueError, match=r"vander: N must be non-negative, got -1"):
        J.vander(cr.zeros(2), -1)


def test_vander_gradcheck():
    check_gradcheck(lambda x: J.vander(x, 4), np.array([0.0, 1.3, -0.4]))


# ---------------------------------------------------------------- select/slice/diagonal_scatter
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim,index", [(0, 1), (1, -1), (-1, 0), (2, 3)])
def test_select_scatter(dim, index, dtype):
    shape = (3, 2, 4)
    part = tuple(s for i, s in enumerate(shape) if i != dim % 3)
    check_against_torch(
        _sq(lambda x, s: J.select_scatter(x, s, dim, index)),
        shape,
        part,
        torch_fn=_sq(lambda x, s: torch.select_scatter(x, s, dim, index)),
        dtype=dtype,
    )


SLICES = [
    ("all", 0, None, None, 1),
    ("mid", 1, 1, 4, 1),
    ("step", 1, 0, None, 2),
    ("negative", -1, -2, None, 1),
    ("past_end", 0, 1, 10, 2),
    ("empty", 1, 3, 3, 1),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,dim,start,end,step", SLICES, ids=[c[0] for c in SLICES])
def test_slice_scatter(name, dim, start, end, step, dtype):
    part = (3, 5, 2)
    d = dim % 3
    n = len(range(*slice(start, end, step).indices(part[d])))
    src = part[:d] + (n,) + part[d + 1 :]
    check_against_torch(
        _sq(lambda x, s: J.slice_scatter(x, s, dim, start, end, step)),
        part,
        src,
        torch_fn=_sq(lambda x, s: torch.slice_scatter(x, s, dim, start, end, step)),
        dtype=dtype,
    )


DIAGONALS = [
    ("square", (3, 3), 0, 0, 1),
    ("upper", (3, 4), 1, 0, 1),
    ("lower", (4, 3), -2, 0, 1),
    ("swapped_dims", (3, 4), 1, 1, 0),
    ("batch_last", (2, 3, 4), 0, -2, -1),
    ("batch_middle", (3, 2, 4), -1, 0, 2),
    ("offset_past", (2, 3), 5, 0, 1),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,shape,offset,d1,d2", DIAGONALS, ids=[c[0] for c in DIAGONALS])
def test_diagonal_scatter(name, shape, offset, d1, d2, dtype):
    src = tuple(torch.zeros(shape).diagonal(offset, d1, d2).shape)
    check_against_torch(
        _sq(lambda x, s: J.diagonal_scatter(x, s, offset, d1, d2)),
        shape,
        src,
        torch_fn=_sq(lambda x, s: torch.diagonal_scatter(x, s, offset, d1, d2)),
        dtype=dtype,
    )


def test_embed_errors():
    x = cr.zeros(3, 4)
    with pytest.raises(ValueError, match=r"select_scatter: src must have the shape .*\(4,\)"):
        J.select_scatter(x, cr.zeros(3), 0, 0)
    with pytest.raises(TypeError, match=r"select_scatter: expected src dtype float32"):
        J.select_scatter(x, cr.zeros(4, dtype="float64"), 0, 0)
    with pytest.raises(ValueError, match=r"slice_scatter: src must have the shape .*\(3, 2\)"):
        J.slice_scatter(x, cr.zeros(3, 3), 1, 0, 2)
    with pytest.raises(ValueError, match=r"slice_scatter: step must be positive, got 0"):
        J.slice_scatter(x, cr.zeros(3, 3), 1, 0, 2, 0)
    with pytest.raises(ValueError, match=r"diagonal_scatter: src must have the shape .*\(3,\)"):
        J.diagonal_scatter(x, cr.zeros(4))
    with pytest.raises(ValueError, match=r"diagonal_scatter: dim1 and dim2 must differ"):
        J.diagonal_scatter(x, cr.zeros(3), 0, 1, -1)
    with pytest.raises(ValueError, match=r"diagonal_scatter: expected at least 2 dims"):
        J.diagonal_scatter(cr.zeros(3), cr.zeros(3))


def test_embed_gradcheck():
    check_gradcheck(lambda x, s: J.diagonal_scatter(x, s, 1) ** 2, (3, 4), (3,))
    check_gradcheck(lambda x, s: J.slice_scatter(x, s, 1, 0, None, 2) ** 2, (2, 3), (2, 2))
