"""The window functions against torch's: values, dtypes, lengths 0 and 1, both periodicities,
requires_grad, and the errors."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import backend
from chainrule.functions import windows as W

NAMES = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]
# torch computes in the window's own dtype, we in float64 rounded once: in float32 and float16
# torch is off by a few units in the last place (its float16 Hann window isn't even symmetric)
TOL = {"float64": 1e-12, "float32": 2e-6, "float16": 8e-3}


def _compare(name, length, *args, dtype=None, **kwargs):
    ours = getattr(W, name)(length, *args, dtype=dtype, **kwargs)
    tdtype = None if dtype is None else getattr(torch, dtype)
    ref = getattr(torch, name)(length, *args, dtype=tdtype)
    assert str(ours.dtype) == str(ref.dtype)[6:]
    assert ours.shape == tuple(ref.shape)
    tol = TOL[str(ours.dtype)]
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("length", [0, 1, 2, 3, 8, 33])
@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("dtype", [None, "float64", "float32", "float16"])
def test_windows_match_torch(name, length, periodic, dtype):
    _compare(name, length, periodic, dtype=dtype)


def test_windows_default_to_periodic():
    for name in NAMES:
        _compare(name, 10)


@pytest.mark.parametrize("alpha,beta", [(0.5, 0.5), (0.3, 0.2), (1.0, 0.0)])
@pytest.mark.parametrize("periodic", [True, False])
def test_hamming_window_alpha_beta_match_torch(alpha, beta, periodic):
    _compare("hamming_window", 12, periodic, alpha, beta, dtype="float64")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_narrow_windows_are_the_float64_window_rounded_once(name, dtype):
    wide = getattr(W, name)(17, False, dtype=cr.float64).numpy()
    narrow = getattr(W, name)(17, False, dtype=dtype).numpy()
    np.testing.assert_array_equal(narrow, wide.astype(dtype))
    np.testing.assert_array_equal(narrow, narrow[::-1])  # symmetric


def test_hann_window_is_hamming_with_halves():
    a = W.hann_window(9, dtype=cr.float64).numpy()
    b = W.hamming_window(9, alpha=0.5, beta=0.5, dtype=cr.float64).numpy()
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("beta", [0.0, 1.5, 12.0, 40.0, -3.0, 300.0])
@pytest.mark.parametrize("periodic", [True, False])
def test_kaiser_window_beta_matches_torch(beta, periodic):
    _compare("kaiser_window", 11, periodic, beta, dtype="float64")


def test_windows_follow_the_default_dtype_and_requires_grad(monkeypatch):
    w = W.blackman_window(5, requires_grad=True)
    assert w.requires_grad and w.is_leaf and w.dtype == cr.float32
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * w.detach().numpy())
    monkeypatch.setattr(backend, "DEFAULT_FLOAT", backend.float64)
    assert W.kaiser_window(4).dtype == cr.float64


@pytest.mark.parametrize("name", NAMES)
def test_window_errors_name_the_op(name):
    fn = getattr(W, name)
    with pytest.raises(ValueError, match=f"{name}: window_length must be non-negative, got -1"):
        fn(-1)
    with pytest.raises(TypeError, match=f"{name}: expects a floating point dtype, got int64"):
        fn(4, dtype=cr.int64)
    with pytest.raises(TypeError, match=f"{name}: window_length must be an int, got 2.5"):
        fn(2.5)
    with pytest.raises(TypeError, match=f"{name}: window_length must be an int, got True"):
        fn(True)


def test_kaiser_window_beta_must_be_a_number():
    with pytest.raises(TypeError, match="kaiser_window: beta must be a number, got 'x'"):
        W.kaiser_window(4, True, "x")


@pytest.mark.parametrize("name", NAMES)
def test_windows_on_a_gpu(gpu, name):
    w = getattr(W, name)(6, device="cuda")
    assert backend.on_device(w.data, "cuda")
    ref = getattr(torch, name)(6).numpy()
    np.testing.assert_allclose(backend.to_host(w.data), ref, rtol=2e-6, atol=2e-6)
