"""The arithmetic family (+ - * / **, unary math, maximum/minimum, clamp, where, casts)
against torch, with chainrule's own gradcheck as the second oracle."""

import operator

import numpy as np
import pytest
import torch
from helpers import check_against_torch, check_gradcheck, on_device
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainrule as cr

DTYPES = ["float64", "float32"]
FAST = settings(max_examples=25, deadline=None)


def lib(t):
    """The library a tensor belongs to, so one lambda runs on both sides."""
    return torch if isinstance(t, torch.Tensor) else cr


def same_values(fn, *arrays):
    """Forward only, for inputs the helper can't draw (ints, bools): value and dtype."""
    ours = fn(*[on_device(a) for a in arrays])
    ref = fn(*[torch.tensor(a) for a in arrays])
    assert str(ours.dtype) == str(ref.dtype).replace("torch.", ""), (ours.dtype, ref.dtype)
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-6, equal_nan=True)


# ------------------------------------------------------------------ + - * / ** as operators
BINARY = {
    "add": (operator.add, -2.0, 2.0),
    "sub": (operator.sub, -2.0, 2.0),
    "mul": (operator.mul, -2.0, 2.0),
    "div": (operator.truediv, 0.5, 2.0),  # keep denominators away from 0
    "pow": (operator.pow, 0.5, 2.0),  # positive bases: real powers
}
SHAPE_PAIRS = [
    ((), ()),
    ((), (2, 3)),
    ((1,), (4,)),
    ((5,), (5,)),
    ((3, 1, 4), (2, 1)),
    ((2, 0, 3), (3,)),
    ((0,), ()),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", SHAPE_PAIRS, ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_operator(name, shapes, dtype):
    op, low, high = BINARY[name]
    check_against_torch(op, *shapes, dtype=dtype, low=low, high=high)
    check_against_torch(lambda a, b: op(b, a), *shapes, dtype=dtype, low=low, high=high)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scalar", [2, -3, 0.5, -1.5, True])
@pytest.mark.parametrize("name", BINARY)
def test_binary_operator_with_python_scalar(name, scalar, dtype):
    op, low, high = BINARY[name]
    if name == "sub" and isinstance(scalar, bool):
        pytest.skip("torch refuses bool subtraction")
    check_against_torch(lambda a: op(a, scalar), (2, 3), dtype=dtype, low=low, high=high)
    if name == "pow" and (isinstance(scalar, bool) or scalar < 0):
        return  # scalar ** tensor: positive bases only (torch can't take a bool base)
    check_against_torch(lambda a: op(scalar, a), (2, 3), dtype=dtype, low=low, high=high)


@pytest.mark.parametrize("dtype", DTYPES)
def test_add_sub_functions_with_alpha(dtype):
    check_against_torch(lambda a, b: lib(a).add(a, b, alpha=2.5), (3, 1), (4,), dtype=dtype)
    check_against_torch(lambda a, b: lib(a).sub(a, b, alpha=-0.5), (3, 1), (4,), dtype=dtype)
    check_against_torch(lambda a, b: lib(a).add(a, b), (), (2,), dtype=dtype)
    check_against_torch(lambda a: lib(a).sub(a, 3, alpha=2), (3,), dtype=dtype)
    check_against_torch(lambda a, b: a.add(b, alpha=3), (2, 1), (2, 3), dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mul_div_pow_functions(dtype):
    check_against_torch(lambda a, b: lib(a).mul(a, b), (3, 1), (4,), dtype=dtype)
    check_against_torch(lambda a, b: lib(a).div(a, b), (3, 1), (4,), dtype=dtype, low=0.5)
    check_against_torch(lambda a, b: lib(a).pow(a, b), (3, 1), (4,), dtype=dtype, low=0.5)
    check_against_torch(lambda b: lib(b).pow(2.0, b), (3, 2), dtype=dtype)
    check_against_torch(lambda a: lib(a).pow(a, 3), (3, 2), dtype=dtype)


@pytest.mark.parametrize("exponent", [0, 1, 2, 3, -1, 0.5, -2.5])
def test_pow_special_exponents(exponent):
    check_against_torch(lambda a: a**exponent, (2, 3), low=0.5, high=2.0)
    if isinstance(exponent, int):  # integer powers of negative bases are real
        check_against_torch(lambda a: a**exponent, (2, 3), low=-2.0, high=-0.5)


def test_pow_at_zero_base_first_order():
    # ∂/∂b of a**b is 0 where a = 0 and b ≥ 0 (torch's convention); a**0 has ∂/∂a = 0.
    # Second order is left out: torch's double backward leaks NaN from 0·log 0 there.
    a = np.array([0.0, 0.0, 0.0, 2.0, -2.0, 0.0])
    b = np.array([2.0, 0.0, -1.0, 0.0, 3.0, 0.5])
    check_against_torch(lambda x, y: x**y, a, b, gradgrad=False)
    check_against_torch(lambda y: 0.0**y, b, gradgrad=False)
    check_against_torch(lambda x: x**0, a, gradgrad=False)


def test_division_by_zero_gives_inf_like_torch():
    check_against_torch(lambda a, b: a / b, np.array([1.0, -1.0, 0.0]), np.zeros(3))


# ------------------------------------------------------------------ dtypes (torch's promotion)
INT = np.arange(-3, 3).reshape(2, 3)
FLOAT32 = np.linspace(0.5, 2.0, 6, dtype=np.float32).reshape(2, 3)


@pytest.mark.parametrize("scalar", [2, 2.5, -1.5, True])
@pytest.mark.parametrize("name", BINARY)
def test_int_tensor_with_python_scalar(name, scalar):
    op = BINARY[name][0]
    if name == "sub" and isinstance(scalar, bool):
        pytest.skip("torch refuses bool subtraction")
    same_values(lambda a: op(a, scalar), INT)
    same_values(lambda a: op(a, scalar), INT.astype(np.int32))
    if name != "pow":
        same_values(lambda a: op(scalar, a), INT + 4)
    if name not in ("sub", "pow"):  # torch refuses bool subtraction; NumPy's bool ** is int8
        same_values(lambda a: op(a, scalar), INT > 0)


@pytest.mark.parametrize("name", BINARY)
def test_mixed_tensor_dtypes(name):
    op = BINARY[name][0]
    same_values(op, INT, FLOAT32)  # int64 with float32 is float32, not NumPy's float64
    same_values(op, FLOAT32, INT)
    same_values(op, INT.astype(np.int32), np.abs(INT))
    same_values(op, FLOAT32, np.array(1.5))  # a 0-d float64 does not widen float32
    same_values(op, FLOAT32, np.array(2))
    same_values(op, INT, np.array(2.5))  # but a 0-d float lifts an int tensor
    if name != "sub":
        same_values(op, INT > 0, FLOAT32)


DTYPE_NAMES = ["bool", "uint8", "int32", "int64", "float32", "float64"]


@FAST
@given(
    st.sampled_from(DTYPE_NAMES),
    st.sampled_from(DTYPE_NAMES),
    st.sampled_from([(), (3,)]),
    st.sampled_from([(), (3,)]),
)
def test_promotion_matches_torch_result_type(da, db, sa, sb):
    a, b = np.ones(sa, dtype=da), np.full(sb, 2, dtype=db)
    for op in (operator.add, operator.mul, operator.truediv):
        same_values(op, a, b)


def test_int_division_is_float32():
    same_values(operator.truediv, INT, np.abs(INT) + 1)
    same_values(lambda a: a / 2, INT)
    same_values(lambda a: 3 / a, np.abs(INT) + 1)


@pytest.mark.parametrize(
    "name",
    ["exp", "log", "log1p", "sqrt", "rsqrt", "sin", "cos", "erf", "abs", "neg", "square"]
    + ["reciprocal", "expm1", "log2", "log10", "tan", "atan", "sinh", "cosh"],
)
def test_unary_of_int_tensor(name):
    same_values(lambda x: getattr(x, name)(), np.abs(INT) + 1)
    same_values(lambda x: getattr(lib(x), name)(x), np.abs(INT) + 1)


@pytest.mark.parametrize("src, dst", [("float32", "float64"), ("float64", "float32")])
def test_cast_with_to(src, dst):
    check_against_torch(lambda x: x.to(getattr(lib(x), dst)), (2, 3), dtype=src)
    check_against_torch(lambda x: x.double() * x.double(), (2, 3), dtype="float32")
    check_against_torch(lambda x: x.float().double() * x, (4,), dtype="float64")
    same_values(lambda x: x.to(lib(x).int64), np.array([-1.7, 0.2, 2.9]))
    same_values(lambda x: x.to(lib(x).float32) + 0.5, INT)


def test_cast_gradient_keeps_input_dtype():
    x = cr.tensor([1.0, 2.0], dtype=cr.float32, requires_grad=True)
    (x.to(cr.float64) * 2).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


# ------------------------------------------------------------------ unary math
UNARY = {  # name: (low, high), inside the domain
    "neg": (-2, 2),
    "abs": (-2, 2),
    "exp": (-5, 5),
    "log": (0.1, 5),
    "log1p": (-0.9, 5),
    "sqrt": (0.1, 5),
    "rsqrt": (0.1, 5),
    "sin": (-5, 5),
    "cos": (-5, 5),
    "erf": (-3, 3),
    "square": (-2, 2),
    "reciprocal": (0.5, 3),
    "expm1": (-3, 3),
    "log2": (0.1, 5),
    "log10": (0.1, 5),
    "tan": (-1.2, 1.2),
    "atan": (-3, 3),
    "asin": (-0.9, 0.9),
    "acos": (-0.9, 0.9),
    "arctan": (-3, 3),
    "sinh": (-3, 3),
    "cosh": (-3, 3),
}
SHAPES = [(), (1,), (0,), (7,), (2, 0, 3), (2, 1, 3)]


def unary(name):
    return lambda x: getattr(x, name)()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", UNARY)
def test_unary(name, shape, dtype):
    low, high = UNARY[name]
    check_against_torch(unary(name), shape, dtype=dtype, low=low, high=high)
    check_against_torch(lambda x: getattr(lib(x), name)(x), shape, dtype=dtype, low=low, high=high)


@pytest.mark.parametrize("dtype", DTYPES)
def test_unary_edges(dtype):
    x = cr.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [-1.0, 0.0, 1.0])  # abs'(0) = 0
    check_against_torch(unary("abs"), np.array([-1.0, 0.0, -0.0, 2.0]), dtype=dtype)  # 0 at 0
    check_against_torch(unary("sqrt"), np.array([0.0, 1e-8, 4.0]), dtype=dtype)  # grad inf at 0
    check_against_torch(unary("rsqrt"), np.array([0.0, 1e-4, 4.0]), dtype=dtype)
    check_against_torch(unary("log"), np.array([0.0, 1e-30, 1e-6, 1.0]), dtype=dtype)
    check_against_torch(unary("log1p"), np.array([-1.0, -1 + 1e-6, 1e-12, 3.0]), dtype=dtype)
    check_against_torch(unary("exp"), np.array([-1000.0, -50.0, 0.0, 50.0]), dtype=dtype)
    check_against_torch(unary("erf"), np.array([-10.0, -1e-8, 0.0, 6.0]), dtype=dtype)
    check_against_torch(unary("sin"), np.array([0.0, np.pi / 2, 100.0]), dtype=dtype)


@FAST
@given(
    st.sampled_from(sorted(UNARY)),
    hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
    st.sampled_from(DTYPES),
)
def test_unary_random_shapes(name, shape, dtype):
    low, high = UNARY[name]
    check_against_torch(unary(name), shape, dtype=dtype, low=low, high=high)


# ------------------------------------------------------------------ maximum, minimum
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", SHAPE_PAIRS, ids=str)
@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum(name, shapes, dtype):
    check_against_torch(lambda a, b: getattr(a, name)(b), *shapes, dtype=dtype)
    check_against_torch(lambda a, b: getattr(lib(a), name)(a, b), *shapes, dtype=dtype)


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_ties_and_nan(name):
    # Ties: half the gradient to each side. NaN: the whole gradient to both (torch's rule).
    a = np.array([1.0, 2.0, 3.0, 0.0, -0.0, np.nan, 1.0, np.nan])
    b = np.array([1.0, 1.0, 4.0, 0.0, 0.0, 1.0, np.nan, np.nan])
    for dtype in DTYPES:
        check_against_torch(lambda x, y: getattr(lib(x), name)(x, y), a, b, dtype=dtype)
    x = cr.tensor([2.0], requires_grad=True)
    getattr(cr, name)(x, x.detach()).sum().backward()
    assert x.grad.item() == 0.5


def test_maximum_closed_form_ties():
    a = cr.tensor([1.0, 3.0, 5.0], requires_grad=True)
    b = cr.tensor([1.0, 4.0, 2.0], requires_grad=True)
    cr.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(b.grad.numpy(), [0.5, 1.0, 0.0])


# ------------------------------------------------------------------ clamp
# Values that sit exactly on the bounds -1 and 1, inside, and outside.
ON_BOUNDS = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_clamp_scalar_bounds(dtype):
    # torch passes the gradient at the boundaries themselves (x == min or x == max)
    check_against_torch(lambda x: x.clamp(-1.0, 1.0), ON_BOUNDS, dtype=dtype)
    check_against_torch(lambda x: x.clamp(min=-1.0), ON_BOUNDS, dtype=dtype)
    check_against_torch(lambda x: x.clamp(max=1), ON_BOUNDS, dtype=dtype)
    check_against_torch(lambda x: x.clamp(1.0, -1.0), ON_BOUNDS, dtype=dtype)  # crossed: max
    check_against_torch(lambda x: lib(x).clamp(x, -1.0, 1.0), ON_BOUNDS, dtype=dtype)
    check_against_torch(lambda x: lib(x).clip(x, -0.3, 0.3), (3, 0, 2), dtype=dtype)
    for shape in [(), (1,), (0,), (3, 4)]:
        check_against_torch(lambda x: x.clamp(-1.0, 1.0), shape, dtype=dtype)


def test_clamp_closed_form_boundary_gradient():
    x = cr.tensor([-2.0, -1.0, 0.0, 1.0, 2.0], requires_grad=True)
    x.clamp(-1.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 1.0, 1.0, 0.0])


