import copy
import math

import numpy as np
import pytest
import torch
import torch.optim.lr_scheduler as tsched

import chainrule as cr
import chainrule.optim.lr_scheduler as sched
from chainrule.nn import Parameter
from chainrule.optim import SGD, Adam

LRS = (0.1, 0.03)  # two parameter groups with different lrs
STEPS = 100


def optimizers(kind="sgd", **kwargs):
    """The same two-group optimizer in chainrule and in torch."""
    ours = [Parameter(cr.tensor([1.0])) for _ in LRS]
    theirs = [torch.nn.Parameter(torch.tensor([1.0])) for _ in LRS]
    cls, tcls = (SGD, torch.optim.SGD) if kind == "sgd" else (Adam, torch.optim.Adam)
    opt = cls([{"params": [p], "lr": lr} for p, lr in zip(ours, LRS)], **kwargs)
    ref = tcls([{"params": [p], "lr": lr} for p, lr in zip(theirs, LRS)], **kwargs)
    return opt, ref


def same(ours, theirs, what):
    assert list(ours) == list(theirs), f"{what}: {ours} != torch's {theirs}"  # bit for bit


def run_both(make, torch_make, steps=STEPS, kind="sgd", opt_kwargs=None, metrics=None, check=None):
    opt, ref = optimizers(kind, **(opt_kwargs or {}))
    s, t = make(opt), torch_make(ref)
    same(s.get_last_lr(), t.get_last_lr(), "initial lr")
    for k in range(steps):
        opt.step()
        ref.step()
        if metrics is None:
            s.step()
            t.step()
        else:
            s.step(metrics[k])
            t.step(metrics[k])
        same(s.get_last_lr(), t.get_last_lr(), f"lr after step {k + 1}")
        same(
            [g["lr"] for g in opt.param_groups],
            [g["lr"] for g in ref.param_groups],
            f"group lr after step {k + 1}",
        )
        if check:
            check(opt, ref, k)
    return s, t, opt


