"""Peak resident memory of CNN training, chainrule against torch, each in its own process.

The parent runs ``/usr/bin/time -v python memory.py --child LIB --steps N`` and reads its
"Maximum resident set size". The child imports only its own library, builds the benchmark CNN
(conv16-pool-conv32-pool-linear, batch 64, SGD) and trains N steps; it also prints its current
RSS (from /proc/self/statm) after 10% of the steps and at the end, so that growth over the run
(a graph or buffer leak) shows. A run with 0 steps gives the cost of the imports, model and data.

    python benchmarks/memory.py [--steps 2000]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys

TIME = "/usr/bin/time"


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def child(lib_name: str, steps: int) -> None:
    import numpy as np

    if lib_name == "chainrule":
        import chainrule as lib
        import chainrule.nn.functional as F
    else:
        import torch as lib
        import torch.nn.functional as F

    nn = lib.nn
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10),
    )  # fmt: skip
    opt = lib.optim.SGD(model.parameters(), lr=0.01)
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.random((64, 1, 28, 28), dtype=np.float32))
    y = lib.tensor(rng.integers(0, 10, 64))
    early = rss_mb()
    for i in range(steps):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if i + 1 == max(1, steps // 10):
            early = rss_mb()
    print(f"rss_early_mb {early:.1f}")
    print(f"rss_end_mb {rss_mb():.1f}")


def run_child(lib_name: str, steps: int) -> dict:
    """Peak RSS (MB) of a child process training ``steps`` steps, and its RSS growth."""
    cmd = [TIME, "-v", sys.executable, os.path.abspath(__file__), "--child", lib_name]
    cmd += ["--steps", str(steps)]
    r = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise RuntimeError(f"memory child {lib_name} failed:\n{r.stderr[-2000:]}")
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr)
    early = re.search(r"rss_early_mb ([\d.]+)", r.stdout)
    end = re.search(r"rss_end_mb ([\d.]+)", r.stdout)
    return {
        "peak_mb": int(peak.group(1)) / 1024,
        "growth_mb": float(end.group(1)) - float(early.group(1)),
    }


def measure(steps: int) -> dict:
    """{lib: {'base': peak at 0 steps, 'peak': peak after ``steps``, 'growth': RSS growth from
    10% of the steps to the end}} for chainrule and torch, or {'error': why}."""
    if not os.access(TIME, os.X_OK):
        return {"error": f"{TIME} not found (install GNU time)"}
    out = {}
    for lib_name in ("chainrule", "torch"):
        base = run_child(lib_name, 0)
        run = run_child(lib_name, steps)
        out[lib_name] = {
            "base": base["peak_mb"],
            "peak": run["peak_mb"],
            "growth": run["growth_mb"],
        }
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", choices=("chainrule", "torch"))
    ap.add_argument("--steps", type=int, default=2000)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.steps)
        return
    for lib_name, m in measure(args.steps).items():
        print(f"{lib_name:<10} {m}")


if __name__ == "__main__":
    main()
