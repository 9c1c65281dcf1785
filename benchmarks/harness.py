"""The measuring method shared by every benchmark: interleaved timed blocks, statistics, the
machine's facts and its measured sgemm peak.

Method (see PERF_NOTES.md): each library runs ``steps`` steps in its own timed block; blocks
follow one another library by library (A B C A B C ...), with a pause before each block so that
spinning OpenBLAS threads have gone to sleep before the next library starts (mixed back to back,
torch's LSTM measured 3× slower than its true figure). The figure is the median step time over
all blocks; the spread is the 25th–75th percentile.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np

PAUSE = 0.1


def timed_block(step: Callable, n: int) -> list[float]:
    """Seconds per call of ``step()``, ``n`` calls in a row."""
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return times


def interleave(
    steps: dict[str, Callable], rounds: int, n: int, warmup: int = 5, pause: float = PAUSE
) -> dict[str, list[float]]:
    """Time each library's ``step`` in its own block of ``n`` calls, ``rounds`` times, the
    libraries taking turns (A B C A B C ...) with ``pause`` seconds before each block.
    Each library first runs ``warmup`` untimed calls, in its own block too."""
    for step in steps.values():
        time.sleep(pause)
        for _ in range(warmup):
            step()
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            time.sleep(pause)
            times[name] += timed_block(step, n)
    return times


def summary(times: list[float]) -> dict:
    """Median, 25th and 75th percentile of step times, in seconds."""
    return {
        "median": statistics.median(times),
        "p25": float(np.percentile(times, 25)),
        "p75": float(np.percentile(times, 75)),
        "n": len(times),
    }


def compare(name: str, a_step: Callable, b_step: Callable, rounds: int, steps: int, warmup=20):
    """Two libraries (chainrule, torch) interleaved; prints one line and returns a / b."""
    t = interleave({"chainrule": a_step, "torch": b_step}, rounds, steps, warmup)
    a, b = summary(t["chainrule"]), summary(t["torch"])

    def fmt(s):
        return f"{s['median'] * 1e3:8.3f} ms [{s['p25'] * 1e3:.3f}-{s['p75'] * 1e3:.3f}]"

    ratio = a["median"] / b["median"]
    print(f"{name:<34} chainrule {fmt(a)}   torch {fmt(b)}   ratio {ratio:5.2f}")
    return ratio


def check_agree(values: dict[str, float], what: str, ref: str = "torch", rtol: float = 1e-4):
    """Assert every library's first loss (or output checksum) agrees with ``ref``'s."""
    if ref not in values:
        raise AssertionError(f"{what}: {ref} did not run, so nothing can be compared")
    r = values[ref]
    for name, v in values.items():
        if not abs(v - r) <= rtol * max(1.0, abs(r)):
            raise AssertionError(f"{what}: {name}'s first value {v!r} != {ref}'s {r!r}")


# ---------------------------------------------------------------- the machine
def sgemm_gflops(n: int = 2048, threads: int | None = None, repeats: int = 5) -> float:
    """Best GFLOP/s of an n×n×n float32 matmul in NumPy (2n³ FLOPs), on ``threads`` BLAS
    threads (default: all)."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    out = np.empty((n, n), np.float32)
    with threadpool_limits(limits=threads, user_api="blas"):
        np.matmul(a, b, out=out)
        best = min(timed_block(lambda: np.matmul(a, b, out=out), repeats))
    time.sleep(PAUSE)
    return 2 * n**3 / best / 1e9


def busy_fraction(seconds: float = 1.0) -> float | None:
    """Share of all CPUs' time spent busy during ``seconds`` of sleep here (from /proc/stat):
    what other processes take from the benchmark."""

    def sample():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return v[3] + v[4], sum(v[:8])  # idle + iowait, total (without guest time)

    try:
        idle0, total0 = sample()
        time.sleep(seconds)
        idle1, total1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    return 1 - (idle1 - idle0) / max(1, total1 - total0)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _avx512() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return "yes" if "avx512f" in line.split() else "no"
    except OSError:
        pass
    return "unknown"


def _ram_gib() -> float | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return None


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def machine_info() -> dict:
    """CPU, cores, RAM, the BLAS libraries NumPy and torch loaded, and library versions."""
    import torch  # noqa: F401  (so that its OpenMP/BLAS pools show up in threadpool_info)
    from threadpoolctl import threadpool_info

    pools = [
        {k: p.get(k) for k in ("user_api", "internal_api", "version", "architecture")}
        | {"num_threads": p.get("num_threads"), "file": os.path.basename(p.get("filepath", ""))}
        for p in threadpool_info()
    ]
    versions = {"python": platform.python_version()}
    for dist in ("chainrule", "numpy", "torch", "mygrad", "autograd", "tinygrad", "threadpoolctl"):
        versions[dist] = _version(dist)
    return {
        "cpu": _cpu_model(),
        "avx512": _avx512(),
        "cores": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "ram_gib": _ram_gib(),
        "kernel": platform.release(),
        "pools": pools,
        "versions": versions,
        "torch_threads": torch.get_num_threads(),
        "load": os.getloadavg(),
    }
