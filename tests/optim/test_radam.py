import itertools

import pytest
import torch
from trajectory import check_state_dict_format, check_state_dict_round_trip, check_trajectory

import chainrule as cr
from chainrule.nn import Parameter
from chainrule.optim import RAdam

CONFIGS = [
    dict(lr=0.01, betas=b, eps=e, weight_decay=wd, decoupled_weight_decay=dw, maximize=mx)
    for b, e, wd, dw, mx in itertools.product(
        [(0.9, 0.999), (0.5, 0.6)], [1e-8, 1e-3], [0, 0.05], [False, True], [False, True]
    )
]


@pytest.mark.parametrize("kwargs", CONFIGS, ids=str)
def test_radam_trajectory_matches_torch(kwargs):
    check_trajectory(RAdam, torch.optim.RAdam, kwargs)


@pytest.mark.parametrize("kwargs", [{}, dict(lr=0.01, betas=(0.5, 0.6))], ids=str)
def test_radam_float32_matches_torch(kwargs):
    check_trajectory(RAdam, torch.optim.RAdam, kwargs, dtype="float32")


def test_radam_param_groups_and_state_dict():
    groups = [dict(lr=0.05), dict(lr=0.002)]
    check_trajectory(RAdam, torch.optim.RAdam, {}, group_opts=groups)
    check_state_dict_round_trip(RAdam, dict(lr=0.01, betas=(0.5, 0.6)))
    check_state_dict_format(RAdam, torch.optim.RAdam, dict(lr=0.01, betas=(0.5, 0.6)))


def test_radam_rejects_bad_options():
    with pytest.raises(ValueError, match=r"RAdam: invalid epsilon value -1.0"):
        RAdam([Parameter(cr.tensor([1.0]))], **dict(eps=-1.0))
