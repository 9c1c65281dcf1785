"""The array backend seam: the only module that imports NumPy (or CuPy) for math.

Every op body asks ``get_array_module(x)`` for ``xp`` and writes its math with it, so one
body serves NumPy on the CPU and CuPy on a GPU. What the two do differently lives here:
devices and copies between them (``Device``, ``device_of``, ``to_device``), scatter-add
(``scatter_add``), matrix products (BLAS threads on the CPU), and the random generators.
"""

from __future__ import annotations

import ctypes

import numpy

try:  # CuPy is optional: only a tensor moved to a GPU needs it.
    import cupy  # type: ignore
    import cupyx  # type: ignore
except Exception:  # pragma: no cover - no GPU on CI
    cupy = cupyx = None
else:  # pragma: no cover
    try:  # erf on the GPU (functions/arithmetic.py): cupyx loads its scipy lazily
        import cupyx.scipy.special  # type: ignore # noqa: F401
    except Exception:
        pass

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
        self.use(m * k * n >= self.threshold)

    def use(self, every: bool) -> None:
        """Compute on every thread, or on one (a no-op without OpenBLAS)."""
        if self._set is None:
            return
        want = self.most if every else 1
        if want != self.current:
            if self.current != 1 and self._get() != self.current:  # changed by the user
                self.most = int(self._get())
                want = 1 if want == 1 else self.most
            self._set(want)
            self.current = want


_blas = _BlasThreads()


def matmul(a, b, single_thread: bool = False, out=None, any_order: bool = False):
    """``a @ b`` for arrays (into ``out`` when given), with the BLAS thread count chosen for the
    product's size (or one thread, with ``single_thread``, for products known to be too small
    to share).

    With ``any_order``, a wide 2-D result (at least twice as many columns as rows) that runs on
    several threads comes back in Fortran order: OpenBLAS then computes its transpose, bᵀaᵀ,
    which on two threads here is 10-20% faster ((128, 784) @ (784, 512): 0.78-0.80 against
    0.93-0.97 ms). On one thread the order makes little difference (0.90-1.02). Callers pass
    it for activations only, never for a parameter's gradient, which keeps its parameter's
    layout.
    """
    if type(a) is numpy.ndarray and a.ndim == 2 and b.ndim == 2 and _blas._set is not None:
        # the common case (every linear layer), kept lean
        m, k = a.shape
        if k != 1 or b.shape[0] != 1:
            blas = _blas
            n = b.shape[1]
            every = not single_thread and m * k * n >= blas.threshold
            if (blas.most if every else 1) != blas.current:  # switch only when it changes
                blas.use(every)
            if out is None:
                if any_order and every and n >= 2 * m and blas.most > 1:
                    out = numpy.empty((n, m), dtype=numpy.result_type(a, b)).T
                    return numpy.matmul(a, b, out=out)
                return a @ b
            return numpy.matmul(a, b, out=out)
    if a.ndim >= 2 and b.ndim >= 2 and a.shape[-1] == 1 and b.shape[-2] == 1:
        # an outer product (K = 1): each entry is one product, exactly what BLAS would give,
        # and broadcasting makes it 3-4× faster than OpenBLAS's sgemm at (128, 1) @ (1, 128)
        if out is not None:
            return get_array_module(a).multiply(a, b, out=out)
        if type(a) is numpy.ndarray:  # C order, as matmul's own results (reshapes stay views)
            return numpy.multiply(a, b, order="C")
        return get_array_module(a).multiply(a, b)
    if _blas._set is not None and type(a) is numpy.ndarray and a.ndim >= 2 and b.ndim >= 2:
        if single_thread:
            _blas.use(False)
        else:
            m = a.size // (a.shape[-1] or 1) if a.ndim > 2 else a.shape[0]  # (K may be 0)
            _blas.for_product(m, a.shape[-1], b.shape[-1])
    if out is None:
        return a @ b
    return (numpy if type(a) is numpy.ndarray else get_array_module(a)).matmul(a, b, out=out)


