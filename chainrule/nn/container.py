"""Containers: ``Sequential``, ``ModuleList``, ``ModuleDict``, ``ParameterList``,
``ParameterDict``; and ``Identity``, ``Flatten``, ``Unflatten``."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from operator import attrgetter, is_

from ..functions import shape as _S
from ..functions.linear import LinearChain, chain_sizes, linear_chain
from ..tensor import Tensor
from .module import Module, _edits
from .parameter import Parameter


def _index(idx, n, who):
    """``idx`` as a position in [0, n), or an IndexError naming it and the length."""
    try:
        i = int(idx)
    except TypeError:
        raise TypeError(f"{who}: index must be an int or a slice, got {idx!r}") from None
    if not -n <= i < n:
        raise IndexError(f"{who}: index {idx} is out of range for length {n}")
    return i % n


def _renumber(container: Module, mods) -> None:
    """Re-register ``mods`` under the keys "0", "1", ..."""
    for k in list(container._modules):
        container.__dict__.pop(k, None)
    container._modules.clear()
    for i, m in enumerate(mods):
        container.add_module(str(i), m)


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: modules under the keys "0", "1", ..."""

    def __setitem__(self, idx, module: Module) -> None:
        key = list(self._modules)[_index(idx, len(self), type(self).__name__)]
        self.add_module(key, module)

    def __delitem__(self, idx) -> None:
        """Remove module(s), then renumber the rest "0", "1", ... (as torch)."""
        mods = list(self._modules.values())
        if isinstance(idx, slice):
            del mods[idx]
        else:
            del mods[_index(idx, len(mods), type(self).__name__)]
        _renumber(self, mods)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module: Module):
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module):
        mods = list(self._modules.values())
        mods.insert(index, module)
        _renumber(self, mods)
        return self

    def pop(self, index: int = -1) -> Module:
        mods = list(self._modules.values())
        m = mods.pop(_index(index, len(mods), f"{type(self).__name__}.pop"))
        _renumber(self, mods)
        return m


class Sequential(_ModuleSequence):
    """Chain modules: ``Sequential(Linear(2, 8), ReLU(), Linear(8, 1))``; output of one is the
    input of the next. Also takes an OrderedDict of named modules."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (OrderedDict, dict)):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def forward(self, x):
        mods = tuple(self._modules.values())
        plan = self.__dict__.get("_plan")
        if plan is None or plan[0] != _edits[0] or plan[1] != mods:
            plan = self.__dict__["_plan"] = (_edits[0], mods, _plan(mods))
        for step in plan[2]:
            x = step(x)
        return x

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_plan", None)  # a copy makes its own plan, of its own modules
        return state

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[_index(idx, len(self), "Sequential")]


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters are registered (keys "0", "1", ...)."""

    def __init__(self, modules=None):
        super().__init__()
        for m in modules or []:
            self.append(m)

    def __getitem__(self, idx):
        mods = list(self._modules.values())
        if isinstance(idx, slice):
            return ModuleList(mods[idx])
        return mods[_index(idx, len(mods), "ModuleList")]

    def __iadd__(self, modules) -> ModuleList:
        return self.extend(modules)


class ModuleDict(Module):
    """A dict of modules whose parameters are registered."""

    def __init__(self, modules=None):
        super().__init__()
        for k, m in (modules or {}).items():
            self[k] = m

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        if not isinstance(key, str):
            raise TypeError(f"ModuleDict: keys must be strings, got {key!r}")
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]
        self.__dict__.pop(key, None)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key) -> bool:
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def update(self, modules) -> None:
        for k, m in modules.items() if hasattr(modules, "items") else modules:
            self[k] = m

    def pop(self, key: str) -> Module:
        m = self._modules[key]
        del self[key]
        return m

    def clear(self) -> None:
        for k in list(self._modules):
            del self[k]


def _as_parameter(value):
    """What a parameter container stores: a Tensor becomes a Parameter (sharing its data), as
    in torch; a Parameter, or anything else, is kept as it is."""
    return (
        Parameter(value)
        if isinstance(value, Tensor) and not isinstance(value, Parameter)
        else value
    )


def _describe(value) -> str:
    if isinstance(value, Tensor):
        size = "x".join(map(str, value.shape))
        kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
        return f"{kind} containing: [{value.dtype} of size {size}]"
    return f"Object of type: {type(value).__name__}"


