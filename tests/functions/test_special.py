"""The special-function family (asinh ... erfinv, lgamma, digamma, xlogy, fmax, ...) against
torch, with chainrule's gradcheck and, where torch itself is approximate, mpmath as oracles."""

import numpy as np
import pytest
import torch
from helpers import check_against_torch, check_gradcheck, on_device, same_values

import chainrule as cr
from chainrule.functions import special as S

DTYPES = ["float64", "float32"]


# ------------------------------------------------------------------ unary ops with gradients
UNARY = {
    # name: (ours, torch, low, high)
    "asinh": (S.asinh, torch.asinh, -5.0, 5.0),
    "arcsinh": (S.arcsinh, torch.arcsinh, -5.0, 5.0),
    "acosh": (S.acosh, torch.acosh, 1.1, 6.0),
    "arccosh": (S.arccosh, torch.arccosh, 1.1, 6.0),
    "atanh": (S.atanh, torch.atanh, -0.9, 0.9),
    "arctanh": (S.arctanh, torch.arctanh, -0.9, 0.9),
    "exp2": (S.exp2, torch.exp2, -10.0, 10.0),
    "erfc": (S.erfc, torch.erfc, -4.0, 9.0),
    "erfinv": (S.erfinv, torch.erfinv, -0.999, 0.999),
    "lgamma": (S.lgamma, torch.lgamma, -4.9, 30.0),
    "logit": (S.logit, torch.logit, 0.01, 0.99),
    "sinc": (S.sinc, torch.sinc, -4.0, 4.0),
    "deg2rad": (S.deg2rad, torch.deg2rad, -400.0, 400.0),
    "rad2deg": (S.rad2deg, torch.rad2deg, -7.0, 7.0),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (7,), (3, 4), (2, 0, 3)], ids=str)
@pytest.mark.parametrize("name", UNARY)
def test_unary_matches_torch(name, shape, dtype):
    ours, ref, low, high = UNARY[name]
    check_against_torch(ours, shape, torch_fn=ref, dtype=dtype, low=low, high=high)


@pytest.mark.parametrize("name", UNARY)
def test_unary_gradcheck(name):
    ours, _, low, high = UNARY[name]
    check_gradcheck(ours, (2, 3), low=low, high=high)


@pytest.mark.parametrize("name", UNARY)
def test_unary_integer_input_becomes_float32(name):
    ours, ref, _, _ = UNARY[name]
    same_values(ours, ref, np.array([-2, 0, 1, 3]))


# ------------------------------------------------------------------ binary ops with gradients
BINARY = {
    # name: (ours, torch, low, high)
    "logaddexp": (S.logaddexp, torch.logaddexp, -30.0, 30.0),
    "logaddexp2": (S.logaddexp2, torch.logaddexp2, -30.0, 30.0),
    "hypot": (S.hypot, torch.hypot, -3.0, 3.0),
    "copysign": (S.copysign, torch.copysign, -3.0, 3.0),
    "xlogy": (S.xlogy, torch.xlogy, 0.1, 3.0),
    "fmax": (S.fmax, torch.fmax, -2.0, 2.0),
    "fmin": (S.fmin, torch.fmin, -2.0, 2.0),
    "float_power": (S.float_power, torch.float_power, 0.3, 2.0),
    "ldexp": (S.ldexp, torch.ldexp, -3.0, 3.0),
    "multiply": (S.multiply, torch.multiply, -2.0, 2.0),
    "true_divide": (S.true_divide, torch.true_divide, 0.5, 2.0),
    "divide": (S.divide, torch.divide, 0.5, 2.0),
    "subtract": (S.subtract, torch.subtract, -2.0, 2.0),
}
SHAPE_PAIRS = [((), ()), ((), (2, 3)), ((5,), (5,)), ((3, 1, 4), (2, 1)), ((2, 0, 3), (3,))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", SHAPE_PAIRS, ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_matches_torch(name, shapes, dtype):
    ours, ref, low, high = BINARY[name]
    check_against_torch(ours, *shapes, torch_fn=ref, dtype=dtype, low=low, high=high)
    check_against_torch(ours, *shapes[::-1], torch_fn=ref, dtype=dtype, low=low, high=high)


@pytest.mark.parametrize("name", BINARY)
def test_binary_gradcheck(name):
    ours, _, low, high = BINARY[name]
    check_gradcheck(ours, (2, 3), (3,), low=low, high=high)


@pytest.mark.parametrize("name", ["logaddexp", "hypot", "copysign", "xlogy", "fmax", "divide"])
def test_binary_broadcast_error_names_both_shapes(name):
    ours = BINARY[name][0]
    with pytest.raises(ValueError, match=rf"{name}: shapes \(2, 3\) and \(4,\)"):
        ours(cr.ones(2, 3), cr.ones(4))


@pytest.mark.parametrize("name", ["copysign", "xlogy", "fmax", "fmin", "ldexp", "float_power"])
def test_binary_integer_inputs(name):
    ours, ref, _, _ = BINARY[name]
    a, b = np.array([[0, 1, -2], [3, -4, 5]]), np.array([2, -1, 0])
    same_values(ours, ref, a, b)
    same_values(ours, ref, a.astype("float32"), b)
    same_values(ours, ref, b, a.astype("float64"))


@pytest.mark.parametrize("name", ["copysign", "xlogy", "fmax", "fmin", "logaddexp", "hypot"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_number_operands(name, dtype):
    ours, ref, _, _ = BINARY[name]
    x = np.array([0.5, -1.5, 2.0], dtype=dtype)
    for number in (2, 1.5, -3):
        if name in ("copysign", "xlogy"):
            same_values(ours, ref, x, number)
            if name == "xlogy":  # torch.copysign takes a number second only
                same_values(ours, ref, number, x)
        else:  # torch takes tensors only: the number as a 0-d tensor of x's dtype
            same_values(ours, lambda a, b: ref(a, torch.tensor(b, dtype=a.dtype)), x, number)


def test_logaddexp_infinities_and_ties():
    a = np.array([-np.inf, np.inf, -np.inf, np.inf, 1.0, 1e30, np.nan])
    b = np.array([-np.inf, np.inf, 3.0, -np.inf, 1.0, -1e30, 0.0])
    same_values(S.logaddexp, torch.logaddexp, a, b)
    same_values(S.logaddexp2, torch.logaddexp2, a, b)
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    S.logaddexp(x, cr.tensor([1.0, 2.0])).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.5])  # σ(0) at ties


def test_hypot_extremes_and_zero_gradient():
    big = np.array([1e200, 3e38, 0.0])
    same_values(S.hypot, torch.hypot, big, big)
    same_values(S.hypot, torch.hypot, big.astype("float32")[1:], big.astype("float32")[1:])
    x = cr.tensor([0.0, 3.0], requires_grad=True)
    xt = torch.tensor([0.0, 3.0], requires_grad=True)
    S.hypot(x, cr.tensor([0.0, 4.0])).sum().backward()
    torch.hypot(xt, torch.tensor([0.0, 4.0])).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), equal_nan=True)


