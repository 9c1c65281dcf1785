"""The seed's models, one small file each: ``cr.models.get("mlp").build(info)``.

Each model module defines ``DEFAULTS`` (dataset, epochs, batch_size, lr, optimizer, loss,
metric, target) and ``build(info, **hparams) -> cr.nn.Module``. A model that makes its own
splits (the neuron, the recurrent models) defines ``data(seed)``, and ``DEFAULTS['dataset']``
names them. A model with its own training procedure (the neuron, charlm, the GANs) also defines
``fit(model, splits, config, log, loop=None)``, checkpointed and resumable through a
``_loop.Loop``; a generative one defines ``sample(model, n, seed)``. ``objective`` gives a
model's training loss on one small batch (what ``chainrule gradcheck`` checks); a model whose
loss is not one of ``train.LOSSES`` on ``model(x)`` defines its own ``objective(model, splits,
n, seed)``. Optional ``PRESETS`` maps
a dataset name to the hyperparameters that replace ``DEFAULTS`` when the model is trained on it.

>>> from chainrule import models
>>> mlp = models.get("mlp"); net = mlp.build({"n_features": (1, 8, 8), "n_classes": 10})
"""

from __future__ import annotations

import importlib
from types import ModuleType

# name -> module under chainrule.models; imported only when asked for, so a model whose file
# (or whose dependencies) is missing does not break the others.
NAMES: dict[str, str] = {
    "neuron": "neuron",
    "perceptron": "perceptron",
    "mlp": "mlp",
    "linreg": "linreg",
    "logreg": "logreg",
    "cnn": "cnn",
    "rnn": "rnn",
    "lstm": "lstm",
    "gru": "gru",
    "charlm": "charlm",
    "gan": "gan",
    "dcgan": "dcgan",
}


def names() -> list[str]:
    """All model names, in the seed's order."""
    return list(NAMES)


def get(name: str) -> ModuleType:
    """The module of model ``name`` (with ``DEFAULTS`` and ``build``).

    Raises ValueError for an unknown name, listing the valid ones.
    """
    if not isinstance(name, str) or name not in NAMES:
        raise ValueError(f"unknown model {name!r}; valid models: {', '.join(NAMES)}")
    return importlib.import_module(f"{__name__}.{NAMES[name]}")


def config(name: str, dataset: str | None = None) -> dict:
    """``DEFAULTS`` of model ``name``, updated with its ``PRESETS[dataset]`` when there is one."""
    module = get(name)
    cfg = dict(module.DEFAULTS)
    presets = getattr(module, "PRESETS", {})
    dataset = dataset or cfg.get("dataset")
    if dataset in presets:
        cfg.update(presets[dataset])
        cfg["dataset"] = dataset
    elif dataset is not None:
        cfg["dataset"] = dataset
    return cfg


def objective(name: str, model, splits, n: int = 4, seed: int = 0):
    """``(loss_fn, batch)``: ``loss_fn(model, batch)`` is model ``name``'s training loss on
    ``batch``, ``n`` training samples drawn with ``seed`` (the form ``check_model`` takes).

    The model's own ``objective`` when it has one (its loss is not a plain function of
    ``model(x)``), else the configured loss of ``train.compute_loss`` on ``model(x)``.
    """
    module = get(name)
    if hasattr(module, "objective"):
        return module.objective(model, splits, n, seed)
    from .. import backend
    from ..data.dataloader import default_collate
    from ..train import compute_loss

    loss = config(name, splits.info.get("name"))["loss"]
    rows = backend.np.random.default_rng(seed).permutation(len(splits.train))[:n]
    batch = default_collate([splits.train[int(i)] for i in rows])
    return (lambda m, b: compute_loss(loss, m(b[0]), b[1])), tuple(batch)


__all__ = ["NAMES", "config", "get", "names", "objective"]
