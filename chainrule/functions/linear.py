"""Affine maps: ``linear`` (y = x Wᵀ + b) and ``bilinear`` (y_k = x1ᵀ A_k x2 + b_k).

``linear`` is the hot op of every MLP, so it is one Function: the leading batch dimensions are
folded into one (a free reshape), leaving a single 2-D matrix product each way:

    y  = x Wᵀ + b          x (N, in), W (out, in), b (out,), y (N, out)
    gx = gy W              gW = gyᵀ x              gb = Σ_n gy

The backward uses only ``@``, ``.T``, ``.reshape`` and ``.sum``, so fed Tensors it records a
graph (double backward).
"""

from __future__ import annotations

from .. import backend
from ..autograd.function import Function
from ..autograd.grad_mode import _state
from ..tensor import Tensor, as_tensor
from .activation import leaky_factor
from .linalg import _mm


class Linear(Function):
    """y = x Wᵀ (+ b); x is (..., in), W is (out, in), b is (out,)."""

    def forward(self, x, W, b=None):
        self.save_for_backward(x, W)
        if x.ndim == 2:
            return _affine(x, W, b)
        y = backend.matmul(x.reshape(-1, x.shape[-1]), W.T)
        y = y.reshape(x.shape[:-1] + (W.shape[0],))
        if b is not None:
            y += b  # y is a fresh array: adding in place saves one allocation
        return y

    def backward(self, gy):
        x, W = self.saved
        return _linear_backward(x, W, gy, self.needs_input_grad)


def _affine(x, W, b):
    """x Wᵀ + b for a 2-D x, as a fresh array. Without grad (inference) a wide result may come
    back in Fortran order, which OpenBLAS computes faster; in training the backward's
    element-wise work over such arrays costs what the products save, so they stay in C order."""
    y = backend.matmul(x, W.T, any_order=not _state.enabled)
    if b is not None:
        y += b  # a fresh array: adding in place saves one allocation
    return y


def _linear_backward(x, W, gy, needs):
    """(gx, gW[, gb]) of y = x Wᵀ (+ b) from gy = ∂L/∂y (arrays, or Tensors for double
    backward)."""
    mm = _mm if isinstance(gy, Tensor) else backend.matmul  # Tensors: double backward
    x2, gy2 = x, gy
    if x.ndim != 2:  # fold the batch dims: one 2-D product each way
        x2 = x.reshape(-1, x.shape[-1])
        gy2 = gy.reshape(-1, gy.shape[-1])
    gx = gW = gb = None
    if needs[0]:
        gx = mm(gy2, W)
        if x.ndim != 2:
            gx = gx.reshape(x.shape)
    if needs[1]:
        gW = mm(gy2.T, x2)
    if len(needs) > 2 and needs[2]:
        gb = gy2.sum(axis=0)
    return (gx, gW) if len(needs) == 2 else (gx, gW, gb)


