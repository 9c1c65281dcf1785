"""Sequential, ModuleList, ModuleDict, Identity, Flatten, Unflatten: against torch twins."""

from collections import OrderedDict

import helpers
import numpy as np
import pytest
import torch
from helpers import assert_close

import chainrule as cr
from chainrule.nn.activation import LeakyReLU, ReLU, Tanh
from chainrule.nn.container import (
    Flatten,
    Identity,
    ModuleDict,
    ModuleList,
    Sequential,
    Unflatten,
)
from chainrule.nn.conv import Conv2d
from chainrule.nn.linear import Linear
from chainrule.nn.pooling import MaxPool2d

from .twin import check_twin


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sequential_matches_torch(dtype):
    ours = Sequential(Linear(3, 8), ReLU(), Linear(8, 2), Tanh())
    theirs = torch.nn.Sequential(
        torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2), torch.nn.Tanh()
    )
    check_twin(ours, theirs, (5, 3), dtype=dtype)


FUSING = [
    (lambda: ReLU(), lambda: torch.nn.ReLU(), "LinearReLU+LinearReLU"),
    (lambda: ReLU(inplace=True), lambda: torch.nn.ReLU(inplace=True), "LinearReLU+LinearReLU"),
    (lambda: LeakyReLU(0.2), lambda: torch.nn.LeakyReLU(0.2), "LinearLeakyReLU+LinearLeakyReLU"),
    (lambda: LeakyReLU(1.0), lambda: torch.nn.LeakyReLU(1.0), "LinearLeakyReLU+LinearLeakyReLU"),
    (lambda: LeakyReLU(-0.5), lambda: torch.nn.LeakyReLU(-0.5), "LeakyReLU"),  # not fused
    (lambda: LeakyReLU(1.5), lambda: torch.nn.LeakyReLU(1.5), "LeakyReLU"),  # not fused
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("act, torch_act, node", FUSING)
def test_sequential_fuses_linear_and_activation_and_still_matches_torch(
    act, torch_act, node, dtype
):
    """Linears, each followed by a ReLU (or a LeakyReLU of slope in (0, 1]), run as one op,
    with torch's values and gradients; bias-free and wide layers too."""
    ours = Sequential(Linear(3, 40), act(), Linear(40, 6, bias=False), act())
    theirs = torch.nn.Sequential(
        torch.nn.Linear(3, 40), torch_act(), torch.nn.Linear(40, 6, bias=False), torch_act()
    )
    y = check_twin(ours, theirs, (5, 3), dtype=dtype)
    assert y.grad_fn.name == node


def _unfused(model, x):
    """The same layers called one by one: the reference the fused path must equal bit for bit."""
    for m in model:
        x = m(x)
    return x


def _nodes(y, n):
    """The names of the first n graph nodes back from y, along first inputs."""
    names, fn = [], y.grad_fn
    for _ in range(n):
        names.append(fn.name)
        fn = fn._fns[0]
    return names


def _check_same_bits_as_unfused(model, x, grad):
    """Run ``model`` on array x as a Sequential and layer by layer (with grad: backward from a
    fixed upstream gradient); assert equal outputs and gradients, bit for bit. Returns the
    output array."""
    outs, grads = [], []
    for run in (model, lambda t: _unfused(model, t)):
        xt = cr.tensor(x, requires_grad=grad)
        for p in model.parameters():
            p.grad = None
        if grad:
            y = run(xt)
            y.backward(cr.tensor(np.linspace(-1, 1, y.numel()).reshape(y.shape), dtype=y.dtype))
            grads.append([xt.grad.data] + [p.grad.data for p in model.parameters()])
        else:
            with cr.no_grad():
                y = run(xt)
        outs.append(y.data)
    np.testing.assert_array_equal(outs[0], outs[1])
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a, b)
    return outs[0]


