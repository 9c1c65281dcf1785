"""The scikit-learn-backed and generated datasets, checked against scikit-learn's originals."""

import sys
from collections import Counter

import numpy as np
import pytest
import sklearn.datasets as skd

from chainrule.datasets import tabular

ORIGINALS = {
    "breast_cancer": lambda: skd.load_breast_cancer(return_X_y=True),
    "iris": lambda: skd.load_iris(return_X_y=True),
    "moons": lambda: skd.make_moons(n_samples=1000, noise=0.2, random_state=0),
}


def unstandardize(X, info):
    return X.astype(np.float64) * np.array(info["x_std"]) + np.array(info["x_mean"])


def row_index(original, rows, atol):
    """For each row of ``rows``, the first row of ``original`` equal to it within ``atol``.

    Duplicated original rows (iris and digits have some) all map to their first copy.
    """
    out = []
    for start in range(0, len(rows), 128):
        d = np.abs(rows[start : start + 128, None, :] - original[None, :, :]).max(axis=2)
        hits = d < atol
        assert hits.any(axis=1).all(), "a split row matches no original row"
        out.append(hits.argmax(axis=1))
    return np.concatenate(out)


def assert_partition(original, i_tr, i_te, atol):
    """train + test hold each original row exactly as often as the original does."""
    canon = row_index(original, original, atol)
    got = np.bincount(np.concatenate([i_tr, i_te]), minlength=len(original))
    np.testing.assert_array_equal(got, np.bincount(canon, minlength=len(original)))


@pytest.mark.parametrize("name", ["breast_cancer", "iris", "moons"])
def test_classification_splits_against_sklearn(name):
    X0, y0 = ORIGINALS[name]()
    Xtr, ytr, Xte, yte, info = tabular.BUILDERS[name](seed=0)
    n, d = X0.shape
    assert Xtr.dtype == Xte.dtype == np.float32 and ytr.dtype == yte.dtype == np.int64
    assert Xtr.shape == (info["n_train"], d) and Xte.shape == (info["n_test"], d)
    assert info["n_train"] + info["n_test"] == n and info["n_test"] == pytest.approx(0.2 * n, abs=2)
    assert info["task"] == "classification" and info["n_features"] == d
    assert info["n_classes"] == len(np.unique(y0)) == len(info["classes"])
    # Every split row is an original row with its own label; together they are all of them.
    atol = 1e-4 * (1 + np.abs(X0).max())
    i_tr = row_index(X0, unstandardize(Xtr, info), atol)
    i_te = row_index(X0, unstandardize(Xte, info), atol)
    np.testing.assert_array_equal(y0[i_tr], ytr)
    np.testing.assert_array_equal(y0[i_te], yte)
    assert_partition(X0, i_tr, i_te, atol)  # disjoint and complete
    # Stratified: each class puts round(n_c / 5) in the test split.
    np.testing.assert_array_equal(np.bincount(ytr) + np.bincount(yte), np.bincount(y0))
    np.testing.assert_array_equal(np.bincount(yte), np.round(np.bincount(y0) * 0.2))
    # Standardised with the train split's statistics.
    np.testing.assert_allclose(Xtr.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(Xtr.std(0), 1, atol=1e-4)
    np.testing.assert_allclose(info["x_mean"], X0[i_tr].mean(0), rtol=1e-10)
    assert np.abs(Xte.mean(0)).max() > 1e-3  # the test split is not re-centred on itself


def test_digits_images_against_sklearn():
    bunch = skd.load_digits()
    Xtr, ytr, Xte, yte, info = tabular.digits(seed=0)
    assert Xtr.shape == (1347, 1, 8, 8) and Xte.shape == (450, 1, 8, 8)
    assert Xtr.dtype == np.float32 and ytr.dtype == np.int64
    assert info["n_features"] == (1, 8, 8) and info["n_classes"] == 10
    assert Xtr.min() == 0.0 and Xtr.max() == 1.0 and Xte.max() == 1.0
    # Pixels are k/16 for integer k: compare (image, label) multisets exactly.
    pixels = np.concatenate([Xtr, Xte]).reshape(-1, 64).astype(np.float64) * 16
    assert np.abs(pixels - np.rint(pixels)).max() < 1e-5
    labels = np.concatenate([ytr, yte])
    split = Counter((r.tobytes(), c) for r, c in zip(np.rint(pixels).astype(np.int8), labels))
    flat = bunch.images.reshape(-1, 64).astype(np.int8)
    assert split == Counter((r.tobytes(), c) for r, c in zip(flat, bunch.target))
    np.testing.assert_array_equal(np.bincount(ytr) + np.bincount(yte), np.bincount(bunch.target))
    np.testing.assert_array_equal(np.bincount(yte), np.round(np.bincount(bunch.target) * 0.25))


def test_diabetes_regression_against_sklearn():
    X0, y0 = skd.load_diabetes(return_X_y=True, scaled=False)
    Xtr, ytr, Xte, yte, info = tabular.diabetes(seed=0)
    assert Xtr.shape == (354, 10) and Xte.shape == (88, 10)
    assert ytr.shape == (354, 1) and yte.shape == (88, 1) and ytr.dtype == np.float32
    assert info["task"] == "regression" and info["n_classes"] is None
    i_tr = row_index(X0, unstandardize(Xtr, info), 1e-3)
    i_te = row_index(X0, unstandardize(Xte, info), 1e-3)
    assert_partition(X0, i_tr, i_te, 1e-3)
    y_back = ytr[:, 0].astype(np.float64) * info["y_std"] + info["y_mean"]
    np.testing.assert_allclose(y_back, y0[i_tr], atol=1e-3)
    np.testing.assert_allclose(yte[:, 0] * info["y_std"] + info["y_mean"], y0[i_te], atol=1e-3)
    assert info["y_mean"] == pytest.approx(y0[i_tr].mean()) and abs(ytr.mean()) < 1e-6
    assert info["y_std"] == pytest.approx(y0[i_tr].std()) and ytr.std() == pytest.approx(1, 1e-5)


@pytest.mark.parametrize("name", ["digits", "diabetes", "breast_cancer", "iris", "moons"])
def test_split_is_fixed_by_the_seed(name):
    a = tabular.BUILDERS[name](seed=3)
    b = tabular.BUILDERS[name](seed=3)
    c = tabular.BUILDERS[name](seed=4)
    for u, v in zip(a[:4], b[:4]):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0], c[0])


