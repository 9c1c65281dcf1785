import itertools

import pytest
import torch
from trajectory import check_state_dict_format, check_state_dict_round_trip, check_trajectory

import chainrule as cr
from chainrule.nn import Parameter
from chainrule.optim import RMSprop

CONFIGS = [
    dict(lr=0.01, alpha=alpha, eps=1e-6, momentum=m, centered=c, weight_decay=wd, maximize=mx)
    for alpha, m, c, wd, mx in itertools.product(
        [0.99, 0.9], [0, 0.8], [False, True], [0, 0.05], [False, True]
    )
]


@pytest.mark.parametrize("kwargs", CONFIGS, ids=str)
def test_rmsprop_trajectory_matches_torch(kwargs):
    check_trajectory(RMSprop, torch.optim.RMSprop, kwargs)


@pytest.mark.parametrize(
    "kwargs", [{}, dict(momentum=0.9, centered=True, weight_decay=0.01)], ids=str
)
def test_rmsprop_float32_matches_torch(kwargs):
    check_trajectory(RMSprop, torch.optim.RMSprop, kwargs, dtype="float32")


def test_rmsprop_param_groups_with_their_own_options():
    groups = [dict(lr=0.05, centered=True), dict(momentum=0.5)]
    check_trajectory(RMSprop, torch.optim.RMSprop, dict(lr=0.01), group_opts=groups)


def test_rmsprop_state_dict():
    kwargs = dict(lr=0.01, momentum=0.9, centered=True)
    check_state_dict_round_trip(RMSprop, kwargs)
    check_state_dict_format(RMSprop, torch.optim.RMSprop, kwargs)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(lr=-0.01), "RMSprop: invalid learning rate -0.01"),
        (dict(alpha=-0.5), "RMSprop: invalid alpha -0.5"),
        (dict(eps=-1e-8), "RMSprop: invalid epsilon value -1e-08"),
        (dict(momentum=-0.9), "RMSprop: invalid momentum -0.9"),
    ],
)
def test_rmsprop_rejects_bad_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RMSprop([Parameter(cr.tensor([1.0]))], **kwargs)
