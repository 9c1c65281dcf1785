"""matmul and friends against torch: every rank combination, broadcasting and bad shapes."""

import numpy as np
import pytest
import torch
from helpers import check_against_torch, check_gradcheck

import chainrule as cr
from chainrule import backend

DTYPES = ["float64", "float32"]
MATMUL_SHAPES = [
    ((4,), (4,)),
    ((4,), (4, 3)),
    ((3, 4), (4,)),
    ((3, 4), (4, 2)),
    ((1, 1), (1, 1)),
    ((2, 3, 4), (2, 4, 5)),
    ((2, 2, 3, 4), (2, 2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((3, 4), (2, 4, 5)),
    ((2, 3, 4), (4, 5)),
    ((4,), (2, 4, 3)),
    ((2, 3, 4), (4,)),
    ((2, 1, 3, 4), (4,)),
    ((0, 4), (4, 3)),
    ((3, 0), (0, 2)),
    ((0,), (0,)),
    ((2, 0, 3, 4), (1, 4, 2)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
def test_matmul(sa, sb, dtype):
    check_against_torch(lambda a, b: a @ b, sa, sb, dtype=dtype)
    check_against_torch(lambda a, b: a.matmul(b), sa, sb, dtype=dtype, gradgrad=False)


@pytest.mark.parametrize("sa,sb", [((4,), (4, 3)), ((2, 1, 3, 4), (5, 4, 2)), ((3, 4), (4,))])
def test_matmul_one_side_differentiable(sa, sb):
    check_against_torch(lambda a, b: a @ b, sa, sb, requires_grad=[True, False])
    check_against_torch(lambda a, b: a @ b, sa, sb, requires_grad=[False, True])


def test_matmul_second_order_through_a_product():
    # (a @ b) * a makes the second derivative non-zero on both sides
    check_against_torch(lambda a, b: (a @ b) @ (a @ b).mT, (2, 3, 3), (3, 3))


def test_matmul_with_an_array_operand(device):
    b = np.arange(12.0).reshape(4, 3)
    bd = backend.to_device(b, device)  # an array on the tensor's device
    check_against_torch(lambda a: a @ bd, (2, 4), torch_fn=lambda a: a @ torch.from_numpy(b))
    if device == "cpu":
        check_against_torch(
            lambda a: b.T @ a, (4, 2), torch_fn=lambda a: torch.from_numpy(b.T) @ a, gradgrad=False
        )
    else:  # a host array meeting a GPU tensor is refused, naming both devices
        with pytest.raises(RuntimeError, match="cuda:0 and cpu"):
            cr.ones(2, 4, device=device) @ b


@pytest.mark.parametrize("dtype", DTYPES)
def test_mm_bmm_dot(dtype):
    check_against_torch(lambda a, b: cr.mm(a, b), (3, 4), (4, 5), dtype=dtype, torch_fn=torch.mm)
    check_against_torch(
        lambda a, b: cr.bmm(a, b), (2, 3, 4), (2, 4, 5), dtype=dtype, torch_fn=torch.bmm
    )
    check_against_torch(lambda a, b: cr.dot(a, b), (6,), (6,), dtype=dtype, torch_fn=torch.dot)


def test_matmul_closed_form():
    # d/dA sum(A @ B) = 1 @ Bᵀ: every row of the gradient is B's row sums
    a = cr.tensor(np.ones((2, 3)), requires_grad=True)
    b = cr.tensor(np.arange(6.0).reshape(3, 2))
    (a @ b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [[1.0, 5.0, 9.0]] * 2)


@pytest.mark.parametrize(
    "sa,sb", [((4,), (4,)), ((3, 4), (4,)), ((2, 1, 3, 4), (5, 4, 2)), ((4,), (2, 4, 3))]
)
def test_gradcheck(sa, sb):
    check_gradcheck(lambda a, b: a @ b, sa, sb)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "sa,sb,ka,kb",
    [
        ((32, 64), (32, 10), 64, 32),
        ((3,), (4,), 3, 4),
        ((3,), (4, 2), 3, 4),
        ((2, 3), (4,), 3, 4),
        ((5, 2, 3), (5, 4, 2), 3, 4),
    ],
)
def test_matmul_shape_mismatch_names_both_shapes(sa, sb, ka, kb):
    a, b = cr.zeros(*sa), cr.zeros(*sb)
    msg = rf"matmul: shapes {tuple(sa)} and {tuple(sb)} don't align: {ka} != {kb}"
    with pytest.raises(ValueError, match=msg.replace("(", r"\(").replace(")", r"\)")):
        a @ b


def test_matmul_batch_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"matmul: .*\(2, 3, 4\) and \(3, 4, 5\)"):
        cr.zeros(2, 3, 4) @ cr.zeros(3, 4, 5)


def test_matmul_of_a_scalar_raises():
    with pytest.raises(ValueError, match=r"matmul: .*\(\) and \(3,\)"):
        cr.tensor(2.0) @ cr.zeros(3)


@pytest.mark.parametrize(
    "op,sa,sb", [("mm", (3,), (3, 2)), ("bmm", (2, 3), (3, 2)), ("dot", (3, 1), (3,))]
)
def test_wrong_rank(op, sa, sb):
    with pytest.raises(ValueError, match=rf"{op}: expected"):
        getattr(cr, op)(cr.zeros(*sa), cr.zeros(*sb))


def _lib(t):
    return torch if isinstance(t, torch.Tensor) else cr


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    "name, shapes, fn",
    [
        ("mv", [(3, 4), (4,)], lambda a, v: _lib(a).mv(a, v)),
        ("mv_method", [(2, 5), (5,)], lambda a, v: a.mv(v) * a.sum()),
        ("outer", [(3,), (4,)], lambda a, b: _lib(a).outer(a, b)),
        ("outer_method", [(2,), (3,)], lambda a, b: a.outer(b) * a.sum()),
        ("addmm", [(3, 5), (3, 4), (4, 5)], lambda c, a, b: _lib(a).addmm(c, a, b)),
        ("addmm_broadcast", [(5,), (3, 4), (4, 5)], lambda c, a, b: _lib(a).addmm(c, a, b)),
        (
            "addmm_scaled",
            [(3, 5), (3, 4), (4, 5)],
            lambda c, a, b: _lib(a).addmm(c, a, b, beta=0.5, alpha=-2.0) * c,
        ),
        ("addmm_beta0", [(3, 5), (3, 4), (4, 5)], lambda c, a, b: _lib(a).addmm(c, a, b, beta=0)),
        ("diag_of_vector", [(4,)], lambda v: _lib(v).diag(v)),
        ("diag_of_vector_up", [(3,)], lambda v: _lib(v).diag(v, 2) * _lib(v).diag(v, 2)),
        ("diag_of_vector_down", [(3,)], lambda v: v.diag(-1)),
        ("diag_of_matrix", [(3, 4)], lambda m: _lib(m).diag(m) * _lib(m).diag(m)),
        ("diag_of_matrix_up", [(3, 4)], lambda m: m.diag(1)),
        ("diag_of_matrix_down", [(4, 3)], lambda m: m.diag(-2) * m.diag(-2)),
        ("trace", [(3, 4)], lambda m: _lib(m).trace(m) * m),
        ("trace_method", [(4, 4)], lambda m: m.trace()),
    ],
)
def test_matrix_helpers_against_torch(name, shapes, fn, dtype):
    check_against_torch(fn, *shapes, dtype=dtype)


def test_matrix_helpers_name_bad_shapes():
    with pytest.raises(ValueError, match=r"mv: expected a 2-D and a 1-D tensor, got shapes \(3,\)"):
        cr.mv(cr.zeros(3), cr.zeros(3))
    with pytest.raises(
        ValueError, match=r"outer: expected 1-D tensors, got shapes \(2, 2\) and \(2,\)"
    ):
        cr.outer(cr.zeros(2, 2), cr.zeros(2))
    with pytest.raises(
        ValueError, match=r"diag: expected a 1-D or 2-D tensor, got shape \(2, 2, 2\)"
    ):
        cr.diag(cr.zeros(2, 2, 2))
    with pytest.raises(ValueError, match=r"trace: expected a 2-D tensor, got shape \(3,\)"):
        cr.trace(cr.zeros(3))


# ------------------------------------------------------------------ products added to matmul
from chainrule.functions.linalg import (  # noqa: E402
    addbmm,
    addmv,
    addr,
    baddbmm,
    block_diag,
    chain_matmul,
    cross,
    diag_embed,
    diagflat,
    diagonal,
    inner,
    linalg_cross,
    multi_dot,
    vdot,
)

SCALED = [dict(), dict(beta=0.5, alpha=-2.0), dict(beta=0), dict(alpha=3)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", SCALED)
@pytest.mark.parametrize(
    "ours, theirs, shapes",
    [
        (addmv, torch.addmv, [(3,), (3, 4), (4,)]),
        (addmv, torch.addmv, [(1,), (3, 4), (4,)]),
        (addr, torch.addr, [(3, 4), (3,), (4,)]),
        (addr, torch.addr, [(4,), (3,), (4,)]),
        (baddbmm, torch.baddbmm, [(2, 3, 5), (2, 3, 4), (2, 4, 5)]),
        (baddbmm, torch.baddbmm, [(3, 1), (2, 3, 4), (2, 4, 5)]),
        (addbmm, torch.addbmm, [(3, 5), (2, 3, 4), (2, 4, 5)]),
        (addbmm, torch.addbmm, [(5,), (2, 3, 4), (2, 4, 5)]),
        (addbmm, torch.addbmm, [(3, 5), (0, 3, 4), (0, 4, 5)]),
    ],
)
def test_add_products_against_torch(ours, theirs, shapes, kw, dtype):
    # times the input again, so the second derivative is not zero
    check_against_torch(
        lambda c, a, b: ours(c, a, b, **kw) * a.sum(),
        *shapes,
        torch_fn=lambda c, a, b: theirs(c, a, b, **kw) * a.sum(),
        dtype=dtype,
    )


def test_add_products_beta0_ignores_nan_input():
    c = np.full((3,), np.nan)
    m, v = np.ones((3, 2)), np.ones(2)
    y = addmv(cr.tensor(c), cr.tensor(m), cr.tensor(v), beta=0)
    np.testing.assert_array_equal(y.data, [2.0, 2.0, 2.0])


def test_add_products_name_bad_shapes():
    with pytest.raises(ValueError, match=r"addr: expected 1-D tensors, got shapes \(2, 2\)"):
        addr(cr.zeros(2, 2), cr.zeros(2, 2), cr.zeros(2))
    with pytest.raises(ValueError, match=r"baddbmm: expected 3-D tensors"):
        baddbmm(cr.zeros(2, 2), cr.zeros(2, 2), cr.zeros(2, 2))
    with pytest.raises(ValueError, match=r"addmv: input of shape \(2, 3\) doesn't broadcast to"):
        addmv(cr.zeros(2, 3), cr.zeros(3, 4), cr.zeros(4))
    with pytest.raises(ValueError, match=r"addbmm: shapes \(4,\) and \(3, 5\) cannot be"):
        addbmm(cr.zeros(4), cr.zeros(2, 3, 4), cr.zeros(2, 4, 5))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "sa,sb",
    [
        ((4,), (4,)),
        ((3, 4), (4,)),
        ((2, 3, 4), (5, 4)),
        ((), (2, 3)),
        ((2, 3), ()),
        ((0, 4), (2, 4)),
    ],
)
def test_inner(sa, sb, dtype):
    check_against_torch(
        lambda a, b: inner(a, b) * inner(a, b),
        sa,
        sb,
        torch_fn=lambda a, b: torch.inner(a, b) ** 2,
        dtype=dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_vdot(dtype):
    check_against_torch(
        lambda a, b: vdot(a, b) * a,
        (5,),
        (5,),
        torch_fn=lambda a, b: torch.vdot(a, b) * a,
        dtype=dtype,
    )


def test_inner_vdot_errors():
    with pytest.raises(
        ValueError, match=r"inner: last dimensions must match, got shapes \(2, 3\) and \(4,\)"
    ):
        inner(cr.zeros(2, 3), cr.zeros(4))
    with pytest.raises(
        ValueError, match=r"vdot: expected 1-D tensors, got shapes \(2, 3\) and \(3,\)"
    ):
        vdot(cr.zeros(2, 3), cr.zeros(3))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "sa,sb,dim",
    [
        ((3,), (3,), 0),
        ((4, 3), (4, 3), -1),
        ((3, 4), (3, 4), 0),
        ((2, 3, 5), (1, 3, 5), 1),
        ((2, 1, 3), (1, 4, 3), -1),
        ((0, 3), (0, 3), 1),
    ],
)
def test_cross(sa, sb, dim, dtype):
    check_against_torch(
        lambda a, b: cross(a, b, dim=dim),
        sa,
        sb,
        torch_fn=lambda a, b: torch.cross(a, b, dim=dim),
        dtype=dtype,
    )
    check_against_torch(
        lambda a, b: linalg_cross(a, b, dim=dim),
        sa,
        sb,
        torch_fn=lambda a, b: torch.linalg.cross(a, b, dim=dim),
        dtype=dtype,
        gradgrad=False,
    )


def test_cross_default_dims():
    a, b = np.random.default_rng(1).standard_normal((2, 4, 3, 3))
    with pytest.warns(UserWarning, match="without specifying the dim arg is deprecated"):
        ours = cross(cr.tensor(a), cr.tensor(b))
    with pytest.warns(UserWarning, match="without specifying the dim arg is deprecated"):
        theirs = torch.cross(torch.tensor(a), torch.tensor(b))  # the first dim of size 3: 1
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12)
    np.testing.assert_allclose(
        linalg_cross(cr.tensor(a), cr.tensor(b)).data,
        torch.linalg.cross(torch.tensor(a), torch.tensor(b)).numpy(),
        rtol=1e-12,
    )


