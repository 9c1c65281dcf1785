"""Hand-written NumPy steps, "hand NumPy" in RESULTS.md: the ceiling a NumPy framework can reach.

Each step is plain NumPy with its backward written out and no framework: the same weights,
data, loss and update as the other libraries, and the same products a framework computes for
that step (G(z) twice in the GAN step, D's parameter gradients in its G step), done with as few
NumPy calls as we know how (PERF_NOTES.md, "What closed the gap in the hand-written steps"):
output buffers reused with ``out=``, ReLU and the updates in place, the learning rate folded
into the loss gradient, every parameter a view of one flat array so that an update is one call.
chainrule's time over a step's time here is chainrule's own overhead; this step's time over
torch's is what NumPy and OpenBLAS cost against torch's kernels.

The MLPs keep their weights in (in, out) layout, so a layer is ``h @ W + b``; the LSTM has a
layout of its own (see ``lstm``). Float32 throughout. OpenBLAS runs the MLPs' products under
3 M multiply-adds on one thread and larger ones on all threads, the rule chainrule measured
(``chainrule.backend._BlasThreads``); the LSTM runs on all threads, which measured faster there.
Each step sets its own count and gives back the one it found, since the library timed before
it may have left another.
Each factory returns ``step()`` like those of ``workloads.py``; an inference step returns a
buffer that the next call overwrites.
"""

from __future__ import annotations

import math

import numpy as np

try:
    from threadpoolctl import ThreadpoolController

    _BLAS = ThreadpoolController().select(user_api="blas").lib_controllers
except ImportError:  # no threadpoolctl: leave OpenBLAS's threads alone
    _BLAS = []

THREADS = max([c.num_threads for c in _BLAS], default=1)  # "all threads" (run.py --threads)
SMALL = 3_000_000  # multiply-adds below which a product runs on one thread


class _Threads:
    """OpenBLAS's thread count within one step: ``start`` reads it, ``use`` changes it only
    when it differs, ``end`` puts back what ``start`` found."""

    def __init__(self):
        self.found = self.current = None

    def start(self):
        self.found = self.current = _BLAS[0].num_threads if _BLAS else None

    def use(self, n):
        if n != self.current and _BLAS:
            for c in _BLAS:
                c.set_num_threads(n)
            self.current = n

    def end(self):
        self.use(self.found)


def _threads_for(m, k, n):
    """Threads for an (m, k) @ (k, n) product."""
    return THREADS if m * k * n >= SMALL else 1


def _flat(arrays):
    """One float32 buffer holding copies of ``arrays``, and the arrays as views of it."""
    flat = np.empty(sum(a.size for a in arrays), np.float32)
    views, lo = [], 0
    for a in arrays:
        v = flat[lo : lo + a.size].reshape(a.shape)
        v[...] = a
        views.append(v)
        lo += a.size
    return flat, views


def linear_pairs(weights):
    """torch-layout [W (out, in), b, ...] → [Wᵀ (in, out) contiguous, b, ...], all copies (so
    an in-place update never reaches the shared weights); peers.py uses it too."""
    return [np.ascontiguousarray(w.T) if w.ndim == 2 else w.copy() for w in weights]


