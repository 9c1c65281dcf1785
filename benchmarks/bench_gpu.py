"""chainrule on CuPy against torch on CUDA, in one process, on one GPU (issue #8).

    python benchmarks/bench_gpu.py            # full: 7 rounds per workload
    python benchmarks/bench_gpu.py --quick    # 3 rounds (make gpu-check)
    python benchmarks/bench_gpu.py --self-test  # no GPU: tiny shapes, chainrule on the CuPy
                                                # test double, torch on the CPU (checks the script)

Each workload trains with SGD on the same weights and data in both libraries (the weights
built by workloads.py as NumPy arrays, loaded on the CPU, then moved to the GPU). The first
losses must agree to 1e-3 relative (float32 on the GPU; TF32 is off in torch, and CuPy does not
use it by default). Then each library's steps are timed in interleaved blocks (harness.py's
method), every step ending in a device synchronize, so a step's time is its GPU work, not the
launch. The table gives median ms per step, the ratio chainrule / torch and its target.

The MNIST part trains the zoo CNN (``chainrule train cnn``'s LeNet, its Adam, its cosine
schedule) for one epoch on the GPU through ``fit(device="cuda")`` and reports the test accuracy
and the epoch's training time, against a CPU epoch extrapolated from a shorter measured run
(``CPU_BATCHES`` batches). It needs ``make data``; without the files it says so.

Results go to the terminal and to benchmarks/GPU_RESULTS.md. Without CuPy or a GPU (or
torch without CUDA) the script exits with status 1 and one line saying what is missing.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402
import torch  # noqa: E402
import workloads as W  # noqa: E402

import chainrule as cr  # noqa: E402
import chainrule.nn.functional as F  # noqa: E402

RESULTS = os.path.join(HERE, "GPU_RESULTS.md")
CPU_BATCHES = 40  # batches of the CPU epoch that are measured, then scaled to the epoch
RTOL = 1e-3  # first losses, chainrule vs torch (float32 on a GPU)


# ---------------------------------------------------------------- the workloads
def mlp_case(key, title, sizes, batch, target, steps):
    weights = W.mlp_weights(sizes)
    x, y = W.data((batch, sizes[0]), sizes[-1])
    return dict(
        key=key, title=title, target=steps and target, steps=steps,
        make=lambda lib: W.mlp(lib, sizes), weights=weights, x=x, y=y, loss="ce", lr=0.01,
    )  # fmt: skip


def cnn_case(batch, steps):
    x, y = W.data((batch, 1, 28, 28), 10)
    return dict(
        key="cnn", title=f"CNN conv16-conv32-linear, batch {batch}", target=None, steps=steps,
        make=W.cnn, weights=W.cnn_weights(), x=x, y=y, loss="ce", lr=0.01,
    )  # fmt: skip


class _Rnn:
    """LSTM(IN → H) over T steps and a Linear(H, OUT) head on the last hidden state."""

    def __init__(self, lib):
        if lib is cr:
            from chainrule.nn.recurrent import LSTM

            self.rnn = LSTM(W.IN, W.H)
        else:
            self.rnn = torch.nn.LSTM(W.IN, W.H)
        self.head = lib.nn.Linear(W.H, W.OUT)

    def parameters(self):
        return list(self.rnn.parameters()) + list(self.head.parameters())

    def to(self, device):
        self.rnn.to(device)
        self.head.to(device)
        return self

    def __call__(self, x):
        _, (h, _) = self.rnn(x)
        return self.head(h[-1])


def lstm_case(steps):
    x, y = W.rnn_data()
    return dict(
        key="lstm", title=f"LSTM T={W.T} batch {W.B} in {W.IN} hidden {W.H}", target=None,
        steps=steps, make=_Rnn, weights=W.rnn_weights("lstm"), x=x, y=y, loss="mse", lr=0.05,
    )  # fmt: skip


def cases(self_test: bool):
    """The workloads: issue #8's sizes, or tiny ones for --self-test."""
    if self_test:
        return [
            mlp_case("mlp-small", "MLP 64-128-64-10, batch 64", [64, 128, 64, 10], 64, 1.5, 3),
            cnn_case(8, 2),
            lstm_case(2),
        ]
    return [
        mlp_case(
            "mlp-4096", "MLP 4096-4096-4096-1000, batch 4096",
            [4096, 4096, 4096, 1000], 4096, 1.2, 5,
        ),
        mlp_case("mlp-small", "MLP 64-128-64-10, batch 64", [64, 128, 64, 10], 64, 1.5, 50),
        mlp_case("mlp-large", "MLP 784-512-512-10, batch 128", [784, 512, 512, 10], 128, 1.5, 40),
        cnn_case(256, 20),
        lstm_case(10),
    ]  # fmt: skip


