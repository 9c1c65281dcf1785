"""Each seed program, trained with its model's DEFAULTS, reaches the quality issue 5 asks for.

Every figure is checked against an independent reference: a closed form (the neuron's hand
gradient, least squares), scikit-learn, or a fixed threshold on the test split. Seeds are fixed.
Run ``pytest -m slow tests/models/test_quality.py -s`` to see the measured numbers.
"""

import os
import time
from pathlib import Path

import numpy as np
import pytest
from zoo_loop import Splits, evaluate, load, predict, train

import chainrule as cr
from chainrule import models
from chainrule.data import TensorDataset

pytestmark = pytest.mark.slow


def _fit(name, dataset, seed=0, **override):
    """Build model ``name`` for ``dataset`` and train it with its config; return the model,
    the splits, the config, the test metric and the seconds it took."""
    cfg = {**models.config(name, dataset), **override}
    splits = load(dataset, seed=0)
    cr.manual_seed(seed)
    model = models.get(name).build(splits.info)
    t0 = time.perf_counter()
    train(model, splits, cfg, seed=seed)
    seconds = time.perf_counter() - t0
    score = evaluate(model, splits.test, cfg["metric"])
    print(f"\n{name} on {dataset}: test {cfg['metric']} {score:.4f} ({seconds:.1f} s)")
    return model, splits, cfg, score


def test_neuron_gradient_is_the_hand_derived_one_and_the_loss_falls():
    neuron = models.get("neuron")
    x, y = cr.tensor([[1.0, 2.0, 3.0]]), cr.tensor([[5.0]])  # the seed's sample (§5)
    splits = Splits(TensorDataset(x, y), TensorDataset(x, y), {"n_features": 3})
    cr.manual_seed(0)
    model = neuron.build(splits.info)
    w0 = model.linear.weight.detach().numpy().astype(np.float64).reshape(-1)
    logged = []
    out = neuron.fit(model, splits, {"lr": 0.01, "epochs": 1}, lambda e, m: logged.append(e))

    # Closed form, in float64 from the starting weights: ŷ = x·w, ∂(ŷ − y)²/∂w = −2·x·(y − ŷ).
    xs = np.array([1.0, 2.0, 3.0])
    y_hat = xs @ w0
    expected = -2.0 * xs * (5.0 - y_hat)
    print(f"\nneuron: autograd {np.round(out['grad'], 6)}, by hand {np.round(expected, 6)}")
    np.testing.assert_allclose(out["grad"], expected, rtol=1e-5)
    # The step w − 0.01·g: the new loss in closed form, and it is lower.
    w1 = w0 - 0.01 * expected
    assert out["loss_before"] == pytest.approx((y_hat - 5.0) ** 2, rel=1e-5)
    assert out["loss"] == pytest.approx((xs @ w1 - 5.0) ** 2, rel=1e-4)
    assert out["loss"] < out["loss_before"]
    np.testing.assert_allclose(model.linear.weight.detach().numpy().reshape(-1), w1, rtol=1e-5)
    assert logged == [1]
    # The seed's formula −2·(y − ŷ) (without x) is a different vector: the test can tell.
    assert not np.allclose(out["grad"], -2.0 * (5.0 - y_hat))


def test_perceptron_breast_cancer():
    *_, acc = _fit("perceptron", "breast_cancer")
    assert acc >= 0.95


def test_mlp_xor_and_moons():
    *_, acc = _fit("mlp", "xor")
    assert acc == 1.0
    *_, acc = _fit("mlp", "moons")
    assert acc >= 0.97


def test_mlp_digits():
    *_, acc = _fit("mlp", "digits")
    assert acc >= 0.97


def test_linreg_diabetes_matches_least_squares():
    model, splits, _, r2 = _fit("linreg", "diabetes")
    X, y = (t.numpy().astype(np.float64) for t in splits.train.tensors)
    X_test, y_test = (t.numpy().astype(np.float64) for t in splits.test.tensors)
    ones = lambda A: np.hstack([A, np.ones((len(A), 1))])  # noqa: E731
    coef, *_ = np.linalg.lstsq(ones(X), y, rcond=None)
    resid = y_test - ones(X_test) @ coef
    r2_lstsq = 1 - (resid**2).sum() / ((y_test - y_test.mean()) ** 2).sum()
    print(f"  least squares test R² {r2_lstsq:.4f}; gradient descent {r2:.4f}")
    assert abs(r2 - r2_lstsq) <= 0.005
    assert r2 > 0.3  # and the fit explains the target at all


