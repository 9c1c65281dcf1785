"""The model zoo's interface: get/names, DEFAULTS, and build() shapes for each dataset info."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import models
from chainrule.data import TensorDataset
from chainrule.datasets import CharVocab
from chainrule.datasets.registry import Splits
from chainrule.models._loop import Loop
from chainrule.train import load_checkpoint

DIGITS = {"name": "digits", "task": "classification", "n_features": (1, 8, 8), "n_classes": 10}
MNIST = {"name": "mnist", "task": "classification", "n_features": (1, 28, 28), "n_classes": 10}
CANCER = {"name": "breast_cancer", "task": "classification", "n_features": 30, "n_classes": 2}
MOONS = {"name": "moons", "task": "classification", "n_features": 2, "n_classes": 2}
XOR = {"name": "xor", "task": "classification", "n_features": 2, "n_classes": 2}
DIABETES = {"name": "diabetes", "task": "regression", "n_features": 10, "n_classes": None}

MINE = ["neuron", "perceptron", "mlp", "linreg", "logreg", "cnn"]


def _out_shape(module_name, info, n=5):
    cr.manual_seed(0)
    net = models.get(module_name).build(info)
    shape = info["n_features"]
    shape = tuple(shape) if isinstance(shape, tuple) else (shape,)
    net.eval()
    with cr.no_grad():
        return tuple(net(cr.randn(n, *shape)).shape)


@pytest.mark.parametrize(
    "name, info, expected",
    [
        ("neuron", {"n_features": 3}, (5, 1)),
        ("perceptron", CANCER, (5, 1)),
        ("logreg", CANCER, (5, 1)),
        ("linreg", DIABETES, (5, 1)),
        ("mlp", XOR, (5, 2)),
        ("mlp", MOONS, (5, 2)),
        ("mlp", DIGITS, (5, 10)),
        ("mlp", DIABETES, (5, 1)),
        ("cnn", DIGITS, (5, 10)),
        ("cnn", MNIST, (5, 10)),
    ],
)
def test_build_output_shapes(name, info, expected):
    assert _out_shape(name, info) == expected


def test_parameter_counts_follow_the_architecture():
    count = lambda net: sum(p.numel() for p in net.parameters())  # noqa: E731
    assert count(models.get("perceptron").build(CANCER)) == 30 + 1
    assert count(models.get("linreg").build(DIABETES)) == 10 + 1
    assert count(models.get("neuron").build({"n_features": 3})) == 3  # x·w, no bias
    # digits MLP: 64→256 (BN 2·256) →128 (BN 2·128) →10
    assert count(models.get("mlp").build(DIGITS)) == (
        64 * 256 + 256 + 2 * 256 + 256 * 128 + 128 + 2 * 128 + 128 * 10 + 10
    )
    assert count(models.get("mlp").build(XOR)) == 2 * 8 + 8 + 8 * 2 + 2
    # cnn on 8×8: conv 1→32, BN, conv 32→64, BN, 64·2·2 → 256 → 10
    cnn = models.get("cnn").build(DIGITS)
    assert count(cnn) == (
        32 * 9 + 32 + 2 * 32 + 64 * 32 * 9 + 64 + 2 * 64 + 256 * 256 + 256 + 256 * 10 + 10
    )
    assert count(models.get("cnn").build(MNIST)) - count(cnn) == 64 * (49 - 4) * 256


def test_names_and_get():
    assert set(MINE + ["rnn", "lstm", "gru", "charlm", "gan", "dcgan"]) == set(models.names())
    for name in MINE:
        module = models.get(name)
        assert callable(module.build)
        keys = {"dataset", "epochs", "batch_size", "lr", "optimizer", "loss", "metric", "target"}
        assert keys <= set(module.DEFAULTS), name
    assert callable(models.get("neuron").fit)


def test_unknown_model_names_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown model 'resnet'.*mlp.*cnn.*gan"):
        models.get("resnet")


def test_config_merges_dataset_presets():
    cfg = models.config("mlp", "xor")
    assert cfg["dataset"] == "xor" and cfg["hidden"] == (8,) and cfg["target"] == 1.0
    assert cfg["loss"] == "cross_entropy"  # inherited from DEFAULTS
    assert models.config("mlp") == {**models.get("mlp").DEFAULTS}
    assert models.config("linreg", "diabetes")["metric"] == "r2"


@pytest.mark.parametrize(
    "name, info, match",
    [
        ("perceptron", DIGITS, r"perceptron: needs a binary dataset .*n_classes 10"),
        ("logreg", DIABETES, r"logreg: needs a binary dataset"),
        ("linreg", CANCER, r"linreg: needs a regression dataset, got task 'classification'"),
        ("cnn", CANCER, r"cnn: needs an image dataset with n_features \(C, H, W\), got 30"),
        ("cnn", {**DIGITS, "n_features": (1, 6, 6)}, r"multiples of 4, got 6×6"),
        ("mlp", {"name": "x", "task": "classification"}, r"mlp: info has no 'n_features'"),
    ],
)
def test_bad_info_is_a_clear_error(name, info, match):
    with pytest.raises(ValueError, match=match):
        models.get(name).build(info)


def test_bad_hyperparameters_are_clear_errors():
    with pytest.raises(ValueError, match=r"mlp: unknown activation 'swish'"):
        models.get("mlp").build(DIGITS, activation="swish")
    with pytest.raises(ValueError, match=r"mlp: hidden widths must be positive ints, got \(0,\)"):
        models.get("mlp").build(DIGITS, hidden=(0,))
    with pytest.raises(ValueError, match=r"cnn: unknown hyperparameters \['depth'\]"):
        models.get("cnn").build(DIGITS, depth=3)


ADDING = {"name": "adding_problem", "task": "regression", "n_features": 2, "seq_len": 50}


def test_every_name_imports_and_has_defaults_and_build():
    for name in models.names():
        module = models.get(name)
        assert callable(module.build) and isinstance(module.DEFAULTS, dict), name


@pytest.mark.parametrize("name", ["rnn", "lstm", "gru"])
def test_sequence_regressors_read_out_the_last_step(name):
    cr.manual_seed(0)
    net = models.get(name).build(ADDING)
    with cr.no_grad():
        assert tuple(net(cr.randn(5, 7, 2)).shape) == (5, 1)
    hidden = models.get(name).DEFAULTS["hidden"]
    gates = {"rnn": 1, "lstm": 4, "gru": 3}[name]
    count = sum(p.numel() for p in net.parameters())
    assert count == gates * hidden * (2 + hidden + 2) + hidden + 1
    with pytest.raises(ValueError, match=rf"{name}: needs a sequence regression dataset"):
        models.get(name).build(DIGITS)


def test_sequence_regressors_bring_their_own_data():
    for name in ("neuron", "rnn", "lstm", "gru", "charlm"):  # DEFAULTS name the model's own data
        module = models.get(name)
        assert module.DEFAULTS["dataset"] == module.data(0).info["name"], name
    splits = models.get("gru").data(0)
    X, y = splits.train.tensors
    assert tuple(X.shape) == (10_000, 50, 2) and tuple(y.shape) == (10_000, 1)
    assert len(splits.test) == 1_000 and splits.info["task"] == "regression"
    X, y = models.get("rnn").data(0).train.tensors
    assert X.shape[1] == 30 and tuple(y.shape) == (X.shape[0], 1)


def test_charlm_logits_state_and_sample():
    charlm = models.get("charlm")
    info = {"name": "tiny", "task": "language_model", "chars": " abc"}
    cr.manual_seed(0)
    net = charlm.build(info, embed=4, hidden=8)
    logits, (h, c) = net(cr.tensor([[0, 1, 2], [3, 2, 1]]))
    assert tuple(logits.shape) == (2, 3, 4) and tuple(h.shape) == (1, 2, 8)
    text = charlm.sample(net, 30, seed=1, prime="ab")
    assert text.startswith("ab") and len(text) == 32 and set(text) <= set(" abc")
    assert charlm.sample(net, 30, seed=1, prime="ab") == text
    with pytest.raises(ValueError, match=r"charlm: needs a text dataset"):
        charlm.build(DIGITS)


# ---------------------------------------------------------------- own loops: exact resume
def _tiny(name):
    """(module, splits, build, config) of a few-second run of a model with its own ``fit``."""
    g = np.random.default_rng(0)
    module = models.get(name if name != "wgan" else "gan")
    if name in ("gan", "wgan"):
        pts = cr.tensor(g.standard_normal((64, 2)).astype(np.float32))
        splits = Splits(TensorDataset(pts), TensorDataset(pts), {"n_features": 2})
        config = {"epochs": 3, "batch_size": 16, "lr": 1e-3, "seed": 1}
        if name == "wgan":
            config.update(loss="wgan-gp", n_critic=2)  # the penalty draws from cr's generator
        return module, splits, lambda: module.build(splits.info, hidden=8, depth=1), config
    if name == "dcgan":
        images = cr.tensor(g.random((32, 1, 8, 8)).astype(np.float32))
        splits = Splits(TensorDataset(images), TensorDataset(images), {"n_features": (1, 8, 8)})
        config = {"epochs": 3, "batch_size": 8, "lr": 1e-3, "seed": 1}  # BatchNorm buffers too
        return module, splits, lambda: module.build(splits.info, latent_dim=2, width=2), config
    if name == "charlm":
        text = "".join(g.choice(list("ab c\n"), 200))  # 2 rows of 50: the text wraps twice
        vocab = CharVocab(text)
        rows = lambda s: TensorDataset(vocab.encode(s).reshape(1, -1))  # noqa: E731
        splits = Splits(rows(text[:100]), rows(text[100:]), {"chars": "".join(vocab.itos)})
        config = {"epochs": 3, "steps_per_epoch": 4, "batch_size": 2, "bptt": 8, "seed": 1}
        return module, splits, lambda: module.build(splits.info, embed=4, hidden=8), config
    splits = module.data(0)  # the neuron: one plain gradient step per epoch
    return module, splits, lambda: module.build(splits.info), {"epochs": 3, "lr": 0.01}


class StopAt(Loop):
    """A Loop asked to stop (as by Ctrl-C) during step ``at`` = (epoch, step)."""

    def __init__(self, run_dir, at):
        super().__init__(run_dir)
        self.at = at

    def steps(self, epochs, per_epoch):
        for epoch, step in super().steps(epochs, per_epoch):
            if (epoch, step) == self.at:
                self.request_stop()
            yield epoch, step


def _weights(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def _fit(name, run_dir=None, loop=None, seed=0, **changes):
    module, splits, build, config = _tiny(name)
    cr.manual_seed(seed)  # another seed: the resumed model's own start must not matter
    model = build()
    log = []
    result = module.fit(
        model, splits, {**config, **changes}, lambda e, m: log.append(e), loop=loop or Loop(run_dir)
    )
    return model, result, log


@pytest.mark.parametrize("name", ["gan", "wgan", "dcgan", "charlm", "neuron"])
def test_own_loop_stopped_mid_epoch_resumes_bit_for_bit(tmp_path, name):
    straight, want, _ = _fit(name, tmp_path / "straight")
    with pytest.raises(KeyboardInterrupt):  # charlm: mid-row, with an LSTM state to carry on
        _fit(name, loop=StopAt(tmp_path / "run", (2, 1)))
    ckpt = load_checkpoint(tmp_path / "run")
    assert (ckpt["epoch"], ckpt["step"]) == ((2, 0) if name == "neuron" else (1, 1))
    cr.manual_seed(999)  # disturb the global generator: the resume restores it
    resumed, got, log = _fit(name, loop=Loop(tmp_path / "run", resume=True), seed=7)
    assert log == [3] if name == "neuron" else [2, 3]
    want_w, got_w = _weights(straight), _weights(resumed)
    assert want_w.keys() == got_w.keys()
    for k in want_w:
        assert np.array_equal(want_w[k], got_w[k]), k
    drop = lambda m: {k: v for k, v in m.items() if k != "seconds"}  # noqa: E731
    assert drop(got) == drop(want)


@pytest.mark.parametrize("name", ["charlm", "neuron", "gan"])
def test_own_loop_trained_k_epochs_then_resumed_to_n_matches_n_epochs(tmp_path, name):
    # The GAN's lr decays linearly to the end of the run, so a longer run has another schedule
    # from the first step; without the decay its k + (n - k) epochs match n exactly.
    extra = {"lr_decay": False} if name == "gan" else {}
    straight, _, _ = _fit(name, **extra)
    _fit(name, tmp_path / "run", epochs=1, **extra)
    resumed, _, log = _fit(name, loop=Loop(tmp_path / "run", resume=True), seed=7, **extra)
    assert log == [2, 3]
    for k, v in _weights(straight).items():
        assert np.array_equal(_weights(resumed)[k], v), k


def test_resume_from_a_checkpoint_without_the_loop_state_is_a_clear_error(tmp_path):
    module, splits, build, config = _tiny("gan")
    model = build()
    cr.save({"model": model.state_dict(), "epoch": 1}, tmp_path / "checkpoint.safetensors")
    with pytest.raises(ValueError, match=r"has no optimizer_d, .*start a new run"):
        module.fit(model, splits, config, None, loop=Loop(tmp_path, resume=True))
