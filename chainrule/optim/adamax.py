"""Adamax: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd.function import bump_version
from ..tensor import Tensor
from .optimizer import Optimizer, check_betas, check_nonnegative, gradient


class Adamax(Optimizer):
    """Per parameter at step t, with g = ∇ (or -∇ when ``maximize``) plus ``weight_decay``·p:

    m ← β₁·m + (1 - β₁)·g          u ← max(β₂·u, |g| + eps)
    p ← p - lr/(1 - β₁ᵗ) · m / u
    """

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_nonnegative(
            self, group, lr="learning rate", eps="epsilon value", weight_decay="weight_decay"
        )
        check_betas(self, group)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        for p in group["params"]:
            if p.grad is None:
                continue
            xp = backend.get_array_module(p.data)
            state = self.state[p]
            if "exp_avg" not in state:
                state["exp_avg"] = Tensor(xp.zeros_like(p.data))
                state["exp_inf"] = Tensor(xp.zeros_like(p.data))
            t = self._advance_step(state)
            g = gradient(p, group)
            m, u = state["exp_avg"].data, state["exp_inf"].data
            m += (1 - beta1) * (g - m)  # torch's lerp, rounding included
            u *= beta2
            xp.maximum(u, xp.abs(g) + eps, out=u)
            p.data -= lr / (1 - beta1**t) * (m / u)
            bump_version(p)
