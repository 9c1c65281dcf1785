import copy

import numpy as np
import pytest
import torch
from helpers import assert_close
from trajectory import Problem, assert_same_params

import chainrule as cr
from chainrule.nn import Parameter
from chainrule.optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop

ALL = [
    (SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.9)),
    (Adam, torch.optim.Adam, dict(lr=0.05)),
    (AdamW, torch.optim.AdamW, dict(lr=0.05)),
    (RMSprop, torch.optim.RMSprop, dict(lr=0.01, centered=True)),
    (Adagrad, torch.optim.Adagrad, dict(lr=0.1)),
]
IDS = [c[0].__name__ for c in ALL]


def param(values=(1.0, 2.0)):
    return Parameter(cr.tensor(list(values)))


@pytest.mark.parametrize("cls, torch_cls, kwargs", ALL, ids=IDS)
def test_loss_backward_training_matches_torch(cls, torch_cls, kwargs):
    """The real loop: loss built and differentiated by each library, then step()."""
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((16, 3)), rng.standard_normal((16, 1))
    W0, b0 = rng.standard_normal((3, 1)), rng.standard_normal(1)
    W, b = Parameter(cr.tensor(W0)), Parameter(cr.tensor(b0))
    Wt, bt = torch.nn.Parameter(torch.tensor(W0)), torch.nn.Parameter(torch.tensor(b0))
    opt = cls([{"params": [W]}, {"params": [b], "lr": 0.02}], **kwargs)
    ref = torch_cls([{"params": [Wt]}, {"params": [bt], "lr": 0.02}], **kwargs)
    for step in range(20):
        opt.zero_grad()
        ref.zero_grad()
        ((cr.tensor(X) @ W + b - cr.tensor(y)) ** 2).mean().backward()
        ((torch.tensor(X) @ Wt + bt - torch.tensor(y)) ** 2).mean().backward()
        opt.step()
        ref.step()
        assert_same_params([W, b], [Wt, bt], "float64", f"{cls.__name__} step {step}")


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    p, q = param(), param()
    opt = SGD([p, q], lr=0.1)
    p.grad = cr.tensor([3.0, 4.0])
    opt.zero_grad(set_to_none=set_to_none)
    if set_to_none:
        assert p.grad is None
    else:
        assert p.grad.data.tolist() == [0.0, 0.0]
    assert q.grad is None  # never had one


def test_zero_grad_defaults_to_none_and_step_skips_missing_grads():
    p = param()
    opt = Adam([p], lr=0.1)
    p.grad = cr.tensor([1.0, 1.0])
    opt.zero_grad()
    assert p.grad is None
    opt.step()
    assert p.data.tolist() == [1.0, 2.0] and len(opt.state) == 0


def test_step_runs_the_closure_with_grad_enabled_and_returns_its_loss():
    p = param()
    opt = SGD([p], lr=0.5)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with cr.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 5.0
    assert p.data.tolist() == [0.0, 0.0]  # p - 0.5 * 2p


def test_step_bumps_the_version_counter():
    p = param()
    opt = SGD([p], lr=0.1)
    p.grad = cr.tensor([1.0, 1.0])
    before = p._version[0]
    opt.step()
    assert p._version[0] == before + 1


def test_plain_sgd_step_bumps_every_version_even_when_one_update_fails():
    """The plain step updates the whole group in one call; a gradient of the wrong shape makes
    it raise, and the parameters updated before it must still count as modified."""
    a, b = param(), Parameter(cr.tensor([1.0, 2.0, 3.0]))
    x = cr.tensor([1.0, 1.0], requires_grad=True)
    y = (a * x).sum()  # saves a for the backward
    a.grad, b.grad = cr.tensor([1.0, 1.0]), cr.tensor([[1.0, 1.0], [1.0, 1.0]])
    with pytest.raises(ValueError):
        SGD([a, b], lr=0.1).step()
    np.testing.assert_allclose(a.data, [0.9, 1.9])  # updated before b failed
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


def test_option_types_are_read_as_numbers_only_where_numpy_scalars_hide():
    from chainrule.optim.optimizer import _numbers

    params = [param()]
    plain = {"params": params, "lr": 0.1, "betas": (0.9, 0.999), "amsgrad": False, "x": None}
    group = dict(plain)
    _numbers(group)
    assert group == plain and group["betas"] is plain["betas"]
    group = dict(plain, betas=(0.9, np.float32(0.5)), eps=np.float64(1e-8), n=np.int64(3))
    _numbers(group)
    assert group["betas"] == (0.9, 0.5) and type(group["betas"][1]) is float
    assert type(group["eps"]) is float and type(group["n"]) is int and group["params"] is params


