"""einsum, tensordot and kron against torch: values, dtypes, first and second gradients."""

import numpy as np
import pytest
import torch
from helpers import check_against_torch, check_gradcheck, on_device

import chainrule as cr
from chainrule.functions.einsum import einsum, kron, tensordot

DTYPES = ["float64", "float32"]

EINSUM_CASES = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),  # matmul
    ("ij,jk", [(3, 4), (4, 5)]),  # implicit output
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),  # batched
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),  # attention scores
    ("i,j->ij", [(3,), (4,)]),  # outer
    ("i,i->", [(5,), (5,)]),  # dot
    ("i,i", [(5,), (5,)]),  # implicit dot
    ("ii->", [(4, 4)]),  # trace
    ("ii", [(4, 4)]),  # implicit trace
    ("ii->i", [(4, 4)]),  # diagonal
    ("bii->bi", [(2, 3, 3)]),  # batched diagonal
    ("iji->j", [(3, 2, 3)]),  # diagonal across non-adjacent axes, then a sum
    ("iii->i", [(3, 3, 3)]),  # a letter three times
    ("ij->ji", [(3, 4)]),  # transpose
    ("ba", [(3, 4)]),  # implicit transpose: output letters sorted
    ("ij->", [(3, 4)]),  # sum
    ("ij->j", [(3, 4)]),  # column sums
    ("ij,j->i", [(3, 4), (4,)]),  # matrix-vector
    ("ijk,j->i", [(2, 3, 4), (3,)]),  # k summed in operand 0 only
    ("ij,k->i", [(2, 3), (4,)]),  # j and k each summed in one operand only
    ("ij,kl->", [(2, 3), (4, 5)]),  # everything summed in its own operand
    ("ii,ij->j", [(3, 3), (3, 4)]),  # a diagonal meeting another operand
    ("ij,ij->ij", [(3, 4), (3, 4)]),  # element-wise product
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),  # a chain of three
    ("ij,jk,kl", [(2, 3), (3, 4), (4, 5)]),  # the chain, implicit
    ("i,i,i->", [(4,), (4,), (4,)]),  # triple product summed
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]),  # ellipsis: batch ranks 1 and 0
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),  # ellipsis: 1 broadcast to 5
    ("...ij,...jk", [(2, 3, 4), (2, 4, 5)]),  # ellipsis, implicit output
    ("...i,...i->...", [(2, 3, 4), (3, 4)]),  # batched dot
    ("...ii->...i", [(2, 3, 3)]),  # batched diagonal through the ellipsis
    ("i...->...", [(3, 2, 4)]),  # ellipsis not at the front
    ("...i->i", [(2, 3, 4)]),  # ellipsis dims summed out
    ("b...,b...->b", [(2, 3, 4), (2, 3, 4)]),
    ("i,i->i", [(1,), (4,)]),  # size 1 broadcast, as torch allows
    ("ij,ij->ij", [(3, 1), (1, 4)]),
    ("Ab,bc", [(2, 3), (3, 4)]),  # upper case letters sort before lower case
    ("ij,jk->ik", [(0, 3), (3, 2)]),  # empty
    ("ij,jk->ik", [(3, 0), (0, 2)]),  # empty contraction
    (" i j , j k -> i k ", [(3, 4), (4, 5)]),  # spaces
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("eq,shapes", EINSUM_CASES)
def test_einsum(eq, shapes, dtype):
    check_against_torch(
        lambda *xs: einsum(eq, *xs),
        *shapes,
        torch_fn=lambda *xs: torch.einsum(eq, *xs),
        dtype=dtype,
    )


@pytest.mark.parametrize(
    "eq,shapes",
    [("ij,jk->ik", [(3, 4), (4, 5)]), ("ii->i", [(3, 3)]), ("ijk,j->i", [(2, 3, 4), (3,)])],
)
def test_einsum_operands_as_a_list(eq, shapes):
    check_against_torch(
        lambda *xs: einsum(eq, list(xs)), *shapes, torch_fn=lambda *xs: torch.einsum(eq, list(xs))
    )


