"""The workloads of issue #7, each as a step function per library on the same weights and data.

Every workload is a ``Workload``: its FLOPs per step (matmul and convolution products only,
2·M·N·K each; a training step counts the forward 3×: forward plus two products in backward),
the items (samples) per step, the target ratio chainrule / torch, and one factory per library.
A factory returns ``step()``, which runs one step and returns the loss (training) or the output
(inference); the runner checks that the first values agree before timing anything.

Weights are made here as NumPy arrays in torch's layout (Linear (out, in), Conv (O, C, k, k))
and copied into every library's parameters. The pure-NumPy peers live in ``peers.py``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

import chainrule as cr
import chainrule.nn.functional as F


@dataclass
class Workload:
    key: str
    title: str
    flops: float  # per step
    items: int  # samples per step
    steps: int  # steps per timed block (full run)
    target: float | None  # chainrule / torch median ratio must be at most this
    factories: dict[str, Callable[[], Callable]] = field(default_factory=dict)
    na: dict[str, str] = field(default_factory=dict)  # library -> why it can't run this
    note: str = ""
    skip: str = ""  # why this workload isn't run (data missing, --no-mnist)
    plain: tuple = ()  # peers that run plain NumPy here (no autodiff): a ceiling, not a rival


# ---------------------------------------------------------------- shared specs
def data(shape, classes, seed=0):
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal(shape).astype(np.float32),
        rng.integers(0, classes, shape[0]).astype(np.int64),
    )


def uniform_init(shapes_fan_in, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for shape, fan_in in shapes_fan_in:
        bound = 1 / np.sqrt(fan_in)
        out.append(rng.uniform(-bound, bound, shape).astype(np.float32))
    return out


def mlp_weights(sizes, seed=0):
    """[W1 (out, in), b1, W2, b2, ...] for the MLP ``sizes``."""
    specs = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        specs += [((b, a), a), ((b,), a)]
    return uniform_init(specs, seed)


def cnn_weights(seed=0):
    """conv 1→16, conv 16→32 (3×3), linear 1568→10."""
    return uniform_init(
        [((16, 1, 3, 3), 9), ((16,), 9), ((32, 16, 3, 3), 144), ((32,), 144)]
        + [((10, 1568), 1568), ((10,), 1568)],
        seed,
    )


def mlp_flops(sizes, batch):
    return sum(2 * batch * a * b for a, b in zip(sizes[:-1], sizes[1:]))


def cnn_flops(batch):
    return 2 * batch * (28 * 28 * 16 * 1 * 9 + 14 * 14 * 32 * 16 * 9 + 1568 * 10)


def load(model, arrays):
    """Copy NumPy ``arrays`` into ``model``'s parameters, in order (chainrule or torch)."""
    params = list(model.parameters())
    assert len(params) == len(arrays), (len(params), len(arrays))
    for p, a in zip(params, arrays):
        if isinstance(p, torch.Tensor):
            with torch.no_grad():
                p.copy_(torch.from_numpy(a))
        else:
            assert p.data.shape == a.shape, (p.data.shape, a.shape)
            p.data[...] = a
    return model


def mlp(lib, sizes, act=None):
    act = act or (lambda: lib.nn.ReLU())
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(lib.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(act())
    return lib.nn.Sequential(*layers)


def cnn(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10),
    )  # fmt: skip


def lib_of(name):
    return cr if name == "chainrule" else torch


def lib_tensor(name, a):
    return cr.tensor(a) if name == "chainrule" else torch.from_numpy(a)


def lib_cross_entropy(name):
    return F.cross_entropy if name == "chainrule" else torch.nn.functional.cross_entropy


def lib_no_grad(name):
    return cr.no_grad() if name == "chainrule" else torch.no_grad()


# ---------------------------------------------------------------- chainrule and torch steps
def train_factory(name, make_model, weights, x, y, lr, opt="sgd"):
    def factory():
        lib = lib_of(name)
        model = load(make_model(lib), weights)
        Opt = lib.optim.SGD if opt == "sgd" else lib.optim.Adam
        o = Opt(model.parameters(), lr=lr)
        xs, ys, ce = lib_tensor(name, x), lib_tensor(name, y), lib_cross_entropy(name)

        def step():
            loss = ce(model(xs), ys)
            o.zero_grad()
            loss.backward()
            o.step()
            return loss

        return step

    return factory


def infer_factory(name, make_model, weights, x):
    def factory():
        model = load(make_model(lib_of(name)), weights)
        model.eval()
        xs = lib_tensor(name, x)

        def step():
            with lib_no_grad(name):
                return model(xs)

        return step

    return factory


def op_factory(name, a):
    def factory():
        x = (cr.tensor if name == "chainrule" else torch.tensor)(a.copy(), requires_grad=True)

        def step():
            x.grad = None
            loss = (x * 2.0).sum()
            loss.backward()
            return loss

        return step

    return factory


# ---------------------------------------------------------------- recurrent
T, B, IN, H, OUT = 50, 32, 8, 64, 4


