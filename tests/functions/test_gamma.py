"""The error and gamma families (erfc, erfinv, lgamma, digamma, polygamma) at their special
values and tails, against torch, mpmath (where torch itself is approximate) and finite
differences. Their plain values and gradients also run in test_special.py's unary table."""

import math

import mpmath
import numpy as np
import pytest
import torch
from helpers import check_against_torch, check_gradcheck, on_device, same_values

import chainrule as cr
from chainrule.functions import gamma as S

DTYPES = ["float64", "float32"]


def test_erfc_keeps_the_tail_that_one_minus_erf_loses():
    x = np.array([5.0, 10.0, 26.0])
    out = S.erfc(on_device(x)).numpy()
    np.testing.assert_allclose(out, [math.erfc(v) for v in x], rtol=1e-14)
    assert out[1] > 0


@pytest.mark.parametrize("dtype", DTYPES)
def test_erfinv_special_values_and_tails(dtype):
    x = np.array([-1.0, 1.0, 0.0, -0.0, 1.5, -2.0, np.nan, 1 - 1e-7, -(1 - 1e-7), 0.5, 1e-30])
    if dtype == "float64":
        x = np.append(x, [1 - 2.0**-53, 1 - 1e-15, 0.999999999])
    same_values(S.erfinv, torch.erfinv, x.astype(dtype))
    out = S.erfinv(on_device(x.astype(dtype))).numpy()
    assert np.signbit(out[3])  # erfinv(−0) = −0


def test_erfinv_is_exact_in_float64():
    x = np.random.default_rng(1).uniform(-1, 1, 2000)
    x = np.concatenate([x, 1 - np.logspace(-15, -1, 30), -(1 - np.logspace(-15, -1, 30))])
    ours = S.erfinv(on_device(x)).numpy()
    ref = torch.erfinv(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, ref, rtol=4e-15, atol=0)


def test_lgamma_special_values():
    x = np.array(
        [0.0, -0.0, -1.0, -2.0, 1.0, 2.0, np.inf, -np.inf, np.nan, -0.5, -1.5, 1e-30, 1e30, 171.5]
    )
    same_values(S.lgamma, torch.lgamma, x)
    same_values(S.lgamma, torch.lgamma, x.astype("float32"))


# ------------------------------------------------------------------ digamma and polygamma
def test_digamma_special_values():
    x = np.array([0.0, -0.0, -1.0, -3.0, 1.0, 1e-8, -1e-8, 1e30, np.inf, np.nan, -0.5, -7.3])
    same_values(S.digamma, torch.digamma, x)
    same_values(S.digamma, torch.digamma, x.astype("float32"))
    same_values(S.psi, torch.special.psi, x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (9,), (2, 0)], ids=str)
def test_digamma_matches_torch(shape, dtype):
    # float64: the first derivative (trigamma) of torch is itself only good to ~1e-9, so the
    # gradients are checked against torch in float32 and against mpmath and gradcheck below
    # (and in float32 to ~1e-5 below x = 0.5, so the float32 draws start there)
    grad = dtype == "float32"
    check_against_torch(
        S.digamma,
        shape,
        torch_fn=torch.digamma,
        dtype=dtype,
        low=0.5 if grad else -5.0,
        high=20.0,
        grad=grad,
        gradgrad=grad,
    )


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4])
def test_polygamma_against_mpmath(n):
    x = np.array([0.3, 1.0, 1.7, 5.0, 9.99, 10.0, 19.5, 25.0, 300.0, -0.5, -2.3, -7.9])
    ours = S.polygamma(n, on_device(x)).numpy()
    ref = [float(mpmath.polygamma(n, v)) for v in x]
    np.testing.assert_allclose(ours, ref, rtol=5e-14)


@pytest.mark.parametrize("n", [2, 3])
def test_polygamma_matches_torch(n):
    check_against_torch(
        lambda t: S.polygamma(n, t),
        (6,),
        torch_fn=lambda t: torch.polygamma(n, t),
        dtype="float32",
        low=0.2,
        high=15.0,
    )
    same_values(lambda t: S.polygamma(n, t), lambda t: torch.polygamma(n, t), np.array([1, 2, 7]))


def test_digamma_and_lgamma_gradients_by_finite_differences():
    check_gradcheck(S.digamma, (2, 3), low=0.3, high=12.0)
    check_gradcheck(S.lgamma, (2, 3), low=-3.7, high=-3.1)
    check_gradcheck(lambda t: S.polygamma(2, t), (4,), low=0.5, high=30.0)


def test_polygamma_rejects_bad_n():
    with pytest.raises(ValueError, match="polygamma: n must be a non-negative int, got -1"):
        S.polygamma(-1, cr.tensor([1.0]))
    with pytest.raises(TypeError, match="polygamma: n must be a number"):
        S.polygamma("1", cr.tensor([1.0]))
