"""A GAN on 2-D points (seed program 8): MLP generator G and discriminator D, trained
adversarially on ``gaussian_ring`` (8 Gaussians on a circle).

Two objectives, chosen by ``config['loss']``:

* ``'nonsaturating'`` (Goodfellow et al. 2014). D maximises log D(x) + log(1 − D(G(z))); G
  maximises log D(G(z)) instead of minimising log(1 − D(G(z))), which saturates early on.
  Both are binary cross-entropies on D's logits.
* ``'wgan-gp'`` (Gulrajani et al. 2017). The critic D minimises D(G(z)) − D(x) +
  λ (‖∇ₓ̂ D(x̂)‖ − 1)² on random interpolates x̂; G minimises −D(G(z)). The penalty is a
  function of a gradient, so it is built with ``cr.grad(..., create_graph=True)`` and its own
  gradient flows back through that gradient (double backprop).

    model = build(info)
    metrics = fit(model, splits, {"epochs": 56, "batch_size": 128, "lr": 1e-3, "seed": 0}, log)
    points = sample(model, 2000, seed=0)        # (2000, 2)
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable

import chainrule as cr
from chainrule import backend, nn
from chainrule.models._loop import Loop
from chainrule.nn import functional as F
from chainrule.train import model_device

np = backend.np

DEFAULTS: dict = {
    "dataset": "gaussian_ring",
    "epochs": 56,  # 56 × 8,000 / 128 = 3,500 steps
    "batch_size": 128,
    "lr": 1e-3,
    "optimizer": "adam",
    "loss": "nonsaturating",
    "metric": "high_quality",
    "target": 0.8,
}


class GAN(nn.Module):
    """Holds ``generator`` (z ↦ point) and ``discriminator`` (point ↦ one logit).

    ``codes`` > 0 makes it an InfoGAN (Chen et al. 2016): G's input is a one-hot code c, one of
    ``codes`` values drawn uniformly, followed by z ~ N(0, I) (``noise``), and the discriminator
    is an ``InfoDiscriminator``, whose head Q also guesses c from the image. G and Q both
    minimise the cross-entropy of Q's guess (``info_loss``); H(c) minus it is a lower bound on
    the mutual information I(c; G(z, c)), so G learns to give each code its own kind of sample:
    separate modes, fewer samples drawn between them.

    ``ema`` adds ``generator_ema``, a copy of G whose weights ``train_adversarial`` keeps at an
    exponential moving average of G's (Yazıcı et al. 2019). ``sampler`` is the generator that
    samples: the average when there is one, else G.
    """

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        latent_dim: int,
        ema: bool = False,
        codes: int = 0,
    ):
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.codes = codes
        self.generator_ema = copy.deepcopy(generator).requires_grad_(False) if ema else None

    @property
    def sampler(self) -> nn.Module:
        return self.generator if self.generator_ema is None else self.generator_ema

    def noise(self, n: int, rng=None) -> tuple[cr.Tensor, cr.Tensor | None]:
        """G's input for n samples and their codes: (z (n, latent_dim), None), or with
        ``codes`` ([one-hot c, z] (n, codes + latent_dim), c (n,) int64), drawn from the NumPy
        Generator ``rng`` (default: chainrule's own)."""
        device = model_device(self)
        if not self.codes:
            return _latent(n, self.latent_dim, rng).to(device), None
        rng = backend.rng() if rng is None else rng
        z = rng.standard_normal((n, self.latent_dim)).astype(np.float32)
        c = rng.integers(0, self.codes, n)
        one_hot = np.eye(self.codes, dtype=np.float32)[c]
        return cr.tensor(np.concatenate([one_hot, z], 1), device=device), cr.tensor(
            c, device=device
        )

    def forward(self, z: cr.Tensor) -> cr.Tensor:
        return self.generator(z)


class InfoDiscriminator(nn.Module):
    """InfoGAN's D and Q on one shared ``body``: ``forward`` gives D's logit (N, 1) from
    ``head``, ``code_logits`` Q's logits (N, codes) over the code from ``q``."""

    def __init__(self, body: nn.Module, head: nn.Module, q: nn.Module):
        super().__init__()
        self.body, self.head, self.q = body, head, q

    def forward(self, x: cr.Tensor) -> cr.Tensor:
        return self.head(self.body(x))

    def code_logits(self, x: cr.Tensor) -> cr.Tensor:
        return self.q(self.body(x))


class Packed(nn.Module):
    """PacGAN's discriminator (Lin et al. 2018): scores ``pack`` samples jointly,
    (N, d) → (N / pack, pack·d) → net → (N / pack, 1). A collapsed G gives packs of
    near-identical points, which real packs never are, so D can see the collapse."""

    def __init__(self, net: nn.Module, pack: int):
        super().__init__()
        self.net, self.pack = net, pack

    def forward(self, x: cr.Tensor) -> cr.Tensor:
        n = x.shape[0]
        if n % self.pack:
            raise ValueError(f"Packed: batch of {n} is not a multiple of pack={self.pack}")
        return self.net(x.reshape(n // self.pack, -1))  # rows i·pack … i·pack + pack − 1


def _mlp(n_in: int, hidden: int, depth: int, n_out: int, act: Callable[[], nn.Module]):
    layers, width = [], n_in
    for _ in range(depth):
        layers += [nn.Linear(width, hidden), act()]
        width = hidden
    layers.append(nn.Linear(width, n_out))
    return nn.Sequential(*layers)


def build(
    info: dict, latent_dim: int = 2, hidden: int = 128, depth: int = 3, pack: int = 1, **_
) -> GAN:
    """G: z (N, latent_dim) → ReLU MLP → (N, d); D: packs of ``pack`` points (N, d) →
    LeakyReLU(0.2) MLP → (N / pack, 1) logits. ``pack=1`` is the plain discriminator."""
    d = info.get("n_features", 2)
    d = int(np.prod(d)) if isinstance(d, tuple) else int(d)
    G = _mlp(latent_dim, hidden, depth, d, nn.ReLU)
    D = _mlp(d * pack, hidden, depth, 1, lambda: nn.LeakyReLU(0.2))
    D = Packed(D, pack) if pack > 1 else D
    return GAN(G, D, latent_dim)


# ---------------------------------------------------------------- the objectives
def d_loss_nonsaturating(D: nn.Module, real: cr.Tensor, fake: cr.Tensor) -> cr.Tensor:
    """−[log σ(D(x)) + log(1 − σ(D(G(z))))], averaged: BCE with targets 1 (real), 0 (fake)."""
    lr, lf = D(real), D(fake)
    return F.binary_cross_entropy_with_logits(
        lr, cr.ones_like(lr)
    ) + F.binary_cross_entropy_with_logits(lf, cr.zeros_like(lf))


def g_loss_nonsaturating(D: nn.Module, fake: cr.Tensor) -> cr.Tensor:
    """−log σ(D(G(z))), averaged: G is scored as if its samples were real."""
    lf = D(fake)
    return F.binary_cross_entropy_with_logits(lf, cr.ones_like(lf))


def gradient_penalty(
    D: nn.Module, real: cr.Tensor, fake: cr.Tensor, eps: cr.Tensor | None = None
) -> cr.Tensor:
    """mean over the batch of (‖∇ₓ̂ D(x̂)‖₂ − 1)², x̂ = ε x + (1 − ε) x̃, ε ~ U[0, 1] per row.

    ``eps`` (N, 1) may be given (tests); the gradient is taken with ``create_graph=True`` so the
    result is differentiable with respect to D's parameters.
    """
    n = real.shape[0]
    if eps is None:
        eps = cr.rand(n, *([1] * (real.dim() - 1)), dtype=real.dtype).to(real.device)
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    out = D(x_hat)
    (g,) = cr.grad(out.sum(), x_hat, create_graph=True)
    norm = (g.reshape(n, -1).square().sum(1) + 1e-12).sqrt()
    return ((norm - 1) ** 2).mean()


def d_loss_wgan_gp(D: nn.Module, real: cr.Tensor, fake: cr.Tensor, lam: float = 10.0) -> cr.Tensor:
    """Critic loss: E[D(x̃)] − E[D(x)] + λ·gradient_penalty."""
    return D(fake).mean() - D(real).mean() + lam * gradient_penalty(D, real, fake)


def g_loss_wgan_gp(D: nn.Module, fake: cr.Tensor) -> cr.Tensor:
    """−E[D(G(z))]."""
    return -D(fake).mean()


def info_loss(D: InfoDiscriminator, fake: cr.Tensor, c: cr.Tensor) -> cr.Tensor:
    """−E log Q(c | G(z, c)): cross-entropy of Q's guess of the code behind each sample."""
    return F.cross_entropy(D.code_logits(fake), c)


# ---------------------------------------------------------------- quality on the ring
def mode_quality(points, modes, std: float, k: float = 3.0, min_share: float = 0.01) -> dict:
    """Per point, the nearest mode and whether it lies within k·std of it.

    Returns ``modes_covered`` (modes holding at least ``min_share`` of all points within k·std)
    and ``high_quality`` (share of points within k·std of some mode).
    """
    p = np.asarray(points.numpy() if isinstance(points, cr.Tensor) else points, dtype=np.float64)
    m = np.asarray(modes, dtype=np.float64)
    dist = np.sqrt(((p[:, None, :] - m[None, :, :]) ** 2).sum(-1))
    nearest, close = dist.argmin(1), dist.min(1) <= k * std
    counts = np.bincount(nearest[close], minlength=len(m))
    return {
        "modes_covered": int((counts >= min_share * len(p)).sum()),
        "high_quality": float(close.mean()),
    }


# ---------------------------------------------------------------- training
def ema_update(average: nn.Module, model: nn.Module, decay: float) -> None:
    """average ← decay · average + (1 − decay) · model, for each parameter and each floating
    buffer (BatchNorm's running statistics, so they stay those of the averaged weights); other
    buffers (counters) are copied. Both modules must have the same structure."""
    for a, p in zip(average.parameters(), model.parameters()):
        a.data *= decay
        a.data += (1 - decay) * p.data
    for a, b in zip(average.buffers(), model.buffers()):
        if a.data.dtype.kind == "f":
            a.data *= decay
            a.data += (1 - decay) * b.data
        else:
            a.data[...] = b.data


def _latent(n: int, latent_dim: int, rng=None) -> cr.Tensor:
    if rng is None:
        return cr.randn(n, latent_dim)
    return cr.tensor(rng.standard_normal((n, latent_dim)).astype(np.float32))


def fit(model: GAN, splits, config: dict, log: Callable | None = None, loop=None) -> dict:
    """Train on ``splits.train`` points with ``train_adversarial``; each epoch's metrics add,
    when ``splits.info`` has ``modes`` and ``std``, the mode coverage of 2,000 fresh samples
    (``mode_quality``). ``loop``: a ``Loop`` for checkpoints and resume. Returns the last
    epoch's metrics."""
    info = splits.info
    X = splits.train.tensors[0].numpy().astype(np.float32).reshape(len(splits.train), -1)
    seed = int(config.get("seed", 0))

    def evaluate(epoch: int) -> dict:
        if "modes" not in info:
            return {}
        pts = sample(model, int(config.get("eval_samples", 2000)), seed=seed + epoch)
        return mode_quality(pts, info["modes"], float(info["std"]))

    return train_adversarial(model, X, {**DEFAULTS, **config}, log, evaluate, "gan.fit", loop)


def objective(model: GAN, splits, n: int = 4, seed: int = 0):
    """``(loss_fn, batch)`` for ``check_model``: D's non-saturating loss on ``n`` real rows and
    ``n`` samples of G, plus G's, plus the InfoGAN term when there are codes. One scalar that
    depends on every trained parameter of both networks."""
    X = splits.train.tensors[0].numpy().astype(np.float32).reshape(len(splits.train), -1)
    rng = np.random.default_rng(seed)
    real = cr.tensor(X[rng.integers(0, len(X), n)])
    z, c = model.noise(n, rng)

    def loss(m, batch):
        real, z, c = batch
        fake = m.generator(z)
        D = m.discriminator
        value = d_loss_nonsaturating(D, real, fake) + g_loss_nonsaturating(D, fake)
        return value if c is None else value + info_loss(D, fake, c)

    return loss, (real, z, c)


def train_adversarial(
    model: nn.Module,
    X,
    config: dict,
    log: Callable | None = None,
    evaluate: Callable | None = None,
    op: str = "train_adversarial",
    loop: Loop | None = None,
) -> dict:
    """The GAN loop: per step, ``n_critic`` D steps on a batch of real rows of ``X`` (an array)
    and a batch of G(z), then one G step; ``len(X) / batch_size`` steps make an epoch.

    config: epochs, batch_size, lr, seed; loss ('nonsaturating' | 'wgan-gp'), betas
    ((0.5, 0.999); WGAN-GP (0, 0.9)), n_critic (1; WGAN-GP 5), gp_lambda (10), lr_decay (linear
    to 0 over the run, default on); for an InfoGAN (``model.codes`` > 0) info_lambda (1: the
    weight of ``info_loss`` in both D's and G's loss); for a model with ``generator_ema``
    ema_decay (0.999 per step, lower while step t is early: min(decay, (1 + t) / (10 + t))).
    After each epoch ``log(epoch, metrics)`` gets the last step's losses, ``evaluate(epoch)``'s
    dict and the epoch's seconds.

    ``loop`` (a ``Loop``, default one without checkpoints) checkpoints the model, both
    optimizers and schedules, and the random states, so a resumed run ends on the weights of one
    never stopped. The lr decay runs to the end of ``config['epochs']``: a resume that raises
    the epochs stretches it from there on, and so no longer matches a run of the longer length.
    """
    loss = config.get("loss", "nonsaturating")
    if loss not in ("nonsaturating", "wgan-gp"):
        raise ValueError(f"{op}: unknown loss {loss!r}; choose 'nonsaturating' or 'wgan-gp'")
    wgan = loss == "wgan-gp"
    epochs, bs = int(config["epochs"]), int(config["batch_size"])
    lr, seed = float(config["lr"]), int(config.get("seed", 0))
    betas = tuple(config.get("betas", (0.0, 0.9) if wgan else (0.5, 0.999)))
    n_critic = int(config.get("n_critic", 5 if wgan else 1))
    lam = float(config.get("gp_lambda", 10.0))
    ema_decay = float(config.get("ema_decay", 0.999))
    info_lambda = float(config.get("info_lambda", 1.0))

    rng = np.random.default_rng(seed)
    G, D = model.generator, model.discriminator
    device = model_device(model)  # where the caller put the model: the batches follow it
    opt_g = cr.optim.Adam(G.parameters(), lr=lr, betas=betas)
    opt_d = cr.optim.Adam(D.parameters(), lr=lr, betas=betas)
    steps = max(1, math.ceil(len(X) / bs))
    scheds = []
    if config.get("lr_decay", True):  # linear decay to 0 lets G settle onto the data
        total = epochs * steps
        scheds = [
            cr.optim.lr_scheduler.LambdaLR(o, lambda t: 1 - t / total) for o in (opt_d, opt_g)
        ]
    tracked = {"model": model, "optimizer_d": opt_d, "optimizer_g": opt_g}
    tracked.update({f"scheduler_{k}": sch for k, sch in zip("dg", scheds)})
    loop = Loop() if loop is None else loop
    run = loop.start(seed, tracked, rngs={"latent": rng}, state={"metrics": {}})
    model.train()
    t0 = time.perf_counter()
    for epoch, step in loop.steps(epochs, steps):
        for _ in range(n_critic):
            real = cr.tensor(X[rng.integers(0, len(X), bs)], device=device)
            z, c = model.noise(bs, rng)
            with cr.no_grad():
                fake = G(z)
            opt_d.zero_grad()
            if wgan:
                d_loss = d_loss_wgan_gp(D, real, fake, lam)
            else:
                d_loss = d_loss_nonsaturating(D, real, fake)
            if c is not None:  # InfoGAN: Q, on D's body, learns to read the code
                d_loss = d_loss + info_lambda * info_loss(D, fake, c)
            d_loss.backward()
            opt_d.step()
        opt_g.zero_grad()
        z, c = model.noise(bs, rng)
        fake = G(z)
        g_loss = g_loss_wgan_gp(D, fake) if wgan else g_loss_nonsaturating(D, fake)
        if c is not None:  # ... and G learns to draw it legibly
            g_loss = g_loss + info_lambda * info_loss(D, fake, c)
        g_loss.backward()
        opt_g.step()
        if model.generator_ema is not None:
            t = (epoch - 1) * steps + step  # warm-up: early on, the average forgets its start
            ema_update(model.generator_ema, G, min(ema_decay, (1 + t) / (10 + t)))
        for sch in scheds:
            sch.step()
        if step < steps:
            continue
        metrics = {"d_loss": float(d_loss.item()), "g_loss": float(g_loss.item())}
        if not all(math.isfinite(v) for v in metrics.values()):
            raise FloatingPointError(
                f"{op}: loss became non-finite at epoch {epoch}; try a smaller lr than {lr}"
            )
        if evaluate is not None:
            metrics.update(evaluate(epoch))
        metrics["seconds"] = time.perf_counter() - t0
        run["metrics"] = metrics
        if log is not None:
            log(epoch, dict(metrics))
        t0 = time.perf_counter()
    return run["metrics"]


def sample(model: GAN, n: int, seed: int = 0) -> cr.Tensor:
    """n points from ``model.sampler`` (G, or its weight average), its input ``model.noise``
    drawn from ``seed`` alone: (n, d)."""
    was_training = model.training
    model.eval()
    with cr.no_grad():
        x = model.sampler(model.noise(n, np.random.default_rng(seed))[0])
    model.train(was_training)
    return x
