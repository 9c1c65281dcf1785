"""Lazy modules against torch's: the sizes read from the first input, the regular class they
become, parameter and buffer names and shapes, values and gradients once torch's weights are
loaded, seeded initialisation equal to the regular layer's, state dicts that materialise,
optimizers built before the first call, placeholders (UninitializedParameter/Buffer), errors."""

import copy
import pickle

import helpers
import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.nn import lazy
from chainrule.nn.activation import ReLU
from chainrule.nn.container import Sequential
from chainrule.nn.conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from chainrule.nn.conv3d import Conv3d, ConvTranspose3d
from chainrule.nn.lazy import (
    LazyBatchNorm1d,
    LazyBatchNorm2d,
    LazyBatchNorm3d,
    LazyConv1d,
    LazyConv2d,
    LazyConv3d,
    LazyConvTranspose1d,
    LazyConvTranspose2d,
    LazyConvTranspose3d,
    LazyInstanceNorm1d,
    LazyInstanceNorm2d,
    LazyInstanceNorm3d,
    LazyLinear,
    UninitializedBuffer,
    UninitializedParameter,
)
from chainrule.nn.linear import Linear
from chainrule.nn.normalization import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
)
from chainrule.optim.adam import Adam
from chainrule.optim.sgd import SGD

from .twin import check_twin

# (lazy class, regular class, constructor args, kwargs, input shape)
CASES = [
    (LazyLinear, Linear, (3,), {}, (2, 5)),
    (LazyLinear, Linear, (4,), {"bias": False}, (2, 3, 6)),
    (LazyConv1d, Conv1d, (4, 3), {}, (2, 3, 9)),
    (LazyConv1d, Conv1d, (4, 3), {"groups": 2, "padding": 1}, (6, 8)),  # unbatched (C, L)
    (LazyConv2d, Conv2d, (4, 3), {"stride": 2, "bias": False}, (2, 3, 7, 7)),
    (LazyConv2d, Conv2d, (6, (3, 2)), {"groups": 3, "dilation": 2}, (1, 6, 8, 8)),
    (LazyConvTranspose1d, ConvTranspose1d, (4, 3), {"stride": 2, "output_padding": 1}, (2, 3, 5)),
    (LazyConvTranspose2d, ConvTranspose2d, (4, 3), {"groups": 2}, (1, 2, 4, 4)),
    (LazyConvTranspose2d, ConvTranspose2d, (2, 2), {"bias": False}, (2, 3, 3, 3)),
    (LazyConv3d, Conv3d, (4, 2), {"padding": 1}, (1, 3, 4, 4, 4)),
    (LazyConvTranspose3d, ConvTranspose3d, (2, 2), {"stride": 2}, (2, 3, 3, 3)),
    (LazyBatchNorm1d, BatchNorm1d, (), {}, (4, 3)),
    (LazyBatchNorm1d, BatchNorm1d, (), {"affine": False, "momentum": None}, (4, 3, 5)),
    (LazyBatchNorm2d, BatchNorm2d, (), {}, (2, 3, 4, 4)),
    (LazyBatchNorm2d, BatchNorm2d, (), {"track_running_stats": False}, (2, 3, 4, 4)),
    (LazyBatchNorm3d, BatchNorm3d, (), {}, (2, 3, 2, 3, 2)),
    (LazyInstanceNorm1d, InstanceNorm1d, (), {}, (2, 3, 6)),
    (LazyInstanceNorm2d, InstanceNorm2d, (), {"affine": False}, (2, 3, 4, 4)),
    (LazyInstanceNorm3d, InstanceNorm3d, (), {"momentum": 0.3}, (2, 3, 2, 3, 3)),
]
IDS = [f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)]


def _shapes(named):
    return {k: tuple(v.shape) for k, v in named}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_becomes_the_regular_layer_like_torch(case):
    lazy_cls, regular, args, kw, shape = case
    ours, theirs = lazy_cls(*args, **kw), getattr(torch.nn, lazy_cls.__name__)(*args, **kw)
    assert ours.has_uninitialized_params() == theirs.has_uninitialized_params()
    assert repr(ours).split("(")[0] == lazy_cls.__name__
    x = np.random.default_rng(0).standard_normal(shape)
    ours(cr.tensor(x, dtype=cr.float32))
    theirs(torch.tensor(x, dtype=torch.float32))
    assert type(ours) is regular and isinstance(ours, regular)
    assert _shapes(ours.named_parameters()) == _shapes(theirs.named_parameters())
    assert _shapes(ours.named_buffers()) == _shapes(theirs.named_buffers())
    assert list(ours.state_dict()) == list(theirs.state_dict())
    size = "in_features" if regular is Linear else "num_features"
    size = "in_channels" if "Conv" in regular.__name__ else size
    assert getattr(ours, size) == getattr(theirs, size)
    if "Norm" not in regular.__name__:  # our norms' repr leaves out torch's new bias=...
        assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_values_and_gradients_match_torch_after_init(case, dtype):
    lazy_cls, _, args, kw, shape = case
    ours, theirs = lazy_cls(*args, **kw), getattr(torch.nn, lazy_cls.__name__)(*args, **kw)
    ours(cr.zeros(*shape))
    theirs(torch.zeros(*shape))
    check_twin(ours, theirs, shape, dtype=dtype)


