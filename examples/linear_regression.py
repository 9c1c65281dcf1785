"""Seed program 4, linear regression on diabetes; compared with least squares."""

import numpy as np
from _loop import fit

import chainrule as cr
from chainrule import models
from chainrule.datasets.registry import load

cfg = models.config("linreg", "diabetes")
splits = load("diabetes", seed=0)
cr.manual_seed(0)
model = models.get("linreg").build(splits.info)
print(model)
score = fit(model, splits, cfg, every=50)
print(f"linreg on diabetes: test {cfg['metric']} {score:.4f} (target {cfg['target']})")

# The closed form on the same split: [w; b] = lstsq([X 1], y).
(X, y), (X_test, y_test) = splits.train.tensors, splits.test.tensors
ones = lambda A: cr.cat([A, cr.ones(A.shape[0], 1)], dim=1)  # noqa: E731
coef = cr.from_numpy(np.linalg.lstsq(ones(X).numpy(), y.numpy(), rcond=None)[0])
r2 = 1 - ((y_test - ones(X_test) @ coef) ** 2).sum() / ((y_test - y_test.mean()) ** 2).sum()
print(f"least squares: test r2 {r2.item():.4f}")
