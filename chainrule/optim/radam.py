"""RAdam: Adam whose adaptive step is switched on, and rectified, once the variance of the
second-moment estimate is tractable (Liu et al., 2019)."""

from __future__ import annotations

import math
from typing import Any

from .. import backend
from ..autograd.function import bump_version
from ..tensor import Tensor
from .optimizer import Optimizer, check_betas, check_nonnegative, gradient


class RAdam(Optimizer):
    """Per parameter at step t, with g = ∇ (or -∇ when ``maximize``), plus ``weight_decay``·p
    (or, ``decoupled_weight_decay``, p ← p·(1 - lr·wd) first):

    m ← β₁·m + (1 - β₁)·g          v ← β₂·v + (1 - β₂)·g²,      m̂ = m/(1 - β₁ᵗ)
    ρ∞ = 2/(1 - β₂) - 1,   ρₜ = ρ∞ - 2t·β₂ᵗ/(1 - β₂ᵗ)
    ρₜ > 5:  r = √((ρₜ-4)(ρₜ-2)ρ∞ / ((ρ∞-4)(ρ∞-2)ρₜ)),  p ← p - lr·m̂·r·√(1 - β₂ᵗ)/(√v + eps)
    else:    p ← p - lr·m̂
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        *,
        decoupled_weight_decay: bool = False,
        maximize: bool = False,
    ):
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_nonnegative(
            self, group, lr="learning rate", eps="epsilon value", weight_decay="weight_decay"
        )
        check_betas(self, group)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, (beta1, beta2), eps, wd = (
            group["lr"],
            group["betas"],
            group["eps"],
            group["weight_decay"],
        )
        for p in group["params"]:
            if p.grad is None:
                continue
            xp = backend.get_array_module(p.data)
            state = self.state[p]
            if "exp_avg" not in state:
                state["exp_avg"] = Tensor(xp.zeros_like(p.data))
                state["exp_avg_sq"] = Tensor(xp.zeros_like(p.data))
            t = self._advance_step(state)
            if wd != 0 and group["decoupled_weight_decay"]:
                p.data *= 1 - lr * wd
            g = gradient(p, group)
            m, v = state["exp_avg"].data, state["exp_avg_sq"].data
            m += (1 - beta1) * (g - m)
            v *= beta2
            v += (1 - beta2) * g * g
            bias2 = 1 - beta2**t
            m_hat = m / (1 - beta1**t)
            rho_inf = 2 / (1 - beta2) - 1
            rho_t = rho_inf - 2 * t * beta2**t / bias2
            if rho_t > 5.0:
                rect = math.sqrt(
                    (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
                )
                p.data -= m_hat * lr * (math.sqrt(bias2) / (xp.sqrt(v) + eps)) * rect
            else:
                p.data -= m_hat * lr
            bump_version(p)
