import copy
import itertools

import numpy as np
import pytest
import torch
from trajectory import (
    Problem,
    check_large_parameter,
    check_state_dict_format,
    check_state_dict_round_trip,
    check_trajectory,
)

import chainrule as cr
from chainrule.nn import Parameter
from chainrule.optim import Adam, AdamW

ADAM = [
    dict(
        lr=0.05,
        betas=(0.8, 0.99),
        amsgrad=a,
        weight_decay=wd,
        maximize=mx,
        decoupled_weight_decay=dec,
    )
    for a, wd, mx, dec in itertools.product([False, True], [0, 0.1], [False, True], [False, True])
    if not (dec and wd == 0)
]
ADAMW = [
    dict(lr=0.05, amsgrad=a, weight_decay=wd, maximize=mx, eps=1e-6)
    for a, wd, mx in itertools.product([False, True], [0, 0.1], [False, True])
]


@pytest.mark.parametrize("kwargs", ADAM, ids=str)
def test_adam_trajectory_matches_torch(kwargs):
    check_trajectory(Adam, torch.optim.Adam, kwargs)


@pytest.mark.parametrize("kwargs", ADAMW, ids=str)
def test_adamw_trajectory_matches_torch(kwargs):
    check_trajectory(AdamW, torch.optim.AdamW, kwargs)


def test_adamw_default_weight_decay_is_decoupled_1e_2():
    p = Parameter(cr.tensor([1.0]))
    group = AdamW([p]).param_groups[0]
    assert group["weight_decay"] == 1e-2 and group["decoupled_weight_decay"]
    check_trajectory(AdamW, torch.optim.AdamW, {})


@pytest.mark.parametrize("cls, torch_cls", [(Adam, torch.optim.Adam), (AdamW, torch.optim.AdamW)])
@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_float32_matches_torch(cls, torch_cls, amsgrad):
    check_trajectory(
        cls, torch_cls, dict(lr=0.01, amsgrad=amsgrad, weight_decay=0.01), dtype="float32"
    )


def test_adam_param_groups_with_their_own_options():
    groups = [dict(lr=0.1, betas=(0.5, 0.9)), dict(amsgrad=True)]
    check_trajectory(Adam, torch.optim.Adam, dict(lr=0.01), group_opts=groups)


@pytest.mark.parametrize("cls, torch_cls", [(Adam, torch.optim.Adam), (AdamW, torch.optim.AdamW)])
def test_adam_state_dict(cls, torch_cls):
    kwargs = dict(lr=0.05, amsgrad=True, weight_decay=0.1)
    check_state_dict_round_trip(cls, kwargs)
    check_state_dict_format(cls, torch_cls, kwargs)


def test_adam_skips_parameters_without_grad():
    prob = Problem(steps=1)
    ps = prob.cr_params()
    opt = Adam(ps, lr=0.1)
    prob.set_grads(ps[:1], 0, "cr")
    before = ps[1].data.copy()
    opt.step()
    assert (ps[1].data == before).all() and ps[1] not in opt.state


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(lr=-1e-3), r"Adam: invalid learning rate -0.001"),
        (dict(betas=(0.9, 1.2)), r"Adam: betas must be two numbers in \[0, 1\), got \(0.9, 1.2\)"),
        (dict(betas=(-0.1, 0.9)), r"got \(-0.1, 0.9\)"),
        (dict(eps=-1.0), "Adam: invalid epsilon value -1.0"),
        (dict(weight_decay=-0.1), "Adam: invalid weight_decay -0.1"),
    ],
)
def test_adam_rejects_bad_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Adam([Parameter(cr.tensor([1.0]))], **kwargs)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_large_parameter_matches_torch(dtype, amsgrad):
    """A parameter big enough for the BLAS axpy path on every thread (≥ 64 K), 10 steps."""
    tol = 1e-5 if dtype == "float32" else 1e-12
    kwargs = dict(lr=0.01, amsgrad=amsgrad, weight_decay=0.01)
    check_large_parameter(Adam, torch.optim.Adam, kwargs, dtype, tol)


