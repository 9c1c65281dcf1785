"""The model zoo's interface: get/names, DEFAULTS, and build() shapes for each dataset info."""

import pytest

import chainrule as cr
from chainrule import models

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
    assert models.get("lstm").DEFAULTS["dataset"] is None
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