def test_logreg_breast_cancer_matches_sklearn():
    from sklearn.linear_model import LogisticRegression

    model, splits, _, acc = _fit("logreg", "breast_cancer")
    X, y = (t.numpy() for t in splits.train.tensors)
    X_test, y_test = (t.numpy() for t in splits.test.tensors)
    ref = LogisticRegression(C=1.0, max_iter=5000).fit(X, y)
    acc_ref = ref.score(X_test, y_test)
    p = 1 / (1 + np.exp(-predict(model, splits.test.tensors[0]).reshape(-1).astype(np.float64)))
    p_ref = ref.predict_proba(X_test)[:, 1]
    print(f"  scikit-learn accuracy {acc_ref:.4f}; max |Δp| {np.abs(p - p_ref).max():.3f}")
    assert abs(acc - acc_ref) <= 0.01
    assert acc >= 0.95


def test_cnn_digits():
    *_, acc = _fit("cnn", "digits")
    assert acc >= 0.985


def test_cnn_mnist():
    """Three epochs over 60 000 images, lr 2e-3 on a per-batch cosine down to 0: test accuracy
    0.9921 in 191 s from the command line on two BLAS threads (0.9927 in 278–336 s on one,
    before BatchNorm's rewrite), past the one-minute budget of the slow tests: opt in with
    CHAINRULE_MNIST_TEST=1. (A constant lr 1e-3 gave 0.9874.)"""
    root = Path(os.environ.get("CHAINRULE_DATA", "data"))
    if not (root / "mnist").is_dir():
        pytest.skip(f"MNIST not found in {root / 'mnist'}: run `make data` to fetch it")
    if os.environ.get("CHAINRULE_MNIST_TEST") != "1":
        pytest.skip("MNIST CNN run takes ~5 min on CPU; set CHAINRULE_MNIST_TEST=1 to run it")
    *_, acc = _fit("cnn", "mnist")
    assert acc >= 0.99


def _fit_own_data(name, seed=0):
    """``_fit`` for a model that makes its own splits (``data``) instead of the registry's."""
    module = models.get(name)
    cfg, splits = models.config(name), module.data(seed)
    cr.manual_seed(seed)
    model = module.build(splits.info)
    t0 = time.perf_counter()
    train(model, splits, cfg, seed=seed)
    score = evaluate(model, splits.test, cfg["metric"])
    print(f"\n{name}: test {cfg['metric']} {score:.4f} ({time.perf_counter() - t0:.1f} s)")
    return model, splits, cfg, score


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_gated_rnn_solves_the_adding_problem(name):
    model, splits, _, r2 = _fit_own_data(name)
    X, y = splits.test.tensors
    mse = float(((predict(model, X) - y.numpy()) ** 2).mean())
    print(f"  test MSE {mse:.5f} (predict-1 baseline 0.167)")
    assert mse < 0.01 and r2 >= models.config(name)["target"]


def test_rnn_forecasts_a_noisy_sine_better_than_persistence():
    model, splits, cfg, r2 = _fit_own_data("rnn")
    X, y = (t.numpy() for t in splits.test.tensors)
    mse = float(((predict(model, splits.test.tensors[0]) - y) ** 2).mean())
    persistence = float(((X.reshape(len(X), -1)[:, -1:] - y) ** 2).mean())
    print(f"  test MSE {mse:.4f}; persistence {persistence:.4f}")
    assert r2 >= cfg["target"] and mse < persistence


def test_charlm_beats_the_unigram_model_by_a_nat_and_samples():
    charlm = models.get("charlm")
    splits = charlm.data(0)
    cr.manual_seed(0)
    model = charlm.build(splits.info)
    t0 = time.perf_counter()
    result = charlm.fit(model, splits, {"seed": 0})
    train_ids = splits.train.tensors[0].numpy().reshape(-1)
    val_ids = splits.test.tensors[0].numpy().reshape(-1)
    V = len(splits.info["chars"])
    log_p = np.log((np.bincount(train_ids, minlength=V) + 1.0) / (len(train_ids) + V))
    unigram = float(-log_p[val_ids].mean())
    text = charlm.sample(model, 200, seed=0)
    print(
        f"\ncharlm: validation {result['val_nats_per_char']:.3f} nats/char, unigram "
        f"{unigram:.3f} ({time.perf_counter() - t0:.1f} s)\n  {text[:120]!r}"
    )
    assert result["val_nats_per_char"] <= unigram - 1.0
    assert len(text) == 204 and set(text) <= set(splits.info["chars"])
