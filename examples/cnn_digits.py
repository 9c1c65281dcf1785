"""Seed program 6, a LeNet-style CNN on the 8×8 digits, target ≥ 0.985."""

from _loop import fit

import chainrule as cr
from chainrule import models
from chainrule.datasets.registry import load

cfg = models.config("cnn", "digits")
splits = load("digits", seed=0)
cr.manual_seed(0)
model = models.get("cnn").build(splits.info)
print(model)
score = fit(model, splits, cfg)
print(f"cnn on digits: test {cfg['metric']} {score:.4f} (target {cfg['target']})")