@pytest.mark.parametrize("slope", [None, 0.2])
@pytest.mark.parametrize("grad", [True, False])
def test_fused_linear_activation_is_bit_identical_to_the_two_ops(slope, grad):
    """Values, every gradient, and the result under no_grad (wide layers then come back in
    Fortran order), against the layers called one by one; zeros and a NaN in the product."""
    rng = np.random.default_rng(3)
    act = ReLU if slope is None else (lambda: LeakyReLU(slope))
    model = Sequential(Linear(16, 300), act(), Linear(300, 20), act(), Linear(20, 4))
    model.to(cr.float32)
    x = rng.standard_normal((64, 16)).astype(np.float32)
    x[0] = 0  # products equal to the bias exactly; then a zero bias gives exact zeros
    model[0].bias.data[:5] = 0
    x[1, 0] = np.nan
    _check_same_bits_as_unfused(model, x, grad)


def test_sequential_does_not_fuse_hooked_or_replaced_modules():
    """A hook on either module, or a forward replaced on the instance, sees exactly what it
    would without fusion: the two modules then run one by one."""
    lin, relu = Linear(3, 4), ReLU()
    seq = Sequential(lin, relu)
    x = cr.tensor(np.arange(6.0).reshape(2, 3) - 2.5, dtype=cr.float32)
    assert seq(x).grad_fn.name == "LinearReLU"
    seen = []
    handle = lin.register_forward_hook(lambda m, i, o: seen.append(o.data.copy()))
    y = seq(x)
    assert y.grad_fn.name == "ReLU" and len(seen) == 1
    assert seen[0].min() < 0  # the hook saw the Linear's own output, before the ReLU
    handle.remove()
    handle = relu.register_forward_pre_hook(lambda m, i: (i[0] * 2,))
    np.testing.assert_allclose(seq(x).data, np.maximum(lin(x).data * 2, 0))
    handle.remove()
    relu.forward = lambda t: t * 3
    np.testing.assert_allclose(seq(x).data, lin(x).data * 3)
    del relu.forward
    assert seq(x).grad_fn.name == "LinearReLU"


def test_sequential_with_non_matrix_or_bad_input_falls_back_to_the_layers():
    """A 3-D input runs Linear then ReLU (torch's values); a wrong feature count gets the
    Linear's own error, naming the shapes."""
    ours = Sequential(Linear(3, 5), ReLU())
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU())
    check_twin(ours, theirs, (2, 4, 3))
    with pytest.raises(ValueError, match=r"expected input with 3 features.*\(4, 2\)"):
        ours(cr.zeros(4, 2, dtype=cr.float64))


def test_fused_output_modified_in_place_refuses_backward():
    seq = Sequential(Linear(3, 4), ReLU())
    y = seq(cr.ones(2, 3))
    y.add_(1)
    with pytest.raises(RuntimeError, match="LinearReLU: its output.*modified by an in-place"):
        y.sum().backward()


def test_sequential_chains_runs_of_layers_between_other_modules():
    """A module that doesn't fuse (Tanh, a LeakyReLU of slope 1.5, a hooked Linear) ends a
    chain; the layers after it start a new one. Values and gradients stay torch's."""
    ours = Sequential(
        Linear(3, 8), ReLU(), Linear(8, 8), Tanh(), Linear(8, 6), LeakyReLU(1.5),
        Linear(6, 5), ReLU(), Linear(5, 4), Linear(4, 2),
    )  # fmt: skip
    theirs = torch.nn.Sequential(
        torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, 8), torch.nn.Tanh(),
        torch.nn.Linear(8, 6), torch.nn.LeakyReLU(1.5), torch.nn.Linear(6, 5), torch.nn.ReLU(),
        torch.nn.Linear(5, 4), torch.nn.Linear(4, 2),
    )  # fmt: skip
    assert check_twin(ours, theirs, (7, 3)).grad_fn.name == "LinearReLU+Linear+Linear"
    x = cr.ones(7, 3, dtype=cr.float64, requires_grad=True, device=helpers.DEVICE)
    assert _nodes(ours(x), 5) == [
        "LinearReLU+Linear+Linear", "LeakyReLU", "Linear", "Tanh", "LinearReLU+Linear",
    ]  # fmt: skip
    handle = ours[6].register_forward_hook(lambda m, i, o: None)
    check_twin(ours, theirs, (7, 3))
    y = ours(x)
    assert y.grad_fn.name == "Linear+Linear" and y.grad_fn._fns[0].name == "ReLU"
    handle.remove()
    assert ours(x).grad_fn.name == "LinearReLU+Linear+Linear"