def test_cross_errors():
    with pytest.raises(
        ValueError, match=r"cross: dimension 0 must have size 3, got shapes \(4, 3\) and \(4, 3\)"
    ):
        cross(cr.zeros(4, 3), cr.zeros(4, 3), dim=0)
    with pytest.raises(
        ValueError, match=r"cross: shapes \(2, 3\) and \(4, 3\) cannot be broadcast"
    ):
        cross(cr.zeros(2, 3), cr.zeros(4, 3), dim=1)
    with pytest.raises(ValueError, match=r"cross: inputs must have the same number of dimensions"):
        cross(cr.zeros(2, 3), cr.zeros(3), dim=-1)
    with (
        pytest.warns(UserWarning),
        pytest.raises(ValueError, match=r"cross: no dimension of size 3"),
    ):
        cross(cr.zeros(2, 4), cr.zeros(2, 4))


def test_cross_closed_form():
    x, y = cr.tensor([1.0, 0.0, 0.0]), cr.tensor([0.0, 1.0, 0.0])
    np.testing.assert_array_equal(cross(x, y, dim=0).data, [0.0, 0.0, 1.0])
    assert cross(x, y, dim=0).dtype == np.float32


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shapes",
    [
        [(3, 4), (4, 5)],
        [(4,), (4, 5), (5, 2)],
        [(3, 4), (4, 5), (5,)],
        [(4,), (4, 2), (2, 6), (6,)],
        [(2, 30), (30, 3), (3, 40), (40, 2)],
        [(3, 0), (0, 2)],
    ],
)
def test_multi_dot(shapes, dtype):
    def fn(*ts):
        y = multi_dot(ts) if isinstance(ts[0], cr.Tensor) else torch.linalg.multi_dot(ts)
        return y * ts[0].sum()

    check_against_torch(fn, *shapes, dtype=dtype)