def test_xor():
    Xtr, ytr, Xte, yte, info = tabular.xor()
    np.testing.assert_array_equal(Xtr, [[-1, -1], [-1, 1], [1, -1], [1, 1]])
    np.testing.assert_array_equal(ytr, [0, 1, 1, 0])
    np.testing.assert_array_equal(ytr, (Xtr[:, 0] > 0) ^ (Xtr[:, 1] > 0))
    np.testing.assert_array_equal(Xte, Xtr)
    np.testing.assert_array_equal(yte, ytr)
    assert info["n_train"] == info["n_test"] == 4


def test_gaussian_ring():
    Xtr, ytr, Xte, yte, info = tabular.gaussian_ring(seed=0)
    assert Xtr.shape == (8000, 2) and Xte.shape == (2000, 2) and Xtr.dtype == np.float32
    assert info["task"] == "generation" and info["std"] == 0.02
    assert (ytr == 0).all() and ytr.dtype == np.int64
    modes = info["modes"]
    angles = np.arange(8) * np.pi / 4
    np.testing.assert_allclose(modes, 2 * np.c_[np.cos(angles), np.sin(angles)], atol=1e-12)
    X = np.concatenate([Xtr, Xte]).astype(np.float64)
    dist = np.linalg.norm(X[:, None] - modes[None], axis=2)
    nearest = dist.argmin(1)
    assert np.bincount(nearest, minlength=8).tolist() == [1250] * 8
    resid = X - modes[nearest]
    # Each coordinate is N(0, 0.02²): the sample std of 10,000 draws is within ~2% of 0.02.
    np.testing.assert_allclose(resid.std(0), 0.02, rtol=0.03)
    np.testing.assert_allclose(resid.mean(0), 0, atol=0.001)
    # |resid|² / σ² is chi-square with 2 dof: P(within 3σ) = 1 - exp(-4.5) = 0.98889.
    within = (np.linalg.norm(resid, axis=1) < 3 * 0.02).mean()
    assert within == pytest.approx(1 - np.exp(-4.5), abs=0.004)
    other = tabular.gaussian_ring(seed=1, n_samples=80, std=0.5)
    assert other[0].shape == (64, 2) and other[4]["std"] == 0.5


def test_bad_options():
    with pytest.raises(ValueError, match=r"moons: test_size must be in \(0, 1\), got 1.5"):
        tabular.moons(test_size=1.5)
    with pytest.raises(ValueError, match="moons: noise must be >= 0, got -0.1"):
        tabular.moons(noise=-0.1)
    with pytest.raises(ValueError, match="gaussian_ring: std and radius must be > 0, got 0"):
        tabular.gaussian_ring(std=0)


def test_missing_sklearn_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"pip install chainrule\[zoo\]"):
        tabular.iris()
    tabular.xor()  # the generated datasets need no scikit-learn
    tabular.gaussian_ring(n_samples=16)
