"""Small built-in datasets: scikit-learn's bundled files and two generated ones.

Each builder returns NumPy arrays ``(X_train, y_train, X_test, y_test, info)``; the registry
(``registry.load``) turns them into ``TensorDataset`` splits. Nothing is downloaded:

    digits         8x8 handwritten digits (1797), images (1, 8, 8) in [0, 1], 75/25 stratified
    diabetes       442 patients x 10 features -> disease progression, 80/20, y standardised
    breast_cancer  569 tumours x 30 features -> malignant (0) / benign (1), 80/20 stratified
    iris           150 flowers x 4 features -> 3 species, 80/20 stratified
    moons          make_moons(1000, noise=0.2): 2 features, 2 classes, 80/20 stratified
    xor            the 4 XOR points; train = test
    gaussian_ring  8 Gaussians (std 0.02) on a circle of radius 2, the standard GAN test

Tabular X is standardised with the train split's statistics: x' = (x - mean_train) / std_train.
"""

from __future__ import annotations

import math

from .. import backend

np = backend.np


def _sklearn_datasets():
    """``sklearn.datasets``, imported only when a dataset needs it."""
    try:
        import sklearn.datasets
    except ImportError:
        raise ImportError(
            "chainrule.datasets: the built-in digits, diabetes, breast_cancer, iris and moons "
            "datasets are read through scikit-learn, which is not installed: "
            "pip install chainrule[zoo]  (or pip install scikit-learn)"
        ) from None
    return sklearn.datasets


def _check_fraction(name: str, test_size: float) -> None:
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"{name}: test_size must be in (0, 1), got {test_size}")