def test_multi_dot_picks_the_cheapest_order():
    from chainrule.functions.linalg import _chain_order

    # (10×100)(100×5)(5×50): (A B) C costs 7 500 products, A (B C) 75 000
    assert _chain_order([10, 100, 5, 50])[0][2] == 1
    # (50×100)(100×10)(10×5): (A B) C costs 52 500, A (B C) 30 000
    assert _chain_order([50, 100, 10, 5])[0][2] == 0


def test_chain_matmul():
    check_against_torch(
        lambda a, b, c: chain_matmul(a, b, c),
        (2, 3),
        (3, 4),
        (4, 5),
        torch_fn=lambda a, b, c: torch.chain_matmul(a, b, c),
    )
    check_against_torch(lambda a: chain_matmul(a), (2, 3), torch_fn=lambda a: torch.chain_matmul(a))


def test_multi_dot_errors():
    with pytest.raises(ValueError, match=r"multi_dot: expected at least 2 tensors, got 1"):
        multi_dot([cr.zeros(2, 2)])
    with pytest.raises(ValueError, match=r"multi_dot: tensor 1 must be 2-D .* got shape \(3,\)"):
        multi_dot([cr.zeros(2, 3), cr.zeros(3), cr.zeros(3, 2)])
    with pytest.raises(
        ValueError, match=r"multi_dot: tensors 0 and 1 don't align: shapes \(2, 3\) and \(4, 2\)"
    ):
        multi_dot([cr.zeros(2, 3), cr.zeros(4, 2)])
    with pytest.raises(ValueError, match=r"chain_matmul: tensor 0 must be 2-D, got shape \(3,\)"):
        chain_matmul(cr.zeros(3), cr.zeros(3, 2))


