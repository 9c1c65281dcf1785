"""Recurrent cells and layers (torch's gate layouts), composed and fused.

The cells, with x (B, in), h (B, H), W_ih (G·H, in), W_hh (G·H, H) and gates in torch's order:

    RNN   h' = act(W_ih x + b_ih + W_hh h + b_hh)                        act = tanh or relu
    LSTM  i, f, g, o = σ, σ, tanh, σ of (W_ih x + b_ih + W_hh h + b_hh)   (4 blocks of H)
          c' = f c + i g,   h' = o tanh(c')
    GRU   r, z = σ(W_ir x + b_ir + W_hr h + b_hr), σ(W_iz x + b_iz + W_hz h + b_hz)
          n = tanh(W_in x + b_in + r (W_hn h + b_hn)),   h' = (1 − z) n + z h

Two ways to run one layer (one direction) over a sequence x (T, B, in):

- ``composed_layer``: the cells above written with differentiable ops, one step after another.
  It is the reference, and it is what runs when a gradient of a gradient is asked for.
- ``LSTMLayer``, ``GRULayer``, ``RNNLayer``: one ``Function`` per layer with a hand-written
  backward through time. The input projection of all steps is one matrix product; each step
  is one product for all gates and one ``tanh`` over them (σ(x) = ½ tanh(x/2) + ½, the ½ folded
  into the weights); the activation derivatives are formed once for all steps, and the weight
  gradients are one product each after the loop. No recursion, and no memory beyond the
  saved activations, so 1,000 steps are as easy as 10.

Both return one packed array (T + 2, B, H): rows 0..T−1 the outputs, row T the final h, row
T + 1 the final c (zeros for RNN and GRU). Variable lengths come as a 0/1 ``mask`` (T, B, 1):
where it is 0 the state is carried unchanged and the output is 0, which is what torch's packed
sequences give (``reverse=True`` then starts each sequence at its own last step).
"""

from __future__ import annotations

from .. import backend
from ..autograd.function import Function
from ..tensor import Tensor
from .activation import relu, sigmoid, tanh
from .linear import linear
from .shape import cat, stack

_host = backend.np  # host-side bookkeeping only (gate row orders, errstate); math uses xp


def _mm(a, b):
    """a @ b for the layer's sequence-sized products (T·B rows). They are small enough
    (a few M multiply-adds) that one BLAS thread is about as fast as two on an idle machine,
    and far faster on a busy one, where a second thread waits for a core."""
    return backend.matmul(a, b, single_thread=True)


GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# ------------------------------------------------------------------ composed cells
def rnn_tanh_cell(x, h, W_ih, W_hh, b_ih=None, b_hh=None):
    """h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh); x (B, in), h (B, H) → (B, H)."""
    return tanh(linear(x, W_ih, b_ih) + linear(h, W_hh, b_hh))


def rnn_relu_cell(x, h, W_ih, W_hh, b_ih=None, b_hh=None):
    """h' = relu(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh); x (B, in), h (B, H) → (B, H)."""
    return relu(linear(x, W_ih, b_ih) + linear(h, W_hh, b_hh))


def lstm_cell(x, h, c, W_ih, W_hh, b_ih=None, b_hh=None):
    """One LSTM step (gates i, f, g, o): returns (h', c'), each (B, H)."""
    gates = linear(x, W_ih, b_ih) + linear(h, W_hh, b_hh)
    i, f, g, o = gates.chunk(4, 1)
    c = sigmoid(f) * c + sigmoid(i) * tanh(g)
    return sigmoid(o) * tanh(c), c


def gru_cell(x, h, W_ih, W_hh, b_ih=None, b_hh=None):
    """One GRU step (gates r, z, n, torch's n = tanh(W_in x + b_in + r (W_hn h + b_hn)))."""
    xr, xz, xn = linear(x, W_ih, b_ih).chunk(3, 1)
    hr, hz, hn = linear(h, W_hh, b_hh).chunk(3, 1)
    r, z = sigmoid(xr + hr), sigmoid(xz + hz)
    n = tanh(xn + r * hn)
    return n + z * (h - n)


