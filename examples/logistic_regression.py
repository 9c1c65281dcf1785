"""Seed program 5, logistic regression on breast_cancer."""

from _loop import fit

import chainrule as cr
from chainrule import models
from chainrule.datasets.registry import load

cfg = models.config("logreg", "breast_cancer")
splits = load("breast_cancer", seed=0)
cr.manual_seed(0)
model = models.get("logreg").build(splits.info)
print(model)
score = fit(model, splits, cfg, every=50)
print(f"logreg on breast_cancer: test {cfg['metric']} {score:.4f} (target {cfg['target']})")
