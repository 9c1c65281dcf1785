"""Seed program 8, made real: a GAN learns 8 Gaussians on a circle.

The generator G maps noise z to a 2-D point; the discriminator D scores points as real or
fake. D is trained to tell the ring from G's points, G to fool D (the non-saturating loss).
Run: python examples/gan_ring.py [--loss wgan-gp]
"""

import argparse

import chainrule as cr
from chainrule.datasets import registry
from chainrule.models import gan

parser = argparse.ArgumentParser()
parser.add_argument("--loss", default="nonsaturating", choices=["nonsaturating", "wgan-gp"])
parser.add_argument("--steps", type=int, default=3500)
args = parser.parse_args()

splits = registry.load("gaussian_ring", seed=0)
cr.manual_seed(0)
model = gan.build(splits.info, latent_dim=2, hidden=128, pack=1)
batch = 128
config = {
    "epochs": max(1, round(args.steps * batch / len(splits.train))),
    "batch_size": batch,
    "lr": 1e-3 if args.loss == "nonsaturating" else 1e-4,
    "seed": 0,
    "loss": args.loss,
}


def log(epoch, m):
    if epoch % 10 == 0 or epoch == config["epochs"]:
        print(
            f"epoch {epoch:3d}  D loss {m['d_loss']:.3f}  G loss {m['g_loss']:.3f}  "
            f"modes {m['modes_covered']}/8  within 3σ {m['high_quality']:.1%}"
        )


gan.fit(model, splits, config, log)
points = gan.sample(model, 2000, seed=123)
q = gan.mode_quality(points, splits.info["modes"], float(splits.info["std"]))
print(f"2,000 samples: {q['modes_covered']} of 8 modes covered, {q['high_quality']:.1%} within 3σ")
