"""Run one optimizer in chainrule and in torch on the same problem and compare each step.

The loss is a fixed quadratic plus a fresh linear term each step,
    L_k(p) = Σ ½·c·p² + r_k·p,   so   ∇L_k = c·p + r_k,
with the gradient computed from each library's own current parameters: any difference in an
update feeds into the next gradient, as in real training.
"""

from __future__ import annotations

import numpy as np
import torch
from helpers import assert_close

import chainrule as cr
import chainrule.optim  # noqa: F401
from chainrule.nn import Parameter

SHAPES = ((3, 4), (5,))


class Problem:
    def __init__(self, shapes=SHAPES, steps=20, dtype="float64", seed=0):
        rng = np.random.default_rng(seed)
        self.dtype = dtype
        self.init = [rng.standard_normal(s).astype(dtype) for s in shapes]
        self.curv = [rng.uniform(0.5, 2.0, s).astype(dtype) for s in shapes]
        self.noise = [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(steps)]

    def cr_params(self):
        return [Parameter(cr.tensor(a.copy())) for a in self.init]

    def torch_params(self):
        return [torch.nn.Parameter(torch.tensor(a.copy())) for a in self.init]

    def set_grads(self, params, k, lib):
        for p, c, r in zip(params, self.curv, self.noise[k]):
            g = c * np.array(p.detach().numpy()) + r
            p.grad = cr.tensor(g) if lib == "cr" else torch.tensor(g)


def groups_of(params, group_opts):
    """Split ``params`` into one group per dict of options, or a plain list if none."""
    if not group_opts:
        return params
    return [dict(opts, params=[p]) for opts, p in zip(group_opts, params)]


def assert_same_params(ours, theirs, dtype, what):
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert str(a.dtype) == dtype
        assert_close(a.data, b.detach(), dtype, what=f"{what}: param {i}")


def check_trajectory(cr_cls, torch_cls, kwargs, dtype="float64", steps=20, group_opts=None):
    """``steps`` steps of ``cr_cls(**kwargs)`` and ``torch_cls(**kwargs)`` stay together."""
    prob = Problem(steps=steps, dtype=dtype)
    ours, theirs = prob.cr_params(), prob.torch_params()
    opt = cr_cls(groups_of(ours, group_opts), **kwargs)
    ref = torch_cls(groups_of(theirs, group_opts), **kwargs)
    for k in range(steps):
        prob.set_grads(ours, k, "cr")
        prob.set_grads(theirs, k, "torch")
        opt.step()
        ref.step()
        assert_same_params(ours, theirs, dtype, f"{cr_cls.__name__}{kwargs} step {k}")
    return opt, ref


def check_state_dict_round_trip(cr_cls, kwargs, steps=20):
    """Save after half the steps, load into a fresh optimizer on fresh parameters holding the
    same values, and continue: the trajectory matches the uninterrupted one exactly."""
    import copy

    prob = Problem(steps=steps)
    straight = prob.cr_params()
    opt = cr_cls(straight, **kwargs)
    for k in range(steps):
        prob.set_grads(straight, k, "cr")
        opt.step()

    first = prob.cr_params()
    opt = cr_cls(first, **kwargs)
    for k in range(steps // 2):
        prob.set_grads(first, k, "cr")
        opt.step()
    saved = copy.deepcopy(opt.state_dict())
    resumed = [Parameter(cr.tensor(p.data.copy())) for p in first]
    opt = cr_cls(resumed, **kwargs)
    opt.load_state_dict(saved)
    for k in range(steps // 2, steps):
        prob.set_grads(resumed, k, "cr")
        opt.step()
    for a, b in zip(resumed, straight):
        np.testing.assert_array_equal(a.data, b.data)
    return saved


def check_state_dict_format(cr_cls, torch_cls, kwargs, steps=3):
    """Our state_dict has torch's layout: the same state keys, indices and (shared) options."""
    prob = Problem(steps=steps)
    ours, theirs = prob.cr_params(), prob.torch_params()
    opt, ref = cr_cls(ours, **kwargs), torch_cls(theirs, **kwargs)
    for k in range(steps):
        prob.set_grads(ours, k, "cr")
        prob.set_grads(theirs, k, "torch")
        opt.step()
        ref.step()
    sd, sd_ref = opt.state_dict(), ref.state_dict()
    assert sorted(sd["state"]) == sorted(sd_ref["state"])
    for i, s_ref in sd_ref["state"].items():
        assert sorted(sd["state"][i]) == sorted(s_ref), f"state keys of param {i}"
        for key, v_ref in s_ref.items():
            v = sd["state"][i][key]
            assert isinstance(v, cr.Tensor), f"state[{i}][{key!r}] is a {type(v).__name__}"
            assert str(v.dtype) == str(v_ref.dtype).replace("torch.", ""), key
            assert_close(v.data, v_ref, "float64", what=f"state[{i}][{key!r}]")
    for g, g_ref in zip(sd["param_groups"], sd_ref["param_groups"]):
        assert g["params"] == g_ref["params"]
        for key, value in g.items():
            assert g_ref[key] == value, f"group option {key}: {value} != torch's {g_ref[key]}"


def check_large_parameter(cls, torch_cls, kwargs, dtype, tol, steps=10):
    """``steps`` updates of one (768, 96) parameter, big enough for the BLAS axpy path on
    every thread (≥ 64 K elements), must follow torch's trajectory within ``tol``."""
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((768, 96)).astype(dtype)
    grads = [rng.standard_normal(w0.shape).astype(dtype) for _ in range(steps)]
    w = Parameter(cr.tensor(w0.copy()))
    wt = torch.nn.Parameter(torch.tensor(w0.copy()))
    opt, opt_t = cls([w], **kwargs), torch_cls([wt], **kwargs)
    for g in grads:
        w.grad, wt.grad = cr.tensor(g), torch.tensor(g)
        opt.step()
        opt_t.step()
    np.testing.assert_allclose(w.data, wt.detach().numpy(), rtol=tol, atol=tol)
