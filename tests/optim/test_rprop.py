import itertools

import pytest
import torch
from trajectory import check_state_dict_format, check_state_dict_round_trip, check_trajectory

import chainrule as cr
from chainrule.nn import Parameter
from chainrule.optim import Rprop

CONFIGS = [
    dict(lr=lr, etas=et, step_sizes=ss, maximize=mx)
    for lr, et, ss, mx in itertools.product(
        [0.01, 0.2], [(0.5, 1.2), (0.3, 2.0)], [(1e-6, 50), (0.005, 0.3)], [False, True]
    )
]


@pytest.mark.parametrize("kwargs", CONFIGS, ids=str)
def test_rprop_trajectory_matches_torch(kwargs):
    check_trajectory(Rprop, torch.optim.Rprop, kwargs)


@pytest.mark.parametrize("kwargs", [{}, dict(lr=0.1, etas=(0.3, 2.0))], ids=str)
def test_rprop_float32_matches_torch(kwargs):
    check_trajectory(Rprop, torch.optim.Rprop, kwargs, dtype="float32")


def test_rprop_param_groups_and_state_dict():
    groups = [dict(lr=0.05), dict(lr=0.002)]
    check_trajectory(Rprop, torch.optim.Rprop, {}, group_opts=groups)
    check_state_dict_round_trip(Rprop, dict(lr=0.1))
    check_state_dict_format(Rprop, torch.optim.Rprop, dict(lr=0.1))


def test_rprop_rejects_bad_options():
    with pytest.raises(ValueError, match=r"Rprop: invalid eta values 1.5, 1.2"):
        Rprop([Parameter(cr.tensor([1.0]))], **dict(etas=(1.5, 1.2)))
