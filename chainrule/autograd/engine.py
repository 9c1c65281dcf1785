"""The backward walk: the chain rule applied over the recorded graph, iteratively.

Every op node is numbered when it is recorded, and a node is always recorded after the nodes
that made its inputs. So visiting nodes from the highest number down is a reverse topological
order: when a node is visited, every consumer of its output has already added its share to
the node's gradient (∂L/∂x = Σ over consumers ∂L/∂y · ∂y/∂x), and the node can pass it on
through its own ``backward``. A heap holds the nodes waiting their turn; gradients reaching
leaves are summed, passed through hooks, and accumulated into ``.grad``.

No recursion anywhere, so a chain of 100,000 ops is fine.
"""

from __future__ import annotations

from heapq import heappop, heappush

from .. import backend
from .function import _epoch
from .grad_mode import _state

_ndarray = backend.ndarray


def _graph_freed(fn) -> RuntimeError:
    return RuntimeError(
        f"backward: trying to backward through {fn.name} a second time, but its saved values "
        "were freed after the first backward. Pass retain_graph=True to the first backward "
        "(or cr.grad) if you need to backward through the graph again."
    )


class PostAccumulateHook:
    """A leaf's ``register_post_accumulate_grad_hook``: kept among its grad hooks, called
    with the leaf once ``backward`` has accumulated its ``.grad``."""

    __slots__ = ("hook",)

    def __init__(self, hook):
        self.hook = hook


def _run_hooks(hooks, g, create_graph):
    for hook in hooks:
        if type(hook) is PostAccumulateHook:
            continue
        gt = g if create_graph else _wrap(g, None)
        r = hook(gt)
        if r is not None:
            if not isinstance(r, Tensor):
                raise TypeError(
                    f"hook {hook!r} must return a Tensor or None, got {type(r).__name__}"
                )
            if r.shape != gt.shape:
                raise ValueError(
                    f"hook {hook!r} changed the gradient's shape from {gt.shape} to {r.shape}"
                )
            g = r if create_graph else r.data
    return g


def run_backward(
    roots, root_grads, retain_graph=False, create_graph=False, inputs=None, allow_unused=False
):
    """Backpropagate ``root_grads`` from ``roots``.

    With ``inputs=None`` the leaves' ``.grad`` are accumulated (``Tensor.backward``). Otherwise
    the gradients of ``inputs`` are returned and no ``.grad`` is touched (``cr.grad``).
    """
    grads: dict = {}  # node -> the gradient of its output, summed over its consumers
    leaf_grads: dict = {}  # leaf Tensor -> its gradient (Tensors hash by identity)
    heap: list = []  # (-number, node): the latest-recorded node first
    for t, g in zip(roots, root_grads):
        fn = t.grad_fn
        if fn is None:  # a leaf root: its gradient is the given one
            leaf_grads[t] = leaf_grads[t] + g if t in leaf_grads else g
        elif fn in grads:
            grads[fn] = grads[fn] + g
        else:
            grads[fn] = g
            heappush(heap, (-fn._seq, fn))

    capture = None
    if inputs is not None:
        capture = {t.grad_fn: None for t in inputs if t.grad_fn is not None}
    watch = capture is not None  # visit _observe at every node

    prev = _state.enabled
    _state.enabled = bool(create_graph)  # record the backward pass only for create_graph
    try:
        while heap:
            fn = heappop(heap)[1]
            gy = grads.pop(fn)
            if watch or fn._special:  # freed, hooks, retain_grad, or cr.grad's captures
                gy = _observe(fn, gy, capture, create_graph)
            if fn.saved and fn._epoch != _epoch[0]:  # something was modified in place
                fn._check_versions()
            if create_graph:
                saved = fn.saved
                fn.saved = fn._saved_as_tensors()
                try:
                    gxs = fn.backward(gy if isinstance(gy, Tensor) else _wrap(gy, None))
                finally:
                    fn.saved = saved
            else:
                gxs = fn.backward(gy)
            if type(gxs) is not tuple:
                gxs = (gxs,)
            for x, need, g, gx in zip(fn.inputs, fn.needs_input_grad, fn._fns, gxs):
                if not need or gx is None:
                    continue
                xd = x.data
                if gx.shape != xd.shape or gx.dtype != xd.dtype:
                    gx = _conform(fn, x, gx, create_graph)
                if g is None:  # a leaf
                    leaf_grads[x] = leaf_grads[x] + gx if x in leaf_grads else gx
                elif g in grads:
                    grads[g] = grads[g] + gx
                else:
                    grads[g] = gx
                    heappush(heap, (-g._seq, g))
            if not retain_graph:
                fn.saved = fn.inputs = fn._fns = ()
                fn._freed = fn._special = True

        if capture is None:
            # one array may reach two leaves (x + y): each must get its own
            given = None if len(set(map(id, leaf_grads.values()))) == len(leaf_grads) else set()
            hooked = None
            for t, g in leaf_grads.items():
                if t._hooks:
                    g = _run_hooks(t._hooks, g, create_graph)
                    hooked = [*hooked, t] if hooked else [t]
                if t.grad is not None or isinstance(g, Tensor):
                    _accumulate(t, g, create_graph)
                elif type(g) is _ndarray and g.base is None and (given is None or _first(g, given)):
                    t.grad = _wrap(g, None)  # a fresh array of its own: no copy needed
                else:
                    t.grad = _wrap(backend.get_array_module(g).array(g, copy=True), None)
            if hooked:  # register_post_accumulate_grad_hook: once every .grad is in
                for t in hooked:
                    for hook in [h for h in t._hooks if type(h) is PostAccumulateHook]:
                        hook.hook(t)
            return None

        result = []
        for t in inputs:
            if t.grad_fn is None:
                g = leaf_grads.get(t)
                if g is not None and t._hooks:
                    g = _run_hooks(t._hooks, g, create_graph)
            else:
                g = capture.get(t.grad_fn)
            if g is None:
                if not allow_unused:
                    raise RuntimeError(
                        "grad: one of the inputs (shape "
                        f"{tuple(t.shape)}) was not used to compute the outputs; pass "
                        "allow_unused=True to get None for it"
                    )
                result.append(None)
            else:
                result.append(g if isinstance(g, Tensor) else _wrap(_owned(g), None))
        return tuple(result)
    finally:
        _state.enabled = prev


