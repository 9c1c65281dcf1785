"""The pure-NumPy peers, written with their own APIs, on the weights and data of ``workloads.py``.

- MyGrad (``mygrad.Tensor``, ``mg.matmul``, ``mygrad.nnet`` layers and losses, ``.backward()``).
  Memory guarding (read-only arrays while a graph is alive) is turned off, as MyGrad's docs
  advise for speed, so that the SGD update can be in place.
- HIPS autograd (``autograd.numpy``; ``value_and_grad`` of a loss function of a parameter list).
  Its convolution is im2col written in ``autograd.numpy`` (nine shifted slices and one
  ``tensordot``); it has no layers.

Recurrent nets are a Python loop over the time steps in both. Optimizers are written here on
NumPy arrays: plain SGD, and Adam with torch's bias correction for the GAN.
Each factory returns ``step()`` like those of ``workloads.py``.
"""

from __future__ import annotations

import autograd.numpy as anp
import mygrad as mg
import numpy as np
from autograd import grad, value_and_grad
from autograd.scipy.special import logsumexp
from hand import linear_pairs
from mygrad.nnet.activations import leaky_relu as mg_leaky_relu
from mygrad.nnet.activations import sigmoid as mg_sigmoid
from mygrad.nnet.layers import conv_nd, max_pool
from mygrad.nnet.losses import softmax_crossentropy

mg.turn_memory_guarding_off()


def _sgd(params, grads, lr):
    for p, g in zip(params, grads):
        p -= lr * g


class Adam:
    """torch.optim.Adam's update on NumPy arrays, in place."""

    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-8):
        self.lr, (self.b1, self.b2), self.eps, self.t = lr, betas, eps, 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def step(self, params, grads):
        self.t += 1
        bc1, bc2 = 1 - self.b1**self.t, 1 - self.b2**self.t
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m *= self.b1
            m += (1 - self.b1) * g
            v *= self.b2
            v += (1 - self.b2) * g * g
            p -= (self.lr / bc1) * m / (np.sqrt(v) / np.sqrt(bc2) + self.eps)


# ---------------------------------------------------------------- MyGrad
def _mg_params(arrays):
    return [mg.tensor(a) for a in arrays]


def _mg_mlp(h, params, act=mg.nnet.activations.relu):
    for i in range(0, len(params), 2):
        h = mg.matmul(h, params[i]) + params[i + 1]
        if i + 2 < len(params):
            h = act(h)
    return h


def _mg_update(params, lr):
    for p in params:
        p.data -= lr * p.grad
        p.null_grad()


def _mg_train(make_params, loss_fn, lr):
    """A factory whose step is ``loss_fn(params).backward()`` and an SGD update."""

    def factory():
        params = make_params()

        def step():
            loss = loss_fn(params)
            loss.backward()
            _mg_update(params, lr)
            return loss

        return step

    return factory


def _mg_infer(make_params, forward):
    """A factory whose step is ``forward(params)`` with autodiff off."""

    def factory():
        params = make_params()

        def step():
            with mg.no_autodiff:
                return forward(params)

        return step

    return factory


def mygrad_op(a):
    def factory():
        x = mg.tensor(a.copy())

        def step():
            loss = (x * 2.0).sum()
            loss.backward()
            return loss

        return step

    return factory


def mygrad_mlp(weights, x, y, lr):
    return _mg_train(
        lambda: _mg_params(linear_pairs(weights)),
        lambda p: softmax_crossentropy(_mg_mlp(x, p), y),
        lr,
    )


def mygrad_mlp_infer(weights, x):
    return _mg_infer(lambda: _mg_params(linear_pairs(weights)), lambda p: _mg_mlp(x, p))


def _mg_cnn(x, p):
    W1, b1, W2, b2, W3, b3 = p
    relu = mg.nnet.activations.relu
    h = relu(conv_nd(x, W1, stride=1, padding=1) + b1[None, :, None, None])
    h = max_pool(h, (2, 2), 2)
    h = relu(conv_nd(h, W2, stride=1, padding=1) + b2[None, :, None, None])
    h = max_pool(h, (2, 2), 2)
    return mg.matmul(h.reshape(x.shape[0], -1), W3) + b3


