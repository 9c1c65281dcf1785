"""Memory stays flat over long training (issue #7): no graph or buffer outlives its step.

Each test trains a small model for 2,000 steps (fewer for the slower nets) and reads the bytes
malloc has handed out and not had back (glibc's ``mallinfo2``: every arena, heap and mmapped
blocks; NumPy's arrays come from malloc) after a warm-up and then every 100 steps; the highest
reading may exceed the one after warm-up by at most ``BOUND_MB``. Not the resident set size:
chainrule asks glibc to keep freed memory mapped (``backend._keep_freed_memory``), so after
earlier tests a leak would first fill pages already resident and RSS would not show it. A step
that leaked just 3 KB would pass 5 MB over 1,800 steps. ``test_probe_catches_a_leak`` keeps
every step's graph alive on purpose and checks that the same probe fails, so a passing test
means something.
(Keeping only each step's loss after ``backward`` is not a leak in chainrule: backward frees the
graph, and 2,000 kept losses measured +0.2 MB.)
"""

from __future__ import annotations

import ctypes
import gc
import sys

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F

BOUND_MB = 5.0

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads glibc's malloc statistics"
)


class _Mallinfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
                     "uordblks", "fordblks", "keepcost")
    ]  # fmt: skip


_libc = ctypes.CDLL("libc.so.6") if sys.platform.startswith("linux") else None
if _libc is not None:
    _libc.mallinfo2.restype = _Mallinfo2


def used_mb() -> float:
    """Megabytes in use from malloc: allocated heap chunks plus mmapped blocks."""
    info = _libc.mallinfo2()
    return (info.uordblks + info.hblkhd) / 2**20


def growth_mb(step, steps: int = 2000, warmup: int = 200, every: int = 100) -> float:
    """Highest RSS over steps ``warmup``..``steps`` minus the RSS right after the warm-up."""
    for _ in range(warmup):
        step()
    gc.collect()
    base = high = used_mb()
    for i in range(warmup, steps):
        step()
        if (i + 1) % every == 0:
            high = max(high, used_mb())
    return high - base


def mlp_step(leak: list | None = None):
    """Small MLP 64-128-64-10, batch 64, Adam. With ``leak``, each step also keeps a forward
    pass whose graph is never freed."""
    cr.manual_seed(0)
    rng = np.random.default_rng(0)
    model = cr.nn.Sequential(
        cr.nn.Linear(64, 128), cr.nn.ReLU(), cr.nn.Linear(128, 64), cr.nn.ReLU(),
        cr.nn.Linear(64, 10),
    )  # fmt: skip
    opt = cr.optim.Adam(model.parameters(), lr=1e-3)
    x = cr.tensor(rng.standard_normal((64, 64)).astype(np.float32))
    y = cr.tensor(rng.integers(0, 10, 64))

    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if leak is not None:
            leak.append(model(x).sum())

    return step


def test_mlp_adam_memory_is_flat():
    assert growth_mb(mlp_step()) < BOUND_MB


def test_lstm_memory_is_flat():
    cr.manual_seed(0)
    rng = np.random.default_rng(0)
    lstm, head = cr.nn.LSTM(8, 32), cr.nn.Linear(32, 4)
    opt = cr.optim.SGD(list(lstm.parameters()) + list(head.parameters()), lr=0.01)
    x = cr.tensor(rng.standard_normal((12, 16, 8)).astype(np.float32))
    y = cr.tensor(rng.standard_normal((16, 4)).astype(np.float32))

    def step():
        _, (h, _) = lstm(x)
        loss = F.mse_loss(head(h[-1]), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    assert growth_mb(step, steps=800, warmup=100) < BOUND_MB


def test_cnn_memory_is_flat():
    cr.manual_seed(0)
    rng = np.random.default_rng(0)
    nn = cr.nn
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(8 * 7 * 7, 10),
    )  # fmt: skip
    opt = cr.optim.Adam(model.parameters(), lr=1e-3)
    x = cr.tensor(rng.random((16, 1, 14, 14), dtype=np.float32))
    y = cr.tensor(rng.integers(0, 10, 16))

    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    assert growth_mb(step, steps=800, warmup=100) < BOUND_MB


def test_probe_catches_a_leak():
    kept: list = []
    try:
        assert growth_mb(mlp_step(kept), steps=400, warmup=50) > BOUND_MB
    finally:
        kept.clear()
