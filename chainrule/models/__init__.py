"""The seed's models, one small file each: ``cr.models.get("mlp").build(info)``.

Each model module defines ``DEFAULTS`` (dataset, epochs, batch_size, lr, optimizer, loss,
metric, target) and ``build(info, **hparams) -> cr.nn.Module``. A model that makes its own
splits (the neuron, the recurrent models) defines ``data(seed)``, and ``DEFAULTS['dataset']``
names them. A model with its own training procedure (the neuron, charlm, the GANs) also defines
``fit(model, splits, config, log, loop=None)``, checkpointed and resumable through a
``_loop.Loop``; a generative one defines ``sample(model, n, seed)``. Optional ``PRESETS`` maps
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


__all__ = ["NAMES", "config", "get", "names"]