# ------------------------------------------------------------------ small parameters together
MIXED = ((3, 4), (5,), (300, 250), (7, 2), (1,), (150, 120))  # 75 K alone, the rest together


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    "cls, torch_cls, kwargs",
    [
        (Adam, torch.optim.Adam, dict(lr=0.05, betas=(0.5, 0.999))),
        (AdamW, torch.optim.AdamW, dict(lr=0.05, weight_decay=0.1)),
    ],
)
def test_adam_small_parameters_together_match_torch(cls, torch_cls, kwargs, dtype):
    """The small parameters' joint step (flat moments) follows torch's per-parameter Adam,
    next to a large parameter that steps alone; the state stays per parameter, as views."""
    prob = Problem(shapes=MIXED, steps=15, dtype=dtype)
    ours, theirs = prob.cr_params(), prob.torch_params()
    opt, ref = cls(ours, **kwargs), torch_cls(theirs, **kwargs)
    for k in range(15):
        prob.set_grads(ours, k, "cr")
        prob.set_grads(theirs, k, "torch")
        opt.step()
        ref.step()
    tol = 1e-12 if dtype == "float64" else 2e-6
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=tol, atol=tol)
    for i, p in enumerate(ours):
        for key in ("exp_avg", "exp_avg_sq"):
            want = ref.state[theirs[i]][key].numpy()
            np.testing.assert_allclose(opt.state[p][key].data, want, rtol=tol, atol=tol)
    small = [opt.state[p]["exp_avg"].data for p in ours if p.data.size < 1000]
    assert all(m.base is small[0].base and m.base is not None for m in small)  # one flat array


@pytest.mark.parametrize("kwargs", [dict(lr=0.05), dict(lr=0.05, weight_decay=0.1)])
@pytest.mark.parametrize("cls", [Adam, AdamW])
def test_adam_small_parameters_together_give_the_same_bits_as_one_by_one(cls, kwargs):
    """Each parameter in its own group steps alone; in one group the small ones step together.
    Both give the same bits (the joint step does NumPy's two-pass updates, as the lone ones
    below the joint size do), so which path runs never changes a training run; a 40 K
    parameter steps with the small ones, a 75 K one alone."""
    if cls is Adam and kwargs.get("weight_decay"):
        kwargs = dict(kwargs, decoupled_weight_decay=True)
    shapes = ((3, 4), (5,), (300, 250), (7, 2), (1,), (200, 200))
    prob = Problem(shapes=shapes, steps=10, dtype="float32")
    together, alone = prob.cr_params(), prob.cr_params()
    opt_t = cls(together, **kwargs)
    opt_a = cls([{"params": [p]} for p in alone], **kwargs)
    for k in range(10):
        prob.set_grads(together, k, "cr")
        prob.set_grads(alone, k, "cr")
        opt_t.step()
        opt_a.step()
    for a, b in zip(together, alone):
        np.testing.assert_array_equal(a.data, b.data)
    assert opt_t.state[together[0]]["exp_avg"].data.base is not None  # the joint path ran
    assert opt_t.state[together[5]]["exp_avg"].data.base is not None  # 40 K: joint
    assert opt_t.state[together[2]]["exp_avg"].data.base is None  # 75 K: alone


def test_adam_small_parameters_together_follow_a_dtype_change():
    """The joint step remembers how it split the group, so it must notice a parameter whose
    dtype changed (here one becomes float64 halfway): from then on the group steps one by
    one, giving the same bits as an optimizer that always steps each parameter alone (the
    joint step would do the float32 parameters' math in float64)."""
    prob = Problem(shapes=((3, 4), (5,), (7, 2), (1,)), steps=8, dtype="float32")
    together, alone = prob.cr_params(), prob.cr_params()
    opt_t = Adam(together, lr=0.05)
    opt_a = Adam([{"params": [p]} for p in alone], lr=0.05)
    for k in range(8):
        if k == 4:
            assert opt_t.state[together[0]]["exp_avg"].data.base is not None  # joint so far
            for ps in (together, alone):
                ps[1].data = ps[1].data.astype(np.float64)
        prob.set_grads(together, k, "cr")
        prob.set_grads(alone, k, "cr")
        opt_t.step()
        opt_a.step()
    assert together[1].dtype == np.float64 and together[0].dtype == np.float32
    for a, b in zip(together, alone):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a.data, b.data)


