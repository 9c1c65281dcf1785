"""The experiment behind ``chainrule diagnose gradients``: a 20-layer MLP (sigmoid with naive
init; ReLU with He init; BatchNorm; residual connections) and a long tanh RNN trained with and
without gradient clipping, each watched by a ``GradientMonitor``."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from .. import backend
from ..autograd import no_grad
from ..nn.module import Module
from .monitor import GradientMonitor, _safe_div

np = backend.np


NAIVE_STD = 0.01
MLP_VARIANTS = (
    # name, activation, init, BatchNorm, residual
    ("sigmoid, naive init", "sigmoid", "naive", False, False),
    ("relu, He init", "relu", "he", False, False),
    ("sigmoid, naive init + BatchNorm", "sigmoid", "naive", True, False),
    ("sigmoid, naive init + residual", "sigmoid", "naive", False, True),
)


class DeepMLP(Module):
    """``depth`` Linear layers (``layers.0`` … ``layers.{depth-1}``), n_in → width … → n_out.

    Hidden layer i computes a = act(BN(W x + b)) (BN only with ``batchnorm``) and passes on
    a, or x + a with ``residual`` (every hidden layer after the first, whose input width
    differs). ``init`` 'naive' draws W ~ N(0, 0.01²), the "small random numbers" of early
    tutorials; 'he' draws W ~ N(0, 2/fan_in) (``kaiming_normal_``); biases start at zero.
    """

    def __init__(
        self,
        depth: int,
        n_in: int,
        width: int,
        n_out: int,
        activation: str = "sigmoid",
        init: str = "naive",
        batchnorm: bool = False,
        residual: bool = False,
    ):
        super().__init__()
        from ..nn import BatchNorm1d, Linear, ModuleList
        from ..nn import init as nn_init

        if depth < 2:
            raise ValueError(f"DeepMLP: depth must be >= 2, got {depth}")
        if activation not in ("sigmoid", "relu", "tanh"):
            raise ValueError(
                f"DeepMLP: activation must be sigmoid, relu or tanh, got {activation!r}"
            )
        if init not in ("naive", "he"):
            raise ValueError(f"DeepMLP: init must be 'naive' or 'he', got {init!r}")
        dims = [n_in] + [width] * (depth - 1) + [n_out]
        self.layers = ModuleList([Linear(a, b) for a, b in zip(dims[:-1], dims[1:])])
        self.norms = (
            ModuleList([BatchNorm1d(width) for _ in range(depth - 1)]) if batchnorm else None
        )
        self.activation, self.residual = activation, residual
        for lin in self.layers:
            if init == "naive":
                nn_init.normal_(lin.weight, 0.0, NAIVE_STD)
            else:
                nn_init.kaiming_normal_(lin.weight, nonlinearity="relu")
            nn_init.zeros_(lin.bias)

    def forward(self, x):
        h = x.reshape(x.shape[0], -1)
        n = len(self.layers)
        for i in range(n - 1):
            z = self.layers[i](h)
            if self.norms is not None:
                z = self.norms[i](z)
            a = getattr(z, self.activation)()
            h = h + a if self.residual and i > 0 else a
        return self.layers[n - 1](h)


def build_mlp(
    variant: str, depth: int = 20, width: int = 64, n_in: int = 64, n_out: int = 10
) -> DeepMLP:
    """One of ``MLP_VARIANTS`` by name, e.g. ``build_mlp("relu, He init")``."""
    for name, act, init, bn, res in MLP_VARIANTS:
        if name == variant:
            return DeepMLP(depth, n_in, width, n_out, act, init, bn, res)
    names = ", ".join(repr(v[0]) for v in MLP_VARIANTS)
    raise ValueError(f"build_mlp: unknown variant {variant!r}; variants: {names}")


class _RNNRegressor(Module):
    """A tanh RNN read out by a Linear from its last hidden state: (B, T, 2) → (B, 1)."""

    def __init__(self, hidden: int, gain: float):
        super().__init__()
        from ..nn import RNN, Linear
        from ..nn import init as nn_init

        self.rnn = RNN(2, hidden, batch_first=True)
        self.head = Linear(hidden, 1)
        # W_hh ~ N(0, gain²/H): spectral radius ≈ gain; above 1 the tanh RNN is chaotic and
        # its gradients grow exponentially with the number of time steps
        nn_init.normal_(self.rnn.weight_hh_l0, 0.0, gain / math.sqrt(hidden))

    def forward(self, x):
        _, h = self.rnn(x)
        return self.head(h[0])


@dataclass
class MLPRun:
    """One MLP variant: gradient norms at init, then a short training run."""

    name: str
    layer_norms: list  # ‖∇W‖ of each Linear layer at step 0 (initialisation, first batch)
    ratios: list  # ‖∇ first‖ / ‖∇ last‖ per step
    losses: list  # minibatch loss per step
    first_update: list  # first layer's ‖ΔW‖/‖W‖ per step
    last_update: list  # last layer's ‖ΔW‖/‖W‖ per step
    checkpoints: list  # (step, train loss on the whole train split, test accuracy)
    alerts: dict  # kind -> number of steps the monitor flagged it
    monitor: GradientMonitor = field(repr=False)

    @property
    def ratio_init(self) -> float:
        return self.ratios[0]

    @property
    def test_accuracy(self) -> float:
        return self.checkpoints[-1][2]


@dataclass
class RNNRun:
    """The long RNN, trained with (``clip`` = max_norm) or without (None) clipping."""

    name: str
    clip: float | None
    grad_norms: list  # total gradient norm per step, before clipping
    applied_norms: list  # total norm of the gradient the optimizer used (after clipping)
    losses: list  # minibatch MSE per step
    diverged_at: int | None  # first step whose loss was non-finite (training stops there)
    alerts: dict
    monitor: GradientMonitor = field(repr=False)


@dataclass
class GradientExperiment:
    """What ``gradient_experiment`` measured; ``report()`` prints it, ``plot()`` draws it."""

    mlp: list
    rnn: list
    config: dict
    seconds: float = 0.0

    def run(self, name: str):
        for r in self.mlp + self.rnn:
            if r.name == name:
                return r
        names = ", ".join(repr(r.name) for r in self.mlp + self.rnn)
        raise KeyError(f"no run {name!r}; runs: {names}")

    def report(self, fmt: str = "table") -> str:
        from .report import _report

        return _report(self, fmt)

    def plot(self, path) -> str:
        from .report import _plot_experiment

        return _plot_experiment(self, path)


def _count_alerts(monitor: GradientMonitor) -> dict:
    out = {}
    for kind in ("vanishing", "exploding", "nonfinite"):
        out[kind] = len({a["step"] for a in monitor.alerts if a["kind"] == kind})
    return out


def _train_mlp(name, splits, depth, width, steps, batch_size, lr, seed, eval_every) -> MLPRun:
    from ..nn import functional as F
    from ..optim import Adam

    X, y = splits.train.tensors
    Xt, yt = splits.test.tensors
    n_in = int(np.prod(X.shape[1:]))
    n_out = int(splits.info.get("n_classes") or int(y.data.max()) + 1)
    backend.manual_seed(seed)
    model = build_mlp(name, depth, width, n_in, n_out)
    monitor = GradientMonitor(model, layers=[f"layers.{i}" for i in range(depth)], warn=False)
    opt = Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    losses, checkpoints = [], []

    def evaluate(step):
        model.eval()
        with no_grad():
            out = model(X)
            loss = float(F.cross_entropy(out, y))
            acc = float((model(Xt).data.argmax(1) == yt.data).mean())
        model.train()
        checkpoints.append((step, loss, acc))

    evaluate(0)
    for step in range(steps):
        idx = rng.integers(0, len(y), batch_size)
        opt.zero_grad()
        loss = F.cross_entropy(model(X[idx]), y[idx])
        loss.backward()
        opt.step()
        monitor.step()
        losses.append(float(loss))
        if (step + 1) % eval_every == 0 or step + 1 == steps:
            evaluate(step + 1)
    monitor.remove()
    G = monitor.grad_norms()
    return MLPRun(
        name=name,
        layer_norms=[float(v) for v in G[0]],
        ratios=[_safe_div(float(a), float(b)) for a, b in zip(G[:, 0], G[:, -1])],
        losses=losses,
        first_update=[float(v) for v in monitor.update_ratios(monitor.layers[0])],
        last_update=[float(v) for v in monitor.update_ratios(monitor.layers[-1])],
        checkpoints=checkpoints,
        alerts=_count_alerts(monitor),
        monitor=monitor,
    )


def _train_rnn(clip, X, y, hidden, gain, steps, batch_size, lr, seed) -> RNNRun:
    from ..nn import functional as F
    from ..nn.utils import clip_grad_norm_
    from ..nn.utils.clip_grad import get_total_norm
    from ..optim import SGD

    backend.manual_seed(seed)
    model = _RNNRegressor(hidden, gain)
    monitor = GradientMonitor(model, warn=False)
    opt = SGD(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    raw, applied, losses, diverged = [], [], [], None
    for step in range(steps):
        idx = rng.integers(0, len(y), batch_size)
        opt.zero_grad()
        loss = F.mse_loss(model(X[idx]), y[idx])
        loss.backward()
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        with np.errstate(over="ignore", invalid="ignore"):
            if clip is not None:
                clip_grad_norm_(model.parameters(), clip)
            applied.append(float(get_total_norm(grads)))
            opt.step()
        monitor.step()
        raw.append(math.sqrt(sum(v * v for v in monitor.history[-1]["grad_norm"].values())))
        losses.append(float(loss))
        if not math.isfinite(losses[-1]):
            diverged = step
            break
    monitor.remove()
    name = "no clipping" if clip is None else f"clip_grad_norm_(max_norm={clip:g})"
    return RNNRun(name, clip, raw, applied, losses, diverged, _count_alerts(monitor), monitor)


def gradient_experiment(
    depth: int = 20,
    width: int = 64,
    steps: int = 300,
    batch_size: int = 64,
    lr: float = 2e-3,
    seed: int = 0,
    dataset: str = "digits",
    rnn_len: int = 100,
    rnn_hidden: int = 32,
    rnn_gain: float = 2.0,
    rnn_steps: int = 100,
    rnn_lr: float = 0.05,
    max_norm: float = 1.0,
    variants: list[str] | None = None,
) -> GradientExperiment:
    """Measure gradient flow through depth (the seed's interview questions 8 and 9).

    Part 1 trains each of ``MLP_VARIANTS`` (a ``depth``-layer MLP on ``dataset``, Adam ``lr``,
    ``steps`` minibatches of ``batch_size``) under a ``GradientMonitor`` and records, per
    step, each layer's ‖∇W‖, the first/last ratio ‖∇W₁‖/‖∇W_depth‖ and ‖ΔW‖/‖W‖.

    Part 2 trains a tanh RNN (``rnn_hidden`` units, W_hh ~ N(0, rnn_gain²/H)) on the adding
    problem over ``rnn_len`` time steps with SGD ``rnn_lr``, with and without
    ``clip_grad_norm_(max_norm)``, recording the gradient norm before and after clipping.

    Deterministic under ``seed``. The defaults take a few seconds.
    """
    from ..datasets import adding_problem, registry

    t0 = time.perf_counter()
    for name, value in (("depth", depth), ("width", width), ("steps", steps)):
        if not isinstance(value, int) or value < (2 if name == "depth" else 1):
            raise ValueError(f"gradient_experiment: {name} must be a positive int, got {value!r}")
    known = [v[0] for v in MLP_VARIANTS]
    variants = known if variants is None else list(variants)
    bad = [v for v in variants if v not in known]
    if bad:
        raise ValueError(
            f"gradient_experiment: unknown variant(s) {', '.join(map(repr, bad))}; "
            f"variants: {', '.join(map(repr, known))}"
        )
    splits = registry.load(dataset, seed=seed)
    if splits.info.get("task") != "classification":
        raise ValueError(
            f"gradient_experiment: dataset {dataset!r} is a {splits.info.get('task')} dataset; "
            "a classification dataset is needed"
        )
    eval_every = max(1, steps // 5)
    mlp = [
        _train_mlp(v, splits, depth, width, steps, batch_size, lr, seed, eval_every)
        for v in variants
    ]
    X, y = adding_problem(1024, seq_len=rnn_len, seed=seed)
    rnn = [
        _train_rnn(clip, X, y, rnn_hidden, rnn_gain, rnn_steps, batch_size, rnn_lr, seed)
        for clip in (None, max_norm)
    ]
    config = dict(
        depth=depth, width=width, steps=steps, batch_size=batch_size, lr=lr, seed=seed,
        dataset=dataset, n_train=len(splits.train), n_test=len(splits.test),
        n_in=int(np.prod(splits.train.tensors[0].shape[1:])),
        n_out=int(splits.info.get("n_classes")), rnn_len=rnn_len, rnn_hidden=rnn_hidden,
        rnn_gain=rnn_gain, rnn_steps=rnn_steps, rnn_lr=rnn_lr, max_norm=max_norm,
        mean_baseline=float(((y.data - y.data.mean()) ** 2).mean()),
    )  # fmt: skip
    return GradientExperiment(mlp, rnn, config, time.perf_counter() - t0)
