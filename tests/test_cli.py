"""The chainrule command: list, train, evaluate, sample, and one-line errors with exit code 2."""

import json
import os
import re
import subprocess
import sys
import time

import numpy as np
import pytest

import chainrule as cr
from chainrule import cli, models, train
from chainrule.datasets import registry

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_cli(*argv, env=None, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "chainrule", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


def one_line_error(capsys, argv, *needles):
    code = cli.main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def test_list_shows_models_and_datasets(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    for name in ("mlp", "cnn", "gan", "linreg", "digits", "diabetes", "moons", "mnist"):
        assert re.search(rf"\b{name}\b", out), name


def test_list_shows_every_models_real_default_dataset(capsys):
    assert cli.main(["list"]) == 0
    shown = dict(re.findall(r"^  (\w+) +default data (\w+)", capsys.readouterr().out, re.M))
    assert shown.keys() == set(models.names())
    assert shown["rnn"] == "noisy_sine" and shown["lstm"] == shown["gru"] == "adding_problem"
    assert shown["charlm"] == "pydoc" and shown["neuron"] == "seed_sample"
    for name, data in shown.items():  # a registry dataset, or the one the model makes itself
        module = models.get(name)
        assert data in registry.names() or module.data(0).info["name"] == data, name


@pytest.mark.parametrize(
    "argv, needles",
    [
        (["train", "resnet"], ["unknown model 'resnet'", "mlp", "cnn"]),
        (["train", "--data", "imagenet"], ["unknown dataset 'imagenet'", "digits", "moons"]),
        (["train", "--epochs", "-3"], ["--epochs", "positive integer", "'-3'"]),
        (["train", "--epochs", "ten"], ["--epochs", "'ten'"]),
        (["train", "--lr", "-0.1"], ["--lr", "positive number"]),
        (["train", "--lr", "fast"], ["--lr", "'fast'"]),
        (["train", "--batch-size", "0"], ["--batch-size"]),
        (["train", "--seed", "x"], ["--seed", "non-negative integer"]),
        (["train", "--optimizer", "lbfgs"], ["--optimizer", "lbfgs", "adam"]),
        ([], ["choose a command", "train"]),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv, needles):
    one_line_error(capsys, argv, *needles)


def test_missing_data_directory_says_how_to_get_the_data(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path / "nowhere"))
    one_line_error(capsys, ["train", "cnn", "--data", "mnist"], "make data", "CHAINRULE_DATA")
    one_line_error(capsys, ["train", "--data", str(tmp_path / "no" / "dir")], "make data")


def test_unwritable_output_directory(capsys, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):  # root ignores permissions; use a path under a file
            (tmp_path / "file").write_text("x")
            target = tmp_path / "file" / "run"
        else:
            target = locked / "run"
        one_line_error(capsys, ["train", "--epochs", "1", "--out", str(target)], "--out", "write")
    finally:
        locked.chmod(0o700)


def test_resume_folder_without_checkpoint(capsys, tmp_path):
    one_line_error(capsys, ["train", "--resume", str(tmp_path)], "no checkpoint")
    one_line_error(capsys, ["evaluate", str(tmp_path)], "no checkpoint")
    one_line_error(capsys, ["sample", str(tmp_path)], "no checkpoint")


def test_errors_from_a_subprocess_have_no_traceback():
    proc = run_cli("train", "nosuchmodel")
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "unknown model" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_train_then_evaluate_and_resume_a_tiny_run(capsys, tmp_path):
    run = tmp_path / "run"
    argv = ["train", "logreg", "--epochs", "2", "--out", str(run), "--quiet"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    trained = float(re.search(r"test accuracy (\d\.\d+)", out).group(1))
    assert trained > 0.9
    config = json.loads((run / "config.json").read_text())
    assert config["model"] == "logreg" and config["dataset"] == "breast_cancer"
    assert config["epochs"] == 2 and len(train.read_metrics(run)) == 2

    assert cli.main(["evaluate", str(run)]) == 0
    out = capsys.readouterr().out
    evaluated = float(re.search(r"test_accuracy (\d\.\d+)", out).group(1))
    assert evaluated == trained
    assert train.read_metrics(run)[-1]["val_accuracy"] == pytest.approx(evaluated, abs=5e-5)

    assert cli.main(["train", "--resume", str(run), "--epochs", "3", "--quiet"]) == 0
    assert [r["epoch"] for r in train.read_metrics(run)] == [1, 2, 3]
    one_line_error(capsys, ["train", "--resume", str(run), "--lr", "0.5"], "can't change")
    one_line_error(capsys, ["train", "--resume", str(run)], "done 3 epochs", "--epochs N")
    one_line_error(capsys, ["sample", str(run)], "not generative")


def png_size(path) -> tuple[int, int]:
    """(width, height) of a PNG file that matplotlib can read back whole."""
    import matplotlib.image

    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", head
    size = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    height, width = matplotlib.image.imread(path).shape[:2]
    assert (width, height) == size
    return size


def test_sample_writes_an_image_for_a_gan(capsys, tmp_path):
    run = tmp_path / "gan"
    assert cli.main(["train", "gan", "--epochs", "1", "--out", str(run), "--quiet"]) == 0
    assert png_size(run / "samples.png") == (450, 450)  # a 4.5-inch scatter at 100 dpi
    assert len(train.read_metrics(run)) == 1
    capsys.readouterr()
    target = tmp_path / "grid.png"
    assert cli.main(["sample", str(run), "-n", "100", "--out", str(target)]) == 0
    assert str(target) in capsys.readouterr().out
    assert png_size(target) == (450, 450)


def test_sample_prints_text_for_a_charlm_run(capsys, tmp_path):
    run = tmp_path / "charlm"
    argv = ["train", "charlm", "--epochs", "1", "--batch-size", "4", "--out", str(run), "--quiet"]
    assert cli.main(argv) == 0
    capsys.readouterr()
    assert cli.main(["sample", str(run), "-n", "80", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    text = out[:-1]  # print's newline
    alphabet = set(models.get("charlm").data(0).info["chars"])
    assert len(text) == len("The ") + 80 and text.strip() and set(text) <= alphabet, text
    assert not (run / "samples.png").exists()
    assert cli.main(["sample", str(run), "-n", "80", "--seed", "3"]) == 0
    assert capsys.readouterr().out == out  # the seed alone decides the text


GAN_SIGINT_SCRIPT = """
import os, signal, sys
from chainrule import cli
from chainrule.models import gan
calls, g_loss = [], gan.g_loss_nonsaturating
def interrupting_g_loss(D, fake):
    calls.append(1)
    if len(calls) == {at}:  # a real SIGINT, as Ctrl-C sends, in the middle of a step
        os.kill(os.getpid(), signal.SIGINT)
    return g_loss(D, fake)
gan.g_loss_nonsaturating = interrupting_g_loss
sys.exit(cli.main(["train", "gan", "--epochs", "2", "--out", {run!r}, "--quiet"]))
"""


def test_ctrl_c_stops_a_gan_run_cleanly_and_resume_matches_an_uninterrupted_run(capsys, tmp_path):
    run, straight = tmp_path / "run", tmp_path / "straight"
    steps = -(-len(registry.load("gaussian_ring").train) // 128)  # G steps in an epoch
    script = GAN_SIGINT_SCRIPT.format(at=steps + 5, run=str(run))
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert proc.returncode == cli.EXIT_INTERRUPTED, proc.stderr
    assert "Traceback" not in proc.stderr and f"--resume {run}" in proc.stderr
    ckpt = train.load_checkpoint(run)
    assert (ckpt["epoch"], ckpt["step"]) == (1, 5)  # the step in flight finished, then it stopped
    assert [r["epoch"] for r in train.read_metrics(run)] == [1]

    assert cli.main(["train", "--resume", str(run), "--quiet"]) == 0
    assert cli.main(["train", "gan", "--epochs", "2", "--out", str(straight), "--quiet"]) == 0
    want = cr.load(straight / train.CHECKPOINT)["model"]
    got = cr.load(run / train.CHECKPOINT)["model"]
    assert want.keys() == got.keys()
    for k in want:
        assert np.array_equal(want[k].numpy(), got[k].numpy()), k
    a, b = ([{**r, "seconds": 0} for r in train.read_metrics(d)] for d in (run, straight))
    assert a == b and [r["epoch"] for r in a] == [1, 2]


@pytest.mark.slow
def test_default_train_is_mlp_on_digits_above_95_percent(tmp_path):
    start = time.perf_counter()
    proc = run_cli("train", "--out", str(tmp_path / "demo"), timeout=120)
    seconds = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr[-2000:]
    accuracy = float(re.search(r"test accuracy (\d\.\d+)", proc.stdout).group(1))
    assert accuracy >= 0.95
    assert seconds < 60
    config = json.loads((tmp_path / "demo" / "config.json").read_text())
    assert (config["model"], config["dataset"]) == ("mlp", "digits")
    assert np.isclose(
        train.read_metrics(tmp_path / "demo")[-1]["val_accuracy"], accuracy, atol=5e-5
    )
