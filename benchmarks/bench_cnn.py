"""CNN benchmark: one training step of a small MNIST-shaped network, chainrule against PyTorch.

Network (issue: convolution and pooling), batch 64, input 1×28×28, float32:
conv3×3(1→16, pad 1) + ReLU + maxpool 2 → conv3×3(16→32, pad 1) + ReLU + maxpool 2 →
flatten → linear 1568→10 → softmax cross-entropy, then a plain SGD update written by hand.

Both libraries start from the same weights and data; the first losses must agree before
anything is timed. Method: each library runs in its own timed block, blocks alternate
(A B A B) with a 0.1 s pause between them; the figure is the median step time, and the ratio
is chainrule / torch.

    python benchmarks/bench_cnn.py [--rounds 9] [--steps 20] [--threads N]

Memory: chainrule's backend keeps freed heap mapped (glibc M_TOP_PAD, 64 MB) for the whole
process; without that, each step's large NumPy temporaries page-faulted back in every step
(about 1,800 minor faults per step). The page-fault counts are printed.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F
from harness import timed_block

import chainrule as cr
from chainrule.functions.activation import log_softmax, relu
from chainrule.functions.conv import conv2d
from chainrule.functions.pooling import max_pool2d

B, LR = 64, 0.01


def make_weights(rng):
    def u(shape, fan_in):
        bound = 1 / np.sqrt(fan_in)
        return rng.uniform(-bound, bound, size=shape).astype(np.float32)

    return [
        u((16, 1, 3, 3), 9),
        u((16,), 9),
        u((32, 16, 3, 3), 144),
        u((32,), 144),
        u((10, 32 * 7 * 7), 32 * 7 * 7),
        u((10,), 32 * 7 * 7),
    ]


def chainrule_step(params, x, onehot):
    W1, b1, W2, b2, W3, b3 = params

    def step():
        h = max_pool2d(relu(conv2d(x, W1, b1, padding=1)), 2)
        h = max_pool2d(relu(conv2d(h, W2, b2, padding=1)), 2)
        z = h.reshape(B, -1) @ W3.T + b3
        loss = -(log_softmax(z, dim=1) * onehot).sum() / B
        for p in params:
            p.grad = None
        loss.backward()
        for p in params:
            p.data -= LR * p.grad.data
        return loss

    return step


def torch_step(params, x, y):
    W1, b1, W2, b2, W3, b3 = params

    def step():
        h = F.max_pool2d(F.relu(F.conv2d(x, W1, b1, padding=1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, W2, b2, padding=1)), 2)
        z = h.reshape(B, -1) @ W3.T + b3
        loss = F.cross_entropy(z, y)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
        return loss

    return step


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--threads", type=int, default=None, help="BLAS/torch threads (default: all)")
    args = ap.parse_args()
    if args.threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
        torch.set_num_threads(args.threads)

    rng = np.random.default_rng(0)
    weights = make_weights(rng)
    images = rng.random((B, 1, 28, 28)).astype(np.float32)
    images[:, :, :2] = 0  # MNIST-like zero borders: exact ties in the max pools
    labels = rng.integers(0, 10, size=B)
    onehot = np.eye(10, dtype=np.float32)[labels]

    ours = [cr.tensor(w.copy(), requires_grad=True) for w in weights]
    theirs = [torch.tensor(w.copy(), requires_grad=True) for w in weights]
    step_cr = chainrule_step(ours, cr.tensor(images), cr.tensor(onehot))
    step_t = torch_step(theirs, torch.from_numpy(images), torch.from_numpy(labels))

    l_cr, l_t = float(step_cr().item()), float(step_t().item())
    print(f"first losses: chainrule {l_cr:.6f}  torch {l_t:.6f}")
    assert abs(l_cr - l_t) <= 1e-5 * max(1.0, abs(l_t)), "first losses disagree"
    l_cr, l_t = float(step_cr().item()), float(step_t().item())  # after one identical update
    assert abs(l_cr - l_t) <= 1e-4 * max(1.0, abs(l_t)), f"second losses {l_cr} vs {l_t}"

    for _ in range(5):
        step_cr()
        step_t()
    faults = []
    for step in (step_cr, step_t):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(10):
            step()
        faults.append((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10)
    a_times, b_times, ratios = [], [], []
    for _ in range(args.rounds):
        time.sleep(0.1)
        a = timed_block(step_cr, args.steps)
        time.sleep(0.1)
        b = timed_block(step_t, args.steps)
        a_times += a
        b_times += b
        ratios.append(statistics.median(a) / statistics.median(b))
    a, b = statistics.median(a_times), statistics.median(b_times)
    print(
        f"torch threads {torch.get_num_threads()}, {args.rounds} rounds × {args.steps} steps, "
        f"minor page faults per step: "
        f"chainrule {faults[0]:.0f}, torch {faults[1]:.0f}"
    )
    print(f"chainrule {a * 1e3:7.2f} ms   torch {b * 1e3:7.2f} ms   ratio {a / b:.2f}")
    print(
        f"per-round ratios: min {min(ratios):.2f}  median {statistics.median(ratios):.2f}  "
        f"max {max(ratios):.2f}"
    )


if __name__ == "__main__":
    main()
