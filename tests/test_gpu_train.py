"""``chainrule train --device cuda`` and ``fit(device=...)``: on "cuda" (the real GPU, else the
CuPy test double) a zoo model follows the same loss trajectory as on the CPU, resumes from
its checkpoints, and a machine without CuPy gets a one-line install hint."""

import json
import subprocess
import sys

import numpy as np
import pytest

import chainrule as cr
from chainrule import cli, train


def _metrics(run):
    return train.read_metrics(run)


def _train(capsys, run, *extra, model="logreg", epochs=2):
    argv = ["train", model, "--epochs", str(epochs), "--out", str(run), "--quiet", *extra]
    assert cli.main(argv) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("model", ["logreg", "linreg"])
def test_cuda_run_follows_the_cpu_trajectory(gpu, capsys, tmp_path, model):
    out_cpu = _train(capsys, tmp_path / "cpu", "--device", "cpu", model=model)
    out_gpu = _train(capsys, tmp_path / "gpu", "--device", "cuda", model=model)
    assert out_cpu.splitlines()[0] == "device: cpu"
    assert out_gpu.splitlines()[0].startswith("device: cuda:0 (")
    cpu, gpu_ = _metrics(tmp_path / "cpu"), _metrics(tmp_path / "gpu")
    assert len(cpu) == len(gpu_) == 2
    for a, b in zip(cpu, gpu_):
        for key in set(a) - {"seconds"}:
            rel = 1e-4 if gpu == "fake" else 2e-3  # a real GPU sums in another order
            assert b[key] == pytest.approx(a[key], rel=rel, abs=1e-5), (key, a, b)
    ckpt = cr.load(tmp_path / "gpu" / train.CHECKPOINT)  # host arrays, loads on the CPU
    assert all(t.device == "cpu" for t in ckpt["model"].values())


def test_resume_a_cuda_run_matches_an_uninterrupted_cpu_run(gpu, capsys, tmp_path):
    _train(capsys, tmp_path / "cpu", epochs=3)
    _train(capsys, tmp_path / "gpu", "--device", "cuda", epochs=1)
    argv = ["train", "--resume", str(tmp_path / "gpu"), "--epochs", "3", "--quiet"]
    assert cli.main([*argv, "--device", "cuda"]) == 0
    cpu, resumed = _metrics(tmp_path / "cpu"), _metrics(tmp_path / "gpu")
    assert [r["epoch"] for r in resumed] == [1, 2, 3]
    for a, b in zip(cpu, resumed):
        rel = 1e-4 if gpu == "fake" else 2e-3
        assert b["train_loss"] == pytest.approx(a["train_loss"], rel=rel)
        assert b["val_loss"] == pytest.approx(a["val_loss"], rel=rel)


def test_fit_and_evaluate_on_cuda_match_cpu(gpu):
    splits = cr.datasets.load("breast_cancer")
    results = {}
    for device in ("cpu", "cuda"):
        model = cr.models.get("logreg").build(splits.info)
        result = train.fit(
            model, splits, loss="bce_with_logits", metric="accuracy", lr=0.01, epochs=1,
            batch_size=32, progress=False, plots=False, device=device,
        )  # fmt: skip
        assert next(model.parameters()).device == (device if device == "cpu" else "cuda:0")
        results[device] = (result, train.evaluate(model, splits.test, loss="bce_with_logits",
                                                  metric="accuracy"))  # fmt: skip
    (fit_cpu, ev_cpu), (fit_gpu, ev_gpu) = results["cpu"], results["cuda"]
    rel = 1e-5 if gpu == "fake" else 1e-3
    assert fit_gpu["val_loss"] == pytest.approx(fit_cpu["val_loss"], rel=rel)
    assert ev_gpu["loss"] == pytest.approx(ev_cpu["loss"], rel=rel)
    assert ev_gpu["accuracy"] == pytest.approx(ev_cpu["accuracy"], abs=0.01)
    assert ev_gpu["confusion"].sum() == ev_cpu["confusion"].sum() == len(splits.test)
    if gpu == "fake":  # the same arithmetic: the same predictions
        np.testing.assert_array_equal(ev_gpu["confusion"], ev_cpu["confusion"])


@pytest.mark.parametrize(
    "model, extra",
    [
        ("neuron", ["--epochs", "3"]),
        ("gan", ["--epochs", "1", "--batch-size", "256"]),
        ("dcgan", ["--epochs", "1", "--batch-size", "256"]),
        ("charlm", ["--epochs", "1", "--batch-size", "8"]),
    ],
)
def test_models_with_their_own_loop_follow_the_cpu_trajectory_on_cuda(
    gpu, capsys, tmp_path, model, extra
):
    """The neuron, the GANs and charlm train in their own loops: on "cuda" their batches and
    noise follow the model there, and every logged metric matches the CPU run."""
    runs = {}
    for device in ("cpu", "cuda"):
        argv = ["train", model, *extra, "--seed", "3", "--device", device, "--quiet"]
        assert cli.main([*argv, "--out", str(tmp_path / device)]) == 0
        assert capsys.readouterr().out.splitlines()[0].startswith(f"device: {device}")
        runs[device] = _metrics(tmp_path / device)
    assert len(runs["cpu"]) == len(runs["cuda"]) >= 1
    rel = 1e-4 if gpu == "fake" else 2e-3
    for a, b in zip(runs["cpu"], runs["cuda"]):
        for key in set(a) - {"seconds"}:
            assert b[key] == pytest.approx(a[key], rel=rel, abs=1e-5), (key, a, b)


def test_bad_device_names_the_value(capsys):
    assert cli.main(["train", "logreg", "--device", "tpu"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'tpu'" in err


def test_missing_gpu_index_is_one_line(gpu, capsys):
    assert cli.main(["train", "logreg", "--device", "cuda:7"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no GPU 7" in err


@pytest.mark.skipif(cr.cuda.is_available(), reason="needs a machine without CuPy or a GPU")
def test_cuda_without_cupy_exits_with_the_install_hint(tmp_path):
    """A real process, as a user runs it: status 2, one line on stderr, no traceback."""
    proc = subprocess.run(
        [sys.executable, "-m", "chainrule", "train", "logreg", "--device", "cuda",
         "--out", str(tmp_path / "run")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "CuPy is not installed" in proc.stderr and "pip install chainrule[gpu]" in proc.stderr
    assert not (tmp_path / "run").exists()
    config_written = list(tmp_path.glob("**/config.json"))
    assert not config_written, json.dumps([str(p) for p in config_written])
