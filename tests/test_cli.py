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


# ---------------------------------------------------------------- gradcheck, lr-find
@pytest.mark.parametrize("name", models.names())
def test_gradcheck_passes_on_every_model(capsys, name):
    assert cli.main(["gradcheck", name, "--directions", "2"]) == 0
    out = capsys.readouterr().out
    model = models.get(name)
    splits = (
        model.data(0)
        if hasattr(model, "data")
        else registry.load(models.config(name)["dataset"], seed=0)
    )
    cr.manual_seed(0)
    trained = [n for n, p in model.build(splits.info).named_parameters() if p.requires_grad]
    for n in trained:  # one row per trained parameter, each agreeing
        assert re.search(rf"^{re.escape(n)} .* yes$", out, re.M), n
    assert f"all {len(trained)} parameters agree" in out


def _break_relu_backward(monkeypatch):
    """ReLU's backward, wrong by a factor 2: what a bug in a hand-written op looks like."""
    from chainrule.functions import activation

    right = activation.ReLU.backward
    monkeypatch.setattr(activation.ReLU, "backward", lambda self, gy: 2 * right(self, gy))


def test_gradcheck_names_the_parameters_a_wrong_backward_spoils(capsys, monkeypatch):
    _break_relu_backward(monkeypatch)
    assert cli.main(["gradcheck", "mlp"]) == 1
    out = capsys.readouterr().out
    # the mlp is Flatten, (Linear, BatchNorm, ReLU) × 2, Linear. The last Linear is upstream of
    # every ReLU, so its gradient stays right; layers behind one ReLU get 2× theirs, behind two
    # 4× (rel err 1/2 and 3/4). The biases before a BatchNorm have a true gradient of 0 (it
    # removes the mean), and twice 0 is still right.
    rows = {n: (float(r), ok) for n, r, ok in re.findall(r"^(\S+) .* (\S+)  (yes|NO)$", out, re.M)}
    assert {n for n, (_, ok) in rows.items() if ok == "NO"} == {
        "1.weight", "2.weight", "2.bias", "4.weight", "5.weight", "5.bias"
    }  # fmt: skip
    assert rows["1.weight"][0] == pytest.approx(0.75, rel=1e-3)
    assert rows["4.weight"][0] == pytest.approx(0.5, rel=1e-3)
    assert rows["7.weight"][0] < 1e-6
    assert "gradient mismatch in:" in out


def test_train_check_gradients_checks_first_and_stops_on_a_mismatch(capsys, tmp_path, monkeypatch):
    out_dir = tmp_path / "ok"
    argv = ["train", "logreg", "--epochs", "1", "--quiet", "--check-gradients"]
    assert cli.main([*argv, "--out", str(out_dir)]) == 0
    out = capsys.readouterr().out
    assert out.index("all 2 parameters agree") < out.index("test accuracy")
    assert (out_dir / train.CHECKPOINT).exists()

    _break_relu_backward(monkeypatch)
    bad = tmp_path / "bad"
    assert cli.main(["train", "mlp", "--epochs", "1", "--quiet", "--check-gradients",
                     "--out", str(bad)]) == 1  # fmt: skip
    out = capsys.readouterr().out
    assert "gradient mismatch in:" in out and "test accuracy" not in out
    assert not (bad / train.CHECKPOINT).exists()  # nothing trained, nothing saved


@pytest.mark.slow
def test_lr_find_suggestion_trains_and_100x_fails(capsys, tmp_path):
    # the seed's question 6, answered through the command line: plain SGD, default sweep
    plot = tmp_path / "lr.png"
    assert cli.main(["lr-find", "mlp", "--optimizer", "sgd", "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert plot.stat().st_size > 1000
    lr = float(re.search(r"suggested lr (\S+)", out).group(1))  # measured: 0.0658
    assert f"chainrule train mlp --optimizer sgd --lr {lr:.3g}" in out
    table = re.findall(r"^ +([0-9.e+-]+) +([0-9.e+-]+|nan|inf)$", out, re.M)
    lrs = [float(a) for a, _ in table]
    assert lrs[0] == pytest.approx(1e-7) and lrs == sorted(lrs) and len(lrs) >= 10

    def accuracy(rate, name):
        code = cli.main(["train", "mlp", "--optimizer", "sgd", "--lr", f"{rate:.3g}",
                         "--epochs", "3", "--quiet", "--out", str(tmp_path / name)])  # fmt: skip
        text = capsys.readouterr().out
        return code, float(re.search(r"test accuracy (\S+)", text).group(1)) if code == 0 else 0

    code, good = accuracy(lr, "good")
    assert code == 0 and good >= 0.95  # measured: 0.967
    code, bad = accuracy(100 * lr, "bad")
    assert code == 1 or bad < 0.3  # measured: 0.142


def test_lr_find_refuses_models_with_their_own_loop(capsys):
    one_line_error(capsys, ["lr-find", "gan"], "gan trains with its own loop")
    one_line_error(capsys, ["lr-find", "mlp", "--start-lr", "1", "--end-lr", "0.1"],
                   "--start-lr 1 must be below --end-lr 0.1")  # fmt: skip


def test_a_reader_that_leaves_early_gets_no_traceback():
    # `chainrule list | head -1`: the pipe closes after one line
    done = subprocess.run(
        f"{sys.executable} -m chainrule list | head -1",
        shell=True, capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert done.stdout == "models:\n"
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
