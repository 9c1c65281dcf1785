"""``Module``: the base of every layer. Parameters, buffers and sub-modules assigned as
attributes are registered automatically, so ``parameters()``, ``state_dict()``, ``train()``
and ``zero_grad()`` find them without boilerplate, as in PyTorch.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple

from .. import backend
from ..autograd.function import bump_version
from ..tensor import Tensor, _cuda_device, _to_args
from .parameter import Buffer, Parameter

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])

# Counts the changes to any module that can change how a container runs its children: an
# attribute, parameter or child assigned or deleted, a hook added or removed. Sequential keeps
# its plan of fused layers while this count stands (nn.container).
_edits = [0]


class _RemovableHandle:
    def __init__(self, hooks: dict, key: int):
        self.hooks, self.key = hooks, key

    def remove(self) -> None:
        self.hooks.pop(self.key, None)
        _edits[0] += 1


class Module:
    """Base class for layers and models: subclass it, assign layers and Parameters in
    ``__init__``, and write ``forward``."""

    _hook_counter = 0

    def __init__(self):
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent"] = set()
        d["_modules"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        d["_forward_pre_hooks"] = OrderedDict()

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() is called "
                f"(call super().__init__() first in {type(self).__name__}.__init__)"
            )
        params, buffers, modules = d["_parameters"], d["_buffers"], d["_modules"]
        if isinstance(value, Parameter):
            buffers.pop(name, None)
            modules.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            params.pop(name, None)
            buffers.pop(name, None)
            modules[name] = value
        elif isinstance(value, Buffer):
            params.pop(name, None)
            modules.pop(name, None)
            self.register_buffer(name, Tensor(value.data), value.persistent)
            return
        elif name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as parameter {name!r} "
                    "(a Parameter or None is expected)"
                )
            params[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign {type(value).__name__} as buffer {name!r} "
                    "(a Tensor or None is expected)"
                )
            buffers[name] = value
            object.__setattr__(self, name, value)
            return  # a buffer's new value changes no plan (batch norm's statistics, each step)
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module {name!r}")
            modules[name] = None
        object.__setattr__(self, name, value)  # plain attribute too: fast access in forward
        _edits[0] += 1

    def __delattr__(self, name):
        for k in ("_parameters", "_buffers", "_modules"):
            self.__dict__[k].pop(name, None)
        self.__dict__.pop(name, None)
        _edits[0] += 1

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"register_parameter: {name!r} must be a Parameter or None, got "
                f"{type(param).__name__}"
            )
        if param is None:
            self._parameters[name] = None
            object.__setattr__(self, name, None)
            _edits[0] += 1
        else:
            setattr(self, name, param)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """A tensor that is part of the state (saved in ``state_dict``) but not trained."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"register_buffer: {name!r} must be a Tensor or None, got {type(tensor).__name__}"
            )
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)
        object.__setattr__(self, name, tensor)
        _edits[0] += 1

    def add_module(self, name: str, module: Module | None) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module, got {type(module).__name__}")
        self._modules[name] = module
        object.__setattr__(self, name, module)
        _edits[0] += 1

    register_module = add_module

    # ------------------------------------------------------------------ calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args, **kwargs):
        if self._forward_pre_hooks:
            for hook in list(self._forward_pre_hooks.values()):
                r = hook(self, args)
                if r is not None:
                    args = r if isinstance(r, tuple) else (r,)
        out = self.forward(*args, **kwargs)
        if self._forward_hooks:
            for hook in list(self._forward_hooks.values()):
                r = hook(self, args, out)
                if r is not None:
                    out = r
        return out

    def register_forward_hook(self, hook):
        """``hook(module, inputs, output)`` after each forward; may return a new output."""
        Module._hook_counter += 1
        self._forward_hooks[Module._hook_counter] = hook
        _edits[0] += 1
        return _RemovableHandle(self._forward_hooks, Module._hook_counter)

    def register_forward_pre_hook(self, hook):
        """``hook(module, inputs)`` before each forward; may return new inputs."""
        Module._hook_counter += 1
        self._forward_pre_hooks[Module._hook_counter] = hook
        _edits[0] += 1
        return _RemovableHandle(self._forward_pre_hooks, Module._hook_counter)

    # ------------------------------------------------------------------ traversal
    def named_modules(self, memo=None, prefix: str = ""):
        if memo is None:
            memo = set()
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(memo, f"{prefix}.{name}" if prefix else name)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def _named_members(self, attr, prefix, recurse):
        seen = set()
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mp, m in mods:
            for name, t in getattr(m, attr).items():
                if t is None or id(t) in seen:
                    continue
                seen.add(id(t))
                yield (f"{mp}.{name}" if mp else name), t

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        yield from self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True):
        yield from self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> Module:
        m = self
        for part in target.split(".") if target else []:
            if part not in m._modules:
                raise AttributeError(f"{type(m).__name__} has no submodule {part!r}")
            m = m._modules[part]
        return m

    # ------------------------------------------------------------------ modes and helpers
    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active, batch-norm uses batch statistics) for this module
        and, through each child's own ``train``, every sub-module."""
        if not isinstance(mode, bool):
            raise ValueError(f"train: mode is expected to be a bool, got {mode!r}")
        self.__dict__["training"] = mode
        for m in self.children():
            m.train(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                xp = backend.get_array_module(p.grad.data)
                p.grad = Tensor(xp.zeros_like(p.grad.data))

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def apply(self, fn) -> Module:
        """Call ``fn(m)`` on every sub-module (children first), then on self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def to(self, *args, **kwargs) -> Module:
        """Move parameters and buffers to a device and/or cast the floating ones to a dtype,
        in place (the Parameter objects stay the same, so an optimizer made before still holds
        them): ``to("cuda")``, ``to(cr.float64)``, ``to("cuda:0", cr.float64)``."""
        device, dtype = _to_args(args, kwargs)
        dtype = backend.as_dtype(dtype)
        if device is not None:
            device = backend.as_device(device)
            backend.module_for(device)  # a clear error now if there is no GPU
        for m in self.modules():
            for t in list(m._parameters.values()) + list(m._buffers.values()):
                if t is not None:
                    t.data = _moved(t.data, device, dtype)
                    if t.grad is not None:
                        t.grad = Tensor(_moved(t.grad.data, device, dtype))
        return self

    def _place(self, device) -> None:
        """A layer constructor's ``device=``: move what it just made there (None: the CPU).
        Weights are drawn on the host first, so a seed gives the same weights on every device."""
        if device is not None:
            self.to(device)

    def cuda(self, device=None) -> Module:
        """Move every parameter and buffer to GPU ``device`` (default the current one)."""
        return self.to(_cuda_device(device))

    def double(self) -> Module:
        return self.to(backend.float64)

    def float(self) -> Module:
        return self.to(backend.float32)

    def cpu(self) -> Module:
        """Move every parameter and buffer to the CPU."""
        return self.to(backend.CPU)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    # ------------------------------------------------------------------ state
    def state_dict(self, destination=None, prefix: str = "", keep_vars: bool = False):
        """Parameters and persistent buffers by dotted name (detached, sharing memory).

        A sub-module reachable under two names appears under both, as in torch.
        """
        out = OrderedDict() if destination is None else destination
        for name, t in self._parameters.items():
            if t is not None:
                out[prefix + name] = t if keep_vars else t.detach()
        for name, t in self._buffers.items():
            if t is not None and name not in self._non_persistent:
                out[prefix + name] = t if keep_vars else t.detach()
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(out, f"{prefix}{name}.", keep_vars)
        return out

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy tensors (ours, torch's or arrays) into the parameters and buffers of the same
        names.

        Missing keys and unexpected keys (with ``strict``) and shape mismatches (always) raise
        one error that lists every problem; nothing is copied then. Lazy layers (nn.lazy)
        anywhere in the tree take their shapes from the state dict first.
        """
        for prefix, m in self.named_modules():
            hook = getattr(m, "_lazy_load_hook", None)
            if hook is not None:
                hook(state_dict, f"{prefix}." if prefix else "")
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        arrays, mismatched = {}, []
        for k, t in own.items():
            if k not in state_dict:
                continue
            arr = _as_array(state_dict[k])
            if arr.shape != t.shape:
                mismatched.append(f"{k}: checkpoint shape {arr.shape}, model shape {t.shape}")
            arrays[k] = arr
        problems = []
        if strict and missing:
            problems.append("missing keys: " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(unexpected))
        if mismatched:
            problems.append("shape mismatches: " + "; ".join(mismatched))
        if problems:
            raise RuntimeError(
                f"load_state_dict for {type(self).__name__}: " + " | ".join(problems)
            )
        for k, arr in arrays.items():
            t = own[k]
            arr = backend.to_device(arr, backend.device_of(t.data))  # host values onto a GPU
            t.data[...] = arr.astype(t.dtype, copy=False)
            bump_version(t)
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        """torch's layout: ``Name(extra)`` for a leaf, else one indented line per child."""
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        children = False
        for name, m in self._modules.items():
            sub = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {sub}")
            children = True
        head = f"{type(self).__name__}("
        if len(lines) == 1 and not children:
            return head + lines[0] + ")"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self):
        return sorted(set(super().__dir__()))


def _as_array(v):
    """A state-dict value (our Tensor, a torch tensor, an array or a number) as an ndarray."""
    if isinstance(v, Tensor):
        return v.data
    if hasattr(v, "detach") and hasattr(v, "cpu"):  # a torch tensor
        return v.detach().cpu().numpy()
    return v if backend.is_array(v) else backend.np.asarray(v)


def _moved(a, device, dtype):
    """Array ``a`` on ``device`` and, if floating, cast to ``dtype`` (either may be None)."""
    if device is not None:
        a = backend.to_device(a, device)
    if dtype is not None and a.dtype.kind == "f" and a.dtype != dtype:
        a = a.astype(dtype)
    return a