class ParameterList(Module):
    """A list of parameters registered under the keys "0", "1", ...: ``parameters()``,
    ``state_dict()`` and optimizers see them. A Tensor put in becomes a Parameter."""

    def __init__(self, values=None):
        super().__init__()
        self._size = 0
        if values is not None:
            self.extend(values)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ParameterList([self[i] for i in range(self._size)[idx]])
        return getattr(self, str(_index(idx, self._size, "ParameterList")))

    def __setitem__(self, idx, value) -> None:
        setattr(self, str(_index(idx, self._size, "ParameterList")), _as_parameter(value))

    def __len__(self) -> int:
        return self._size

    def __iter__(self):
        return (self[i] for i in range(self._size))

    def append(self, value) -> ParameterList:
        self._size += 1
        setattr(self, str(self._size - 1), _as_parameter(value))
        return self

    def extend(self, values) -> ParameterList:
        for v in values:
            self.append(v)
        return self

    def __iadd__(self, values) -> ParameterList:
        return self.extend(values)

    def extra_repr(self) -> str:
        return "\n".join(f"({i}): {_describe(v)}" for i, v in enumerate(self))


class ParameterDict(Module):
    """A dict of parameters (string keys) registered under their keys. A Tensor put in becomes
    a Parameter; a plain dict given to the constructor or ``update`` goes in sorted by key, an
    OrderedDict or ParameterDict in its own order (as torch)."""

    def __init__(self, parameters=None):
        super().__init__()
        self._keys: dict = {}  # the keys in order (values unused)
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key):
        if key not in self._keys:
            raise KeyError(key)
        return getattr(self, key)

    def __setitem__(self, key, value) -> None:
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict: keys must be strings, got {key!r}")
        self._keys[key] = None
        setattr(self, key, _as_parameter(value))

    def __delitem__(self, key) -> None:
        del self._keys[key]
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __contains__(self, key) -> bool:
        return key in self._keys

    def keys(self):
        return self._keys.keys()

    def values(self):
        return [self[k] for k in self._keys]

    def items(self):
        return [(k, self[k]) for k in self._keys]

    def get(self, key, default=None):
        return self[key] if key in self._keys else default

    def pop(self, key):
        value = self[key]
        del self[key]
        return value

    def popitem(self):
        if not self._keys:
            raise KeyError("popitem(): ParameterDict is empty")
        key = next(reversed(self._keys))
        return key, self.pop(key)

    def setdefault(self, key, default=None):
        if key not in self._keys:
            self[key] = default
        return self[key]

    def clear(self) -> None:
        for k in list(self._keys):
            del self[k]

    def update(self, parameters) -> None:
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            pairs = parameters.items()
        elif isinstance(parameters, Mapping):
            pairs = sorted(parameters.items())
        else:
            pairs = parameters
        for i, pair in enumerate(pairs):
            if len(pair) != 2:
                raise ValueError(
                    f"ParameterDict.update: element {i} should have length 2, got {len(pair)}"
                )
            self[pair[0]] = pair[1]

    def copy(self) -> ParameterDict:
        return ParameterDict(OrderedDict(self.items()))

    def fromkeys(self, keys, default=None) -> ParameterDict:
        return ParameterDict(OrderedDict((k, default) for k in keys))

    def __or__(self, other) -> ParameterDict:
        out = self.copy()
        out.update(other)
        return out

    def __ior__(self, other) -> ParameterDict:
        self.update(other)
        return self

    def extra_repr(self) -> str:
        return "\n".join(f"({k}): {_describe(v)}" for k, v in self.items())


