"""``Function``: one op, with its forward and backward side by side.

``forward`` receives arrays (or Python scalars for constant operands) and returns one array.
``backward`` receives the upstream gradient ``gy`` and returns one gradient per input (a tuple
when there are several, ``None`` where an input needs none). A backward written only with
operators and methods that both arrays and Tensors have serves twice: fed arrays it is the fast
path; fed Tensors (``create_graph=True``) it records a graph, giving gradients of gradients.

What ``forward`` passes to ``save_for_backward`` should be its input arrays or its output array:
in a differentiable backward those are swapped for the Tensors they belong to, so the second
derivative flows through them. Any other saved array is a constant (a mask, an index).
"""

from __future__ import annotations

import itertools
from operator import attrgetter, itemgetter

from .. import backend
from .grad_mode import _state

_ndarray = backend.ndarray
_new = object.__new__
_counter = itertools.count()
_epoch = [0]  # counts every in-place modification anywhere (see bump_version)


def bump_version(t) -> None:
    """Record that ``t``'s data was modified in place. Backward then refuses to use a value
    that an op saved before the modification. Every in-place write must call this."""
    t._version[0] += 1
    _epoch[0] += 1


def bump_versions(ts) -> None:
    """``bump_version`` for each of ``ts`` (an optimizer's parameters), in one call."""
    for t in ts:
        t._version[0] += 1
    _epoch[0] += 1


_ONE = (True,)
# for ops of four or more inputs, all Tensors: each attribute gathered in one C-level pass
_data, _requires = attrgetter("data"), attrgetter("_requires_grad")
_grad_fn, _version, _first = attrgetter("grad_fn"), attrgetter("_version"), itemgetter(0)