def test_clamp_int_tensor():
    same_values(lambda x: x.clamp(-1, 1), INT)
    same_values(lambda x: x.clamp(-1.5, 1.5), INT)  # a float bound makes it float32
    same_values(lambda x: x.clamp(min=0.5), INT)


@pytest.mark.parametrize("dtype", DTYPES)
def test_clamp_tensor_bounds(dtype):
    x = np.array([-2.0, -1.0, 0.0, 0.5, 1.0, 2.0, 0.0, 0.2])
    lo = np.array([-1.0, -1.0, 0.0, 0.5, 0.0, 3.0, 0.0, 1.0])
    hi = np.array([1.0, 1.0, 1.0, 0.5, 1.0, 2.5, 0.0, -1.0])  # ties, equal and crossed bounds
    check_against_torch(lambda a, b, c: a.clamp(b, c), x, lo, hi, dtype=dtype)
    check_against_torch(lambda a, b: a.clamp(min=b), x, lo, dtype=dtype)
    check_against_torch(lambda a, c: a.clamp(max=c), x, hi, dtype=dtype)
    check_against_torch(lambda a, b, c: lib(a).clamp(a, b, c), (3, 2, 4), (2, 1), (4,), dtype=dtype)
    check_against_torch(lambda a, b: a.clamp(min=b), (4,), (3, 4), dtype=dtype)  # x broadcast
    check_against_torch(lambda a, b, c: a.clamp(b, c), (), (), (), dtype=dtype)


