import itertools

import pytest
import torch
from trajectory import check_state_dict_format, check_state_dict_round_trip, check_trajectory

import chainrule as cr
from chainrule.nn import Parameter
from chainrule.optim import NAdam

CONFIGS = [
    dict(
        lr=0.01, betas=b, weight_decay=wd, momentum_decay=md, decoupled_weight_decay=dw, maximize=mx
    )
    for b, wd, md, dw, mx in itertools.product(
        [(0.9, 0.999), (0.5, 0.9)], [0, 0.05], [4e-3, 0.1], [False, True], [False, True]
    )
]


@pytest.mark.parametrize("kwargs", CONFIGS, ids=str)
def test_nadam_trajectory_matches_torch(kwargs):
    check_trajectory(NAdam, torch.optim.NAdam, kwargs)


@pytest.mark.parametrize(
    "kwargs", [{}, dict(lr=0.01, weight_decay=0.01, decoupled_weight_decay=True)], ids=str
)
def test_nadam_float32_matches_torch(kwargs):
    check_trajectory(NAdam, torch.optim.NAdam, kwargs, dtype="float32")


def test_nadam_param_groups_and_state_dict():
    groups = [dict(lr=0.05), dict(lr=0.002)]
    check_trajectory(NAdam, torch.optim.NAdam, {}, group_opts=groups)
    check_state_dict_round_trip(NAdam, dict(lr=0.01, weight_decay=0.01))
    check_state_dict_format(NAdam, torch.optim.NAdam, dict(lr=0.01, weight_decay=0.01))


def test_nadam_rejects_bad_options():
    with pytest.raises(ValueError, match=r"NAdam: invalid momentum_decay -1.0"):
        NAdam([Parameter(cr.tensor([1.0]))], **dict(momentum_decay=-1.0))