def _first(g, given) -> bool:
    """Whether array g is met here for the first time (recorded in the set ``given``)."""
    if id(g) in given:
        return False
    given.add(id(g))
    return True


def _observe(fn, gy, capture, create_graph):
    """The rarely used extras at a node: hooks, retain_grad, and cr.grad's captures; and the
    error for a node whose saved values an earlier backward freed."""
    if fn._freed:
        raise _graph_freed(fn)
    if fn._hooks:
        gy = _run_hooks(fn._hooks, gy, create_graph)
    if fn._retain is not None:
        t = fn._retain()
        if t is not None:
            gt = gy if create_graph else _wrap(gy, None)
            t.grad = gt if t.grad is None else _wrap(t.grad.data + gt.data, None)
    if capture is not None and fn in capture:
        capture[fn] = gy
    return gy


def _conform(fn, x, gx, create_graph):
    """Check a gradient's shape against its input's and cast it to the input's dtype."""
    if gx.shape != x.data.shape:
        raise RuntimeError(
            f"{fn.name}.backward returned a gradient of shape {tuple(gx.shape)} for an input "
            f"of shape {tuple(x.data.shape)}; each gradient must have its input's shape"
        )
    if gx.dtype != x.data.dtype:
        gx = gx.to(x.dtype) if create_graph else gx.astype(x.data.dtype)
    return gx


def _owned(g):
    """A writable array that no one else holds (gradients may be broadcast views)."""
    xp = backend.get_array_module(g)
    if type(g) is not _ndarray and xp is backend.np:
        return backend.np.asarray(g)
    if not g.flags.writeable or g.base is not None:
        return g.copy()
    return g


def _accumulate(t, g, create_graph):
    if isinstance(g, Tensor):
        if create_graph:
            t.grad = g if t.grad is None else t.grad + g
            return
        g = g.data
    if t.grad is None:
        t.grad = _wrap(_owned(g), None)
    else:
        t.grad = _wrap(t.grad.data + g, None)


from ..tensor import Tensor, _wrap  # noqa: E402
