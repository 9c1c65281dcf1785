"""The array backend seam: the only module that imports NumPy (or CuPy) for math.

Every op body asks ``get_array_module(x)`` for ``xp`` and writes its math with it, so one
body serves NumPy on the CPU and, later, CuPy on a GPU.
"""

from __future__ import annotations

import numpy

try:  # CuPy is optional; nothing here needs it.
    import cupy  # type: ignore
except Exception:  # pragma: no cover - no GPU on CI
    cupy = None

np = numpy
ndarray = numpy.ndarray


def _keep_freed_memory(pad_bytes: int = 64 << 20) -> None:
    """Ask glibc to serve arrays below 32 MB from the heap (M_MMAP_THRESHOLD) and to keep up
    to 64 MB of freed heap mapped (M_TOP_PAD; trimming only above 128 MB, M_TRIM_THRESHOLD).

    A training step allocates and frees the same large temporaries every time. By default glibc
    maps each one afresh and hands it back to the OS when freed, so every step page-faults them
    in again: measured 2,355 faults per step of the MNIST LeNet with M_TOP_PAD alone (setting
    it freezes the mmap threshold at 128 KB), 0 with these settings, and the step 15% faster.
    Opt out with CHAINRULE_MALLOPT=0.
    """
    import ctypes
    import os
    import sys

    if not sys.platform.startswith("linux") or os.environ.get("CHAINRULE_MALLOPT") == "0":
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-2, pad_bytes)  # M_TOP_PAD
        libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD (glibc's largest on 64-bit)
        libc.mallopt(-1, 128 << 20)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):
        pass


_keep_freed_memory()

float32 = numpy.dtype("float32")
float64 = numpy.dtype("float64")
float16 = numpy.dtype("float16")
int32 = numpy.dtype("int32")
int64 = numpy.dtype("int64")
int16 = numpy.dtype("int16")
int8 = numpy.dtype("int8")
uint8 = numpy.dtype("uint8")
bool_ = numpy.dtype("bool")

DEFAULT_FLOAT = float32
DEFAULT_INT = int64


class _BlasThreads:
    """Runs small matrix products on one OpenBLAS thread, large ones on all of them.

    OpenBLAS splits any product above ~0.26 M multiply-adds across its threads. For the small
    products of a small network the hand-off costs more than it saves, and the worker threads
    then spin on the second core, slowing the Python thread beside them (measured: a 64-128-64
    MLP step 10-20% faster on one thread). Products of at least ``threshold`` multiply-adds
    keep every thread (a 128×512×512 product is 1.6× faster on two).
    """

    threshold = 3_000_000

    def __init__(self):
        self._set = self._get = None
        self.current = None
        self.axpy: dict = {}
        try:
            self._find()
        except Exception:  # no OpenBLAS (another BLAS, or not Linux): leave threads alone
            self._set = None

    def _find(self):
        import ctypes

        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line and ".so" in line}
        for path in sorted(paths):
            lib = ctypes.CDLL(path)
            for prefix in ("scipy_openblas", "openblas"):
                for suffix in ("64_", ""):
                    setter = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                    getter = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                    if setter is not None and getter is not None:
                        self._set, self._get = setter, getter
                        self.most = self.current = int(getter())
                        self._find_axpy(lib, prefix.replace("openblas", ""), suffix)
                        return

    def _find_axpy(self, lib, prefix: str, suffix: str) -> None:
        """cblas_saxpy and cblas_daxpy from the same library (None where missing)."""
        import ctypes

        n = ctypes.c_int64 if suffix else ctypes.c_int
        self.axpy = {}
        kinds = ((float32, "s", ctypes.c_float), (float64, "d", ctypes.c_double))
        for dtype, letter, scalar in kinds:
            fn = getattr(lib, f"{prefix}cblas_{letter}axpy{suffix}", None)
            if fn is not None:
                fn.restype = None
                fn.argtypes = [n, scalar, ctypes.c_void_p, n, ctypes.c_void_p, n]
                self.axpy[dtype] = fn

    def for_product(self, m: int, k: int, n: int) -> None:
        """Pick the thread count for an (m, k) @ (k, n) product."""
        if self._set is None:
            return
        want = 1 if m * k * n < self.threshold else self.most
        if want != self.current:
            if self.current != 1 and self._get() != self.current:  # changed by the user
                self.most = int(self._get())
                want = 1 if want == 1 else self.most
            self._set(want)
            self.current = want


_blas = _BlasThreads()


def matmul(a, b, single_thread: bool = False, out=None):
    """``a @ b`` for arrays (into ``out`` when given), with the BLAS thread count chosen for the
    product's size (or one thread, with ``single_thread``, for products known to be too small
    to share)."""
    if _blas._set is not None and type(a) is numpy.ndarray and a.ndim >= 2 and b.ndim >= 2:
        if single_thread:
            _blas.for_product(1, 1, 1)
        else:
            m = a.size // a.shape[-1] if a.ndim > 2 else a.shape[0]
            _blas.for_product(m, a.shape[-1], b.shape[-1])
    return a @ b if out is None else numpy.matmul(a, b, out=out)


