"""Containers: ``Sequential``, ``ModuleList``, ``ModuleDict``; and ``Identity``, ``Flatten``,
``Unflatten``."""

from __future__ import annotations

from collections import OrderedDict

from ..functions import shape as _S
from ..functions.linear import linear_chain
from .module import Module


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
        run = []  # plain Linears: (Linear, the plain activation after it or None, its slope)
        relu = None  # a plain ReLU held back: a plain max pooling right after it runs first
        for m in self._modules.values():
            if relu is not None:
                held, relu = relu, None
                if type(m) in _MAX_POOLS and _plain(m) and _MAX_POOLS[type(m)](m):
                    x = _RELUS[type(held)](held)(m(x))
                    continue
                x = held(x)
            if run and run[-1][1] is None and type(m) in _FUSING_ACTIVATIONS and _plain(m):
                a = _FUSING_ACTIVATIONS[type(m)](m)
                if a is not None:
                    run[-1] = (run[-1][0], m, a)
                    continue
            elif type(m) in _FUSING_LINEARS and _plain(m):
                run.append((m, None, None))
                continue
            if run:
                x, run = _run_linears(run, x), []
            if type(m) in _RELUS and _plain(m) and _RELUS[type(m)](m) is not None:
                relu = m
                continue
            x = m(x)
        if run:
            x = _run_linears(run, x)
        return x if relu is None else relu(x)

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


def _run_linears(run, x):
    """The layers of ``run``, [(Linear, activation module or None, its slope)], on x: as one
    LinearChain where it applies (more than a lone Linear), else one by one."""
    if len(run) > 1 or run[0][1] is not None:
        y = linear_chain(x, [(lin.weight, lin.bias, a) for lin, _, a in run])
        if y is not None:
            return y
    for lin, act, _ in run:
        x = lin(x)
        if act is not None:
            x = act(x)
    return x