class _MLP:
    """A stack of Linear layers for a fixed batch, forward and backward into kept buffers.

    Forward: zᵢ = hᵢ₋₁ Wᵢ + bᵢ, hᵢ = act(zᵢ) (ReLU, or LeakyReLU with ``slope``; none after the
    last layer), computed in place in zᵢ's buffer. Backward from gᵢ = ∂L/∂zᵢ:
    ∂L/∂Wᵢ = hᵢ₋₁ᵀ gᵢ, ∂L/∂bᵢ = Σ_rows gᵢ, gᵢ₋₁ = (gᵢ Wᵢᵀ) ⊙ act'(zᵢ₋₁), where act' is read
    off hᵢ₋₁ > 0 (1 there, else 0 or ``slope``). Parameters and gradients are views of the flat
    arrays ``flat`` and ``gflat``."""

    def __init__(self, weights, batch, slope=0.0):
        self.flat, self.params = _flat(linear_pairs(weights))
        self.gflat, self.grads = _flat([np.zeros_like(p) for p in self.params])
        self.Ws, self.bs = self.params[0::2], self.params[1::2]
        self.gWs, self.gbs = self.grads[0::2], self.grads[1::2]
        self.zs = [np.empty((batch, W.shape[1]), np.float32) for W in self.Ws]
        self.gxs = [np.empty((batch, W.shape[0]), np.float32) for W in self.Ws]
        self.masks = [np.empty(z.shape, bool) for z in self.zs]
        self.tmps = [np.empty_like(z) for z in self.zs]
        self.threads = [_threads_for(batch, *W.shape) for W in self.Ws]
        self.slope = slope
        self.x = None

    def forward(self, x, blas):
        self.x = h = x
        last = len(self.Ws) - 1
        for i, (W, b, z) in enumerate(zip(self.Ws, self.bs, self.zs)):
            blas.use(self.threads[i])
            np.matmul(h, W, out=z)
            z += b
            if i < last:
                if self.slope:  # LeakyReLU with a slope below 1: max(z, slope·z)
                    np.multiply(z, self.slope, out=self.tmps[i])
                    np.maximum(z, self.tmps[i], out=z)
                else:
                    np.maximum(z, 0, out=z)
            h = z
        return h

    def backward(self, g, blas, input_grad=False):
        """Gradients of every parameter from ``g`` = ∂L/∂(last z), into ``grads``; returns
        ∂L/∂x when ``input_grad``."""
        for i in reversed(range(len(self.Ws))):
            h = self.x if i == 0 else self.zs[i - 1]
            blas.use(self.threads[i])
            np.matmul(h.T, g, out=self.gWs[i])
            np.sum(g, axis=0, out=self.gbs[i])
            if i == 0 and not input_grad:
                return None
            gx = np.matmul(g, self.Ws[i].T, out=self.gxs[i])
            if i > 0:
                mask = np.greater(h, 0, out=self.masks[i - 1])
                if self.slope:  # act' = slope + (1 − slope)·[h > 0]
                    f = np.multiply(mask, np.float32(1 - self.slope), out=self.tmps[i - 1])
                    f += self.slope
                    gx *= f
                else:
                    np.multiply(gx, mask, out=gx)
            g = gx
        return g


def _cross_entropy(z, y, rows, p, scale):
    """Mean softmax cross-entropy of logits ``z`` (n, C) against labels ``y`` (``rows`` is
    0 … n−1): L = mean(log Σⱼ e^{zⱼ − m} + m − z_y), m = max z; writes
    scale·∂L/∂z = scale·(softmax(z) − onehot(y))/n into ``p`` and returns L."""
    n = len(y)
    m = z.max(axis=1, keepdims=True)
    np.subtract(z, m, out=p)
    picked = p[rows, y]  # z_y − m
    np.exp(p, out=p)
    s = p.sum(axis=1, keepdims=True)
    loss = (np.log(s).sum() - picked.sum()) / n
    p /= s
    p[rows, y] -= 1
    p *= scale / n
    return loss


# ---------------------------------------------------------------- MLPs
def mlp(weights, x, y, lr):
    """An MLP training step: ReLU layers, mean softmax cross-entropy, SGD p ← p − lr·∂L/∂p, the
    learning rate folded into ∂L/∂z of the last layer."""

    def factory():
        net, blas = _MLP(weights, len(x)), _Threads()
        p, rows = np.empty_like(net.zs[-1]), np.arange(len(y))

        def step():
            blas.start()
            loss = _cross_entropy(net.forward(x, blas), y, rows, p, lr)
            net.backward(p, blas)
            net.flat -= net.gflat
            blas.end()
            return loss

        return step

    return factory


def mlp_infer(weights, x):
    """An MLP forward pass (the output is a buffer, overwritten by the next call)."""

    def factory():
        net, blas = _MLP(weights, len(x)), _Threads()

        def step():
            blas.start()
            out = net.forward(x, blas)
            blas.end()
            return out

        return step

    return factory


# ---------------------------------------------------------------- GAN
class _Adam:
    """torch.optim.Adam on a flat parameter array, in place:
    m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)."""

    def __init__(self, p, g, lr, betas, eps=1e-8):
        self.p, self.g, self.lr, (self.b1, self.b2), self.eps, self.t = p, g, lr, betas, eps, 0
        self.m, self.v, self.tmp = np.zeros_like(p), np.zeros_like(p), np.empty_like(p)

    def step(self):
        self.t += 1
        b1, b2, g, m, v, tmp = self.b1, self.b2, self.g, self.m, self.v, self.tmp
        m *= b1
        m += np.multiply(g, 1 - b1, out=tmp)
        v *= b2
        np.multiply(g, g, out=tmp)
        tmp *= 1 - b2
        v += tmp
        np.sqrt(v, out=tmp)
        tmp *= 1 / math.sqrt(1 - b2**self.t)
        tmp += self.eps
        np.divide(m, tmp, out=tmp)
        tmp *= self.lr / (1 - b1**self.t)
        self.p -= tmp


