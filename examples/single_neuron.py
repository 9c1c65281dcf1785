"""Seed §5: one linear neuron ŷ = x·w, one gradient step, gradient checked by hand.

The seed computed ``-2 * (y - forward(x, weights))`` and lost the factor x; by the chain rule
∂(ŷ − y)²/∂w = −2·x·(y − ŷ). Autograd and the formula agree, and the loss falls after the step.
"""

import chainrule as cr
from chainrule import models

neuron = models.get("neuron")
cr.manual_seed(0)
splits = neuron.data()  # x = [1, 2, 3], y = 5
model = neuron.build(splits.info)


def log(step, m):
    print(f"step {step}: loss {m['loss_before']:.4f} → {m['loss']:.4f}")
    print(f"  autograd ∂L/∂w   {[round(g, 5) for g in m['grad']]}")
    print(f"  −2·x·(y − ŷ)     {[round(g, 5) for g in m['grad_by_hand']]}")


neuron.fit(model, splits, {"lr": 0.01, "epochs": 1}, log)
print("updated weights:", model.linear.weight.detach().numpy().round(4))