def composed_layer(mode, x, W_ih, W_hh, b_ih, b_hh, h0, c0, mask=None, reverse=False):
    """One layer, one direction, from differentiable ops: the packed (T + 2, B, H) Tensor.

    ``mask``: a 0/1 array (T, B, 1) or None; ``h0``, ``c0``: (B, H) Tensors or None (zeros).
    """
    T, B = x.shape[0], x.shape[1]
    H = W_hh.shape[1]
    xp = backend.get_array_module(x.data)
    zeros = Tensor(xp.zeros((B, H), dtype=x.dtype))
    h = zeros if h0 is None else h0
    c = zeros if c0 is None else c0
    outs = [None] * T
    for t in range(T - 1, -1, -1) if reverse else range(T):
        if mode == "LSTM":
            hn, cn = lstm_cell(x[t], h, c, W_ih, W_hh, b_ih, b_hh)
        elif mode == "GRU":
            hn, cn = gru_cell(x[t], h, W_ih, W_hh, b_ih, b_hh), c
        elif mode == "RNN_TANH":
            hn, cn = rnn_tanh_cell(x[t], h, W_ih, W_hh, b_ih, b_hh), c
        else:
            hn, cn = rnn_relu_cell(x[t], h, W_ih, W_hh, b_ih, b_hh), c
        if mask is not None and not mask[t].all():  # padded rows keep their state
            m = mask[t]
            hn, cn = h + (hn - h) * m, c + (cn - c) * m
            outs[t] = hn * m
        else:
            outs[t] = hn
        h, c = hn, cn
    return stack(outs + [h, c], 0)


def projected_lstm_layer(x, W_ih, W_hh, b_ih, b_hh, W_hr, h0, c0, mask=None, reverse=False):
    """One LSTM layer, one direction, with projections (torch's ``proj_size``): each step's
    h = (o ⊙ tanh c) W_hrᵀ, of size P = W_hr.shape[0], is what the next step and the output
    see, while c keeps size H. From differentiable ops, step by step. Returns (the outputs
    (T, B, P), h_T (B, P), c_T (B, H)).

    ``mask``: a 0/1 array (T, B, 1) or None; ``h0`` (B, P), ``c0`` (B, H): Tensors or None."""
    T, B = x.shape[0], x.shape[1]
    P, H = W_hr.shape
    xp = backend.get_array_module(x.data)
    h = Tensor(xp.zeros((B, P), dtype=x.dtype)) if h0 is None else h0
    c = Tensor(xp.zeros((B, H), dtype=x.dtype)) if c0 is None else c0
    outs = [None] * T
    for t in range(T - 1, -1, -1) if reverse else range(T):
        hn, cn = lstm_cell(x[t], h, c, W_ih, W_hh, b_ih, b_hh)
        hn = linear(hn, W_hr)
        if mask is not None and not mask[t].all():  # padded rows keep their state
            m = mask[t]
            hn, cn = h + (hn - h) * m, c + (cn - c) * m
            outs[t] = hn * m
        else:
            outs[t] = hn
        h, c = hn, cn
    return stack(outs, 0), h, c