# ------------------------------------------------------------------ where
def where_fn(cond):
    def fn(a, b):
        c = torch.from_numpy(cond) if isinstance(a, torch.Tensor) else on_device(cond)
        return lib(a).where(c, a, b)

    return fn


@pytest.mark.parametrize("dtype", DTYPES)
def test_where(dtype):
    rng = np.random.default_rng(1)
    for shape_c, shape_a, shape_b in [
        ((3,), (3,), (3,)),
        ((2, 1, 3), (4, 1), (3,)),  # all three broadcast
        ((2, 1), (3,), ()),
        ((), (2, 3), (2, 3)),
        ((0, 3), (3,), (1, 3)),
    ]:
        cond = np.asarray(rng.random(shape_c) > 0.5)
        check_against_torch(where_fn(cond), shape_a, shape_b, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_where_with_scalar_branches(dtype):
    cond = np.array([[True, False, True], [False, False, True]])
    c_t, c_cr = torch.from_numpy(cond), on_device(cond)

    def pick(ct, ccr, a=None, b=None):
        return lambda x: lib(x).where(ct if lib(x) is torch else ccr, a or x, b or x)

    check_against_torch(pick(c_t, c_cr, b=0.5), (2, 3), dtype=dtype)
    check_against_torch(pick(c_t, c_cr, a=-2), (2, 3), dtype=dtype)
    check_against_torch(
        lambda x: x.masked_fill(c_t if lib(x) is torch else on_device(cond), -1.0),
        (2, 3),
        dtype=dtype,
    )
    check_against_torch(lambda x: x.where(c_t if lib(x) is torch else c_cr, 0.0), (3,), dtype=dtype)
    same_values(lambda c: lib(c).where(c, 1.0, 0.0), cond)
    same_values(lambda c: lib(c).where(c, 1, 0), cond)
    same_values(lambda c, a: lib(c).where(c, a, 0.5), cond, INT)
    same_values(lambda c, a, b: lib(c).where(c, a, b), cond, INT, FLOAT32)
    same_values(lambda c, a, b: lib(c).where(c, a, b), cond, FLOAT32, np.array(0.5))


# ------------------------------------------------------------------ random broadcasting
BINARY_RANDOM = {
    **{k: v for k, v in BINARY.items()},
    "maximum": (lambda a, b: lib(a).maximum(a, b), -2.0, 2.0),
    "minimum": (lambda a, b: lib(a).minimum(a, b), -2.0, 2.0),
    "where": (where_fn(np.array([True, False, False, True])), -2.0, 2.0),
}


@FAST
@given(
    st.sampled_from(sorted(BINARY_RANDOM)),
    hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4),
    st.sampled_from(DTYPES),
)
def test_binary_random_broadcasting(name, shapes, dtype):
    op, low, high = BINARY_RANDOM[name]
    if name == "where":  # cond is (4,): extend the last axis to 4 (or 1) to broadcast with it
        shapes = [s[:-1] + (4 if s[-1] != 1 else 1,) if s else s for s in shapes.input_shapes]
    else:
        shapes = shapes.input_shapes
    check_against_torch(op, *shapes, dtype=dtype, low=low, high=high)


