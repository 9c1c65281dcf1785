"""Adam and AdamW: per-coordinate step sizes from running moments of the gradient."""

from __future__ import annotations

import math
from operator import is_
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
        params = [p for p in group["params"] if p.grad is not None]
        coupled_decay = group["weight_decay"] != 0 and not group["decoupled_weight_decay"]
        if group["amsgrad"] or group["maximize"] or coupled_decay:
            together, rest = (), params
        else:
            together, rest = self._split(group, params)
        for p in rest:
            self._update_one(group, p, self._advance_step(self._moments(p)))
        if together:
            self._update_together(group, together)

    def _moments(self, p) -> dict[str, Any]:
        """p's state, with zero moments on its first step."""
        state = self.state[p]
        if "exp_avg" not in state:
            xp = backend.get_array_module(p.data)
            state["exp_avg"] = Tensor(xp.zeros_like(p.data))
            state["exp_avg_sq"] = Tensor(xp.zeros_like(p.data))
        return state

    def _coefficients(self, group, t):
        """(β₁, β₂, step size, eps), the last two scaled by √(1 − β₂ᵗ) (see _adam_update)."""
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        bc2 = math.sqrt(1 - beta2**t)
        return beta1, beta2, lr / (1 - beta1**t) * bc2, eps * bc2

    def _update_one(self, group, p, t) -> None:
        lr, wd, decoupled = group["lr"], group["weight_decay"], group["decoupled_weight_decay"]
        state = self.state[p]
        g = p.grad.data
        if group["amsgrad"] and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = Tensor(backend.get_array_module(p.data).zeros_like(p.data))
        if group["maximize"]:
            g = -g
        if wd != 0:
            if decoupled:
                p.data *= 1 - lr * wd
            else:
                g = g + wd * p.data
        arrays = [p.data, g, state["exp_avg"].data, state["exp_avg_sq"].data]
        if group["amsgrad"]:
            arrays.append(state["max_exp_avg_sq"].data)
        _adam_update(*self._coefficients(group, t), *arrays)
        bump_version(p)

    # ------------------------------------------------------------------ small parameters
    def _split(self, group, params) -> tuple:
        """(the small parameters that step together, the others), worked out again only when
        the group's parameters with gradients change; ``_Flat.holds`` checks their shapes and
        dtypes at every step."""
        memo = self._memo("_flat_splits").get(id(group))
        if memo is not None and len(memo[0]) == len(params) and all(map(is_, memo[0], params)):
            return memo[1], memo[2]
        together = self._small_together(group, params)
        joint = {id(p) for p in together}
        rest = [p for p in params if id(p) not in joint]
        self._memo("_flat_splits")[id(group)] = (params, together, rest)
        return together, rest

    def _small_together(self, group, params) -> list:
        """The group's small parameters that can take one step together: one dtype and
        array module, each below ``_SMALL`` values, at least two of them."""
        small = [p for p in params if p.data.size < _SMALL]
        if len(small) < 2:
            return []
        dtype, xp = small[0].data.dtype, backend.get_array_module(small[0].data)
        for p in small:
            if p.data.dtype != dtype or p.grad.data.dtype != dtype:
                return []
            if backend.get_array_module(p.data) is not xp:
                return []
        return small

    def _update_together(self, group, small) -> None:
        """Adam on many small parameters at once: their moments are views of two flat arrays
        (``_Flat``) and their gradients are joined into one, so each of the update's NumPy
        calls covers them all, where one by one each parameter costs ~11 calls (for biases
        and small layers, most of their update's time)."""
        ts = [self._advance_step(self._moments(p)) for p in small]
        if any(t != ts[0] for t in ts):  # steps differ (a parameter skipped some): one by one
            for p, t in zip(small, ts):
                self._update_one(group, p, t)
            return
        flats = self._memo("_flat_moments")
        flat = flats.get(id(group))
        if flat is None or not flat.holds(small, self.state):
            if len(self._small_together(group, small)) != len(small):  # a size or dtype changed
                del self._memo("_flat_splits")[id(group)]  # split them afresh next step
                for p, t in zip(small, ts):
                    self._update_one(group, p, t)
                return
            flat = flats[id(group)] = _Flat(small, self.state)
        xp = backend.get_array_module(flat.m)
        g = xp.concatenate([p.grad.data.reshape(-1) for p in small])
        if group["weight_decay"] != 0:  # decoupled (AdamW): p ← p·(1 − lr·wd) first
            for p in small:
                p.data *= 1 - group["lr"] * group["weight_decay"]
        beta1, beta2, step_size, eps = self._coefficients(group, ts[0])
        direction = _adam_direction(beta1, beta2, eps, g, flat.m, flat.v, axpy=_axpy_two_pass)
        for p, (lo, hi) in zip(small, flat.spans):
            backend.axpy(-step_size, direction[lo:hi].reshape(p.data.shape), p.data)
            bump_version(p)

    def _memo(self, name: str) -> dict:
        """A dict kept on the optimizer, per group: ``_flat_moments`` (id(group) → _Flat) and
        ``_flat_splits`` (id(group) → (params, together, rest))."""
        memo = self.__dict__.get(name)
        if memo is None:
            memo = self.__dict__[name] = {}
        return memo


