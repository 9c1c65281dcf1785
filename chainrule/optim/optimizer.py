"""``Optimizer``: parameter groups, per-parameter state, and checkpoints in torch's format.

An optimizer holds ``param_groups`` (dicts of ``params`` plus options such as ``lr``; options a
group leaves out come from ``defaults``) and ``state`` (one dict per parameter, e.g. Adam's
running moments). ``step()`` updates every parameter that has a gradient, in place, on the
arrays themselves: no graph is recorded.

    opt = cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable
from functools import partial
from itertools import chain
from typing import Any

from .. import backend
from ..autograd import enable_grad
from ..tensor import Tensor


class _RequiredParameter:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()  # a default that every group must set itself


class Optimizer:
    """Base class: subclasses define ``_update_group(group)``, the math for one group.

    ``params`` is an iterable of Tensors, of ``(name, Tensor)`` pairs, or of dicts that each
    define a parameter group: ``[{'params': w, 'lr': 0.1}, {'params': b}]``.
    """

    def __init__(self, params, defaults: dict[str, Any]):
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(
                f"{name}: params must be an iterable of Tensors or dicts, got a "
                f"single Tensor of shape {params.shape}; wrap it in a list"
            )
        if isinstance(params, set):
            raise TypeError(
                f"{name}: parameters must be in an ordered collection (a list), "
                "not a set, whose order changes between runs"
            )
        groups = list(params)
        if not groups:
            raise ValueError(f"{name}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines) + "\n)"

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (the rest from ``defaults``)."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(
                f"{name}: a param group must be a dict, got {type(param_group).__name__}"
            )
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                f"{name}: parameters must be in an ordered collection (a list), "
                "not a set, whose order changes between runs"
            )
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        group = dict(param_group, params=params)
        if names:
            if len(names) != len(params):
                raise ValueError(f"{name}: either all parameters have names or none do")
            group["param_names"] = names
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{name}: can only optimize Tensors, but one of the params is "
                    f"a {type(p).__name__}"
                )
            if p.grad_fn is not None:
                raise ValueError(
                    f"{name}: can't optimize a non-leaf Tensor (shape {p.shape}, "
                    f"made by {p.grad_fn.name}); optimize the leaf it came from"
                )
        for key, default in self.defaults.items():
            if default is required and key not in group:
                raise ValueError(
                    f"{name}: parameter group didn't specify a value of required option {key!r}"
                )
            group.setdefault(key, default)
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{name}: a parameter group contains the same parameter twice")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        if self.param_groups and ("param_names" in group) != (
            "param_names" in self.param_groups[0]
        ):
            raise ValueError(f"{name}: all parameter groups must be named, or none")
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Raise ValueError for invalid options (subclasses check their own)."""

    # ------------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's ``.grad``: drop it (default) or fill it with zeros."""
        for group in self.param_groups:
            if set_to_none:
                for p in group["params"]:
                    p.grad = None
                continue
            for p in group["params"]:
                if p.grad is not None:
                    if p.grad.grad_fn is not None:
                        p.grad = p.grad.detach()
                    p.grad.data[...] = 0

    def step(self, closure: Callable[[], Any] | None = None):
        """Update the parameters once; ``closure`` re-evaluates the loss and is returned."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._opt_called = True  # lets a scheduler tell whether step() ran before it
        for group in self.param_groups:
            _numbers(group)
            self._update_group(group)
        return loss

    def _update_group(self, group: dict[str, Any]) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not define _update_group")

    def _advance_step(self, state: dict[str, Any]) -> float:
        """Advance the per-parameter step counter (a float32 0-d Tensor, as torch keeps it)."""
        step = state.get("step", 0.0)
        if not isinstance(step, Tensor):  # new state, or a plain number from an old checkpoint
            step = state["step"] = Tensor(float(step), dtype=backend.float32)
        # float32 + 1 rounds as the float64 sum stored to float32; fill is ~8× cheaper than a
        # ufunc on a 0-d array (0.24 against 1.8 µs)
        step.data.fill(float(step.data) + 1.0)
        return float(step.data)

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [index, ...]}]}``.

        Parameters are replaced by their position across all groups, so the dict loads into an
        optimizer built on another copy of the model. State Tensors are shared, not copied.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: s for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore options and state saved by ``state_dict()`` (copies; no sharing).

        As in torch, state arrays move to their parameter's device (state saved on a GPU loads
        onto CPU parameters and the other way round) and take its dtype; ``step`` counters stay
        on the CPU."""
        name = type(self).__name__
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}: loaded state dict has {len(saved_groups)} parameter "
                f"groups, but the optimizer has {len(self.param_groups)}"
            )
        for i, (g, s) in enumerate(zip(self.param_groups, saved_groups)):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(
                    f"{name}: loaded parameter group {i} has {len(s['params'])} "
                    f"parameters, but the optimizer's has {len(g['params'])}"
                )
        by_index = {
            i: p
            for g, s in zip(self.param_groups, saved_groups)
            for i, p in zip(s["params"], g["params"])
        }
        self.state = defaultdict(dict)
        for key, values in state_dict["state"].items():
            if key not in by_index:
                raise KeyError(
                    f"{name}: loaded state refers to parameter {key}, which no "
                    "parameter group lists"
                )
            p = by_index[key]
            self.state[p] = {k: _copy_state_value(p, k, v) for k, v in values.items()}
        self.param_groups = [
            dict(copy.deepcopy({k: v for k, v in s.items() if k != "params"}), params=g["params"])
            for g, s in zip(self.param_groups, saved_groups)
        ]


