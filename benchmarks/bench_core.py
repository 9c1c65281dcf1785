"""Core benchmark: chainrule against PyTorch in one process, same data, printing ratios.

Workloads (issue #2):
- op overhead: a tiny element-wise op, forward and backward;
- small MLP 64-128-64-10, ReLU, softmax cross-entropy, batch 64, float32, SGD step;
- large MLP 784-512-512-10, batch 128.

Method (``harness.compare``): each library runs in its own timed block, blocks alternate
(A B A B), with a short pause between them so that spinning OpenBLAS threads don't steal a core
from torch. The figure is the median step time over all blocks; the ratio is chainrule / torch.
The whole suite, with the peers and RESULTS.md, is ``run.py``.

    python benchmarks/bench_core.py [--rounds 7] [--steps 50]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from harness import compare

import chainrule as cr
import chainrule.nn.functional as F


# ------------------------------------------------------------------ op overhead
def op_overhead(rounds, steps):
    a = np.random.default_rng(0).standard_normal((8, 8)).astype(np.float32)
    xc, xt = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)

    def step_cr():
        (xc * 2.0).sum().backward()

    def step_t():
        (xt * 2.0).sum().backward()

    return compare("op overhead (mul+sum, fwd+bwd)", step_cr, step_t, rounds, steps * 10)


# ------------------------------------------------------------------ MLPs
def init_mlp(sizes, seed=0):
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, (fan_out,)).astype(np.float32))
    return params


def mlp_steps(sizes, batch, lr=0.01, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch)
    arrays = init_mlp(sizes, seed)

    pc = [cr.tensor(p, requires_grad=True) for p in arrays]
    xc, yc = cr.tensor(x), cr.tensor(y)

    def step_cr():
        h = xc
        for i in range(0, len(pc), 2):
            h = h @ pc[i] + pc[i + 1]
            if i + 2 < len(pc):
                h = h.relu()
        loss = F.cross_entropy(h, yc)
        for p in pc:
            p.grad = None
        loss.backward()
        for p in pc:  # plain SGD: w ← w − α∇
            p.data -= lr * p.grad.data
        return loss

    pt = [torch.tensor(p, requires_grad=True) for p in arrays]
    xt, yt = torch.tensor(x), torch.tensor(y)

    def step_t():
        h = xt
        for i in range(0, len(pt), 2):
            h = h @ pt[i] + pt[i + 1]
            if i + 2 < len(pt):
                h = h.relu()
        loss = torch.nn.functional.cross_entropy(h, yt)
        for p in pt:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in pt:
                p -= lr * p.grad
        return loss

    # Same data and weights: the first losses must agree before timing means anything.
    lc, lt = float(step_cr().item()), float(step_t().item())
    assert abs(lc - lt) < 1e-4 * max(1, abs(lt)), (lc, lt)
    return step_cr, step_t


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--steps", type=int, default=50)
    args = ap.parse_args()
    print(
        f"numpy {np.__version__}, torch {torch.__version__} ({torch.get_num_threads()} "
        f"threads), chainrule {cr.__version__}"
    )
    r = {}
    r["op"] = op_overhead(args.rounds, args.steps)
    r["small"] = compare(
        "small MLP 64-128-64-10 b64", *mlp_steps([64, 128, 64, 10], 64), args.rounds, args.steps * 4
    )
    r["large"] = compare(
        "large MLP 784-512-512-10 b128",
        *mlp_steps([784, 512, 512, 10], 128),
        args.rounds,
        args.steps,
    )
    print(
        f"targets: small MLP ≤ 0.60 (got {r['small']:.2f}), large MLP ≤ 0.95 (got {r['large']:.2f})"
    )


if __name__ == "__main__":
    main()
