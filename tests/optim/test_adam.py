import itertools

import pytest
import torch
from trajectory import (
    Problem,
    check_large_parameter,
    check_state_dict_format,
    check_state_dict_round_trip,
    check_trajectory,
)

import chainrule as cr
from chainrule.nn import Parameter
from chainrule.optim import Adam, AdamW

ADAM = [
    dict(
        lr=0.05,
        betas=(0.8, 0.99),
        amsgrad=a,
        weight_decay=wd,
        maximize=mx,
        decoupled_weight_decay=dec,
    )
    for a, wd, mx, dec in itertools.product([False, True], [0, 0.1], [False, True], [False, True])
    if not (dec and wd == 0)
]
ADAMW = [
    dict(lr=0.05, amsgrad=a, weight_decay=wd, maximize=mx, eps=1e-6)
    for a, wd, mx in itertools.product([False, True], [0, 0.1], [False, True])
]


@pytest.mark.parametrize("kwargs", ADAM, ids=str)
def test_adam_trajectory_matches_torch(kwargs):
    check_trajectory(Adam, torch.optim.Adam, kwargs)


@pytest.mark.parametrize("kwargs", ADAMW, ids=str)
def test_adamw_trajectory_matches_torch(kwargs):
    check_trajectory(AdamW, torch.optim.AdamW, kwargs)


def test_adamw_default_weight_decay_is_decoupled_1e_2():
    p = Parameter(cr.tensor([1.0]))
    group = AdamW([p]).param_groups[0]
    assert group["weight_decay"] == 1e-2 and group["decoupled_weight_decay"]
    check_trajectory(AdamW, torch.optim.AdamW, {})


@pytest.mark.parametrize("cls, torch_cls", [(Adam, torch.optim.Adam), (AdamW, torch.optim.AdamW)])
@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_float32_matches_torch(cls, torch_cls, amsgrad):
    check_trajectory(
        cls, torch_cls, dict(lr=0.01, amsgrad=amsgrad, weight_decay=0.01), dtype="float32"
    )


def test_adam_param_groups_with_their_own_options():
    groups = [dict(lr=0.1, betas=(0.5, 0.9)), dict(amsgrad=True)]
    check_trajectory(Adam, torch.optim.Adam, dict(lr=0.01), group_opts=groups)


@pytest.mark.parametrize("cls, torch_cls", [(Adam, torch.optim.Adam), (AdamW, torch.optim.AdamW)])
def test_adam_state_dict(cls, torch_cls):
    kwargs = dict(lr=0.05, amsgrad=True, weight_decay=0.1)
    check_state_dict_round_trip(cls, kwargs)
    check_state_dict_format(cls, torch_cls, kwargs)


def test_adam_skips_parameters_without_grad():
    prob = Problem(steps=1)
    ps = prob.cr_params()
    opt = Adam(ps, lr=0.1)
    prob.set_grads(ps[:1], 0, "cr")
    before = ps[1].data.copy()
    opt.step()
    assert (ps[1].data == before).all() and ps[1] not in opt.state


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(lr=-1e-3), r"Adam: invalid learning rate -0.001"),
        (dict(betas=(0.9, 1.2)), r"Adam: betas must be two numbers in \[0, 1\), got \(0.9, 1.2\)"),
        (dict(betas=(-0.1, 0.9)), r"got \(-0.1, 0.9\)"),
        (dict(eps=-1.0), "Adam: invalid epsilon value -1.0"),
        (dict(weight_decay=-0.1), "Adam: invalid weight_decay -0.1"),
    ],
)
def test_adam_rejects_bad_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Adam([Parameter(cr.tensor([1.0]))], **kwargs)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_large_parameter_matches_torch(dtype, amsgrad):
    """A parameter big enough for the BLAS axpy path (≥ 16 K elements), 10 steps."""
    tol = 1e-5 if dtype == "float32" else 1e-12
    kwargs = dict(lr=0.01, amsgrad=amsgrad, weight_decay=0.01)
    check_large_parameter(Adam, torch.optim.Adam, kwargs, dtype, tol)
