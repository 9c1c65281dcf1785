"""nn.init: sample mean and variance within a few standard errors of the target
distribution, gains and fans equal to torch's, orthogonality, in-place and no-grad behaviour."""

import math

import numpy as np
import pytest
import torch
from helpers import host

import chainrule as cr
from chainrule import backend
from chainrule.nn import init
from chainrule.nn.parameter import Parameter

SHAPE = (400, 250, 2)  # 200,000 samples; fan_in = 500, fan_out = 800
FAN_IN, FAN_OUT = 500, 800


def _assert_moments(x, mean, var, kurtosis):
    """Sample mean and variance within 5 standard errors; ``kurtosis`` = E(x − μ)⁴ / σ⁴
    (3 for a normal, 9/5 for a uniform) sets the standard error of the variance."""
    x = np.asarray(x, dtype=np.float64).ravel()
    n = x.size
    se_mean = math.sqrt(var / n)
    se_var = var * math.sqrt((kurtosis - 1) / n)
    assert abs(x.mean() - mean) < 5 * se_mean, (x.mean(), mean)
    assert abs(x.var() - var) < 5 * se_var, (x.var(), var)


def _param(shape=SHAPE, dtype=cr.float32):
    return Parameter(np.zeros(shape, dtype=np.dtype(dtype)))


def test_uniform_():
    w = _param()
    out = init.uniform_(w, -2.0, 3.0)
    assert out is w
    assert w.data.min() >= -2.0 and w.data.max() <= 3.0
    _assert_moments(w.data, 0.5, 25 / 12, 9 / 5)


def test_normal_():
    w = _param(dtype=cr.float64)
    init.normal_(w, 1.5, 0.5)
    _assert_moments(w.data, 1.5, 0.25, 3)


def test_trunc_normal_():
    w = _param(dtype=cr.float64)
    init.trunc_normal_(w, 0.0, 1.0, -1.0, 2.0)
    assert w.data.min() >= -1.0 and w.data.max() <= 2.0
    ref = torch.distributions.Normal(0.0, 1.0)
    a, b = torch.tensor(-1.0, dtype=torch.float64), torch.tensor(2.0, dtype=torch.float64)
    phi = lambda t: float(torch.exp(ref.log_prob(t)))  # noqa: E731
    Z = float(ref.cdf(b) - ref.cdf(a))
    mean = (phi(a) - phi(b)) / Z
    var = 1 + (float(a) * phi(a) - float(b) * phi(b)) / Z - mean**2
    _assert_moments(w.data, mean, var, 3)  # kurtosis < 3 here, so 3 is conservative


@pytest.mark.parametrize(
    "fn, value", [(init.zeros_, 0.0), (init.ones_, 1.0), (lambda t: init.constant_(t, 2.5), 2.5)]
)
def test_constant_fills(fn, value):
    w = _param((3, 4))
    assert fn(w) is w
    np.testing.assert_array_equal(w.data, np.full((3, 4), value))


def test_eye_():
    w = _param((3, 5))
    init.eye_(w)
    np.testing.assert_array_equal(w.data, np.eye(3, 5))
    with pytest.raises(ValueError, match=r"2-D.*\(3, 5, 1\)"):
        init.eye_(_param((3, 5, 1)))


@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_xavier_uniform_(gain):
    w = _param()
    init.xavier_uniform_(w, gain)
    var = gain**2 * 2 / (FAN_IN + FAN_OUT)
    bound = math.sqrt(3 * var)
    assert np.abs(w.data).max() <= bound
    _assert_moments(w.data, 0.0, var, 9 / 5)


def test_xavier_normal_():
    w = _param()
    init.xavier_normal_(w, 0.5)
    _assert_moments(w.data, 0.0, 0.25 * 2 / (FAN_IN + FAN_OUT), 3)


@pytest.mark.parametrize(
    "a, mode, nl",
    [
        (0, "fan_in", "leaky_relu"),
        (math.sqrt(5), "fan_in", "leaky_relu"),
        (0, "fan_out", "relu"),
        (0.2, "fan_out", "leaky_relu"),
        (0, "fan_in", "tanh"),
    ],
)
def test_kaiming_uniform_(a, mode, nl):
    w = _param()
    init.kaiming_uniform_(w, a=a, mode=mode, nonlinearity=nl)
    fan = FAN_IN if mode == "fan_in" else FAN_OUT
    var = torch.nn.init.calculate_gain(nl, a) ** 2 / fan
    assert np.abs(w.data).max() <= math.sqrt(3 * var) + 1e-7
    _assert_moments(w.data, 0.0, var, 9 / 5)


@pytest.mark.parametrize("mode, nl", [("fan_in", "relu"), ("fan_out", "leaky_relu")])
def test_kaiming_normal_(mode, nl):
    w = _param()
    init.kaiming_normal_(w, mode=mode, nonlinearity=nl)
    fan = FAN_IN if mode == "fan_in" else FAN_OUT
    _assert_moments(w.data, 0.0, torch.nn.init.calculate_gain(nl) ** 2 / fan, 3)


@pytest.mark.parametrize("shape", [(3, 7), (7, 3), (4, 4), (4, 2, 3, 3)])
@pytest.mark.parametrize("gain", [1.0, 0.5])
def test_orthogonal_(shape, gain):
    w = _param(shape, cr.float64)
    init.orthogonal_(w, gain)
    m = w.data.reshape(shape[0], -1)
    rows, cols = m.shape
    gram = m @ m.T if rows <= cols else m.T @ m
    np.testing.assert_allclose(gram, gain**2 * np.eye(min(rows, cols)), atol=1e-12)


