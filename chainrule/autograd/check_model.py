"""Whole-model gradient check: backprop against finite differences, one parameter at a time.

For each parameter p and a few random unit directions d of p's shape,

    ⟨∂L/∂p, d⟩  ≈  (L(p + εd) − L(p − εd)) / 2ε

on a float64 deep copy of the model (the user's model is never touched). Chainrule's random
generator is reseeded before every loss evaluation, so dropout draws the same masks each time,
and buffers (BatchNorm's running statistics) are restored, so each evaluation sees the same
model.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from .. import backend
from .grad_mode import enable_grad, no_grad
from .gradcheck import GradcheckError


@dataclass
class ParamCheck:
    """One parameter's result: the worst error over the directions tried. ``rel_error`` is
    |backprop − fd| / max(|backprop|, |fd|), taken only where that max exceeds ``atol`` (a
    gradient that is truly zero, like a bias before BatchNorm's, has 0 here, not 1)."""

    name: str
    shape: tuple
    max_abs_error: float
    rel_error: float
    ok: bool


@dataclass
class ModelCheckReport:
    """What ``check_model`` found: one row per parameter; ``ok`` when every row is."""

    rows: list = field(default_factory=list)
    eps: float = 1e-6
    atol: float = 1e-5
    rtol: float = 1e-3
    n_directions: int = 3

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    @property
    def failed(self) -> list:
        """Names of the parameters whose gradient disagrees with finite differences."""
        return [r.name for r in self.rows if not r.ok]

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        w = max([len("parameter")] + [len(r.name) for r in self.rows])
        head = f"{'parameter':<{w}}  {'shape':<14}  {'max abs err':>11}  {'rel err':>9}  ok"
        lines = [head, "-" * len(head)]
        for r in self.rows:
            shape = str(tuple(r.shape))
            lines.append(
                f"{r.name:<{w}}  {shape:<14}  {r.max_abs_error:>11.3e}  {r.rel_error:>9.3e}  "
                f"{'yes' if r.ok else 'NO'}"
            )
        tail = (
            f"all {len(self.rows)} parameters agree"
            if self.ok
            else f"gradient mismatch in: {', '.join(self.failed)}"
        )
        lines.append(
            f"{tail} (eps={self.eps}, atol={self.atol}, rtol={self.rtol}, "
            f"{self.n_directions} directions each)"
        )
        return "\n".join(lines)


def _to_float64(x):
    """The batch with every floating Tensor or array cast to float64 (containers rebuilt)."""
    from ..tensor import Tensor

    np = backend.np
    if isinstance(x, Tensor):
        return x.detach().to(backend.float64) if x.dtype.kind == "f" else x
    if isinstance(x, np.ndarray):
        return x.astype(np.float64) if x.dtype.kind == "f" else x
    if isinstance(x, dict):
        return type(x)((k, _to_float64(v)) for k, v in x.items())
    if isinstance(x, tuple) and hasattr(x, "_fields"):  # namedtuple
        return type(x)(*(_to_float64(v) for v in x))
    if isinstance(x, (list, tuple)):
        return type(x)(_to_float64(v) for v in x)
    return x


def check_model(
    model,
    loss_fn,
    batch,
    *,
    eps: float = 1e-6,
    n_directions: int = 3,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
    raise_on_failure: bool = False,
) -> ModelCheckReport:
    """Check backprop's gradient of every parameter of ``model`` against finite differences.

    ``loss_fn(model, batch)`` returns a scalar Tensor. Works on a float64 deep copy; the
    model's train/eval mode is kept. A direction passes when
    ``|backprop − fd| ≤ atol + rtol·|fd|``. Returns a ``ModelCheckReport`` (``print`` it for a
    table); with ``raise_on_failure=True`` a mismatch raises ``GradcheckError`` naming the
    parameters instead.
    """
    np = backend.np
    m = copy.deepcopy(model).to(backend.float64)
    data = _to_float64(batch)
    named = [(n, p) for n, p in m.named_parameters() if p.requires_grad]
    buffers = [(b, b.data.copy()) for b in m.buffers()]
    saved_rng = backend.rng()

    def loss():
        for b, v in buffers:
            b.data = v.copy()
        backend.manual_seed(seed)
        out = loss_fn(m, data)
        if out.numel() != 1:
            raise ValueError(f"check_model: loss_fn must return a scalar, got shape {out.shape}")
        return out

    try:
        for _, p in named:
            p.grad = None
        with enable_grad():
            loss().backward()
        grads = {n: (None if p.grad is None else p.grad.data.astype(np.float64)) for n, p in named}
        rng = np.random.default_rng(seed)
        report = ModelCheckReport(eps=eps, atol=atol, rtol=rtol, n_directions=n_directions)
        for name, p in named:
            base = p.data.copy()
            g = grads[name]
            worst_abs, worst_rel, ok = 0.0, 0.0, True
            for _ in range(n_directions):
                d = rng.standard_normal(base.shape)
                d /= np.linalg.norm(d) or 1.0
                analytic = 0.0 if g is None else float((g * d).sum())
                with no_grad():
                    p.data = base + eps * d
                    hi = float(loss().item())
                    p.data = base - eps * d
                    lo = float(loss().item())
                    p.data = base
                numeric = (hi - lo) / (2 * eps)
                err = abs(analytic - numeric)
                worst_abs = max(worst_abs, err)
                scale = max(abs(analytic), abs(numeric))
                if scale > atol:  # both below atol: a zero gradient, and err is rounding
                    worst_rel = max(worst_rel, err / scale)
                ok = ok and bool(err <= atol + rtol * abs(numeric))
            report.rows.append(ParamCheck(name, tuple(base.shape), worst_abs, worst_rel, ok))
    finally:
        backend._rng = saved_rng
    if raise_on_failure and not report.ok:
        raise GradcheckError(
            f"check_model: backprop disagrees with finite differences for "
            f"{', '.join(report.failed)}\n{report}"
        )
    return report