def test_sequential_chain_that_does_not_fit_gets_the_layer_error():
    """Layers whose sizes don't chain run one by one: the Linear that gets the wrong width
    raises, naming both."""
    seq = Sequential(Linear(3, 4), ReLU(), Linear(5, 2))
    with pytest.raises(ValueError, match=r"expected input with 5 features.*\(2, 4\)"):
        seq(cr.zeros(2, 3))


def test_sequential_chain_refuses_backward_after_a_weight_changes_in_place():
    seq = Sequential(Linear(3, 4), ReLU(), Linear(4, 2))
    y = seq(cr.ones(2, 3))
    with cr.no_grad():
        seq[2].weight.mul_(2)
    with pytest.raises(RuntimeError, match=r"LinearReLU\+Linear: input 3.*modified by an in-place"):
        y.sum().backward()


def test_sequential_chain_output_may_change_in_place_when_backward_does_not_read_it():
    """As in torch: a last Linear without activation doesn't save its output."""
    seq = Sequential(Linear(3, 4), ReLU(), Linear(4, 2))
    x = cr.ones(2, 3, requires_grad=True)
    y = seq(x)
    y.mul_(3)
    y.sum().backward()
    expected = cr.ones(2, 3, requires_grad=True)
    (_unfused(seq, expected) * 3).sum().backward()
    np.testing.assert_allclose(x.grad.data, expected.grad.data, rtol=1e-6)


def test_sequential_chain_second_derivatives_match_torch():
    """A gradient penalty (WGAN-GP's ‖∂D/∂x‖²) differentiated again through the chain."""
    rng = np.random.default_rng(0)
    ours = Sequential(Linear(3, 6), LeakyReLU(0.2), Linear(6, 5), ReLU(), Linear(5, 1))
    theirs = torch.nn.Sequential(
        torch.nn.Linear(3, 6), torch.nn.LeakyReLU(0.2), torch.nn.Linear(6, 5),
        torch.nn.ReLU(), torch.nn.Linear(5, 1),
    ).double()  # fmt: skip
    ours.to(cr.float64).load_state_dict(theirs.state_dict())
    x = rng.standard_normal((4, 3))
    xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (gc,) = cr.grad(ours(xc).sum(), [xc], create_graph=True)
    (gt,) = torch.autograd.grad(theirs(xt).sum(), [xt], create_graph=True)
    (gc * gc).sum().backward()
    (gt * gt).sum().backward()
    assert not xt.grad.any()  # piecewise linear in x: torch's zeros, our None
    assert xc.grad is None
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        # the biases don't reach the gradient: None, or zeros, here or in torch
        g = np.zeros(q.shape) if p.grad is None else p.grad
        gt = torch.zeros(q.shape, dtype=q.dtype) if q.grad is None else q.grad
        assert_close(g, gt, "float64", f"grad of the penalty by {name}")
    assert ours[0].weight.grad.data.any() and ours[4].weight.grad.data.any()


@pytest.mark.parametrize("grad", [True, False])
@pytest.mark.parametrize("pool", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1)])
def test_max_pool_after_relu_runs_first_with_the_same_bits(pool, grad):
    """ReLU then MaxPool2d runs as the pooling, then the ReLU: values and every gradient equal
    those of the layers one by one, with windows that are all negative, that hold exact zeros
    and ties, and one with a NaN."""
    rng = np.random.default_rng(5)
    model = Sequential(Conv2d(2, 4, 3, padding=1), ReLU(), MaxPool2d(**pool), Flatten())
    model.to(cr.float32)
    x = rng.standard_normal((3, 2, 8, 8)).astype(np.float32)
    x[0, :, :4, :4] = 0  # conv output = bias there: zero it for exact zeros and ties
    model[0].bias.data[:2] = 0
    x[1, :, :3, :3] = -5  # a patch of negative pre-activations
    x[2, 0, 5, 5] = np.nan
    y = _check_same_bits_as_unfused(model, x, grad)
    assert (y == 0).any() and np.isnan(y).any()


