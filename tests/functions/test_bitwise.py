"""The no-gradient ops (bitwise and, or, xor, not, shifts, gcd, lcm, signbit, sgn, isclose,
heaviside, ...) against torch: exact values and dtypes, type promotion with Python ints and
bools, broadcasting and errors."""

import numpy as np
import pytest
import torch
from helpers import on_device, same_values

import chainrule as cr
from chainrule.functions import bitwise as B

BINARY = ["bitwise_and", "bitwise_or", "bitwise_xor"]
SHIFTS = ["bitwise_left_shift", "bitwise_right_shift"]
INT_DTYPES = ["int64", "int32", "int16", "int8", "uint8"]


def same(name, *args):
    """Our op and torch's on the same arguments: NumPy arrays become tensors; exact values,
    dtype and shape; the result has no gradient."""
    ours = getattr(B, name)(*[on_device(a) if isinstance(a, np.ndarray) else a for a in args])
    ref = getattr(torch, name)(*[torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args])
    assert str(ours.dtype) == str(ref.dtype).replace("torch.", ""), (ours.dtype, ref.dtype)
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    assert not ours.requires_grad


def draw(dtype, shape, seed=0):
    info = np.iinfo(dtype)
    return np.random.default_rng(seed).integers(info.min, info.max, size=shape, dtype=dtype)


@pytest.mark.parametrize("dtype", INT_DTYPES)
@pytest.mark.parametrize("name", BINARY)
def test_binary_integers(name, dtype):
    same(name, draw(dtype, (3, 4)), draw(dtype, (3, 4), seed=1))
    same(name, draw(dtype, (2, 1, 4)), draw(dtype, (3, 1), seed=1))
    same(name, draw(dtype, (0, 4)), draw(dtype, (4,), seed=1))
    same(name, draw(dtype, ()), draw(dtype, (5,), seed=1))


@pytest.mark.parametrize("name", BINARY)
def test_binary_bools_numbers_and_promotion(name):
    a, b = np.array([True, True, False, False]), np.array([True, False, True, False])
    same(name, a, b)
    same(name, a, 1)  # a bool tensor with an int: int64
    same(name, a, True)
    same(name, np.array([5, -3, 12]), 6)
    same(name, 6, np.array([5, -3, 12]))
    same(name, np.array([5, -3, 12], dtype=np.int8), 100)  # the number takes int8
    same(name, np.array([5, 3], dtype=np.uint8), np.array([-3, 7], dtype=np.int8))  # → int16
    same(name, np.array([5, 3], dtype=np.int32), np.array([-3, 7]))  # → int64
    same(name, np.array([5, 3], dtype=np.int16), np.array(7))  # a 0-d tensor doesn't promote


@pytest.mark.parametrize("name", BINARY + SHIFTS)
def test_floats_are_refused_naming_the_dtype(name):
    with pytest.raises(
        TypeError, match=f"{name}: expected (integer or bool|integer) tensors, got dtype float32"
    ):
        getattr(B, name)(cr.tensor([1.0, 2.0]), cr.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match=f"{name}: .* got dtype float32"):
        getattr(B, name)(cr.tensor([1, 2]), 1.5)  # an int tensor with a float: float32


@pytest.mark.parametrize("name", BINARY + SHIFTS + ["gcd", "lcm"])
def test_shape_mismatch_names_both_shapes(name):
    with pytest.raises(ValueError, match=rf"{name}: shapes \(2, 3\) and \(4,\)"):
        getattr(B, name)(cr.ones(2, 3, dtype=cr.int64), cr.ones(4, dtype=cr.int64))


def test_bitwise_not():
    for dtype in INT_DTYPES:
        same("bitwise_not", draw(dtype, (3, 5)))
    same("bitwise_not", np.array([True, False]))
    same("bitwise_not", np.zeros((0, 2), dtype=np.int64))
    with pytest.raises(
        TypeError, match="bitwise_not: expected an integer or bool tensor, got dtype float64"
    ):
        B.bitwise_not(cr.tensor([1.0], dtype=cr.float64))


@pytest.mark.parametrize("dtype", INT_DTYPES)
@pytest.mark.parametrize("name", SHIFTS)
def test_shifts(name, dtype):
    bits = np.dtype(dtype).itemsize * 8
    a = draw(dtype, (2 * bits + 4,))
    counts = np.arange(-2, 2 * bits + 2).astype(dtype) if dtype != "uint8" else None
    if counts is None:  # uint8 counts can't be negative
        counts = np.arange(0, 2 * bits + 4).astype(dtype)
    same(name, a, counts)
    same(name, a, 3)
    same(name, a[:1], counts)  # broadcasting


