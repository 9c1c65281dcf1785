"""``benchmarks/bench_gpu.py --self-test``: the GPU benchmark's own code path (weights loaded
into both libraries, first losses compared, interleaved timing, the report), run with
chainrule on the CuPy test double and torch on the CPU, so the script is known to work before
a GPU machine's short lease starts."""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_gpu_benchmark_self_test_runs_and_its_first_losses_agree_with_torch():
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.path.join(ROOT, "tests")}
    proc = subprocess.run(
        [sys.executable, os.path.join(ROOT, "benchmarks", "bench_gpu.py"), "--self-test"],
        capture_output=True, text=True, timeout=300, env=env, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = re.findall(r"^\| (MLP|CNN|LSTM)[^|]*\|.*\| ([\d.]+) / ([\d.]+) \|$", proc.stdout, re.M)
    assert {r[0] for r in rows} == {"MLP", "CNN", "LSTM"}, proc.stdout
    for _, ours, theirs in rows:  # the report's first losses, chainrule / torch
        assert abs(float(ours) - float(theirs)) <= 1e-4 * abs(float(theirs)), rows
