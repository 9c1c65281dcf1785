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
