"""Shapes from a dataset's ``info``, shared by the model files."""

from __future__ import annotations

import math


def n_inputs(info: dict, model: str) -> int:
    """Input width: ``info['n_features']`` as an int, or the product of an image's (C, H, W)."""
    if "n_features" not in info:
        raise ValueError(f"{model}: info has no 'n_features' (keys: {sorted(info)})")
    n = info["n_features"]
    n = math.prod(n) if isinstance(n, (tuple, list)) else n
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"{model}: n_features must be a positive int or shape, got {n!r}")
    return n


def n_outputs(info: dict, model: str) -> int:
    """Output width: ``n_classes`` logits for classification, one value otherwise."""
    k = info.get("n_classes")
    if info.get("task", "classification") != "classification" or k is None:
        return 1
    if not isinstance(k, int) or k < 2:
        raise ValueError(f"{model}: n_classes must be an int >= 2, got {k!r}")
    return k
