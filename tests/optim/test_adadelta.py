import itertools

import pytest
import torch
from trajectory import check_state_dict_format, check_state_dict_round_trip, check_trajectory

import chainrule as cr
from chainrule.nn import Parameter
from chainrule.optim import Adadelta

CONFIGS = [
    dict(lr=lr, rho=rho, eps=e, weight_decay=wd, maximize=mx)
    for lr, rho, e, wd, mx in itertools.product(
        [1.0, 0.3], [0.9, 0.5], [1e-6, 1e-2], [0, 0.05], [False, True]
    )
]


@pytest.mark.parametrize("kwargs", CONFIGS, ids=str)
def test_adadelta_trajectory_matches_torch(kwargs):
    check_trajectory(Adadelta, torch.optim.Adadelta, kwargs)


@pytest.mark.parametrize("kwargs", [{}, dict(rho=0.5, weight_decay=0.01)], ids=str)
def test_adadelta_float32_matches_torch(kwargs):
    check_trajectory(Adadelta, torch.optim.Adadelta, kwargs, dtype="float32")


def test_adadelta_param_groups_and_state_dict():
    groups = [dict(lr=0.05), dict(lr=0.002)]
    check_trajectory(Adadelta, torch.optim.Adadelta, {}, group_opts=groups)
    check_state_dict_round_trip(Adadelta, dict(lr=0.5, rho=0.8))
    check_state_dict_format(Adadelta, torch.optim.Adadelta, dict(lr=0.5, rho=0.8))


def test_adadelta_rejects_bad_options():
    with pytest.raises(ValueError, match=r"Adadelta: invalid rho value 1.5"):
        Adadelta([Parameter(cr.tensor([1.0]))], **dict(rho=1.5))
