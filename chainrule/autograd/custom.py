"""Custom ops written PyTorch's way: a ``Function`` subclass with static ``forward(ctx, ...)``
and ``backward(ctx, *grads)`` methods that work on Tensors, called through ``apply``.

    class Exp(cr.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, gy):
            (y,) = ctx.saved_tensors
            return gy * y

    y = Exp.apply(x)

``forward`` runs without recording a graph; the op joins the graph as one node whose backward
calls the user's. A backward written with differentiable Tensor ops gives second derivatives
too (``create_graph=True``); ``@once_differentiable`` marks one that doesn't. An op with several
outputs gets one node per output, each calling ``backward`` with zeros for the others (the
backward is linear in the gradients, so the sum is the same).
"""

from __future__ import annotations

import functools
import inspect

from .. import backend
from .function import Function
from .grad_mode import _state, no_grad


class FunctionCtx:
    """The ``ctx`` of a custom op: what ``forward`` leaves for ``backward``."""

    def __init__(self, needs_input_grad: tuple):
        self.needs_input_grad = needs_input_grad
        self.to_save: tuple = ()
        self._versions: tuple = ()
        self.non_differentiable: set = set()
        self.materialize_grads = True

    def save_for_backward(self, *tensors) -> None:
        """Keep ``tensors`` (inputs, outputs or None) for ``backward``: ``ctx.saved_tensors``.
        Changing one in place before the backward is an error, as for the built-in ops."""
        self.to_save = tensors
        self._versions = tuple(t._version[0] if _is_tensor(t) else None for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        for t, v in zip(self.to_save, self._versions):
            if v is not None and t._version[0] != v:
                raise RuntimeError(
                    f"custom Function: a tensor saved for backward (shape {t.shape}) was "
                    f"modified in place (version {v} → {t._version[0]}) before the backward"
                )
        return self.to_save

    def mark_non_differentiable(self, *tensors) -> None:
        """Outputs that carry no gradient (indices, masks): they come out not requiring grad."""
        self.non_differentiable.update(id(t) for t in tensors)

    def set_materialize_grads(self, value: bool) -> None:
        """With False, ``backward`` gets None (not zeros) for outputs that got no gradient."""
        self.materialize_grads = bool(value)

    def mark_dirty(self, *tensors) -> None:
        raise NotImplementedError(
            "custom Function: in-place forwards (ctx.mark_dirty) are not supported; return a "
            "new tensor instead"
        )


def _is_tensor(t) -> bool:
    from ..tensor import Tensor

    return isinstance(t, Tensor)


class _DelayedError(Function):
    """An identity whose backward raises: what a @once_differentiable backward returns when a
    graph is being recorded, so that only differentiating through it fails."""

    def __init__(self, message: str):
        self.message = message

    def forward(self, x):
        return x

    def backward(self, gy):
        raise RuntimeError(self.message)


def once_differentiable(backward):
    """Decorate a custom op's ``backward`` that is not itself differentiable: it runs without
    recording, and differentiating its result again (after ``create_graph=True``) raises."""

    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        with no_grad():
            outputs = backward(ctx, *grads)
        if not _state.enabled or not any(_is_tensor(g) and g.requires_grad for g in grads):
            return outputs
        message = (
            f"{backward.__qualname__}: trying to differentiate twice a backward marked "
            "@once_differentiable"
        )
        single = not isinstance(outputs, tuple)
        wrapped = tuple(
            _DelayedError(message)(o.detach().requires_grad_(True)) if _is_tensor(o) else o
            for o in ((outputs,) if single else outputs)
        )
        return wrapped[0] if single else wrapped

    return wrapper


_STYLE: dict = {}  # Function subclass -> whether it is written PyTorch's way (ctx first)


def is_ctx_style(cls) -> bool:
    style = _STYLE.get(cls)
    if style is None:
        style = _STYLE[cls] = isinstance(inspect.getattr_static(cls, "forward"), staticmethod)
    return style


class _Node(Function):
    """The graph node of one output of a custom op: forward hands back the array the user's
    forward already computed; backward calls the user's backward."""

    def __init__(self, cls, ctx, args, result, index, n_outputs, out_shapes):
        self.cls, self.ctx, self.args = cls, ctx, args
        self.result, self.index, self.n_outputs = result, index, n_outputs
        self.out_shapes = out_shapes

    @property
    def name(self) -> str:
        return self.cls.__name__

    def forward(self, *arrays):
        return self.result

    def backward(self, gy):
        from ..tensor import Tensor

        differentiable = isinstance(gy, Tensor)
        g = gy if differentiable else Tensor(gy)
        grads = []
        for k, spec in enumerate(self.out_shapes):
            if k == self.index:
                grads.append(g)
            elif spec is not None and self.ctx.materialize_grads:
                shape, dtype = spec
                xp = backend.get_array_module(g.data)
                grads.append(Tensor(xp.zeros(shape, dtype=dtype)))
            else:
                grads.append(None)
        if differentiable:
            gxs = self.cls.backward(self.ctx, *grads)
        else:
            with no_grad():
                gxs = self.cls.backward(self.ctx, *grads)
        if not isinstance(gxs, tuple):
            gxs = (gxs,)
        if len(gxs) != len(self.args):
            raise ValueError(
                f"{self.cls.__name__}.backward: returned {len(gxs)} gradients, expected one per "
                f"input of forward ({len(self.args)})"
            )
        out = []
        for a, gx in zip(self.args, gxs):
            if not _is_tensor(a):
                continue  # a constant argument: its gradient (None) is not passed on
            if gx is None:
                out.append(None)
            elif differentiable:
                out.append(gx if _is_tensor(gx) else Tensor(gx))
            else:
                xp = backend.get_array_module(a.data)
                out.append(gx.data if _is_tensor(gx) else xp.asarray(gx))
        return tuple(out)


def apply(cls, args):
    """``cls.apply(*args)`` for a Function written PyTorch's way (see the module docstring)."""
    from ..tensor import Tensor

    needs = tuple(_is_tensor(a) and a.requires_grad for a in args)
    ctx = FunctionCtx(needs)
    with no_grad():
        result = cls.forward(ctx, *args)
    single = not isinstance(result, tuple)
    outputs = (result,) if single else result
    tensors = [a for a in args if _is_tensor(a)]
    if not (_state.enabled and any(needs)):
        return result
    shapes = [(o.shape, o.dtype) if _is_tensor(o) else None for o in outputs]
    connected = []
    for k, o in enumerate(outputs):
        if not _is_tensor(o) or id(o) in ctx.non_differentiable or o.dtype.kind not in "fc":
            connected.append(o)
            continue
        node = _Node(cls, ctx, args, o.data, k, len(outputs), shapes)
        c = node(*tensors)
        connected.append(c)
    # what backward reads of the outputs is their graph-linked version (double backward)
    swap = {id(o): c for o, c in zip(outputs, connected) if isinstance(c, Tensor)}
    ctx.to_save = tuple(swap.get(id(t), t) for t in ctx.to_save)
    return connected[0] if single else tuple(connected)