# ------------------------------------------------------------------ second oracle: gradcheck
GRADCHECK = [
    (operator.add, [(3, 1), (2,)], -2, 2),
    (operator.sub, [(3, 1), (2,)], -2, 2),
    (operator.mul, [(3, 1, 4), (2, 1)], -2, 2),
    (operator.truediv, [(3, 1), (2,)], 0.5, 2),
    (operator.pow, [(3, 1), (2,)], 0.5, 2),
    (lambda a: 2.0**a, [(3,)], -2, 2),
    (lambda a: 1.5 - a / 3 + a * 2, [(3,)], -2, 2),
    (lambda a, b: cr.add(a, b, alpha=2.5), [(3,), (3,)], -2, 2),
    (lambda a, b: cr.sub(a, b, alpha=-1.5), [(3,), ()], -2, 2),
    (lambda a: -a, [(3,)], -2, 2),
    (lambda a: a.abs(), [(3,)], 0.5, 2),  # away from the kink at 0
    (lambda a: (-a).abs(), [(3,)], 0.5, 2),
    (lambda a: a.exp(), [(3,)], -2, 2),
    (lambda a: a.log(), [(3,)], 0.5, 2),
    (lambda a: a.log1p(), [(3,)], -0.5, 2),
    (lambda a: a.sqrt(), [(3,)], 0.5, 2),
    (lambda a: a.rsqrt(), [(3,)], 0.5, 2),
    (lambda a: a.sin(), [(3,)], -2, 2),
    (lambda a: a.cos(), [(3,)], -2, 2),
    (lambda a: a.erf(), [(3,)], -2, 2),
    (lambda a: a.square(), [(3,)], -2, 2),
    (lambda a, b: cr.maximum(a, b), [(4,), (4,)], -2, 2),
    (lambda a, b: cr.minimum(a, b), [(2, 1), (3,)], -2, 2),
    (lambda a: a.clamp(-0.5, 0.5), [(5,)], -2, 2),
    (lambda a, b, c: a.clamp(b, c), [(5,), (5,), (5,)], -2, 2),
    (lambda a, b: cr.where(cr.tensor([True, False, True]), a, b), [(3,), (2, 1)], -2, 2),
]


