"""Recurrent nets that learn (issue #4): the adding problem, sine forecasting, a character LM.

Each test trains a small model end to end with chainrule alone and asserts a threshold on the
measured result, so each can fail. All seeds are fixed; each test runs well under a minute on
two CPU cores. Run them with ``pytest -m slow tests/nn/test_recurrent_learning.py -s`` to see
the printed learning curves.
"""

import csv
import math
import time

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.datasets import (
    CharVocab,
    adding_problem,
    batchify,
    forecast_windows,
    noisy_sine,
    pydoc_corpus,
    train_val_split,
)
from chainrule.nn.recurrent import LSTM, RNN

pytestmark = pytest.mark.slow


class _LastStepRegressor(cr.nn.Module):
    """A recurrent layer read out by a Linear layer at the last time step: (B, T, in) → (B, 1)."""

    def __init__(self, cell: str, input_size: int, hidden_size: int):
        super().__init__()
        rnn_cls = {"lstm": LSTM, "rnn": RNN}[cell]
        self.rnn = rnn_cls(input_size, hidden_size, batch_first=True)
        self.out = cr.nn.Linear(hidden_size, 1)
        if cell == "lstm":
            # Forget-gate bias 1 (Gers et al. 2000): the cell starts out remembering.
            with cr.no_grad():
                self.rnn.bias_ih_l0[hidden_size : 2 * hidden_size] = 1.0
                self.rnn.bias_hh_l0[hidden_size : 2 * hidden_size] = 0.0

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.out(y[:, -1])


def _mse(model, X, y) -> float:
    with cr.no_grad():
        return F.mse_loss(model(X), y).item()


