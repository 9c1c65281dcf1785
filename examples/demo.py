"""The demo: fit y = 3x − 2 + noise by gradient descent, with the four steps of backprop.

1. forward   ŷ = w·x + b
2. loss      L = mean((ŷ − y)²)
3. backward  ∂L/∂w, ∂L/∂b by the chain rule (loss.backward())
4. update    w ← w − α·∂L/∂w
"""

import chainrule as cr

cr.manual_seed(0)
x = cr.randn(256, 1)
y = 3 * x - 2 + 0.1 * cr.randn(256, 1)

w = cr.zeros(1, 1, requires_grad=True)
b = cr.zeros(1, requires_grad=True)
lr = 0.1

for step in range(101):
    y_hat = x @ w + b  # 1. forward
    loss = ((y_hat - y) ** 2).mean()  # 2. loss
    w.grad = b.grad = None
    loss.backward()  # 3. backward: the chain rule
    with cr.no_grad():  # 4. update: w ← w − α∇
        w -= lr * w.grad
        b -= lr * b.grad
    if step % 10 == 0:
        print(f"step {step:3d}  loss {loss.item():.5f}  w {w.item():+.4f}  b {b.item():+.4f}")

print(f"fitted y = {w.item():.3f}·x {b.item():+.3f}  (true: y = 3x − 2)")