CASES = {
    "StepLR": lambda m: (m.StepLR, dict(step_size=7, gamma=0.5)),
    "StepLR-default-gamma": lambda m: (m.StepLR, dict(step_size=30)),
    "MultiStepLR": lambda m: (m.MultiStepLR, dict(milestones=[10, 30, 30, 80], gamma=0.3)),
    "ExponentialLR": lambda m: (m.ExponentialLR, dict(gamma=0.95)),
    "CosineAnnealingLR": lambda m: (m.CosineAnnealingLR, dict(T_max=100)),
    "CosineAnnealingLR-restarts": lambda m: (m.CosineAnnealingLR, dict(T_max=15, eta_min=1e-3)),
    "LinearLR": lambda m: (m.LinearLR, dict()),
    "LinearLR-decay": lambda m: (
        m.LinearLR,
        dict(start_factor=1.0, end_factor=0.1, total_iters=60),
    ),
    "LambdaLR": lambda m: (m.LambdaLR, dict(lr_lambda=lambda e: 0.97**e + 0.01 * (e % 5))),
    "LambdaLR-per-group": lambda m: (
        m.LambdaLR,
        dict(lr_lambda=[lambda e: 1 / (e + 1), lambda e: math.cos(e)]),
    ),
    "OneCycleLR-cos": lambda m: (m.OneCycleLR, dict(max_lr=[1.0, 0.5], total_steps=STEPS)),
    "OneCycleLR-linear": lambda m: (
        m.OneCycleLR,
        dict(
            max_lr=0.8,
            epochs=10,
            steps_per_epoch=10,
            pct_start=0.25,
            anneal_strategy="linear",
            div_factor=10.0,
            final_div_factor=100.0,
        ),
    ),
    "OneCycleLR-three-phase": lambda m: (
        m.OneCycleLR,
        dict(
            max_lr=0.5,
            total_steps=STEPS,
            three_phase=True,
            base_momentum=0.8,
            max_momentum=[0.9, 0.95],
        ),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_scheduler_matches_torch(name):
    cls, kwargs = CASES[name](sched)
    tcls, _ = CASES[name](tsched)

    def momenta(opt, ref, k):
        same(
            [g["momentum"] for g in opt.param_groups],
            [g["momentum"] for g in ref.param_groups],
            f"momentum after step {k + 1}",
        )

    check = momenta if cls is sched.OneCycleLR else None
    run_both(
        lambda o: cls(o, **kwargs),
        lambda o: tcls(o, **kwargs),
        opt_kwargs=dict(momentum=0.9),
        check=check,
    )


def test_one_cycle_cycles_adams_beta1():
    def betas(opt, ref, k):
        for g, h in zip(opt.param_groups, ref.param_groups):
            same(g["betas"], h["betas"], f"betas after step {k + 1}")

    kwargs = dict(max_lr=0.01, total_steps=STEPS, base_momentum=0.8, max_momentum=0.9)
    run_both(
        lambda o: sched.OneCycleLR(o, **kwargs),
        lambda o: tsched.OneCycleLR(o, **kwargs),
        kind="adam",
        check=betas,
    )


def test_one_cycle_refuses_to_step_past_total_steps():
    opt, _ = optimizers()
    s = sched.OneCycleLR(opt, max_lr=0.1, total_steps=3, cycle_momentum=False)
    for _ in range(3):
        opt.step()
        s.step()
    with pytest.raises(ValueError, match="tried to step 4 times, but total_steps is 3"):
        s.step()


PLATEAU = {
    "min-rel": dict(),
    "min-abs-cooldown": dict(
        threshold_mode="abs", threshold=0.05, patience=3, cooldown=4, factor=0.5
    ),
    "max-rel-min_lr": dict(mode="max", patience=2, factor=0.3, min_lr=[1e-3, 5e-3]),
    "max-abs-eps": dict(mode="max", threshold_mode="abs", patience=0, factor=0.9, eps=1e-3),
}


@pytest.mark.parametrize("name", list(PLATEAU))
def test_reduce_lr_on_plateau_matches_torch(name):
    rng = np.random.default_rng(0)
    # improving, then noisy plateaus, then a jump: every branch of the rule gets used
    metrics = np.concatenate(
        [
            np.linspace(1.0, 0.5, 20),
            0.5 + 0.01 * rng.standard_normal(30),
            np.full(20, 0.49),
            0.3 + 0.05 * rng.standard_normal(30),
        ]
    )
    if PLATEAU[name].get("mode") == "max":
        metrics = -metrics
    kwargs = PLATEAU[name]
    s, _, opt = run_both(
        lambda o: sched.ReduceLROnPlateau(o, **kwargs),
        lambda o: tsched.ReduceLROnPlateau(o, **kwargs),
        metrics=metrics,
    )
    assert opt.param_groups[0]["lr"] < LRS[0]  # it did reduce


def test_reduce_lr_on_plateau_takes_a_tensor_metric():
    opt, _ = optimizers()
    s = sched.ReduceLROnPlateau(opt, patience=0)
    s.step(cr.tensor(1.0))
    s.step(cr.tensor(2.0))
    assert s.get_last_lr() == [LRS[0] * 0.1, LRS[1] * 0.1]


@pytest.mark.parametrize(
    "name",
    [
        "StepLR",
        "CosineAnnealingLR-restarts",
        "LinearLR-decay",
        "OneCycleLR-three-phase",
        "LambdaLR",
    ],
)
def test_scheduler_state_dict_round_trip(name):
    cls, kwargs = CASES[name](sched)
    opt, _ = optimizers(momentum=0.9)
    s = cls(opt, **kwargs)
    lrs = []
    for k in range(STEPS):
        opt.step()
        s.step()
        lrs.append(s.get_last_lr())
        if k == 49:
            saved_opt = copy.deepcopy(opt.state_dict())
            saved = copy.deepcopy(s.state_dict())
    opt2, _ = optimizers(momentum=0.9)
    s2 = cls(opt2, **kwargs)
    opt2.load_state_dict(saved_opt)
    s2.load_state_dict(saved)
    for k in range(50, STEPS):
        opt2.step()
        s2.step()
        assert s2.get_last_lr() == lrs[k], f"step {k + 1}"
    assert "optimizer" not in saved


def test_reduce_lr_on_plateau_state_dict_round_trip():
    opt, _ = optimizers()
    s = sched.ReduceLROnPlateau(opt, patience=1, cooldown=1)
    for m in [1.0, 1.0, 1.0]:
        s.step(m)
    opt2, _ = optimizers()
    opt2.load_state_dict(opt.state_dict())
    s2 = sched.ReduceLROnPlateau(opt2)
    s2.load_state_dict(copy.deepcopy(s.state_dict()))
    for m in [1.0, 1.0, 1.0, 0.1]:
        s.step(m)
        s2.step(m)
        assert s2.get_last_lr() == s.get_last_lr()


def test_closed_form_epoch_argument_matches_torch():
    opt, ref = optimizers()
    s = sched.CosineAnnealingLR(opt, T_max=10)
    t = tsched.CosineAnnealingLR(ref, T_max=10)
    opt.step()
    ref.step()
    with pytest.warns(UserWarning, match="deprecated"):
        s.step(7)
    with pytest.warns(UserWarning):
        t.step(7)
    same(s.get_last_lr(), t.get_last_lr(), "lr at epoch 7")


def test_warns_when_scheduler_steps_before_optimizer():
    opt, _ = optimizers()
    s = sched.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="before optimizer.step"):
        s.step()


def test_resume_without_initial_lr_is_an_error():
    opt, _ = optimizers()
    with pytest.raises(KeyError, match="has no 'initial_lr'"):
        sched.StepLR(opt, step_size=3, last_epoch=5)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda o: sched.StepLR(o, step_size=0), "step_size must be a positive integer, got 0"),
        (lambda o: sched.LinearLR(o, start_factor=0), r"start_factor must be in \(0, 1\], got 0"),
        (lambda o: sched.LinearLR(o, end_factor=1.5), r"end_factor must be in \[0, 1\], got 1.5"),
        (lambda o: sched.CosineAnnealingLR(o, T_max=0), "T_max must be positive, got 0"),
        (lambda o: sched.LambdaLR(o, [lambda e: 1.0]), "expected 2 lr_lambdas"),
        (lambda o: sched.OneCycleLR(o, max_lr=0.1), "give total_steps, or both epochs"),
        (lambda o: sched.OneCycleLR(o, max_lr=0.1, total_steps=0), "got 0"),
        (
            lambda o: sched.OneCycleLR(o, max_lr=[0.1], total_steps=5),
            "expected 2 values for max_lr",
        ),
        (lambda o: sched.OneCycleLR(o, max_lr=0.1, total_steps=5, pct_start=1.5), "got 1.5"),
        (lambda o: sched.OneCycleLR(o, max_lr=0.1, total_steps=5, anneal_strategy="exp"), "'exp'"),
        (lambda o: sched.ReduceLROnPlateau(o, factor=1.0), "factor must be < 1.0, got 1.0"),
        (lambda o: sched.ReduceLROnPlateau(o, mode="avg"), "mode must be 'min' or 'max'"),
        (lambda o: sched.ReduceLROnPlateau(o, threshold_mode="x"), "threshold_mode must be"),
        (lambda o: sched.ReduceLROnPlateau(o, min_lr=[0.1]), "expected 2 values for min_lr"),
    ],
)
def test_bad_scheduler_options_are_rejected(make, message):
    opt, _ = optimizers()
    with pytest.raises(ValueError, match=message):
        make(opt)


def test_one_cycle_momentum_needs_an_optimizer_with_momentum():
    from chainrule.optim import Adagrad

    opt = Adagrad([Parameter(cr.tensor([1.0]))])
    with pytest.raises(ValueError, match="Adagrad has neither"):
        sched.OneCycleLR(opt, max_lr=0.1, total_steps=10)


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        sched.StepLR([], step_size=1)
