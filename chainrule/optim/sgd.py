"""SGD: stochastic gradient descent, with momentum (heavy-ball or Nesterov) and weight decay."""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd.function import bump_version, bump_versions
from ..tensor import Tensor
from .optimizer import Optimizer, check_nonnegative


class SGD(Optimizer):
    """Per parameter, with g = ∇ (or -∇ when ``maximize``) plus ``weight_decay``·p:

        b ← g on the first step, then b ← momentum·b + (1 - dampening)·g
        g ← g + momentum·b  (nesterov)   or   g ← b  (momentum > 0)
        p ← p - lr·g

    ``nesterov`` needs momentum > 0 and dampening = 0.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ):
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_nonnegative(
            self, group, lr="learning rate", momentum="momentum", weight_decay="weight_decay"
        )
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"SGD: nesterov requires momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']}, dampening={group['dampening']}"
            )

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, momentum, wd = group["lr"], group["momentum"], group["weight_decay"]
        dampening, nesterov, maximize = group["dampening"], group["nesterov"], group["maximize"]
        if not (momentum or wd or maximize):  # plain SGD, the common case: p ← p − lr·∇
            ps = [p for p in group["params"] if p.grad is not None]
            try:
                backend.axpy_each(-lr, [p.grad.data for p in ps], [p.data for p in ps])
            finally:  # (all of them, also if one fails half-way: a bump only adds checks)
                bump_versions(ps)
            return
        for p in group["params"]:
            if p.grad is None:
                continue
            g = p.grad.data
            if maximize:
                g = -g
            if wd != 0:
                g = g + wd * p.data
            if momentum != 0:
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = Tensor(g.copy())
                else:
                    buf.data *= momentum
                    buf.data += g if dampening == 0 else (1 - dampening) * g
                g = g + momentum * buf.data if nesterov else buf.data
            backend.axpy(-lr, g, p.data)  # p ← p − lr·g in one pass
            bump_version(p)