_SMALL = 1 << 16
"""Parameters below this many values take their Adam step together: one NumPy call per stage
for all of them (a GAN's 128×128 layers included), where one by one each would make ~11. The
cost is one copy of their gradients into a flat array, which for larger parameters is more
than the calls it saves. Their moments are updated with NumPy's two-pass y += a·x, whether
they step together or alone, so either way each parameter gets the same bits."""


def _axpy_two_pass(alpha, x, y):
    y += alpha * x


class _Flat:
    """The Adam moments of some parameters as views of two flat arrays. Their state Tensors
    keep their identity and are re-pointed at the views, so ``state_dict`` and checkpoints
    see the same per-parameter moments as ever."""

    def __init__(self, params, state):
        xp = backend.get_array_module(params[0].data)
        sizes = [p.data.size for p in params]
        n = sum(sizes)
        dtype = params[0].data.dtype
        self.params = list(params)
        self.m, self.v = xp.empty(n, dtype=dtype), xp.empty(n, dtype=dtype)
        self.spans, self.views = [], []
        lo = 0
        for p, k in zip(params, sizes):
            st, hi = state[p], lo + k
            self.spans.append((lo, hi))
            views = []
            for flat, key in ((self.m, "exp_avg"), (self.v, "exp_avg_sq")):
                view = flat[lo:hi].reshape(p.data.shape)
                view[...] = st[key].data  # (a loaded checkpoint's moments too)
                st[key].data = view
                views.append(view)
            self.views.append(tuple(views))
            lo = hi

    def holds(self, params, state) -> bool:
        """Whether these are still the same parameters, with their moments still our views
        (``load_state_dict`` replaces the state Tensors)."""
        if len(params) != len(self.params):
            return False
        for p, q, (m, v) in zip(params, self.params, self.views):
            if p is not q:
                return False
            st = state[p]
            if st["exp_avg"].data is not m or st["exp_avg_sq"].data is not v:
                return False
            d = p.data
            if d.shape != m.shape or d.dtype != m.dtype or p.grad.data.dtype != m.dtype:
                return False
        return True


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
    m / (√v / √(1 − β₂ᵗ) + eps) · lr / (1 − β₁ᵗ), one pass shorter. The moments of a
    parameter that could step with others (below ``_SMALL`` values) are updated as the joint
    step updates them, with NumPy's two passes, so that it gets the same bits either way; a
    larger one's with BLAS axpy, one pass."""
    axpy = _axpy_two_pass if p.size < _SMALL else backend.axpy
    backend.axpy(-step_size, _adam_direction(beta1, beta2, eps, g, m, v, v_max, axpy), p)


def _adam_direction(beta1, beta2, eps, g, m, v, v_max=None, axpy=backend.axpy):
    """Update the moments m, v (and v_max) in place; return m / (√v + eps), a new array."""
    xp = backend.get_array_module(m)
    m *= beta1
    axpy(1 - beta1, g, m)
    tmp = xp.multiply(g, g)
    v *= beta2
    axpy(1 - beta2, tmp, v)
    if v_max is not None:
        xp.maximum(v_max, v, out=v_max)
        v = v_max
    xp.sqrt(v, out=tmp)
    tmp += eps
    xp.divide(m, tmp, out=tmp)
    return tmp
