"""Adam and AdamW: per-coordinate step sizes from running moments of the gradient."""

from __future__ import annotations

import math
from typing import Any

from .. import backend
from ..autograd.function import bump_version
from ..tensor import Tensor
from .optimizer import Optimizer, check_nonnegative


class Adam(Optimizer):
    """Per parameter at step t, with g = ∇ (or -∇ when ``maximize``):

    g ← g + weight_decay·p            (L2 penalty; AdamW instead: p ← p·(1 - lr·wd))
    m ← β₁·m + (1 - β₁)·g             v ← β₂·v + (1 - β₂)·g²
    v̂ ← max(v̂, v) if ``amsgrad`` else v
    p ← p - lr/(1 - β₁ᵗ) · m / (√v̂ / √(1 - β₂ᵗ) + eps)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ):
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_nonnegative(
            self, group, lr="learning rate", eps="epsilon value", weight_decay="weight_decay"
        )
        betas = group["betas"]
        if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(
                f"{type(self).__name__}: betas must be two numbers in [0, 1), got {tuple(betas)}"
            )

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        wd, amsgrad, maximize = group["weight_decay"], group["amsgrad"], group["maximize"]
        decoupled = group["decoupled_weight_decay"]
        for p in group["params"]:
            if p.grad is None:
                continue
            xp = backend.get_array_module(p.data)
            g = p.grad.data
            state = self.state[p]
            if not state:
                state["exp_avg"] = Tensor(xp.zeros_like(p.data))
                state["exp_avg_sq"] = Tensor(xp.zeros_like(p.data))
            if amsgrad and "max_exp_avg_sq" not in state:
                state["max_exp_avg_sq"] = Tensor(xp.zeros_like(p.data))
            t = self._advance_step(state)
            if maximize:
                g = -g
            if wd != 0:
                if decoupled:
                    p.data *= 1 - lr * wd
                else:
                    g = g + wd * p.data
            m, v = state["exp_avg"].data, state["exp_avg_sq"].data
            arrays = [p.data, g, m, v]
            if amsgrad:
                arrays.append(state["max_exp_avg_sq"].data)
            # p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + eps)
            bc2 = math.sqrt(1 - beta2**t)
            coef = (beta1, beta2, lr / (1 - beta1**t) * bc2, eps * bc2)
            _adam_update(*coef, *arrays)
            bump_version(p)


class AdamW(Adam):
    """Adam with decoupled weight decay: p ← p·(1 - lr·weight_decay) before the Adam step
    (Loshchilov & Hutter), instead of adding weight_decay·p to the gradient."""

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ):
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )


def _adam_update(beta1, beta2, step_size, eps, p, g, m, v, v_max=None):
    """One Adam update of one parameter, in place, in nine passes over it. With step_size and
    eps both scaled by √(1 − β₂ᵗ), m / (√v + eps) · step_size is torch's
    m / (√v / √(1 − β₂ᵗ) + eps) · lr / (1 − β₁ᵗ), one pass shorter; each ``axpy`` is one pass
    where NumPy would take two."""
    xp = backend.get_array_module(p)
    m *= beta1
    backend.axpy(1 - beta1, g, m)
    tmp = xp.multiply(g, g)
    v *= beta2
    backend.axpy(1 - beta2, tmp, v)
    if v_max is not None:
        xp.maximum(v_max, v, out=v_max)
        v = v_max
    xp.sqrt(v, out=tmp)
    tmp += eps
    xp.divide(m, tmp, out=tmp)
    backend.axpy(-step_size, tmp, p)