def _bce(logits, target, g):
    """Mean binary cross-entropy with logits l against a constant target t ∈ {0, 1}:
    L = mean(log(1 + e^{−l})) for t = 1, mean(log(1 + e^{l})) for t = 0; writes
    ∂L/∂l = (σ(l) − t)/n, with σ(l) = ½ tanh(l/2) + ½, into ``g`` and returns L."""
    n = logits.size
    loss = np.logaddexp(0, -logits if target else logits).mean()
    np.multiply(logits, 0.5, out=g)
    np.tanh(g, out=g)
    g *= 0.5 / n
    g += (0.5 - target) / n
    return loss


def gan(wg, wd, real, z, lr=1e-3):
    """The step of ``workloads.gan_factory``. D step: fake = G(z), L_D = BCE(D(real), 1) +
    BCE(D(fake), 0), D's gradients the sum of the two passes', Adam on D. G step: L_G =
    BCE(D(G(z)), 1), backward through D (D's gradients too, as a framework computes them) into
    G, Adam on G. Both Adams with betas (0.5, 0.999). G uses ReLU, D LeakyReLU(0.2)."""

    def factory():
        n = len(z)
        G, D, blas = _MLP(wg, n), _MLP(wd, n, slope=0.2), _Threads()
        opt_g = _Adam(G.flat, G.gflat, lr, (0.5, 0.999))
        opt_d = _Adam(D.flat, D.gflat, lr, (0.5, 0.999))
        gl, g_real = np.empty_like(D.zs[-1]), np.empty_like(D.gflat)

        def step():
            blas.start()
            fake = G.forward(z, blas)  # no gradient reaches G in the D step
            d_loss = _bce(D.forward(real, blas), 1, gl)
            D.backward(gl, blas)
            np.copyto(g_real, D.gflat)
            d_loss += _bce(D.forward(fake, blas), 0, gl)
            D.backward(gl, blas)
            D.gflat += g_real
            opt_d.step()
            _bce(D.forward(G.forward(z, blas), blas), 1, gl)
            G.backward(D.backward(gl, blas, input_grad=True), blas)
            opt_g.step()
            blas.end()
            return d_loss

        return step

    return factory


