"""User-written Function subclasses: forward/backward with save_for_backward, against torch."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.autograd import Function

rng = np.random.default_rng(2)
A, B = rng.uniform(-1, 1, (3, 4)), rng.uniform(0.5, 1.5, (4,))


class ScaledSoftplus(Function):
    """y = log(1 + exp(a)) · b, b broadcast over rows; dy/da = σ(a)·b, dy/db = Σrows softplus(a)."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return np.logaddexp(0.0, a) * b

    def backward(self, gy):
        a, b = self.saved
        sig = 1 / (1 + (-a).exp()) if isinstance(a, cr.Tensor) else 1 / (1 + np.exp(-a))
        sp = (1 + a.exp()).log() if isinstance(a, cr.Tensor) else np.logaddexp(0.0, a)
        return gy * sig * b, (gy * sp).sum(0)


class TorchScaledSoftplus(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return torch.nn.functional.softplus(a) * b

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved_tensors
        return gy * torch.sigmoid(a) * b, (gy * torch.nn.functional.softplus(a)).sum(0)


def test_custom_function_forward_and_backward_match_torch():
    a, b = cr.tensor(A, requires_grad=True), cr.tensor(B, requires_grad=True)
    at, bt = torch.tensor(A, requires_grad=True), torch.tensor(B, requires_grad=True)
    y, yt = ScaledSoftplus.apply(a, b), TorchScaledSoftplus.apply(at, bt)
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-12)
    assert y.requires_grad and not y.is_leaf and "ScaledSoftplus" in repr(y.grad_fn)
    (y.tanh() * 2).sum().backward()
    (yt.tanh() * 2).sum().backward()
    np.testing.assert_allclose(a.grad.data, at.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(b.grad.data, bt.grad.numpy(), rtol=1e-10)


def test_custom_function_double_backward_matches_torch():
    a, b = cr.tensor(A, requires_grad=True), cr.tensor(B, requires_grad=True)
    at, bt = torch.tensor(A, requires_grad=True), torch.tensor(B, requires_grad=True)
    (ga,) = cr.grad(ScaledSoftplus.apply(a, b).sum(), a, create_graph=True)
    (gat,) = torch.autograd.grad(TorchScaledSoftplus.apply(at, bt).sum(), at, create_graph=True)
    ours = cr.grad((ga**2).sum(), [a, b])
    ref = torch.autograd.grad((gat**2).sum(), [at, bt])
    for o, r in zip(ours, ref):
        np.testing.assert_allclose(o.data, r.numpy(), rtol=1e-10)
    assert cr.autograd.gradgradcheck(ScaledSoftplus.apply, (a, b))


def test_custom_function_with_constant_input_and_none_grad():
    class Scale(Function):
        def forward(self, x, k):
            self.save_for_backward(x)
            return x * k

        def backward(self, gy):
            return gy * 5.0, None  # k is a constant: no gradient

    x = cr.tensor([1.0, 2.0], requires_grad=True)
    Scale()(x, 5.0).sum().backward()
    assert x.grad.tolist() == [5.0, 5.0]
    k = cr.tensor([1.0, 1.0])  # a Tensor that requires no grad
    x.grad = None
    Scale.apply(x, k).sum().backward()
    assert x.grad.tolist() == [5.0, 5.0]


def test_custom_function_not_recorded_under_no_grad():
    x = cr.tensor([1.0], requires_grad=True)
    with cr.no_grad():
        y = ScaledSoftplus.apply(x, cr.tensor([1.0]))
    assert not y.requires_grad and y.grad_fn is None


def test_custom_function_saved_input_modified_in_place_raises():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1.0
    y = ScaledSoftplus.apply(h, cr.tensor([1.0, 1.0]))
    h.add_(1.0)
    with pytest.raises(RuntimeError, match="ScaledSoftplus.*in-place"):
        y.sum().backward()


def test_custom_function_bad_gradient_shape_is_reported():
    class Wrong(Function):
        def forward(self, x):
            return x * 2

        def backward(self, gy):
            return gy.sum()

    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Wrong.*shape \(\).*\(2,\)"):
        Wrong.apply(x).sum().backward()
