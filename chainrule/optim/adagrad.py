"""Adagrad: per-coordinate step sizes that shrink with the sum of all past squared gradients."""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd.function import bump_version
from ..tensor import Tensor
from .optimizer import Optimizer, check_nonnegative


class Adagrad(Optimizer):
    """Per parameter at step t, with g = ∇ (or -∇ when ``maximize``) plus ``weight_decay``·p:

    s ← s + g²                  (s starts at ``initial_accumulator_value``)
    p ← p - lr/(1 + (t - 1)·lr_decay) · g / (√s + eps)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ):
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:  # torch fills the state up front
            self._init_state(p, group["initial_accumulator_value"])

    def _init_state(self, p: Tensor, initial_value: float) -> None:
        state = self.state[p]
        if "sum" not in state:
            xp = backend.get_array_module(p.data)
            state["step"] = Tensor(0.0, dtype=backend.float32)
            state["sum"] = Tensor(xp.full_like(p.data, initial_value))

    def _check_group(self, group: dict[str, Any]) -> None:
        check_nonnegative(
            self,
            group,
            lr="learning rate",
            lr_decay="lr_decay value",
            weight_decay="weight_decay",
            eps="epsilon value",
            initial_accumulator_value="initial_accumulator_value",
        )

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, lr_decay, eps, wd = group["lr"], group["lr_decay"], group["eps"], group["weight_decay"]
        for p in group["params"]:
            if p.grad is None:
                continue
            xp = backend.get_array_module(p.data)
            g = p.grad.data
            state = self.state[p]
            self._init_state(p, group["initial_accumulator_value"])
            t = self._advance_step(state)
            if group["maximize"]:
                g = -g
            if wd != 0:
                g = g + wd * p.data
            clr = lr / (1 + (t - 1) * lr_decay)
            s = state["sum"].data
            d = xp.multiply(g, g)
            s += d
            xp.sqrt(s, out=d)
            d += eps
            xp.divide(g, d, out=d)
            d *= clr
            p.data -= d
            bump_version(p)