def products(a, widest: int, narrowest: int):
    """The product function for a Linear chain over the m rows of ``a``: its forward and
    backward products, none of more than m·``widest`` multiply-adds, whose inner dimensions
    are m or layer widths, the smallest width being ``narrowest``.

    If ``a`` is a NumPy array and m·``widest`` is under the one-thread threshold, OpenBLAS is
    set to one thread here, once, and NumPy's own ``matmul`` is returned (or, where m or
    ``narrowest`` is 1, a matmul that computes an inner dimension of 1 as an outer product, as
    ``matmul`` below does). Otherwise None: the caller uses ``matmul``, which chooses threads
    product by product. A caller coming back later (a backward) calls ``use_one_blas_thread``
    first, since another op may have changed the count in between.
    """
    if type(a) is not numpy.ndarray or _blas._set is None:
        return None
    m = a.shape[0]
    if m * widest >= _blas.threshold:
        return None
    if _blas.current != 1:
        _blas.use(False)
    return numpy.matmul if narrowest > 1 and m > 1 else _outer_or_matmul


def _outer_or_matmul(a, b):
    """``a @ b`` for 2-D NumPy arrays, as an outer product where the inner dimension is 1."""
    if a.shape[1] == 1:
        return numpy.multiply(a, b, order="C")
    return a @ b


def get_num_threads() -> int:
    """The threads chainrule computes with: OpenBLAS's count for large matrix products and
    vector updates. Starts at OpenBLAS's own setting (``OPENBLAS_NUM_THREADS``, else the
    cores)."""
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


_c_char, _byref = ctypes.c_char, ctypes.byref
AXPY_MIN = 1 << 14  # the smallest array axpy hands to BLAS
_AXPY_THREADS_MIN = 1 << 16  # the smallest it splits over every BLAS thread


def axpy(alpha: float, x, y) -> None:
    """y += alpha·x in place, in one pass: BLAS ``axpy`` for large contiguous float32/float64
    NumPy arrays of one dtype, NumPy (two passes) otherwise. It rounds once (a fused
    multiply-add where the CPU has one), as torch's ``add_(x, alpha=)``.

    From 64 K values it runs on every BLAS thread, below on one: waking the second thread for
    a 16 K update and handing the products after it back to one thread cost more than the
    update itself (16 K floats: 12.5 µs, against 9.6 on one thread; the GAN step's 128³
    products slowed from ~55 to ~75 µs)."""
    fn = None if y.size < AXPY_MIN or type(y) is not numpy.ndarray else _blas.axpy.get(y.dtype)
    if (
        fn is None
        or type(x) is not numpy.ndarray
        or x.dtype != y.dtype
        or x.shape != y.shape
        or not (x.flags.c_contiguous and y.flags.c_contiguous and y.flags.writeable)
    ):
        y += alpha * x
        return
    _blas.use(y.size >= _AXPY_THREADS_MIN)
    fn(y.size, alpha, _pointer(x), 1, _pointer(y), 1)


def axpy_each(alpha: float, xs, ys) -> None:
    """``axpy(alpha, x, y)`` for each pair (an optimizer's gradients and parameters) in one
    call; the small arrays, which axpy hands to NumPy, go there directly."""
    for x, y in zip(xs, ys):
        if y.size < AXPY_MIN:
            y += alpha * x
        else:
            axpy(alpha, x, y)


def _pointer(a):
    """A ctypes reference to a C-contiguous NumPy array's data: ~0.5 µs, against 2.5 for
    ``a.ctypes.data`` (a read-only array, which ctypes won't wrap, takes that way)."""
    try:
        return _byref(_c_char.from_buffer(a))
    except TypeError:
        return a.ctypes.data


def data_ptr(a) -> int:
    """The address of array ``a``'s first element (NumPy or CuPy)."""
    return a.data.ptr if is_gpu_array(a) else a.__array_interface__["data"][0]


def storage_offset(a) -> int:
    """Elements from the start of the memory block that ``a`` views to its first element."""
    base = a
    while base.base is not None and is_array(base.base):
        base = base.base
    return (data_ptr(a) - data_ptr(base)) // a.itemsize


_ZEROS_MIN, _ZEROS_MAX = 1 << 16, 1 << 23
_zero_buffers: dict = {}


