"""NAdam: Adam with Nesterov momentum (Dozat, 2016), momentum warmed up by ``momentum_decay``."""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd.function import bump_version
from ..tensor import Tensor
from .optimizer import Optimizer, check_betas, check_nonnegative, gradient


class NAdam(Optimizer):
    """Per parameter at step t, with g = ∇ (or -∇ when ``maximize``), plus ``weight_decay``·p
    (or, ``decoupled_weight_decay``, p ← p·(1 - lr·wd) first):

    μₜ = β₁·(1 - ½·0.96^(t·ψ)),   ψ = ``momentum_decay``,   Πₜ = μ₁···μₜ
    m ← β₁·m + (1 - β₁)·g          v ← β₂·v + (1 - β₂)·g²,      d = √(v/(1 - β₂ᵗ)) + eps
    p ← p - lr·(1 - μₜ)/(1 - Πₜ) · g/d - lr·μₜ₊₁/(1 - Πₜ·μₜ₊₁) · m/d

    Πₜ is kept as a float32 0-d tensor (``mu_product``), as torch keeps it.
    """

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        *,
        decoupled_weight_decay: bool = False,
        maximize: bool = False,
    ):
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_nonnegative(
            self,
            group,
            lr="learning rate",
            eps="epsilon value",
            weight_decay="weight_decay",
            momentum_decay="momentum_decay",
        )
        check_betas(self, group)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        wd, psi = group["weight_decay"], group["momentum_decay"]
        for p in group["params"]:
            if p.grad is None:
                continue
            xp = backend.get_array_module(p.data)
            state = self.state[p]
            if "exp_avg" not in state:
                state["mu_product"] = Tensor(1.0, dtype=backend.float32)
                state["exp_avg"] = Tensor(xp.zeros_like(p.data))
                state["exp_avg_sq"] = Tensor(xp.zeros_like(p.data))
            t = self._advance_step(state)
            if wd != 0 and group["decoupled_weight_decay"]:
                p.data *= 1 - lr * wd
            g = gradient(p, group)
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
            product = state["mu_product"].data
            product *= product.dtype.type(mu)  # in float32, as torch's 0-d tensor
            prod = float(product)
            m, v = state["exp_avg"].data, state["exp_avg_sq"].data
            m += (1 - beta1) * (g - m)
            v *= beta2
            v += (1 - beta2) * g * g
            d = xp.sqrt(v / (1 - beta2**t))
            d += eps
            p.data += (-lr * (1.0 - mu) / (1.0 - prod)) * (g / d)
            p.data += (-lr * mu_next / (1.0 - prod * mu_next)) * (m / d)
            bump_version(p)
