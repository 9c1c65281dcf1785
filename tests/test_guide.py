"""docs/guide.md shows real output: each `$ chainrule ...` command in it, and each Python
example followed by its output, is run here and must print the lines the guide shows."""

import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GUIDE = os.path.join(ROOT, "docs", "guide.md")
# Output that depends on the clock or on where the file ran is not compared
UNCOMPARABLE = ("time.perf_counter", "detect_anomaly")


def _blocks():
    text = open(GUIDE, encoding="utf-8").read()
    return re.findall(r"```(\w*)\n(.*?)```", text, re.S)


def _console_runs():
    runs = []
    for lang, body in _blocks():
        if lang != "console":
            continue
        for chunk in re.split(r"^\$ ", body, flags=re.M)[1:]:
            command, _, expected = chunk.partition("\n")
            runs.append((command, expected.splitlines()))
    return runs


def _python_runs():
    blocks = _blocks()
    return [
        (code, out.splitlines())
        for (lang, code), (nxt, out) in zip(blocks, blocks[1:])
        if lang == "python" and nxt == "" and not any(u in code for u in UNCOMPARABLE)
    ]


NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?")


def _same(got: str, want: str) -> bool:
    """The same text, and numbers equal to within 0.005 or 1% (a different BLAS thread count
    sums in another order, and a long training run can move the third decimal)."""
    if NUMBER.sub("#", got) != NUMBER.sub("#", want):
        return False
    pairs = zip(NUMBER.findall(got), NUMBER.findall(want))
    return all(abs(float(a) - float(b)) <= max(0.005, 0.01 * abs(float(b))) for a, b in pairs)


def _assert_shows(actual: str, expected: list, what: str):
    """Every expected line, in order, among the actual lines ('...' skips any number)."""
    lines = [line.rstrip() for line in actual.splitlines()]
    i = 0
    for want in expected:
        if want.strip() == "...":
            continue
        want = want.rstrip()
        while i < len(lines) and not _same(lines[i], want):
            i += 1
        assert i < len(lines), f"{what}: the guide shows {want!r}, not printed in order:\n{actual}"
        i += 1


def test_the_guide_has_the_commands_and_examples():
    commands = [c for c, _ in _console_runs()]
    for needed in ("explain net221", "explain neuron", "gradcheck mlp", "lr-find mlp",
                   "diagnose gradients", "train mlp"):  # fmt: skip
        assert any(c.startswith(f"chainrule {needed}") for c in commands), needed
    assert len(_python_runs()) >= 1


@pytest.mark.slow
@pytest.mark.parametrize("command, expected", _console_runs(), ids=lambda v: str(v)[:40])
def test_each_command_prints_what_the_guide_shows(command, expected, tmp_path):
    argv = command.split()
    assert argv[0] == "chainrule"
    done = subprocess.run(
        [sys.executable, "-m", "chainrule", *argv[1:]],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
        env={**os.environ, "PYTHONPATH": ROOT},
    )  # fmt: skip
    _assert_shows(done.stdout, expected, command)


@pytest.mark.slow
@pytest.mark.parametrize("code, expected", _python_runs(), ids=lambda v: str(v)[:30])
def test_each_python_example_prints_what_the_guide_shows(code, expected, tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=300,
        env={**os.environ, "PYTHONPATH": ROOT},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    _assert_shows(done.stdout, expected, "python example")