def test_hypot_rejects_integers():
    with pytest.raises(TypeError, match="hypot: expected floating-point tensors, got dtype int64"):
        S.hypot(cr.tensor([1, 2]), cr.tensor([1.0, 2.0]))


def _grads(fn, torch_fn, *arrays):
    xs = [cr.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    fn(*xs).sum().backward()
    torch_fn(*ts).sum().backward()
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), equal_nan=True)


def test_copysign_signed_zeros_and_gradients():
    a = np.array([0.0, -0.0, 2.0, -2.0, 3.0, np.inf])
    b = np.array([-0.0, 0.0, -1.0, 1.0, -np.inf, -1.0])
    same_values(S.copysign, torch.copysign, a, b, exact=True)
    assert np.signbit(S.copysign(on_device(a), on_device(b)).numpy()[0])
    _grads(S.copysign, torch.copysign, a, b)


def test_xlogy_zeros_and_nans():
    x = np.array([0.0, 0.0, 0.0, 1.0, 2.0, 0.0, 3.0])
    y = np.array([0.0, 1.0, -1.0, 0.0, np.nan, np.nan, 2.0])
    same_values(S.xlogy, torch.xlogy, x, y)
    _grads(S.xlogy, torch.xlogy, x, y)


def test_fmax_fmin_nan_rules_and_tie_gradients():
    a = np.array([1.0, 2.0, np.nan, 1.0, np.nan, -0.5])
    b = np.array([1.0, np.nan, 1.0, 3.0, np.nan, -0.5])
    for ours, ref in ((S.fmax, torch.fmax), (S.fmin, torch.fmin)):
        same_values(ours, ref, a, b)
        _grads(ours, ref, a, b)


def test_fmax_keeps_integer_dtypes():
    a, b = np.array([1, 5, -3], dtype=np.int32), np.array([2, 2, 2], dtype=np.int32)
    same_values(S.fmax, torch.fmax, a, b, exact=True)
    same_values(S.fmin, torch.fmin, a, b.astype(np.int64), exact=True)


# ------------------------------------------------------------------ logit, sinc edges
def test_logit_eps_clamps_and_zeroes_the_gradient_outside():
    p = np.array([0.0, 0.05, 0.1, 0.5, 0.9, 0.95, 1.0])
    for eps in (None, 0.1, 0.0):
        same_values(lambda t, e=eps: S.logit(t, e), lambda t, e=eps: torch.logit(t, e), p)
        _grads(lambda t, e=eps: S.logit(t, e), lambda t, e=eps: torch.logit(t, e), p)
    check_against_torch(
        lambda t: S.logit(t, eps=0.2),
        (4, 5),
        torch_fn=lambda t: torch.logit(t, eps=0.2),
        low=0.0,
        high=1.0,
    )
    with pytest.raises(TypeError, match="logit: eps must be a number"):
        S.logit(cr.tensor([0.5]), eps="0.1")


