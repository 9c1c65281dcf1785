"""``benchmarks/workloads.py``: the torch LSTM step with oneDNN off really runs without
oneDNN's fused RNN kernels, and computes what the ordinary torch step computes."""

import os
import sys

import pytest
import torch
from torch.profiler import profile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

import report  # noqa: E402
import run  # noqa: E402
import workloads as W  # noqa: E402


def _ops(step) -> set:
    with profile() as p:
        step()
    return {e.key for e in p.key_averages()}


@pytest.fixture(scope="module")
def lstm():
    return {w.key: w for w in run.build(no_mnist=True, quick=True)}["lstm"]


def test_the_lstm_workload_times_torch_with_onednn_off_beside_torch(lstm):
    assert report.NO_ONEDNN in lstm.factories
    assert "oneDNN off" in lstm.note
    assert torch.backends.mkldnn.is_available()
    on, off = lstm.factories["torch"](), lstm.factories[report.NO_ONEDNN]()
    assert "aten::mkldnn_rnn_layer" in _ops(on)  # what torch runs by default here
    ops = _ops(off)
    assert not any("mkldnn" in k for k in ops), sorted(ops)
    assert torch.backends.mkldnn.enabled  # restored after the step


def test_torch_with_onednn_off_computes_the_same_two_steps(lstm):
    on, off = lstm.factories["torch"](), lstm.factories[report.NO_ONEDNN]()
    for i in range(2):
        got, want = run.to_scalar(off()), run.to_scalar(on())
        assert got == pytest.approx(want, rel=1e-5), f"step {i + 1}"


def test_a_workload_table_shows_the_onednn_row_only_where_it_ran():
    w = W.Workload("lstm", "LSTM", 1e6, 32, 1, 1.2)
    libs = {"chainrule": 9e-3, "torch": 6e-3, report.NO_ONEDNN: 2e-2}
    res = {"libs": {k: {"median": v, "p25": v, "p75": v, "n": 1} for k, v in libs.items()}}
    res["first"] = dict.fromkeys(libs, 1.0)
    info = {"peak_all": 100.0}
    rows = [r for r in report.workload_table(w, res, info) if "oneDNN off" in r]
    assert len(rows) == 1 and rows[0].startswith("| torch, oneDNN off | 20.000 |")
    assert "| 3.33 |" in rows[0]  # × torch
    for d in (res["libs"], res["first"]):
        d.pop(report.NO_ONEDNN)
    assert not [r for r in report.workload_table(w, res, info) if "oneDNN" in r]
