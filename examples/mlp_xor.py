"""Seed program 2, the MLP training loop: XOR (4 points, 100%) and moons (≥ 0.97)."""

from _loop import fit

import chainrule as cr
from chainrule import models
from chainrule.datasets.registry import load

cfg = models.config("mlp", "xor")
splits = load("xor", seed=0)
cr.manual_seed(0)
model = models.get("mlp").build(splits.info)
print(model)
score = fit(model, splits, cfg, every=100)
print(f"mlp on xor: test {cfg['metric']} {score:.4f} (target {cfg['target']})")

cfg = models.config("mlp", "moons")
splits = load("moons", seed=0)
cr.manual_seed(0)
model = models.get("mlp").build(splits.info)
score = fit(model, splits, cfg, every=20)
print(f"mlp on moons: test accuracy {score:.4f} (target {cfg['target']})")