def _cnn_params(weights):
    """The two conv layers as they are, the linear one in (in, out) layout."""
    return [w.copy() for w in weights[:4]] + linear_pairs(weights[4:])


def mygrad_cnn(weights, x, y, lr):
    return _mg_train(
        lambda: _mg_params(_cnn_params(weights)),
        lambda p: softmax_crossentropy(_mg_cnn(x, p), y),
        lr,
    )


def mygrad_cnn_infer(weights, x):
    return _mg_infer(lambda: _mg_params(_cnn_params(weights)), lambda p: _mg_cnn(x, p))


def _rnn_params(kind, weights):
    """torch's [W_ih (gH, IN), W_hh (gH, H), b_ih, b_hh, W_head (OUT, H), b_head] →
    [W_ih.T, W_hh.T, b_ih + b_hh, b_hn (GRU only), W_head.T, b_head]."""
    W_ih, W_hh, b_ih, b_hh, Wo, bo = weights
    H = W_hh.shape[1]
    if kind == "lstm":
        return [W_ih.T.copy(), W_hh.T.copy(), b_ih + b_hh, Wo.T.copy(), bo.copy()]
    b = b_ih.copy()
    b[: 2 * H] += b_hh[: 2 * H]  # r and z take both biases; n keeps b_hn inside r * (...)
    return [W_ih.T.copy(), W_hh.T.copy(), b, b_hh[2 * H :].copy(), Wo.T.copy(), bo.copy()]


def _rnn_forward(kind, x, p, xp, sigmoid, cat_zeros):
    """The last hidden state's readout; ``xp`` is mygrad or autograd.numpy."""
    T, B, _ = x.shape
    H = p[1].shape[0]
    h = cat_zeros((B, H))
    c = cat_zeros((B, H))
    Wi, Wh = p[0], p[1]
    for t in range(T):
        gi = xp.matmul(x[t], Wi) + p[2]
        gh = xp.matmul(h, Wh)
        if kind == "lstm":
            g = gi + gh
            i, f = sigmoid(g[:, :H]), sigmoid(g[:, H : 2 * H])
            gg, o = xp.tanh(g[:, 2 * H : 3 * H]), sigmoid(g[:, 3 * H :])
            c = f * c + i * gg
            h = o * xp.tanh(c)
        else:
            r = sigmoid(gi[:, :H] + gh[:, :H])
            z = sigmoid(gi[:, H : 2 * H] + gh[:, H : 2 * H])
            n = xp.tanh(gi[:, 2 * H :] + r * (gh[:, 2 * H :] + p[3]))
            h = (1 - z) * n + z * h
    return xp.matmul(h, p[-2]) + p[-1]


def mygrad_rnn(kind, weights, x, y, lr=0.05):
    def loss_fn(params):
        out = _rnn_forward(kind, x, params, mg, mg_sigmoid, lambda s: np.zeros(s, np.float32))
        return mg.mean((out - y) ** 2)

    return _mg_train(lambda: _mg_params(_rnn_params(kind, weights)), loss_fn, lr)


def _mg_bce(logits, target_one):
    # BCE with logits: target 1 → softplus(−l), target 0 → softplus(l)
    return mg.mean(mg.logaddexp(0.0, -logits if target_one else logits))


def mygrad_gan(wg, wd, real, z, lr=1e-3):
    def factory():
        G, D = _mg_params(linear_pairs(wg)), _mg_params(linear_pairs(wd))
        opt_g, opt_d = (
            Adam([p.data for p in G], lr, (0.5, 0.999)),
            Adam([p.data for p in D], lr, (0.5, 0.999)),
        )

        def disc(h):
            return _mg_mlp(h, D, lambda t: mg_leaky_relu(t, 0.2))

        def step():
            with mg.no_autodiff:
                fake = _mg_mlp(z, G).data
            d_loss = _mg_bce(disc(real), True) + _mg_bce(disc(fake), False)
            d_loss.backward()
            opt_d.step([p.data for p in D], [p.grad for p in D])
            for p in D:
                p.null_grad()
            g_loss = _mg_bce(disc(_mg_mlp(z, G)), True)
            g_loss.backward()
            opt_g.step([p.data for p in G], [p.grad for p in G])
            for p in G + D:
                p.null_grad()
            return d_loss

        return step

    return factory