def zeros_like_layout(x):
    """0 as an operand for ``maximum(x, ·)``: for a large NumPy array, a read-only zero array
    with x's shape and memory layout (a view of one cached buffer per dtype, grown as needed,
    up to 8 M values); otherwise the scalar 0.

    NumPy's ``maximum`` against a scalar runs about half as fast as against an array laid out
    like x (a ReLU of (64, 32, 28, 28): 1.0 ms against 0.45).
    """
    n = x.size
    if type(x) is not numpy.ndarray or not _ZEROS_MIN <= n <= _ZEROS_MAX:
        return 0
    order = sorted(range(x.ndim), key=lambda i: -x.strides[i])
    t = x.transpose(order)
    if not t.flags.c_contiguous:
        return 0
    buf = _zero_buffers.get(x.dtype)
    if buf is None or buf.size < n:
        buf = numpy.zeros(n, dtype=x.dtype)
        buf.flags.writeable = False
        _zero_buffers[x.dtype] = buf
    inverse = sorted(range(x.ndim), key=order.__getitem__)
    return buf[:n].reshape(t.shape).transpose(inverse)


def use_one_blas_thread() -> None:
    """Run the next matrix products on one OpenBLAS thread (for a loop of small ones)."""
    _blas.use(False)


def use_all_blas_threads() -> None:
    """Run the next matrix products on every OpenBLAS thread, however small they are (for a
    sequential loop of them that leaves the second core idle otherwise: an LSTM's 50 steps of
    (256, 73) @ (73, 32) take 18 µs each on two threads against 24 on one)."""
    _blas.use(True)


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


def is_gpu_array(x) -> bool:
    return cupy is not None and isinstance(x, cupy.ndarray)


def is_floating(dtype) -> bool:
    return numpy.issubdtype(dtype, numpy.floating)


def number(v):
    """A NumPy scalar (``numpy.float64(0.1)``, ``numpy.int32(3)``, ...) as the Python number it
    holds; anything else as it is. torch takes NumPy scalars as the numbers they hold, while
    NumPy 2 keeps their dtype: a ``numpy.float64`` against a float32 array would make the
    result float64 (``numpy.float64`` is even a ``float``, so ``isinstance`` lets it through)."""
    return v.item() if isinstance(v, numpy.generic) else v


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


_SEQUENCES = (list, tuple)
_PYTHON_TYPES = frozenset((float, int, bool))


def set_default_dtype(dtype) -> None:
    """The dtype of Python floats and of new float tensors (``cr.set_default_dtype``, as
    torch's): float32 (the default), float64 or float16."""
    global DEFAULT_FLOAT
    d = as_dtype(dtype)
    if d not in (float16, float32, float64):
        raise TypeError(
            f"set_default_dtype: only float16, float32 and float64 can be the default, got {d}"
        )
    DEFAULT_FLOAT = d


def get_default_dtype():
    return DEFAULT_FLOAT


def _held_dtype(seq):
    """torch's dtype for nested lists of numbers that hold NumPy scalars, arrays or Tensors
    (None when all are Python numbers): each item counts with its own dtype, a Python float as
    float32 and an int as int64, and the widest float wins over any integer
    (``[numpy.float64(1.5), 2.0]`` is float64, ``[numpy.float16(1), 2]`` float16)."""
    types: set = set()
    _leaf_types(seq, types)
    if types.issubset(_PYTHON_TYPES):
        return None
    dtypes: set = set()
    _leaf_dtypes(seq, dtypes)
    floats = [d for d in dtypes if d.kind == "f"]
    return max(floats, key=_itemsize) if floats else numpy.result_type(*dtypes)


def _itemsize(dtype):
    return dtype.itemsize


def _leaf_types(seq, types: set) -> None:
    """Add the types of the items of nested lists and tuples ``seq`` (C-level passes)."""
    here = set(map(type, seq))
    if list in here or tuple in here:
        for s in seq:
            if type(s) in _SEQUENCES:
                _leaf_types(s, types)
        here.difference_update(_SEQUENCES)
    types |= here


