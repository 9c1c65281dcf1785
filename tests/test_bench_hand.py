"""``benchmarks/hand.py``: the hand-written NumPy steps ("hand NumPy" in RESULTS.md) compute
what torch computes on the same workload: the first value checks the forward, the second
(after one update) the manual backward and the update."""

import os
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

import hand  # noqa: E402
import run  # noqa: E402

HAND_KEYS = ("small_mlp", "large_mlp", "lstm", "gan", "infer_small_mlp", "infer_large_mlp")


@pytest.fixture(scope="module")
def workloads():
    return {w.key: w for w in run.build(no_mnist=True, quick=True)}


def test_the_suite_times_hand_numpy_on_these_workloads_and_says_why_not_elsewhere(workloads):
    assert {k for k, w in workloads.items() if "numpy" in w.factories} == set(HAND_KEYS)
    assert "no hand-written step" in workloads["cnn"].na["numpy"]


@pytest.mark.parametrize("key", HAND_KEYS)
def test_hand_step_agrees_with_torch_for_two_steps(workloads, key):
    w = workloads[key]
    ours, theirs = w.factories["numpy"](), w.factories["torch"]()
    for i in range(2):
        got, want = run.to_scalar(ours()), run.to_scalar(theirs())
        assert got == pytest.approx(want, rel=1e-4), f"{key}, step {i + 1}"


class _FakeBlas:
    """Stands in for threadpoolctl's OpenBLAS controller: records the counts set."""

    def __init__(self, n):
        self.num_threads, self.calls = n, []

    def set_num_threads(self, n):
        self.num_threads = n
        self.calls.append(n)


def test_a_step_sets_threads_by_product_size_and_gives_back_the_count_it_found(monkeypatch):
    blas = _FakeBlas(3)  # as another library might have left it
    monkeypatch.setattr(hand, "_BLAS", [blas])
    monkeypatch.setattr(hand, "THREADS", 2)
    x = np.ones((128, 784), np.float32)
    step = hand.mlp_infer(run.W.mlp_weights(run.LARGE), x)()
    assert step().shape == (128, 10)
    # 128·784·512 and 128·512·512 multiply-adds on 2 threads, 128·512·10 on 1, then back to 3
    assert blas.calls == [2, 1, 3]