# ------------------------------------------------------------------ diagonals
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shape,offset,dim1,dim2",
    [
        ((3, 4), 0, 0, 1),
        ((3, 4), 1, 0, 1),
        ((3, 4), -2, 0, 1),
        ((4, 3), 5, 0, 1),
        ((2, 3, 4), 0, 1, 2),
        ((2, 3, 4), 1, -1, 0),
        ((2, 3, 4, 5), -1, 3, 1),
        ((0, 3, 3), 0, -2, -1),
    ],
)
def test_diagonal(shape, offset, dim1, dim2, dtype):
    check_against_torch(
        lambda x: diagonal(x, offset, dim1, dim2) ** 2,
        shape,
        torch_fn=lambda x: torch.diagonal(x, offset, dim1, dim2) ** 2,
        dtype=dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shape,offset,dim1,dim2",
    [
        ((3,), 0, -2, -1),
        ((3,), 2, 0, 1),
        ((2, 3), -1, -2, -1),
        ((2, 3), 1, 0, 2),
        ((2, 3), 0, 2, 0),
        ((2, 0), 1, -2, -1),
    ],
)
def test_diag_embed(shape, offset, dim1, dim2, dtype):
    check_against_torch(
        lambda x: diag_embed(x, offset, dim1, dim2) ** 2,
        shape,
        torch_fn=lambda x: torch.diag_embed(x, offset, dim1, dim2) ** 2,
        dtype=dtype,
    )


