"""ASGD: averaged stochastic gradient descent (Polyak & Juditsky, 1992): SGD with a decaying
step size, plus a running average of the iterates from step ``t0`` on."""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd.function import bump_version
from ..tensor import Tensor
from .optimizer import Optimizer, check_nonnegative, gradient


class ASGD(Optimizer):
    """Per parameter at step t, with g = ∇ (or -∇ when ``maximize``) plus ``weight_decay``·p,
    η₁ = lr and μ₁ = 1:

    p ← p·(1 - λ·ηₜ) - ηₜ·g
    a ← a + μₜ·(p - a)            (the average, ``ax``; a copy of p while μₜ = 1)
    ηₜ₊₁ = lr / (1 + λ·lr·t)^α,    μₜ₊₁ = 1 / max(1, t - t₀)

    η and μ are float32 0-d tensors in the state, as torch keeps them.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ):
        defaults = dict(
            lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, maximize=maximize
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_nonnegative(self, group, lr="learning rate", weight_decay="weight_decay")

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
        for p in group["params"]:
            if p.grad is None:
                continue
            xp = backend.get_array_module(p.data)
            state = self.state[p]
            if "ax" not in state:
                state["eta"] = Tensor(float(lr), dtype=backend.float32)
                state["mu"] = Tensor(1.0, dtype=backend.float32)
                state["ax"] = Tensor(xp.zeros_like(p.data))
            t = self._advance_step(state)
            g = gradient(p, group)
            eta, mu, ax = float(state["eta"].data), float(state["mu"].data), state["ax"].data
            p.data *= 1 - lambd * eta
            p.data -= eta * g
            if mu != 1:
                ax += (p.data - ax) * mu
            else:
                ax[...] = p.data
            state["eta"].data.fill(lr / (1 + lambd * lr * t) ** alpha)
            state["mu"].data.fill(1 / max(1, t - t0))
            bump_version(p)