def rnn_weights(kind, seed=0):
    """torch's own initialisation of nn.LSTM / nn.GRU (IN→H) and a Linear(H, OUT) head, as
    NumPy arrays in parameter order."""
    torch.manual_seed(seed)
    rnn = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(IN, H)
    head = torch.nn.Linear(H, OUT)
    return [p.detach().numpy().copy() for p in list(rnn.parameters()) + list(head.parameters())]


def rnn_data(seed=0):
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((T, B, IN)).astype(np.float32),
        rng.standard_normal((B, OUT)).astype(np.float32),
    )


def rnn_flops(kind):
    gates = 4 if kind == "lstm" else 3
    return 3 * (T * 2 * B * (IN + H) * gates * H + 2 * B * H * OUT)


def rnn_factory(name, kind, weights, x, y, lr=0.05):
    def factory():
        lib = lib_of(name)
        if name == "chainrule":
            from chainrule.nn.recurrent import GRU, LSTM

            rnn = (LSTM if kind == "lstm" else GRU)(IN, H)
        else:
            rnn = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(IN, H)
        head = lib.nn.Linear(H, OUT)
        load(rnn, weights[:4])
        load(head, weights[4:])
        params = list(rnn.parameters()) + list(head.parameters())
        o = lib.optim.SGD(params, lr=lr)
        xs, ys = lib_tensor(name, x), lib_tensor(name, y)
        mse = F.mse_loss if name == "chainrule" else torch.nn.functional.mse_loss

        def step():
            _, hn = rnn(xs)
            h = hn[0] if kind == "lstm" else hn
            loss = mse(head(h[-1]), ys)
            o.zero_grad()
            loss.backward()
            o.step()
            return loss

        return step

    return factory


def without_onednn(factory):
    """A torch step factory whose steps run with oneDNN (mkldnn) disabled. torch's nn.LSTM on
    the CPU runs oneDNN's fused RNN kernels (``aten::mkldnn_rnn_layer`` and its backward: the
    whole sequence in one call each way); without it, it runs ATen's cell step by step."""

    def make():
        step = factory()

        def off():
            with warnings.catch_warnings():  # set_flags warns about TF32 on Intel GPUs
                warnings.simplefilter("ignore", UserWarning)
                with torch.backends.mkldnn.flags(enabled=False):
                    return step()

        return off

    return make


# ---------------------------------------------------------------- GAN (models/gan.py defaults)
GAN_B, GAN_LATENT, GAN_HIDDEN, GAN_DEPTH = 128, 2, 128, 3
GAN_G = [GAN_LATENT] + [GAN_HIDDEN] * GAN_DEPTH + [2]
GAN_D = [2] + [GAN_HIDDEN] * GAN_DEPTH + [1]


def gan_data(seed=0):
    """A batch of ring points (8 Gaussians, radius 2, std 0.02) and a batch of z."""
    rng = np.random.default_rng(seed)
    angle = 2 * np.pi * rng.integers(0, 8, GAN_B) / 8
    real = np.stack([2 * np.cos(angle), 2 * np.sin(angle)], 1) + 0.02 * rng.standard_normal(
        (GAN_B, 2)
    )
    z = rng.standard_normal((GAN_B, GAN_LATENT))
    return real.astype(np.float32), z.astype(np.float32)


def gan_flops():
    fg, fd = mlp_flops(GAN_G, GAN_B), mlp_flops(GAN_D, GAN_B)
    return fg + 2 * 3 * fd + 3 * fg + 3 * fd  # D step: G(z) no grad, D on real and fake; G step


def gan_factory(name, wg, wd, real, z, lr=1e-3):
    """One ``train_adversarial`` step: a D step (non-saturating BCE on real and G(z), no grad
    through G) and a G step, both with Adam(betas=(0.5, 0.999))."""

    def factory():
        lib = lib_of(name)
        G = load(mlp(lib, GAN_G), wg)
        D = load(mlp(lib, GAN_D, lambda: lib.nn.LeakyReLU(0.2)), wd)
        opt_g = lib.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
        opt_d = lib.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))
        bce = (
            F.binary_cross_entropy_with_logits
            if name == "chainrule"
            else torch.nn.functional.binary_cross_entropy_with_logits
        )
        ones = lib.ones if name == "chainrule" else torch.ones
        zeros = lib.zeros if name == "chainrule" else torch.zeros
        xr, zs = lib_tensor(name, real), lib_tensor(name, z)
        one, zero = ones(GAN_B, 1), zeros(GAN_B, 1)

        def step():
            with lib_no_grad(name):
                fake = G(zs)
            opt_d.zero_grad()
            d_loss = bce(D(xr), one) + bce(D(fake), zero)
            d_loss.backward()
            opt_d.step()
            opt_g.zero_grad()
            g_loss = bce(D(G(zs)), one)
            g_loss.backward()
            opt_g.step()
            return d_loss

        return step

    return factory
