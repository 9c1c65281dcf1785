"""The backend seam: array module lookup, dtype normalisation, torch's default dtypes."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import backend


def test_get_array_module_is_numpy_on_cpu():
    assert backend.get_array_module(np.zeros(2), cr.zeros(2), 3.0) is np


@pytest.mark.parametrize(
    "given, expected",
    [
        (float, "float32"),
        (int, "int64"),
        (bool, "bool"),
        ("float64", "float64"),
        (np.int32, "int32"),
        (cr.float64, "float64"),
        (None, None),
    ],
)
def test_as_dtype(given, expected):
    got = backend.as_dtype(given)
    assert (got is None) if expected is None else got == np.dtype(expected)


def test_asarray_defaults_and_rejects_strings():
    assert backend.asarray([1.5]).dtype == np.float32
    assert backend.asarray([1]).dtype == np.int64
    assert backend.asarray(np.float64(0.1)).dtype == np.float64
    assert backend.asarray(0.1, "float64").item() == 0.1
    with pytest.raises(TypeError, match="unsupported"):
        backend.asarray(["a"])
    with pytest.raises(TypeError, match="unsupported dtype"):
        backend.as_dtype("nope")


@pytest.mark.parametrize(
    "shape", [((3, 4), (4, 5)), ((64, 64), (64, 128)), ((128, 512), (512, 512))]
)
def test_matmul_matches_numpy_and_restores_threads(shape):
    """Small products run on one BLAS thread, large ones on all; results are unchanged."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape[0]).astype(np.float32)
    b = rng.standard_normal(shape[1]).astype(np.float32)
    np.testing.assert_allclose(backend.matmul(a, b), a @ b, rtol=1e-6, atol=1e-5)
    blas = backend._blas
    if blas._set is not None:
        m, k, n = a.shape[0], a.shape[1], b.shape[1]
        expected = 1 if m * k * n < blas.threshold else blas.most
        assert int(blas._get()) == expected
        backend.matmul(np.ones((256, 256), np.float32), np.ones((256, 256), np.float32))
        assert int(blas._get()) == blas.most  # a large product gets every thread back


def test_keep_freed_memory_can_be_disabled(monkeypatch):
    monkeypatch.setenv("CHAINRULE_MALLOPT", "0")
    backend._keep_freed_memory()  # a no-op, and must not raise
