"""The example scripts run, end to end, on small settings (examples/ is not a package)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _run(script, *args, cwd=None):
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_single_neuron_gradient_matches_the_hand_derivation():
    out = _run("single_neuron.py")
    auto = re.search(r"autograd ∂L/∂w\s+(\[.*\])", out).group(1)
    hand = re.search(r"−2·x·\(y − ŷ\)\s+(\[.*\])", out).group(1)
    assert auto == hand, out


@pytest.mark.slow
def test_lstm_adding_problem_example_writes_its_plot(tmp_path):
    png = tmp_path / "adding.png"
    out = _run("lstm_adding_problem.py", "--steps", "100", "--seq-len", "10", "--plot", str(png))
    finals = dict(re.findall(r"^(lstm|rnn): final test MSE ([0-9.]+)$", out, re.M))
    assert set(finals) == {"lstm", "rnn"}, out
    assert all(0 <= float(v) < 10 for v in finals.values()), finals
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
