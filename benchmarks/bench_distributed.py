"""Data-parallel training over MPI: 1 process against 2 ranks, and what a cluster would need.

    .venv/bin/python benchmarks/bench_distributed.py            # the whole report
    .venv/bin/python benchmarks/bench_distributed.py --quick    # fewer steps

Part 1 times training steps of the large MLP (784-512-512-10, global batch 128) and the zoo's
CNN (LeNet on 1×28×28, global batch 64) on synthetic MNIST-shaped data, one epoch being 60,000
samples (the time per epoch is the measured time per step × steps per epoch):

- 1 process with BLAS on all cores, and with one BLAS thread;
- 2 ranks under ``mpiexec -n 2`` with one BLAS thread each, each on half of every batch
  (DistributedDataParallel, overlap on), and with overlap off;

- 2 plain processes side by side, each on half of every batch with no communication at all:
  the best 2 ranks could do on this machine ("ceiling here");

and reports the scaling efficiency T₁ / (N · T_N) against each 1-process run, the bytes each
rank sends per step, and the time of one bare Allreduce of those bytes.

Part 2 measures, in one process, every zoo model's gradient size and its forward and backward
time at its default batch size, and computes the time a ring allreduce of that gradient takes
on N = 8, 64, 512 ranks over 25 Gb/s and 200 Gb/s links:

    T_ring = 2 (N − 1) / N · S / B  +  2 (N − 1) · α

(S the gradient bytes, B the link bandwidth, α the per-message latency: 2 (N − 1) steps each
send one chunk of S / N bytes). The communication hides behind backward while T_ring is below
the backward time; the table says where it stops.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EPOCH = 60_000
LINKS = {"25 Gb/s": (25e9 / 8, 20e-6), "200 Gb/s": (200e9 / 8, 3e-6)}  # bytes/s, latency α


# ---------------------------------------------------------------- the timed worker
def worker(model_name: str, steps: int, overlap: bool, alone: int = 1) -> dict:
    """Time ``steps`` training steps. ``alone``: 1 process of ``alone`` started side by side,
    each on 1/alone of the batch with no communication: what N ranks could reach here."""
    import numpy as np

    import chainrule as cr
    import chainrule.nn.functional as F

    dist = cr.distributed
    if dist.launched_by_mpi():
        dist.init(set_threads=False)  # the driver sets OPENBLAS_NUM_THREADS
    world = dist.world_size() if dist.is_initialized() else 1
    rank = dist.rank() if world > 1 else 0
    cr.manual_seed(0)
    if model_name == "mlp":
        batch = 128
        model = cr.nn.Sequential(
            cr.nn.Flatten(), cr.nn.Linear(784, 512), cr.nn.ReLU(), cr.nn.Linear(512, 512),
            cr.nn.ReLU(), cr.nn.Linear(512, 10),
        )  # fmt: skip
    else:
        batch = 64
        info = {"n_features": (1, 28, 28), "n_classes": 10, "task": "classification"}
        model = cr.models.get("cnn").build(info)
    net = model
    if world > 1:
        net = cr.nn.parallel.DistributedDataParallel(model, overlap=overlap)
    opt = cr.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(rank)
    per = batch // max(world, alone)
    x = cr.tensor(rng.standard_normal((per, 1, 28, 28)).astype(np.float32))
    y = cr.tensor(rng.integers(0, 10, per))

    def step():
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()

    for _ in range(3):
        step()
    if world > 1:
        dist.barrier()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    if world > 1:
        dist.barrier()
    per_step = (time.perf_counter() - t0) / steps
    result = {"model": model_name, "world": world, "batch": batch, "step_s": per_step}
    result["epoch_s"] = per_step * EPOCH / batch
    if world > 1:
        sync = net.last_sync
        result.update(bytes=sync["bytes"], buckets=sync["buckets"])
        result["early"] = sync["started_during_backward"]
        buf = cr.zeros(sync["bytes"] // 4)
        dist.all_reduce(buf)
        t0 = time.perf_counter()
        for _ in range(10):
            dist.all_reduce(buf)
        result["allreduce_s"] = (time.perf_counter() - t0) / 10
    return result


# ---------------------------------------------------------------- the driver
def run_alone(args: list[str], n: int) -> dict:
    """``n`` single processes at once, each on 1/n of the batch, no communication: the
    slowest one's timing."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PYTHONPATH": ROOT}
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", *args, "--alone", str(n)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env, cwd=ROOT) for _ in range(n)]
    outs = [
        json.loads(p.communicate(timeout=600)[0].decode().strip().splitlines()[-1]) for p in procs
    ]
    return max(outs, key=lambda r: r["epoch_s"])


