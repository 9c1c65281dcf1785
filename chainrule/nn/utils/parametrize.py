"""Parametrizations, as ``torch.nn.utils.parametrize``: a module's tensor (say ``weight``)
computed on every access from the tensors actually trained, ``weight = f(original)``.

``register_parametrization(m, "weight", f)`` moves the Parameter to
``m.parametrizations.weight.original`` (or ``original0``, ``original1``, … when
``f.right_inverse`` splits it in several, as weight norm does) and gives ``m`` a ``weight``
property that returns ``f(original)``. Parametrizations stack: each registration applies the
next function to the previous result. The state dict keys follow torch's, so a torch state
dict of a parametrized module loads.

    >>> register_parametrization(layer, "weight", Symmetric())   # layer.weight = W + Wᵀ ...
"""

from __future__ import annotations

from contextlib import contextmanager

from ..container import ModuleDict, ModuleList
from ..module import Module
from ..parameter import Parameter

_cache: dict | None = None  # (id of the ParametrizationList) -> value, inside ``cached()``


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in order, and the ``original`` tensor(s)
    they start from."""

    def __init__(self, modules, original, unsafe: bool = False):
        super().__init__(modules)
        self.unsafe = unsafe
        first = modules[0]
        value = first.right_inverse(original) if hasattr(first, "right_inverse") else original
        if isinstance(value, (tuple, list)):
            self.is_tensor = False
            self.ntensors = len(value)
            for i, v in enumerate(value):
                self.register_parameter(f"original{i}", _as_parameter(v, original))
        else:
            self.is_tensor = True
            self.ntensors = 1
            self.register_parameter("original", _as_parameter(value, original))
        if not unsafe:
            self._check(original)

    def _check(self, original) -> None:
        value = self()
        if value.shape != original.shape or value.dtype != original.dtype:
            raise ValueError(
                f"register_parametrization: the parametrization changes the tensor's shape "
                f"or dtype, from {original.shape} {original.dtype} to {value.shape} "
                f"{value.dtype}; pass unsafe=True if that is intended"
            )

    def originals(self) -> tuple:
        if self.is_tensor:
            return (self.original,)
        return tuple(getattr(self, f"original{i}") for i in range(self.ntensors))

    def forward(self):
        if _cache is not None and id(self) in _cache:
            return _cache[id(self)]
        x = self[0](*self.originals())
        for f in list(self)[1:]:
            x = f(x)
        if _cache is not None:
            _cache[id(self)] = x
        return x

    def right_inverse(self, value) -> None:
        """Set the originals so that the parametrization gives ``value`` (each
        parametrization's ``right_inverse``, last to first)."""
        from ...autograd import no_grad

        with no_grad():
            for f in reversed(list(self)):
                if hasattr(f, "right_inverse"):
                    value = f.right_inverse(value)
            values = (value,) if self.is_tensor else tuple(value)
            for p, v in zip(self.originals(), values):
                p.copy_(v)


def _as_parameter(value, original):
    """The value an original holds: a Parameter if the tensor it replaces was one."""
    if isinstance(original, Parameter) and not isinstance(value, Parameter):
        return Parameter(value.detach(), requires_grad=original.requires_grad)
    return value


def _reclass(module, names) -> None:
    """Give ``module`` a fresh subclass of its original class with a property for each
    parametrized name (or the original class back when there is none). A class is never
    changed once made, so a copy that shares one (``copy.deepcopy``) is never affected by
    what is later registered on or removed from the other."""
    base = type_before_parametrizations(module)
    if not names:
        module.__class__ = base
        return
    attrs = {"_parametrized": True, **{n: _property(n) for n in names}}
    module.__class__ = type(f"Parametrized{base.__name__}", (base,), attrs)


def _property(name):
    def get(self):
        return self.parametrizations[name]()

    def set_(self, value):
        self.parametrizations[name].right_inverse(value)

    return property(get, set_)


def register_parametrization(module, tensor_name: str, parametrization, *, unsafe=False):
    """Make ``module.<tensor_name>`` return ``parametrization(original)`` (see the module
    docstring); a second registration on the same name stacks. Returns ``module``."""
    if not isinstance(parametrization, Module):
        raise TypeError(
            f"register_parametrization: the parametrization must be a Module, got "
            f"{type(parametrization).__name__}"
        )
    if is_parametrized(module, tensor_name):
        plist = module.parametrizations[tensor_name]
        plist.append(parametrization)
        if not unsafe:
            plist._check(plist.originals()[0] if plist.is_tensor else plist())
        return module
    if tensor_name not in module._parameters and tensor_name not in module._buffers:
        raise ValueError(
            f"register_parametrization: {type(module).__name__} has no parameter or buffer "
            f"named {tensor_name!r}"
        )
    original = getattr(module, tensor_name)
    plist = ParametrizationList([parametrization], original, unsafe=unsafe)
    delattr(module, tensor_name)
    if not is_parametrized(module):
        module.parametrizations = ModuleDict()
    module.parametrizations[tensor_name] = plist
    _reclass(module, list(module.parametrizations))
    return module


def is_parametrized(module, tensor_name: str | None = None) -> bool:
    """Whether ``module`` (or its ``tensor_name``) has a parametrization."""
    plists = module._modules.get("parametrizations")
    if not isinstance(plists, ModuleDict) or not type(module).__dict__.get("_parametrized"):
        return False
    return tensor_name is None or tensor_name in plists


def remove_parametrizations(module, tensor_name: str, leave_parametrized: bool = True):
    """Undo ``register_parametrization`` on ``tensor_name``: the module gets a plain Parameter
    again, holding the parametrized value (``leave_parametrized``) or the original."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(
            f"remove_parametrizations: {type(module).__name__} has no parametrization on "
            f"{tensor_name!r}"
        )
    from ...autograd import no_grad

    plist = module.parametrizations[tensor_name]
    if leave_parametrized:
        with no_grad():
            value = plist()
        kept = Parameter(value.detach(), requires_grad=plist.originals()[0].requires_grad)
    elif plist.is_tensor:
        kept = plist.original
    else:
        raise ValueError(
            "remove_parametrizations: leave_parametrized=False needs a single original tensor"
        )
    del module.parametrizations[tensor_name]
    _reclass(module, list(module.parametrizations))
    if not len(module.parametrizations):
        delattr(module, "parametrizations")
    setattr(module, tensor_name, kept)
    return module


@contextmanager
def cached():
    """Inside this context each parametrized tensor is computed once and reused (a model
    that reads one weight several times in a forward)."""
    global _cache
    outer = _cache
    _cache = {} if outer is None else outer
    try:
        yield
    finally:
        _cache = outer


def type_before_parametrizations(module) -> type:
    """The module's class before any parametrization was registered."""
    cls = type(module)
    return cls.__bases__[0] if cls.__dict__.get("_parametrized") else cls


__all__ = [
    "ParametrizationList",
    "register_parametrization",
    "is_parametrized",
    "remove_parametrizations",
    "cached",
    "type_before_parametrizations",
]