# ------------------------------------------------------------------ fused layers
class _Recurrence(Function):
    """One layer, one direction; inputs (x, W_ih, W_hh, b_ih, b_hh, h0, c0), any of the last
    four may be None. Subclasses give ``_forward`` and ``_backward`` in processing order."""

    mode = ""

    def __init__(self, mask=None, reverse=False):
        self.mask, self.reverse = mask, reverse

    def forward(self, x, W_ih, W_hh, b_ih=None, b_hh=None, h0=None, c0=None):
        T, B, n_in = x.shape
        H = W_hh.shape[1]
        xs = x[::-1] if self.reverse else x
        xp = backend.get_array_module(x)
        x2 = xs.reshape(T * B, n_in)
        M = None
        if self.mask is not None:
            M = self.mask[::-1] if self.reverse else self.mask
        Z = xp.empty((T + 3, B, H), dtype=x.dtype)  # h0, h_1..h_T, h_n, c_n
        if h0 is None:
            Z[0] = 0
        else:
            Z[0] = h0
        cache = self._forward(x2, W_ih, W_hh, b_ih, b_hh, Z, c0, M)
        self.save_for_backward(x, W_ih, W_hh, b_ih, b_hh, h0, c0, (x2, Z, M) + cache)
        Z[T + 1] = Z[T]
        if M is None and not self.reverse:
            return Z[1:]
        Y = xp.empty((T + 2, B, H), dtype=x.dtype)
        out = Z[1 : T + 1] if M is None else Z[1 : T + 1] * M
        Y[:T] = out[::-1] if self.reverse else out
        Y[T:] = Z[T + 1 :]
        return Y

    def backward(self, gy):
        if isinstance(gy, Tensor):  # create_graph: differentiate the composed reference
            return self._composed_backward(gy)
        x, W_ih, W_hh, b_ih, b_hh, h0, c0, cache = self.saved
        T = x.shape[0]
        x2, Z, M = cache[:3]
        gout = gy[:T][::-1] if self.reverse else gy[:T]
        if not gout.any():  # only the final state is used (a loss on h_n): skip the adds
            gout = None
        elif M is not None:
            gout = gout * M
        # G, Gh: gradients of the pre-activations of x W_ihᵀ and h W_hhᵀ (TB, gates·H) in the
        # layer's internal gate order; Wi: W_ih in that order
        G, Gh, gh0, gc0, Wi = self._backward(gout, gy[T].copy(), gy[T + 1].copy(), cache)
        needs = self.needs_input_grad
        gx = gW_ih = gW_hh = gb_ih = gb_hh = None
        if needs[0]:
            gx = _mm(G, Wi).reshape(x.shape)
            if self.reverse:
                gx = gx[::-1]
        if needs[1]:
            gW_ih = _mm(G.T, x2)
        if needs[2]:
            gW_hh = _mm(Gh.T, Z[:T].reshape(Gh.shape[0], -1))
        if needs[3]:
            gb_ih = G.sum(axis=0)
        if needs[4]:
            gb_hh = gb_ih.copy() if Gh is G and gb_ih is not None else Gh.sum(axis=0)
        return (
            gx,
            self._unpermute(gW_ih),
            self._unpermute(gW_hh),
            self._unpermute(gb_ih),
            self._unpermute(gb_hh),
            gh0 if len(needs) > 5 and needs[5] else None,
            gc0 if len(needs) > 6 and needs[6] else None,
        )

    def _unpermute(self, g):
        return g

    def _composed_backward(self, gy):
        inputs = self.saved[:7]
        y = composed_layer(self.mode, *inputs, mask=self.mask, reverse=self.reverse)
        return self._differentiate(y, inputs, gy)


def _blend(new, old, m):
    """new ← old + m (new − old) in place: rows with m = 0 keep ``old``."""
    new -= old
    new *= m
    new += old


