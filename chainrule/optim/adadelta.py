"""Adadelta: step sizes from running RMS of the gradients and of the updates themselves,
so that the update has the parameter's units (Zeiler, 2012)."""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd.function import bump_version
from ..tensor import Tensor
from .optimizer import Optimizer, check_nonnegative, gradient


class Adadelta(Optimizer):
    """Per parameter, with g = ∇ (or -∇ when ``maximize``) plus ``weight_decay``·p:

    v ← ρ·v + (1 - ρ)·g²
    Δ = √(u + eps) / √(v + eps) · g
    u ← ρ·u + (1 - ρ)·Δ²,          p ← p - lr·Δ
    """

    def __init__(
        self,
        params,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_nonnegative(
            self, group, lr="learning rate", eps="epsilon value", weight_decay="weight_decay"
        )
        if not 0.0 <= group["rho"] <= 1.0:
            raise ValueError(f"Adadelta: invalid rho value {group['rho']}, expected it in [0, 1]")

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        for p in group["params"]:
            if p.grad is None:
                continue
            xp = backend.get_array_module(p.data)
            state = self.state[p]
            if "square_avg" not in state:
                state["square_avg"] = Tensor(xp.zeros_like(p.data))
                state["acc_delta"] = Tensor(xp.zeros_like(p.data))
            self._advance_step(state)
            g = gradient(p, group)
            v, u = state["square_avg"].data, state["acc_delta"].data
            v *= rho
            v += (1 - rho) * g * g
            delta = xp.sqrt(u + eps)
            delta /= xp.sqrt(v + eps)
            delta *= g
            u *= rho
            u += (1 - rho) * delta * delta
            p.data -= lr * delta
            bump_version(p)
