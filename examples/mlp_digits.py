"""Seed program 3, input–hidden–output network on the 8×8 digits, target ≥ 0.97."""

from _loop import fit

import chainrule as cr
from chainrule import models
from chainrule.datasets.registry import load

cfg = models.config("mlp", "digits")
splits = load("digits", seed=0)
cr.manual_seed(0)
model = models.get("mlp").build(splits.info)
print(model)
score = fit(model, splits, cfg)
print(f"mlp on digits: test {cfg['metric']} {score:.4f} (target {cfg['target']})")