# ---------------------------------------------------------------- one library's step
def make_step(lib, case, device):
    """``(step, first_loss)``: one SGD training step on ``device``, ending in a synchronize."""
    model = case["make"](lib)
    W.load(model, case["weights"])  # on the CPU, then moved, as a user would
    model.to(device)
    opt = lib.optim.SGD(model.parameters(), lr=case["lr"])
    if lib is cr:
        x, y = cr.tensor(case["x"]).to(device), cr.tensor(case["y"]).to(device)
        loss_fn = F.cross_entropy if case["loss"] == "ce" else F.mse_loss
        sync = cr.cuda.synchronize if device != "cpu" else (lambda: None)
    else:
        x, y = torch.from_numpy(case["x"]).to(device), torch.from_numpy(case["y"]).to(device)
        nnf = torch.nn.functional
        loss_fn = nnf.cross_entropy if case["loss"] == "ce" else nnf.mse_loss
        sync = torch.cuda.synchronize if device != "cpu" else (lambda: None)

    def step():
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sync()
        return loss

    first = float(step().item())
    return step, first


def run_case(case, rounds, devices):
    """One workload: agreement check, then interleaved timing. Returns its table row."""
    steps, first = {}, {}
    for name, lib in (("chainrule", cr), ("torch", torch)):
        steps[name], first[name] = make_step(lib, case, devices[name])
    harness.check_agree(first, case["key"], rtol=RTOL)
    times = harness.interleave(steps, rounds, case["steps"], warmup=3, pause=0.02)
    a, b = (harness.summary(times[n])["median"] for n in ("chainrule", "torch"))
    ratio = a / b
    target = case["target"]
    met = "" if target is None else ("yes" if ratio <= target else "NO")
    return {
        "title": case["title"],
        "chainrule_ms": a * 1e3,
        "torch_ms": b * 1e3,
        "ratio": ratio,
        "target": "report" if target is None else f"≤ {target}",
        "met": met or "-",
        "loss": f"{first['chainrule']:.6g} / {first['torch']:.6g}",
    }


# ---------------------------------------------------------------- MNIST, the zoo CNN
def mnist_epoch(device: str) -> dict | str:
    """One epoch of the zoo CNN on ``device`` and a CPU estimate; a string says why not."""
    from chainrule.data import TensorDataset
    from chainrule.datasets import load_mnist
    from chainrule.datasets.registry import Splits
    from chainrule.models.cnn import LeNet
    from chainrule.train import fit

    try:
        root = os.environ.get("CHAINRULE_DATA") or os.path.join(HERE, "..", "data")
        (X, y), (Xt, yt) = load_mnist(root)
    except (FileNotFoundError, ValueError, OSError) as e:
        return (
            f"skipped: MNIST not found under {root} ({type(e).__name__}); run `make data` or "
            "set CHAINRULE_DATA to a folder holding the IDX files (raw or .gz)"
        )
    X = X.reshape(-1, 1, 28, 28).astype(np.float32) / 255
    Xt = Xt.reshape(-1, 1, 28, 28).astype(np.float32) / 255
    y, yt = y.astype(np.int64), yt.astype(np.int64)
    cfg = cr.models.config("cnn", "mnist")
    info = {"name": "mnist", "task": "classification", "n_features": (1, 28, 28), "n_classes": 10}

    def one_epoch(dev, n_train, n_test):
        splits = Splits(
            TensorDataset(X[:n_train], y[:n_train]), TensorDataset(Xt[:n_test], yt[:n_test]), info
        )
        cr.manual_seed(0)
        model = LeNet((1, 28, 28), 10, cfg["channels"], cfg["hidden"], cfg["dropout"])
        result = fit(
            model, splits, loss="cross_entropy", metric="accuracy", optimizer=cfg["optimizer"],
            lr=cfg["lr"], schedule=cfg["schedule"], epochs=1, batch_size=cfg["batch_size"],
            progress=False, plots=False, device=dev,
        )  # fmt: skip
        return result["history"][-1]["seconds"], result["val_accuracy"]

    gpu_seconds, accuracy = one_epoch(device, len(X), len(Xt))
    n_cpu = CPU_BATCHES * cfg["batch_size"]
    cpu_part, _ = one_epoch("cpu", n_cpu, 640)
    cpu_seconds = cpu_part * len(X) / n_cpu
    return {
        "gpu_seconds": gpu_seconds,
        "accuracy": accuracy,
        "cpu_seconds": cpu_seconds,
        "cpu_note": f"extrapolated from {CPU_BATCHES} measured batches ({cpu_part:.1f} s)",
    }