def stratified_split(y, test_size: float, seed: int):
    """Seeded split of indices keeping each class's share: ``(train_idx, test_idx)``.

    Class c with n_c samples puts round(n_c * test_size) of them, chosen at random, in the
    test split. Both index arrays come back shuffled.
    """
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        k = int(round(len(idx) * test_size))
        test.append(idx[:k])
        train.append(idx[k:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def random_split_indices(n: int, test_size: float, seed: int):
    """Seeded split of range(n): the first round(n * test_size) of a permutation are test."""
    perm = np.random.default_rng(seed).permutation(n)
    k = int(round(n * test_size))
    return perm[k:], perm[:k]


def standardize(X_train, X_test):
    """(x - mean) / std per column, with the train split's mean and std (ddof 0).

    A constant column (std 0) is only centred. Returns float32 arrays and the statistics.
    """
    mean = X_train.mean(axis=0, dtype=np.float64)
    std = X_train.std(axis=0, dtype=np.float64)
    std = np.where(std > 0, std, 1.0)
    return _scaled(X_train, mean, std), _scaled(X_test, mean, std), mean, std


def _scaled(X, mean, std):
    return ((X - mean) / std).astype(np.float32)


def _info(name, task, X_train, X_test, n_classes, n_features=None, **extra) -> dict:
    info = {
        "name": name,
        "task": task,
        "n_features": int(X_train.shape[1]) if n_features is None else n_features,
        "n_classes": n_classes,
        "n_train": int(X_train.shape[0]),
        "n_test": int(X_test.shape[0]),
    }
    info.update(extra)
    return info


def _classification(name, X, y, classes, seed, test_size):
    _check_fraction(name, test_size)
    tr, te = stratified_split(y, test_size, seed)
    X_train, X_test, mean, std = standardize(X[tr], X[te])
    info = _info(
        name,
        "classification",
        X_train,
        X_test,
        len(classes),
        classes=[str(c) for c in classes],
        x_mean=mean.tolist(),
        x_std=std.tolist(),
    )
    return X_train, y[tr].astype(np.int64), X_test, y[te].astype(np.int64), info


def digits(seed: int = 0, test_size: float = 0.25):
    """scikit-learn's 8x8 digits as images (N, 1, 8, 8) float32 in [0, 1] (pixels / 16)."""
    _check_fraction("digits", test_size)
    bunch = _sklearn_datasets().load_digits()
    X = (bunch.images / 16.0).astype(np.float32)[:, None, :, :]
    y = bunch.target.astype(np.int64)
    tr, te = stratified_split(y, test_size, seed)
    info = _info(
        "digits",
        "classification",
        X[tr],
        X[te],
        10,
        n_features=(1, 8, 8),
        classes=[str(c) for c in range(10)],
    )
    return X[tr], y[tr], X[te], y[te], info


def breast_cancer(seed: int = 0, test_size: float = 0.2):
    """Wisconsin breast cancer: 30 standardised features; 0 = malignant, 1 = benign."""
    bunch = _sklearn_datasets().load_breast_cancer()
    return _classification(
        "breast_cancer", bunch.data, bunch.target, bunch.target_names, seed, test_size
    )


def iris(seed: int = 0, test_size: float = 0.2):
    """Fisher's iris: 4 standardised features, 3 species."""
    bunch = _sklearn_datasets().load_iris()
    return _classification("iris", bunch.data, bunch.target, bunch.target_names, seed, test_size)


def moons(seed: int = 0, test_size: float = 0.2, n_samples: int = 1000, noise: float = 0.2):
    """Two interleaving half circles, ``make_moons(n_samples, noise, random_state=seed)``."""
    if n_samples < 2:
        raise ValueError(f"moons: n_samples must be >= 2, got {n_samples}")
    if noise < 0:
        raise ValueError(f"moons: noise must be >= 0, got {noise}")
    X, y = _sklearn_datasets().make_moons(n_samples=n_samples, noise=noise, random_state=seed)
    return _classification("moons", X, y, (0, 1), seed, test_size)


def diabetes(seed: int = 0, test_size: float = 0.2):
    """Diabetes progression: 10 features -> y (N, 1), both standardised with train statistics.

    Predictions map back to the original units as y * info['y_std'] + info['y_mean'].
    """
    _check_fraction("diabetes", test_size)
    bunch = _sklearn_datasets().load_diabetes(scaled=False)
    X, y = bunch.data, bunch.target.reshape(-1, 1)
    tr, te = random_split_indices(len(y), test_size, seed)
    X_train, X_test, mean, std = standardize(X[tr], X[te])
    y_train, y_test, y_mean, y_std = standardize(y[tr], y[te])
    info = _info(
        "diabetes",
        "regression",
        X_train,
        X_test,
        None,
        x_mean=mean.tolist(),
        x_std=std.tolist(),
        y_mean=float(y_mean[0]),
        y_std=float(y_std[0]),
    )
    return X_train, y_train, X_test, y_test, info


def xor(seed: int = 0):
    """The four XOR points, standardised (so 0/1 become -1/+1); train and test are the same.

    ``seed`` is accepted for a uniform interface; the data do not depend on it.
    """
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    y = np.array([0, 1, 1, 0], dtype=np.int64)
    X_train, _, mean, std = standardize(X, X)
    info = _info(
        "xor",
        "classification",
        X_train,
        X_train,
        2,
        classes=["0", "1"],
        x_mean=mean.tolist(),
        x_std=std.tolist(),
    )
    return X_train, y, X_train.copy(), y.copy(), info


def ring_modes(n_modes: int = 8, radius: float = 2.0):
    """The (n_modes, 2) mode centres radius * (cos 2πk/n, sin 2πk/n), k = 0..n-1."""
    angles = 2 * math.pi * np.arange(n_modes) / n_modes
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def gaussian_ring(
    seed: int = 0,
    test_size: float = 0.2,
    n_samples: int = 10000,
    n_modes: int = 8,
    radius: float = 2.0,
    std: float = 0.02,
):
    """A mixture of ``n_modes`` isotropic Gaussians (std ``std``) centred on a circle.

    Each mode gets an equal share of the samples (n_samples / n_modes, the rest spread over
    the first modes); X (N, 2) float32 is not standardised; y is all zeros (int64), since the
    task is generation. info['modes'] holds the centres and info['std'] the std.
    """
    _check_fraction("gaussian_ring", test_size)
    if n_samples < 1 or n_modes < 1:
        raise ValueError(
            f"gaussian_ring: n_samples and n_modes must be >= 1, got {n_samples} and {n_modes}"
        )
    if std <= 0 or radius <= 0:
        raise ValueError(f"gaussian_ring: std and radius must be > 0, got {std} and {radius}")
    rng = np.random.default_rng(seed)
    modes = ring_modes(n_modes, radius)
    which = rng.permutation(np.arange(n_samples) % n_modes)
    X = (modes[which] + std * rng.standard_normal((n_samples, 2))).astype(np.float32)
    y = np.zeros(n_samples, np.int64)
    tr, te = random_split_indices(n_samples, test_size, seed)
    info = _info(
        "gaussian_ring",
        "generation",
        X[tr],
        X[te],
        None,
        modes=modes,
        std=float(std),
        radius=float(radius),
    )
    return X[tr], y[tr], X[te], y[te], info


BUILDERS = {
    "digits": digits,
    "diabetes": diabetes,
    "breast_cancer": breast_cancer,
    "iris": iris,
    "moons": moons,
    "xor": xor,
    "gaussian_ring": gaussian_ring,
}