@pytest.mark.parametrize("case", range(len(GRADCHECK)))
def test_gradcheck(case):
    fn, shapes, low, high = GRADCHECK[case]
    check_gradcheck(fn, *shapes, low=low, high=high)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "name, fn",
    [
        ("add", operator.add),
        ("sub", operator.sub),
        ("mul", operator.mul),
        ("div", operator.truediv),
        ("pow", operator.pow),
        ("add", lambda a, b: cr.add(a, b, alpha=2)),
        ("maximum", cr.maximum),
        ("minimum", cr.minimum),
        ("clamp", lambda a, b: cr.clamp(a, b)),
        ("where", lambda a, b: cr.where(a > 0, a, b)),
    ],
)
def test_broadcast_failure_names_op_and_shapes(name, fn):
    with pytest.raises(ValueError, match=rf"^{name}: .*\(2, 3\).*\(4,\)"):
        fn(cr.ones(2, 3), cr.ones(4))


def test_clamp_needs_a_bound():
    with pytest.raises(ValueError, match="clamp: at least one of min and max"):
        cr.clamp(cr.ones(3))


# ------------------------------------------------------------------ NumPy scalars as numbers
NUMPY_SCALAR_OPS = {
    "mul": lambda x, s: x * s,
    "rmul": lambda x, s: s * x,
    "radd": lambda x, s: s + x,
    "rsub": lambda x, s: s - x,
    "div": lambda x, s: x / s,
    "rdiv": lambda x, s: s / x,
    "pow": lambda x, s: x.abs() ** s,
    "rpow": lambda x, s: s**x,
    "add alpha": lambda x, s: lib(x).add(x, x * x, alpha=s),
    "where": lambda x, s: lib(x).where(x > 0, x, s),
    "masked_fill": lambda x, s: x.masked_fill(x > 0, s),
    "add_": lambda x, s: x.clone().add_(s),
    "mul_": lambda x, s: x.clone().mul_(s),
    "div_": lambda x, s: x.clone().div_(s),
}