class RNNLayer(_Recurrence):
    """Fused Elman RNN layer: h_t = act(x_t W_ihᵀ + b + h_{t−1} W_hhᵀ); act tanh or relu."""

    def __init__(self, mask=None, reverse=False, nonlinearity="tanh"):
        super().__init__(mask, reverse)
        self.mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"

    def _forward(self, x2, W_ih, W_hh, b_ih, b_hh, Z, c0, M):
        T = Z.shape[0] - 3
        xp = backend.get_array_module(Z)
        B = Z.shape[1]
        A = _mm(x2, W_ih.T)
        if b_ih is not None:
            A += b_ih
        if b_hh is not None:
            A += b_hh
        A = A.reshape(T, B, -1)
        WhT = xp.ascontiguousarray(W_hh.T)
        act = xp.tanh if self.mode == "RNN_TANH" else None
        for t in range(T):
            a = A[t]
            a += backend.matmul(Z[t], WhT)
            if act is not None:
                act(a, out=a)
            else:
                xp.maximum(a, 0, out=a)
            Z[t + 1] = a
            if M is not None:
                _blend(Z[t + 1], Z[t], M[t])
        Z[T + 2] = 0
        return (A,)

    def _backward(self, gout, dh, dc, cache):
        _, Z, M, A = cache
        xp = backend.get_array_module(A)
        W_hh = self.saved[2]
        T = A.shape[0]
        D = 1 - A * A if self.mode == "RNN_TANH" else (A > 0).astype(A.dtype)
        G = xp.empty_like(A)
        for t in range(T - 1, -1, -1):
            if gout is not None:
                dh += gout[t]
            if M is None:
                xp.multiply(dh, D[t], out=G[t])
                dh = backend.matmul(G[t], W_hh)
            else:
                dhc = dh * M[t]
                xp.multiply(dhc, D[t], out=G[t])
                dh -= dhc
                dh += backend.matmul(G[t], W_hh)
        G2 = G.reshape(T * A.shape[1], -1)
        return G2, G2, dh, None, self.saved[1]


