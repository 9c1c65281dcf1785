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


@pytest.mark.parametrize(
    "shape",
    [((64, 64), (64, 128)), ((128, 784), (784, 512)), ((512, 64), (64, 512)), ((8, 8), (8, 64))],
)
def test_matmul_any_order_gives_the_same_product_fortran_only_when_wide_and_threaded(shape):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape[0]).astype(np.float32)
    b = rng.standard_normal(shape[1]).astype(np.float32)
    y = backend.matmul(a, b, any_order=True)
    np.testing.assert_allclose(y, a @ b, rtol=1e-5, atol=1e-4)
    m, k, n = a.shape[0], a.shape[1], b.shape[1]
    blas = backend._blas
    threaded = blas._set is not None and blas.most > 1 and m * k * n >= blas.threshold
    assert y.flags.f_contiguous == (threaded and n >= 2 * m)
    assert y.flags.c_contiguous != y.flags.f_contiguous
    assert backend.matmul(a, b).flags.c_contiguous  # without the flag: always C order


@pytest.mark.parametrize(
    "shapes",
    [((128, 1), (1, 128)), ((3, 1), (1, 0)), ((2, 5, 1), (1, 4)), ((4, 1), (3, 1, 2))],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_matmul_outer_product_is_exactly_numpys(shapes, dtype):
    """K = 1 products are computed by broadcasting: the same values, shape and dtype, bit for
    bit, batch dimensions broadcast as in matmul, into ``out`` too."""
    rng = np.random.default_rng(1)
    a = (rng.standard_normal(shapes[0]) * 100).astype(dtype)
    b = (rng.standard_normal(shapes[1]) * 100).astype(dtype)
    want = np.matmul(a, b)
    got = backend.matmul(a, b)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    got_f = backend.matmul(np.asfortranarray(a), np.asfortranarray(b))  # C order, as matmul's
    assert got_f.flags.c_contiguous
    np.testing.assert_array_equal(got_f, want)
    out = np.empty_like(want)
    assert backend.matmul(a, b, out=out) is out
    np.testing.assert_array_equal(out, want)


@pytest.mark.parametrize("perm", [(0, 1, 2, 3), (0, 3, 1, 2), (3, 2, 1, 0)])
def test_zeros_like_layout_matches_the_layout_and_relu(perm):
    """A large array gets read-only zeros with its own shape and strides, and
    maximum(x, zeros) is maximum(x, 0) bit for bit (NaN, ±0, ±inf included); small arrays and
    strided views get the scalar 0."""
    rng = np.random.default_rng(0)
    base = rng.standard_normal((16, 32, 16, 9)).astype(np.float32)
    base.flat[:4] = [np.nan, -0.0, np.inf, -np.inf]
    x = base.transpose(perm)
    z = backend.zeros_like_layout(x)
    assert z.shape == x.shape and z.strides == x.strides and not z.flags.writeable
    assert not z.any()
    y = np.maximum(x, z)
    np.testing.assert_array_equal(y, np.maximum(x, 0))
    assert np.signbit(y).tolist() == np.signbit(np.maximum(x, 0)).tolist()
    assert backend.zeros_like_layout(np.ones((4, 4), np.float32)) == 0  # small
    assert backend.zeros_like_layout(base[:, :, ::2]) == 0  # not dense


def test_keep_freed_memory_can_be_disabled(monkeypatch):
    monkeypatch.setenv("CHAINRULE_MALLOPT", "0")
    backend._keep_freed_memory()  # a no-op, and must not raise


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
@pytest.mark.parametrize("n", [10, 1 << 14, 1 << 16])
def test_axpy_matches_numpy(dtype, n):
    """y += a·x: BLAS for large contiguous arrays (one rounding), NumPy otherwise."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype)
    expected = y.astype(np.float64) - 0.37 * x.astype(np.float64)
    backend.axpy(-0.37, x, y)
    tol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(y, expected, rtol=tol, atol=tol)


def test_axpy_blas_path_reads_offset_and_read_only_operands():
    """The BLAS path hands over each array's own start: a view starting mid-buffer, and a
    read-only x (which ctypes can't wrap, so it goes by its address instead)."""
    rng = np.random.default_rng(2)
    n = 1 << 15
    base = rng.standard_normal(n + 100).astype(np.float32)
    x = base[100:]  # contiguous, offset by 100 values
    x_ro = x.copy()
    x_ro.flags.writeable = False
    for xs in (x, x_ro):
        ybase = rng.standard_normal(n + 7).astype(np.float32)
        y = ybase[7:]
        expected = y.astype(np.float64) + 0.5 * xs.astype(np.float64)
        head = ybase[:7].copy()
        backend.axpy(0.5, xs, y)
        np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(ybase[:7], head)  # nothing before y's start is touched


def test_axpy_falls_back_on_strided_or_mixed_arrays():
    rng = np.random.default_rng(1)
    y = rng.standard_normal((256, 256)).astype(np.float32)
    x = rng.standard_normal((256, 512)).astype(np.float32)[:, ::2]  # strided
    expected = y + 2 * x
    backend.axpy(2.0, x, y)
    np.testing.assert_allclose(y, expected, rtol=1e-6)
    y64 = np.zeros(1 << 16)
    backend.axpy(1.0, np.ones(1 << 16, np.float32), y64)  # mixed dtypes
    assert (y64 == 1).all()


def test_matmul_of_batched_operands_with_an_empty_inner_dimension_is_zeros():
    """(…, m, 0) @ (…, 0, n) sums nothing: zeros, as NumPy and torch give (it divided by 0)."""
    a, b = np.ones((2, 3, 0), np.float32), np.ones((2, 0, 4), np.float32)
    np.testing.assert_array_equal(backend.matmul(a, b), np.zeros((2, 3, 4), np.float32))


def test_axpy_each_gives_each_pair_the_bits_of_axpy():
    """An optimizer's group in one call: small arrays (NumPy) and large ones (BLAS) alike."""
    rng = np.random.default_rng(3)
    sizes = [10, backend.AXPY_MIN - 1, backend.AXPY_MIN, 1 << 16]
    xs = [rng.standard_normal(n).astype(np.float32) for n in sizes]
    ys = [rng.standard_normal(n).astype(np.float32) for n in sizes]
    want = [y.copy() for y in ys]
    for x, y in zip(xs, want):
        backend.axpy(-0.3, x, y)
    backend.axpy_each(-0.3, xs, ys)
    for y, w in zip(ys, want):
        np.testing.assert_array_equal(y, w)
        assert not np.array_equal(y, w + 1)  # (the update did change them)


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


# ---------------------------------------------------------------- devices
@pytest.mark.parametrize("spec", ["cpu", "cuda", "cuda:0", "cuda:3", 1])
def test_device_parses_prints_and_compares_as_torch_device(spec):
    import torch

    ours = backend.Device(spec)  # an int is a CUDA index, as torch.device(1) on a CUDA build
    theirs = torch.device("cuda", spec) if isinstance(spec, int) else torch.device(spec)
    assert repr(ours) == repr(theirs)
    assert str(ours) == str(theirs)
    assert (ours.type, ours.index) == (theirs.type, theirs.index)
    assert ours == str(theirs) and ours == backend.Device(str(theirs))
    assert hash(ours) == hash(backend.Device(str(theirs)))
    assert cr.device is backend.Device


def test_device_cuda_without_index_differs_from_cuda_0_as_in_torch():
    import torch

    assert (backend.Device("cuda") == backend.Device("cuda:0")) == (
        torch.device("cuda") == torch.device("cuda:0")
    )


@pytest.mark.parametrize(
    "spec, message",
    [
        ("tpu", "unknown device type 'tpu'"),
        ("cuda:x", "invalid device string 'cuda:x'"),
        (2.5, "2.5"),
    ],
)
def test_device_rejects_bad_specs_naming_them(spec, message):
    with pytest.raises((ValueError, TypeError), match=message):
        backend.Device(spec)


def test_without_cupy_cuda_is_unavailable_and_says_how_to_install(monkeypatch):
    monkeypatch.setattr(backend, "cupy", None)
    assert not backend.cuda_available() and backend.cuda_device_count() == 0
    with pytest.raises(RuntimeError, match=r"pip install chainrule\[gpu\]"):
        backend.to_device(np.ones(2), "cuda")
    with pytest.raises(RuntimeError, match="CuPy is not installed"):
        backend.module_for("cuda:0")


def test_to_device_copies_there_and_back_and_keeps_arrays_already_there(gpu):
    a = np.arange(6.0).reshape(2, 3)
    d = backend.to_device(a, "cuda")
    assert backend.is_gpu_array(d) and backend.device_of(d) == backend.Device("cuda:0")
    assert backend.to_device(d, "cuda:0") is d and backend.on_device(d, "cuda")
    assert backend.to_device(a, "cpu") is a and backend.on_device(a, "cpu")
    back = backend.to_host(d)
    assert type(back) is np.ndarray and back is not a
    np.testing.assert_array_equal(back, a)
    assert backend.get_array_module(d) is backend.cupy


@pytest.mark.parametrize("where", ["cpu", "cuda"])
def test_scatter_add_adds_every_repeated_index(where, gpu):
    a = backend.to_device(np.zeros((4, 2)), where)
    index = backend.to_device(np.array([1, 3, 1, 1]), where)
    values = backend.to_device(np.ones((4, 2)), where)
    backend.scatter_add(a, index, values)
    np.testing.assert_array_equal(backend.to_host(a)[:, 0], [0, 3, 0, 1])  # closed form


def test_gpu_generator_is_seeded_by_manual_seed(gpu):
    xp = backend.cupy
    cr.manual_seed(5)
    a = backend.to_host(backend.rng(xp).standard_normal((3, 4), dtype=np.float32))
    cr.manual_seed(5)
    b = backend.to_host(backend.rng(xp).standard_normal((3, 4), dtype=np.float32))
    cr.manual_seed(6)
    c = backend.to_host(backend.rng(xp).standard_normal((3, 4), dtype=np.float32))
    assert a.dtype == np.float32 and a.shape == (3, 4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize(
    "rows, widest, narrowest, expected",
    [
        (64, 128 * 64, 10, "matmul"),
        (1, 128 * 64, 10, "outer"),
        (64, 128 * 64, 1, "outer"),
        (128, 784 * 512, 10, None),
    ],
)
def test_products_chooses_the_threads_once_for_a_run_of_small_products(
    rows, widest, narrowest, expected
):
    """NumPy's matmul on one thread when every product is small, the outer-product form where
    an inner dimension may be 1, None (choose per product) when one is large or without
    OpenBLAS's thread control; the outer form computes what matmul does, bit for bit."""
    blas = backend._blas
    a = np.ones((rows, 8), np.float32)
    got = backend.products(a, widest, narrowest)
    if blas._set is None:
        assert got is None
        return
    if expected is None:
        assert got is None
        return
    assert int(blas._get()) == 1
    assert (got is np.matmul) == (expected == "matmul")
    rng = np.random.default_rng(2)
    for shapes in [((5, 1), (1, 7)), ((5, 3), (3, 7)), ((1, 4), (4, 2))]:
        p, q = (rng.standard_normal(s).astype(np.float32) for s in shapes)
        np.testing.assert_array_equal(got(p, q), np.matmul(p, q))
        assert got(p, q).flags.c_contiguous
    assert backend.products(np.ones((4, 4), np.float64).tolist(), 1, 1) is None
