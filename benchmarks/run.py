"""The benchmark suite of issue #7: every workload, every library, one run; writes RESULTS.md.

    python benchmarks/run.py                 # the full suite (make bench), MNIST epoch included
    python benchmarks/run.py --quick         # few rounds and short blocks: checks the harness
    python benchmarks/run.py --only small_mlp,lstm --out /tmp/r.md
    python benchmarks/run.py --no-mnist      # skip the MNIST epoch (minutes)
    python benchmarks/run.py --repeat 3      # 3 runs in fresh processes: median ratios

Libraries: chainrule and torch always; "hand NumPy" (``numpy``, hand.py: the step written in
plain NumPy with its backward by hand, the ceiling for a NumPy framework) on the MLPs, the LSTM
and the GAN; MyGrad and HIPS autograd (the ``bench`` extra) on every workload they can express;
tinygrad is probed and its status recorded. Method: see harness.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import hand  # noqa: E402
import harness  # noqa: E402
import memory  # noqa: E402
import mnist  # noqa: E402
import report  # noqa: E402
import workloads as W  # noqa: E402

try:
    import peers  # noqa: E402

    PEERS_ERROR = ""
except ImportError as e:  # the bench extra isn't installed
    peers, PEERS_ERROR = None, f"not installed ({e}); pip install -e '.[bench]'"

HERE = os.path.dirname(os.path.abspath(__file__))
SMALL, LARGE = [64, 128, 64, 10], [784, 512, 512, 10]


def build(no_mnist: bool, quick: bool, fit: bool = False) -> list[W.Workload]:
    """The workloads, in report order."""
    P = peers
    ws = []

    op = np.random.default_rng(0).standard_normal((8, 8)).astype(np.float32)
    w = W.Workload("op", "op overhead: (x·2).sum().backward() on 8×8", 0, 1, 500, None)
    w.note = "Framework cost per recorded op; FLOPs negligible."
    w.factories = {n: W.op_factory(n, op) for n in ("chainrule", "torch")}
    if P:
        w.factories |= {"mygrad": P.mygrad_op(op), "autograd": P.autograd_op(op)}
    ws.append(w)

    for key, sizes, batch, steps, target in (
        ("small_mlp", SMALL, 64, 200, 0.5),
        ("large_mlp", LARGE, 128, 30, 0.9),
    ):
        x, y = W.data((batch, sizes[0]), 10)
        wts = W.mlp_weights(sizes)
        name = "-".join(map(str, sizes))
        w = W.Workload(
            key,
            f"MLP {name}, batch {batch}: training step (nn.Linear, SGD)",
            3 * W.mlp_flops(sizes, batch),
            batch,
            steps,
            target,
        )
        w.factories = {
            n: W.train_factory(n, lambda lib, s=sizes: W.mlp(lib, s), wts, x, y, 0.01)
            for n in ("chainrule", "torch")
        }
        w.factories["numpy"] = hand.mlp(wts, x, y, 0.01)
        if P:
            w.factories |= {
                "mygrad": P.mygrad_mlp(wts, x, y, 0.01),
                "autograd": P.autograd_mlp(wts, x, y, 0.01),
            }
        ws.append(w)

    x, y = W.data((64, 1, 28, 28), 10)
    wts = W.cnn_weights()
    w = W.Workload(
        "cnn",
        "CNN conv16-pool-conv32-pool-linear, batch 64: training step (SGD)",
        3 * W.cnn_flops(64),
        64,
        15,
        1.2,
    )
    w.factories = {n: W.train_factory(n, W.cnn, wts, x, y, 0.01) for n in ("chainrule", "torch")}
    if P:
        w.factories |= {
            "mygrad": P.mygrad_cnn(wts, x, y, 0.01),
            "autograd": P.autograd_cnn(wts, x, y, 0.01),
        }
    w.note = "autograd: convolution as im2col in autograd.numpy (it has no conv op)."
    ws.append(w)

    xr, yr = W.rnn_data()
    for kind in ("lstm", "gru"):
        wts = W.rnn_weights(kind)
        w = W.Workload(
            kind,
            f"{kind.upper()} T={W.T}, batch {W.B}, input {W.IN}, hidden {W.H}: "
            "training step (BPTT, SGD)",
            W.rnn_flops(kind),
            W.B,
            20,
            1.2,
        )
        w.factories = {n: W.rnn_factory(n, kind, wts, xr, yr) for n in ("chainrule", "torch")}
        if kind == "lstm":
            w.factories["numpy"] = hand.lstm(wts, xr, yr)
            w.factories[report.NO_ONEDNN] = W.without_onednn(w.factories["torch"])
        if P:
            w.factories |= {
                "mygrad": P.mygrad_rnn(kind, wts, xr, yr),
                "autograd": P.autograd_rnn(kind, wts, xr, yr),
            }
        w.note = "Peers: a Python loop over the time steps (MyGrad's own gru needs numba)."
        if kind == "lstm":
            w.note += (
                " torch's nn.LSTM runs oneDNN's fused RNN kernels here (one compiled call for"
                " the whole sequence each way: `aten::mkldnn_rnn_layer` and its backward);"
                " 'torch, oneDNN off' is the same torch step with oneDNN disabled, ATen's cell"
                " one time step at a time, as chainrule and the hand step run."
            )
        ws.append(w)

    real, z = W.gan_data()
    wg, wd = W.mlp_weights(W.GAN_G, 1), W.mlp_weights(W.GAN_D, 2)
    w = W.Workload(
        "gan",
        "GAN step on the ring: one D step + one G step (MLPs 128×3, batch 128, Adam)",
        W.gan_flops(),
        W.GAN_B,
        60,
        0.7,
    )
    w.factories = {n: W.gan_factory(n, wg, wd, real, z) for n in ("chainrule", "torch")}
    w.factories["numpy"] = hand.gan(wg, wd, real, z)
    if P:
        w.factories |= {
            "mygrad": P.mygrad_gan(wg, wd, real, z),
            "autograd": P.autograd_gan(wg, wd, real, z),
        }
    w.note = "Peers: Adam written on NumPy arrays (neither library has optimizers)."
    ws.append(w)

    for key, sizes, batch, steps in (
        ("infer_small_mlp", SMALL, 64, 500),
        ("infer_large_mlp", LARGE, 128, 100),
    ):
        x, _ = W.data((batch, sizes[0]), 10)
        wts = W.mlp_weights(sizes)
        w = W.Workload(
            key,
            f"inference (no_grad): MLP {'-'.join(map(str, sizes))}, batch {batch}",
            W.mlp_flops(sizes, batch),
            batch,
            steps,
            1.0,
        )
        w.factories = {
            n: W.infer_factory(n, lambda lib, s=sizes: W.mlp(lib, s), wts, x)
            for n in ("chainrule", "torch")
        }
        w.factories["numpy"] = hand.mlp_infer(wts, x)
        if P:
            w.factories |= {
                "mygrad": P.mygrad_mlp_infer(wts, x),
                "autograd": P.autograd_mlp_infer(wts, x),
            }
        w.note = "autograd: a plain forward in autograd.numpy (no graph is traced without grad)."
        w.plain = ("autograd",)
        ws.append(w)

    x, _ = W.data((64, 1, 28, 28), 10)
    wts = W.cnn_weights()
    w = W.Workload("infer_cnn", "inference (no_grad): CNN, batch 64", W.cnn_flops(64), 64, 30, None)
    w.factories = {n: W.infer_factory(n, W.cnn, wts, x) for n in ("chainrule", "torch")}
    if P:
        w.factories |= {
            "mygrad": P.mygrad_cnn_infer(wts, x),
            "autograd": P.autograd_cnn_infer(wts, x),
        }
    w.note = "autograd: a plain forward in autograd.numpy (no graph is traced without grad)."
    w.plain = ("autograd",)
    ws.append(w)

    w = W.Workload(
        "mnist_epoch",
        "MNIST epoch: `chainrule train cnn` LeNet (conv32-BN, "
        "conv64-BN, linear 256, dropout), batch 64, Adam",
        0,
        0,
        1,
        1.3,
    )
    w.na = {"mygrad": "not run (minutes per epoch)", "autograd": "not run (minutes per epoch)"}
    if no_mnist:
        w.skip = "skipped (--no-mnist)"
    else:
        loaded, why = mnist.load_train()
        if loaded is None:
            w.skip = f"skipped: {why}"
        else:
            X, y = loaded
            batches = 20 if quick else None
            n = len(X) if batches is None else batches * mnist.BATCH
            w.items, w.flops = n, n * mnist.flops_per_sample()
            wts = mnist.lenet_weights()
            w.factories = {
                k: mnist.epoch_factory(k, wts, X, y, batches) for k in ("chainrule", "torch")
            }
            if fit:
                w.factories["chainrule-fit"] = mnist.fit_factory(wts, X, y, batches)
            w.note = (
                f"One 'step' is {'the first 20 batches of ' if quick else ''}an epoch "
                f"of {n:,} images; the CLI's lr schedule and validation pass left out. "
                + (
                    "'chainrule-fit' runs `chainrule.train.fit` itself (its DataLoader, the "
                    "cosine lr schedule, a validation pass over 640 images)."
                    if fit
                    else "(`--mnist-fit` adds a row running `chainrule.train.fit` itself.)"
                )
            )
    ws.append(w)
    for w in ws:
        if "numpy" not in w.factories:
            w.na.setdefault("numpy", "no hand-written step for this workload")
        if P is None:
            w.na |= {"mygrad": PEERS_ERROR, "autograd": PEERS_ERROR}
    return ws


def to_scalar(v) -> float:
    """A loss as a float, or an output as its sum of squares (for the agreement check)."""
    if hasattr(v, "detach"):
        v = v.detach().numpy()
    elif hasattr(v, "numpy"):
        v = v.numpy()
    elif hasattr(v, "data") and not isinstance(v, np.ndarray):
        v = v.data
    a = np.asarray(v, dtype=np.float64)
    return float(a) if a.size == 1 else float(np.square(a).sum())


def run_workload(w: W.Workload, rounds: int, steps: int) -> dict:
    res = {"libs": {}, "first": {}, "second": {}, "na": dict(w.na), "error": ""}
    built = {}
    epoch = w.key == "mnist_epoch"
    for name, factory in w.factories.items():
        try:
            step = factory()
            res["first"][name] = to_scalar(step())
            if not epoch:  # after one identical update: checks the gradients too
                res["second"][name] = to_scalar(step())
            built[name] = step
        except Exception as e:  # a peer that fails is reported, not fatal
            res["na"][name] = f"error: {e.__class__.__name__}: {e}"
            traceback.print_exc()
    try:
        harness.check_agree(res["first"], w.key, rtol=1e-3 if epoch else 1e-4)
        if res["second"]:
            harness.check_agree(res["second"], f"{w.key} (second step)", rtol=1e-3)
    except AssertionError as e:
        res["error"] = str(e)
        print(f"  DISAGREE: {e}", flush=True)
        return res
    warmup = 0 if epoch else max(2, min(20, steps // 5))
    times = harness.interleave(built, rounds, steps, warmup=warmup)
    for name, t in times.items():
        res["libs"][name] = harness.summary(t)
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2 rounds, short blocks")
    ap.add_argument("--only", help="comma-separated workload keys (and/or 'memory')")
    ap.add_argument("--no-mnist", action="store_true", help="skip the MNIST epoch")
    ap.add_argument("--no-memory", action="store_true", help="skip the peak-RSS measurement")
    ap.add_argument(
        "--mnist-fit", action="store_true", help="add chainrule.train.fit to the MNIST epoch"
    )
    ap.add_argument("--rounds", type=int, help="rounds (default 7; --quick 2)")
    ap.add_argument("--threads", type=int, help="BLAS and torch threads (default: all)")
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument(
        "--repeat", type=int, default=1, help="runs, each in a fresh process (median ratios)"
    )
    ap.add_argument("--ratios", help=argparse.SUPPRESS)  # a repeat's medians, as JSON
    ap.add_argument("--command", help=argparse.SUPPRESS)  # a repeat's command, for the report
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error(f"--repeat: expected a positive number of runs, got {args.repeat}")
    if args.repeat > 1:
        return repeat(args, sys.argv[1:] if argv is None else list(argv))
    if args.threads:
        import torch
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
        torch.set_num_threads(args.threads)
        hand.THREADS = args.threads  # its large products' thread count
    rounds = args.rounds or (2 if args.quick else 7)
    only = set(args.only.split(",")) if args.only else None
    started = time.perf_counter()

    busy = harness.busy_fraction()
    info = harness.machine_info()
    info["busy"] = [busy]
    info["peak_1"] = harness.sgemm_gflops(threads=1)
    info["peak_all"] = harness.sgemm_gflops()
    print(f"sgemm peak: {info['peak_1']:.0f} GFLOP/s on 1 thread, {info['peak_all']:.0f} on all")

    results = {}
    workloads = build(
        args.no_mnist or (only is not None and "mnist_epoch" not in only),
        args.quick,
        args.mnist_fit,
    )
    unknown = (only or set()) - {w.key for w in workloads} - {"memory"}
    if unknown:
        keys = ", ".join([w.key for w in workloads] + ["memory"])
        ap.error(f"--only: unknown workload(s) {', '.join(sorted(unknown))}; choose from {keys}")
    for w in workloads:
        if only is not None and w.key not in only:
            continue
        if w.skip:
            results[w.key] = (w, {"skip": w.skip})
            print(f"{w.key}: {w.skip}", flush=True)
            continue
        steps = max(1, w.steps // 10) if args.quick else w.steps
        t0 = time.perf_counter()
        # an epoch takes minutes: two rounds (A B A B) are enough, one when checking
        w_rounds = min(rounds, 1 if args.quick else 2) if w.key == "mnist_epoch" else rounds
        print(f"{w.key}: {steps} steps × {w_rounds} rounds ...", flush=True)
        res = run_workload(w, w_rounds, steps)
        res["seconds"] = time.perf_counter() - t0
        results[w.key] = (w, res)
        for name, s in res["libs"].items():
            print(f"  {name:<10} {s['median'] * 1e3:10.3f} ms", flush=True)

    mem = None
    if not args.no_memory and (only is None or "memory" in only):
        print("memory: peak RSS of CNN training in child processes ...", flush=True)
        mem_steps = 100 if args.quick else 2000
        mem = {"steps": mem_steps, **memory.measure(mem_steps)}

    # the peak again at the end: a busy machine at the start must not inflate '% peak'
    info["peak_1"] = max(info["peak_1"], harness.sgemm_gflops(threads=1))
    info["peak_all"] = max(info["peak_all"], harness.sgemm_gflops())
    info["busy"].append(harness.busy_fraction())
    tiny = tinygrad_status()
    text = report.render(info, results, mem, tiny, rounds, args, time.perf_counter() - started)
    _write(args.out, text)
    if args.ratios:
        _write(args.ratios, json.dumps(report.ratios(results, mem)))
    print(f"wrote {args.out} in {time.perf_counter() - started:.0f} s")
    failed = [k for k, (_, r) in results.items() if r.get("error")]
    if failed:
        print(f"first values disagree on: {', '.join(failed)}")
        return 1
    return 0


def _write(path: str, text: str) -> None:
    """Write ``text`` to ``path`` atomically: a failed run leaves the old file whole."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def _without(argv: list[str], *options: str) -> list[str]:
    """argv less the given options and their values (``--opt v`` or ``--opt=v``)."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a in options:
            skip = True
        elif not any(a.startswith(o + "=") for o in options):
            out.append(a)
    return out


def repeat(args, argv: list[str]) -> int:
    """``--repeat N``: the same run N times, each in a fresh Python process (its own memory
    layout and thread state), then the last run's RESULTS.md with a section of every run's
    ratios and their medians put before its summary."""
    child = _without(argv, "--repeat", "--out", "--ratios", "--command")
    command = " ".join(["python", "benchmarks/run.py", *argv])  # for the report's header
    runs, failed = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            out, ratios = os.path.join(tmp, f"run{i}.md"), os.path.join(tmp, f"run{i}.json")
            print(f"=== run {i + 1} of {args.repeat}", flush=True)
            cmd = [sys.executable, os.path.abspath(__file__), *child, "--out", out]
            rc = subprocess.run(cmd + ["--ratios", ratios, "--command", command]).returncode
            if not os.path.exists(ratios):
                print(f"run {i + 1} wrote no results (exit status {rc}); stopping")
                return rc or 1
            failed += rc != 0
            with open(ratios) as f:
                runs.append(json.load(f))
        with open(out) as f:
            text = f.read()
    _write(args.out, report.with_repeats(text, runs))
    print("\n".join(report.repeats(runs)))
    print(f"wrote {args.out}")
    return 1 if failed else 0


def tinygrad_status() -> str:
    """Why tinygrad does or doesn't run here (it is not timed)."""
    try:
        import importlib.metadata

        version = importlib.metadata.version("tinygrad")
    except Exception:
        return "not installed; when it is, its CPU backend compiles kernels with clang"
    if shutil.which("clang") is None:
        return (
            f"tinygrad {version} is installed but doesn't run here: its CPU device compiles "
            "every kernel with `clang` (also under DEV=CPU:LLVM), which this machine lacks (only "
            "gcc); its interpreted DEV=PYTHON device took about 30 s per small-MLP step. "
            "Not timed, not in the bench extra."
        )
    return f"tinygrad {version} and clang are present, but its workloads are not written yet."


if __name__ == "__main__":
    sys.exit(main())