def test_unbatched_instance_norm_reads_channels_from_dim_0():
    m = LazyInstanceNorm1d()
    x = np.random.default_rng(1).standard_normal((3, 7))
    y = m(cr.tensor(x))
    assert m.num_features == 3 and m.weight.shape == (3,) and m.running_mean.shape == (3,)
    ref = torch.nn.InstanceNorm1d(3, affine=True, track_running_stats=True).double()
    np.testing.assert_allclose(y.data, ref(torch.tensor(x)).detach().numpy(), rtol=1e-10)


@pytest.mark.parametrize(
    "make_lazy, make_regular, shape",
    [
        (lambda: LazyLinear(3), lambda: Linear(5, 3), (2, 5)),
        (lambda: LazyConv2d(4, 3, groups=2), lambda: Conv2d(2, 4, 3, groups=2), (1, 2, 5, 5)),
        (lambda: LazyConvTranspose1d(4, 2), lambda: ConvTranspose1d(3, 4, 2), (1, 3, 5)),
    ],
)
def test_seeded_init_equals_the_regular_layers(make_lazy, make_regular, shape):
    x = cr.randn(*shape)
    cr.manual_seed(0)
    m = make_lazy()
    m(x)
    cr.manual_seed(0)
    r = make_regular()
    for (k, a), (_, b) in zip(m.named_parameters(), r.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=k)


def test_linear_init_bound():
    cr.manual_seed(0)
    m = LazyLinear(400)
    m(cr.zeros(1, 25))
    bound = 1 / 5  # 1/√in_features
    for p in (m.weight, m.bias):
        assert np.abs(p.data).max() <= bound
        assert np.abs(p.data).max() > 0.95 * bound


def test_norms_start_at_identity_and_track():
    m = LazyBatchNorm2d()
    x = cr.randn(2, 3, 4, 4, dtype=cr.float64)
    m.double()
    m(x)
    np.testing.assert_array_equal(m.weight.data, 1.0)
    np.testing.assert_array_equal(m.bias.data, 0.0)
    assert int(m.num_batches_tracked.data) == 1 and m.running_mean.dtype == cr.float64
    np.testing.assert_allclose(m.running_mean.data, 0.1 * x.data.mean(axis=(0, 2, 3)))


def test_placeholders():
    p = UninitializedParameter()
    assert isinstance(p, cr.nn.Parameter) and p.requires_grad and p.dtype == cr.float32
    assert repr(p) == "<UninitializedParameter>"
    for attr in ("shape", "ndim"):
        with pytest.raises(ValueError, match="UninitializedParameter has no shape yet; run the "):
            getattr(p, attr)
    for meth in ("numel", "size", "dim"):
        with pytest.raises(ValueError, match="has no shape yet"):
            getattr(p, meth)()
    p.materialize((2, 3))
    assert type(p) is cr.nn.Parameter and p.shape == (2, 3) and p.requires_grad
    q = UninitializedParameter(requires_grad=False, dtype=cr.float64)
    q.materialize((4,), dtype=cr.float32)
    assert q.shape == (4,) and q.dtype == cr.float32 and not q.requires_grad
    b = UninitializedBuffer(dtype=cr.float64)
    assert repr(b) == "<UninitializedBuffer>" and not b.requires_grad
    b.materialize((5,))
    assert type(b) is cr.Tensor and b.shape == (5,) and b.dtype == cr.float64


def test_dtype_and_device_carry_over(device):
    m = LazyLinear(3, dtype=cr.float64)
    m(cr.zeros(2, 4, dtype=cr.float64))
    assert m.weight.dtype == cr.float64 and m.bias.dtype == cr.float64
    m = LazyConv1d(2, 3).double()  # cast before the first call
    m(cr.zeros(1, 2, 5, dtype=cr.float64))
    assert m.weight.dtype == cr.float64
    m = LazyBatchNorm1d(device=helpers.DEVICE)
    y = m(cr.randn(4, 3, device=helpers.DEVICE))
    assert y.device == m.running_mean.device == m.weight.device == cr.randn(1, device=device).device