def test_max_pool_after_relu_matches_torch_and_swaps_only_plain_modules():
    """Torch's values and gradients; the pooling runs first only after a plain ReLU that is
    not in place, and then torch's own order wherever a hook watches either module."""
    ours = Sequential(Conv2d(1, 3, 3), ReLU(), MaxPool2d(2), ReLU(inplace=True), MaxPool2d(2))
    theirs = torch.nn.Sequential(
        torch.nn.Conv2d(1, 3, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.ReLU(inplace=True), torch.nn.MaxPool2d(2),
    )  # fmt: skip
    check_twin(ours, theirs, (2, 1, 10, 10))
    x = cr.ones(1, 1, 10, 10, dtype=cr.float64, requires_grad=True, device=helpers.DEVICE)
    swapped = ["MaxPooling2D", "ReLU", "ReLU", "MaxPooling2D"]  # from the output back
    assert _nodes(ours(x), 4) == swapped
    seen = []
    handle = ours[1].register_forward_hook(lambda m, i, o: seen.append(o.data.shape))
    assert _nodes(ours(x), 4) == ["MaxPooling2D", "ReLU", "MaxPooling2D", "ReLU"]
    assert seen == [(1, 3, 8, 8)]  # the hook ran in its place
    handle.remove()
    handle = ours[2].register_forward_pre_hook(lambda m, i: seen.append(i[0].data.min()))
    assert _nodes(ours(x), 4)[2:] == ["MaxPooling2D", "ReLU"] and seen[-1] >= 0
    handle.remove()


def test_max_pool_before_relu_leaves_its_output_free_to_change_in_place():
    """As in torch, where the pooling's output is not saved: editing the block's output in
    place before backward works, and gives torch's gradients."""
    ours = Sequential(Conv2d(1, 2, 3), ReLU(), MaxPool2d(2))
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2))
    theirs.double()
    ours.to(cr.float64).load_state_dict(theirs.state_dict())
    x = np.random.default_rng(1).standard_normal((2, 1, 8, 8))
    xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yc, yt = ours(xc), theirs(xt)
    assert yc.grad_fn.name == "ReLU"  # the pooling ran first
    yc.mul_(3)
    yt.mul_(3)
    (yc * yc).sum().backward()
    (yt * yt).sum().backward()
    assert_close(xc.grad, xt.grad, "float64", "grad of x")
    assert_close(ours[0].weight.grad, theirs[0].weight.grad, "float64", "grad of the weight")


def test_max_pool_returning_indices_stays_after_the_relu():
    """With return_indices the pooling keeps its place: its indices then match torch's, also
    in windows whose max is ≤ 0."""
    x = np.full((1, 1, 4, 4), -1.0)
    x[0, 0, 1, 1] = -0.5
    ours = Sequential(ReLU(), MaxPool2d(2, return_indices=True))
    theirs = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.MaxPool2d(2, return_indices=True))
    y, idx = ours(cr.tensor(x))
    yt, idxt = theirs(torch.tensor(x))
    np.testing.assert_array_equal(idx.data, idxt.numpy())
    np.testing.assert_array_equal(y.data, yt.numpy())


def _layer_by_layer(model, x):
    """The reference for the plan tests: the modules called one by one, under no_grad."""
    with cr.no_grad():
        return _unfused(model, x).data