class Function:
    """Base class of every differentiable op; subclasses define ``forward`` and ``backward``."""

    is_view = False  # output shares memory (and so the version counter) with input 0
    saved: tuple = ()
    inputs: tuple = ()
    _hooks = None
    _retain = None
    _freed = False
    _special = False  # freed, or has hooks or retain_grad: the engine takes a closer look

    @classmethod
    def apply(cls, *inputs):
        """Run the op and record it: ``Sigmoid.apply(x)`` is ``Sigmoid()(x)``. A subclass
        written PyTorch's way (static ``forward(ctx, ...)``) runs as ``autograd.custom``
        describes."""
        if _custom.is_ctx_style(cls):
            return _custom.apply(cls, inputs)
        return cls()(*inputs)

    def save_for_backward(self, *arrays) -> None:
        self.saved = arrays

    def forward(self, *xs):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, gy):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} has no backward")

    @property
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name}Backward>"

    def __call__(self, *inputs):
        """Run forward on the inputs' arrays and, if grad mode is on, record the op.

        Written for speed (this runs once per op): no comprehensions, the common one-, two- and
        three-input cases spelled out.
        """
        n = len(inputs)
        try:
            if n == 1:
                x = inputs[0]
                y = self.forward(x.data)
                needs = _ONE if x._requires_grad else None
            elif n == 2:
                a, b = inputs
                ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
                y = self.forward(a.data if ta else a, b.data if tb else b)
                ra, rb = ta and a._requires_grad, tb and b._requires_grad
                needs = (ra, rb) if ra or rb else None
            elif n == 3:  # (x, W, b): linear, conv, normalization
                a, b, c = inputs
                ta, tb, tc = isinstance(a, Tensor), isinstance(b, Tensor), isinstance(c, Tensor)
                y = self.forward(a.data if ta else a, b.data if tb else b, c.data if tc else c)
                ra, rb = ta and a._requires_grad, tb and b._requires_grad
                rc = tc and c._requires_grad
                needs = (ra, rb, rc) if ra or rb or rc else None
            else:
                whole = all(map(isinstance, inputs, _TENSOR))  # the usual case: C-level passes
                if whole:
                    y = self.forward(*map(_data, inputs))
                    flags = tuple(map(_requires, inputs))
                else:  # constants among them (a missing bias)
                    y = self.forward(*[x.data if isinstance(x, Tensor) else x for x in inputs])
                    flags = tuple([isinstance(x, Tensor) and x._requires_grad for x in inputs])
                needs = flags if True in flags else None
        except (TypeError, ValueError) as e:  # NumPy and CuPy arrays don't mix: say so
            _check_one_device(self.name, inputs, e)
            raise
        if type(y) is not _ndarray and not backend.is_gpu_array(y):  # NumPy: 0-d math → scalar
            y0, y = y, backend.get_array_module(y).asarray(y)
            if self.saved:
                self.saved = tuple([y if s is y0 else s for s in self.saved])
        out = _new(Tensor)
        out.data = y
        out.grad = None
        out._hooks = None
        if needs is not None and _state.enabled:
            self.inputs = inputs
            self.needs_input_grad = needs
            self._seq = next(_counter)  # recording order: the engine walks it backwards
            # the edges as they are now: a later in-place op on an input re-points its grad_fn
            if n == 1:
                self._fns = (x.grad_fn,)
            elif n == 2:
                self._fns = (a.grad_fn if ta else None, b.grad_fn if tb else None)
            elif n == 3:
                self._fns = (
                    a.grad_fn if ta else None,
                    b.grad_fn if tb else None,
                    c.grad_fn if tc else None,
                )
            else:
                self._fns = (
                    tuple(map(_grad_fn, inputs))
                    if whole
                    else tuple([x.grad_fn if isinstance(x, Tensor) else None for x in inputs])
                )
            out.grad_fn = self
            out._requires_grad = True
            out._version = inputs[0]._version if self.is_view else [0]
            if self.saved:  # remember versions, to detect in-place edits of saved arrays
                self._epoch = _epoch[0]
                if n == 1:
                    self._versions = (x._version[0],)
                elif n == 2:
                    self._versions = (a._version[0] if ta else 0, b._version[0] if tb else 0)
                elif n == 3:
                    self._versions = (
                        a._version[0] if ta else 0,
                        b._version[0] if tb else 0,
                        c._version[0] if tc else 0,
                    )
                elif whole:
                    self._versions = tuple(map(_first, map(_version, inputs)))
                else:
                    self._versions = [x._version[0] if isinstance(x, Tensor) else 0 for x in inputs]
                self._out_version = out._version
                self._out_id = id(y)
            return out
        self.saved = ()
        out.grad_fn = None
        out._requires_grad = False
        out._version = inputs[0]._version if self.is_view else [0]
        return out

    # ------------------------------------------------------------------ used by the engine
    _epoch = -1

    def _check_versions(self) -> None:
        """Raise if a tensor saved for backward was modified in place since the forward."""
        if self._epoch == _epoch[0]:  # nothing anywhere was modified in place since
            return
        changed = self._out_version[0] != 0
        if not changed:
            for x, v in zip(self.inputs, self._versions):
                if isinstance(x, Tensor) and x._version[0] != v:
                    changed = True
                    break
        if not changed:  # the common case: nothing was touched
            return
        for s in self.saved:
            if not backend.is_array(s):
                continue
            if id(s) == self._out_id:
                if self._out_version[0] != 0:
                    self._raise_modified("its output", 0, self._out_version[0])
                continue
            for i, x in enumerate(self.inputs):
                if isinstance(x, Tensor) and s is x.data and x._version[0] != self._versions[i]:
                    self._raise_modified(f"input {i}", self._versions[i], x._version[0])

    def _raise_modified(self, which, was, now):
        raise RuntimeError(
            f"{self.name}: {which}, saved for backward, was modified by an in-place operation "
            f"(version {was} at the forward, now {now}). Clone it before modifying it in place, "
            f"or do the in-place op before {self.name}."
        )

    def _differentiate(self, y, inputs, gy) -> tuple:
        """A backward that records a graph (``create_graph``) by differentiating the op's
        computation composed of other ops: ``y`` computed from ``inputs`` that way, gy its
        upstream gradient. The gradients of the inputs that need one, None for the others."""
        from .functional import grad

        needs = self.needs_input_grad
        live = [i for i, need in enumerate(needs) if need]
        gs = grad(
            y,
            [inputs[i] for i in live],
            gy,
            retain_graph=True,
            create_graph=True,
            allow_unused=True,
        )
        out = [None] * len(needs)
        for i, g in zip(live, gs):
            out[i] = g
        return tuple(out)

    def _saved_as_tensors(self) -> tuple:
        """The saved arrays as Tensors linked to the graph (for a differentiable backward)."""
        out = []
        for s in self.saved:
            if not backend.is_array(s):  # a NumPy or CuPy array
                out.append(s)
                continue
            for x in self.inputs:
                if isinstance(x, Tensor) and s is x.data:
                    out.append(x)
                    break
            else:
                if id(s) == self._out_id:
                    t = _wrap(s, self)
                    t._version = self._out_version
                    out.append(t)
                else:
                    out.append(_wrap(s, None))
        return tuple(out)


from ..tensor import Tensor, _wrap  # noqa: E402  (tensor.py imports the ops, which need us)

_TENSOR = itertools.repeat(Tensor)  # map(isinstance, inputs, _TENSOR): whether each is a Tensor


def _check_one_device(op: str, inputs, error: Exception) -> None:
    """Raise a clear error, naming both devices, when an op's inputs live on different ones."""
    devices = []
    for x in inputs:
        if isinstance(x, Tensor) or backend.is_array(x):
            d = backend.device_of(x.data if isinstance(x, Tensor) else x)
            if d not in devices:
                devices.append(d)
    if len(devices) > 1:
        raise RuntimeError(
            f"{op}: expected all tensors on the same device, but found {devices[0]} and "
            f"{devices[1]}; move them with .to(device) first"
        ) from error


# PyTorch-style custom ops (static forward(ctx, ...)), and the names torch keeps here
from . import custom as _custom  # noqa: E402
from .custom import FunctionCtx, once_differentiable  # noqa: E402, F401