# ---------------------------------------------------------------- LSTM
def lstm(weights, x, y, lr=0.05):
    """The LSTM step of ``workloads.rnn_factory``: torch's nn.LSTM over x (T, B, IN) from
    h = c = 0, a linear head on the last h, L = mean((h_T W_yᵀ + b_y − y)²), full BPTT, SGD with
    the learning rate folded into ∂L/∂out.

    Layout: features × batch, so that every slice a step touches is contiguous; the gate blocks
    in the order (o, i, f, g) (torch's is i, f, g, o), the three σ gates side by side; one
    matrix W = [W_hh | W_ih | b_ih] multiplies zₜ = [hₜ₋₁; xₜ; 1], so a step's gates, input and
    bias included, are one product, and the weight gradients of all steps one product after the
    loop, ∂L/∂W = Σₜ ∂L/∂aₜ zₜᵀ.
    Forward: σ(a) = 1/u with u = 1 + e^{−a} (W's σ rows negated: one exp, one add), g = tanh a_g;
    S[t] holds (u_o, u_i, u_f, g, cₜ₋₁), so that (i·g, f·cₜ₋₁) is one division; c = i·g + f·cₜ₋₁,
    h = tanh(c)/u_o.
    Backward per step, from dh = ∂L/∂hₜ and dc carried from t + 1: dc ← dc + dh·o·(1 − tanh²c),
    ∂L/∂a = (dh·tanh c·σ'_o, dc·g·σ'_i, dc·cₜ₋₁·σ'_f, dc·i·tanh'_g), dh ← W_hhᵀ ∂L/∂a,
    dc ← dc·f; the factors (σ' = σ − σ², tanh' = 1 − g², and f in a fifth block so that the
    carried dc·f comes out of the same product) are taken once for all steps.
    ∂L/∂b_hh = ∂L/∂b_ih."""

    def factory():
        W_ih, W_hh, b_ih, b_hh, W_y, b_y = weights
        T, B, IN = x.shape
        H, OUT = W_hh.shape[1], W_y.shape[0]
        K, H3, H4 = H + IN + 1, 3 * H, 4 * H
        order = np.concatenate([np.arange(k * H, (k + 1) * H) for k in (3, 0, 1, 2)])  # o i f g
        Wcat = np.concatenate([W_hh, W_ih, b_ih[:, None]], axis=1)[order]
        params = [Wcat, b_hh[order], W_y, b_y]
        flat, (W, bh, Wy, by) = _flat(params)
        gflat, (gW, gbh, gWy, gby) = _flat([np.zeros_like(p) for p in params])
        sign = np.where(np.arange(H4) < H3, -1, 1).astype(np.float32)[:, None]  # σ rows negated
        Ws, WhT = np.empty_like(W), np.empty((H, H4), np.float32)
        Zx = np.zeros((T + 1, K, B), np.float32)  # zₜ = [hₜ₋₁; xₜ; 1]; Zx[T, :H] = h_{T−1}
        Zx[:T, H:-1] = x.transpose(0, 2, 1)
        Zx[:, -1] = 1
        S = np.zeros((T + 1, 5 * H, B), np.float32)  # (u_o, u_i, u_f, g, cₜ₋₁) of each step
        P = np.empty((T, 5 * H, B), np.float32)  # the backward factors, (o, i, f, g, f)
        G = np.empty_like(P)  # ∂L/∂a of each step, and the carried dc·f
        P5, G5 = P.reshape(T, 5, H, B), G.reshape(T, 5, H, B)
        TC = np.empty((T, H, B), np.float32)  # tanh cₜ
        Oc = np.empty_like(TC)  # o·(1 − tanh²c)
        X, dh, dc0, tmp = (np.empty(s, np.float32) for s in ((2 * H, B), (H, B), (H, B), (H, B)))
        out = np.empty((B, OUT), np.float32)
        blas = _Threads()

        def step():
            blas.start()
            blas.use(THREADS)  # small products, but faster on all threads (measured)
            np.multiply(W, sign, out=Ws)
            Ws[:, -1] += bh * sign[:, 0]  # b_ih + b_hh
            with np.errstate(over="ignore"):  # e^{−a} = inf gives σ = 0, as it should
                for t in range(T):
                    s = S[t]
                    np.matmul(Ws, Zx[t], out=s[:H4])
                    u = np.exp(s[:H3], out=s[:H3])
                    u += 1
                    np.tanh(s[H3:H4], out=s[H3:H4])
                    np.divide(s[H3:], s[H:H3], out=X)  # (i·g, f·cₜ₋₁)
                    c = np.add(X[:H], X[H:], out=S[t + 1, H4:])
                    np.divide(np.tanh(c, out=TC[t]), s[:H], out=Zx[t + 1, :H])

            h = Zx[T, :H]
            np.matmul(h.T, Wy.T, out=out)
            np.add(out, by, out=out)
            np.subtract(out, y, out=out)
            loss = np.mean(np.square(out))
            np.multiply(out, 2 * lr / out.size, out=out)  # lr·∂L/∂out
            np.matmul(out.T, h.T, out=gWy)
            np.sum(out, axis=0, out=gby)
            np.matmul(Wy.T, out.T, out=dh)

            R = np.divide(1, S[:T, :H3], out=S[:T, :H3])  # σ of o, i, f
            Pσ = P[:, :H3]
            np.subtract(R, np.multiply(R, R, out=Pσ), out=Pσ)  # σ' = σ − σ²
            g, Pg = S[:T, H3:H4], P[:, H3:H4]
            np.subtract(1, np.multiply(g, g, out=Pg), out=Pg)  # tanh' = 1 − g²
            P5[:, 0] *= TC
            P5[:, 1] *= g
            P5[:, 2] *= S[:T, H4:]  # cₜ₋₁
            P5[:, 3] *= R[:, H : 2 * H]  # i
            P5[:, 4] = R[:, 2 * H :]  # f
            np.subtract(1, np.multiply(TC, TC, out=Oc), out=Oc)
            np.multiply(Oc, R[:, :H], out=Oc)
            np.copyto(WhT, W[:, :H].T)
            dc = dc0
            dc.fill(0)
            for t in reversed(range(T)):
                np.add(dc, np.multiply(dh, Oc[t], out=tmp), out=dc)
                np.multiply(P5[t, 1:], dc, out=G5[t, 1:])
                np.multiply(P5[t, 0], dh, out=G5[t, 0])
                if t:
                    np.matmul(WhT, G[t, :H4], out=dh)
                    dc = G5[t, 4]

            G2 = G[:, :H4].transpose(1, 0, 2).reshape(H4, T * B)  # a copy: steps side by side
            Z2 = Zx[:T].transpose(1, 0, 2).reshape(K, T * B)
            np.matmul(G2, Z2.T, out=gW)
            gbh[...] = gW[:, -1]
            np.subtract(flat, gflat, out=flat)
            blas.end()
            return loss

        return step

    return factory
