import itertools

import pytest
import torch
from trajectory import check_state_dict_format, check_state_dict_round_trip, check_trajectory

import chainrule as cr
from chainrule.nn import Parameter
from chainrule.optim import Adagrad

CONFIGS = [
    dict(lr=0.1, lr_decay=d, weight_decay=wd, initial_accumulator_value=acc, eps=eps, maximize=mx)
    for d, wd, acc, eps, mx in itertools.product(
        [0, 0.05], [0, 0.05], [0, 0.3], [1e-10, 1e-3], [False, True]
    )
]


@pytest.mark.parametrize("kwargs", CONFIGS, ids=str)
def test_adagrad_trajectory_matches_torch(kwargs):
    check_trajectory(Adagrad, torch.optim.Adagrad, kwargs)


def test_adagrad_float32_matches_torch():
    kwargs = dict(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1)
    check_trajectory(Adagrad, torch.optim.Adagrad, kwargs, dtype="float32")


def test_adagrad_param_groups_with_their_own_options():
    groups = [dict(lr=0.5, eps=1e-3), dict(lr_decay=0.1)]
    check_trajectory(Adagrad, torch.optim.Adagrad, dict(lr=0.1), group_opts=groups)


def test_adagrad_group_initial_accumulator_value_is_honoured():
    # torch's constructor fills every group's sum with the default value; a group's own
    # initial_accumulator_value is used here, as it is for groups added later in torch.
    a, b = Parameter(cr.tensor([1.0])), Parameter(cr.tensor([1.0]))
    opt = Adagrad([{"params": [a], "initial_accumulator_value": 2.0}, {"params": [b]}])
    assert opt.state[a]["sum"].data.tolist() == [2.0]
    assert opt.state[b]["sum"].data.tolist() == [0.0]


def test_adagrad_state_dict():
    kwargs = dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.2)
    check_state_dict_round_trip(Adagrad, kwargs)
    check_state_dict_format(Adagrad, torch.optim.Adagrad, kwargs, steps=0)
    check_state_dict_format(Adagrad, torch.optim.Adagrad, kwargs)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(lr=-0.1), "Adagrad: invalid learning rate -0.1"),
        (dict(lr_decay=-1), "Adagrad: invalid lr_decay value -1"),
        (dict(initial_accumulator_value=-1), "Adagrad: invalid initial_accumulator_value -1"),
        (dict(eps=-1), "Adagrad: invalid epsilon value -1"),
    ],
)
def test_adagrad_rejects_bad_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Adagrad([Parameter(cr.tensor([1.0]))], **kwargs)