# ---------------------------------------------------------------- report
def machine(self_test: bool) -> list[str]:
    from chainrule import backend

    lines = [
        f"- chainrule {getattr(cr, '__version__', '?')}, CuPy {backend.cupy.__version__}, "
        f"torch {torch.__version__} (CUDA {torch.version.cuda}), NumPy {np.__version__}, "
        f"Python {platform.python_version()}"
    ]
    if self_test:
        lines.append("- self-test: chainrule on the CuPy test double, torch on the CPU")
    else:
        lines.append(
            f"- GPU: {cr.cuda.get_device_name()}; torch sees {torch.cuda.get_device_name()}"
        )
    return lines


def report(rows, mnist, rounds, self_test) -> str:
    head = "| workload | chainrule ms | torch ms | ratio | target | met | first loss (cr / torch) |"
    out = ["# GPU benchmark: chainrule on CuPy vs torch on CUDA", ""]
    out += machine(self_test)
    out += [
        f"- {rounds} interleaved rounds per workload; median ms per training step (SGD), each "
        "step ending in a device synchronize; TF32 off in torch",
        "",
        head,
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "error" in r:
            out.append(f"| {r['title']} | failed: {r['error']} | | | | | |")
            continue
        out.append(
            f"| {r['title']} | {r['chainrule_ms']:.3f} | {r['torch_ms']:.3f} | "
            f"{r['ratio']:.2f} | {r['target']} | {r['met']} | {r['loss']} |"
        )
    out += ["", "## MNIST, the zoo CNN (`chainrule train cnn`), one epoch", ""]
    if isinstance(mnist, str):
        out.append(mnist)
    else:
        out += [
            f"- GPU: {mnist['gpu_seconds']:.1f} s per epoch (training, without the test "
            f"pass); test accuracy {mnist['accuracy']:.4f}",
            f"- CPU: {mnist['cpu_seconds']:.1f} s per epoch, {mnist['cpu_note']}",
            f"- speed-up {mnist['cpu_seconds'] / mnist['gpu_seconds']:.1f}×",
        ]
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds instead of 7")
    parser.add_argument("--self-test", action="store_true", help="tiny, on the CuPy test double")
    parser.add_argument("--no-mnist", action="store_true", help="leave out the MNIST epoch")
    parser.add_argument("--out", default=RESULTS, help="the Markdown file to write")
    args = parser.parse_args(argv)
    from chainrule import backend

    if args.self_test:
        sys.path.insert(0, os.path.join(HERE, "..", "tests"))
        import fakecupy

        backend.cupy, backend.cupyx = fakecupy, fakecupy.cupyx
        devices = {"chainrule": "cuda", "torch": "cpu"}
    else:
        if not cr.cuda.is_available():
            try:
                backend.require_cuda("bench_gpu")
                why = "CuPy finds no GPU"
            except RuntimeError as e:
                why = str(e)
            print(f"bench_gpu: no GPU for chainrule: {why}", file=sys.stderr)
            return 1
        if not torch.cuda.is_available():
            print(f"bench_gpu: torch {torch.__version__} has no CUDA GPU (a CPU build?); "
                  "run with a CUDA build of torch", file=sys.stderr)  # fmt: skip
            return 1
        devices = {"chainrule": "cuda", "torch": "cuda"}
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    rounds = 2 if args.self_test else 3 if args.quick else 7
    rows, failed = [], False
    t0 = time.perf_counter()
    for case in cases(args.self_test):
        try:
            row = run_case(case, rounds, devices)
        except Exception as e:  # one broken workload must not hide the others' figures
            row, failed = {"title": case["title"], "error": f"{type(e).__name__}: {e}"}, True
        rows.append(row)
        shown = row.get("error") or (
            f"chainrule {row['chainrule_ms']:.3f} ms  torch {row['torch_ms']:.3f} ms  "
            f"ratio {row['ratio']:.2f}  target {row['target']}  met {row['met']}"
        )
        print(f"{row['title']:<42} {shown}", flush=True)
    mnist = "skipped: --no-mnist"
    if not args.no_mnist and not args.self_test:
        try:
            mnist = mnist_epoch("cuda")
        except Exception as e:
            mnist, failed = f"failed: {type(e).__name__}: {e}", True
    text = report(rows, mnist, rounds, args.self_test)
    print("\n" + text)
    print(f"({time.perf_counter() - t0:.0f} s)")
    if not args.self_test or args.out != RESULTS:
        with open(args.out, "w") as f:
            f.write(text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
