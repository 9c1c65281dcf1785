"""A small GAN that draws 8×8 handwritten digits: by default an InfoGAN whose 20-valued code
lets G keep the digits apart, sampled from an average of G's weights (see chainrule.models.dcgan).

Run: python examples/dcgan_digits.py [--arch conv]
"""

import argparse

import chainrule as cr
from chainrule.datasets import registry
from chainrule.models import dcgan

parser = argparse.ArgumentParser()
parser.add_argument("--arch", default="mlp", choices=["mlp", "conv"])
parser.add_argument("--epochs", type=int, default=100)
args = parser.parse_args()

splits = registry.load("digits", seed=0)
cr.manual_seed(0)
model = dcgan.build(splits.info, arch=args.arch)
config = {"epochs": args.epochs, "batch_size": 32, "lr": 1e-3, "seed": 0}


def log(epoch, m):
    if epoch % 10 == 0:
        print(f"epoch {epoch:3d}  D loss {m['d_loss']:.3f}  G loss {m['g_loss']:.3f}  "
              f"D(real) {m['d_real']:.2f}  D(fake) {m['d_fake']:.2f}")  # fmt: skip


dcgan.fit(model, splits, config, log)
images = dcgan.sample(model, 16, seed=0).numpy()[:, 0]
for row in range(2):  # 8 digits per row, drawn in characters
    for y in range(8):
        line = "  ".join(
            "".join(" .:-=+*#%@"[min(9, int(v * 10))] for v in img[y])
            for img in images[8 * row : 8 * row + 8]
        )
        print(line)
    print()