def test_sequential_keeps_its_plan_until_a_module_changes():
    """Sequential works out once which layers fuse, and keeps that plan while no module
    changes. Every kind of change after a first call is seen on the next call: values equal
    the layers called one by one, and the graph shows what ran."""
    rng = np.random.default_rng(5)
    seq = Sequential(Linear(4, 6), LeakyReLU(0.2), Linear(6, 3), ReLU())
    x = cr.tensor(rng.standard_normal((5, 4)), dtype=cr.float32)
    assert seq(x).grad_fn.name == "LinearLeakyReLU+LinearReLU"
    plan = seq.__dict__["_plan"]
    seq(x)
    assert seq.__dict__["_plan"] is plan  # kept
    # an activation's attribute: a slope that no longer fuses, then one that does
    seq[1].negative_slope = 1.5
    y = seq(x)
    assert y.grad_fn.name == "LinearReLU" and _nodes(y, 3)[1:] == ["LeakyReLU", "Linear"]
    np.testing.assert_array_equal(y.data, _layer_by_layer(seq, x))
    seq[1].negative_slope = 0.1
    np.testing.assert_array_equal(seq(x).data, _layer_by_layer(seq, x))
    # a hook added right after a call (the layers then run as themselves), and removed
    handle = seq[2].register_forward_pre_hook(lambda m, i: (i[0] * 2,))
    y = seq(x)
    assert _nodes(y, 2) == ["ReLU", "Linear"]
    np.testing.assert_array_equal(y.data, _layer_by_layer(seq, x))
    handle.remove()
    assert seq(x).grad_fn.name == "LinearLeakyReLU+LinearReLU"
    # a parameter replaced, a bias removed
    seq[2].weight = cr.nn.Parameter(cr.tensor(rng.standard_normal((3, 6)), dtype=cr.float32))
    seq[2].bias = None
    y = seq(x)
    assert y.grad_fn.name == "LinearLeakyReLU+LinearReLU"
    np.testing.assert_array_equal(y.data, _layer_by_layer(seq, x))
    seq[0].register_parameter("bias", None)
    np.testing.assert_array_equal(seq(x).data, _layer_by_layer(seq, x))
    # a weight's array replaced: by one of another width (the layer's own error), then back
    old = seq[2].weight.data
    seq[2].weight.data = rng.standard_normal((3, 5)).astype(np.float32)
    with pytest.raises(ValueError, match=r"input of shape \(5, 6\) has 6 .*shape \(3, 5\)"):
        seq(x)
    seq[2].weight.data = old * 2
    np.testing.assert_array_equal(seq(x).data, _layer_by_layer(seq, x))
    # an input of another dtype: the first layer's own error
    x64 = cr.tensor(x.data.astype(np.float64))
    with pytest.raises(TypeError, match="input dtype float64 and weight dtype float32 differ"):
        seq(x64)
    seq.to(cr.float64)  # the arrays change dtype: the chain takes float64 inputs now
    assert seq(x64).grad_fn.name == "LinearLeakyReLU+LinearReLU"
    np.testing.assert_array_equal(seq(x64).data, _layer_by_layer(seq, x64))
    x32 = x64
    # the container edited: by index, by a direct edit of its modules, by deletion
    seq[3] = Tanh()
    assert _nodes(seq(x32), 2) == ["Tanh", "LinearLeakyReLU+Linear"]
    seq._modules["3"] = ReLU()
    object.__setattr__(seq, "3", seq._modules["3"])
    assert seq(x32).grad_fn.name == "LinearLeakyReLU+LinearReLU"
    del seq[1]
    assert seq(x32).grad_fn.name == "Linear+LinearReLU"
    np.testing.assert_array_equal(seq(x32).data, _layer_by_layer(seq, x32))


def test_sequential_does_not_fuse_a_slope_that_may_change_in_place():
    """Only a number is read into the plan: a slope held in an array may be edited."""
    slope = np.array(0.2)
    seq = Sequential(Linear(2, 3), LeakyReLU(slope))
    x = cr.tensor([[-1.0, 2.0], [3.0, -4.0]], dtype=cr.float32)
    assert seq(x).grad_fn.name == "LeakyReLU"
    slope[...] = 0.5
    np.testing.assert_array_equal(seq(x).data, _layer_by_layer(seq, x))
    z = seq[0](x).data
    np.testing.assert_allclose(seq(x).data, np.where(z > 0, z, 0.5 * z))
    assert seq(x).dtype == cr.float32  # the slope is read as a number, not a float64 array