def test_adam_small_parameters_honour_a_step_count_edited_in_place():
    """A count edited in place makes the small parameters step one by one, each with its own
    count, as torch does."""
    prob = Problem(shapes=MIXED, steps=8)
    ours, theirs = prob.cr_params(), prob.torch_params()
    opt, ref = Adam(ours, lr=0.05), torch.optim.Adam(theirs, lr=0.05)
    for k in range(8):
        prob.set_grads(ours, k, "cr")
        prob.set_grads(theirs, k, "torch")
        if k == 4:
            opt.state[ours[3]]["step"].data[...] = 10
            ref.state[theirs[3]]["step"].fill_(10)
        opt.step()
        ref.step()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-12, atol=1e-12)
    steps = [float(opt.state[p]["step"].data) for p in ours]
    assert steps == [float(ref.state[p]["step"]) for p in theirs] == [8, 8, 8, 14, 8, 8]


def test_adam_small_parameters_take_the_state_they_are_given_loaded_or_replaced():
    """load_state_dict into the same optimizer mid-run (a rewind to an earlier checkpoint),
    or a moment replaced in the state: the joint step must take the state it is given, not
    the flat arrays it kept."""
    prob = Problem(shapes=MIXED, steps=9)
    ours, theirs = prob.cr_params(), prob.torch_params()
    opt, ref = Adam(ours, lr=0.05), torch.optim.Adam(theirs, lr=0.05)
    for k in range(9):
        if k == 3:
            saved = copy.deepcopy(opt.state_dict()), copy.deepcopy(ref.state_dict())
        if k == 6:
            opt.load_state_dict(saved[0])
            ref.load_state_dict(saved[1])
        if k == 7:
            opt.state[ours[0]]["exp_avg"] = cr.zeros(*MIXED[0], dtype=cr.float64)
            ref.state[theirs[0]]["exp_avg"] = torch.zeros(MIXED[0], dtype=torch.float64)
        prob.set_grads(ours, k, "cr")
        prob.set_grads(theirs, k, "torch")
        opt.step()
        ref.step()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-12, atol=1e-12)
        st, rst = opt.state[a], ref.state[b]
        assert float(st["step"].data) == float(rst["step"]) == 6
        for key in ("exp_avg", "exp_avg_sq"):
            np.testing.assert_allclose(st[key].data, rst[key].numpy(), rtol=1e-12, atol=1e-15)


def test_adam_small_parameters_state_dict_round_trip_and_skipped_steps():
    """Resuming from a checkpoint rebuilds the flat moments from the loaded state (bit for bit
    with the uninterrupted run), and parameters whose step counts differ (one had no gradient
    for a while) fall back to one-by-one updates, as torch does them."""
    check_state_dict_round_trip(Adam, dict(lr=0.05))
    check_state_dict_round_trip(AdamW, dict(lr=0.05, weight_decay=0.1))
    prob = Problem(shapes=MIXED, steps=12)
    ours, theirs = prob.cr_params(), prob.torch_params()
    opt, ref = Adam(ours, lr=0.05), torch.optim.Adam(theirs, lr=0.05)
    for k in range(12):
        some = slice(None) if k % 3 else slice(1, None)  # param 0 misses every third step
        prob.set_grads(ours, k, "cr")
        prob.set_grads(theirs, k, "torch")
        for p in ours[: some.start or 0]:
            p.grad = None
        for p in theirs[: some.start or 0]:
            p.grad = None
        opt.step()
        ref.step()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-12, atol=1e-12)
