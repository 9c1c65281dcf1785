"""A small DCGAN (Radford et al. 2016) for 8×8 digit images in [0, 1].

G: z (N, latent_dim) → Linear → (128, 2, 2) → ConvTranspose2d ↑ (64, 4, 4), BatchNorm2d, ReLU
   → ConvTranspose2d ↑ (1, 8, 8) → Sigmoid.
D: (1, 8, 8) → Conv2d ↓ (64, 4, 4), LeakyReLU(0.2) → Conv2d ↓ (128, 2, 2), LeakyReLU(0.2)
   → Linear → one logit.

It trains with the same adversarial loop as ``gan`` (non-saturating loss by default).

    model = build(info)
    fit(model, splits, {"epochs": 80, "batch_size": 64, "lr": 1e-3, "seed": 0}, log)
    images = sample(model, 64, seed=0)          # (64, 1, 8, 8) in [0, 1]
"""

from __future__ import annotations

from collections.abc import Callable

import chainrule as cr
from chainrule import backend, nn
from chainrule.models.gan import GAN, Packed, _latent, train_adversarial

np = backend.np

DEFAULTS: dict = {
    "dataset": "digits",
    "epochs": 80,
    "batch_size": 64,
    "lr": 1e-3,
    "optimizer": "adam",
    "loss": "nonsaturating",
    "metric": "d_real",
    "target": None,
}


def build(
    info: dict, latent_dim: int = 32, width: int = 32, arch: str = "mlp", pack: int = 1, **_
) -> GAN:
    """A GAN for (1, 8, 8) images. ``arch='conv'``: the DCGAN above, ``width`` channels after
    the first up/down-sampling. ``arch='mlp'`` (default): G is z → 8·width → 8·width → 64
    (LeakyReLU(0.2), Sigmoid), D is 64 → 8·width → 1; the same objective, about ten times
    cheaper per step on a CPU."""
    shape = tuple(info.get("n_features", (1, 8, 8)))
    if shape != (1, 8, 8):
        raise ValueError(f"dcgan.build: expects (1, 8, 8) images, got n_features={shape}")
    w = width
    if arch == "mlp":
        G = nn.Sequential(
            nn.Linear(latent_dim, 8 * w),
            nn.LeakyReLU(0.2),
            nn.Linear(8 * w, 8 * w),
            nn.LeakyReLU(0.2),
            nn.Linear(8 * w, 64),
            nn.Sigmoid(),
            nn.Unflatten(1, (1, 8, 8)),
        )
        D = nn.Sequential(
            nn.Flatten(), nn.Linear(64 * pack, 8 * w), nn.LeakyReLU(0.2), nn.Linear(8 * w, 1)
        )
        return GAN(G, Packed(D, pack) if pack > 1 else D, latent_dim)
    if arch != "conv":
        raise ValueError(f"dcgan.build: unknown arch {arch!r}; choose 'conv' or 'mlp'")
    G = nn.Sequential(
        nn.Linear(latent_dim, 2 * w * 2 * 2),
        nn.BatchNorm1d(2 * w * 2 * 2),
        nn.ReLU(),
        nn.Unflatten(1, (2 * w, 2, 2)),
        nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1),  # 2×2 → 4×4
        nn.BatchNorm2d(w),
        nn.ReLU(),
        nn.ConvTranspose2d(w, 1, 4, stride=2, padding=1),  # 4×4 → 8×8
        nn.Sigmoid(),
    )
    D = nn.Sequential(
        nn.Conv2d(1, w, 4, stride=2, padding=1),  # 8×8 → 4×4
        nn.LeakyReLU(0.2),
        nn.Conv2d(w, 2 * w, 4, stride=2, padding=1),  # 4×4 → 2×2
        nn.LeakyReLU(0.2),
        nn.Flatten(),
        nn.Linear(2 * w * 2 * 2, 1),
    )
    return GAN(G, D, latent_dim)


def fit(model: GAN, splits, config: dict, log: Callable | None = None) -> dict:
    """Train on ``splits.train`` images with ``gan.train_adversarial``. Each epoch's metrics add
    ``d_real`` and ``d_fake``: D's mean probability of "real" on 256 test images and on 256
    fresh samples (both near 0.5 when G fools D). Returns the last epoch's metrics."""
    X = splits.train.tensors[0].numpy().astype(np.float32)
    X_test = splits.test.tensors[0][:256]
    seed = int(config.get("seed", 0))

    def evaluate(epoch: int) -> dict:
        fake = sample(model, 256, seed=seed + epoch)
        model.eval()
        with cr.no_grad():
            d_real = cr.sigmoid(model.discriminator(X_test)).mean().item()
            d_fake = cr.sigmoid(model.discriminator(fake)).mean().item()
        model.train()
        return {"d_real": float(d_real), "d_fake": float(d_fake)}

    return train_adversarial(model, X, {**DEFAULTS, **config}, log, evaluate, "dcgan.fit")


def sample(model: GAN, n: int, seed: int = 0) -> cr.Tensor:
    """n images G(z), z ~ N(0, I) from ``seed`` alone: (n, 1, 8, 8) in [0, 1]. G runs in eval
    mode, so BatchNorm uses its running statistics and each image is independent of the rest."""
    was_training = model.training
    model.eval()
    with cr.no_grad():
        x = model.generator(_latent(n, model.latent_dim, np.random.default_rng(seed)))
    model.train(was_training)
    return x
