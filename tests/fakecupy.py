"""A test double of CuPy: NumPy arrays dressed up as device arrays, for CPU-only CI.

Why it exists: chainrule runs on GPUs through CuPy, but CI has neither a GPU nor CuPy. The bugs
that only show up on a GPU are almost all of one kind: a host ``numpy.ndarray`` meets a device
array (CuPy raises ``TypeError``), something converts a device array to NumPy implicitly (CuPy
refuses), or code assumes a reduction returns a Python/NumPy scalar (CuPy returns a 0-d device
array). This module reproduces exactly those rules, so the device plumbing and every op body can
be run on "device" arrays on the CPU and trip where CuPy would trip.

What it mimics:

* ``ndarray``: not a ``numpy.ndarray`` subclass; it wraps one privately (``_a``). Views share
  memory as NumPy's do, ``copy``/``astype`` make new memory, ``.data`` is a memory pointer
  object, ``.device`` is ``cuda.Device(0)``; reductions and scalar indexing give 0-d arrays.
* Refusals with CuPy's messages: ``numpy.asarray(fake)`` (``__array__``) and any mixing with a
  host ``numpy.ndarray`` in operators, in-place operators, ufuncs (also ``out=``), NumPy
  functions (``__array_function__``), ``fakecupy.<fn>`` and ``fake[idx] = host``. Python and
  NumPy scalars are accepted; NumPy index arrays are accepted in indexing.
* The explicit transfers: ``asarray``/``array`` (host to device), ``get``/``asnumpy``/``set``.
* The module namespace mirrors NumPy's (``__getattr__`` wraps functions and ufuncs), plus
  ``cuda`` (one fake device), ``random`` (``seed``, ``default_rng``, legacy draws),
  ``cupyx.scatter_add``, ``cupyx.scipy.special`` (erf, erfc, gammaln), ``linalg``, ``fft``,
  ``get_array_module``.

What it does not mimic: kernels, streams, asynchrony, memory pools, multiple devices (only
device 0 exists; entering ``Device(1)`` raises), CuPy's own random streams (draws come from
NumPy's generator, so numbers differ from real CuPy's), dtype rules where CuPy differs from
NumPy (CuPy never makes object or string arrays; NumPy functions that CuPy lacks still work
here), ``__dlpack__``, ``ElementwiseKernel``/``fuse``, and the exact types CuPy returns for
the odd function (here ``count_nonzero`` or ``allclose`` return what NumPy returns).
"""

from __future__ import annotations

import functools
import math
import sys
import types

import numpy as _np

__version__ = "14.0.0-fake"

_IMPLICIT = (
    "Implicit conversion to a NumPy array is not allowed. "
    "Please use `.get()` to construct a NumPy array explicitly."
)


# ---------------------------------------------------------------- unwrap / refuse / wrap
def _refuse(obj):
    raise TypeError(f"Unsupported type {type(obj)}")


def _unwrap(obj):
    """``obj`` with every fake replaced by its NumPy array; a host ndarray raises."""
    if isinstance(obj, ndarray):
        return obj._a
    if isinstance(obj, _np.ndarray):
        _refuse(obj)
    if type(obj) in (list, tuple):
        return type(obj)(_unwrap(o) for o in obj)
    if type(obj) is dict:
        return {k: _unwrap(v) for k, v in obj.items()}
    return obj


def _index(key):
    """An index (or nested lists of values) with fakes unwrapped; NumPy arrays are accepted,
    as CuPy converts them."""
    if isinstance(key, ndarray):
        return key._a
    if type(key) in (list, tuple):
        return type(key)(_index(k) for k in key)
    return key


def _wrap(obj, parent=None):
    """NumPy results as fakes: arrays, NumPy scalars (as 0-d arrays), tuples and lists."""
    if isinstance(obj, _np.ndarray):
        return ndarray._from_numpy(obj, parent)
    if isinstance(obj, _np.generic):
        return ndarray._from_numpy(_np.asarray(obj))
    if type(obj) in (list, tuple):
        return type(obj)(_wrap(o) for o in obj)
    return obj