def _leaf_dtypes(seq, dtypes: set) -> None:
    for s in seq:
        if type(s) in _SEQUENCES:
            _leaf_dtypes(s, dtypes)
        else:
            t = type(s)
            dtypes.add(
                DEFAULT_FLOAT
                if t is float
                else DEFAULT_INT
                if t is int
                else numpy.dtype(bool)
                if t is bool
                else numpy.asarray(s).dtype
            )


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
            # Python floats: torch's default float32; NumPy scalars keep their own dtype
            held = _held_dtype(data) if type(data) in _SEQUENCES else None
            arr = arr.astype(DEFAULT_FLOAT if held is None else held)
        elif dtype is None and arr.dtype == numpy.uint64:  # Python ints past int64
            arr = arr.astype(DEFAULT_INT)
        elif dtype is None and arr.dtype.kind in "iu" and type(data) not in _SEQUENCES:
            arr = arr.astype(DEFAULT_INT)
        # (an int list is int64 unless NumPy integers alone made it narrower, as in torch)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"tensor: unsupported data of dtype {arr.dtype} ({type(data).__name__})")
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    return arr


# ---------------------------------------------------------------- devices
GPU_HINT = (
    "chainrule runs on NVIDIA GPUs through CuPy: install the wheel for your CUDA version, "
    "`pip install chainrule[gpu]` (CUDA 12, cupy-cuda12x) or `pip install cupy-cuda11x`"
)


class Device:
    """Where a tensor's data lives, as ``torch.device``: ``device("cpu")`` (NumPy arrays) or
    ``device("cuda:1")`` / ``device("cuda", 1)`` (CuPy arrays on GPU 1)."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):  # noqa: A002
        if isinstance(type, Device):
            type, index = type.type, type.index if index is None else index  # noqa: A001
        elif isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type  # noqa: A001 (torch: device(0) is cuda:0)
        elif not isinstance(type, str):
            raise TypeError(f"device: expected a string like 'cpu' or 'cuda:0', got {type!r}")
        name = type
        if ":" in type:
            type, _, number = type.partition(":")  # noqa: A001
            if index is not None or not number.isdigit():
                raise ValueError(f"device: invalid device string {name!r}")
            index = int(number)
        if type not in ("cpu", "cuda"):
            raise ValueError(
                f"device: unknown device type {type!r} in {name!r}; use 'cpu' or 'cuda'"
            )
        if index is not None and (not isinstance(index, int) or index < 0):
            raise ValueError(f"device: index must be a non-negative int, got {index!r}")
        self.type, self.index = type, index

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = Device(other)
            except (TypeError, ValueError):
                return False
        return isinstance(other, Device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"


CPU = Device("cpu")


def as_device(spec) -> Device | None:
    """A user's device (``"cuda:0"``, ``Device``, an int, None) as a ``Device`` (or None)."""
    return spec if spec is None or isinstance(spec, Device) else Device(spec)


def device_of(a) -> Device:
    """The device holding array ``a``: the CPU for NumPy arrays, ``cuda:N`` for CuPy's."""
    if cupy is not None and isinstance(a, cupy.ndarray):
        return Device("cuda", a.device.id)
    return CPU


def cuda_available() -> bool:
    """Whether CuPy is installed and sees at least one GPU (``cr.cuda.is_available()``)."""
    return cuda_device_count() > 0


def cuda_device_count() -> int:
    if cupy is None:
        return 0
    try:
        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:  # CuPy without a driver or a GPU raises CUDARuntimeError
        return 0


def require_cuda(what: str = "cuda") -> None:
    """Raise a one-line error saying how to get CUDA, unless a GPU is usable."""
    if cupy is None:
        raise RuntimeError(f"{what}: CuPy is not installed; {GPU_HINT}")
    if not cuda_available():
        raise RuntimeError(f"{what}: CuPy is installed but finds no CUDA GPU or driver")


def module_for(device) -> object:
    """The array module of ``device``: numpy for the CPU, cupy for a GPU."""
    if as_device(device).type == "cpu":
        return numpy
    require_cuda(str(device))
    return cupy


