"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd.function import bump_version
from ..tensor import Tensor
from .optimizer import Optimizer, check_nonnegative


class RMSprop(Optimizer):
    """Per parameter, with g = ∇ (or -∇ when ``maximize``) plus ``weight_decay``·p:

    v ← α·v + (1 - α)·g²
    ḡ ← α·ḡ + (1 - α)·g,  d = √(v - ḡ²) + eps     (centered)   else d = √v + eps
    b ← momentum·b + g/d,  p ← p - lr·b            (momentum > 0)  else p ← p - lr·g/d
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ):
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_nonnegative(
            self,
            group,
            lr="learning rate",
            eps="epsilon value",
            momentum="momentum",
            weight_decay="weight_decay",
            alpha="alpha",
        )

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        wd, momentum, centered = group["weight_decay"], group["momentum"], group["centered"]
        for p in group["params"]:
            if p.grad is None:
                continue
            xp = backend.get_array_module(p.data)
            g = p.grad.data
            state = self.state[p]
            if not state:
                state["square_avg"] = Tensor(xp.zeros_like(p.data))
            if momentum > 0 and "momentum_buffer" not in state:
                state["momentum_buffer"] = Tensor(xp.zeros_like(p.data))
            if centered and "grad_avg" not in state:
                state["grad_avg"] = Tensor(xp.zeros_like(p.data))
            self._advance_step(state)
            if group["maximize"]:
                g = -g
            if wd != 0:
                g = g + wd * p.data
            v = state["square_avg"].data
            d = xp.multiply(g, g)
            d *= 1 - alpha
            v *= alpha
            v += d
            if centered:
                g_avg = state["grad_avg"].data
                g_avg *= alpha
                xp.multiply(g, 1 - alpha, out=d)
                g_avg += d
                xp.multiply(g_avg, g_avg, out=d)
                xp.subtract(v, d, out=d)
                xp.sqrt(d, out=d)
            else:
                xp.sqrt(v, out=d)
            d += eps
            xp.divide(g, d, out=d)  # g / d
            if momentum > 0:
                buf = state["momentum_buffer"].data
                buf *= momentum
                buf += d
                xp.multiply(buf, lr, out=d)
            else:
                d *= lr
            p.data -= d
            bump_version(p)