def _fit_regressor(model, X, y, X_test, y_test, steps, lr, batch_size, seed, every=50):
    """Adam with gradient-norm clipping on random minibatches; returns the learning curve as
    rows (step, mean train loss over the last ``every`` steps, test MSE)."""
    params = list(model.parameters())
    opt = cr.optim.Adam(params, lr=lr)
    rng = np.random.default_rng(seed)
    curve, window = [], []
    for step in range(1, steps + 1):
        idx = cr.from_numpy(rng.integers(0, X.shape[0], batch_size))
        loss = F.mse_loss(model(X[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        cr.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        window.append(loss.item())
        if step % every == 0:
            curve.append((step, float(np.mean(window)), _mse(model, X_test, y_test)))
            window = []
    return curve


def test_adding_problem_lstm_learns_and_tanh_rnn_does_not(tmp_path):
    """Sequence length 50: the sum of two marked values, one in each half of the sequence.

    The marked values lie up to 49 steps before the output. An LSTM's additive cell state
    carries them (and their gradient) that far; a tanh RNN's gradient is multiplied by
    W_hh·diag(1 − h²) at every step and vanishes, so it stays near the predict-the-mean baseline.
    """
    X, y = adding_problem(10_000, seq_len=50, seed=1)
    X_test, y_test = adding_problem(1_000, seq_len=50, seed=2)
    baseline = float(((y_test.numpy().astype(np.float64) - 1.0) ** 2).mean())  # always say 1
    assert abs(baseline - 1 / 6) < 0.02

    hidden, steps, lr, batch_size = 32, 1000, 1e-2, 64
    curves, seconds = {}, {}
    for cell in ("lstm", "rnn"):
        cr.manual_seed(0)
        model = _LastStepRegressor(cell, 2, hidden)
        t0 = time.perf_counter()
        curves[cell] = _fit_regressor(model, X, y, X_test, y_test, steps, lr, batch_size, seed=0)
        seconds[cell] = time.perf_counter() - t0

    path = tmp_path / "adding_problem_curves.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["model", "step", "train_loss", "test_mse"])
        for cell, curve in curves.items():
            w.writerows((cell, s, f"{tr:.6f}", f"{te:.6f}") for s, tr, te in curve)

    lstm_mse, rnn_mse = curves["lstm"][-1][2], curves["rnn"][-1][2]
    rnn_best = min(te for _, _, te in curves["rnn"])
    print(
        f"\nadding problem T=50, hidden {hidden}, {steps} Adam steps (lr {lr}, batch {batch_size})"
    )
    print(f"  predict-1 baseline test MSE {baseline:.4f}")
    for cell, curve in curves.items():
        points = "  ".join(f"{s}:{te:.4f}" for s, _, te in curve[::4])
        print(f"  {cell:4s} test MSE {curve[-1][2]:.5f} ({seconds[cell]:.1f} s)  curve {points}")
    print(f"  curves written to {path}")

    assert lstm_mse < 0.01, f"LSTM test MSE {lstm_mse:.4f} (baseline {baseline:.4f})"
    assert rnn_best > 0.05, f"tanh RNN reached test MSE {rnn_best:.4f}; expected it to stay stuck"
    assert rnn_mse > 5 * lstm_mse
    assert len(path.read_text().splitlines()) == 1 + 2 * (steps // 50)


def test_lstm_forecasts_a_noisy_sine():
    series = noisy_sine(2_000, noise=0.1, period=40.0, seed=0)
    (X, y), (X_test, y_test) = forecast_windows(series, window=30, train_fraction=0.8)
    variance = float(y_test.numpy().astype(np.float64).var())
    # Persistence (predict the last seen value) as a second, stricter reference.
    persistence = float(((X_test.numpy()[:, -1] - y_test.numpy()) ** 2).mean())

    cr.manual_seed(0)
    model = _LastStepRegressor("lstm", 1, 16)
    t0 = time.perf_counter()
    curve = _fit_regressor(model, X, y, X_test, y_test, steps=300, lr=1e-2, batch_size=32, seed=0)
    seconds = time.perf_counter() - t0
    test_mse = curve[-1][2]
    print(
        f"\nsine forecast: test MSE {test_mse:.4f} = {test_mse / variance:.1%} of the target "
        f"variance {variance:.3f}; persistence {persistence:.4f}; noise floor 0.0100 "
        f"({seconds:.1f} s)"
    )
    assert test_mse < 0.1 * variance
    assert test_mse < persistence


class _CharLM(cr.nn.Module):
    """Embedding → LSTM → Linear: next-character logits (B, T, V) and the carried state."""

    def __init__(self, vocab_size: int, embed: int, hidden: int):
        super().__init__()
        self.embed = cr.nn.Embedding(vocab_size, embed)
        self.lstm = LSTM(embed, hidden, batch_first=True)
        self.out = cr.nn.Linear(hidden, vocab_size)

    def forward(self, ids, state=None):
        h, state = self.lstm(self.embed(ids), state)
        return self.out(h), state


def _nats_per_char(model, rows) -> float:
    """Mean cross-entropy of predicting rows[:, t+1] from rows[:, :t+1], in nats per char."""
    with cr.no_grad():
        logits, _ = model(rows[:, :-1])
        V = logits.shape[-1]
        return F.cross_entropy(logits.reshape(-1, V), rows[:, 1:].reshape(-1)).item()


def _sample(model, vocab, prime: str, length: int, temperature: float, seed: int) -> str:
    """Draw ``length`` characters after ``prime`` from softmax(logits / temperature)."""
    rng = np.random.default_rng(seed)
    out = []
    with cr.no_grad():
        logits, state = model(vocab.encode(prime).reshape(1, -1))
        for _ in range(length):
            z = logits[0, -1].numpy().astype(np.float64) / temperature
            p = np.exp(z - z.max())
            i = int(rng.choice(len(p), p=p / p.sum()))
            out.append(i)
            logits, state = model(cr.tensor([[i]]), state)
    return vocab.decode(out)


def test_char_lstm_beats_unigram_and_samples():
    text = pydoc_corpus()[:200_000]
    vocab = CharVocab(text)
    train_text, val_text = train_val_split(text, 0.1)

    # Unigram baseline: the training character distribution (add-one smoothed, so characters
    # unseen in training cost a finite amount) scored on the validation text.
    counts = vocab.counts(train_text).numpy().astype(np.float64) + 1.0
    log_p = np.log(counts / counts.sum())
    val_counts = vocab.counts(val_text).numpy()
    unigram = float(-(val_counts * log_p).sum() / val_counts.sum())

    batch_size, bptt, steps = 32, 64, 200
    train_rows = batchify(vocab.encode(train_text), batch_size)  # (32, 5625)
    val_rows = batchify(vocab.encode(val_text), 50)  # (50, 400)

    cr.manual_seed(0)
    model = _CharLM(len(vocab), embed=32, hidden=128)
    params = list(model.parameters())
    opt = cr.optim.Adam(params, lr=1e-2)
    t0 = time.perf_counter()
    state, pos, losses = None, 0, []
    for _ in range(steps):
        if pos + bptt + 1 > train_rows.shape[1]:  # wrap around: start the rows afresh
            state, pos = None, 0
        x = train_rows[:, pos : pos + bptt]
        target = train_rows[:, pos + 1 : pos + bptt + 1]
        pos += bptt
        if state is not None:  # truncated BPTT: keep the state's value, cut its history
            state = tuple(s.detach() for s in state)
        logits, state = model(x, state)
        loss = F.cross_entropy(logits.reshape(-1, len(vocab)), target.reshape(-1))
        opt.zero_grad()
        loss.backward()
        cr.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        losses.append(loss.item())
    seconds = time.perf_counter() - t0
    val_loss = _nats_per_char(model, val_rows)

    cold = _sample(model, vocab, "The ", 200, temperature=0.5, seed=0)
    hot = _sample(model, vocab, "The ", 200, temperature=1.5, seed=0)
    print(
        f"\nchar LSTM on {len(train_text)} chars of pydoc text, {steps} steps of {batch_size}x"
        f"{bptt}: train {np.mean(losses[-20:]):.3f}, validation {val_loss:.3f} nats/char, "
        f"unigram {unigram:.3f} ({seconds:.1f} s)"
    )
    print(f"  T=0.5: {cold[:120]!r}\n  T=1.5: {hot[:120]!r}")

    assert math.isfinite(val_loss)
    assert val_loss <= unigram - 1.0, f"validation {val_loss:.3f} vs unigram {unigram:.3f}"
    for s in (cold, hot):
        assert len(s) == 200 and set(s) <= set(vocab.itos)
    assert cold != hot
    # Sampling is a pure function of the model, prime, temperature and seed.
    assert _sample(model, vocab, "The ", 50, temperature=0.5, seed=0) == cold[:50]
