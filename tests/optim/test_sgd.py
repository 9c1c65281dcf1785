import itertools

import pytest
import torch
from trajectory import (
    check_large_parameter,
    check_state_dict_format,
    check_state_dict_round_trip,
    check_trajectory,
)

import chainrule as cr
from chainrule.nn import Parameter
from chainrule.optim import SGD

CONFIGS = [
    dict(lr=0.05, momentum=m, dampening=d, nesterov=n, weight_decay=wd, maximize=mx)
    for m, d, n, wd, mx in itertools.product(
        [0, 0.9], [0, 0.3], [False, True], [0, 0.05], [False, True]
    )
    if not (n and (m == 0 or d != 0))
]


@pytest.mark.parametrize("kwargs", CONFIGS, ids=str)
def test_sgd_trajectory_matches_torch(kwargs):
    check_trajectory(SGD, torch.optim.SGD, kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [dict(lr=0.05), dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)],
    ids=str,
)
def test_sgd_float32_matches_torch(kwargs):
    check_trajectory(SGD, torch.optim.SGD, kwargs, dtype="float32")


def test_sgd_default_lr_is_torchs():
    check_trajectory(SGD, torch.optim.SGD, {})


def test_sgd_param_groups_with_their_own_options():
    groups = [dict(lr=0.1, momentum=0.5), dict(lr=0.01, nesterov=True, momentum=0.9)]
    check_trajectory(SGD, torch.optim.SGD, dict(lr=0.03), group_opts=groups)


def test_sgd_state_dict():
    kwargs = dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)
    check_state_dict_round_trip(SGD, kwargs)
    check_state_dict_format(SGD, torch.optim.SGD, kwargs)


def test_sgd_without_momentum_keeps_no_state():
    p = Parameter(cr.tensor([1.0, 2.0]))
    opt = SGD([p], lr=0.1)
    p.grad = cr.tensor([1.0, 1.0])
    opt.step()
    assert opt.state_dict()["state"] == {}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(lr=-0.1), "SGD: invalid learning rate -0.1"),
        (dict(lr=0.1, momentum=-0.5), "SGD: invalid momentum -0.5"),
        (dict(lr=0.1, weight_decay=-1), "SGD: invalid weight_decay -1"),
        (dict(lr=0.1, nesterov=True), "nesterov requires momentum > 0 and dampening = 0"),
        (dict(lr=0.1, nesterov=True, momentum=0.9, dampening=0.1), "dampening=0.1"),
    ],
)
def test_sgd_rejects_bad_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SGD([Parameter(cr.tensor([1.0]))], **kwargs)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_large_parameter_matches_torch(dtype, momentum):
    """A parameter big enough for the BLAS axpy path (≥ 16 K elements), 10 steps."""
    tol = 1e-6 if dtype == "float32" else 1e-13
    check_large_parameter(SGD, torch.optim.SGD, dict(lr=0.05, momentum=momentum), dtype, tol)


def test_plain_sgd_step_between_forward_and_backward_is_caught():
    """The plain update bumps the versions itself: a backward through a weight it changed
    must refuse, as torch does (the input requires grad, so torch saves the weight too)."""
    lin = cr.nn.Linear(3, 2)
    opt = SGD(lin.parameters(), lr=0.1)
    loss = lin(cr.ones(4, 3, requires_grad=True)).sum()
    for p in lin.parameters():
        p.grad = cr.ones(*p.shape)
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()

    t = torch.nn.Linear(3, 2)
    topt = torch.optim.SGD(t.parameters(), lr=0.1)
    tloss = t(torch.ones(4, 3, requires_grad=True)).sum()
    for p in t.parameters():
        p.grad = torch.ones_like(p)
    topt.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        tloss.backward()
