"""A small GAN for 8×8 digit images in [0, 1]: MLP nets by default, or a DCGAN (Radford et al.
2016) with ``arch='conv'``:

G: z (N, latent_dim) → Linear → (128, 2, 2) → ConvTranspose2d ↑ (64, 4, 4), BatchNorm2d, ReLU
   → ConvTranspose2d ↑ (1, 8, 8) → Tanh (G and D work on images rescaled to [-1, 1]).
D: (1, 8, 8) → Conv2d ↓ (64, 4, 4), LeakyReLU(0.2) → Conv2d ↓ (128, 2, 2), LeakyReLU(0.2)
   → Linear → one logit.

It trains with the same adversarial loop as ``gan`` (non-saturating loss by default), and by
default as an InfoGAN with a 20-valued code (``gan.GAN``): a continuous G(z) must pass between
the digits somewhere, and without the code many samples fall between two of them; with it, G
gives each code value its own digit or style and the samples fall into separate modes. Samples
come from an exponential moving average of G's weights (``ema``).

    model = build(info)                          # codes=20, ema=True
    fit(model, splits, {"epochs": 100, "batch_size": 32, "lr": 1e-3, "seed": 0}, log)
    images = sample(model, 64, seed=0)          # (64, 1, 8, 8) in [0, 1]
"""

from __future__ import annotations

from collections.abc import Callable

import chainrule as cr
from chainrule import backend, nn
from chainrule.models.gan import GAN, InfoDiscriminator, Packed, train_adversarial
from chainrule.models.gan import objective as objective  # D's and G's losses on one batch
from chainrule.train import model_device

np = backend.np

DEFAULTS: dict = {
    "dataset": "digits",
    "epochs": 100,
    "batch_size": 32,
    "lr": 1e-3,
    "optimizer": "adam",
    "loss": "nonsaturating",
    "metric": "d_real",
    "target": None,
    "codes": 20,  # InfoGAN's categorical code, more values than digits: ≈ 0.86 of samples are
    "ema": True,  # confidently read as digits (issue #5's bar: 0.8); 0.68 without either
}


def build(
    info: dict,
    latent_dim: int = 8,
    width: int = 64,
    arch: str = "mlp",
    pack: int = 1,
    codes: int = 20,
    ema: bool = True,
    **_,
) -> GAN:
    """A GAN for (1, 8, 8) images. ``arch='conv'``: the DCGAN above, ``width`` channels after
    the first up/down-sampling. ``arch='mlp'`` (default): G is z → 8·width → 8·width → 64
    (BatchNorm1d + ReLU, then Tanh), D is 64 → 8·width → 1 (LeakyReLU(0.2)); the same
    objective, about four times cheaper per step on a CPU. ``codes`` > 0: an InfoGAN (see
    ``gan.GAN``): G also takes a one-hot code of ``codes`` values and a head Q on D's body
    guesses it; 0 is a plain GAN. ``ema``: sample from an exponential moving average of G's
    weights. ``pack`` > 1 scores packs of images jointly (``gan.Packed``; only with codes=0)."""
    shape = tuple(info.get("n_features", (1, 8, 8)))
    if shape != (1, 8, 8):
        raise ValueError(f"dcgan.build: expects (1, 8, 8) images, got n_features={shape}")
    if arch not in ("mlp", "conv"):
        raise ValueError(f"dcgan.build: unknown arch {arch!r}; choose 'conv' or 'mlp'")
    if pack > 1 and codes:
        raise ValueError(f"dcgan.build: pack={pack} and codes={codes} don't combine; choose one")
    w, n_in = width, codes + latent_dim
    if arch == "mlp":
        G = nn.Sequential(
            nn.Linear(n_in, 8 * w),
            nn.BatchNorm1d(8 * w),
            nn.ReLU(),
            nn.Linear(8 * w, 8 * w),
            nn.BatchNorm1d(8 * w),
            nn.ReLU(),
            nn.Linear(8 * w, 64),
            nn.Tanh(),
            nn.Unflatten(1, (1, 8, 8)),
        )
        body = nn.Sequential(nn.Flatten(), nn.Linear(64 * pack, 8 * w), nn.LeakyReLU(0.2))
        features = 8 * w
    else:
        G = nn.Sequential(
            nn.Linear(n_in, 2 * w * 2 * 2),
            nn.BatchNorm1d(2 * w * 2 * 2),
            nn.ReLU(),
            nn.Unflatten(1, (2 * w, 2, 2)),
            nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1),  # 2×2 → 4×4
            nn.BatchNorm2d(w),
            nn.ReLU(),
            nn.ConvTranspose2d(w, 1, 4, stride=2, padding=1),  # 4×4 → 8×8
            nn.Tanh(),
        )
        body = nn.Sequential(
            nn.Conv2d(1, w, 4, stride=2, padding=1),  # 8×8 → 4×4
            nn.LeakyReLU(0.2),
            nn.Conv2d(w, 2 * w, 4, stride=2, padding=1),  # 4×4 → 2×2
            nn.LeakyReLU(0.2),
            nn.Flatten(),
        )
        features = 2 * w * 2 * 2
    if codes:
        D = InfoDiscriminator(body, nn.Linear(features, 1), nn.Linear(features, codes))
    else:
        D = nn.Sequential(*body, nn.Linear(features, 1))
        D = Packed(D, pack) if pack > 1 else D
    return GAN(G, D, latent_dim, ema=ema, codes=codes)


def fit(model: GAN, splits, config: dict, log: Callable | None = None, loop=None) -> dict:
    """Train on ``splits.train`` images with ``gan.train_adversarial``. Each epoch's metrics add
    ``d_real`` and ``d_fake``: D's mean probability of "real" on 256 test images and on 256
    fresh samples (both near 0.5 when G fools D). ``loop``: a ``Loop`` for checkpoints and
    resume. Returns the last epoch's metrics."""
    X = 2 * splits.train.tensors[0].numpy().astype(np.float32) - 1  # G and D work in [-1, 1]
    X_test = 2 * splits.test.tensors[0][:256].to(model_device(model)) - 1
    seed = int(config.get("seed", 0))

    def evaluate(epoch: int) -> dict:
        fake = 2 * sample(model, 256, seed=seed + epoch) - 1
        model.eval()
        with cr.no_grad():
            d_real = cr.sigmoid(model.discriminator(X_test)).mean().item()
            d_fake = cr.sigmoid(model.discriminator(fake)).mean().item()
        model.train()
        return {"d_real": float(d_real), "d_fake": float(d_fake)}

    return train_adversarial(model, X, {**DEFAULTS, **config}, log, evaluate, "dcgan.fit", loop)


def sample(model: GAN, n: int, seed: int = 0) -> cr.Tensor:
    """n images (G(z) + 1) / 2, G's input ``model.noise`` (z ~ N(0, I), after a uniformly drawn
    one-hot code for an InfoGAN) from ``seed`` alone: (n, 1, 8, 8) in [0, 1]. G is
    ``model.sampler`` (the weight average, when there is one), in eval mode: BatchNorm uses its
    running statistics, so images don't interact."""
    was_training = model.training
    model.eval()
    with cr.no_grad():
        x = model.sampler(model.noise(n, np.random.default_rng(seed))[0])
    model.train(was_training)
    return (x + 1) / 2  # tanh's [-1, 1] → [0, 1]
