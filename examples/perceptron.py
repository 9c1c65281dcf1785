"""Seed program 1, the sigmoid perceptron: p = σ(w·x + b) on breast_cancer, target ≥ 0.95."""

from _loop import fit

import chainrule as cr
from chainrule import models
from chainrule.datasets.registry import load

cfg = models.config("perceptron", "breast_cancer")
splits = load("breast_cancer", seed=0)
cr.manual_seed(0)
model = models.get("perceptron").build(splits.info)
print(model)
score = fit(model, splits, cfg)
print(f"perceptron on breast_cancer: test {cfg['metric']} {score:.4f} (target {cfg['target']})")
