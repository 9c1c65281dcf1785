"""The older nn.utils.weight_norm / spectral_norm (and remove_*) against torch's: state-dict
names, outputs, gradients and power-iteration buffers over training steps, and removal."""

import warnings

import numpy as np
import pytest
import torch

import chainrule as cr

X2 = np.random.default_rng(0).standard_normal((4, 5))
X4 = np.random.default_rng(1).standard_normal((2, 3, 6, 6))


def _twins(make, apply):
    torch.manual_seed(0)
    theirs, ours = make(torch.nn).double(), make(cr.nn).double()
    with warnings.catch_warnings():  # torch's weight_norm is deprecated (FutureWarning)
        warnings.simplefilter("ignore")
        apply(torch.nn.utils, theirs)
    apply(cr.nn.utils, ours)
    state = {k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(state)
    ours.load_state_dict(state)  # spectral norm's u, v: torch's draws
    return ours, theirs


@pytest.mark.parametrize(
    "make, apply, x, train",
    [
        (lambda nn: nn.Linear(5, 3), lambda u, m: u.weight_norm(m), X2, True),
        (lambda nn: nn.Linear(5, 3), lambda u, m: u.weight_norm(m, dim=None), X2, True),
        (lambda nn: nn.Conv2d(3, 4, 3), lambda u, m: u.weight_norm(m, dim=1), X4, True),
        (lambda nn: nn.Linear(5, 3), lambda u, m: u.spectral_norm(m), X2, True),
        (
            lambda nn: nn.Linear(5, 3),
            lambda u, m: u.spectral_norm(m, n_power_iterations=3),
            X2,
            False,
        ),
        (lambda nn: nn.ConvTranspose2d(3, 4, 3), lambda u, m: u.spectral_norm(m), X4, True),
    ],
    ids=range(6),
)
def test_matches_torch_over_training_steps(make, apply, x, train):
    ours, theirs = _twins(make, apply)
    ours.train(train)
    theirs.train(train)
    for _ in range(3):
        xt, xc = torch.tensor(x, requires_grad=True), cr.tensor(x, requires_grad=True)
        yt, yc = theirs(xt), ours(xc)
        np.testing.assert_allclose(yc.data, yt.detach().numpy(), rtol=1e-9, atol=1e-12)
        (yt**2).sum().backward()
        (yc**2).sum().backward()
        named = dict(theirs.named_parameters())
        for name, p in ours.named_parameters():
            np.testing.assert_allclose(p.grad.data, named[name].grad.numpy(), rtol=1e-8, atol=1e-12)
        buffers = dict(theirs.named_buffers())
        for name, b in ours.named_buffers():
            np.testing.assert_allclose(b.data, buffers[name].numpy(), rtol=1e-9)


@pytest.mark.parametrize("kind", ["weight", "spectral"])
def test_remove_leaves_the_normalised_weight_as_torch(kind):
    apply = (
        (lambda u, m: u.weight_norm(m)) if kind == "weight" else (lambda u, m: u.spectral_norm(m))
    )
    ours, theirs = _twins(lambda nn: nn.Linear(5, 3), apply)
    ours(cr.tensor(X2))
    theirs(torch.tensor(X2))
    getattr(cr.nn.utils, f"remove_{kind}_norm")(ours)
    getattr(torch.nn.utils, f"remove_{kind}_norm")(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight"]
    assert isinstance(ours.weight, cr.nn.Parameter)
    np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy(), rtol=1e-12)


def test_errors():
    with pytest.raises(ValueError, match="has no parameter 'kernel'"):
        cr.nn.utils.weight_norm(cr.nn.Linear(2, 2), "kernel")
    with pytest.raises(ValueError, match="n_power_iterations must be positive"):
        cr.nn.utils.spectral_norm(cr.nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(ValueError, match="remove_weight_norm: weight_norm of 'weight' not found"):
        cr.nn.utils.remove_weight_norm(cr.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found"):
        cr.nn.utils.remove_spectral_norm(cr.nn.utils.weight_norm(cr.nn.Linear(2, 2)))