@pytest.mark.parametrize("shape,offset", [((3,), 0), ((2, 2), 1), ((2, 3), -2), ((), 0)])
def test_diagflat(shape, offset):
    check_against_torch(
        lambda x: diagflat(x, offset) ** 2, shape, torch_fn=lambda x: torch.diagflat(x, offset) ** 2
    )


def test_diagonal_gradcheck():
    check_gradcheck(lambda x: diagonal(x, 1, 2, 0) ** 2, (3, 2, 4))
    check_gradcheck(lambda x: diag_embed(x, -1, 0, 2) ** 2, (2, 3))


def test_diagonal_is_a_copy():
    x = cr.tensor(np.arange(9.0).reshape(3, 3))
    d = diagonal(x)
    d.data[0] = 100.0
    assert x.data[0, 0] == 0.0


def test_diagonal_errors():
    with pytest.raises(ValueError, match=r"diagonal: dim1 and dim2 must differ, got 1 and -1"):
        diagonal(cr.zeros(2, 2), 0, 1, -1)
    with pytest.raises(IndexError, match=r"diagonal: dims \(0, 2\) out of range for 2 dimensions"):
        diagonal(cr.zeros(2, 2), 0, 0, 2)
    with pytest.raises(ValueError, match=r"diag_embed: expected at least 1 dimension"):
        diag_embed(cr.tensor(1.0))


@pytest.mark.parametrize("dtype", DTYPES)
def test_block_diag(dtype):
    fn = lambda *ts: (block_diag if isinstance(ts[0], cr.Tensor) else torch.block_diag)(*ts) ** 2  # noqa: E731
    check_against_torch(fn, (2, 3), (3,), (), (1, 2), dtype=dtype)
    check_against_torch(fn, (0, 2), (2, 0), dtype=dtype)


def test_block_diag_dtypes_and_errors():
    y = block_diag(cr.tensor([1, 2]), cr.tensor(np.ones((1, 1), dtype=np.float32)))
    t = torch.block_diag(torch.tensor([1, 2]), torch.ones(1, 1))
    assert str(y.dtype) == "float32" and t.dtype == torch.float32
    np.testing.assert_array_equal(y.data, t.numpy())
    assert block_diag().shape == tuple(torch.block_diag().shape)
    with pytest.raises(
        ValueError,
        match=r"block_diag: input 1 must have 2 or fewer dimensions, got shape \(1, 1, 1\)",
    ):
        block_diag(cr.zeros(2), cr.zeros(1, 1, 1))
