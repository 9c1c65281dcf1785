"""The backend seam: array module lookup, dtype normalisation, torch's default dtypes."""

import sys

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


@pytest.fixture
def threads():
    """Restore chainrule's and OpenBLAS's thread counts after a test that changes them."""
    before = backend._threads[0], backend._blas.most, backend._blas.current
    yield
    backend._threads[0], backend._blas.most = before[0], before[1]
    if backend._blas._set is not None:
        backend._blas._set(before[2])
        backend._blas.current = before[2]


def test_set_num_threads_round_trips_and_rejects_bad_counts(threads):
    cr.set_num_threads(3)
    assert cr.get_num_threads() == 3
    if backend._blas._set is not None:
        assert int(backend._blas._get()) == 3
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="positive integer"):
            cr.set_num_threads(bad)


def test_adam_on_several_threads_is_bit_identical_to_one(threads):
    """Adam's update of a large parameter (BLAS axpy on k threads) gives the same bits."""
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((512, 300)).astype(np.float32)
    grads = [rng.standard_normal(w0.shape).astype(np.float32) for _ in range(3)]
    out = []
    for k in (1, 2, 3):
        cr.set_num_threads(k)
        w = cr.nn.Parameter(cr.tensor(w0.copy()))
        opt = cr.optim.Adam([w], lr=0.01, amsgrad=True)
        for g in grads:
            w.grad = cr.tensor(g)
            opt.step()
        out.append(w.data.copy())
    np.testing.assert_array_equal(out[0], out[1])
    np.testing.assert_array_equal(out[0], out[2])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [10, 1 << 15])
def test_axpy_matches_numpy(dtype, n):
    """y += a·x: BLAS for large contiguous arrays (one rounding), NumPy otherwise."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype)
    expected = y.astype(np.float64) - 0.37 * x.astype(np.float64)
    backend.axpy(-0.37, x, y)
    tol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(y, expected, rtol=tol, atol=tol)


def test_axpy_falls_back_on_strided_or_mixed_arrays():
    rng = np.random.default_rng(1)
    y = rng.standard_normal((256, 256)).astype(np.float32)
    x = rng.standard_normal((256, 512)).astype(np.float32)[:, ::2]  # strided
    expected = y + 2 * x
    backend.axpy(2.0, x, y)
    np.testing.assert_allclose(y, expected, rtol=1e-6)
    y64 = np.zeros(1 << 15)
    backend.axpy(1.0, np.ones(1 << 15, np.float32), y64)  # mixed dtypes
    assert (y64 == 1).all()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc settings")
def test_large_temporaries_are_reused_without_page_faults():
    # an 8 MB array freed and made again, as a training step does with its activations. With
    # M_TOP_PAD set alone, glibc's mmap threshold stays at 128 KB and each one is a fresh
    # mapping: measured 516 page faults per array
    import resource

    def faults():
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt

    for _ in range(3):  # warm-up: the heap grows once
        a = np.ones(2 << 20, np.float32)
        del a
    before = faults()
    for _ in range(10):
        a = np.ones(2 << 20, np.float32)
        a += 1
        del a
    assert (faults() - before) / 10 < 100
