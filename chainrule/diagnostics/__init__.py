"""Gradient-flow diagnostics: each layer's gradient norm and update size, step by step.

    monitor = cr.diagnostics.GradientMonitor(model)
    for x, y in loader:
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()      # tensor hooks record every layer's gradient
        optimizer.step()
        monitor.step()                       # closes the step: norms, ‖Δw‖/‖w‖, warnings
    monitor.grad_norms("layers.0")           # (steps,) array
    monitor.ratio()                          # ‖∇ first layer‖ / ‖∇ last layer‖, last step
    monitor.plot("gradients.png")

``gradient_experiment()`` (``chainrule diagnose gradients``) measures how gradients flow
through a 20-layer MLP (sigmoid with naive init; ReLU with He init; BatchNorm; residual
connections) and through a long tanh RNN trained with and without gradient clipping.
"""

from .experiment import (
    MLP_VARIANTS,
    DeepMLP,
    GradientExperiment,
    MLPRun,
    RNNRun,
    build_mlp,
    gradient_experiment,
)
from .monitor import GradientMonitor, GradientWarning
from .report import add_cli

__all__ = [
    "GradientWarning",
    "GradientMonitor",
    "DeepMLP",
    "MLP_VARIANTS",
    "MLPRun",
    "RNNRun",
    "GradientExperiment",
    "gradient_experiment",
    "build_mlp",
    "add_cli",
]
