"""``Tensor``: an array, its gradient, and its link into the graph (``grad_fn``).

A Tensor made by an op remembers the op (``grad_fn``), and the op remembers its input
Tensors: that chain is the computational graph that ``backward()`` walks with the chain rule.
Operators and methods here are one-liners; the math lives in ``chainrule/functions/``.
"""

from __future__ import annotations

import math

from . import backend
from .autograd.function import bump_version
from .autograd.grad_mode import is_grad_enabled

_new = object.__new__


class Tensor:
    """A multi-dimensional array that can record the ops applied to it and backpropagate.

    >>> x = cr.tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward(); x.grad        # d/dx Σx² = 2x
    tensor([2., 4.])
    """

    __slots__ = ("data", "grad", "_requires_grad", "grad_fn", "_version", "_hooks", "__weakref__")
    __array_ufunc__ = None  # make NumPy defer to our reflected operators (ndarray * Tensor)
    __hash__ = object.__hash__

    def __init__(self, data, dtype=None, requires_grad: bool = False):
        if isinstance(data, Tensor):
            data = data.data
        elif isinstance(data, (list, tuple)) and _has_tensor(data):
            data = _nested_arrays(data)
        self.data = backend.asarray(data, dtype)
        self.grad = None
        self.grad_fn = None
        self._version = [0]
        self._hooks = None
        self._requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # ------------------------------------------------------------------ graph attributes
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Start (or stop) recording ops on this leaf; only floating tensors can."""
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"requires_grad: only floating-point tensors can require gradients, "
                f"got dtype {self.data.dtype}"
            )
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError(
                "requires_grad_: can't turn off requires_grad on a non-leaf tensor; "
                "use detach() instead"
            )
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def detach(self) -> Tensor:
        """The same data, cut from the graph (shares memory and the version counter)."""
        t = _wrap(self.data, None)
        t._version = self._version
        return t

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self._requires_grad = False
        return self

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned Tensor
        replaces the gradient. Returns a handle with ``remove()``."""
        if not self._requires_grad:
            raise RuntimeError(
                "register_hook: can't register a hook on a tensor that doesn't require grad"
            )
        owner = self if self.grad_fn is None else self.grad_fn
        if owner._hooks is None:
            owner._hooks = []
        if owner is self.grad_fn:
            owner._special = True
        owner._hooks.append(hook)
        return _HookHandle(owner, hook)

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if self.grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("retain_grad: tensor does not require grad")
            return
        import weakref

        self.grad_fn._retain = weakref.ref(self)
        self.grad_fn._special = True

    def backward(self, gradient=None, retain_graph=None, create_graph=False) -> None:
        """Backpropagate from this tensor, accumulating into the leaves' ``.grad``.

        ``gradient`` is ∂L/∂self; it may be omitted only for a one-element tensor (then 1).
        The graph is freed afterwards unless ``retain_graph``; ``create_graph`` records the
        backward pass itself, for gradients of gradients.
        """
        if not self._requires_grad:
            raise RuntimeError(
                f"backward: tensor of shape {self.shape} does not require grad and has no "
                "grad_fn; create the leaves with requires_grad=True (and not under no_grad)"
            )
        g = _root(self, gradient, "backward", create_graph)
        if retain_graph is None:
            retain_graph = create_graph
        run_backward([self], [g], retain_graph, create_graph)

    # ------------------------------------------------------------------ array attributes
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def device(self) -> backend.Device:
        """``device(type='cpu')``, or ``device(type='cuda', index=N)`` for a tensor on GPU N."""
        return backend.device_of(self.data)

    @property
    def is_cuda(self) -> bool:
        return backend.is_gpu_array(self.data)

    def dim(self) -> int:
        return self.data.ndim

    def size(self, dim=None):
        """The shape, or the size of one dimension."""
        if dim is None:
            return self.data.shape
        return self.data.shape[_normalize_dim(dim, self.ndim, "size")]

    def numel(self) -> int:
        return int(self.data.size)

    def element_size(self) -> int:
        return self.data.itemsize

    @property
    def itemsize(self) -> int:
        return self.data.itemsize

    @property
    def nbytes(self) -> int:
        return int(self.data.nbytes)

    def ndimension(self) -> int:
        return self.data.ndim

    @property
    def is_cpu(self) -> bool:
        return not backend.is_gpu_array(self.data)

    def get_device(self) -> int:
        """The GPU's index, or -1 on the CPU (as torch)."""
        return self.device.index if self.is_cuda else -1

    def is_floating_point(self) -> bool:
        return self.data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return False  # chainrule has no complex dtypes

    def is_signed(self) -> bool:
        return self.data.dtype.kind in "fi"

    def is_nonzero(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(
                f"is_nonzero: a tensor with {self.data.size} values is ambiguous; it needs one"
            )
        return bool(self.data.reshape(-1)[0])

    def is_same_size(self, other) -> bool:
        return self.shape == tuple(other.shape)

    def stride(self, dim=None):
        """Steps between neighbours along each dimension, in elements, as torch reports them
        for a contiguous tensor (every chainrule tensor reads as contiguous)."""
        strides, step = [], 1
        for n in reversed(self.shape):
            strides.append(step)
            step *= max(n, 1)
        strides = tuple(reversed(strides))
        return strides if dim is None else strides[_normalize_dim(dim, self.ndim, "stride")]

    @property
    def retains_grad(self) -> bool:
        fn = self.grad_fn
        return fn is not None and fn._retain is not None and fn._retain() is self

    # real tensors: conjugation is the identity
    def conj(self) -> Tensor:
        return self

    resolve_conj = resolve_neg = positive = conj

    def is_conj(self) -> bool:
        return False

    is_neg = is_conj

    @property
    def real(self) -> Tensor:
        return self

    @property
    def mH(self) -> Tensor:
        return self.mT

    def adjoint(self) -> Tensor:
        return self.mT

    @property
    def H(self) -> Tensor:
        if self.ndim > 2:
            raise ValueError(f"H: expects a matrix (at most 2-D), got shape {self.shape}")
        return self.T

    def numpy(self):
        """The NumPy array: shared memory on the CPU, a copy to the host from a GPU. Raises if
        the tensor requires grad, as torch does."""
        if self._requires_grad:
            raise RuntimeError(
                "numpy: can't call numpy() on a tensor that requires grad; "
                "use tensor.detach().numpy()"
            )
        return backend.to_host(self.data)

    def __array__(self, dtype=None, copy=None):
        a = backend.to_host(self.data)
        return a if dtype is None else a.astype(dtype)

    def item(self):
        """The single value as a Python number."""
        if self.data.size != 1:
            raise ValueError(
                f"item: only one-element tensors can be converted to a Python "
                f"number, got shape {self.shape}"
            )
        return self.data.reshape(()).item()

    def tolist(self):
        return self.data.tolist()

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.data.reshape(()))

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError(
                f"only integer tensors of a single element can be converted to an "
                f"index (got dtype {self.dtype}, shape {self.shape})"
            )
        return int(self.item())

    def __format__(self, spec):
        if self.data.ndim == 0:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __repr__(self) -> str:
        a = backend.to_host(self.data)
        body = backend.np.array2string(a, separator=", ", prefix="tensor(", precision=4)
        extra = [] if a is self.data else [f"device='{self.device}'"]
        if self.dtype not in (backend.float32, backend.int64, backend.bool_) or (
            a.size == 0 and self.dtype != backend.float32
        ):
            extra.append(f"dtype={self.dtype}")
        if self.grad_fn is not None:
            extra.append(f"grad_fn={self.grad_fn!r}")
        elif self._requires_grad:
            extra.append("requires_grad=True")
        return "tensor(" + ", ".join([body, *extra]) + ")"

    # ------------------------------------------------------------------ conversions
    def to(self, *args, **kwargs) -> Tensor:
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other)`` (its device and
        dtype): a copy on that device and/or cast to that dtype, both differentiable; the
        tensor itself when it is already there and of that dtype, as in torch."""
        device, dtype = _to_args(args, kwargs)
        t = self
        if device is not None and not backend.on_device(t.data, device):
            if t._requires_grad:
                t = _A.ToDevice(backend.as_device(device))(t)
            else:
                t = _wrap(backend.to_device(t.data, device), None)
        if dtype is None:
            return t
        dtype = backend.as_dtype(dtype)
        if dtype == t.dtype:
            return t
        if t._requires_grad and dtype.kind == "f":
            return _A.Cast(dtype)(t)
        return _wrap(t.data.astype(dtype), None)

    astype = to

    def float(self) -> Tensor:
        return self.to(backend.float32)

    def double(self) -> Tensor:
        return self.to(backend.float64)

    def half(self) -> Tensor:
        return self.to(backend.float16)

    def long(self) -> Tensor:
        return self.to(backend.int64)

    def int(self) -> Tensor:
        return self.to(backend.int32)

    def bool(self) -> Tensor:
        return self.to(backend.bool_)

    def byte(self) -> Tensor:
        return self.to(backend.uint8)

    def char(self) -> Tensor:
        return self.to(backend.int8)

    def short(self) -> Tensor:
        return self.to(backend.int16)

    def type(self, dtype=None):
        return str(self.dtype) if dtype is None else self.to(dtype)

    def cpu(self) -> Tensor:
        """This tensor on the CPU (itself if it is there)."""
        return self.to(backend.CPU)

    def cuda(self, device=None) -> Tensor:
        """This tensor on GPU ``device`` (an index or ``"cuda:N"``; default the current one)."""
        return self.to(_cuda_device(device))

    def contiguous(self) -> Tensor:
        return self

    def clone(self) -> Tensor:
        """A copy that stays in the graph (gradient passes straight through)."""
        return _S.Clone()(self)

    # ------------------------------------------------------------------ operators
    def __add__(self, o):
        return _A._binary(_A.Add, self, o, "add")

    def __radd__(self, o):
        return _A._binary(_A.Add, o, self, "add")

    def __sub__(self, o):
        return _A._binary(_A.Sub, self, o, "sub")

    def __rsub__(self, o):
        return _A._binary(_A.Sub, o, self, "sub")

    def __mul__(self, o):
        return _A._binary(_A.Mul, self, o, "mul")

    def __rmul__(self, o):
        return _A._binary(_A.Mul, o, self, "mul")

    def __truediv__(self, o):
        return _A.div(self, o)

    def __rtruediv__(self, o):
        return _A.div(o, self)

    def __floordiv__(self, o):
        return _A.floor_divide(self, o)

    def __rfloordiv__(self, o):
        return _A.floor_divide(o, self)

    def __mod__(self, o):
        return _A.remainder(self, o)

    def __rmod__(self, o):
        return _A.remainder(o, self)

    def __pow__(self, o):
        return _A.pow(self, o)

    def __rpow__(self, o):
        return _A.pow(o, self)

    def __matmul__(self, o):
        return _L.matmul(self, o)

    def __rmatmul__(self, o):
        return _L.matmul(o, self)

    def __neg__(self):
        return _A.Neg()(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _A.Abs()(self)

    def __eq__(self, o):  # type: ignore[override]
        return _C.eq(self, o)

    def __ne__(self, o):  # type: ignore[override]
        return _C.ne(self, o)

    def __lt__(self, o):
        return _C.lt(self, o)

    def __le__(self, o):
        return _C.le(self, o)

    def __gt__(self, o):
        return _C.gt(self, o)

    def __ge__(self, o):
        return _C.ge(self, o)

    def __and__(self, o):
        return _Bw.bitwise_and(self, o)

    def __rand__(self, o):
        return _Bw.bitwise_and(o, self)

    def __or__(self, o):
        return _Bw.bitwise_or(self, o)

    def __ror__(self, o):
        return _Bw.bitwise_or(o, self)

    def __xor__(self, o):
        return _Bw.bitwise_xor(self, o)

    def __rxor__(self, o):
        return _Bw.bitwise_xor(o, self)

    def __invert__(self):
        return _Bw.bitwise_not(self)

    def __lshift__(self, o):
        return _Bw.bitwise_left_shift(self, o)

    def __rlshift__(self, o):
        return _Bw.bitwise_left_shift(o, self)

    def __rshift__(self, o):
        return _Bw.bitwise_right_shift(self, o)

    def __rrshift__(self, o):
        return _Bw.bitwise_right_shift(o, self)

    def __iand__(self, o):
        return self.bitwise_and_(o)

    def __ior__(self, o):
        return self.bitwise_or_(o)

    def __ixor__(self, o):
        return self.bitwise_xor_(o)

    def __ilshift__(self, o):
        return self.bitwise_left_shift_(o)

    def __irshift__(self, o):
        return self.bitwise_right_shift_(o)

    def __getitem__(self, key):
        return _I.getitem(self, key)

    # ------------------------------------------------------------------ math methods
    def add(self, o, alpha=1):
        return _A.add(self, o, alpha)

    def sub(self, o, alpha=1):
        return _A.sub(self, o, alpha)

    def mul(self, o):
        return _A.mul(self, o)

    def div(self, o, *, rounding_mode=None):
        return (
            _A.div(self, o)
            if rounding_mode is None
            else _Sp.divide(self, o, rounding_mode=rounding_mode)
        )

    def pow(self, o):
        return _A.pow(self, o)

    def matmul(self, o):
        return _L.matmul(self, o)

    def mm(self, o):
        return _L.mm(self, o)

    def bmm(self, o):
        return _L.bmm(self, o)

    def dot(self, o):
        return _L.dot(self, o)

    def mv(self, v):
        return _L.mv(self, v)

    def outer(self, o):
        return _L.outer(self, o)

    def kron(self, o):
        return _E.kron(self, o)

    def diag(self, diagonal=0):
        return _L.diag(self, diagonal)

    def trace(self):
        return _L.trace(self)

    def dist(self, other, p=2):
        return _Dist.dist(self, other, p)

    def inner(self, other):
        return _L.inner(self, other)

    def vdot(self, other):
        return _L.vdot(self, other)

    def cross(self, other, dim=None):
        return _L.cross(self, other, dim)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        return _L.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        return _L.addmv(self, mat, vec, beta=beta, alpha=alpha)

    def addr(self, vec1, vec2, *, beta=1, alpha=1):
        return _L.addr(self, vec1, vec2, beta=beta, alpha=alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return _L.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def addbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return _L.addbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return _L.diagonal(self, offset, dim1, dim2)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        return _L.diag_embed(self, offset, dim1, dim2)

    def diagflat(self, offset=0):
        return _L.diagflat(self, offset)

    def matrix_power(self, n):
        return _Dec.matrix_power(self, n)

    def det(self):
        return _Dec.det(self)

    def inverse(self):
        return _Dec.inverse(self)

    def slogdet(self):
        return _Dec.slogdet(self)

    def logdet(self):
        return _Dec.logdet(self)

    def pinverse(self, rcond=1e-15):
        return _Dec.pinverse(self, rcond)

    def cholesky(self, upper=False):
        return _Dec.cholesky(self, upper=upper)

    def i0(self) -> Tensor:
        return _Num.i0(self)

    def igamma(self, other) -> Tensor:
        return _Num.igamma(self, other)

    def igammac(self, other) -> Tensor:
        return _Num.igammac(self, other)

    def mvlgamma(self, p) -> Tensor:
        return _Num.mvlgamma(self, p)

    def frexp(self):
        return _Num.frexp(self)

    def nextafter(self, other) -> Tensor:
        return _Num.nextafter(self, other)

    def histogram(self, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
        return _Hist.histogram(self, bins, range=range, weight=weight, density=density)

    def svd(self, some=True, compute_uv=True):
        return _LinL.svd(self, some, compute_uv)

    def qr(self, some=True):
        return _LinL.qr(self, some)

    def matrix_exp(self):
        return _MatF.matrix_exp(self)

    def renorm(self, p, dim, maxnorm):
        return _MatF.renorm(self, p, dim, maxnorm)

    def cholesky_solve(self, input2, upper=False):
        return _Tri.cholesky_solve(self, input2, upper)

    def cholesky_inverse(self, upper=False):
        return _Tri.cholesky_inverse(self, upper)

    def triangular_solve(self, A, upper=True, transpose=False, unitriangular=False):
        return _Tri.triangular_solve(self, A, upper, transpose, unitriangular)

    def lu_solve(self, LU_data, LU_pivots):
        return _LinL.lu_solve(self, LU_data, LU_pivots)

    def lu(self, pivot=True, get_infos=False):
        return _LinL.lu(self, pivot, get_infos)

    # comparisons and tests as methods (bool tensors, no gradient)
    def eq(self, o):
        return _C.eq(self, o)

    def ne(self, o):
        return _C.ne(self, o)

    def lt(self, o):
        return _C.lt(self, o)

    def le(self, o):
        return _C.le(self, o)

    def gt(self, o):
        return _C.gt(self, o)

    def ge(self, o):
        return _C.ge(self, o)

    def logical_and(self, o):
        return _C.logical_and(self, o)

    def logical_or(self, o):
        return _C.logical_or(self, o)

    def logical_xor(self, o):
        return _C.logical_xor(self, o)

    def logical_not(self):
        return _C.logical_not(self)

    def isnan(self):
        return _C.isnan(self)

    def isinf(self):
        return _C.isinf(self)

    def isfinite(self):
        return _C.isfinite(self)

    def equal(self, o) -> bool:
        return _C.equal(self, o)

    def allclose(self, o, rtol=1e-5, atol=1e-8, equal_nan=False) -> bool:
        return _C.allclose(self, o, rtol, atol, equal_nan)

    def lerp(self, end, weight):
        return _A.lerp(self, end, weight)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return _A.nan_to_num(self, nan, posinf, neginf)

    def neg(self):
        return _A.Neg()(self)

    def abs(self):
        return _A.Abs()(self)

    def exp(self):
        return _A.Exp()(self)

    def log(self):
        return _A.Log()(self)

    def log1p(self):
        return _A.Log1p()(self)

    def sqrt(self):
        return _A.Sqrt()(self)

    def rsqrt(self):
        return _A.rsqrt(self)

    def square(self):
        return _A.pow(self, 2)

    def sin(self):
        return _A.Sin()(self)

    def cos(self):
        return _A.Cos()(self)

    def erf(self):
        return _A.Erf()(self)

    def sign(self):
        return _A.sign(self)

    def reciprocal(self):
        return _A.Reciprocal()(self)

    def expm1(self):
        return _A.Expm1()(self)

    def log2(self):
        return _A.Log2()(self)

    def log10(self):
        return _A.Log10()(self)

    def tan(self):
        return _A.Tan()(self)

    def atan(self):
        return _A.Arctan()(self)

    def asin(self):
        return _A.Arcsin()(self)

    def acos(self):
        return _A.Arccos()(self)

    arctan, arcsin, arccos = atan, asin, acos

    def sinh(self):
        return _A.Sinh()(self)

    def cosh(self):
        return _A.Cosh()(self)

    def atan2(self, other):
        return _A.atan2(self, other)

    arctan2 = atan2

    def floor(self):
        return _A.Floor()(self)

    def ceil(self):
        return _A.Ceil()(self)

    def trunc(self):
        return _A.Trunc()(self)

    fix = trunc

    def round(self, decimals=0):
        return _A.round(self, decimals)

    def frac(self):
        return _A.frac(self)

    def remainder(self, other):
        return _A.remainder(self, other)

    def fmod(self, other):
        return _A.fmod(self, other)

    def floor_divide(self, other):
        return _A.floor_divide(self, other)

    def tanh(self):
        return _Act.tanh(self)

    def sigmoid(self):
        return _Act.sigmoid(self)

    def relu(self):
        return _Act.relu(self)

    def softmax(self, dim=-1):
        return _Act.softmax(self, dim)

    def log_softmax(self, dim=-1):
        return _Act.log_softmax(self, dim)

    def hardshrink(self, lambd=0.5):
        return _ActX.hardshrink(self, lambd)

    def prelu(self, weight):
        return _ActX.prelu(self, weight)

    def maximum(self, o):
        return _A.maximum(self, o)

    def minimum(self, o):
        return _A.minimum(self, o)

    def clamp(self, min=None, max=None):  # noqa: A002
        return _A.clamp(self, min, max)

    clip = clamp

    def where(self, condition, other):
        return _A.where(condition, self, other)

    def masked_fill(self, mask, value):
        out = _A.where(mask, value, self)
        return out if out.dtype == self.dtype else out.to(self.dtype)  # torch keeps self's

    # ------------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim=False, **kw):
        return _R.sum(self, dim, keepdim, **kw)

    def mean(self, dim=None, keepdim=False, **kw):
        return _R.mean(self, dim, keepdim, **kw)

    def var(self, dim=None, unbiased=None, keepdim=False, **kw):
        return _R.var(self, dim, unbiased, keepdim, **kw)

    def std(self, dim=None, unbiased=None, keepdim=False, **kw):
        return _R.std(self, dim, unbiased, keepdim, **kw)

    def max(self, dim=None, keepdim=False):
        return _R.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return _R.min(self, dim, keepdim)

    def amax(self, dim=None, keepdim=False):
        return _R.amax(self, dim, keepdim)

    def amin(self, dim=None, keepdim=False):
        return _R.amin(self, dim, keepdim)

    def prod(self, dim=None, keepdim=False):
        return _R.prod(self, dim, keepdim)

    def logsumexp(self, dim=None, keepdim=False):
        return _R.logsumexp(self, dim, keepdim)

    def norm(self, p="fro", dim=None, keepdim=False):
        return _R.norm(self, p, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return _R.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return _R.argmin(self, dim, keepdim)

    def all(self, dim=None, keepdim=False):
        return _R.all(self, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        return _R.any(self, dim, keepdim)

    # ------------------------------------------------------------------ shapes
    def reshape(self, *shape):
        return _S.reshape(self, *shape)

    def view(self, *shape):
        return _S.reshape(self, *shape)

    def view_as(self, other):
        return _S.reshape(self, other.shape)

    def reshape_as(self, other):
        return _S.reshape(self, other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        return _S.flatten(self, start_dim, end_dim)

    def transpose(self, dim0, dim1):
        return _S.transpose(self, dim0, dim1)

    swapaxes = swapdims = transpose

    def t(self):
        if self.ndim > 2:
            raise ValueError(f"t: expects a tensor with <= 2 dims, got shape {self.shape}")
        return _S.transpose(self, 0, -1) if self.ndim == 2 else self

    @property
    def T(self):
        return _S.permute(self, *reversed(range(self.ndim))) if self.ndim > 1 else self

    @property
    def mT(self):
        if self.ndim < 2:
            raise ValueError(f"mT: expects a matrix or a batch of matrices, got shape {self.shape}")
        return _S.transpose(self, -2, -1)

    def permute(self, *dims):
        return _S.permute(self, *dims)

    def unsqueeze(self, dim):
        return _S.unsqueeze(self, dim)

    def squeeze(self, dim=None):
        return _S.squeeze(self, dim)

    def _view_in_place(self, name, view, *args):
        """torch's in-place view ops (``x.squeeze_()``, ``x.t_()``): this tensor becomes
        ``view(self, *args)``, the same memory with a new shape; under autograd its node
        becomes the view's (so ∂L/∂x flows back through the view's backward)."""
        if is_grad_enabled() and self._requires_grad:
            self._check_inplace(name)
            out = view(self._shallow(), *args)
            if out.grad_fn is not None:  # this tensor now owns the view: in-place ops may follow
                out.grad_fn.is_view = False
            self.grad_fn = out.grad_fn
        else:
            with _no_grad():
                out = view(self, *args)
        self.data = out.data
        return self

    def squeeze_(self, dim=None):
        return self._view_in_place("squeeze_", Tensor.squeeze, dim)

    def unsqueeze_(self, dim):
        return self._view_in_place("unsqueeze_", Tensor.unsqueeze, dim)

    def t_(self):
        return self._view_in_place("t_", Tensor.t)

    def transpose_(self, dim0, dim1):
        return self._view_in_place("transpose_", Tensor.transpose, dim0, dim1)

    swapaxes_ = swapdims_ = transpose_

    def resize_(self, *size):
        """Give this tensor the shape ``size``, as torch: the values it holds, read in
        row-major order, fill the new shape from the start; new room is zero-filled (torch
        leaves it uninitialised). Not differentiable."""
        size = _S._shape_arg(size)
        if self._requires_grad:
            raise RuntimeError(
                f"resize_: can't resize a tensor that requires grad (shape {self.shape}); "
                "detach() it or work under cr.no_grad() on a copy"
            )
        if any(not isinstance(n, int) or n < 0 for n in size):
            raise ValueError(f"resize_: sizes must be non-negative integers, got {size}")
        xp = backend.get_array_module(self.data)
        numel = math.prod(size)
        if numel == self.data.size and self.data.flags.c_contiguous:
            self.data = self.data.reshape(size)
        else:
            flat = xp.zeros(numel, self.data.dtype)
            keep = min(numel, self.data.size)
            flat[:keep] = self.data.reshape(-1)[:keep]
            self.data = flat.reshape(size)
        bump_version(self)
        return self

    def resize_as_(self, other):
        return self.resize_(*other.shape)

    def storage_offset(self) -> int:
        """Elements between the start of this tensor's memory block and its first element."""
        return backend.storage_offset(self.data)

    def data_ptr(self) -> int:
        """The address of this tensor's first element."""
        return backend.data_ptr(self.data)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(self)`` after ``backward`` has accumulated into this leaf's ``.grad``
        (not on ``cr.grad``). Returns a handle with ``remove()``."""
        if self.grad_fn is not None:
            raise RuntimeError(
                "register_post_accumulate_grad_hook: post accumulate grad hooks can only be "
                f"registered on leaf tensors, got one made by {self.grad_fn.name}"
            )
        if not self._requires_grad:
            raise RuntimeError(
                "register_post_accumulate_grad_hook: can't register a hook on a tensor that "
                "doesn't require grad"
            )
        if self._hooks is None:
            self._hooks = []
        entry = PostAccumulateHook(hook)
        self._hooks.append(entry)
        return _HookHandle(self, entry)

    def expand(self, *shape):
        return _S.broadcast_to(self, *shape)

    def expand_as(self, other):
        return _S.broadcast_to(self, other.shape)

    def broadcast_to(self, *shape):
        return _S.broadcast_to(self, *shape)

    def split(self, split_size, dim=0):
        return _S.split(self, split_size, dim)

    def chunk(self, chunks, dim=0):
        return _S.chunk(self, chunks, dim)

    def narrow(self, dim, start, length):
        return _S.narrow(self, dim, start, length)

    def movedim(self, source, destination):
        return _S.movedim(self, source, destination)

    moveaxis = movedim

    def unflatten(self, dim, sizes):
        return _S.unflatten(self, dim, sizes)

    def unbind(self, dim=0):
        return _S.unbind(self, dim)

    def type_as(self, other):
        return self.to(other.dtype)

    def nelement(self) -> int:
        return self.numel()

    def is_contiguous(self) -> bool:
        return True  # every op returns contiguous data; views copy where torch's would not

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        t = self.new_full(_S._shape_arg(size), 0, dtype=dtype, device=device)
        return t.requires_grad_(requires_grad)

    def narrow_copy(self, dim, start, length):
        return self.narrow(dim, start, length).clone()

    def split_with_sizes(self, split_sizes, dim=0):
        return _S.split(self, list(split_sizes), dim)

    def sum_to_size(self, *size):
        """Sum this tensor down to ``size``, a shape it broadcasts from (as torch)."""
        size = tuple(_S._shape_arg(size))
        extra = self.ndim - len(size)
        if extra < 0 or any(n not in (1, m) for n, m in zip(size, self.shape[extra:])):
            raise ValueError(f"sum_to_size: size {size} is not expandable to {self.shape}")
        dims = tuple(range(extra)) + tuple(
            extra + i for i, (n, m) in enumerate(zip(size, self.shape[extra:])) if n == 1 and m != 1
        )
        return _R.sum(self, dims, True).reshape(size) if dims else self

    def unfold(self, dimension, size, step):
        """Every window of ``size`` values along ``dimension``, ``step`` apart, in a new last
        dimension: (…, L, …) → (…, (L − size) // step + 1, …, size). The windows are picked with
        ``index_select``, whose gradient adds each window's share back."""
        d = _normalize_dim(dimension, self.ndim, "unfold")
        length = self.shape[d] if self.ndim else 1
        if not 0 <= size <= length:
            raise ValueError(
                f"unfold: size {size} doesn't fit dimension {dimension} of size {length}"
            )
        if step <= 0:
            raise ValueError(f"unfold: step must be positive, got {step}")
        xp = backend.get_array_module(self.data)
        n = (length - size) // step + 1
        idx = (xp.arange(n)[:, None] * step + xp.arange(size)[None, :]).reshape(-1)
        if self.ndim == 0:
            return self.reshape(1, 1)[0] if size else self.reshape(0, 0)
        y = _Sel.index_select(self, d, Tensor(idx))
        y = y.reshape(self.shape[:d] + (n, size) + self.shape[d + 1 :])
        return _S.movedim(y, d + 1, -1)

    def new_zeros(self, *size, dtype=None, device=None):
        return self.new_full(_S._shape_arg(size), 0, dtype=dtype, device=device)

    def new_ones(self, *size, dtype=None, device=None):
        return self.new_full(_S._shape_arg(size), 1, dtype=dtype, device=device)

    def new_full(self, size, fill_value, dtype=None, device=None):
        """A tensor of ``size`` filled with ``fill_value``, by default of this tensor's dtype
        and on its device (as torch's ``new_full``)."""
        from .creation import full

        return full(
            tuple(size), fill_value, dtype=dtype or self.dtype, device=device or self.device
        )

    def new_tensor(self, data, dtype=None, device=None):
        """A new leaf tensor of ``data``, by default of this tensor's dtype and device."""
        return Tensor(_data(data), dtype=dtype or self.dtype).to(device or self.device)

    def flip(self, *dims):
        return _S.flip(self, _S._shape_arg(dims))

    def roll(self, shifts, dims=None):
        return _S.roll(self, shifts, dims)

    def tril(self, diagonal=0):
        return _S.tril(self, diagonal)

    def triu(self, diagonal=0):
        return _S.triu(self, diagonal)

    def repeat(self, *sizes):
        return _S.repeat(self, *sizes)

    def tile(self, *dims):
        return _S.tile(self, _S._shape_arg(dims))

    def gather(self, dim, index):
        return _Sel.gather(self, dim, index)

    def index_select(self, dim, index):
        return _Sel.index_select(self, dim, index)

    def take_along_dim(self, indices, dim=None):
        return _Sel.take_along_dim(self, indices, dim)

    def sort(self, dim=-1, descending=False, *, stable=False):
        return _Sel.sort(self, dim, descending, stable=stable)

    def argsort(self, dim=-1, descending=False, *, stable=False):
        return _Sel.argsort(self, dim, descending, stable=stable)

    def topk(self, k, dim=-1, largest=True, sorted=True):  # noqa: A002 - torch's name
        return _Sel.topk(self, k, dim, largest, sorted)

    def scatter(self, dim, index, src=None, *, value=None):
        return _Sc.scatter(self, dim, index, src, value=value)

    def scatter_add(self, dim, index, src):
        return _Sc.scatter_add(self, dim, index, src)

    def masked_select(self, mask):
        return _Sc.masked_select(self, mask)

    def nonzero(self, *, as_tuple=False):
        return _Sc.nonzero(self, as_tuple=as_tuple)

    def argwhere(self):
        return _Sc.argwhere(self)

    def count_nonzero(self, dim=None):
        return _Sc.count_nonzero(self, dim)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
        return _Cnt.unique(self, sorted, return_inverse, return_counts, dim)

    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        return _Cnt.unique_consecutive(self, return_inverse, return_counts, dim)

    def bincount(self, weights=None, minlength=0):
        return _Cnt.bincount(self, weights, minlength)

    def histc(self, bins=100, min=0, max=0):  # noqa: A002 - torch's names
        return _Cnt.histc(self, bins, min, max)

    def kthvalue(self, k, dim=-1, keepdim=False):
        return _Cnt.kthvalue(self, k, dim, keepdim)

    def mode(self, dim=-1, keepdim=False):
        return _Cnt.mode(self, dim, keepdim)

    def msort(self):
        return _Cnt.msort(self)

    def cummax(self, dim):
        return _Cu.cummax(self, dim)

    def cummin(self, dim):
        return _Cu.cummin(self, dim)

    def logcumsumexp(self, dim):
        return _Cu.logcumsumexp(self, dim)

    def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        return _Stat.quantile(self, q, dim, keepdim, interpolation=interpolation)

    def nanquantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        return _Stat.nanquantile(self, q, dim, keepdim, interpolation=interpolation)

    def nanmedian(self, dim=None, keepdim=False):
        return _Stat.nanmedian(self, dim, keepdim)

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        return _Stat.nansum(self, dim, keepdim, dtype=dtype)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        return _Stat.nanmean(self, dim, keepdim, dtype=dtype)

    def aminmax(self, *, dim=None, keepdim=False):
        return _Stat.aminmax(self, dim=dim, keepdim=keepdim)

    def cov(self, *, correction=1, fweights=None, aweights=None):
        return _Stat.cov(self, correction=correction, fweights=fweights, aweights=aweights)

    def corrcoef(self):
        return _Stat.corrcoef(self)

    def tensor_split(self, indices_or_sections, dim=0):
        return _J.tensor_split(self, indices_or_sections, dim)

    def hsplit(self, sections):
        return _J.hsplit(self, sections)

    def vsplit(self, sections):
        return _J.vsplit(self, sections)

    def dsplit(self, sections):
        return _J.dsplit(self, sections)

    def ravel(self):
        return _J.ravel(self)

    def select(self, dim, index):
        return _J.select(self, dim, index)

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        return _J.repeat_interleave(self, repeats, dim, output_size=output_size)

    def rot90(self, k=1, dims=(0, 1)):
        return _J.rot90(self, k, dims)

    def fliplr(self):
        return _J.fliplr(self)

    def flipud(self):
        return _J.flipud(self)

    def take(self, index):
        return _J.take(self, index)

    def select_scatter(self, src, dim, index):
        return _J.select_scatter(self, src, dim, index)

    def slice_scatter(self, src, dim=0, start=None, end=None, step=1):
        return _J.slice_scatter(self, src, dim, start, end, step)

    def diagonal_scatter(self, src, offset=0, dim1=0, dim2=1):
        return _J.diagonal_scatter(self, src, offset, dim1, dim2)

    def index_add(self, dim, index, source, *, alpha=1):
        return _Sc.index_add(self, dim, index, source, alpha=alpha)

    def index_copy(self, dim, index, source):
        return _Sc.index_copy(self, dim, index, source)

    def index_fill(self, dim, index, value):
        return _Sc.index_fill(self, dim, index, value)

    def index_put(self, indices, values, accumulate=False):
        return _Sc.index_put(self, indices, values, accumulate)

    def put(self, index, source, accumulate=False):
        return _Sc.put(self, index, source, accumulate)

    def masked_scatter(self, mask, source):
        return _Sc.masked_scatter(self, mask, source)

    def scatter_reduce(self, dim, index, src, reduce, *, include_self=True):
        return _ScR.scatter_reduce(self, dim, index, src, reduce, include_self=include_self)

    def asinh(self):
        return _Sp.asinh(self)

    def arcsinh(self):
        return _Sp.asinh(self)

    def acosh(self):
        return _Sp.acosh(self)

    def arccosh(self):
        return _Sp.acosh(self)

    def atanh(self):
        return _Sp.atanh(self)

    def arctanh(self):
        return _Sp.atanh(self)

    def exp2(self):
        return _Sp.exp2(self)

    def erfc(self):
        return _Sp.erfc(self)

    def erfinv(self):
        return _Sp.erfinv(self)

    def lgamma(self):
        return _Sp.lgamma(self)

    def digamma(self):
        return _Sp.digamma(self)

    def polygamma(self, n):
        return _Sp.polygamma(n, self)

    def logit(self, eps=None):
        return _Sp.logit(self, eps)

    def sinc(self):
        return _Sp.sinc(self)

    def deg2rad(self):
        return _Sp.deg2rad(self)

    def rad2deg(self):
        return _Sp.rad2deg(self)

    def logaddexp(self, other):
        return _Sp.logaddexp(self, other)

    def logaddexp2(self, other):
        return _Sp.logaddexp2(self, other)

    def hypot(self, other):
        return _Sp.hypot(self, other)

    def copysign(self, other):
        return _Sp.copysign(self, other)

    def xlogy(self, other):
        return _Sp.xlogy(self, other)

    def fmax(self, other):
        return _Sp.fmax(self, other)

    def fmin(self, other):
        return _Sp.fmin(self, other)

    def float_power(self, exponent):
        return _Sp.float_power(self, exponent)

    def ldexp(self, other):
        return _Sp.ldexp(self, other)

    def clamp_min(self, min):  # noqa: A002
        return _Sp.clamp_min(self, min)

    def clamp_max(self, max):  # noqa: A002
        return _Sp.clamp_max(self, max)

    def addcmul(self, tensor1, tensor2, *, value=1):
        return _Sp.addcmul(self, tensor1, tensor2, value=value)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        return _Sp.addcdiv(self, tensor1, tensor2, value=value)

    def divide(self, other, *, rounding_mode=None):
        return _Sp.divide(self, other, rounding_mode=rounding_mode)

    def true_divide(self, other):
        return _A.div(self, other)

    def multiply(self, other):
        return _A.mul(self, other)

    def subtract(self, other, *, alpha=1):
        return _Sp.subtract(self, other, alpha=alpha)

    def negative(self):
        return _A.neg(self)

    def absolute(self):
        return _A.abs(self)

    def greater(self, other):
        return _C.gt(self, other)

    def greater_equal(self, other):
        return _C.ge(self, other)

    def less(self, other):
        return _C.lt(self, other)

    def less_equal(self, other):
        return _C.le(self, other)

    def not_equal(self, other):
        return _C.ne(self, other)

    def sgn(self):
        return _Bw.sgn(self)

    def signbit(self):
        return _Bw.signbit(self)

    def isposinf(self):
        return _Bw.isposinf(self)

    def isneginf(self):
        return _Bw.isneginf(self)

    def isreal(self):
        return _Bw.isreal(self)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _Bw.isclose(self, other, rtol, atol, equal_nan)

    def heaviside(self, values):
        return _Bw.heaviside(self, values)

    def gcd(self, other):
        return _Bw.gcd(self, other)

    def lcm(self, other):
        return _Bw.lcm(self, other)

    def bitwise_and(self, other):
        return _Bw.bitwise_and(self, other)

    def bitwise_or(self, other):
        return _Bw.bitwise_or(self, other)

    def bitwise_xor(self, other):
        return _Bw.bitwise_xor(self, other)

    def bitwise_not(self):
        return _Bw.bitwise_not(self)

    def bitwise_left_shift(self, other):
        return _Bw.bitwise_left_shift(self, other)

    def bitwise_right_shift(self, other):
        return _Bw.bitwise_right_shift(self, other)

    def cumprod(self, dim, *, dtype=None):
        return _Cu.cumprod(self, dim, dtype=dtype)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        return _Cu.diff(self, n, dim, prepend, append)

    def median(self, dim=None, keepdim=False):
        return _R.median(self, dim, keepdim)

    def cumsum(self, dim, *, dtype=None):
        return _Cu.cumsum(self, dim, dtype=dtype)

    # ------------------------------------------------------------------ in place
    def _check_inplace(self, name):
        if self.grad_fn is None and self._requires_grad:
            raise RuntimeError(
                f"{name}: a leaf tensor that requires grad (shape {self.shape}) is being "
                "modified in place while grad mode is on; do it under cr.no_grad()"
            )
        if self.grad_fn is not None and self.grad_fn.is_view:
            raise RuntimeError(
                f"{name}: in-place modification of a view ({self.grad_fn.name}) of a tensor "
                "that requires grad is not supported; clone() it first"
            )

    def _inplace(self, name, ufunc, op, other):
        od = other.data if isinstance(other, Tensor) else backend.number(other)
        if not (
            is_grad_enabled()
            and (self._requires_grad or (isinstance(other, Tensor) and other._requires_grad))
        ):
            try:
                ufunc(self.data, od, out=self.data)
            except ValueError:
                raise ValueError(
                    f"{name}: shape {_shape(other)} can't be broadcast to the "
                    f"in-place tensor's shape {self.shape}"
                ) from None
            bump_version(self)
            return self
        self._check_inplace(name)
        # The op's input is a copy of self as it is now (torch's original_self): the op may save
        # it for backward, and the result is about to overwrite self's array.
        before = _wrap(self.data.copy(), self.grad_fn)
        before._requires_grad = self._requires_grad
        out = op(before, before if other is self else other)
        if out.shape != self.shape:
            raise ValueError(
                f"{name}: shape {_shape(other)} can't be broadcast to the "
                f"in-place tensor's shape {self.shape}"
            )
        backend.get_array_module(self.data).copyto(self.data, out.data, casting="same_kind")
        self.grad_fn = out.grad_fn
        self._requires_grad = True
        bump_version(self)
        return self

    def _rewrite(self, name, fn, *args, **kwargs):
        """Overwrite this tensor with ``fn(self, *args, **kwargs)``, an out-of-place op that
        keeps its shape: torch's in-place variants (``x.exp_()``, ``x.scatter_(...)``).
        Under autograd the op joins the graph on a copy of this tensor as it was, and this
        tensor's node is re-pointed at it, as in ``_inplace``; the result is cast to this
        tensor's dtype."""
        grad = is_grad_enabled() and (
            self._requires_grad
            or any(isinstance(a, Tensor) and a._requires_grad for a in (*args, *kwargs.values()))
        )
        if grad:
            self._check_inplace(name)
            before = _wrap(self.data.copy(), self.grad_fn)
            before._requires_grad = self._requires_grad
            out = fn(before, *args, **kwargs)
        else:
            with _no_grad():
                out = fn(self, *args, **kwargs)
        if out.shape != self.shape:
            raise ValueError(
                f"{name}: the result's shape {out.shape} differs from the in-place tensor's "
                f"shape {self.shape}"
            )
        xp = backend.get_array_module(self.data)
        xp.copyto(self.data, out.data, casting="same_kind")
        if grad:  # (a comparison's result carries no gradient: nor does the tensor then)
            self.grad_fn = out.grad_fn
            self._requires_grad = out._requires_grad
        bump_version(self)
        return self

    def _shallow(self):
        """This tensor as it is now: the input of an in-place op's graph node."""
        t = _wrap(self.data, self.grad_fn)
        t._requires_grad = self._requires_grad
        t._version = self._version
        return t

    def add_(self, other, alpha=1):
        other = other if alpha == 1 else other * alpha
        return self._inplace("add_", backend.np.add, _A.add, other)

    def sub_(self, other, alpha=1):
        other = other if alpha == 1 else other * alpha
        return self._inplace("sub_", backend.np.subtract, _A.sub, other)

    def mul_(self, other):
        return self._inplace("mul_", backend.np.multiply, _A.mul, other)

    def div_(self, other):
        return self._inplace("div_", backend.np.true_divide, _A.div, other)

    def clamp_(self, min=None, max=None):  # noqa: A002
        if not (is_grad_enabled() and self._requires_grad):
            backend.get_array_module(self.data).clip(self.data, min, max, out=self.data)
            bump_version(self)
            return self
        return self._inplace("clamp_", None, lambda t, _: _A.clamp(t, min, max), None)

    def __iadd__(self, o):
        return self.add_(o)

    def __isub__(self, o):
        return self.sub_(o)

    def __imul__(self, o):
        return self.mul_(o)

    def __itruediv__(self, o):
        return self.div_(o)

    def __setitem__(self, key, value):
        """``x[key] = value`` in place; differentiable for both sides when grad mode is on."""
        key, _ = _I.normalize_key(key)
        grad = is_grad_enabled() and (
            self._requires_grad or (isinstance(value, Tensor) and value._requires_grad)
        )
        try:
            if not grad:
                _I.assign(self.data, key, value.data if isinstance(value, Tensor) else value)
                bump_version(self)
                return
            self._check_inplace("setitem")
            if isinstance(value, Tensor) and value.dtype != self.dtype:
                value = value.to(self.dtype)
            out = _I.SetItem(key)(self._shallow(), value)
        except ValueError as e:
            raise ValueError(
                f"setitem: can't assign a value of shape {_shape(value)} to "
                f"index {key!r} of a tensor of shape {self.shape} ({e})"
            ) from None
        except IndexError as e:
            raise IndexError(f"setitem: {e} (tensor of shape {self.shape})") from None
        self.grad_fn = out.grad_fn
        self._requires_grad = True
        bump_version(self)

    def fill_(self, value) -> Tensor:
        self[...] = value
        return self

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def copy_(self, src) -> Tensor:
        """Copy ``src`` (broadcast) into this tensor, in place."""
        self[...] = src
        return self

    def masked_fill_(self, mask, value) -> Tensor:
        return self._rewrite("masked_fill_", Tensor.masked_fill, mask, value)

    def scatter_(self, dim, index, src=None, *, value=None) -> Tensor:
        return self._rewrite("scatter_", lambda t, s: t.scatter(dim, index, s, value=value), src)

    def scatter_add_(self, dim, index, src) -> Tensor:
        return self._rewrite("scatter_add_", lambda t, s: t.scatter_add(dim, index, s), src)

    def fill_diagonal_(self, fill_value, wrap=False) -> Tensor:
        """Fill the main diagonal (all indices equal); a tall matrix's diagonal restarts every
        ``columns + 1`` rows when ``wrap``, as NumPy's fill_diagonal."""
        shape = self.shape
        if len(shape) < 2:
            raise ValueError(f"fill_diagonal_: the tensor must be at least 2-D, got {shape}")
        if len(shape) > 2 and len(set(shape)) != 1:
            raise ValueError(f"fill_diagonal_: all dimensions must be equal, got {shape}")
        xp = backend.get_array_module(self.data)
        if len(shape) == 2:
            rows, cols = shape
            end = rows * cols if wrap else min(rows, cols) * cols
            flat = xp.arange(0, end, cols + 1)
            key = (flat // cols, flat % cols)
        else:
            key = (xp.arange(shape[0]),) * len(shape)
        self[key] = fill_value
        return self

    def bernoulli(self, *, generator=None) -> Tensor:
        return _Rand.bernoulli(self)

    def bernoulli_(self, p=0.5, *, generator=None) -> Tensor:
        return _Rand.bernoulli_(self, p)

    def exponential_(self, lambd=1.0, *, generator=None) -> Tensor:
        return _Rand.exponential_(self, lambd)

    def geometric_(self, p, *, generator=None) -> Tensor:
        return _Rand.geometric_(self, p)

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None) -> Tensor:
        return _Rand.cauchy_(self, median, sigma)

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None) -> Tensor:
        return _Rand.log_normal_(self, mean, std)

    def random_(self, from_=0, to=None, *, generator=None) -> Tensor:
        return _Rand.random_(self, from_, to)

    def multinomial(self, num_samples, replacement=False, *, generator=None) -> Tensor:
        return _Rand.multinomial(self, num_samples, replacement)

    def uniform_(self, a=0.0, b=1.0) -> Tensor:
        rng = backend.rng(backend.get_array_module(self.data))  # drawn on this tensor's device
        with _no_grad():
            self[...] = rng.uniform(a, b, self.shape)
        return self

    def normal_(self, mean=0.0, std=1.0) -> Tensor:
        rng = backend.rng(backend.get_array_module(self.data))
        with _no_grad():
            self[...] = rng.normal(mean, std, self.shape)
        return self


