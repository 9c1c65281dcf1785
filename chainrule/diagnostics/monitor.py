"""``GradientMonitor``: each layer's gradient norm and update-to-weight ratio, every step,
with warnings when gradients vanish, explode or turn non-finite."""

from __future__ import annotations

import math
import warnings

from .. import backend
from ..nn.module import Module

np = backend.np


class GradientWarning(UserWarning):
    """A layer's gradient vanished, exploded or became non-finite."""


def _sq_norm(a) -> float:
    """Σ a² in float64: a float32 gradient of 1e-30 must not square to zero. On the array's
    own device: a GPU gradient is not copied to the host, only its norm."""
    xp = backend.get_array_module(a)
    a = xp.asarray(a, dtype=xp.float64).reshape(-1)
    return float(xp.dot(a, a))


def _safe_div(a: float, b: float) -> float:
    if b == 0.0:
        return 0.0 if a == 0.0 else math.inf
    return a / b


# ---------------------------------------------------------------------------- the monitor
class GradientMonitor:
    """Record, per layer and per step, the gradient norm ‖∇W‖ and the update-to-weight ratio
    ‖W_after − W_before‖ / ‖W_before‖; warn when gradients vanish or explode.

    A *layer* is a module that owns parameters directly (a ``Linear``, a ``BatchNorm1d``, an
    ``RNN``), named as in ``model.named_modules()`` (``layers.0``, ``fc1``); its norm is over all
    its parameters together. Layers are ordered as ``named_modules`` lists them (the order of
    registration, the forward order of a ``Sequential``); ``layers=[names]`` picks and orders
    them explicitly. The first and last of them define ``ratio()``.

    A hook on every parameter (``Tensor.register_hook``) copies the raw gradient of each
    backward, so the recorded norm is the gradient before any clipping, summed over all
    backward calls of the step. There are no optimizer hooks, so the step is closed
    explicitly, after ``optimizer.step()``: ``monitor.step()`` turns the gradients into
    norms, compares the weights with the copy it took at the previous ``step()`` (or at
    construction), and checks for trouble:

    - *non-finite*: a layer's gradient norm is inf or nan;
    - *exploding*: a layer's gradient norm exceeds ``explode_threshold``;
    - *vanishing*: ‖∇ first layer‖ / ‖∇ last layer‖ < ``vanish_ratio``.

    Each (kind, layer) is warned about once, as a ``GradientWarning`` that names the layer and
    the numbers (``warn=False`` silences them); every occurrence is kept in ``alerts``.

    Use as a context manager, or call ``remove()``, to detach the hooks.
    """

    def __init__(
        self,
        model: Module,
        layers: list[str] | None = None,
        explode_threshold: float = 1e3,
        vanish_ratio: float = 1e-4,
        warn: bool = True,
    ):
        if not isinstance(model, Module):
            raise TypeError(f"GradientMonitor: expected an nn.Module, got {type(model).__name__}")
        if not explode_threshold > 0:
            raise ValueError(
                f"GradientMonitor: explode_threshold must be > 0, got {explode_threshold}"
            )
        if not 0 < vanish_ratio < 1:
            raise ValueError(f"GradientMonitor: vanish_ratio must be in (0, 1), got {vanish_ratio}")
        owned, seen = {}, set()
        for name, m in model.named_modules():
            ps = [
                p
                for p in m._parameters.values()
                if p is not None and p.requires_grad and id(p) not in seen
            ]
            seen.update(id(p) for p in ps)
            if ps:
                owned[name or type(model).__name__] = ps
        if not owned:
            raise ValueError(
                f"GradientMonitor: {type(model).__name__} has no parameters that require grad"
            )
        if layers is None:
            layers = list(owned)
        else:
            layers = list(layers)
            unknown = [n for n in layers if n not in owned]
            if unknown:
                raise ValueError(
                    f"GradientMonitor: no layer named {', '.join(map(repr, unknown))}; layers "
                    f"(modules owning parameters): {', '.join(owned)}"
                )
            if not layers:
                raise ValueError("GradientMonitor: layers is empty")
        self.model = model
        self.layers: list[str] = layers
        self.params = {n: owned[n] for n in layers}
        self.explode_threshold = float(explode_threshold)
        self.vanish_ratio = float(vanish_ratio)
        self.warn = warn
        self.history: list[dict] = []  # per step: {"step", "grad_norm": {..}, "update_ratio": {..}}
        self.alerts: list[dict] = []  # {"step", "kind", "layer", "message"}
        self._warned: set[tuple[str, str]] = set()
        self._grads: dict[int, object] = {}  # id(param) -> the step's summed raw gradient
        self._handles = [
            p.register_hook(self._hook(id(p))) for ps in self.params.values() for p in ps
        ]
        self._before = self._snapshot()

    def _hook(self, key: int):
        def hook(g):
            a = g.data
            acc = self._grads.get(key)
            # a copy: the engine may hand this very array to .grad, and clipping scales it
            self._grads[key] = a.copy() if acc is None else acc + a

        return hook

    def _snapshot(self) -> dict:
        return {n: [p.data.copy() for p in ps] for n, ps in self.params.items()}

    # -------------------------------------------------------------------- stepping
    def step(self) -> dict:
        """Close a step (call it after ``optimizer.step()``): record each layer's gradient
        norm (nan where the layer got no gradient this step) and ‖ΔW‖/‖W‖, check for
        vanishing/exploding/non-finite gradients, and return the step's record."""
        if self._handles is None:
            raise RuntimeError("GradientMonitor.step: the monitor was removed (remove())")
        grad_norm, update_ratio, missing = {}, {}, set()
        for n, ps in self.params.items():
            got = [self._grads[id(p)] for p in ps if id(p) in self._grads]
            if not got:
                missing.add(n)
            grad_norm[n] = math.sqrt(sum(_sq_norm(g) for g in got)) if got else math.nan
            dw = sum(_sq_norm(p.data - w0) for p, w0 in zip(ps, self._before[n]))
            w = sum(_sq_norm(w0) for w0 in self._before[n])
            update_ratio[n] = _safe_div(math.sqrt(dw), math.sqrt(w))
        record = {"step": len(self.history), "grad_norm": grad_norm, "update_ratio": update_ratio}
        self.history.append(record)
        self._grads = {}
        self._before = self._snapshot()
        self._check(record, missing)
        return record

    def _alert(self, step: int, kind: str, layer: str, message: str) -> None:
        self.alerts.append({"step": step, "kind": kind, "layer": layer, "message": message})
        if self.warn and (kind, layer) not in self._warned:
            self._warned.add((kind, layer))
            warnings.warn(message, GradientWarning, stacklevel=4)  # at step()'s caller

    def _check(self, record: dict, missing: set) -> None:
        step, norms = record["step"], record["grad_norm"]
        for n, v in norms.items():
            if not math.isfinite(v) and n not in missing:
                self._alert(
                    step,
                    "nonfinite",
                    n,
                    f"layer {n!r}: gradient norm is {v} at step {step} (non-finite: an overflow "
                    "or a nan upstream)",
                )
            elif math.isfinite(v) and v > self.explode_threshold:
                self._alert(
                    step,
                    "exploding",
                    n,
                    f"layer {n!r}: gradient norm {v:.3g} at step {step} exceeds "
                    f"explode_threshold {self.explode_threshold:.3g} (exploding gradients)",
                )
        first, last = self.layers[0], self.layers[-1]
        g1, gL = norms[first], norms[last]
        if len(self.layers) > 1 and math.isfinite(g1) and math.isfinite(gL) and gL > 0:
            r = g1 / gL
            if r < self.vanish_ratio:
                self._alert(
                    step,
                    "vanishing",
                    first,
                    f"layer {first!r}: gradient norm {g1:.3g} at step {step} is {r:.3g} × that "
                    f"of the last layer {last!r} ({gL:.3g}), below vanish_ratio "
                    f"{self.vanish_ratio:.3g} (vanishing gradients)",
                )

    # -------------------------------------------------------------------- reading
    def _column(self, key: str, layer: str | None):
        if layer is not None and layer not in self.params:
            raise KeyError(f"GradientMonitor: no layer {layer!r}; layers: {', '.join(self.layers)}")
        names = self.layers if layer is None else [layer]
        out = np.array([[r[key][n] for n in names] for r in self.history], dtype=np.float64)
        out = out.reshape(len(self.history), len(names))
        return out if layer is None else out[:, 0]

    def grad_norms(self, layer: str | None = None):
        """‖∇‖ per step: shape (steps,) for one layer, else (steps, len(layers))."""
        return self._column("grad_norm", layer)

    def update_ratios(self, layer: str | None = None):
        """‖ΔW‖/‖W‖ per step: shape (steps,) for one layer, else (steps, len(layers))."""
        return self._column("update_ratio", layer)

    def ratio(self, step: int = -1, first: str | None = None, last: str | None = None) -> float:
        """‖∇ first‖ / ‖∇ last‖ at ``step`` (default the latest); first and last default to
        the first and last layers. ≈ 1: the first layer learns as fast as the last."""
        if not self.history:
            raise RuntimeError("GradientMonitor.ratio: no steps recorded yet (call step())")
        norms = self.history[step]["grad_norm"]
        first, last = first or self.layers[0], last or self.layers[-1]
        for n in (first, last):
            if n not in norms:
                raise KeyError(f"GradientMonitor: no layer {n!r}; layers: {', '.join(self.layers)}")
        return _safe_div(norms[first], norms[last])

    # -------------------------------------------------------------------- plot, detach
    def plot(self, path, title: str | None = None) -> str:
        """A PNG with two panels: each layer's gradient norm over the steps (log scale,
        colour by depth), and, per layer, the last step's gradient norm and the mean
        update-to-weight ratio. Returns ``path``."""
        if not self.history:
            raise RuntimeError("GradientMonitor.plot: no steps recorded yet (call step())")
        from ..plots import _pyplot

        plt = _pyplot()
        G, U = self.grad_norms(), self.update_ratios()
        steps = np.arange(len(self.history))
        fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
        cmap = plt.get_cmap("viridis")
        k = len(self.layers)
        for i, n in enumerate(self.layers):
            a.plot(steps, _positive(G[:, i]), color=cmap(i / max(k - 1, 1)), label=n, lw=1)
        a.set_yscale("log")
        a.set_xlabel("step")
        a.set_ylabel("gradient norm ‖∇W‖")
        a.set_title("per layer over steps (dark = first)")
        if k <= 12:
            a.legend(fontsize=7)
        x = np.arange(k)
        b.plot(x, _positive(G[-1]), marker="o", label="‖∇W‖, last step")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-nan columns
            b.plot(x, _positive(np.nanmean(U, axis=0)), marker="s", label="mean ‖ΔW‖/‖W‖")
        b.set_yscale("log")
        b.set_xticks(x, self.layers, rotation=60, ha="right", fontsize=7)
        b.set_title("per layer (first → last)")
        b.legend(fontsize=8)
        for ax in (a, b):
            ax.grid(alpha=0.3, which="both")
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)
        return str(path)

    def remove(self) -> None:
        """Detach the hooks; the recorded history stays."""
        for h in self._handles or ():
            h.remove()
        self._handles = None

    def __enter__(self) -> GradientMonitor:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

    def __repr__(self) -> str:
        return (
            f"GradientMonitor({len(self.layers)} layers: {self.layers[0]} … {self.layers[-1]}, "
            f"{len(self.history)} steps, {len(self.alerts)} alerts)"
        )


def _positive(v):
    """Zeros and non-finite values as nan, so a log-scale plot skips them."""
    v = np.asarray(v, dtype=np.float64).copy()
    v[~np.isfinite(v) | (v <= 0)] = np.nan
    return v