class LinearChain(Function):
    """A chain of Linear layers, each optionally followed by a ReLU or a LeakyReLU with a slope
    in (0, 1], as one op on a 2-D x: what ``nn.Sequential`` runs for such a run of layers.
    Inputs (x, W₁, b₁, …, Wₙ, bₙ), any b may be None; ``acts[k]`` is layer k's activation:
    None, 0.0 (ReLU) or the LeakyReLU slope. One graph node instead of one per layer (the
    per-op cost of recording, walking and wrapping is most of a small network's step), and
    each activation is applied in place to its product, an array no one else sees. Values and
    gradients are those of the layers one by one, bit for bit.

    The saved outputs tell which units were active: h ≠ 0 exactly where x Wᵀ + b > 0 (or is
    NaN) for ReLU, and h > 0 exactly where it is > 0 for a positive slope. Double backward
    differentiates the same layers composed of their own ops.
    """

    def __init__(self, acts: tuple, sizes: tuple):
        self.acts = acts
        self.sizes = sizes  # (the largest out·in, the smallest out or in) of the layers

    @property
    def name(self) -> str:  # one layer: LinearReLU; more: LinearReLU+LinearReLU+Linear
        return "+".join(
            "Linear" if a is None else "LinearLeakyReLU" if a else "LinearReLU" for a in self.acts
        )

    def forward(self, x, *Wb):
        xp = backend.get_array_module(x)
        # NumPy's matmul, with the BLAS threads chosen once for all the products (forward and
        # backward), when they are all small; else None: each layer's product chooses
        self.mm = mm = backend.products(x, *self.sizes)
        hs = [x]  # the input and each layer's output
        h = x
        for a, W, b in zip(self.acts, Wb[0::2], Wb[1::2]):
            if mm is None:
                h = _affine(h, W, b)
            else:
                h = mm(h, W.T)
                if b is not None:
                    h += b  # a fresh array: adding in place saves one allocation
            if a:  # max(z, slope·z) is leaky_relu for 0 < slope ≤ 1
                xp.maximum(h, h * a, out=h)
            elif a is not None:
                xp.maximum(h, backend.zeros_like_layout(h), out=h)
            hs.append(h)
        # the output goes in as itself (an in-place edit of it must stop backward) when the
        # backward reads it
        self.save_for_backward(x, *Wb, h if self.acts[-1] is not None else None, hs)
        return h

    def backward(self, gy):
        if isinstance(gy, Tensor):  # create_graph: differentiate the layers composed
            return self._composed_backward(gy)
        saved, acts, needs = self.saved, self.acts, self.needs_input_grad
        hs = saved[-1]
        mm, row_sum = self.mm, _row_sum
        if mm is None:
            mm = backend.matmul
        else:  # the products are all small (see forward); another op may have changed threads
            backend.use_one_blas_thread()
            row_sum = backend.np.add.reduce  # NumPy's sum itself, without its Python wrapper
        grads = [None] * len(needs)
        own = False  # whether gy is an array of our own, to scale in place
        for k in range(len(acts) - 1, -1, -1):
            a, h = acts[k], hs[k + 1]
            if a is not None:
                factor = leaky_factor(h > 0, a, h.dtype) if a else h != 0
                if own:
                    gy *= factor
                else:
                    gy = gy * factor
            if needs[2 * k + 1]:
                grads[2 * k + 1] = mm(gy.T, hs[k])
            if needs[2 * k + 2]:
                grads[2 * k + 2] = row_sum(gy, 0)
            if k or needs[0]:
                gy, own = mm(gy, saved[2 * k + 1]), True
        if needs[0]:
            grads[0] = gy
        return tuple(grads)

    def _composed_backward(self, gy):
        from .activation import leaky_relu, relu

        inputs = self.saved[:-2]  # the input Tensors (the engine swapped them in)
        h = inputs[0]
        for k, a in enumerate(self.acts):
            h = linear(h, inputs[2 * k + 1], inputs[2 * k + 2])
            if a is not None:
                h = leaky_relu(h, a) if a else relu(h)
        return self._differentiate(h, inputs, gy)


def linear_chain(x, layers):
    """``LinearChain`` on a Tensor x and ``layers``, [(W, b or None, act)] with act None, 0.0
    (ReLU) or a LeakyReLU slope in (0, 1]; or None where it does not apply (no layers, x not a
    2-D float Tensor, a W or b not a Tensor, or a shape or dtype that does not chain): the
    caller then runs the layers one by one, which raise their own errors."""
    if not isinstance(x, Tensor) or not layers:
        return None
    xd = x.data
    if xd.ndim != 2 or xd.dtype.kind != "f":
        return None
    n, dt = xd.shape[1], xd.dtype
    args, acts = [x], []
    for W, b, a in layers:
        if not isinstance(W, Tensor) or not (b is None or isinstance(b, Tensor)):
            return None
        Wd = W.data
        if not _takes(n, dt, Wd, b):
            return None
        n = Wd.shape[0]
        args += (W, b)
        acts.append(a)
    return LinearChain(tuple(acts), chain_sizes(args[1::2]))(*args)


def _row_sum(a, axis):
    return a.sum(axis=axis)


def chain_sizes(weights) -> tuple:
    """(the largest out·in, the smallest out or in) over a chain's weight Tensors (out, in)."""
    shapes = [W.data.shape for W in weights]
    return max(o * i for o, i in shapes), min(min(s) for s in shapes)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x Wᵀ + b, torch's layout: x (..., in_features), W (out_features, in_features),
    b (out_features,) or None; y (..., out_features).

    >>> linear(cr.ones(4, 3), cr.ones(2, 3)).shape
    (4, 2)
    """
    # the errors are worked out only when the combined test fails
    x = input if isinstance(input, Tensor) else as_tensor(input)
    W = weight if isinstance(weight, Tensor) else as_tensor(weight)
    b = bias if bias is None or isinstance(bias, Tensor) else as_tensor(bias)
    if not _fits(x.data, W.data, b):
        _check_linear(x, W, b)
        if b is not None:  # a 0-d bias, broadcast
            return Linear()(x, W) + b
    if b is None:
        return Linear()(x, W)
    return Linear()(x, W, b)


def _fits(xd, Wd, b) -> bool:
    """Whether arrays x (..., in), W (out, in) and Tensor b (out,) or None make a linear map
    of one dtype: one combined test of the arrays' own attributes (every layer, every step)."""
    return xd.ndim > 0 and _takes(xd.shape[-1], xd.dtype, Wd, b)


