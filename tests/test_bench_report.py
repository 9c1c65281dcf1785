"""``benchmarks/run.py --repeat``: the same run in fresh processes, every run's ratio kept and
the median quoted (``report.repeats``), the last run's report around it."""

import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

import report  # noqa: E402
import run  # noqa: E402


def _run(target, **medians):
    return {"target": target, "median": medians}


def test_repeats_quotes_the_median_of_the_runs_ratios_and_judges_the_target_by_it():
    runs = [
        {"workloads": {"mlp": _run(0.5, chainrule=1.0, torch=2.0, mygrad=4.0)}, "memory": 0.2},
        {"workloads": {"mlp": _run(0.5, chainrule=3.0, torch=4.0, mygrad=5.0)}, "memory": 0.3},
        {"workloads": {"mlp": _run(0.5, chainrule=1.2, torch=3.0)}, "memory": None},
    ]
    rows = {r.split(" | ")[0].lstrip("| "): r for r in report.repeats(runs) if r.startswith("| ")}
    # ratios 0.5, 0.75, 0.4: median 0.5 meets ≤ 0.5; mygrad: median of 0.25 and 0.6
    assert rows["mlp"] == "| mlp | 0.50, 0.75, 0.40 | 0.50 | 0.40–0.75 | 0.5 | yes | 0.42 | – |"
    assert rows["CNN training peak RSS"].startswith("| CNN training peak RSS | 0.20, 0.30 | 0.25 ")
    runs[0]["workloads"]["mlp"]["median"]["chainrule"] = 1.4  # ratios 0.7, 0.75, 0.4: 0.7
    rows = [r for r in report.repeats(runs) if r.startswith("| mlp ")]
    assert " | 0.70 | 0.40–0.75 | 0.5 | **no** |" in rows[0]


def test_a_ratio_that_rounds_onto_its_target_shows_a_third_decimal():
    runs = [
        {"workloads": {"mlp": _run(0.9, chainrule=0.904, torch=1.0)}, "memory": None},
        {"workloads": {"mlp": _run(0.9, chainrule=0.87, torch=1.0)}, "memory": None},
        {"workloads": {"mlp": _run(0.9, chainrule=0.92, torch=1.0)}, "memory": None},
    ]
    (row,) = [r for r in report.repeats(runs) if r.startswith("| mlp ")]
    assert row.startswith("| mlp | 0.904, 0.87, 0.92 | 0.904 | 0.87–0.92 | 0.9 | **no** |")
    runs[0]["workloads"]["mlp"]["median"]["chainrule"] = 0.898  # met: two decimals say so
    (row,) = [r for r in report.repeats(runs) if r.startswith("| mlp ")]
    assert row.startswith("| mlp | 0.90, 0.87, 0.92 | 0.90 | 0.87–0.92 | 0.9 | yes |")


def test_repeats_names_a_workload_no_run_timed():
    runs = [{"workloads": {"mnist_epoch": _run(1.3)}, "memory": None}]
    assert "| mnist_epoch | not timed | | | 1.3 | | | |" in report.repeats(runs)


def test_repeats_and_summary_give_chainrule_over_hand_numpy_where_it_ran():
    runs = [
        {"workloads": {"mlp": _run(0.5, chainrule=1.0, torch=2.0, numpy=0.5)}, "memory": None},
        {"workloads": {"mlp": _run(0.5, chainrule=3.0, torch=4.0, numpy=2.0)}, "memory": None},
        {"workloads": {"mlp": _run(0.5, chainrule=1.2, torch=3.0)}, "memory": None},
    ]
    (row,) = [r for r in report.repeats(runs) if r.startswith("| mlp ")]
    assert row.endswith(" | n/a | 1.75 |")  # the median of 2.0 and 1.5; no mygrad

    def timed(**medians):
        return {"libs": {k: {"median": v} for k, v in medians.items()}}

    results = {
        "mlp": (run.W.Workload("mlp", "MLP", 0, 1, 1, 0.5), timed(chainrule=1, torch=2, numpy=0.8)),
        "cnn": (run.W.Workload("cnn", "CNN", 0, 1, 1, 1.2), timed(chainrule=2, torch=1)),
    }
    rows = {r.split(" | ")[0].lstrip("| "): r for r in report.summary(results, None)}
    assert rows["mlp"] == "| mlp | 0.50 | 0.5 | yes | 1.25 | n/a | n/a |"
    assert rows["cnn"] == "| cnn | 2.00 | 1.2 | **no** | – | n/a | n/a |"


def test_with_repeats_puts_the_section_before_the_summary():
    text = "# results\n\n## Machine\n\n## Summary: targets\n\n| a |\n"
    out = report.with_repeats(text, [{"workloads": {}, "memory": None}])
    assert out.index("## Machine") < out.index("## Repeats: 1 runs") < out.index("## Summary")


def test_without_drops_the_options_and_their_values_in_both_spellings():
    argv = ["--only", "op", "--repeat", "3", "--out=/tmp/x.md", "--quick", "--ratios", "r.json"]
    assert run._without(argv, "--repeat", "--out", "--ratios") == ["--only", "op", "--quick"]


def test_repeat_rejects_a_count_below_one():
    with pytest.raises(SystemExit):
        run.main(["--repeat", "0"])


@pytest.mark.slow
def test_repeat_runs_fresh_processes_and_reports_each_runs_ratio(tmp_path):
    out = tmp_path / "r.md"
    proc = subprocess.run(
        [sys.executable, os.path.join(ROOT, "benchmarks", "run.py"), "--quick", "--only", "op",
         "--no-memory", "--repeat", "2", "--out", str(out)],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = out.read_text()
    row = re.search(r"^\| op \| ([\d.]+), ([\d.]+) \| ([\d.]+) \|", text, re.M)
    assert row, text
    first, last, median = (float(v) for v in row.groups())
    assert median == pytest.approx((first + last) / 2, abs=0.006)  # two runs: their mean
    # the rest of the file is the last run's: its summary shows the last ratio
    assert re.search(rf"^\| op \| {row.group(2)} \|", text.split("## Summary")[1], re.M), text
    assert "--repeat 2" in text.split("\n")[2]  # the command as given, not a child's


def test_repeats_give_chainrule_over_torch_without_onednn_where_that_ran():
    nodnn = report.NO_ONEDNN
    runs = [
        {"workloads": {"lstm": _run(1.2, chainrule=9.0, torch=6.0, **{nodnn: 20.0})}},
        {"workloads": {"lstm": _run(1.2, chainrule=8.0, torch=6.0, **{nodnn: 25.0})}},
        {"workloads": {"lstm": _run(1.2, chainrule=9.0, torch=6.0)}},
    ]
    lines = report.repeats(runs)
    (row,) = [r for r in lines if r.startswith("| lstm ")]
    assert row.startswith("| lstm | 1.50, 1.33, 1.50 | 1.50 |")  # torch itself, as before
    (line,) = [r for r in lines if "oneDNN off" in r]
    assert line.startswith("lstm: chainrule / (torch, oneDNN off) in each run 0.45, 0.32, median")
    assert "median 0.39:" in line  # the median of 0.45 and 0.32
    runs[0]["workloads"]["lstm"]["median"].pop(nodnn)
    runs[1]["workloads"]["lstm"]["median"].pop(nodnn)
    assert not [r for r in report.repeats(runs) if "oneDNN off" in r]