def test_orthogonal_rejects_1d():
    with pytest.raises(ValueError, match=r"2 or more dimensions.*\(5,\)"):
        init.orthogonal_(_param((5,)))


NONLINEARITIES = [
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "selu",
]


@pytest.mark.parametrize("nl", NONLINEARITIES)
def test_calculate_gain_matches_torch(nl):
    assert init.calculate_gain(nl) == pytest.approx(torch.nn.init.calculate_gain(nl), rel=1e-15)


@pytest.mark.parametrize("slope", [0, 0.2, 1, 3])
def test_calculate_gain_leaky_relu_param(slope):
    ours = init.calculate_gain("leaky_relu", slope)
    assert ours == pytest.approx(torch.nn.init.calculate_gain("leaky_relu", slope), rel=1e-15)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="negative_slope 'a' is not a valid number"):
        init.calculate_gain("leaky_relu", "a")


@pytest.mark.parametrize("shape", [(3, 4), (5, 2, 3), (6, 3, 2, 2), (2, 4, 1, 2, 3)])
def test_fan_in_and_fan_out_match_torch(shape):
    ours = init._calculate_fan_in_and_fan_out(_param(shape))
    assert ours == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


def test_fans_need_two_dims():
    with pytest.raises(ValueError, match=r"fewer than 2 dimensions, got shape \(4,\)"):
        init.xavier_uniform_(_param((4,)))


def test_kaiming_bad_mode():
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out', got 'fan_avg'"):
        init.kaiming_uniform_(_param((3, 4)), mode="fan_avg")


def test_in_place_without_recording_a_graph():
    w = _param((20, 30))
    before = w._version[0]
    init.kaiming_uniform_(w)
    assert w.grad_fn is None and w.requires_grad and w.is_leaf
    assert w._version[0] > before
    (w * 2).sum().backward()  # still a trainable leaf
    np.testing.assert_array_equal(w.grad.data, 2 * np.ones((20, 30)))


def test_reproducible_with_manual_seed():
    a, b = _param((10, 10)), _param((10, 10))
    cr.manual_seed(42)
    init.normal_(a)
    init.orthogonal_(a)
    cr.manual_seed(42)
    init.normal_(b)
    init.orthogonal_(b)
    np.testing.assert_array_equal(a.data, b.data)


def test_plain_tensor_and_dtype_kept():
    t = cr.zeros(50, 60, dtype=cr.float64)
    init.xavier_normal_(t)
    assert t.dtype == cr.float64 and t.data.std() > 0


ON_DEVICE = {
    "uniform_": lambda t: init.uniform_(t, -2.0, 3.0),
    "normal_": lambda t: init.normal_(t, 1.5, 0.5),
    "trunc_normal_": lambda t: init.trunc_normal_(t, 0.0, 1.0, -1.0, 2.0),
    "constant_": lambda t: init.constant_(t, 2.5),
    "eye_": init.eye_,
    "xavier_uniform_": init.xavier_uniform_,
    "xavier_normal_": init.xavier_normal_,
    "kaiming_uniform_": init.kaiming_uniform_,
    "kaiming_normal_": init.kaiming_normal_,
    "orthogonal_": init.orthogonal_,
}


@pytest.mark.parametrize("name", ON_DEVICE)
def test_fills_a_tensor_on_its_device_with_the_cpu_draws(name, device):
    """Values are drawn on the host and copied over: a seed gives the same weights anywhere."""
    fill = ON_DEVICE[name]
    cr.manual_seed(4)
    ref = fill(_param((6, 4), cr.float64))
    w = Parameter(cr.zeros(6, 4, dtype=cr.float64, device=device))
    cr.manual_seed(4)
    assert fill(w) is w
    assert backend.on_device(w.data, device) and w.dtype == cr.float64
    np.testing.assert_array_equal(host(w), ref.data)


@pytest.mark.parametrize(
    "shape, groups", [((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((2, 4, 1, 3, 3), 1), ((4, 4, 5, 5), 4)]
)
def test_dirac_matches_torch(shape, groups):
    theirs = torch.empty(shape)
    torch.nn.init.dirac_(theirs, groups)
    ours = cr.empty(*shape)
    assert init.dirac_(ours, groups) is ours
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_dirac_makes_the_identity_convolution():
    w = init.dirac_(cr.empty(3, 3, 3, 3))
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 7)).astype(np.float32)
    y = cr.nn.functional.conv2d(cr.tensor(x), w, padding=1)
    np.testing.assert_allclose(y.data, x, rtol=1e-6, atol=1e-6)


def test_sparse_zeros_a_fraction_of_each_column():
    cr.manual_seed(0)
    w = init.sparse_(cr.empty(10, 400), sparsity=0.3, std=0.5)
    assert ((w.data == 0).sum(0) == 3).all()  # ⌈0.3·10⌉ per column, as torch
    kept = w.data[w.data != 0]
    assert abs(kept.std() - 0.5) < 0.03 and abs(kept.mean()) < 0.03


def test_dirac_and_sparse_errors():
    with pytest.raises(ValueError, match=r"dirac_: only 3, 4 and 5-D tensors .* \(2, 2\)"):
        init.dirac_(cr.empty(2, 2))
    with pytest.raises(ValueError, match=r"dirac_: dim 0 \(3\) must be divisible by groups \(2\)"):
        init.dirac_(cr.empty(3, 2, 3), groups=2)
    with pytest.raises(ValueError, match=r"sparse_: only 2-D tensors"):
        init.sparse_(cr.empty(2, 2, 2), 0.5)