_SCALAR_STATE = frozenset(("step", "mu_product", "eta", "mu"))


def _copy_state_value(param: Tensor, key: str, value):
    """A private copy of one state value: arrays move to the parameter's device and take its
    dtype, except the 0-d scalars ('step', NAdam's 'mu_product', ASGD's 'eta' and 'mu'), which
    stay CPU values of their own dtype, so that a resumed run continues bit for bit (torch casts
    all but 'step' to the parameter's dtype)."""
    if isinstance(value, Tensor):
        value = value.data
    if backend.is_array(value):
        if key in _SCALAR_STATE:
            return Tensor(backend.to_host(value).astype(value.dtype, copy=True))
        moved = backend.to_device(value, backend.device_of(param.data))
        return Tensor(moved.astype(param.data.dtype, copy=moved is value))
    return copy.deepcopy(value)


_PLAIN = frozenset((float, int, bool, str, list, type(None)))  # option types that need no look
_PLAIN_OR_TUPLE = _PLAIN | {tuple}
_is_tuple = partial(type.__instancecheck__, tuple)  # isinstance(v, tuple), C-level


def _numbers(group: dict[str, Any]) -> None:
    """NumPy scalars among a group's options (an lr taken from ``numpy.geomspace``, betas from
    an array) become the Python numbers they hold, as torch reads them. Kept as they are, a
    ``numpy.float64`` would make NumPy compute the float32 update in float64 and round it
    differently."""
    values = group.values()
    if _PLAIN.issuperset(map(type, values)):  # the usual group: one C-level pass
        return
    if _PLAIN_OR_TUPLE.issuperset(map(type, values)) and _PLAIN.issuperset(
        map(type, chain.from_iterable(filter(_is_tuple, values)))
    ):  # Adam's betas
        return
    generic = backend.np.generic
    for key, value in group.items():
        if isinstance(value, generic):
            group[key] = value.item()
        elif type(value) is tuple and any(isinstance(v, generic) for v in value):
            group[key] = tuple(map(backend.number, value))


def check_nonnegative(opt: Optimizer, group: dict[str, Any], **names: str) -> None:
    """Raise ``"<Opt>: invalid <what> <value>"`` for each ``key=what`` whose value is < 0."""
    for key, what in names.items():
        value = group[key]
        if not value >= 0:  # also catches NaN
            raise ValueError(f"{type(opt).__name__}: invalid {what} {value}")


def gradient(p: Tensor, group: dict[str, Any]):
    """p's gradient as the update reads it: −∇ when ``maximize``, plus ``weight_decay``·p
    (the L2 penalty's gradient) unless the group decays weights decoupled from it."""
    g = p.grad.data
    if group.get("maximize"):
        g = -g
    wd = group.get("weight_decay", 0)
    if wd != 0 and not group.get("decoupled_weight_decay"):
        g = g + wd * p.data
    return g


def check_betas(opt: Optimizer, group: dict[str, Any]) -> None:
    betas = group["betas"]
    if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
        raise ValueError(
            f"{type(opt).__name__}: betas must be two numbers in [0, 1), got {tuple(betas)}"
        )