@pytest.mark.parametrize("scalar", [np.float64(0.3), np.float32(0.3), np.int64(3)], ids=str)
@pytest.mark.parametrize("name", NUMPY_SCALAR_OPS)
def test_a_numpy_scalar_operand_counts_as_the_number_it_holds(name, scalar):
    """torch takes a NumPy scalar as a Python number: float32 work stays float32. NumPy 2 keeps
    a numpy.float64's dtype (and it passes isinstance(·, float)), which made these float64."""
    fn = NUMPY_SCALAR_OPS[name]
    a = np.random.default_rng(0).uniform(-2, 2, (3, 4)).astype(np.float32)
    ours, ref = fn(on_device(a), scalar), fn(torch.tensor(a), scalar)
    assert str(ours.dtype) == str(ref.dtype).replace("torch.", "") == "float32"
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-6, atol=1e-6)
    # and bit for bit what the Python number gives
    plain = fn(on_device(a), scalar.item())
    np.testing.assert_array_equal(ours.numpy(), plain.numpy())


def test_number_arg_reads_numpy_scalars_and_names_what_is_not_a_number():
    from chainrule.functions.arithmetic import number_arg

    got = number_arg(np.float64(0.25), "op", "eps")
    assert type(got) is float and got == 0.25
    assert type(number_arg(np.int32(3), "op", "k")) is int
    assert number_arg(True, "op", "flag") is True
    held = np.array(0.5)  # a 0-d array: the number it holds at the call
    assert type(number_arg(held, "op", "slope")) is float and number_arg(held, "op", "s") == 0.5
    held[...] = 0.25
    assert number_arg(held, "op", "slope") == 0.25
    with pytest.raises(TypeError, match="slope must be a number, got ndarray"):
        number_arg(np.array([0.5]), "op", "slope")
    with pytest.raises(
        TypeError, match=r"leaky_relu: negative_slope must be a number, got str '0\.2'"
    ):
        number_arg("0.2", "leaky_relu", "negative_slope")
    with pytest.raises(TypeError, match="eps must be a number, got NoneType None"):
        number_arg(None, "layer_norm", "eps")