class _HookHandle:
    def __init__(self, owner, hook):
        self.owner, self.hook = owner, hook

    def remove(self):
        if self.owner._hooks and self.hook in self.owner._hooks:
            self.owner._hooks.remove(self.hook)


def _wrap(data, grad_fn):
    """Fast constructor: an array and its op, no checks (used by every op)."""
    t = _new(Tensor)
    t.data = data
    t.grad = None
    t.grad_fn = grad_fn
    t._requires_grad = grad_fn is not None
    t._version = [0]
    t._hooks = None
    return t


def as_tensor(x, dtype=None) -> Tensor:
    """``x`` itself if it is a Tensor (of ``dtype``), else a new constant Tensor."""
    if isinstance(x, Tensor):
        return x if dtype is None else x.to(dtype)
    return Tensor(x, dtype=dtype)


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def _shape(x):
    return tuple(getattr(x, "shape", ()))


def _has_tensor(seq):
    return any(
        isinstance(s, Tensor) or (isinstance(s, (list, tuple)) and _has_tensor(s)) for s in seq
    )


def _nested_arrays(seq):
    return [_nested_arrays(s) if isinstance(s, (list, tuple)) else _data(s) for s in seq]


def _normalize_dim(dim, ndim, op):
    """``dim`` in [-ndim, ndim) as a non-negative axis, or an IndexError naming the range."""
    try:
        d = int(dim)
    except TypeError:
        raise TypeError(f"{op}: dim must be an int, got {dim!r}") from None
    n = max(ndim, 1) if ndim == 0 else ndim
    if not -n <= d < n:
        raise IndexError(
            f"{op}: dim {dim} is out of range for a tensor with {ndim} "
            f"dimension{'s' if ndim != 1 else ''} (expected {-n}..{n - 1})"
        )
    return d + n if d < 0 else d


