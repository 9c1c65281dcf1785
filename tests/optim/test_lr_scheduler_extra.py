"""The schedulers of chainrule/optim/lr_scheduler_extra.py against torch's, bit for bit:
every step's lrs (and momentums, for CyclicLR), state dicts, and errors."""

import copy

import pytest
import torch

import chainrule as cr

LRS = (0.1, 0.05)  # two parameter groups with different lrs


def _optimizer(lib, kind, **kwargs):
    ps = [lib.nn.Parameter(lib.zeros(2)), lib.nn.Parameter(lib.zeros(3))]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(ps, LRS)]
    return getattr(lib.optim, kind)(groups, **kwargs)


def _momentums(opt):
    return [g["betas"][0] if "betas" in g else g.get("momentum", 0.0) for g in opt.param_groups]


def _trace(lib, make, kind, steps, epochs, opt_kwargs):
    opt = _optimizer(lib, kind, **opt_kwargs)
    s = make(lib.optim.lr_scheduler, opt)
    seen = [list(s.get_last_lr()) + _momentums(opt)]
    for k in range(steps):
        opt.step()
        s.step() if epochs is None else s.step(epochs(k))
        seen.append(list(s.get_last_lr()) + _momentums(opt) + [g["lr"] for g in opt.param_groups])
    return seen


CASES = {
    "ConstantLR": lambda S, O: S.ConstantLR(O, factor=0.5, total_iters=4),
    "MultiplicativeLR": lambda S, O: S.MultiplicativeLR(O, lambda e: 0.9 + 0.001 * e),
    "MultiplicativeLR per group": lambda S, O: S.MultiplicativeLR(
        O, [lambda e: 0.9, lambda e: 0.95]
    ),
    "PolynomialLR": lambda S, O: S.PolynomialLR(O, total_iters=10, power=2.0),
    "WarmRestarts": lambda S, O: S.CosineAnnealingWarmRestarts(O, T_0=5, T_mult=2, eta_min=1e-3),
    "WarmRestarts T_mult 1": lambda S, O: S.CosineAnnealingWarmRestarts(O, T_0=4),
    "CyclicLR": lambda S, O: S.CyclicLR(O, 0.01, 0.1, step_size_up=4, step_size_down=3),
    "CyclicLR triangular2": lambda S, O: S.CyclicLR(
        O, [0.01, 0.02], 0.1, step_size_up=3, mode="triangular2"
    ),
    "CyclicLR exp_range": lambda S, O: S.CyclicLR(
        O, 0.01, 0.1, step_size_up=3, mode="exp_range", gamma=0.9
    ),
    "CyclicLR scale_fn": lambda S, O: S.CyclicLR(
        O, 0.01, 0.1, step_size_up=2, scale_fn=lambda x: 0.5**x, scale_mode="iterations"
    ),
    "SequentialLR": lambda S, O: S.SequentialLR(
        O, [S.LinearLR(O, 0.1, total_iters=3), S.CosineAnnealingLR(O, T_max=10)], milestones=[5]
    ),
    "SequentialLR of three": lambda S, O: S.SequentialLR(
        O,
        [S.ConstantLR(O, 0.5, 2), S.ExponentialLR(O, 0.9), S.StepLR(O, 3, 0.5)],
        milestones=[4, 12],
    ),
    "ChainedScheduler": lambda S, O: S.ChainedScheduler(
        [S.ConstantLR(O, 0.1, total_iters=4), S.ExponentialLR(O, 0.9)]
    ),
}


@pytest.mark.parametrize("kind", ["SGD", "Adam"])
@pytest.mark.parametrize("name", list(CASES))
def test_schedules_match_torch_bit_for_bit(name, kind):
    opt_kwargs = dict(momentum=0.9) if kind == "SGD" else {}
    ours = _trace(cr, CASES[name], kind, 30, None, opt_kwargs)
    theirs = _trace(torch, CASES[name], kind, 30, None, opt_kwargs)
    assert ours == theirs


@pytest.mark.parametrize(
    "make",
    [
        lambda S, O: S.CosineAnnealingWarmRestarts(O, T_0=3, T_mult=2),
        lambda S, O: S.CosineAnnealingWarmRestarts(O, T_0=3),
        lambda S, O: S.PolynomialLR(O, total_iters=10, power=2.0),
        lambda S, O: S.ConstantLR(O, total_iters=6),
    ],
)
def test_step_to_an_epoch_matches_torch(make):
    """``step(epoch)``: fractional epochs for warm restarts, the closed forms for the rest."""
    epochs = lambda k: round(k * 0.7, 6)  # noqa: E731
    ours = _trace(cr, make, "SGD", 25, epochs, {})
    theirs = _trace(torch, make, "SGD", 25, epochs, {})
    assert ours == theirs


@pytest.mark.parametrize("name", ["CyclicLR", "SequentialLR", "ChainedScheduler", "WarmRestarts"])
def test_state_dict_resumes_the_schedule(name):
    opt = _optimizer(cr, "SGD", momentum=0.9)
    s = CASES[name](cr.optim.lr_scheduler, opt)
    for _ in range(7):
        opt.step()
        s.step()
    saved = copy.deepcopy(s.state_dict())
    expected = []
    for _ in range(10):
        opt.step()
        s.step()
        expected.append(s.get_last_lr())
    opt2 = _optimizer(cr, "SGD", momentum=0.9)
    s2 = CASES[name](cr.optim.lr_scheduler, opt2)
    s2.load_state_dict(saved)
    for group, lr in zip(opt2.param_groups, saved.get("_last_lr", [])):
        group["lr"] = lr
    resumed = []
    for _ in range(10):
        opt2.step()
        s2.step()
        resumed.append(s2.get_last_lr())
    assert resumed == expected


def test_errors_name_the_problem():
    S = cr.optim.lr_scheduler
    opt = _optimizer(cr, "SGD")
    with pytest.raises(ValueError, match=r"ConstantLR: factor must be in \[0, 1\], got 2"):
        S.ConstantLR(opt, factor=2)
    with pytest.raises(ValueError, match="T_0 must be a positive int, got 0"):
        S.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match=r"CyclicLR: mode must be .* got 'zigzag'"):
        S.CyclicLR(opt, 0.01, 0.1, mode="zigzag")
    with pytest.raises(ValueError, match="cycle_momentum needs an optimizer with momentum"):
        S.CyclicLR(_optimizer(cr, "Rprop"), 0.01, 0.1)
    with pytest.raises(ValueError, match="one milestone fewer than schedulers"):
        S.SequentialLR(opt, [S.ConstantLR(opt), S.ExponentialLR(opt, 0.9)], milestones=[])
    with pytest.raises(ValueError, match="ReduceLROnPlateau .* can't be combined"):
        S.ChainedScheduler([S.ReduceLROnPlateau(opt)])
    other = _optimizer(cr, "SGD")
    with pytest.raises(ValueError, match="must belong to the same optimizer"):
        S.ChainedScheduler([S.ConstantLR(opt), S.ConstantLR(other)])
    with pytest.raises(TypeError, match="MultiplicativeLR: lr_lambda must be a function"):
        S.MultiplicativeLR(opt, 0.9)
