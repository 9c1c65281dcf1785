"""Comparisons against torch: bool results, broadcasting, and no gradient."""

import operator

import numpy as np
import pytest
import torch
from helpers import check_against_torch, host, on_device

import chainrule as cr
from chainrule.functions import comparison as C

OPS = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}
SHAPES = [((), ()), ((5,), (5,)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 0), (1,))]


def check_exact(fn, *arrays, torch_fn=None):
    """Forward only, for integer and bool inputs (the helper draws floating inputs)."""
    ours = fn(*[on_device(a) for a in arrays])
    ref = (torch_fn or fn)(*[torch.from_numpy(np.asarray(a)) for a in arrays])
    assert str(ours.dtype) == str(ref.dtype).replace("torch.", ""), (ours.dtype, ref.dtype)
    np.testing.assert_array_equal(host(ours), ref.numpy())
    assert not ours.requires_grad


def _ties(shape, seed):
    """Small integers as floats, so that equal pairs occur."""
    return np.random.default_rng(seed).integers(-2, 3, size=shape).astype(np.float64)


@pytest.mark.parametrize("sa,sb", SHAPES)
@pytest.mark.parametrize("name", list(OPS))
def test_operators(name, sa, sb):
    a, b = _ties(sa, 0), _ties(sb, 1)
    out = check_against_torch(OPS[name], a, b)
    assert out.dtype == cr.bool_ and not out.requires_grad
    out = check_against_torch(
        lambda x, y: getattr(cr, name)(x, y), a, b, torch_fn=getattr(torch, name)
    )
    assert not out.requires_grad


@pytest.mark.parametrize("name", list(OPS))
def test_with_python_scalars_and_ints(name):
    a = _ties((3, 4), 2)
    check_against_torch(lambda x: OPS[name](x, 0.0), a)
    check_exact(lambda x: OPS[name](x, 1), a.astype(np.int64))
    check_exact(OPS[name], a.astype(np.int64), a[0].astype(np.int64))
    check_against_torch(lambda x: OPS[name](1.5, x), a, grad=False)


def test_nan_and_inf():
    a = np.array([np.nan, np.inf, -np.inf, 0.0, np.nan])
    b = np.array([np.nan, np.inf, 0.0, -0.0, 1.0])
    for op in OPS.values():
        check_against_torch(op, a, b)


def test_logical_and_tests():
    a = np.array([[1.0, np.nan, np.inf], [0.0, -np.inf, 2.0]])
    for name in ["isnan", "isinf", "isfinite"]:
        check_against_torch(lambda x, n=name: getattr(cr, n)(x), a, torch_fn=getattr(torch, name))
    p, q = np.array([True, True, False, False]), np.array([True, False, True, False])
    for name in ["logical_and", "logical_or", "logical_xor"]:
        check_exact(lambda x, y, n=name: getattr(C, n)(x, y), p, q, torch_fn=getattr(torch, name))
    check_exact(lambda x: cr.logical_not(x), p, torch_fn=torch.logical_not)
    check_exact(lambda x, y: (x & y) | ~x ^ y, p, q)
    check_exact(lambda x, y: OPS["eq"](x, y), p, q)


def test_comparison_of_a_tensor_that_requires_grad_has_no_grad():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    assert (x > 1).grad_fn is None and not (x == x).requires_grad


def test_equal_and_allclose():
    a = cr.tensor([1.0, 2.0])
    assert cr.equal(a, cr.tensor([1.0, 2.0])) and not cr.equal(a, cr.tensor([1.0, 2.0, 3.0]))
    assert cr.allclose(a, a + 1e-9) and not cr.allclose(a, a + 1e-3)


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"lt: shapes \(3,\) and \(4,\) cannot be broadcast"):
        _ = cr.zeros(3) < cr.zeros(4)
    with pytest.raises(ValueError, match=r"eq: shapes \(2, 3\) and \(2,\)"):
        cr.eq(cr.zeros(2, 3), cr.zeros(2))
