"""chainrule.train.fit: run folders, checkpoints, exact resume, NaN stop, early stopping, Ctrl-C."""

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections import namedtuple

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, train

Splits = namedtuple("Splits", "train test info")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tiny_splits(task="classification", n=120, seed=0):
    g = np.random.default_rng(seed)
    X = g.standard_normal((n, 4)).astype(np.float32)
    if task == "classification":
        y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.int64)
    else:
        y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.1 * g.standard_normal(n)
        y = y.astype(np.float32)[:, None]
    cut = n * 3 // 4
    info = {"task": task, "n_features": 4, "n_classes": 2 if task == "classification" else None}
    return Splits(
        cr.data.TensorDataset(cr.tensor(X[:cut]), cr.tensor(y[:cut])),
        cr.data.TensorDataset(cr.tensor(X[cut:]), cr.tensor(y[cut:])),
        info,
    )


def tiny_model(out=2, seed=0):
    cr.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, out))


KW = dict(loss="cross_entropy", metric="accuracy", lr=1e-2, batch_size=16, progress=False)


def params(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def test_run_folder_holds_config_metrics_checkpoint_and_plots(tmp_path):
    run = tmp_path / "run"
    result = train.fit(tiny_model(), tiny_splits(), epochs=3, out=run, config={"model": "t"}, **KW)
    lines = [json.loads(s) for s in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in lines] == [1, 2, 3]
    keys = {"epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds"}
    assert all(set(r) == keys for r in lines)
    assert lines[-1]["train_loss"] < lines[0]["train_loss"]
    assert lines[-1]["val_accuracy"] == result["val_accuracy"] >= 0.8
    assert lines[0]["lr"] == 1e-2
    config = json.loads((run / "config.json").read_text())
    assert config["model"] == "t" and config["lr"] == 1e-2 and config["epochs"] == 3
    for png in ("curves.png", "confusion.png"):
        assert (run / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert result["confusion"].sum() == 30 and np.trace(result["confusion"]) == round(
        30 * result["val_accuracy"]
    )


def test_checkpoint_round_trip_restores_model_and_evaluation(tmp_path):
    splits = tiny_splits()
    model = tiny_model()
    train.fit(model, splits, epochs=2, out=tmp_path, plots=False, **KW)
    ckpt = train.load_checkpoint(tmp_path)
    assert ckpt["epoch"] == 2 and ckpt["step"] == 0
    fresh = tiny_model(seed=123)
    fresh.load_state_dict(ckpt["model"])
    for k, v in params(model).items():
        np.testing.assert_array_equal(params(fresh)[k], v)
    a = train.evaluate(model, splits.test, loss="cross_entropy", metric="accuracy")
    b = train.evaluate(fresh, splits.test, loss="cross_entropy", metric="accuracy")
    assert a["loss"] == b["loss"] and a["accuracy"] == b["accuracy"]


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_resume_reproduces_uninterrupted_run_bit_for_bit(tmp_path, optimizer):
    splits = tiny_splits()
    kw = dict(KW, optimizer=optimizer, plots=False)
    straight = tiny_model()
    train.fit(straight, splits, epochs=4, out=tmp_path / "a", **kw)

    train.fit(tiny_model(), splits, epochs=2, out=tmp_path / "b", **kw)
    cr.manual_seed(999)  # disturb the global generator: resume must restore it
    resumed = tiny_model(seed=7)
    result = train.fit(resumed, splits, epochs=4, resume=tmp_path / "b", **kw)
    assert result["epoch"] == 4
    want, got = params(straight), params(resumed)
    assert want.keys() == got.keys()
    for k in want:
        assert np.array_equal(want[k], got[k]), k
    assert train.read_metrics(tmp_path / "a")[2:] == [
        {**r, "seconds": r2["seconds"]}
        for r, r2 in zip(
            train.read_metrics(tmp_path / "b")[2:], train.read_metrics(tmp_path / "a")[2:]
        )
    ]


def test_resume_rejects_changed_settings_and_missing_checkpoint(tmp_path):
    train.fit(tiny_model(), tiny_splits(), epochs=1, out=tmp_path, plots=False, **KW)
    with pytest.raises(ValueError, match=r"lr: 0\.01 != 0\.5"):
        train.fit(tiny_model(), tiny_splits(), epochs=2, resume=tmp_path, **dict(KW, lr=0.5))
    with pytest.raises(FileNotFoundError, match="holds no checkpoint"):
        train.fit(tiny_model(), tiny_splits(), epochs=2, resume=tmp_path / "none", **KW)


def test_huge_lr_stops_with_epoch_step_and_advice(tmp_path):
    kw = dict(KW, loss="mse", metric="r2", optimizer="sgd", lr=1e6, plots=False)
    with pytest.raises(train.TrainingDiverged, match=r"at epoch 1, step \d+;") as e:
        train.fit(tiny_model(out=1), tiny_splits("regression"), epochs=3, out=tmp_path, **kw)
    assert "learning rate 1e+06 is probably too large" in str(e.value)
    assert "--lr 100000" in str(e.value)
    ckpt = train.load_checkpoint(tmp_path)  # the starting checkpoint, all finite
    assert ckpt["epoch"] == 0
    assert all(np.isfinite(v.numpy()).all() for v in ckpt["model"].values())
    assert train.read_metrics(tmp_path) == []


def test_nan_keeps_the_last_good_checkpoint(tmp_path):
    model = tiny_model()
    saved = {}

    def blow_up_after_epoch_2(epoch, record):
        if epoch == 2:
            saved.update(params(model))
            with cr.no_grad():
                model[0].weight.mul_(float("inf"))  # the next forward gives NaN logits

    with pytest.raises(train.TrainingDiverged, match=r"nan at epoch 3, step 1;.*smaller"):
        train.fit(model, tiny_splits(), epochs=5, out=tmp_path, log=blow_up_after_epoch_2, **KW)
    ckpt = train.load_checkpoint(tmp_path)
    assert ckpt["epoch"] == 2
    for k, v in saved.items():
        assert np.array_equal(ckpt["model"][k].numpy(), v)
    assert [r["epoch"] for r in train.read_metrics(tmp_path)] == [1, 2]


def test_early_stopping_stops_after_patience_epochs_without_improvement(tmp_path):
    result = train.fit(
        tiny_model(), tiny_splits(), epochs=200, early_stopping=2, **dict(KW, lr=5e-2)
    )
    hist = result["history"]
    assert result["stopped_early"] and len(hist) < 200
    best = max(r["val_accuracy"] for r in hist)
    assert hist[result["best_epoch"] - 1]["val_accuracy"] == best
    assert len(hist) == result["best_epoch"] + 2
    assert all(r["val_accuracy"] <= best for r in hist[result["best_epoch"] :])


def test_r2_metric_matches_the_formula():
    g = np.random.default_rng(1)
    y, yhat = g.standard_normal((50, 1)), g.standard_normal((50, 1))
    score = train.Score("r2")
    score.update(yhat[:20], y[:20])
    score.update(yhat[20:], y[20:])
    want = 1 - ((y - yhat) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    assert score.value() == pytest.approx(want, rel=1e-12)


def test_keyboard_interrupt_from_callback_saves_and_resume_is_exact(tmp_path):
    splits = tiny_splits()
    kw = dict(KW, plots=False)
    straight = tiny_model()
    train.fit(straight, splits, epochs=3, **kw)

    def stop_after_first(epoch, record):
        if epoch == 1:
            raise KeyboardInterrupt

    result = train.fit(tiny_model(), splits, epochs=3, out=tmp_path, log=stop_after_first, **kw)
    assert result["interrupted"] and result["epoch"] == 1
    assert train.load_checkpoint(tmp_path)["epoch"] == 1
    resumed = tiny_model(seed=5)
    train.fit(resumed, splits, epochs=3, resume=tmp_path, **kw)
    for k, v in params(straight).items():
        assert np.array_equal(params(resumed)[k], v), k


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        train.fit(tiny_model(), tiny_splits(), epochs=1, **dict(KW, loss="hinge"))
    with pytest.raises(ValueError, match="lr must be a positive float, got -1"):
        train.fit(tiny_model(), tiny_splits(), epochs=1, **dict(KW, lr=-1))
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        train.fit(tiny_model(), tiny_splits(), epochs=1, optimizer="lbfgs", **KW)


SIGINT_SCRIPT = """
import os, signal, sys
sys.path.insert(0, {tests!r})
from test_train import tiny_model, tiny_splits, KW
from chainrule import train
steps = []
model = tiny_model()
orig = model.forward
def forward(x):
    steps.append(1)
    # 6 training batches and one validation batch an epoch: call 10 is epoch 2's third batch
    if len(steps) == 10:  # a real SIGINT, as Ctrl-C sends; the batch in flight completes
        os.kill(os.getpid(), signal.SIGINT)
    return orig(x)
model.forward = forward
r = train.fit(model, tiny_splits(), epochs=3, out={run!r}, **dict(KW, plots=False))
print("interrupted", r["interrupted"], "epoch", r["epoch"])
"""


def test_sigint_mid_epoch_saves_checkpoint_exits_cleanly_and_resumes_exactly(tmp_path):
    run = tmp_path / "run"
    script = SIGINT_SCRIPT.format(tests=os.path.join(ROOT, "tests"), run=str(run))
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "interrupted True epoch 1" in proc.stdout
    ckpt = train.load_checkpoint(run)
    assert ckpt["epoch"] == 1 and ckpt["step"] == 3  # three whole batches of epoch 2 were done
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

    straight = tiny_model()
    train.fit(straight, tiny_splits(), epochs=3, **dict(KW, plots=False))
    resumed = tiny_model(seed=3)
    train.fit(resumed, tiny_splits(), epochs=3, resume=run, **dict(KW, plots=False))
    for k, v in params(straight).items():
        assert np.array_equal(params(resumed)[k], v), k


def test_cosine_schedule_follows_the_closed_form_and_must_match_on_resume(tmp_path):
    kw = dict(KW, epochs=4, schedule="cosine", clip_grad_norm=1.0, plots=False)
    whole = tiny_model()
    result = train.fit(whole, tiny_splits(), **kw)
    lrs = [r["lr"] for r in result["history"]]
    np.testing.assert_allclose(lrs, [1e-2 * (1 + np.cos(np.pi * e / 4)) / 2 for e in range(4)])
    # A resume must keep the schedule.
    half = tiny_model()
    train.fit(half, tiny_splits(), **dict(kw, epochs=2), out=tmp_path / "run")
    resumed = tiny_model()
    with pytest.raises(ValueError, match=r"schedule"):
        train.fit(resumed, tiny_splits(), **dict(kw, schedule=None), resume=tmp_path / "run")
    # epochs grows on resume, so the cosine's horizon is the final epoch count, 4: the first
    # two epochs of the short run used horizon 2, and the weights differ from `whole`.
    train.fit(resumed, tiny_splits(), **kw, resume=tmp_path / "run")
    assert [r["epoch"] for r in train.read_metrics(tmp_path / "run")] == [1, 2, 3, 4]


def test_cosine_step_schedule_decays_per_batch_and_resumes_mid_epoch_exactly(tmp_path):
    kw = dict(KW, epochs=3, schedule="cosine_step", plots=False)
    straight = tiny_model()
    result = train.fit(straight, tiny_splits(), **kw)
    S, T = 6, 18  # 90 training rows in batches of 16: 6 per epoch, 18 in all
    last = [1e-2 * (1 + np.cos(np.pi * (e * S - 1) / T)) / 2 for e in (1, 2, 3)]
    np.testing.assert_allclose([r["lr"] for r in result["history"]], last)
    assert last[-1] < 1e-2 * 0.01  # the last batch trains at nearly 0

    # A Ctrl-C during batch 3 of epoch 2 (the 9th training forward) stops after that batch;
    # the resume must pick the schedule up at batch 4, not at the epoch's start.
    model, calls = tiny_model(), []

    def interrupt(module, inputs, output):
        calls.append(module.training)
        if calls.count(True) == 9:
            os.kill(os.getpid(), signal.SIGINT)

    model.register_forward_hook(interrupt)
    result = train.fit(model, tiny_splits(), **kw, out=tmp_path)
    assert result["interrupted"]
    ckpt = train.load_checkpoint(tmp_path)
    assert (ckpt["epoch"], ckpt["step"]) == (1, 3)
    resumed = tiny_model(seed=5)
    train.fit(resumed, tiny_splits(), **kw, resume=tmp_path)
    for k, v in params(straight).items():
        assert np.array_equal(params(resumed)[k], v), k


def test_binary_logit_with_bce_and_clipping_learns():
    model = tiny_model(out=1)
    kw = dict(KW, loss="bce_with_logits", epochs=20, clip_grad_norm=0.5, plots=False)
    result = train.fit(model, tiny_splits(), **kw)
    assert result["val_accuracy"] >= 0.9
    assert result["confusion"].shape == (2, 2)


@pytest.mark.parametrize(
    "bad, match", [({"schedule": "step"}, "schedule"), ({"clip_grad_norm": -1.0}, "clip_grad_norm")]
)
def test_bad_schedule_and_clip_are_clear_errors(bad, match):
    with pytest.raises(ValueError, match=match):
        train.fit(tiny_model(), tiny_splits(), **dict(KW, epochs=1, **bad))