def test_add_param_group_mid_training_matches_torch():
    prob = Problem(steps=10)
    ours, theirs = prob.cr_params(), prob.torch_params()
    opt = Adam(ours[:1], lr=0.05)
    ref = torch.optim.Adam(theirs[:1], lr=0.05)
    for k in range(10):
        if k == 4:
            opt.add_param_group({"params": ours[1], "lr": 0.2, "amsgrad": True})
            ref.add_param_group({"params": theirs[1], "lr": 0.2, "amsgrad": True})
        prob.set_grads(ours, k, "cr")
        prob.set_grads(theirs, k, "torch")
        opt.step()
        ref.step()
        assert_same_params(ours, theirs, "float64", f"step {k}")
    assert opt.param_groups[1]["betas"] == (0.9, 0.999)  # filled in from defaults


def test_named_parameters_are_accepted_and_named_in_the_state_dict():
    p, q = param(), param()
    opt = SGD([("w", p), ("b", q)], lr=0.1)
    assert opt.param_groups[0]["params"] == [p, q]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]


def test_state_dict_indices_run_across_groups():
    a, b, c = param(), param(), param()
    opt = Adam([{"params": [a, b]}, {"params": [c], "lr": 0.5}], lr=0.1)
    for p in (a, c):
        p.grad = cr.tensor([1.0, -1.0])
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sorted(sd["state"]) == [0, 2]
    assert sd["param_groups"][1]["lr"] == 0.5
    assert float(sd["state"][2]["step"]) == 1.0


def test_load_state_dict_copies_casts_and_restores_options():
    p = param()
    opt = Adam([p], lr=0.1)
    p.grad = cr.tensor([1.0, 2.0])
    opt.step()
    sd = opt.state_dict()
    sd["param_groups"][0]["lr"] = 0.01
    q = Parameter(cr.tensor([1.0, 2.0], dtype=cr.float64))
    opt2 = Adam([q], lr=0.1)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == 0.01 and opt2.param_groups[0]["params"] == [q]
    m = opt2.state[q]["exp_avg"]
    assert m.dtype == cr.float64  # cast to the parameter's dtype
    assert opt2.state[q]["step"].dtype == cr.float32  # except the step count
    m.data[...] = 7.0
    assert opt.state[p]["exp_avg"].data.tolist() != [7.0, 7.0]  # a copy, not shared
    sd["param_groups"][0]["lr"] = 3.0
    assert opt2.param_groups[0]["lr"] == 0.01


def test_load_state_dict_from_torch_layout():
    """A torch state_dict, with its tensors turned into chainrule Tensors, loads and resumes
    on the same trajectory as torch."""
    prob = Problem(steps=10)
    ours, theirs = prob.cr_params(), prob.torch_params()
    ref = torch.optim.Adam(theirs, lr=0.05, amsgrad=True)
    for k in range(5):
        prob.set_grads(theirs, k, "torch")
        ref.step()
    sd = copy.deepcopy(ref.state_dict())
    sd["state"] = {
        i: {k: cr.tensor(v.numpy()) for k, v in s.items()} for i, s in sd["state"].items()
    }
    for p, t in zip(ours, theirs):
        p.data[...] = t.detach().numpy()
    opt = Adam(ours, lr=0.05, amsgrad=True)
    opt.load_state_dict(sd)
    for k in range(5, 10):
        prob.set_grads(ours, k, "cr")
        prob.set_grads(theirs, k, "torch")
        opt.step()
        ref.step()
        assert_same_params(ours, theirs, "float64", f"step {k}")


def test_load_state_dict_rejects_mismatched_groups():
    opt = SGD([param(), param()], lr=0.1)
    sd = opt.state_dict()
    with pytest.raises(ValueError, match="2 parameter groups, but the optimizer has 1"):
        opt.load_state_dict({"state": {}, "param_groups": sd["param_groups"] * 2})
    other = SGD([param()], lr=0.1)
    with pytest.raises(ValueError, match="group 0 has 2 parameters, but the optimizer's has 1"):
        other.load_state_dict(sd)