def test_state_dict_holds_placeholders_and_loading_materialises():
    m = LazyLinear(3)
    sd = m.state_dict()
    assert list(sd) == ["weight", "bias"] and all(
        isinstance(v, UninitializedParameter) for v in sd.values()
    )
    theirs = torch.nn.Linear(6, 3).double()
    ours = LazyLinear(3, dtype=cr.float64)
    ours.load_state_dict(theirs.state_dict())
    assert type(ours) is Linear and ours.in_features == 6
    check_twin(ours, theirs, (2, 6))
    conv = LazyConv2d(4, 3, groups=2)
    conv.load_state_dict(torch.nn.Conv2d(6, 4, 3, groups=2).state_dict())
    assert type(conv) is Conv2d and conv.in_channels == 6 and conv.weight.shape == (4, 3, 3, 3)
    tconv = LazyConvTranspose2d(4, 3)
    tconv.load_state_dict(torch.nn.ConvTranspose2d(5, 4, 3).state_dict())
    assert type(tconv) is ConvTranspose2d and tconv.in_channels == 5
    tbn = torch.nn.BatchNorm1d(3)
    tbn(torch.randn(8, 3))
    bn = LazyBatchNorm1d()
    bn.load_state_dict(tbn.state_dict())
    assert type(bn) is BatchNorm1d and bn.num_features == 3
    np.testing.assert_allclose(bn.running_var.data, tbn.running_var.numpy())
    assert int(bn.num_batches_tracked.data) == 1


def test_nested_lazy_layers_and_the_load_hook():
    net = Sequential(LazyLinear(4), ReLU(), LazyLinear(2))
    shapes = {"0.weight": (4, 3), "0.bias": (4,), "2.weight": (2, 4), "2.bias": (2,)}
    sd = {k: torch.ones(s) for k, s in shapes.items()}
    net.load_state_dict(sd)  # Module.load_state_dict runs each lazy child's hook
    assert [type(m) for m in net] == [Linear, ReLU, Linear]
    np.testing.assert_array_equal(net(cr.ones(1, 3)).data, [[17.0, 17.0]])  # (3·1 + 1)·4 + 1


def test_sequential_of_lazy_layers_runs_twice():
    net = Sequential(LazyLinear(4), ReLU(), LazyLinear(2))
    x = cr.randn(5, 3)
    y1 = net(x)
    y2 = net(x)  # now fused as plain Linear layers, if the container fuses
    np.testing.assert_allclose(y1.data, y2.data, rtol=1e-6)
    assert net[2].in_features == 4


@pytest.mark.parametrize("opt_cls", [SGD, Adam])
def test_optimizer_built_before_the_first_call(opt_cls):
    m = LazyLinear(2)
    opt = opt_cls(m.parameters(), lr=0.1)
    opt.step()  # no gradients yet: nothing to do, as torch
    x = cr.randn(3, 4)
    m(x).sum().backward()
    before = m.weight.data.copy()
    opt.step()
    assert opt.param_groups[0]["params"][0] is m.weight
    assert m.weight.shape == (2, 4) and not np.array_equal(m.weight.data, before)
    if opt_cls is SGD:
        np.testing.assert_allclose(m.weight.data, before - 0.1 * m.weight.grad.data, rtol=1e-6)


def test_copy_and_pickle_before_init():
    for m in (copy.deepcopy(LazyLinear(2)), pickle.loads(pickle.dumps(LazyConv1d(2, 3)))):
        assert m.has_uninitialized_params()
        m(cr.randn(1, 3, 5) if isinstance(m, LazyConv1d) else cr.randn(1, 3))
        assert not isinstance(m, lazy.LazyModuleMixin) and m.weight.shape[1] == 3


def test_errors():
    with pytest.raises(ValueError, match=r"LazyLinear: expected an input with a feature .*\(\)"):
        LazyLinear(3)(cr.tensor(1.0))
    with pytest.raises(ValueError, match=r"LazyConv2d: expected 3-D \(unbatched\) or 4-D .*"
                                         r"\(2, 3\)"):  # fmt: skip
        LazyConv2d(4, 3)(cr.zeros(2, 3))
    with pytest.raises(ValueError, match=r"in_channels \(3\) of input shape \(1, 3, 5, 5\) must "
                                         r"be divisible by groups \(2\)"):  # fmt: skip
        LazyConv2d(4, 3, groups=2)(cr.zeros(1, 3, 5, 5))
    with pytest.raises(ValueError, match=r"LazyConv1d: out_channels \(3\) must be divisible by "
                                         r"groups \(2\)"):  # fmt: skip
        LazyConv1d(3, 3, groups=2)
    with pytest.raises(ValueError, match=r"LazyBatchNorm2d: expected 4-D input .*\(2, 3, 4\)"):
        LazyBatchNorm2d()(cr.zeros(2, 3, 4))
    with pytest.raises(ValueError, match=r"LazyInstanceNorm2d: expected 3-D .* \(2, 3\)"):
        LazyInstanceNorm2d()(cr.zeros(2, 3))
    m = LazyLinear(3)
    with pytest.raises(ValueError, match="has no shape yet"):
        m.num_parameters()