class LSTMLayer(_Recurrence):
    """Fused LSTM layer, computed in a transposed layout: each step's gates are one
    (gates·H, B) block, so every slice the loop touches is contiguous.

    Inside, the gate blocks are reordered (o, i, f, g), and one matrix
    ``W = [W_hh | W_ih | b]`` multiplies the stacked column ``[h_t; x_t; 1]``, so a step is one
    product. W's σ rows are negated: the step keeps u = 1 + exp(−z) and divides by it
    (σ(z) = 1/u). Each step's block S[t] holds (u_o, u_i, u_f, g, c_{t−1}), so that
    i·g and f·c_{t−1} are one division, [g, c_{t−1}] / [u_i, u_f]. In the backward, the
    same stacking makes the three cell-driven gate gradients and the carried f·∂c one product.
    """

    mode = "LSTM"

    @staticmethod
    def _rows(H, order):
        return _host.concatenate([_host.arange(k * H, (k + 1) * H) for k in order])

    def forward(self, x, W_ih, W_hh, b_ih=None, b_hh=None, h0=None, c0=None):
        T, B, n_in = x.shape
        H = W_hh.shape[1]
        H3, H4, K, dt = 3 * H, 4 * H, H + n_in + 1, x.dtype
        xp = backend.get_array_module(x)
        p = self._rows(H, (3, 0, 1, 2))  # internal block k is torch's block p[k]
        W = xp.empty((H4, K), dtype=dt)
        W[:, :H] = W_hh[p]
        W[:, H:-1] = W_ih[p]
        b = b_ih if b_hh is None else (b_hh if b_ih is None else b_ih + b_hh)
        W[:, -1] = 0 if b is None else b[p]
        W[:H3] *= -1
        # Zx[t] = [h_t; x_t; 1], (K, B); h_0 in Zx[0], h_t written into Zx[t, :H]
        Zx = xp.empty((T + 1, K, B), dtype=dt)
        Zx[0, :H] = 0 if h0 is None else h0.T
        Zx[:T, H:-1] = (x[::-1] if self.reverse else x).transpose(0, 2, 1)
        Zx[T, H:-1] = 0
        Zx[:, -1] = 1
        S = xp.empty((T + 1, 5 * H, B), dtype=dt)  # (u_o, u_i, u_f, g, c_{t−1}) of each step
        S[0, H4:] = 0 if c0 is None else c0.T
        M = None
        if self.mask is not None:  # (T, B, 1) → (T, 1, B), in processing order
            M = (self.mask[::-1] if self.reverse else self.mask).transpose(0, 2, 1)
        TC = xp.empty((T, H, B), dtype=dt)  # tanh(c_t)
        X = xp.empty((2 * H, B), dtype=dt)
        ig, fc = X[:H], X[H:]
        matmul, exp, tanh, divide, add = xp.matmul, xp.exp, xp.tanh, xp.divide, xp.add
        backend.use_all_blas_threads()  # the second core is idle otherwise
        # exp → inf gives σ = 0, as it should (NumPy would warn; CuPy never does)
        with _host.errstate(over="ignore"):
            for t in range(T):
                s = S[t]
                matmul(W, Zx[t], out=s[:H4])
                u = s[:H3]
                exp(u, out=u)
                u += 1
                g = s[H3:H4]
                tanh(g, out=g)
                divide(s[H3:], s[H:H3], out=X)  # (i·g, f·c_{t−1})
                c = S[t + 1, H4:]
                add(ig, fc, out=c)
                tc = TC[t]
                tanh(c, out=tc)
                h = Zx[t + 1, :H]
                divide(tc, s[:H], out=h)
                if M is not None and not M[t].all():
                    _blend(c, s[H4:], M[t])
                    _blend(h, Zx[t, :H], M[t])
        self.save_for_backward(x, W_ih, W_hh, b_ih, b_hh, h0, c0, (p, Zx, S, TC, M))
        Y = xp.empty((T + 2, B, H), dtype=dt)
        out = Zx[1:, :H]
        if M is not None:
            out = out * M
        Y[:T] = (out[::-1] if self.reverse else out).transpose(0, 2, 1)
        Y[T] = Zx[T, :H].T
        Y[T + 1] = S[T, H4:].T
        return Y

    def backward(self, gy):
        if isinstance(gy, Tensor):  # create_graph: differentiate the composed reference
            return self._composed_backward(gy)
        x, W_ih, W_hh, b_ih, b_hh, h0, c0, (p, Zx, S, TC, M) = self.saved
        xp = backend.get_array_module(S)
        T, B, n_in = x.shape
        H = TC.shape[1]
        H4 = 4 * H
        needs = self.needs_input_grad
        gout = gy[:T]
        if not gout.any():  # only the final state is used (a loss on h_n): skip the adds
            gout = None
        else:
            gout = (gout[::-1] if self.reverse else gout).transpose(0, 2, 1)
            if M is not None:
                gout = gout * M
        # The factors: bulk passes over all steps, on this thread. (Half of them on a second
        # Python thread took longer: the forward loop's OpenBLAS workers still spin on the cores.)
        P = xp.empty((T, 5 * H, B), dtype=S.dtype)
        OdTC = xp.empty((T, H, B), dtype=S.dtype)
        _lstm_factors(S, TC, P, OdTC, 0, T)
        P5 = P.reshape(T, 5, H, B)
        G = xp.empty_like(P)  # (∂o, ∂i, ∂f, ∂g pre-activations, f·∂c) of each step
        G5 = G.reshape(T, 5, H, B)
        Wi = W_ih[p] if needs[0] else None
        WhT = xp.ascontiguousarray(W_hh[p].T)
        dh, dc = gy[T].T.copy(), gy[T + 1].T.copy()
        tmp = xp.empty_like(dh)
        matmul, multiply = xp.matmul, xp.multiply
        backend.use_all_blas_threads()
        for t in range(T - 1, -1, -1):
            if gout is not None:
                dh += gout[t]
            p5, g5 = P5[t], G5[t]
            if M is None or M[t].all():
                multiply(dh, OdTC[t], out=tmp)
                dc += tmp
                multiply(p5[1:], dc, out=g5[1:])
                multiply(p5[0], dh, out=g5[0])
                dh = matmul(WhT, G[t, :H4])
                dc = g5[4]
            else:  # where the mask is 0 the state passes through unchanged
                dhc, dcc = dh * M[t], dc * M[t]
                dh -= dhc
                dc -= dcc
                dcc += dhc * OdTC[t]
                multiply(p5[1:], dcc, out=g5[1:])
                multiply(p5[0], dhc, out=g5[0])
                dh += matmul(WhT, G[t, :H4])
                dc += g5[4]
        G2 = G[:, :H4].transpose(1, 0, 2).reshape(H4, T * B)  # a copy: steps side by side
        gW, gx = _lstm_param_grads(G2, Zx[:T], Wi)
        gW, gb = gW[:, :-1], gW[:, -1]
        inv = self._rows(H, (1, 2, 3, 0))  # back to torch's gate order
        if gx is not None and self.reverse:
            gx = gx[::-1]
        gW, gb = gW[inv], gb[inv]
        return (
            gx,
            gW[:, H:] if needs[1] else None,
            gW[:, :H] if needs[2] else None,
            gb if needs[3] else None,
            gb.copy() if needs[4] else None,
            dh.T if needs[5] else None,
            dc.T if needs[6] else None,
        )


