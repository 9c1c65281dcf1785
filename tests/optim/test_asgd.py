import itertools

import pytest
import torch
from trajectory import check_state_dict_format, check_state_dict_round_trip, check_trajectory

import chainrule as cr
from chainrule.nn import Parameter
from chainrule.optim import ASGD

CONFIGS = [
    dict(lr=lr, lambd=lam, alpha=a, t0=t0, weight_decay=wd, maximize=mx)
    for lr, lam, a, t0, wd, mx in itertools.product(
        [0.01, 0.1], [1e-4, 0.1], [0.75], [1e6, 5], [0, 0.05], [False, True]
    )
]


@pytest.mark.parametrize("kwargs", CONFIGS, ids=str)
def test_asgd_trajectory_matches_torch(kwargs):
    check_trajectory(ASGD, torch.optim.ASGD, kwargs)


@pytest.mark.parametrize("kwargs", [{}, dict(lr=0.1, lambd=0.1, t0=5)], ids=str)
def test_asgd_float32_matches_torch(kwargs):
    check_trajectory(ASGD, torch.optim.ASGD, kwargs, dtype="float32")


def test_asgd_param_groups_and_state_dict():
    groups = [dict(lr=0.05), dict(lr=0.002)]
    check_trajectory(ASGD, torch.optim.ASGD, {}, group_opts=groups)
    check_state_dict_round_trip(ASGD, dict(lr=0.1, t0=5))
    check_state_dict_format(ASGD, torch.optim.ASGD, dict(lr=0.1, t0=5))


def test_asgd_rejects_bad_options():
    with pytest.raises(ValueError, match=r"ASGD: invalid learning rate -1.0"):
        ASGD([Parameter(cr.tensor([1.0]))], **dict(lr=-1.0))


def test_asgd_average_follows_torch_after_t0():
    """From step t0 on, ``ax`` averages the iterates (μ < 1): compare it, not only p."""
    check_state_dict_format(ASGD, torch.optim.ASGD, dict(lr=0.1, lambd=0.01, t0=3), steps=12)