@pytest.mark.parametrize(
    "eq,shapes", [("ij,jk->ik", [(3, 4), (4, 5)]), ("ii,ij->j", [(3, 3), (3, 4)])]
)
def test_einsum_one_side_differentiable(eq, shapes):
    for req in ([True, False], [False, True]):
        check_against_torch(
            lambda *xs: einsum(eq, *xs),
            *shapes,
            torch_fn=lambda *xs: torch.einsum(eq, *xs),
            requires_grad=req,
        )


def test_einsum_second_order_through_a_square():
    # the same operand twice, so the second derivative is non-zero
    check_against_torch(
        lambda a, b: einsum("ij,jk,ij->", a, b, a * a),
        (3, 4),
        (4, 3),
        torch_fn=lambda a, b: torch.einsum("ij,jk,ij->", a, b, a * a),
    )
    check_against_torch(
        lambda a: einsum("ii,ij,jj->", a, a, a),
        (3, 3),
        torch_fn=lambda a: torch.einsum("ii,ij,jj->", a, a, a),
    )


def test_einsum_integer_operands_keep_their_dtype():
    a = np.arange(6, dtype="int64").reshape(2, 3)
    b = np.arange(12, dtype="int64").reshape(3, 4)
    out = check_against_torch(
        lambda x, y: einsum("ij,jk->ik", x, y),
        a,
        b,
        torch_fn=lambda x, y: torch.einsum("ij,jk->ik", x, y),
    )
    assert str(out.dtype) == "int64"
    np.testing.assert_array_equal(cr.backend.to_host(out.data), a @ b)


