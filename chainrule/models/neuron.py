"""One linear neuron and one gradient step, by hand and by autograd (seed §5).

For a sample x ∈ ℝ³ with target y, the neuron predicts ŷ = x·w and the loss is
L = (ŷ − y)². The chain rule gives

    ∂L/∂w = 2(ŷ − y)·∂ŷ/∂w = −2·x·(y − ŷ)

(over N samples with L = mean((ŷ − y)²): −(2/N)·Σ x_i (y_i − ŷ_i)). The seed's program wrote
``-2 * (y - forward(x, weights))`` and so dropped the factor x; ``fit`` prints the autograd
gradient next to the hand-derived one, then takes the step w ← w − α·∂L/∂w and shows the loss
fall (it does whenever α < 1/‖x‖²; here ‖x‖² = 14).
"""

from __future__ import annotations

from collections.abc import Callable

from .. import backend, nn
from ..autograd import no_grad
from ..creation import tensor
from ..data import TensorDataset
from ._loop import Loop

np = backend.np

DEFAULTS = {
    "dataset": "seed_sample",  # the seed's one sample, not in the registry: see ``data``
    "epochs": 1,  # one step
    "batch_size": 1,
    "lr": 0.01,
    "optimizer": "sgd",
    "loss": "mse",
    "metric": "loss",
    "target": None,  # the check is that the loss falls and the gradient matches the formula
}

X_SEED = [[1.0, 2.0, 3.0]]  # x = np.array([1, 2, 3])
Y_SEED = [[5.0]]  # y = np.array([5])


def data(seed: int = 0):
    """The seed's sample as ``Splits(train, test, info)``; train and test are the same row."""
    from ..datasets.registry import Splits

    X, y = tensor(X_SEED), tensor(Y_SEED)
    info = {"name": "seed_sample", "task": "regression", "n_features": 3, "n_classes": None,
            "n_train": 1, "n_test": 1}  # fmt: skip
    return Splits(TensorDataset(X, y), TensorDataset(X, y), info)


class Neuron(nn.Module):
    """ŷ = x·w with w of shape (in,), no bias, started like ``np.random.rand``: U[0, 1)."""

    def __init__(self, in_features: int = 3):
        super().__init__()
        self.linear = nn.Linear(in_features, 1, bias=False)
        nn.init.uniform_(self.linear.weight, 0.0, 1.0)

    def forward(self, x):
        return self.linear(x)


def build(info: dict | None = None, **hparams) -> nn.Module:
    """A neuron with ``info['n_features']`` inputs (3 for the seed's sample)."""
    if hparams:
        raise ValueError(f"neuron: unknown hyperparameters {sorted(hparams)}")
    n = 3 if info is None else info.get("n_features", 3)
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"neuron: n_features must be a positive int, got {n!r}")
    return Neuron(n)


def hand_gradient(x, y, w):
    """The closed form −(2/N)·Σ x_i (y_i − x_i·w), in float64: (N, in), (N, 1), (in,) → (in,)."""
    x, y, w = (np.asarray(a, dtype=np.float64) for a in (x, y, w))
    residual = y.reshape(-1) - x @ w.reshape(-1)
    return -2.0 / x.shape[0] * (x * residual[:, None]).sum(0)


def fit(model: Neuron, splits, config: dict, log: Callable[[int, dict], None], loop=None) -> dict:
    """``config['epochs']`` full-batch gradient steps of size ``config['lr']`` on the training
    rows. Logs and returns the loss before and after, the autograd gradient of the last step and
    the hand-derived one. ``loop`` (a ``Loop``) checkpoints the weight after each step; a resume
    with more epochs takes the further steps."""
    x, y = splits.train.tensors
    x, y = x.to(model.linear.weight.device), y.to(model.linear.weight.device)
    lr, steps = float(config.get("lr", DEFAULTS["lr"])), int(config.get("epochs", 1))
    if not lr > 0 or steps < 1:
        raise ValueError(f"neuron: need lr > 0 and epochs >= 1, got lr {lr}, epochs {steps}")
    w = model.linear.weight
    loop = Loop() if loop is None else loop
    run = loop.start(None, {"model": model}, state={"first_loss": None})
    metrics: dict = {}
    for epoch, _ in loop.steps(steps, 1):
        loss = ((model(x) - y) ** 2).mean()  # 1. forward, 2. loss
        if run["first_loss"] is None:
            run["first_loss"] = loss.item()
        w.grad = None
        loss.backward()  # 3. backward: ∂L/∂w by the chain rule
        grad = w.grad.numpy().reshape(-1).astype(np.float64)
        by_hand = hand_gradient(x.numpy(), y.numpy(), w.detach().numpy())
        with no_grad():  # 4. update: w ← w − α·∂L/∂w
            w -= lr * w.grad
        with no_grad():
            after = ((model(x) - y) ** 2).mean().item()
        metrics = {"loss_before": loss.item(), "loss": after, "grad": grad.tolist(),
                   "grad_by_hand": by_hand.tolist()}  # fmt: skip
        log(epoch, metrics)
    metrics["first_loss"] = run["first_loss"]
    return metrics