def _takes(n, dt, Wd, b) -> bool:
    """Whether W (out, n) of dtype ``dt`` and Tensor b (out,) or None of that dtype map n
    features of dtype ``dt``."""
    return not (
        Wd.ndim != 2
        or Wd.shape[1] != n
        or Wd.dtype != dt
        or (b is not None and (b.data.shape != Wd.shape[:1] or b.data.dtype != dt))
    )


def _check_linear(x, W, b) -> None:
    """Raise the error that names what ``linear`` was given wrong; return if only the bias is
    0-d (allowed: it broadcasts)."""
    if W.ndim != 2:
        raise ValueError(
            f"linear: weight must be 2-D (out_features, in_features), got shape {W.shape}"
        )
    if x.ndim == 0 or x.shape[-1] != W.shape[1]:
        raise ValueError(
            f"linear: input of shape {x.shape} has {x.shape[-1] if x.ndim else 0} "
            f"features (last dim) but weight of shape {W.shape} expects "
            f"{W.shape[1]}"
        )
    if x.dtype != W.dtype:
        raise TypeError(f"linear: input dtype {x.dtype} and weight dtype {W.dtype} differ")
    if b is None:
        return
    if b.shape != (W.shape[0],) and b.shape != ():
        raise ValueError(
            f"linear: bias must have shape ({W.shape[0]},) for weight of shape "
            f"{W.shape}, got {b.shape}"
        )
    if b.dtype != W.dtype:
        raise TypeError(f"linear: bias dtype {b.dtype} and weight dtype {W.dtype} differ")


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None):
    """y_k = x1ᵀ A_k x2 + b_k: x1 (..., in1), x2 (..., in2), A (out, in1, in2), b (out,);
    y (..., out). The leading dims of x1 and x2 must be equal.

    Built from differentiable ops (one matrix product, a product and a sum), so double
    backward comes for free:  u = x1 · A  (N, out, in2),  y = Σ_j u_kj x2_j.
    """
    x1, x2, A = as_tensor(input1), as_tensor(input2), as_tensor(weight)
    if A.ndim != 3:
        raise ValueError(f"bilinear: weight must be 3-D (out, in1, in2), got shape {A.shape}")
    out, in1, in2 = A.shape
    if x1.ndim == 0 or x1.shape[-1] != in1:
        raise ValueError(
            f"bilinear: input1 of shape {x1.shape} must have {in1} features "
            f"(last dim) for weight of shape {A.shape}"
        )
    if x2.ndim == 0 or x2.shape[-1] != in2:
        raise ValueError(
            f"bilinear: input2 of shape {x2.shape} must have {in2} features "
            f"(last dim) for weight of shape {A.shape}"
        )
    if x1.shape[:-1] != x2.shape[:-1]:
        raise ValueError(
            f"bilinear: input1 and input2 must have the same leading dims, got "
            f"shapes {x1.shape} and {x2.shape}"
        )
    if bias is not None and tuple(bias.shape) != (out,):
        raise ValueError(
            f"bilinear: bias must have shape ({out},) for weight of shape "
            f"{A.shape}, got {tuple(bias.shape)}"
        )
    lead = x1.shape[:-1]
    a = x1.reshape(-1, in1)  # (N, in1)
    Am = A.permute(1, 0, 2).reshape(in1, out * in2)  # (in1, out·in2)
    u = (a @ Am).reshape(-1, out, in2)  # u[n, k, j] = Σ_i x1[n, i] A[k, i, j]
    y = (u * x2.reshape(-1, 1, in2)).sum(axis=-1)  # (N, out)
    if bias is not None:
        y = y + bias
    return y.reshape(lead + (out,))


__all__ = ["linear", "bilinear"]