def get_num_threads() -> int:
    """The threads chainrule computes with: OpenBLAS's count for large matrix products and
    vector updates, and whether ``run_async`` uses a worker thread. Starts at OpenBLAS's own
    setting (``OPENBLAS_NUM_THREADS``, else the cores)."""
    if _threads[0] is not None:
        return _threads[0]
    return _blas.most if _blas._set is not None else 1


def set_num_threads(n: int) -> None:
    """Use ``n`` threads for matrix products and vector updates, as ``torch.set_num_threads``."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive integer, got {n!r}")
    _threads[0] = n
    if _blas._set is not None:
        _blas.most = n
        _blas._set(n)
        _blas.current = n


_threads: list = [None]
_pool: list = [None]


def _workers(n: int):
    """The shared pool of worker threads, with at least ``n`` of them."""
    if _pool[0] is None or _pool[0]._max_workers < n:
        from concurrent.futures import ThreadPoolExecutor

        _pool[0] = ThreadPoolExecutor(max_workers=n, thread_name_prefix="chainrule")
    return _pool[0]


class _Done:
    """The result of work that ran on the calling thread, shaped like a Future."""

    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value


def run_async(fn, *args):
    """Start ``fn(*args)`` on a worker thread and return its Future (``.result()`` waits), so
    that NumPy work which releases the GIL (large ufuncs, matrix products) overlaps the
    caller's. With one thread (``get_num_threads() == 1``) it runs at once, here."""
    if get_num_threads() < 2:
        return _Done(fn(*args))
    return _workers(1).submit(fn, *args)


def axpy(alpha: float, x, y) -> None:
    """y += alpha·x in place, in one pass: BLAS ``axpy`` (on every BLAS thread) for large
    contiguous float32/float64 NumPy arrays of one dtype, NumPy (two passes) otherwise. It
    rounds once (a fused multiply-add where the CPU has one), as torch's ``add_(x, alpha=)``."""
    fn = _blas.axpy.get(y.dtype) if type(y) is numpy.ndarray else None
    if (
        fn is None
        or y.size < 1 << 14
        or type(x) is not numpy.ndarray
        or x.dtype != y.dtype
        or x.shape != y.shape
        or not (x.flags.c_contiguous and y.flags.c_contiguous and y.flags.writeable)
    ):
        y += alpha * x
        return
    _blas.for_product(y.size, 1_000, 1)  # every thread for a large vector
    fn(y.size, alpha, x.ctypes.data, 1, y.ctypes.data, 1)


def use_one_blas_thread() -> None:
    """Run the next matrix products on one OpenBLAS thread (for a loop of small ones)."""
    if _blas._set is not None:
        _blas.for_product(1, 1, 1)


def use_all_blas_threads() -> None:
    """Run the next matrix products on every OpenBLAS thread, however small they are (for a
    sequential loop of them that leaves the second core idle otherwise: an LSTM's 50 steps of
    (256, 73) @ (73, 32) take 18 µs each on two threads against 24 on one)."""
    if _blas._set is not None:
        _blas.for_product(1 << 40, 1, 1)


def get_array_module(*args):
    """Return ``numpy`` or ``cupy``, whichever holds the arrays among ``args``."""
    if cupy is not None:
        for a in args:
            if isinstance(a, cupy.ndarray):
                return cupy
            data = getattr(a, "data", None)
            if isinstance(data, cupy.ndarray):
                return cupy
    return numpy


def is_array(x) -> bool:
    return isinstance(x, numpy.ndarray) or (cupy is not None and isinstance(x, cupy.ndarray))


def is_floating(dtype) -> bool:
    return numpy.issubdtype(dtype, numpy.floating)


def as_dtype(dtype):
    """A user dtype (``cr.float32``, ``"float64"``, ``np.int64``, ``float``) as numpy's."""
    if dtype is None:
        return None
    if dtype is float:
        return DEFAULT_FLOAT
    if dtype is int:
        return DEFAULT_INT
    if dtype is bool:
        return bool_
    try:
        return numpy.dtype(dtype)
    except TypeError as e:
        raise TypeError(f"unsupported dtype {dtype!r}") from e


def asarray(data, dtype=None):
    """Turn Python data or an array into an ndarray, with torch's default dtypes.

    Python floats and float64 lists become float32 unless ``dtype`` says otherwise; Python ints
    become int64 and bools stay bool. Existing ndarrays keep their dtype.
    """
    dtype = as_dtype(dtype)
    if is_array(data):
        return data if dtype is None or data.dtype == dtype else data.astype(dtype)
    if isinstance(data, numpy.generic):
        arr = numpy.asarray(data)
    else:
        arr = numpy.asarray(data, dtype=dtype)  # straight to dtype: no float32 rounding
        if dtype is None and arr.dtype.kind == "f":
            arr = arr.astype(DEFAULT_FLOAT)  # Python floats: torch's default float32
        elif dtype is None and arr.dtype.kind in "iu":
            arr = arr.astype(DEFAULT_INT)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"tensor: unsupported data of dtype {arr.dtype} ({type(data).__name__})")
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    return arr


# ---------------------------------------------------------------- random numbers
_rng = numpy.random.default_rng()


def manual_seed(seed: int):
    """Seed chainrule's global random generator (``cr.manual_seed``)."""
    global _rng
    _rng = numpy.random.default_rng(int(seed))
    return _rng


def rng():
    return _rng