def test_sinc_at_zero():
    x = np.array([0.0, -0.0, 1.0, 0.5, 1e-20, 1e10, np.inf])
    same_values(S.sinc, torch.sinc, x)
    same_values(S.sinc, torch.sinc, x.astype("float32"))
    _grads(S.sinc, torch.sinc, np.array([0.0, 0.5, -1.25]))


# ------------------------------------------------------------------ float_power, ldexp
def test_float_power_is_float64_with_number_operands():
    x = np.array([0.5, 2.0, 3.0], dtype="float32")
    same_values(S.float_power, torch.float_power, x, 2)
    same_values(S.float_power, torch.float_power, x, 0.5)
    same_values(S.float_power, torch.float_power, 2, x)
    same_values(S.float_power, torch.float_power, np.array([1, 2, 3]), np.array([2, 3, 4]))
    check_against_torch(
        lambda t: S.float_power(t, 1.5),
        (3,),
        torch_fn=lambda t: torch.float_power(t, 1.5),
        dtype="float32",
        low=0.5,
        high=2.0,
        gradgrad=False,
    )


# ------------------------------------------------------------------ addcmul, addcdiv, clamp_*
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("value", [1, 0.5, -2])
def test_addcmul_addcdiv_match_torch(value, dtype):
    for ours, ref, low in ((S.addcmul, torch.addcmul, -2.0), (S.addcdiv, torch.addcdiv, 0.5)):
        check_against_torch(
            lambda a, b, c, o=ours: o(a, b, c, value=value),
            (3, 1),
            (4,),
            (1, 4),
            torch_fn=lambda a, b, c, r=ref: r(a, b, c, value=value),
            dtype=dtype,
            low=low,
            high=2.0,
        )


def test_addcmul_integer_and_addcdiv_integer_error():
    i = np.array([1, 2, 0])
    same_values(
        lambda a, b, c: S.addcmul(a, b, c, value=2),
        lambda a, b, c: torch.addcmul(a, b, c, value=2),
        i,
        i,
        i,
        exact=True,
    )
    same_values(
        lambda a, b, c: S.addcmul(a, b, c, value=0.5),
        lambda a, b, c: torch.addcmul(a, b, c, value=0.5),
        i,
        i,
        i,
        exact=True,
    )
    with pytest.raises(
        TypeError, match="addcdiv: integer division is not supported, got dtypes int64 and int64"
    ):
        S.addcdiv(cr.ones(3), cr.tensor(i), cr.tensor(i))


def test_clamp_min_max():
    for ours, ref in ((S.clamp_min, torch.clamp_min), (S.clamp_max, torch.clamp_max)):
        check_against_torch(
            lambda t, o=ours: o(t, 0.3), (3, 4), torch_fn=lambda t, r=ref: r(t, 0.3)
        )
        check_against_torch(ours, (3, 4), (4,), torch_fn=ref)
        same_values(lambda t, o=ours: o(t, 0.5), lambda t, r=ref: r(t, 0.5), np.array([0, 1, 2]))


# ------------------------------------------------------------------ divide with rounding_mode
@pytest.mark.parametrize("mode", ["trunc", "floor"])
def test_divide_rounding_modes(mode):
    a = np.array([7, -7, 7, -7, 0, 5])
    b = np.array([2, 2, -2, -2, 3, 5])
    f = lambda x, y: S.divide(x, y, rounding_mode=mode)  # noqa: E731
    g = lambda x, y: torch.divide(x, y, rounding_mode=mode)  # noqa: E731
    same_values(f, g, a, b, exact=True)
    same_values(f, g, a.astype("float32") + 0.5, b.astype("float32"))
    same_values(f, g, np.array([1.0, -1.0, 0.0, 7.5]), np.array([0.1, 0.0, 0.0, -2.0]))
    same_values(f, g, a, 2, exact=True)
    same_values(f, g, a, 2.5)
    check_against_torch(f, (3, 4), (4,), torch_fn=g, low=-5.0, high=5.0)


def test_divide_errors_and_true_division():
    check_against_torch(S.divide, (3,), (3,), torch_fn=torch.divide, low=0.5, high=2.0)
    with pytest.raises(
        ValueError, match="divide: rounding_mode must be None, 'trunc' or 'floor', got 'round'"
    ):
        S.divide(cr.ones(2), cr.ones(2), rounding_mode="round")
    with pytest.raises(ZeroDivisionError, match="divide: integer division by zero"):
        S.divide(cr.tensor([1, 2]), cr.tensor([1, 0]), rounding_mode="floor")


def test_subtract_alpha():
    check_against_torch(
        lambda a, b: S.subtract(a, b, alpha=2.5),
        (2, 3),
        (3,),
        torch_fn=lambda a, b: torch.subtract(a, b, alpha=2.5),
    )


def test_comparison_aliases():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 2.0])
    for name in ("greater", "greater_equal", "less", "less_equal", "not_equal"):
        same_values(getattr(S, name), getattr(torch, name), a, b, exact=True)
        same_values(getattr(S, name), getattr(torch, name), a, 2.0, exact=True)