# ------------------------------------------------------------------ rounding and modulo
ROUNDING = {
    "floor": lambda x: x.floor(),
    "ceil": lambda x: lib(x).ceil(x),
    "trunc": lambda x: lib(x).trunc(x),
    "round": lambda x: lib(x).round(x),
    "round 2": lambda x: lib(x).round(x, decimals=2),
    "frac": lambda x: x.frac() * x,  # gradient 1: times x, so the second order shows
}
HALVES = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -1.7, 0.2, 2.9, 0.0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ROUNDING)
def test_rounding_against_torch(name, dtype):
    """Values (halves round to even), zero gradients (frac: one), second order."""
    check_against_torch(ROUNDING[name], HALVES, dtype=dtype)
    check_against_torch(ROUNDING[name], (3, 4), dtype=dtype, low=-9, high=9)


@pytest.mark.parametrize("name", ["floor", "ceil", "trunc", "round"])
def test_rounding_an_int_tensor_gives_it_back(name):
    same_values(ROUNDING[name], INT)


def test_rounding_gradient_is_zero_even_where_the_upstream_is_not_finite():
    x = cr.tensor([0.5, 1.5], requires_grad=True)
    (g,) = cr.grad(x.floor(), x, grad_outputs=cr.tensor([np.inf, np.nan]))
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0])  # torch: zeros_like(grad)
    with pytest.raises(TypeError, match="frac: expected a floating-point tensor, got dtype int64"):
        cr.frac(cr.tensor([1, 2]))


MOD_A = np.array([5.3, -3.2, 2.6, -0.4, 7.1, -6.3])
MOD_B = np.array([2.0, 1.5, -1.1, 0.9, -2.5, 1.7])  # a/b stays away from whole numbers


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "name, fn",
    [
        ("%", lambda a, b: a % b),
        ("remainder", lambda a, b: lib(a).remainder(a, b)),
        ("fmod", lambda a, b: lib(a).fmod(a, b)),
        ("fmod method", lambda a, b: a.fmod(b) * a),
    ],
)
def test_remainder_and_fmod_against_torch(name, fn, dtype):
    """Both signs of a and b: % takes b's sign, fmod a's; ∂/∂b = −⌊a/b⌋ or −trunc(a/b)."""
    check_against_torch(fn, MOD_A, MOD_B, dtype=dtype)
    check_against_torch(lambda a: fn(a, 1.5), MOD_A, dtype=dtype)
    check_against_torch(lambda b: fn(b * 0 + 7.3, b), MOD_B, dtype=dtype)  # broadcast a