@pytest.mark.parametrize("name", SHIFTS)
def test_shift_edges(name):
    a = np.array([-8, 8, -1, 1, 0, np.iinfo(np.int64).min, np.iinfo(np.int64).max])
    for count in (0, 1, 63, 64, 70, -1, -70):
        same(name, a, count)
    same(name, 3, np.array([0, 1, 2, 64]))  # a number shifted by tensor counts
    same(name, np.array([True, False]), 1)  # bool with an int: int64
    with pytest.raises(TypeError, match=f"{name}: expected integer tensors, got dtype bool"):
        getattr(B, name)(cr.tensor([True]), cr.tensor([True]))


def test_signbit():
    x = np.array([-1.0, -0.0, 0.0, 2.0, -np.inf, np.inf, np.nan, -np.nan])
    same("signbit", x)
    same("signbit", x.astype(np.float32))
    same("signbit", np.array([-3, 0, 4]))
    same("signbit", np.array([0, 255], dtype=np.uint8))
    same("signbit", np.array([True, False]))


@pytest.mark.parametrize("name", ["gcd", "lcm"])
def test_gcd_lcm(name):
    a = np.array([-4, 0, 6, 0, 12, 17, -9, 1])
    b = np.array([6, 0, -4, 5, 18, 5, -6, 0])
    same(name, a, b)
    same(name, a[:, None], b)
    for dtype in ("int32", "int16", "uint8"):
        same(name, np.abs(a).astype(dtype), np.abs(b).astype(dtype))
    same(name, a.astype(np.int32), b)  # promotion to int64
    with pytest.raises(TypeError, match=f"{name}: expected integer tensors, got dtype float32"):
        getattr(B, name)(cr.tensor([1.0]), cr.tensor([2.0]))
    with pytest.raises(TypeError, match=f"{name}: expected integer tensors, got dtype bool"):
        getattr(B, name)(cr.tensor([True]), cr.tensor([False]))


# ------------------------------------------------------------------ no-gradient tests and steps
def test_heaviside():
    x = np.array([-1.5, 0.0, -0.0, 2.0, np.nan, np.inf])
    same_values(B.heaviside, torch.heaviside, x, np.array(0.5))
    same_values(B.heaviside, torch.heaviside, x, np.array([7.0] * 6))
    same_values(B.heaviside, torch.heaviside, np.array([-3, 0, 4]), np.array([9]), exact=True)
    with pytest.raises(
        TypeError, match="heaviside: input and values must have one dtype, got float32 and int64"
    ):
        B.heaviside(cr.tensor([1.0]), cr.tensor(1))
    with pytest.raises(ValueError, match=r"heaviside: shapes \(3,\) and \(2,\)"):
        B.heaviside(cr.ones(3), cr.ones(2))


def test_sign_tests():
    x = np.array([-np.inf, -1.0, -0.0, 0.0, 2.0, np.inf, np.nan])
    for ours, ref in (
        (B.sgn, torch.sgn),
        (B.isposinf, torch.isposinf),
        (B.isneginf, torch.isneginf),
        (B.isreal, torch.isreal),
    ):
        same_values(ours, ref, x, exact=ref is not torch.sgn)
        same_values(ours, ref, np.array([-2, 0, 3]), exact=True)
        same_values(ours, ref, np.zeros((2, 0)), exact=True)


@pytest.mark.parametrize(
    "kw", [{}, dict(rtol=0.095), dict(atol=1.0), dict(equal_nan=True)], ids=str
)
def test_isclose(kw):
    # rtol scales |other| only: (1, 1.1) is close at rtol = 0.095, (1.1, 1) is not
    a = np.array([1.0, 1.05, np.inf, np.inf, np.nan, 0.0, 1e-9, 2.0, 1.0, 1.1])
    b = np.array([1.0 + 1e-7, 1.0, np.inf, -np.inf, np.nan, 0.5, 0.0, 3.1, 1.1, 1.0])
    same_values(
        lambda x, y: B.isclose(x, y, **kw), lambda x, y: torch.isclose(x, y, **kw), a, b, exact=True
    )
    same_values(
        lambda x, y: B.isclose(x, y, **kw),
        lambda x, y: torch.isclose(x, y, **kw),
        a[:2],
        b[:, None],
        exact=True,
    )
    same_values(
        lambda x, y: B.isclose(x, y, **kw),
        lambda x, y: torch.isclose(x, y, **kw),
        np.array([1, 2, 3]),
        np.array([1, 3, 3]),
        exact=True,
    )


def test_isclose_errors():
    with pytest.raises(
        TypeError, match="isclose: input and other must have one dtype, got int64 and float32"
    ):
        B.isclose(cr.tensor([1]), cr.tensor([1.0]))
    with pytest.raises(
        ValueError, match="isclose: rtol and atol must be non-negative, got -1 and 1e-08"
    ):
        B.isclose(cr.ones(1), cr.ones(1), rtol=-1)