def test_sequential_plan_after_an_in_place_relu_toggles_the_pooling_swap():
    x = cr.tensor(np.random.default_rng(6).standard_normal((2, 3, 4, 4)), dtype=cr.float32)
    relu, pool = ReLU(), MaxPool2d(2)
    seq = Sequential(Conv2d(3, 3, 1), relu, pool)
    assert seq(x).grad_fn.name == "ReLU"  # the pooling ran first
    relu.inplace = True
    assert seq(x).grad_fn.name == "MaxPooling2D"
    relu.inplace = False
    pool.return_indices = True
    y, idx = seq(x)
    assert y.grad_fn.name == "MaxPooling2D"
    pool.return_indices = False
    assert seq(x).grad_fn.name == "ReLU"


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_sequential_copy_runs_its_own_layers(how):
    """A copy made after calls (its plan is not copied) uses its own weights."""
    import copy
    import pickle

    seq = Sequential(Linear(3, 4), ReLU(), Linear(4, 2))
    x = cr.ones(2, 3)
    y0 = seq(x).data.copy()
    twin = copy.deepcopy(seq) if how == "deepcopy" else pickle.loads(pickle.dumps(seq))
    assert "_plan" not in twin.__dict__
    with cr.no_grad():  # (the bias too: with some draws the ReLU zeroes every unit)
        twin[2].weight.mul_(3)
        twin[2].bias.add_(1.0)
    np.testing.assert_array_equal(seq(x).data, y0)
    y = twin(x)
    assert y.grad_fn.name == "LinearReLU+Linear"
    np.testing.assert_array_equal(y.data, _layer_by_layer(twin, x))
    assert not np.array_equal(y.data, y0)


def test_sequential_indexing_and_editing():
    a, b, c = Linear(1, 1), ReLU(), Linear(1, 1)
    s = Sequential(a, b, c)
    assert len(s) == 3 and s[0] is a and s[-1] is c and list(s) == [a, b, c]
    assert list(s[1:]) == [b, c] and isinstance(s[1:], Sequential)
    with pytest.raises(IndexError, match="index 3 is out of range for length 3"):
        s[3]
    d = Tanh()
    s[1] = d
    assert s[1] is d
    s.append(b)
    assert len(s) == 4 and s[3] is b
    del s[0]
    assert list(s._modules) == ["0", "1", "2"] and s[0] is d
    s.insert(0, a)
    assert list(s) == [a, d, c, b]
    assert s.pop(1) is d and list(s) == [a, c, b]
    s.extend([Identity()])
    assert len(s) == 4


def test_sequential_names_from_ordered_dict():
    s = Sequential(OrderedDict(inp=Linear(2, 3), act=ReLU()))
    assert [n for n, _ in s.named_parameters()] == ["inp.weight", "inp.bias"]
    assert s.inp is s[0]


def test_module_list():
    layers = ModuleList([Linear(2, 2) for _ in range(3)])
    tl = torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(3)])
    assert [n for n, _ in layers.named_parameters()] == [n for n, _ in tl.named_parameters()]
    assert len(layers) == 3 and layers[-1] is list(layers)[2]
    layers.append(ReLU())
    layers.extend([Tanh()])
    layers += [Identity()]
    assert len(layers) == 6
    first = layers[0]
    del layers[0]
    assert len(layers) == 5 and first not in list(layers)
    assert list(layers._modules) == [str(i) for i in range(5)]
    layers.insert(1, first)
    assert layers[1] is first
    assert layers.pop() is not None and len(layers) == 5
    assert isinstance(layers[1:3], ModuleList) and len(layers[1:3]) == 2
    with pytest.raises(IndexError, match="index -9 is out of range for length 5"):
        layers[-9]
    assert repr(ModuleList([Linear(1, 2)])) == repr(torch.nn.ModuleList([torch.nn.Linear(1, 2)]))


def test_module_dict():
    d = ModuleDict({"a": Linear(1, 2), "b": ReLU()})
    assert "a" in d and len(d) == 2 and list(d) == ["a", "b"]
    assert list(d.keys()) == ["a", "b"] and isinstance(d["a"], Linear)
    d.update({"c": Tanh()})
    assert [n for n, _ in d.named_parameters()] == ["a.weight", "a.bias"]
    assert isinstance(d.pop("a"), Linear) and "a" not in d
    assert list(dict(d.named_parameters())) == []
    with pytest.raises(TypeError, match="keys must be strings"):
        d[1] = ReLU()
    d.clear()
    assert len(d) == 0


