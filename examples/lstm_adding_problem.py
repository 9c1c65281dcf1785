"""Seed program 7, made real: an LSTM against a plain tanh RNN on the adding problem.

Each input step carries a random value and a 0/1 marker; exactly two steps are marked, one in
each half of the sequence, and the target is the sum of the two marked values (Hochreiter &
Schmidhuber, 1997). With 50 steps the first marked value lies up to 49 steps before the output.

The seed's interview question about vanishing gradients, answered by experiment: backprop
through a tanh RNN multiplies the gradient by W_hhᵀ·diag(1 − h²) at every step, so it fades
before it reaches the marked steps and the RNN stays near the predict-the-mean baseline
(MSE 1/6). The LSTM's cell state is updated additively (c ← f·c + i·g), so the gradient flows
back through it largely intact, and the LSTM solves the task.

Run: python examples/lstm_adding_problem.py [--steps 1000] [--plot adding.png]
"""

import argparse

import numpy as np

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.datasets import adding_problem
from chainrule.nn.recurrent import LSTM, RNN

parser = argparse.ArgumentParser()
parser.add_argument("--seq-len", type=int, default=50)
parser.add_argument("--steps", type=int, default=1000)
parser.add_argument("--plot", help="write the two learning curves to this PNG (matplotlib)")
args = parser.parse_args()


class LastStep(cr.nn.Module):
    """A recurrent layer read out by a Linear layer at the last step: (B, T, 2) → (B, 1)."""

    def __init__(self, kind: str, hidden: int = 32):
        super().__init__()
        self.rnn = (LSTM if kind == "lstm" else RNN)(2, hidden, batch_first=True)
        self.out = cr.nn.Linear(hidden, 1)
        if kind == "lstm":  # forget-gate bias 1 (Gers et al. 2000): start out remembering
            with cr.no_grad():
                self.rnn.bias_ih_l0[hidden : 2 * hidden] = 1.0
                self.rnn.bias_hh_l0[hidden : 2 * hidden] = 0.0

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.out(y[:, -1])


X, y = adding_problem(10_000, seq_len=args.seq_len, seed=1)
X_test, y_test = adding_problem(1_000, seq_len=args.seq_len, seed=2)
print(f"adding problem, T = {args.seq_len}; always answering 1 gives test MSE {1 / 6:.3f}")

curves = {}
for kind in ("lstm", "rnn"):
    cr.manual_seed(0)
    model = LastStep(kind)
    params = list(model.parameters())
    opt = cr.optim.Adam(params, lr=1e-2)
    rng = np.random.default_rng(0)
    curves[kind] = []
    for step in range(1, args.steps + 1):
        idx = cr.from_numpy(rng.integers(0, len(X), 64))
        loss = F.mse_loss(model(X[idx]), y[idx])  # forward and loss
        opt.zero_grad()
        loss.backward()  # backpropagation through time
        cr.nn.utils.clip_grad_norm_(params, 1.0)  # the seed's remedy for exploding gradients
        opt.step()
        if step % 50 == 0:
            with cr.no_grad():
                test = F.mse_loss(model(X_test), y_test).item()
            curves[kind].append((step, test))
            if step % 250 == 0:
                print(f"{kind:4s} step {step:5d}  test MSE {test:.4f}")

for kind, curve in curves.items():
    print(f"{kind}: final test MSE {curve[-1][1]:.4f}")

if args.plot:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.6))
    for kind, label in (("lstm", "LSTM"), ("rnn", "tanh RNN")):
        steps, mse = zip(*curves[kind])
        ax.plot(steps, mse, label=label)
    ax.axhline(1 / 6, color="grey", linestyle="--", linewidth=1, label="predict the mean")
    ax.set_yscale("log")
    ax.set_xlabel("training step (Adam, batch 64)")
    ax.set_ylabel("test MSE")
    ax.set_title(f"Adding problem, T = {args.seq_len}: the RNN's gradient vanishes")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.plot, dpi=100)
    print(f"wrote {args.plot}")