# ---------------------------------------------------------------- HIPS autograd
def _ag_mlp(h, params, act=lambda t: anp.maximum(t, 0.0)):
    for i in range(0, len(params), 2):
        h = anp.dot(h, params[i]) + params[i + 1]
        if i + 2 < len(params):
            h = act(h)
    return h


def _ag_ce(z, y):
    logp = z - logsumexp(z, axis=1, keepdims=True)
    return -anp.mean(logp[np.arange(len(y)), y])


def _ag_train(make_params, loss_fn, lr):
    """A factory whose step is ``value_and_grad(loss_fn)`` and an SGD update."""

    def factory():
        params = make_params()
        f = value_and_grad(loss_fn)

        def step():
            loss, grads = f(params)
            _sgd(params, grads, lr)
            return loss

        return step

    return factory


def autograd_op(a):
    def factory():
        x = a.copy()
        f = value_and_grad(lambda t: anp.sum(t * 2.0))

        def step():
            return f(x)[0]

        return step

    return factory


def autograd_mlp(weights, x, y, lr):
    return _ag_train(lambda: linear_pairs(weights), lambda ps: _ag_ce(_ag_mlp(x, ps), y), lr)


def autograd_mlp_infer(weights, x):
    def factory():
        params = linear_pairs(weights)
        return lambda: _ag_mlp(x, params)

    return factory


def _ag_conv(x, W, b):
    """3×3 convolution, padding 1, stride 1: im2col by nine shifted slices, one tensordot."""
    N, C, Hh, Ww = x.shape
    xp = anp.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="constant")
    cols = anp.stack([xp[:, :, i : i + Hh, j : j + Ww] for i in range(3) for j in range(3)], 2)
    out = anp.tensordot(cols, W.reshape(W.shape[0], C, 9), axes=([1, 2], [1, 2]))  # N H W O
    return anp.transpose(out, (0, 3, 1, 2)) + b[None, :, None, None]


def _ag_pool(h):
    N, C, Hh, Ww = h.shape
    return anp.max(anp.max(h.reshape(N, C, Hh // 2, 2, Ww // 2, 2), axis=5), axis=3)


def _ag_cnn(x, p):
    h = _ag_pool(anp.maximum(_ag_conv(x, p[0], p[1]), 0.0))
    h = _ag_pool(anp.maximum(_ag_conv(h, p[2], p[3]), 0.0))
    return anp.dot(h.reshape(x.shape[0], -1), p[4]) + p[5]


def autograd_cnn(weights, x, y, lr):
    return _ag_train(lambda: _cnn_params(weights), lambda ps: _ag_ce(_ag_cnn(x, ps), y), lr)


def autograd_cnn_infer(weights, x):
    def factory():
        params = _cnn_params(weights)
        return lambda: _ag_cnn(x, params)

    return factory


def autograd_rnn(kind, weights, x, y, lr=0.05):
    def sigmoid(t):
        return 0.5 * anp.tanh(0.5 * t) + 0.5

    def loss_fn(ps):
        out = _rnn_forward(kind, x, ps, anp, sigmoid, lambda s: np.zeros(s, np.float32))
        return anp.mean((out - y) ** 2)

    return _ag_train(lambda: _rnn_params(kind, weights), loss_fn, lr)


def autograd_gan(wg, wd, real, z, lr=1e-3):
    def factory():
        G, D = linear_pairs(wg), linear_pairs(wd)
        opt_g, opt_d = Adam(G, lr, (0.5, 0.999)), Adam(D, lr, (0.5, 0.999))

        def disc(h, d):
            return _ag_mlp(h, d, lambda t: anp.where(t > 0, t, 0.2 * t))

        def bce(logits, target_one):
            return anp.mean(anp.logaddexp(0.0, -logits if target_one else logits))

        fd = value_and_grad(lambda d, fake: bce(disc(real, d), True) + bce(disc(fake, d), False))
        fg = grad(lambda g: bce(disc(_ag_mlp(z, g), D), True))

        def step():
            fake = _ag_mlp(z, G)
            d_loss, gd = fd(D, fake)
            opt_d.step(D, gd)
            opt_g.step(G, fg(G))
            return d_loss

        return step

    return factory
