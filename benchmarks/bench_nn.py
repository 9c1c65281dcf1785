"""nn benchmark: models built from layers and optimizers, chainrule against PyTorch.

Workloads (issue #3), each a full training step (forward, loss, backward, optimizer step):
- small MLP 64-128-64-10, batch 64, from ``nn.Linear`` + ReLU, with SGD and with Adam;
- large MLP 784-512-512-10, batch 128, likewise;
- CNN on 1×28×28, batch 64: conv3×3(1→16, pad 1)+ReLU+maxpool2, conv3×3(16→32, pad 1)+ReLU+
  maxpool2, flatten, linear→10; softmax cross-entropy; SGD.

Both libraries get the same weights and data, and the first losses must agree. Timing as in
``bench_core.py``: alternating blocks with pauses, medians, ratio chainrule / torch.

    python benchmarks/bench_nn.py [--rounds 7] [--steps 30]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from harness import compare
from workloads import cnn, mlp

import chainrule as cr
import chainrule.nn.functional as F


def twin_steps(make, x, y, opt_name, lr):
    """A chainrule model and its torch twin with the same weights; one step function each."""
    ours, theirs = make(cr), make(torch)
    with torch.no_grad():
        for (_, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            q.copy_(torch.from_numpy(p.data.copy()))
    opt_c = (
        cr.optim.SGD(ours.parameters(), lr=lr)
        if opt_name == "sgd"
        else cr.optim.Adam(ours.parameters(), lr=lr)
    )
    opt_t = (
        torch.optim.SGD(theirs.parameters(), lr=lr)
        if opt_name == "sgd"
        else torch.optim.Adam(theirs.parameters(), lr=lr)
    )
    xc, yc = cr.tensor(x), cr.tensor(y)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step_cr():
        loss = F.cross_entropy(ours(xc), yc)
        opt_c.zero_grad()
        loss.backward()
        opt_c.step()
        return loss

    def step_t():
        loss = torch.nn.functional.cross_entropy(theirs(xt), yt)
        opt_t.zero_grad()
        loss.backward()
        opt_t.step()
        return loss

    lc, lt = float(step_cr().item()), float(step_t().item())
    assert abs(lc - lt) < 1e-4 * max(1.0, abs(lt)), (lc, lt)
    return step_cr, step_t


def data(shape, classes, seed=0):
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal(shape).astype(np.float32),
        rng.integers(0, classes, shape[0]).astype(np.int64),
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--steps", type=int, default=30)
    args = ap.parse_args()
    cr.manual_seed(0)
    print(
        f"numpy {np.__version__}, torch {torch.__version__} ({torch.get_num_threads()} "
        f"threads), chainrule {cr.__version__}"
    )
    r = {}
    for opt in ("sgd", "adam"):
        x, y = data((64, 64), 10)
        r[f"small-{opt}"] = compare(
            f"small MLP nn.Linear+{opt} b64",
            *twin_steps(lambda lib: mlp(lib, [64, 128, 64, 10]), x, y, opt, 0.01),
            args.rounds,
            args.steps * 4,
        )
        x, y = data((128, 784), 10)
        r[f"large-{opt}"] = compare(
            f"large MLP nn.Linear+{opt} b128",
            *twin_steps(lambda lib: mlp(lib, [784, 512, 512, 10]), x, y, opt, 0.01),
            args.rounds,
            args.steps,
        )
    x, y = data((64, 1, 28, 28), 10)
    r["cnn"] = compare(
        "CNN conv16-pool-conv32-pool-fc b64",
        *twin_steps(cnn, x, y, "sgd", 0.01),
        args.rounds,
        max(args.steps // 2, 5),
    )
    print(
        f"targets: small MLP ≤ 0.60 (SGD {r['small-sgd']:.2f}, Adam {r['small-adam']:.2f}); "
        f"large MLP ≤ 0.95 (SGD {r['large-sgd']:.2f}, Adam {r['large-adam']:.2f}); "
        f"CNN ≤ 1.5 ({r['cnn']:.2f})"
    )


if __name__ == "__main__":
    main()
