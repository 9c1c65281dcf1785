"""weight_norm and spectral_norm against torch.nn.utils.parametrizations: state-dict layout,
outputs, gradients of every parameter and the input, and the power-iteration buffers, over
several training steps and in eval mode."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.nn.utils import parametrizations as P

TP = torch.nn.utils.parametrizations


def _twin_steps(make, apply, x, train=True, steps=3):
    torch.manual_seed(0)
    theirs, ours = make(torch.nn).double(), make(cr.nn).double()
    apply(TP, theirs)
    apply(P, ours)
    state = {k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(state)
    ours.load_state_dict(state)  # spectral norm's u, v: torch's draws
    theirs.train(train)
    ours.train(train)
    for _ in range(steps):
        xt, xc = torch.tensor(x, requires_grad=True), cr.tensor(x, requires_grad=True)
        yt, yc = theirs(xt), ours(xc)
        np.testing.assert_allclose(yc.data, yt.detach().numpy(), rtol=1e-9, atol=1e-12)
        (yt**2).sum().backward()
        (yc**2).sum().backward()
        np.testing.assert_allclose(xc.grad.data, xt.grad.numpy(), rtol=1e-8, atol=1e-12)
        named = dict(theirs.named_parameters())
        for name, p in ours.named_parameters():
            np.testing.assert_allclose(
                p.grad.data, named[name].grad.numpy(), rtol=1e-8, atol=1e-12, err_msg=name
            )
        buffers = dict(theirs.named_buffers())
        for name, b in ours.named_buffers():
            np.testing.assert_allclose(b.data, buffers[name].numpy(), rtol=1e-9, err_msg=name)


X2 = np.random.default_rng(0).standard_normal((4, 5))
X4 = np.random.default_rng(1).standard_normal((2, 3, 6, 6))
LINEAR = (lambda nn: nn.Linear(5, 3), X2)
CONV = (lambda nn: nn.Conv2d(3, 4, 3), X4)
CONVT = (lambda nn: nn.ConvTranspose2d(3, 4, 3), X4)


@pytest.mark.parametrize(
    "case, apply, train",
    [
        (LINEAR, lambda m, mod: m.weight_norm(mod), True),
        (LINEAR, lambda m, mod: m.weight_norm(mod, dim=1), True),
        (LINEAR, lambda m, mod: m.weight_norm(mod, dim=None), True),
        (CONV, lambda m, mod: m.weight_norm(mod), True),
        (LINEAR, lambda m, mod: m.spectral_norm(mod), True),
        (LINEAR, lambda m, mod: m.spectral_norm(mod, n_power_iterations=2), False),
        (CONV, lambda m, mod: m.spectral_norm(mod), True),
        (CONVT, lambda m, mod: m.spectral_norm(mod), True),  # dim 1: the output channels
        (LINEAR, lambda m, mod: m.spectral_norm(mod, "bias"), True),  # 1-D: normalised
        (LINEAR, lambda m, mod: (m.spectral_norm(mod), m.weight_norm(mod, "bias")), True),
    ],
    ids=range(10),
)
def test_matches_torch_over_training_steps(case, apply, train):
    make, x = case
    _twin_steps(make, apply, x, train)


def test_spectral_norm_makes_the_largest_singular_value_one():
    cr.manual_seed(0)
    layer = P.spectral_norm(cr.nn.Linear(8, 6).double(), n_power_iterations=30)
    w = layer.weight.data
    assert abs(np.linalg.svd(w, compute_uv=False)[0] - 1) < 1e-8


def test_errors():
    with pytest.raises(ValueError, match="n_power_iterations must be positive"):
        P.spectral_norm(cr.nn.Linear(3, 2), n_power_iterations=0)
    with pytest.raises(IndexError, match=r"dim 2 is out of range .* \(2, 3\)"):
        P.spectral_norm(cr.nn.Linear(3, 2), dim=2)
    with pytest.raises(ValueError, match="has no parameter 'kernel'"):
        P.spectral_norm(cr.nn.Linear(3, 2), "kernel")