def _root_grad(t, gradient, op):
    xp = backend.get_array_module(t.data)
    if gradient is None:
        if t.data.size != 1:
            raise RuntimeError(
                f"{op}: grad can be implicitly created only for a one-element output, but it "
                f"has shape {t.shape}; pass gradient= (∂L/∂output) of that shape"
            )
        return xp.array(1, dtype=t.data.dtype).reshape(t.data.shape)  # ones_like is slower
    g = gradient.data if isinstance(gradient, Tensor) else xp.asarray(gradient)
    if g.shape != t.shape:
        raise RuntimeError(
            f"{op}: gradient has shape {tuple(g.shape)} but the output has "
            f"shape {t.shape}; they must match"
        )
    return g.astype(t.dtype, copy=True)


def _root(t, gradient, op, create_graph):
    """The gradient to start a backward from: an array; under ``create_graph`` a Tensor, and
    the given one itself when it is part of a graph, so that the gradients computed from it
    are differentiated through it too (as torch does with a ``grad_outputs`` that requires
    grad)."""
    g = _root_grad(t, gradient, op)
    if not create_graph:
        return g
    if isinstance(gradient, Tensor) and gradient._requires_grad:
        return gradient if gradient.dtype == t.dtype else gradient.to(t.dtype)
    return _wrap(g, None)


