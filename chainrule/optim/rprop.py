"""Rprop: per-coordinate step sizes that grow while the gradient keeps its sign and shrink
when it flips; only the gradient's sign moves the parameter (Riedmiller & Braun, 1993)."""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd.function import bump_version
from ..tensor import Tensor
from .optimizer import Optimizer, check_nonnegative


class Rprop(Optimizer):
    """Per coordinate, with g = ∇ (or -∇ when ``maximize``) and g' the last step's g:

    s ← clip(s·η₊, lo, hi) where g·g' > 0;  clip(s·η₋, lo, hi) where g·g' < 0 (and then g ← 0,
    so that the next step doesn't shrink again); s unchanged where g·g' = 0
    p ← p - sign(g)·s,      g' ← g          (s starts at ``lr``; (η₋, η₊) = ``etas``,
    (lo, hi) = ``step_sizes``)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        maximize: bool = False,
    ):
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_nonnegative(self, group, lr="learning rate")
        minus, plus = group["etas"]
        if not 0.0 < minus < 1.0 < plus:
            raise ValueError(f"Rprop: invalid eta values {minus}, {plus}: need 0 < η₋ < 1 < η₊")

    def _update_group(self, group: dict[str, Any]) -> None:
        (minus, plus), (lo, hi) = group["etas"], group["step_sizes"]
        for p in group["params"]:
            if p.grad is None:
                continue
            xp = backend.get_array_module(p.data)
            state = self.state[p]
            if "prev" not in state:
                state["prev"] = Tensor(xp.zeros_like(p.data))
                state["step_size"] = Tensor(xp.full_like(p.data, group["lr"]))
            self._advance_step(state)
            g = -p.grad.data if group["maximize"] else p.grad.data.copy()
            prev, size = state["prev"].data, state["step_size"].data
            agree = xp.sign(g * prev)
            factor = xp.where(agree > 0, plus, xp.where(agree < 0, minus, 1.0))
            size *= factor.astype(size.dtype)
            xp.clip(size, lo, hi, out=size)
            g[agree < 0] = 0
            p.data -= xp.sign(g) * size
            prev[...] = g
            bump_version(p)