def _lstm_factors(S, TC, P, OdTC, lo, hi):
    """For steps lo..hi−1 of a fused LSTM: P, ∂(pre-activations of o, i, f, g) / ∂(dh for o,
    dc for the rest), and f in a fifth block; OdTC = o (1 − tanh²c), ∂h/∂c."""
    S, TC, P, OdTC = S[lo:hi], TC[lo:hi], P[lo:hi], OdTC[lo:hi]
    xp = backend.get_array_module(S)
    H = TC.shape[1]
    H2, H3, H4 = 2 * H, 3 * H, 4 * H
    R = 1 / S[:, :H3]  # σ of o, i, f (S holds u = 1 + exp(−z))
    g = S[:, H3:H4]
    Pσ = P[:, :H3]
    xp.multiply(R, R, out=Pσ)
    xp.subtract(R, Pσ, out=Pσ)  # σ' = σ − σ²
    P[:, :H] *= TC
    P[:, H:H2] *= g
    P[:, H2:H3] *= S[:, H4:]  # c_{t−1}
    Pg = P[:, H3:H4]
    xp.multiply(g, g, out=Pg)
    xp.subtract(1, Pg, out=Pg)
    Pg *= R[:, H:H2]
    P[:, H4:] = R[:, H2:]  # f, which carries ∂c to the step before
    xp.multiply(TC, TC, out=OdTC)
    xp.subtract(1, OdTC, out=OdTC)
    OdTC *= R[:, :H]


def _lstm_param_grads(G2, Zx, Wi):
    """[∂W_hh | ∂W_ih | ∂b] (internal gate order) of a fused LSTM from G2 (4H, T·B), the
    pre-activation gradients of all steps side by side, and Zx (T, K, B), each step's
    [h_t; x_t; 1]; and the input gradient (T, B, in) (None without ``Wi``)."""
    T, K, B = Zx.shape
    gW = backend.matmul(G2, Zx.transpose(1, 0, 2).reshape(K, T * B).T)
    gx = None if Wi is None else backend.matmul(Wi.T, G2).reshape(-1, T, B).transpose(1, 2, 0)
    return gW, gx