@pytest.mark.parametrize("start, end", [(1, -1), (0, -1), (1, 2), (-2, -1)])
def test_flatten_matches_torch(start, end):
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    check_twin(Flatten(start, end), torch.nn.Flatten(start, end), x)
    assert repr(Flatten(start, end)) == repr(torch.nn.Flatten(start, end))


@pytest.mark.parametrize("dim, size", [(1, (3, 4)), (-1, (2, 2, 1))])
def test_unflatten_matches_torch(dim, size):
    x = np.random.default_rng(0).standard_normal((2, 12, 4) if dim == 1 else (2, 3, 4))
    check_twin(Unflatten(dim, size), torch.nn.Unflatten(dim, size), x)
    assert repr(Unflatten(dim, size)) == repr(torch.nn.Unflatten(dim, size))


def test_identity():
    x = cr.randn(2)
    assert_close(Identity()(x).data, x.data)


# ---------------------------------------------------------------- ParameterList / ParameterDict
def _twin_lists():
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in ((3, 4), (4,), (2, 3))]
    ours = cr.nn.ParameterList([cr.tensor(arrays[0]), cr.nn.Parameter(cr.tensor(arrays[1]))])
    ours.append(cr.tensor(arrays[2]))
    theirs = torch.nn.ParameterList(
        [torch.tensor(arrays[0]), torch.nn.Parameter(torch.tensor(arrays[1]))]
    )
    theirs.append(torch.tensor(arrays[2]))
    return ours, theirs


def test_parameter_list_registers_tensors_as_parameters_like_torch():
    ours, theirs = _twin_lists()
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert all(isinstance(p, cr.nn.Parameter) and p.requires_grad for p in ours)
    assert len(ours) == 3 and ours[-1].shape == (2, 3)
    assert [p.shape for p in ours[1:]] == [(4,), (2, 3)]
    # an SGD step on a loss over all of them lands where torch's does
    for ps, lib in ((ours, cr), (theirs, torch)):
        opt = lib.optim.SGD(ps.parameters(), lr=0.5)
        loss = (ps[0].sum(0) * ps[1]).sum() + (ps[2] ** 2).sum()
        loss.backward()
        opt.step()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-6)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours[0] = cr.zeros(1)
    assert isinstance(ours[0], cr.nn.Parameter) and ours[0].shape == (1,)
    with pytest.raises(IndexError, match="index 3 is out of range for length 3"):
        ours[3]
    assert "(2): Parameter containing: [float32 of size 2x3]" in repr(ours)


def test_parameter_dict_orders_and_registers_like_torch():
    rng = np.random.default_rng(1)
    b, a = rng.standard_normal(2).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    ours = cr.nn.ParameterDict({"b": cr.tensor(b), "a": cr.tensor(a)})
    theirs = torch.nn.ParameterDict({"b": torch.tensor(b), "a": torch.tensor(a)})
    assert list(ours) == list(theirs) == ["a", "b"]  # a plain dict goes in sorted
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ordered = cr.nn.ParameterDict(OrderedDict([("z", cr.ones(1)), ("y", cr.ones(2))]))
    assert list(ordered.keys()) == ["z", "y"]
    ours["c"] = cr.zeros(4)
    assert isinstance(ours["c"], cr.nn.Parameter) and "c" in ours and len(ours) == 3
    assert [n for n, _ in ours.named_parameters()] == ["a", "b", "c"]
    assert ours.pop("b").shape == (2,) and "b" not in ours
    assert [n for n, _ in ours.named_parameters()] == ["a", "c"]
    assert ours.setdefault("d", cr.ones(1)).shape == (1,) and ours.get("nope") is None
    merged = ours | {"e": cr.ones(5)}
    assert list(merged) == ["a", "c", "d", "e"] and "e" not in ours
    assert ours.popitem()[0] == "d"
    with pytest.raises(TypeError, match="keys must be strings, got 3"):
        ours[3] = cr.ones(1)
    with pytest.raises(KeyError):
        ours["b"]
    with pytest.raises(ValueError, match="element 0 should have length 2, got 3"):
        ours.update([("x", cr.ones(1), 1)])
    ours.clear()
    assert len(ours) == 0 and list(ours.parameters()) == []