def _call(fn, args, kwargs, parent=None):
    """``fn`` on unwrapped arguments; results wrapped, and a fake ``out=`` returned as given."""
    result = fn(*_unwrap(args), **_unwrap(kwargs))
    out = kwargs.get("out")
    if isinstance(out, ndarray) or (type(out) is tuple and isinstance(out[0], ndarray)):
        return out[0] if type(out) is tuple and len(out) == 1 else out
    return _wrap(result, parent)


def _owner(a):
    return a if a.base is None else a.base


# ---------------------------------------------------------------- the device array
class _MemoryPointer:
    """Stands in for ``cupy.cuda.MemoryPointer``: an address, not an array."""

    def __init__(self, ptr):
        self.ptr = ptr
        self.device_id = 0


class _Flags:
    """Read-only contiguity flags, as ``ndarray.flags`` gives them."""

    def __init__(self, a):
        self.c_contiguous = bool(a.flags.c_contiguous)
        self.f_contiguous = bool(a.flags.f_contiguous)
        self.owndata = bool(a.flags.owndata)
        self.writeable = bool(a.flags.writeable)

    def __getitem__(self, name):
        return getattr(self, name.lower())  # flags["C_CONTIGUOUS"]


class ndarray:  # noqa: N801 - CuPy's name
    """A "device" array: a private NumPy array behind CuPy's rules (see the module docstring)."""

    __slots__ = ("_a", "_base")
    __array_priority__ = 100.0
    __hash__ = None

    def __init__(self, shape, dtype=float, order="C"):
        self._a = _np.empty(shape, dtype=dtype, order=order)
        self._base = None

    @classmethod
    def _from_numpy(cls, a, parent=None):
        self = object.__new__(cls)
        self._a, self._base = a, None
        if parent is not None and a.base is not None and a.base is _owner(parent._a):
            self._base = parent._base if parent._base is not None else parent
        return self

    # --- conversions: implicit ones refused, explicit ones allowed
    def __array__(self, *args, **kwargs):
        raise TypeError(_IMPLICIT)

    def get(self, stream=None, order="C", out=None):
        if out is not None:
            out[...] = self._a
            return out
        return _np.array(self._a, order=order, copy=True)

    def set(self, arr, stream=None):
        self._a[...] = arr._a if isinstance(arr, ndarray) else _np.asarray(arr)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(len(self._a)))

    def __format__(self, spec):
        return format(self._a.item() if self._a.ndim == 0 else self._a, spec)

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()

    def __reduce__(self):
        return _from_host, (self.get(),)

    # --- attributes
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: _Flags(self._a))
    T = property(lambda self: _wrap(self._a.T, self))
    mT = property(lambda self: _wrap(_np.swapaxes(self._a, -1, -2), self))
    real = property(lambda self: _wrap(self._a.real, self))
    imag = property(lambda self: _wrap(self._a.imag, self))
    data = property(lambda self: _MemoryPointer(self._a.ctypes.data))
    device = property(lambda self: cuda.Device(0))

    @property
    def base(self):
        if self._base is not None:
            return self._base
        base = self._a.base
        return ndarray._from_numpy(base) if isinstance(base, _np.ndarray) else None

    # --- indexing
    def __getitem__(self, key):
        return _wrap(self._a[_index(key)], self)

    def __setitem__(self, key, value):
        self._a[_index(key)] = _unwrap(value)

    # --- NumPy's protocols: numpy.exp(fake), numpy.concatenate([fake, fake]), ...
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "at":
            return _Ufunc(ufunc).at(*inputs, **kwargs)
        return _call(getattr(ufunc, method), inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return _call(func, args, kwargs)


def _from_host(a):
    return ndarray._from_numpy(_np.array(a, copy=True))


def _method(name):
    def method(self, *args, **kwargs):
        return _call(getattr(self._a, name), args, kwargs, parent=self)

    method.__name__ = method.__qualname__ = name
    return method


def _plain(name):
    def method(self, *args):
        return getattr(self._a, name)(*args)

    method.__name__ = method.__qualname__ = name
    return method


def _operator(name, inplace=False):
    def op(self, *others):
        result = getattr(self._a, name)(*_unwrap(others))
        if result is NotImplemented:
            return result
        return self if inplace else _wrap(result)

    op.__name__ = op.__qualname__ = name
    return op


_METHODS = """reshape transpose swapaxes sum mean max min argmax argmin prod var std any all
    astype copy fill view ravel flatten squeeze clip cumsum cumprod dot round nonzero take
    repeat sort argsort conj conjugate diagonal trace searchsorted partition argpartition
    compress choose put""".split()
_PLAIN = """item tolist tobytes __bool__ __float__ __int__ __complex__ __index__ __len__
    __repr__ __str__""".split()
_OPERATORS = (
    """add sub mul matmul truediv floordiv mod divmod pow lshift rshift and or xor""".split()
)
for _name in _METHODS:
    setattr(ndarray, _name, _method(_name))
for _name in _PLAIN:  # explicit conversions, results not wrapped
    setattr(ndarray, _name, _plain(_name))
for _name in _OPERATORS:
    setattr(ndarray, f"__{_name}__", _operator(f"__{_name}__"))
    setattr(ndarray, f"__r{_name}__", _operator(f"__r{_name}__"))
    if _name != "divmod":
        setattr(ndarray, f"__i{_name}__", _operator(f"__i{_name}__", inplace=True))
for _name in "neg pos abs invert eq ne lt le gt ge contains".split():
    setattr(ndarray, f"__{_name}__", _operator(f"__{_name}__"))


# ---------------------------------------------------------------- ufuncs and functions
class _Ufunc:
    """A NumPy ufunc on device arrays: call, ``out=``, ``reduce``/``accumulate``/``outer``/
    ``reduceat``, and ``at`` (in place), all refusing host arrays."""

    def __init__(self, ufunc):
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__
        self.nin, self.nout, self.nargs = ufunc.nin, ufunc.nout, ufunc.nargs
        self.identity, self.types = ufunc.identity, ufunc.types

    def __call__(self, *args, **kwargs):
        return _call(self._ufunc, args, kwargs)

    def reduce(self, *args, **kwargs):
        return _call(self._ufunc.reduce, args, kwargs)

    def accumulate(self, *args, **kwargs):
        return _call(self._ufunc.accumulate, args, kwargs)

    def reduceat(self, *args, **kwargs):
        return _call(self._ufunc.reduceat, args, kwargs)

    def outer(self, *args, **kwargs):
        return _call(self._ufunc.outer, args, kwargs)

    def at(self, a, indices, b=None):
        if not isinstance(a, ndarray):
            _refuse(a)
        values = () if b is None else (_unwrap(b),)
        self._ufunc.at(a._a, _index(indices), *values)

    def __repr__(self):
        return f"<fakecupy ufunc '{self.__name__}'>"


def _function(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return _call(fn, args, kwargs)

    return wrapper


class _WrappedModule(types.ModuleType):
    """A NumPy submodule (``linalg``, ``fft``) whose functions take and give device arrays."""

    def __init__(self, name, numpy_module):
        super().__init__(name)
        self._numpy_module = numpy_module

    def __getattr__(self, name):
        attr = getattr(self._numpy_module, name)
        return _function(attr) if callable(attr) and not isinstance(attr, type) else attr


def _as_strided(x, shape=None, strides=None):
    """``cupy.lib.stride_tricks.as_strided``: a view of x's memory (CuPy's takes no
    ``writeable`` flag)."""
    if not isinstance(x, ndarray):
        _refuse(x)
    return _wrap(_np.lib.stride_tricks.as_strided(x._a, shape, strides), x)


lib = types.SimpleNamespace(stride_tricks=types.SimpleNamespace(as_strided=_as_strided))
"""``cupy.lib``: only ``stride_tricks.as_strided``, as CuPy's (NumPy's would convert)."""


# Passed through untouched: dtypes, constants, dtype helpers (their array arguments, if any,
# still reach __array_function__).
_PASSTHROUGH = set(
    """float32 float64 float16 int64 int32 int16 int8 uint8 uint16 uint32 uint64 bool_ complex64
    complex128 intp newaxis inf nan pi e dtype finfo iinfo result_type promote_types can_cast
    issubdtype floating integer signedinteger unsignedinteger number inexact complexfloating
    generic errstate""".split()
)


def __getattr__(name):
    """``fakecupy.<name>``: NumPy's ``<name>``, wrapped to take and give device arrays."""
    if name.startswith("__"):
        raise AttributeError(name)
    try:
        attr = getattr(_np, name)
    except AttributeError:
        raise AttributeError(f"module 'fakecupy' has no attribute '{name}'") from None
    if name in _PASSTHROUGH or isinstance(attr, (type, types.ModuleType)) or not callable(attr):
        result = attr
    elif isinstance(attr, _np.ufunc):
        result = _Ufunc(attr)
    else:
        result = _function(attr)
    globals()[name] = result  # cache: __getattr__ only runs for missing names
    return result


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, *, blocking=False):
    """A new device array; host arrays are copied over (the explicit transfer)."""
    a = _np.array(_index(obj), dtype=dtype, copy=True, order=order, ndmin=ndmin)
    return ndarray._from_numpy(a)


def asarray(a, dtype=None, order=None, *, blocking=False):
    """``a`` itself if it is a device array of ``dtype``, else a device copy of it."""
    if isinstance(a, ndarray) and (dtype is None or a.dtype == _np.dtype(dtype)):
        return a
    return ndarray._from_numpy(_np.array(_index(a), dtype=dtype, order=order))


def asnumpy(a, stream=None, order="C", out=None):
    """A NumPy copy of a device array (other inputs through ``numpy.asarray``)."""
    if isinstance(a, ndarray):
        return a.get(stream, order, out)
    return _np.asarray(a, order=order)


def get_array_module(*args):
    """``fakecupy`` if any argument is a device array, else ``numpy``."""
    return _this if any(isinstance(a, ndarray) for a in args) else _np


_this = sys.modules[__name__]
linalg = _WrappedModule("fakecupy.linalg", _np.linalg)
fft = _WrappedModule("fakecupy.fft", _np.fft)


# ---------------------------------------------------------------- cuda
class _CUDARuntimeError(RuntimeError):
    pass


class _Device:
    """One GPU, number 0; ``Device(n)`` for another ``n`` raises when used."""

    _current = [0]

    def __init__(self, device=None):
        self.id = self._current[-1] if device is None else int(device)

    def _check(self):
        if self.id != 0:
            raise _CUDARuntimeError("cudaErrorInvalidDevice: invalid device ordinal")

    def use(self):
        self._check()
        self._current[-1] = self.id

    def synchronize(self):
        self._check()

    def __enter__(self):
        self._check()
        self._current.append(self.id)
        return self

    def __exit__(self, *exc):
        self._current.pop()

    def __eq__(self, other):
        return isinstance(other, _Device) and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


class _Stream:
    null = None

    def synchronize(self):
        pass


_Stream.null = _Stream()


def _device_properties(i):
    _Device(i)._check()
    return {"name": b"Fake GPU (tests/fakecupy.py)", "totalGlobalMem": 16 << 30, "major": 9}


cuda = types.ModuleType("fakecupy.cuda")
cuda.Device, cuda.Stream = _Device, _Stream
cuda.get_device_id = lambda: _Device._current[-1]
cuda.is_available = lambda: True
cuda.runtime = types.SimpleNamespace(
    getDeviceCount=lambda: 1,
    getDevice=lambda: _Device._current[-1],
    getDeviceProperties=_device_properties,
    CUDARuntimeError=_CUDARuntimeError,
)


# ---------------------------------------------------------------- random
class _Generator:
    """``cupy.random.Generator``'s drawing methods, drawn by a NumPy ``Generator``."""

    def __init__(self, seed=None):
        self._g = _np.random.default_rng(seed)

    def random(self, size=None, dtype=_np.float64, out=None):
        return _wrap(_np.asarray(self._g.random(size, dtype=dtype)))

    def standard_normal(self, size=None, dtype=_np.float64, out=None):
        return _wrap(_np.asarray(self._g.standard_normal(size, dtype=dtype)))

    def integers(self, low, high=None, size=None, dtype=_np.int64, endpoint=False):
        draws = self._g.integers(_unwrap(low), _unwrap(high), size, dtype=dtype, endpoint=endpoint)
        return _wrap(_np.asarray(draws))

    def uniform(self, low=0.0, high=1.0, size=None):
        return _wrap(_np.asarray(self._g.uniform(_unwrap(low), _unwrap(high), size)))

    def normal(self, loc=0.0, scale=1.0, size=None):
        return _wrap(_np.asarray(self._g.normal(_unwrap(loc), _unwrap(scale), size)))

    def permutation(self, x):
        return _wrap(self._g.permutation(_unwrap(x)))


random = types.ModuleType("fakecupy.random")
random.Generator = _Generator
random.default_rng = lambda seed=None: _Generator(seed)
random._global = _Generator()


def _seed(seed=None):
    random._global = _Generator(seed)


def _legacy(draw):
    def function(*args, **kwargs):
        return draw(random._global, *args, **kwargs)

    function.__name__ = draw.__name__
    return function


random.seed = _seed
random.rand = _legacy(lambda g, *shape, dtype=float: g.random(shape or None).astype(dtype))
random.randn = _legacy(
    lambda g, *shape, dtype=float: g.standard_normal(shape or None).astype(dtype)
)
random.random = random.random_sample = _legacy(lambda g, size=None: g.random(size))
random.normal = _legacy(_Generator.normal)
random.uniform = _legacy(_Generator.uniform)
random.permutation = _legacy(_Generator.permutation)
random.randint = _legacy(
    lambda g, low, high=None, size=None, dtype=int: g.integers(low, high, size, dtype=dtype)
)


# ---------------------------------------------------------------- cupyx
def _scatter_add(a, slices, value):
    """``cupyx.scatter_add``: ``a[slices] += value``, adding every repeated index."""
    _Ufunc(_np.add).at(a, slices, value)


def _special(f):
    """A ``cupyx.scipy.special`` function, elementwise through the scalar ``f``."""

    def fn(x):
        raw = _np.asarray(_unwrap(x))
        dtype = raw.dtype if raw.dtype.kind == "f" else _np.dtype(_np.float64)
        return _wrap(_np.vectorize(f, otypes=[dtype])(raw))

    return fn


def _lgamma(v):
    try:
        return math.lgamma(v)
    except ValueError:  # the poles
        return math.inf


def _empty_pinned(shape, dtype=_np.float64, order="C"):
    """``cupyx.empty_pinned``: a host NumPy array (CuPy's lives in page-locked memory)."""
    return _np.empty(shape, dtype=dtype, order=order)


cupyx = types.ModuleType("fakecupy.cupyx")
cupyx.scatter_add = _scatter_add
cupyx.empty_pinned = _empty_pinned
cupyx.scipy = types.ModuleType("fakecupy.cupyx.scipy")
cupyx.scipy.special = types.ModuleType("fakecupy.cupyx.scipy.special")
cupyx.scipy.special.erf = _special(math.erf)
cupyx.scipy.special.erfc = _special(math.erfc)
cupyx.scipy.special.gammaln = _special(_lgamma)