def test_modulo_operators_on_numbers_and_ints_follow_torch():
    a = np.array([-7, -3, 0, 4, 9])
    same_values(lambda x: x % 4, a)
    same_values(lambda x: x // 4, a)
    same_values(lambda x: 10 % (x + 20), a)
    same_values(lambda x: 10 // (x + 20), a)
    same_values(lambda x: x // 2.5, a)  # an int tensor and a float: float32
    same_values(lambda x: x % -2.5, a)
    same_values(lambda x: lib(x).fmod(x, 4), a)
    same_values(lambda x: x.floor_divide(-3), a)
    same_values(lambda x: (x > 0) % 2, a)  # bool and an int: int64
    same_values(lambda x: x.float() // 0, a)  # floats by zero: ±inf and nan, as torch
    same_values(lambda x: x.float() % 0, a)


def test_integer_division_by_zero_raises_and_floor_divide_has_no_gradient():
    for op in (lambda x: x % 0, lambda x: x // cr.tensor([1, 0, 2]), lambda x: cr.fmod(x, 0)):
        with pytest.raises(ZeroDivisionError, match="integer division by zero"):
            op(cr.tensor([1, 2, 3]))
    x = cr.tensor([1.5, -2.5], requires_grad=True)
    y = x // 2
    np.testing.assert_array_equal(y.detach().numpy(), [0.0, -2.0])
    with pytest.raises(RuntimeError, match="derivative for floor_divide is not implemented"):
        y.sum().backward()  # as torch


@pytest.mark.parametrize("dtype", DTYPES)
def test_atan2_against_torch_in_every_quadrant(dtype):
    a = np.array([1.0, 1.0, -1.0, -1.0, 0.5, -2.0])
    b = np.array([1.0, -1.0, 1.0, -1.0, -0.3, 0.7])
    check_against_torch(lambda y, x: lib(y).atan2(y, x), a, b, dtype=dtype)
    check_against_torch(lambda y, x: y.atan2(x), (3, 1), (4,), dtype=dtype, low=0.3, high=2)
    same_values(lambda y: lib(y).atan2(y, y * 0 + 2), INT)  # ints: a float32 angle


@pytest.mark.parametrize("dtype", DTYPES)
def test_lerp_against_torch(dtype):
    check_against_torch(lambda a, b: a.lerp(b, 0.3), (3, 4), (4,), dtype=dtype)
    check_against_torch(lambda a, b, w: lib(a).lerp(a, b, w), (3, 1), (4,), (3, 4), dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_nan_to_num_against_torch(dtype):
    x = np.array([1.5, np.nan, np.inf, -np.inf, -2.0, 0.0])
    check_against_torch(lambda t: t.nan_to_num() * 2, x, dtype=dtype)
    check_against_torch(
        lambda t: lib(t).nan_to_num(t, nan=-1.0, posinf=9.0) * t.nan_to_num(), x, dtype=dtype
    )
    check_against_torch(lambda t: t.nan_to_num(neginf=np.float64(-5.0)), x, dtype=dtype)
    same_values(lambda t: t.nan_to_num(), INT)  # integers come back as they are


def test_sign_of_nan_is_zero_and_its_gradient_is_zero_as_torchs():
    a = np.array([np.nan, -0.0, 2.0, -3.0, np.inf], np.float32)
    x, t = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, u = cr.sign(x), torch.sign(t)
    np.testing.assert_array_equal(y.data, u.detach().numpy())
    y.sum().backward()
    u.sum().backward()
    np.testing.assert_array_equal(x.grad.data, t.grad.numpy())