def test_einsum_closed_forms():
    m = on_device(np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert float(einsum("ii", m).item()) == 5.0
    np.testing.assert_array_equal(cr.backend.to_host(einsum("ii->i", m).data), [1.0, 4.0])
    np.testing.assert_array_equal(
        cr.backend.to_host(einsum("ij->ji", m).data), [[1.0, 3.0], [2.0, 4.0]]
    )


def test_einsum_output_does_not_alias_its_input():
    x = cr.tensor(np.arange(6.0).reshape(2, 3))
    y = einsum("ij->ji", x)
    y.data[0, 0] = 100.0
    assert float(x.data[0, 0]) == 0.0


def test_einsum_gradcheck():
    check_gradcheck(lambda a, b: einsum("iij,jk->ik", a, b), (3, 3, 4), (4, 2))
    check_gradcheck(lambda a, b: einsum("...ij,j->...", a, b), (2, 3, 4), (4,))


@pytest.mark.parametrize(
    "eq,shapes,match",
    [
        ("ij,jk->ik", [(2, 3)], r"has 2 operand\(s\) but 1 were given.*'ij,jk->ik'.*\(2, 3\)"),
        ("ij->ij", [(2, 3), (3,)], r"has 1 operand\(s\) but 2.*\(2, 3\), \(3,\)"),
        (
            "ij,jk->ik",
            [(2, 3), (4, 5)],
            r"subscript j has size 4 in operand 1 but 3.*\(2, 3\), \(4, 5\)",
        ),
        ("ijk->i", [(2, 3)], r"operand 0 has 2 dimension\(s\) but its subscripts 'ijk' name 3"),
        ("ij->i", [(2, 3, 4)], r"operand 0 has 3 dimension.*'ij->i'.*\(2, 3, 4\)"),
        ("...ijk->i", [(2, 3)], r"operand 0 has 2 dimension.*name 3"),
        ("ii->i", [(2, 3)], r"subscript i is repeated in operand 0 with sizes 2 and 3"),
        ("...i,...i->...", [(2, 3), (4, 3)], r"has size 4 in operand 1 but 2.*\(2, 3\), \(4, 3\)"),
        ("ij->k", [(2, 3)], r"output subscript k appears in no operand.*'ij->k'"),
        ("ij->ii", [(2, 2)], r"output subscript i appears more than once in 'ij->ii'"),
        ("i1->i", [(2, 3)], r"invalid subscript '1'.*'i1->i'"),
        ("i.j->i", [(2, 3)], r"'\.' that is not part of an ellipsis"),
        ("...i...->i", [(2, 3)], r"more than one ellipsis"),
        ("ij->j->i", [(2, 3)], r"more than one '->'"),
    ],
)
def test_einsum_errors(eq, shapes, match):
    xs = [cr.ones(*s) for s in shapes]
    with pytest.raises(ValueError, match=match):
        einsum(eq, *xs)
    with pytest.raises(RuntimeError):  # torch refuses the same equations
        torch.einsum(eq, *[torch.ones(*s) for s in shapes])


# ------------------------------------------------------------------ tensordot
TENSORDOT_CASES = [
    ((3, 4), (4, 5), 1),
    ((2, 3, 4), (3, 4, 5), 2),
    ((3, 4), (3, 4), 2),
    ((3,), (4,), 0),  # outer product
    ((2, 3), (4,), 0),
    ((2, 3, 4), (4, 5), 1),
    ((3, 4), (4, 3), ([1, 0], [0, 1])),
    ((3, 4, 5), (5, 2, 3), ([0, 2], [2, 0])),
    ((3, 4, 5), (4, 6), ([1], [0])),
    ((3, 4, 5), (4, 6), ([-2], [-2])),
    ((3, 4), (5, 6), ([], [])),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sa,sb,dims", TENSORDOT_CASES)
def test_tensordot(sa, sb, dims, dtype):
    check_against_torch(
        lambda a, b: tensordot(a, b, dims),
        sa,
        sb,
        torch_fn=lambda a, b: torch.tensordot(a, b, dims),
        dtype=dtype,
    )


def test_tensordot_default_dims_is_two():
    check_against_torch(
        lambda a, b: tensordot(a, b),
        (2, 3, 4),
        (3, 4, 5),
        torch_fn=lambda a, b: torch.tensordot(a, b),
    )


@pytest.mark.parametrize(
    "sa,sb,dims,match",
    [
        (
            (3, 4),
            (5, 6),
            1,
            r"contracted dimensions need to match.*\(3, 4\).*size 4.*\(5, 6\).*size 5",
        ),
        ((3, 4), (4, 5), -1, r"expects dims >= 0, but got dims=-1"),
        ((3, 4), (4, 5), 3, r"dims=3 is more than the dimensions of shapes \(3, 4\) and \(4, 5\)"),
        ((3, 4), (4, 5), ([1, 0], [0]), r"same length"),
        ((3, 4), (4, 5), ([2], [0]), r"dim 2 is out of range for a with 2"),
    ],
)
def test_tensordot_errors(sa, sb, dims, match):
    with pytest.raises(ValueError, match=match):
        tensordot(cr.ones(*sa), cr.ones(*sb), dims)


def test_tensordot_is_matmul_for_one_dim():
    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
    out = tensordot(on_device(a), on_device(b), 1)
    np.testing.assert_allclose(cr.backend.to_host(out.data), a @ b)


# ------------------------------------------------------------------ kron
KRON_CASES = [
    ((3,), (4,)),
    ((2, 3), (4, 5)),
    ((2, 3), (4,)),  # the shorter shape gets leading 1s
    ((3,), (2, 2)),
    ((1, 2), (3, 1)),
    ((2, 1, 3), (2, 2, 2)),
    ((), ()),
    ((0, 2), (3, 3)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sa,sb", KRON_CASES)
def test_kron(sa, sb, dtype):
    check_against_torch(kron, sa, sb, torch_fn=torch.kron, dtype=dtype)


def test_kron_closed_form():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    b = np.array([[0.0, 5.0], [6.0, 7.0]])
    out = kron(on_device(a), on_device(b))
    np.testing.assert_array_equal(cr.backend.to_host(out.data), np.kron(a, b))


def test_kron_second_order():
    check_against_torch(lambda a: kron(a, a * a), (2, 3), torch_fn=lambda a: torch.kron(a, a * a))
