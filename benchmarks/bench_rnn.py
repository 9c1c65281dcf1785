"""Recurrent benchmark: an LSTM (and a GRU) training step, chainrule against torch.nn.

Workload (issue #4): sequence 50, batch 32, input 8, hidden 64, float32; the loss is the MSE
of a linear readout of the last hidden state; full backpropagation through time; SGD update.
Same weights and data on both sides; the first losses must agree before timing.

    cd benchmarks && ../.venv/bin/python bench_rnn.py [--rounds 7] [--steps 20] [--torch-threads 1]
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from harness import compare  # noqa: E402

import chainrule as cr  # noqa: E402
import chainrule.nn.functional as F  # noqa: E402
from chainrule.nn.recurrent import GRU, LSTM  # noqa: E402

T, B, IN, H, OUT = 50, 32, 8, 64, 4


def rnn_steps(kind, lr=0.05, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((T, B, IN)).astype(np.float32)
    y = rng.standard_normal((B, OUT)).astype(np.float32)
    torch.manual_seed(seed)
    rnn_t = (torch.nn.LSTM if kind == "LSTM" else torch.nn.GRU)(IN, H)
    head_t = torch.nn.Linear(H, OUT)
    rnn_c = (LSTM if kind == "LSTM" else GRU)(IN, H)
    head_c = cr.nn.Linear(H, OUT)
    rnn_c.load_state_dict(rnn_t.state_dict())
    head_c.load_state_dict(head_t.state_dict())
    params_c = list(rnn_c.parameters()) + list(head_c.parameters())
    params_t = list(rnn_t.parameters()) + list(head_t.parameters())
    xc, yc = cr.tensor(x), cr.tensor(y)
    xt, yt = torch.tensor(x), torch.tensor(y)

    def step_cr():
        _, hn = rnn_c(xc)
        h = hn[0] if kind == "LSTM" else hn
        loss = F.mse_loss(head_c(h[-1]), yc)
        for p in params_c:
            p.grad = None
        loss.backward()
        for p in params_c:
            p.data -= lr * p.grad.data
        return loss

    def step_t():
        _, hn = rnn_t(xt)
        h = hn[0] if kind == "LSTM" else hn
        loss = torch.nn.functional.mse_loss(head_t(h[-1]), yt)
        for p in params_t:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params_t:
                p -= lr * p.grad
        return loss

    for _ in range(3):  # same data and weights: the losses must agree, step after step
        lc, lt = float(step_cr().item()), float(step_t().item())
        assert abs(lc - lt) < 1e-4 * max(1.0, abs(lt)), (kind, lc, lt)
    return step_cr, step_t


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--torch-threads", type=int, help="torch.set_num_threads (default: torch's)")
    args = ap.parse_args()
    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    print(
        f"numpy {np.__version__}, torch {torch.__version__} ({torch.get_num_threads()} "
        f"threads), chainrule {cr.__version__}"
    )
    r = {}
    for kind in ("LSTM", "GRU"):
        r[kind] = compare(
            f"{kind} T{T} b{B} {IN}->{H}, BPTT + SGD", *rnn_steps(kind), args.rounds, args.steps
        )
    print(f"target: LSTM ≤ 1.50 (got {r['LSTM']:.2f}); GRU {r['GRU']:.2f}")


if __name__ == "__main__":
    main()