def _no_grad():
    from .autograd.grad_mode import no_grad

    return no_grad()


# The op families; imported last because they import Tensor from here.
from . import sampling as _Rand  # noqa: E402
from .autograd.engine import PostAccumulateHook, run_backward  # noqa: E402
from .functions import activation as _Act  # noqa: E402
from .functions import activation_extra as _ActX  # noqa: E402
from .functions import arithmetic as _A  # noqa: E402
from .functions import bitwise as _Bw  # noqa: E402
from .functions import comparison as _C  # noqa: E402
from .functions import counting as _Cnt  # noqa: E402
from .functions import cumulative as _Cu  # noqa: E402
from .functions import decomposition as _Dec  # noqa: E402
from .functions import distance as _Dist  # noqa: E402
from .functions import einsum as _E  # noqa: E402
from .functions import histogram as _Hist  # noqa: E402
from .functions import indexing as _I  # noqa: E402
from .functions import joining as _J  # noqa: E402
from .functions import linalg as _L  # noqa: E402
from .functions import linalg_legacy as _LinL  # noqa: E402
from .functions import matrix_functions as _MatF  # noqa: E402
from .functions import numeric as _Num  # noqa: E402
from .functions import reduction as _R  # noqa: E402
from .functions import scatter as _Sc  # noqa: E402
from .functions import scatter_reduce as _ScR  # noqa: E402
from .functions import selection as _Sel  # noqa: E402
from .functions import shape as _S  # noqa: E402
from .functions import special as _Sp  # noqa: E402
from .functions import statistics as _Stat  # noqa: E402
from .functions import triangular as _Tri  # noqa: E402