class Identity(Module):
    """y = x; takes (and ignores) any constructor arguments, as torch."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class Flatten(Module):
    """Flatten dims ``start_dim..end_dim`` (default: all but the batch)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return _S.flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expand dimension ``dim`` into ``unflattened_size``."""

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, x):
        d = self.dim % x.ndim
        return _S.reshape(x, x.shape[:d] + self.unflattened_size + x.shape[d + 1 :])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


# Sequential runs a run of Linears, each with or without the activation after it, as one op
# (``LinearChain``: one graph node, each activation in place on its product) when all are
# plain: exactly these classes, no hooks, no forward replaced on the instance. nn.linear and
# nn.activation register them.
_FUSING_LINEARS: set = set()
_FUSING_ACTIVATIONS: dict = {}  # activation class -> module -> its slope, or None (no fusing)
# (slope 0.0 is ReLU)


# Sequential runs a plain ReLU followed by a plain max pooling as the pooling, then the ReLU:
# the two commute (max over a window of relu(x) is relu of its max, bit for bit; the gradient
# reaches the same element, or is 0 both ways where the window's max is ≤ 0), and the ReLU then
# touches a quarter of the values. That ReLU saves its input, the pooling's fresh output, not
# its own output, which may then be modified in place as the pooling's could. nn.activation
# and nn.pooling register them.
_RELUS: dict = {}  # ReLU class -> module -> the op to run after the pooling, or None (no swap)
_MAX_POOLS: dict = {}  # max-pooling class -> module -> whether it may run before the ReLU


def _plain(m) -> bool:
    return not m._forward_hooks and not m._forward_pre_hooks and "forward" not in m.__dict__


def _plan(mods) -> list:
    """How Sequential runs ``mods``: a list of callables, each taking the output of the one
    before. Runs of plain Linears (and the plain activation after each) become one ``_Chain``;
    a plain ReLU followed by a plain max pooling becomes ``_PoolThenReLU``; every other module
    runs as itself. It depends only on the modules (their types, hooks and attributes), so
    Sequential keeps it until one of them changes (``module._edits``)."""
    steps = []
    run = []  # plain Linears: (Linear, the plain activation after it or None, its slope)
    relu = None  # a plain ReLU held back: a plain max pooling right after it runs first
    for m in mods:
        if relu is not None:
            held, relu = relu, None
            if type(m) in _MAX_POOLS and _plain(m) and _MAX_POOLS[type(m)](m):
                steps.append(_PoolThenReLU(m, _RELUS[type(held)](held)))
                continue
            steps.append(held)
        if run and run[-1][1] is None and type(m) in _FUSING_ACTIVATIONS and _plain(m):
            a = _FUSING_ACTIVATIONS[type(m)](m)
            if a is not None:
                run[-1] = (run[-1][0], m, a)
                continue
        elif type(m) in _FUSING_LINEARS and _plain(m):
            run.append((m, None, None))
            continue
        if run:
            steps.append(_run_step(run))
            run = []
        if type(m) in _RELUS and _plain(m) and _RELUS[type(m)](m) is not None:
            relu = m
            continue
        steps.append(m)
    if run:
        steps.append(_run_step(run))
    if relu is not None:
        steps.append(relu)
    return steps


def _run_step(run):
    """A run of Linears as one ``_Chain``, or a lone Linear without activation as itself."""
    return _Chain(run) if len(run) > 1 or run[0][1] is not None else run[0][0]


_data = attrgetter("data")


class _Chain:
    """Linear layers, each with the plain activation after it or none, as one LinearChain op.
    The layers run one by one where it doesn't apply: an input that isn't a 2-D float Tensor,
    or shapes and dtypes that don't chain (the layers then raise their own errors)."""

    __slots__ = ("run", "acts", "args", "tensors", "fit")

    def __init__(self, run):
        self.run = run  # [(Linear, activation module or None, its slope)]
        self.acts = tuple(a for _, _, a in run)
        self.args = tuple(t for lin, _, _ in run for t in (lin.weight, lin.bias))
        self.tensors = tuple(t for t in self.args if t is not None)
        self.fit = None  # (the tensors' arrays, in_features, dtype, chain_sizes) when they chained

    def __call__(self, x):
        fit = self.fit
        if fit is not None and isinstance(x, Tensor):
            xd = x.data
            if (
                xd.ndim == 2
                and xd.shape[1] == fit[1]
                and xd.dtype == fit[2]
                and all(map(is_, map(_data, self.tensors), fit[0]))
            ):
                return LinearChain(self.acts, fit[3])(x, *self.args)
        y = linear_chain(x, [(lin.weight, lin.bias, a) for lin, _, a in self.run])
        if y is not None:
            W = self.args[0].data
            sizes = chain_sizes(self.args[0::2])
            self.fit = (tuple(map(_data, self.tensors)), W.shape[1], W.dtype, sizes)
            return y
        for lin, act, _ in self.run:
            x = lin(x)
            if act is not None:
                x = act(x)
        return x


class _PoolThenReLU:
    """A plain max pooling, then the op of the plain ReLU that came before it."""

    __slots__ = ("pool", "relu")

    def __init__(self, pool, relu):
        self.pool, self.relu = pool, relu

    def __call__(self, x):
        return self.relu(self.pool(x))
