import itertools

import pytest
import torch
from trajectory import check_state_dict_format, check_state_dict_round_trip, check_trajectory

import chainrule as cr
from chainrule.nn import Parameter
from chainrule.optim import Adamax

CONFIGS = [
    dict(lr=0.01, betas=b, eps=e, weight_decay=wd, maximize=mx)
    for b, e, wd, mx in itertools.product(
        [(0.9, 0.999), (0.5, 0.9)], [1e-8, 1e-3], [0, 0.05], [False, True]
    )
]


@pytest.mark.parametrize("kwargs", CONFIGS, ids=str)
def test_adamax_trajectory_matches_torch(kwargs):
    check_trajectory(Adamax, torch.optim.Adamax, kwargs)


@pytest.mark.parametrize("kwargs", [{}, dict(lr=0.01, weight_decay=0.01)], ids=str)
def test_adamax_float32_matches_torch(kwargs):
    check_trajectory(Adamax, torch.optim.Adamax, kwargs, dtype="float32")


def test_adamax_param_groups_and_state_dict():
    groups = [dict(lr=0.05), dict(lr=0.002)]
    check_trajectory(Adamax, torch.optim.Adamax, {}, group_opts=groups)
    check_state_dict_round_trip(Adamax, dict(lr=0.01))
    check_state_dict_format(Adamax, torch.optim.Adamax, dict(lr=0.01))


def test_adamax_rejects_bad_options():
    with pytest.raises(
        ValueError, match=r"Adamax: betas must be two numbers in \[0, 1\), got \(0.9, 1.0\)"
    ):
        Adamax([Parameter(cr.tensor([1.0]))], **dict(betas=(0.9, 1.0)))