def run(args: list[str], threads: int, ranks: int) -> dict:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads)}
    env["PYTHONPATH"] = ROOT
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", *args]
    if ranks > 1:
        mpiexec = shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or "mpiexec"
        cmd = [mpiexec, "--allow-run-as-root", "--oversubscribe", "-n", str(ranks), *cmd]
        env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def scaling(quick: bool) -> list[dict]:
    """Each setting run ``repeats`` times, interleaved, keeping the fastest: on a shared
    machine the other users' load only ever adds time."""
    cores = os.cpu_count() or 1
    repeats = 1 if quick else 3
    rows = []
    for name, steps in (("mlp", 15 if quick else 60), ("cnn", 5 if quick else 20)):
        settings = {
            "one_all": ([name, str(steps)], cores, 1),
            "one_1": ([name, str(steps)], 1, 1),
            "two": ([name, str(steps)], 1, 2),
            "two_no": ([name, str(steps), "--no-overlap"], 1, 2),
            "two_alone": ([name, str(steps)], 1, -2),
        }
        best: dict = {}
        for _ in range(repeats):
            for key, (args, threads, ranks) in settings.items():
                r = run_alone(args, -ranks) if ranks < 0 else run(args, threads, ranks)
                if key not in best or r["epoch_s"] < best[key]["epoch_s"]:
                    best[key] = r
        rows.append({"model": name, **best})
    print(f"Part 1: 1 process against 2 ranks ({cores} cores; one epoch = {EPOCH:,} samples;")
    print(f"the fastest of {repeats} interleaved runs of each)\n")
    print(
        f"| model | global batch | 1 proc, {cores} BLAS threads | 1 proc, 1 thread | 2 ranks × 1 "
        "thread | 2 ranks, no overlap | 2 lone procs, half batch, no MPI | efficiency vs 1 "
        "thread | vs all threads | ceiling here | bytes/step/rank | bare Allreduce |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        t1, t1a, t2, t2n, t2a = (
            r[k]["epoch_s"] for k in ("one_1", "one_all", "two", "two_no", "two_alone")
        )
        two = r["two"]
        print(
            f"| {r['model']} | {two['batch']} | {t1a:.1f} s | {t1:.1f} s | {t2:.1f} s "
            f"| {t2n:.1f} s | {t2a:.1f} s | {t1 / (2 * t2):.0%} | {t1a / (2 * t2):.0%} "
            f"| {t1 / (2 * t2a):.0%} | {two['bytes'] / 1e6:.2f} MB "
            f"({two['buckets']} buckets) | {two['allreduce_s'] * 1e3:.2f} ms |"
        )
    print()
    return rows


def _models():
    """(name, batch, model, loss_fn, data) of each zoo model on its default dataset, then the
    two models of part 1 on MNIST-shaped data."""
    import numpy as np

    import chainrule as cr
    import chainrule.nn.functional as F
    from chainrule import cli, models

    for name in models.names():
        mod = models.get(name)
        cfg = {**models.config(name), "seed": 0}
        try:
            splits = cli._splits(mod, cfg)
            model = cli._build(mod, {**cfg, "model_options": {}}, splits.info)
            batch = int(cfg.get("batch_size") or 32)
            loss_fn, data = models.objective(name, model, splits, n=batch, seed=0)
        except Exception as e:  # noqa: BLE001 - a model without its data is left out
            print(f"  {name}: skipped ({cli._one_line(e)})", file=sys.stderr)
            continue
        yield name, batch, model, loss_fn, data
    rng = np.random.default_rng(0)
    info = {"n_features": (1, 28, 28), "n_classes": 10, "task": "classification"}
    for name, batch, model in (
        ("MLP 784-512-512-10", 128, cr.nn.Sequential(
            cr.nn.Flatten(), cr.nn.Linear(784, 512), cr.nn.ReLU(), cr.nn.Linear(512, 512),
            cr.nn.ReLU(), cr.nn.Linear(512, 10))),
        ("cnn on MNIST", 64, models.get("cnn").build(info)),
    ):  # fmt: skip
        x = cr.tensor(rng.standard_normal((batch, 1, 28, 28)).astype(np.float32))
        y = cr.tensor(rng.integers(0, 10, batch))
        yield name, batch, model, (lambda m, d: F.cross_entropy(m(d[0]), d[1])), (x, y)


