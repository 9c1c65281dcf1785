"""L-BFGS: a quasi-Newton method. It keeps the last ``history_size`` steps s = Δp and gradient
changes y = Δg, and turns the gradient into a direction d ≈ −H⁻¹g by the two-loop recursion
(Nocedal & Wright, Algorithm 7.4), without forming H. Full-batch problems only: ``step``
takes a closure that re-evaluates the loss, as torch's LBFGS does.

    opt = cr.optim.LBFGS(model.parameters(), line_search_fn="strong_wolfe")
    def closure():
        opt.zero_grad(); loss = loss_fn(model(x), y); loss.backward(); return loss
    opt.step(closure)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import backend
from ..autograd import enable_grad, no_grad
from ..autograd.function import bump_version
from .optimizer import Optimizer


class LBFGS(Optimizer):
    """One ``step(closure)`` runs up to ``max_iter`` iterations (``max_eval`` loss
    evaluations), with g the flat gradient of all parameters:

    d = −H·g by the two-loop recursion over the kept (s, y) pairs, H₀ = (sᵀy / yᵀy)·I
    p ← p + t·d,   t = lr (the very first iteration: min(1, 1/‖g‖₁)·lr), or the step that
                   satisfies the strong Wolfe conditions with ``line_search_fn='strong_wolfe'``

    A pair is kept only when yᵀs > 1e-10 (the curvature condition). It stops early when
    max|g| ≤ ``tolerance_grad``, or when the step or the change in loss falls below
    ``tolerance_change``.
    """

    def __init__(
        self,
        params,
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ):
        if not lr >= 0:
            raise ValueError(f"LBFGS: invalid learning rate {lr}")
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(
                f"LBFGS: line_search_fn must be None or 'strong_wolfe', got {line_search_fn!r}"
            )
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(
            lr=lr,
            max_iter=max_iter,
            max_eval=max_eval,
            tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change,
            history_size=history_size,
            line_search_fn=line_search_fn,
        )
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS: parameter groups (per-parameter options) are not supported")
        self._params = self.param_groups[0]["params"]

    # ------------------------------------------------------------------ flat views
    def _flat_grad(self):
        xp = backend.get_array_module(self._params[0].data)
        return xp.concatenate(
            [
                xp.zeros(p.data.size, p.data.dtype) if p.grad is None else p.grad.data.ravel()
                for p in self._params
            ]
        )

    def _add(self, t: float, d) -> None:
        """p ← p + t·d over the flat direction d."""
        lo = 0
        for p in self._params:
            n = p.data.size
            p.data += t * d[lo : lo + n].reshape(p.data.shape)
            bump_version(p)
            lo += n

    def _copy_params(self) -> list:
        return [p.data.copy() for p in self._params]

    def _set_params(self, arrays) -> None:
        for p, a in zip(self._params, arrays):
            p.data[...] = a
            bump_version(p)

    def _evaluate_at(self, closure, x, t: float, d):
        """The loss and flat gradient at x + t·d; the parameters go back to x."""
        self._add(t, d)
        with enable_grad():
            loss = float(closure())
        g = self._flat_grad()
        self._set_params(x)
        return loss, g

    # ------------------------------------------------------------------ the step
    def step(self, closure: Callable[[], Any]):  # type: ignore[override]
        """Run L-BFGS iterations; ``closure`` clears the gradients, computes the loss,
        backpropagates and returns the loss. Returns the loss of the first evaluation."""
        if closure is None:
            raise ValueError("LBFGS: step() needs a closure that re-evaluates the loss")
        with no_grad():
            return self._step(closure)

    def _step(self, closure):
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        history = group["history_size"]
        xp = backend.get_array_module(self._params[0].data)
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        with enable_grad():
            first_loss = closure()
        loss = float(first_loss)
        evals = 1
        state["func_evals"] += 1
        g = self._flat_grad()
        if float(xp.abs(g).max()) <= tol_grad:
            return first_loss

        d, t = state.get("d"), state.get("t")
        dirs, steps, rho = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        h_diag, g_prev = state.get("H_diag"), state.get("prev_flat_grad")
        loss_prev = state.get("prev_loss")
        n = 0
        while n < max_iter:
            n += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d, dirs, steps, rho, h_diag = -g, [], [], [], 1.0
            else:
                y, s = g - g_prev, d * t
                ys = float(y @ s)
                if ys > 1e-10:  # curvature condition: keep the pair
                    if len(dirs) == history:
                        dirs.pop(0), steps.pop(0), rho.pop(0)
                    dirs.append(y), steps.append(s), rho.append(1.0 / ys)
                    h_diag = ys / float(y @ y)
                d = self._two_loop(-g, dirs, steps, rho, h_diag)
            g_prev = g.copy()
            loss_prev = loss
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / float(xp.abs(g).sum())) * lr
            else:
                t = lr
            gtd = float(g @ d)  # the directional derivative: < 0 for a descent direction
            if gtd > -tol_change:
                break
            if group["line_search_fn"] == "strong_wolfe":
                x0 = self._copy_params()
                loss, g, t, ls_evals = _strong_wolfe(
                    lambda x, t, d: self._evaluate_at(closure, x, t, d),
                    x0,
                    t,
                    d,
                    loss,
                    g,
                    gtd,
                    max_ls=max_eval - evals,
                )
                self._add(t, d)
                done = float(xp.abs(g).max()) <= tol_grad
            else:
                self._add(t, d)
                ls_evals, done = 0, False
                if n != max_iter:
                    with enable_grad():
                        loss = float(closure())
                    g = self._flat_grad()
                    done = float(xp.abs(g).max()) <= tol_grad
                    ls_evals = 1
            evals += ls_evals
            state["func_evals"] += ls_evals
            if n == max_iter or evals >= max_eval or done:
                break
            if float(xp.abs(d * t).max()) <= tol_change or abs(loss - loss_prev) < tol_change:
                break

        state.update(
            d=d,
            t=t,
            old_dirs=dirs,
            old_stps=steps,
            ro=rho,
            H_diag=h_diag,
            prev_flat_grad=g_prev,
            prev_loss=loss_prev,
        )
        return first_loss

    @staticmethod
    def _two_loop(q, dirs, steps, rho, h_diag):
        """H·q for the L-BFGS inverse-Hessian estimate H built from the (s, y) pairs."""
        alphas = [0.0] * len(dirs)
        for i in reversed(range(len(dirs))):
            alphas[i] = float(steps[i] @ q) * rho[i]
            q = q - alphas[i] * dirs[i]
        r = q * h_diag
        for i in range(len(dirs)):
            beta = float(dirs[i] @ r) * rho[i]
            r = r + (alphas[i] - beta) * steps[i]
        return r


# ---------------------------------------------------------------- line search
def _cubic_minimum(x1, f1, g1, x2, f2, g2, bounds=None) -> float:
    """The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1, g2, clipped to
    ``bounds`` (default: between x1 and x2); their midpoint when the cubic has none."""
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 * d1 - g1 * g2
    if d2_square < 0:
        return (lo + hi) / 2.0
    d2 = d2_square**0.5
    if x1 <= x2:
        x = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        x = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(x, lo), hi)


def _strong_wolfe(evaluate, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tol_change=1e-9, max_ls=25):
    """A step t along d with sufficient decrease, f(t) ≤ f + c1·t·gtd, and small slope,
    |f'(t)| ≤ c2·|gtd| (Nocedal & Wright, Algorithms 3.5 and 3.6): first bracket an interval
    that holds such a t, by growing the step, then shrink it by cubic interpolation.
    Returns (f(t), ∇f(t), t, evaluations)."""
    d_norm = float(abs(d).max())
    f_new, g_new = evaluate(x, t, d)
    evals, gtd_new = 1, float(g_new @ d)
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done, it = False, 0
    while it < max_ls:  # bracketing
        armijo_fails = f_new > f + c1 * t * gtd or (it > 1 and f_new >= f_prev)
        if not armijo_fails and abs(gtd_new) <= -c2 * gtd:
            bracket, b_f, b_g, done = [t], [f_new], [g_new], True
            break
        if armijo_fails or gtd_new >= 0:  # the interval (t_prev, t) holds a good step
            bracket, b_f = [t_prev, t], [f_prev, f_new]
            b_g, b_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        t_prev, t = (
            t,
            _cubic_minimum(
                t_prev,
                f_prev,
                gtd_prev,
                t,
                f_new,
                gtd_new,
                bounds=(t + 0.01 * (t - t_prev), t * 10),
            ),
        )
        f_prev, g_prev, gtd_prev = f_new, g_new.copy(), gtd_new
        f_new, g_new = evaluate(x, t, d)
        evals, gtd_new = evals + 1, float(g_new @ d)
        it += 1
    if it >= max_ls:  # no bracket found: the last step or none
        bracket, b_f, b_g = [0, t], [f, f_new], [g, g_new]
    stuck = False
    low, high = (0, 1) if b_f[0] <= b_f[-1] else (1, 0)
    while not done and it < max_ls:  # zoom
        if abs(bracket[1] - bracket[0]) * d_norm < tol_change:
            break
        t = _cubic_minimum(bracket[0], b_f[0], b_gtd[0], bracket[1], b_f[1], b_gtd[1])
        top, bottom = max(bracket), min(bracket)
        eps = 0.1 * (top - bottom)
        if min(top - t, t - bottom) < eps:  # too close to an end: step away, unless it helps
            if stuck or t >= top or t <= bottom:
                t = top - eps if abs(t - top) < abs(t - bottom) else bottom + eps
                stuck = False
            else:
                stuck = True
        else:
            stuck = False
        f_new, g_new = evaluate(x, t, d)
        evals, gtd_new = evals + 1, float(g_new @ d)
        it += 1
        if f_new > f + c1 * t * gtd or f_new >= b_f[low]:
            bracket[high], b_f[high], b_g[high], b_gtd[high] = t, f_new, g_new.copy(), gtd_new
            low, high = (0, 1) if b_f[0] <= b_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                bracket[high], b_f[high] = bracket[low], b_f[low]
                b_g[high], b_gtd[high] = b_g[low], b_gtd[low]
            bracket[low], b_f[low], b_g[low], b_gtd[low] = t, f_new, g_new.copy(), gtd_new
    return b_f[low], b_g[low], bracket[low], evals