def _to_args(args, kwargs):
    """``(device, dtype)`` from ``to``'s arguments, as torch reads them: a device, a dtype,
    both, or a tensor (its device and dtype); either may be None."""
    dtype, device = kwargs.get("dtype"), kwargs.get("device")
    for a in args:
        if isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif _is_device(a):
            device = a
        else:
            dtype = a
    return device, dtype


def _is_device(a) -> bool:
    """Whether a ``to()`` argument names a device (not a dtype)."""
    if isinstance(a, backend.Device):
        return True
    if isinstance(a, str):
        return a.split(":")[0] in ("cpu", "cuda")
    return isinstance(a, int) and not isinstance(a, bool)


def _cuda_device(device):
    if device is None:
        return backend.Device("cuda")
    device = backend.as_device(device)
    if device.type != "cuda":
        raise ValueError(f"cuda: expected a CUDA device, got {device}")
    return device


# torch's in-place variants of the ops that keep a tensor's shape and dtype: ``x.exp_()``
# overwrites x with ``x.exp()`` (Tensor._rewrite: recorded like any in-place op under autograd)
_INPLACE = """
    abs absolute acos arccos asin arcsin atan arctan ceil cos cosh exp expm1 floor frac log
    log10 log1p log2 neg reciprocal relu round rsqrt sigmoid sign sin sinh sqrt square tan tanh
    trunc logical_not nan_to_num pow fmod remainder floor_divide atan2 arctan2 lerp clip
    eq ne lt le gt ge logical_and logical_or logical_xor tril triu cumsum cumprod
    index_add index_copy index_fill index_put put masked_scatter scatter_reduce
    asinh arcsinh acosh arccosh atanh arctanh exp2 erf erfc erfinv fix lgamma digamma polygamma
    logit sinc deg2rad rad2deg hypot copysign xlogy ldexp clamp_min clamp_max addcmul addcdiv divide
    true_divide multiply subtract negative absolute sgn heaviside gcd lcm greater greater_equal
    less less_equal not_equal bitwise_and bitwise_or bitwise_xor bitwise_not bitwise_left_shift
    bitwise_right_shift addmm addmv addr baddbmm addbmm renorm i0 igamma igammac mvlgamma nextafter
""".split()


def _inplace_variant(name):
    op = getattr(Tensor, name)

    def method(self, *args, **kwargs):
        return self._rewrite(name + "_", op, *args, **kwargs)

    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"In place: overwrite this tensor with ``self.{name}(...)``."
    return method


for _name in _INPLACE:
    if not hasattr(Tensor, _name + "_") and hasattr(Tensor, _name):
        setattr(Tensor, _name + "_", _inplace_variant(_name))