def to_device(a, device):
    """``a`` on ``device``: the same array if it is there already, else a copy there."""
    device = as_device(device)
    if device.type == "cpu":
        if cupy is not None and isinstance(a, cupy.ndarray):
            return cupy.asnumpy(a)
        return a
    require_cuda(str(device))
    index = cupy.cuda.Device().id if device.index is None else device.index
    if isinstance(a, cupy.ndarray) and a.device.id == index:
        return a
    with cupy.cuda.Device(index):
        return cupy.array(a) if isinstance(a, cupy.ndarray) else cupy.asarray(a)


def on_device(a, device) -> bool:
    """Whether array ``a`` is on ``device`` (``"cuda"`` without an index: the current GPU)."""
    device = as_device(device)
    if device.type == "cpu":
        return cupy is None or not isinstance(a, cupy.ndarray)
    if cupy is None or not isinstance(a, cupy.ndarray):
        return False
    return a.device.id == (cupy.cuda.Device().id if device.index is None else device.index)


def to_host(a):
    """``a`` as a NumPy array (a copy for a GPU array, ``a`` itself for a NumPy one)."""
    return cupy.asnumpy(a) if cupy is not None and isinstance(a, cupy.ndarray) else a


def pinned(a):
    """A copy of the NumPy array ``a`` in page-locked host memory, which copies to a GPU
    faster (``DataLoader(pin_memory=True)``); ``a`` itself where no GPU is usable."""
    if not cuda_available() or type(a) is not numpy.ndarray:
        return a
    out = cupyx.empty_pinned(a.shape, dtype=a.dtype)
    out[...] = a
    return out


def synchronize(device=None) -> None:
    """Wait for the GPU's queued work to finish (``cr.cuda.synchronize()``)."""
    require_cuda("cuda.synchronize")
    device = as_device(device)
    with cupy.cuda.Device(None if device is None else device.index):
        cupy.cuda.Device().synchronize()


def scatter_add(a, index, values) -> None:
    """``a[index] += values`` in place, adding every repeated index: ``numpy.add.at`` on the
    CPU, ``cupyx.scatter_add`` on a GPU."""
    if type(a) is numpy.ndarray:
        numpy.add.at(a, index, values)
    else:
        cupyx.scatter_add(a, index, values)


# ---------------------------------------------------------------- random numbers
_rng = numpy.random.default_rng()


def manual_seed(seed: int):
    """Seed chainrule's random generators, the CPU's and, where CuPy is loaded, the GPU's
    (``cr.manual_seed``)."""
    global _rng
    _rng = numpy.random.default_rng(int(seed))
    seed_gpu(seed)
    return _rng


def seed_gpu(seed: int) -> None:
    """Seed the GPU's generators, its ``rng(cupy)`` and CuPy's own (``cr.cuda.manual_seed``);
    the seed is kept for a GPU that appears later."""
    _gpu_rng[0] = None
    _gpu_seed[0] = int(seed)
    if cuda_available():
        cupy.random.seed(int(seed))


def rng(xp=None):
    """The random generator for arrays of module ``xp`` (default NumPy's). Both have
    ``random``, ``standard_normal``, ``uniform``, ``normal``, ``integers`` and ``permutation``,
    with NumPy's ``Generator`` signatures."""
    if xp is None or xp is numpy:
        return _rng
    if _gpu_rng[0] is None:
        _gpu_rng[0] = _GpuDraws(_gpu_seed[0])
    return _gpu_rng[0]


_gpu_rng: list = [None]
_gpu_seed: list = [None]


class _GpuDraws:
    """NumPy ``Generator``'s drawing methods, drawn on the current GPU by CuPy's generator."""

    def __init__(self, seed):
        self._g = cupy.random.default_rng(seed)

    def random(self, size=None, dtype=float64):
        return self._g.random(size, dtype=dtype)

    def standard_normal(self, size=None, dtype=float64):
        return self._g.standard_normal(size, dtype=dtype)

    def uniform(self, low=0.0, high=1.0, size=None):
        return low + (high - low) * self._g.random(size)

    def normal(self, loc=0.0, scale=1.0, size=None):
        return loc + scale * self._g.standard_normal(size)

    def integers(self, low, high=None, size=None):
        return self._g.integers(low, high, size)

    def permutation(self, n):
        return cupy.random.permutation(n)  # CuPy's legacy generator, seeded by manual_seed