def zoo() -> list[dict]:
    """Each model's gradient bytes and its fastest forward and backward of 5 (after a
    warm-up), in one process with the machine's BLAS threads."""
    rows = []
    for name, batch, model, loss_fn, data in _models():
        model.train()
        grads = sum(p.data.nbytes for p in model.parameters() if p.requires_grad)
        fwd = bwd = float("inf")
        for i in range(6):
            for p in model.parameters():
                p.grad = None
            t0 = time.perf_counter()
            loss = loss_fn(model, data)
            t1 = time.perf_counter()
            loss.backward()
            t2 = time.perf_counter()
            if i >= 1:
                fwd, bwd = min(fwd, t1 - t0), min(bwd, t2 - t1)
        rows.append({"model": name, "batch": batch, "bytes": grads, "fwd": fwd, "bwd": bwd})
    return rows


def ring(bytes_: float, n: int, bandwidth: float, latency: float) -> float:
    return 2 * (n - 1) / n * bytes_ / bandwidth + 2 * (n - 1) * latency


def cluster(rows: list[dict]) -> None:
    print("Part 2: a ring allreduce of each zoo model's gradient (float32), against its backward\n")
    head = " | ".join(f"{link} N={n}" for link in LINKS for n in (8, 64, 512))
    print(f"| model | batch | gradient | forward | backward | {head} |")
    print("|---|---|---|---|---|" + "---|" * 6)
    for r in rows:
        cells = []
        for bw, lat in LINKS.values():
            for n in (8, 64, 512):
                t = ring(r["bytes"], n, bw, lat)
                cells.append(f"{t * 1e3:.3f} ms" + (" ✗" if t > r["bwd"] else ""))
        print(
            f"| {r['model']} | {r['batch']} | {r['bytes'] / 1e3:.1f} kB | {r['fwd'] * 1e3:.2f} ms "
            f"| {r['bwd'] * 1e3:.2f} ms | " + " | ".join(cells) + " |"
        )
    print("\n✗: the allreduce takes longer than the whole backward, so it can no longer hide.")
    print("Where it stops hiding: the largest N with T_ring ≤ backward, per link")
    for r in rows:
        where = []
        for link, (bw, lat) in LINKS.items():
            if ring(r["bytes"], 2, bw, lat) > r["bwd"]:
                where.append(f"{link}: never hides")
                continue
            n = 2
            while n < 1_000_000 and ring(r["bytes"], n * 2, bw, lat) <= r["bwd"]:
                n *= 2
            where.append(f"{link}: up to N ≈ {n if n < 1_000_000 else '10^6+'}")
        print(f"  {r['model']}: " + "; ".join(where))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    p.add_argument("--no-overlap", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--alone", type=int, default=1, help=argparse.SUPPRESS)
    p.add_argument("--json", help="also write the measurements to this file")
    a = p.parse_args()
    if a.worker:
        result = worker(a.worker[0], int(a.worker[1]), not a.no_overlap, a.alone)
        if result["world"] == 1 or __import__("chainrule").distributed.rank() == 0:
            print(json.dumps(result), flush=True)
        return
    rows = scaling(a.quick)
    zrows = zoo()
    cluster(zrows)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"scaling": rows, "zoo": zrows}, f, indent=2)


if __name__ == "__main__":
    main()