@pytest.mark.parametrize(
    "params, error, message",
    [
        ([], ValueError, "SGD: got an empty parameter list"),
        ([[1.0, 2.0]], TypeError, "can only optimize Tensors, but one of the params is a list"),
        ("set", TypeError, "not a set"),
        ("dup", ValueError, "the same parameter twice"),
        ("two groups", ValueError, "more than one parameter group"),
        ("single", TypeError, "got a single Tensor of shape"),
        ("non-leaf", ValueError, "can't optimize a non-leaf Tensor"),
    ],
)
def test_bad_parameter_lists_are_rejected(params, error, message):
    p = param()
    params = (
        {
            "set": {p},
            "dup": [p, p],
            "two groups": [{"params": [p]}, {"params": [p]}],
            "single": p,
            "non-leaf": [p * 2],
        }.get(params, params)
        if isinstance(params, str)
        else params
    )
    with pytest.raises(error, match=message):
        SGD(params, lr=0.1)


def test_options_are_checked_per_group():
    with pytest.raises(ValueError, match="SGD: invalid learning rate -1"):
        SGD([{"params": [param()]}, {"params": [param()], "lr": -1}], lr=0.1)


def test_base_optimizer_needs_update_group():
    class Bare(Optimizer):
        pass

    opt = Bare([param()], {"lr": 0.1})
    with pytest.raises(NotImplementedError, match="Bare does not define _update_group"):
        opt.step()


def test_custom_optimizer_with_required_option():
    from chainrule.optim.optimizer import required

    class Sign(Optimizer):
        def __init__(self, params, lr=required):
            super().__init__(params, {"lr": lr})

        def _update_group(self, group):
            for p in group["params"]:
                p.data -= group["lr"] * np.sign(p.grad.data)

    with pytest.raises(ValueError, match="didn't specify a value of required option 'lr'"):
        Sign([param()])
    p = param()
    p.grad = cr.tensor([-3.0, 5.0])
    Sign([p], lr=0.5).step()
    assert_close(p.data, np.array([1.5, 1.5], dtype="float32"), "float32")


NUMPY_OPTIONS = [
    (SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    (Adam, torch.optim.Adam, dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6)),
    (AdamW, torch.optim.AdamW, dict(lr=0.05, weight_decay=0.1)),
    (RMSprop, torch.optim.RMSprop, dict(lr=0.01, alpha=0.9, momentum=0.5, centered=True)),
    (Adagrad, torch.optim.Adagrad, dict(lr=0.1, lr_decay=0.01)),
]


def _as_numpy(options):
    """Every number among ``options`` as a numpy.float64 (tuples element by element)."""
    return {
        k: tuple(map(np.float64, v)) if isinstance(v, tuple) else np.float64(v)
        for k, v in options.items()
    }


@pytest.mark.parametrize("cls, torch_cls, kwargs", NUMPY_OPTIONS, ids=IDS)
def test_numpy_scalar_options_step_float32_parameters_as_python_numbers_do(cls, torch_cls, kwargs):
    """An lr from numpy.geomspace, betas from an array: torch reads NumPy scalars as numbers.
    Kept as numpy.float64, NumPy computed the float32 updates in float64 (RMSprop's weights
    moved 2e-4 away from the run with Python floats)."""
    prob = Problem(dtype="float32", steps=12)
    plain, ours, theirs = prob.cr_params(), prob.cr_params(), prob.torch_params()
    opts = [cls(plain, **kwargs), cls(ours, **_as_numpy(kwargs))]
    ref = torch_cls(theirs, **_as_numpy(kwargs))
    for k in range(12):
        if k == 6:  # a scheduler of the user's own writes a NumPy lr mid-run
            for o in (*opts, ref):
                o.param_groups[0]["lr"] = np.float64(kwargs["lr"] / 2)
            opts[0].param_groups[0]["lr"] = kwargs["lr"] / 2
        for ps, lib in ((plain, "cr"), (ours, "cr"), (theirs, "torch")):
            prob.set_grads(ps, k, lib)
        for o in (*opts, ref):
            o.step()
        for a, b in zip(ours, plain):
            assert a.dtype == cr.float32
            np.testing.assert_array_equal(a.data, b.data, err_msg=f"step {k}")
        assert_same_params(ours, theirs, "float32", f"{cls.__name__} step {k}")
    assert type(opts[1].param_groups[0]["lr"]) is float