class GRULayer(_Recurrence):
    """Fused GRU layer, gates (r, z, n) as torch; b_hh's r and z parts are folded into the
    input projection, its n part stays inside r (W_hn h + b_hn)."""

    mode = "GRU"

    def _forward(self, x2, W_ih, W_hh, b_ih, b_hh, Z, c0, M):
        T, B, H = Z.shape[0] - 3, Z.shape[1], Z.shape[2]
        xp = backend.get_array_module(Z)
        H2 = 2 * H
        X = _mm(x2, W_ih.T)
        if b_ih is not None:
            X += b_ih
        if b_hh is not None:
            X[:, :H2] += b_hh[:H2]
        X[:, :H2] *= 0.5  # σ(x) = ½ tanh(x/2) + ½
        X = X.reshape(T, B, 3 * H)
        scale = xp.ones(3 * H, dtype=Z.dtype)
        scale[:H2] = 0.5
        WhT = xp.ascontiguousarray((W_hh * scale[:, None]).T)
        bn = None if b_hh is None else b_hh[H2:]
        RZ = xp.empty((T, B, H2), dtype=Z.dtype)
        HN = xp.empty((T, B, H), dtype=Z.dtype)  # W_hn h + b_hn
        N = xp.empty((T, B, H), dtype=Z.dtype)
        for t in range(T):
            hw = backend.matmul(Z[t], WhT)
            rz = RZ[t]
            xp.add(X[t, :, :H2], hw[:, :H2], out=rz)
            xp.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            hn = HN[t]
            if bn is None:
                hn[...] = hw[:, H2:]
            else:
                xp.add(hw[:, H2:], bn, out=hn)
            n = N[t]
            xp.multiply(rz[:, :H], hn, out=n)
            n += X[t, :, H2:]
            xp.tanh(n, out=n)
            h = Z[t + 1]
            xp.subtract(Z[t], n, out=h)
            h *= rz[:, H:]
            h += n
            if M is not None and not M[t].all():
                _blend(h, Z[t], M[t])
        Z[T + 2] = 0
        return RZ, HN, N

    def _backward(self, gout, dh, dc, cache):
        _, Z, M, RZ, HN, N = cache
        xp = backend.get_array_module(N)
        W_hh = self.saved[2]
        T, B, H = N.shape
        r, z = RZ[..., :H], RZ[..., H:]
        Q = xp.empty((T, B, 3 * H), dtype=N.dtype)  # ∂pre-activations of x W_ihᵀ / ∂dh
        Qn = Q[..., 2 * H :]
        xp.multiply(1 - z, 1 - N * N, out=Qn)
        xp.multiply(Qn * HN, r * (1 - r), out=Q[..., :H])
        xp.multiply(Z[:T] - N, z * (1 - z), out=Q[..., H : 2 * H])
        Qh = Q.copy()  # the same for h W_hhᵀ, but its n part is multiplied by r
        Qh[..., 2 * H :] *= r
        Q3, Qh3 = Q.reshape(T, B, 3, H), Qh.reshape(T, B, 3, H)
        G = xp.empty_like(Q)
        Gh = xp.empty_like(Q)
        G3, Gh3 = G.reshape(T, B, 3, H), Gh.reshape(T, B, 3, H)
        for t in range(T - 1, -1, -1):
            if gout is not None:
                dh += gout[t]
            masked = M is not None and not M[t].all()
            dhc = dh * M[t] if masked else dh
            xp.multiply(Q3[t], dhc[:, None, :], out=G3[t])
            xp.multiply(Qh3[t], dhc[:, None, :], out=Gh3[t])
            new = backend.matmul(Gh[t], W_hh)
            new += dhc * z[t]
            if masked:
                new += dh - dhc
            dh = new
        return G.reshape(T * B, -1), Gh.reshape(T * B, -1), dh, None, self.saved[1]


def fused_layer(
    mode, x, W_ih, W_hh, b_ih=None, b_hh=None, h0=None, c0=None, mask=None, reverse=False
):
    """One layer, one direction, as one fused Function: the packed (T + 2, B, H) Tensor."""
    if mode == "LSTM":
        return LSTMLayer(mask, reverse)(x, W_ih, W_hh, b_ih, b_hh, h0, c0)
    if mode == "GRU":
        return GRULayer(mask, reverse)(x, W_ih, W_hh, b_ih, b_hh, h0)
    act = "tanh" if mode == "RNN_TANH" else "relu"
    return RNNLayer(mask, reverse, act)(x, W_ih, W_hh, b_ih, b_hh, h0)


__all__ = [
    "GATES",
    "rnn_tanh_cell",
    "rnn_relu_cell",
    "lstm_cell",
    "gru_cell",
    "composed_layer",
    "projected_lstm_layer",
    "fused_layer",
    "RNNLayer",
    "LSTMLayer",
    "GRULayer",
    "cat",
]
