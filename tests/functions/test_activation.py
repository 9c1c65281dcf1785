"""Activations (tanh, sigmoid, relu, leaky_relu, elu, gelu, softplus, softmax, log_softmax)
against torch, with chainrule's own gradcheck as the second oracle."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import check_against_torch, check_gradcheck
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainrule as cr

DTYPES = ["float64", "float32"]
FAST = settings(max_examples=25, deadline=None)
SHAPES = [(), (1,), (0,), (7,), (3, 4), (2, 0, 3), (2, 1, 3)]


def lib(t):
    return torch if isinstance(t, torch.Tensor) else cr


def act(name, **kw):
    """The activation ``name`` from torch.nn.functional or chainrule, whichever fits."""
    return lambda x: getattr(F if isinstance(x, torch.Tensor) else cr, name)(x, **kw)


ACTIVATIONS = {  # id: (fn, low, high)
    "tanh": (act("tanh"), -3, 3),
    "sigmoid": (act("sigmoid"), -6, 6),
    "relu": (act("relu"), -2, 2),
    "leaky_relu": (act("leaky_relu"), -2, 2),
    "leaky_relu_0.2": (act("leaky_relu", negative_slope=0.2), -2, 2),
    "elu": (act("elu"), -3, 3),
    "elu_0.5": (act("elu", alpha=0.5), -3, 3),
    "gelu": (act("gelu"), -3, 3),
    "gelu_tanh": (act("gelu", approximate="tanh"), -3, 3),
    "softplus": (act("softplus"), -5, 5),
    "softplus_beta": (act("softplus", beta=2.0, threshold=3.0), -3, 3),
    "softmax": (act("softmax", dim=-1), -3, 3),
    "log_softmax": (act("log_softmax", dim=-1), -3, 3),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation(name, shape, dtype):
    fn, low, high = ACTIVATIONS[name]
    check_against_torch(fn, shape, dtype=dtype, low=low, high=high)


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "relu"])
def test_tensor_methods(name):
    check_against_torch(lambda x: getattr(x, name)(), (3, 4))
    check_against_torch(lambda x: getattr(lib(x), name)(x), (3, 4))


@FAST
@given(
    st.sampled_from(sorted(ACTIVATIONS)),
    hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
    st.sampled_from(DTYPES),
)
def test_activation_random_shapes(name, shape, dtype):
    fn, low, high = ACTIVATIONS[name]
    check_against_torch(fn, shape, dtype=dtype, low=low, high=high)


# ------------------------------------------------------------------ edges
LARGE = np.array([-1000.0, -100.0, -30.0, -1e-8, 0.0, 1e-8, 30.0, 100.0, 1000.0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["tanh", "sigmoid", "softplus", "elu", "gelu", "gelu_tanh"])
def test_large_inputs_saturate_without_overflow(name, dtype):
    fn = ACTIVATIONS[name][0]
    with np.errstate(over="raise", invalid="raise"):
        check_against_torch(fn, LARGE, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_kinks_at_zero(dtype):
    x = np.array([-1.0, -0.0, 0.0, 1e-30, 2.0])
    check_against_torch(act("relu"), x, dtype=dtype)  # relu'(0) = 0
    check_against_torch(act("leaky_relu", negative_slope=0.1), x, dtype=dtype)  # slope at 0
    check_against_torch(act("elu", alpha=2.0), x, dtype=dtype)
    check_against_torch(act("relu"), np.array([np.nan, -1.0, 1.0]), dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("slope", [0.0, 0.01, 0.2, 1.0, 1.5, -0.5])
def test_leaky_relu_any_slope_and_non_finite_inputs(slope, dtype):
    # slopes in (0, 1] take the max(x, slope·x) path, the others np.where; both must agree with
    # torch bit for bit on ±0, ±inf and NaN, values and gradients
    x = np.array([-np.inf, -3.0, -1e-30, -0.0, 0.0, 1e-30, 2.5, np.inf, np.nan], dtype=dtype)
    g = np.array([1.0, -2.0, 3.0, 0.5, -0.25, 7.0, -1.5, 2.0, 1.0], dtype=dtype)
    xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yc, yt = cr.leaky_relu(xc, slope), F.leaky_relu(xt, slope)
    yc.backward(cr.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_array_equal(yc.detach().numpy(), yt.detach().numpy())
    np.testing.assert_array_equal(np.signbit(yc.detach().numpy()), np.signbit(yt.detach().numpy()))
    np.testing.assert_array_equal(xc.grad.numpy(), xt.grad.numpy())


def test_relu_gradient_at_zero_is_zero():
    x = cr.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    cr.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 1.0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_softplus_threshold(dtype):
    # β·x just below, at, and above the threshold: softplus switches to x where β·x > threshold
    x = np.array([-30.0, 9.9, 10.0, 10.1, 25.0])
    check_against_torch(act("softplus", beta=2.0, threshold=20.0), x, dtype=dtype)
    check_against_torch(act("softplus", beta=0.5, threshold=1.0), x / 5, dtype=dtype)
    check_against_torch(act("softplus"), np.array([19.9, 20.0, 20.1, -40.0]), dtype=dtype)


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh'"):
        cr.gelu(cr.ones(2), approximate="erf")


def test_int_input_becomes_float32():
    x = cr.tensor([[-2, 0, 3]])
    for name in ["tanh", "sigmoid"]:
        y = getattr(cr, name)(x)
        ref = getattr(torch, name)(torch.tensor([[-2, 0, 3]]))
        assert y.dtype == np.float32
        np.testing.assert_allclose(y.numpy(), ref.numpy(), rtol=1e-6)


# ------------------------------------------------------------------ softmax, log_softmax
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, 2, -1, -2, -3])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_dims(name, dim, dtype):
    check_against_torch(act(name, dim=dim), (2, 3, 4), dtype=dtype)
    check_against_torch(lambda x: getattr(x, name)(dim), (2, 3, 4), dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_edge_shapes(name, dtype):
    check_against_torch(act(name, dim=0), (), dtype=dtype)  # 0-d: softmax 1, log_softmax 0
    check_against_torch(act(name, dim=-1), (), dtype=dtype)
    check_against_torch(act(name, dim=-1), (3, 0), dtype=dtype)  # empty along dim
    check_against_torch(act(name, dim=0), (0, 3), dtype=dtype)
    check_against_torch(act(name, dim=1), (4, 1), dtype=dtype)  # a single class


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_large_logits(name, dtype):
    check_against_torch(act(name, dim=1), (3, 5), low=-1000, high=1000, dtype=dtype)
    x = np.array([[1000.0, 0.0, -1000.0], [1000.0, 1000.0, 999.0], [-np.inf, 0.0, 1.0]])
    check_against_torch(act(name, dim=-1), x, dtype=dtype)


def test_softmax_closed_form():
    y = cr.softmax(cr.tensor([1000.0, 1000.0]), dim=0)
    np.testing.assert_array_equal(y.numpy(), [0.5, 0.5])
    y = cr.log_softmax(cr.tensor([0.0, np.log(3.0)], dtype=cr.float64), dim=0)
    np.testing.assert_allclose(y.numpy(), np.log([0.25, 0.75]), rtol=1e-12)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_dim_out_of_range(name):
    with pytest.raises(IndexError, match=rf"{name}: dim 3 is out of range"):
        getattr(cr, name)(cr.ones(2, 3), dim=3)
    with pytest.raises(IndexError, match=rf"{name}: dim 1 is out of range"):
        getattr(cr, name)(cr.tensor(1.0), dim=1)


# ------------------------------------------------------------------ second oracle: gradcheck
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_gradcheck(name):
    fn = ACTIVATIONS[name][0]
    # each side of 0, away from the kinks of relu, leaky_relu and elu
    check_gradcheck(fn, (2, 3), low=0.2, high=2.0)
    check_gradcheck(fn, (2, 3), low=-2.0, high=-0.2)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [0, -1])
def test_gradcheck_softmax_dims(name, dim):
    check_gradcheck(act(name, dim=dim), (3, 4), low=-3, high=3)


@pytest.mark.parametrize(
    "name, kw",
    [
        ("leaky_relu", {"negative_slope": 0.2}),
        ("leaky_relu", {"negative_slope": 1.5}),
        ("elu", {"alpha": 0.7}),
        ("softplus", {"beta": 2.0, "threshold": 3.0}),
    ],
)
def test_numpy_scalar_options_act_as_the_numbers_they_hold(name, kw):
    """torch reads numpy.float64(0.2) as 0.2: float32 stays float32. NumPy 2 kept its dtype and
    made the result float64."""
    a = np.random.default_rng(0).uniform(-3, 3, (4, 5)).astype(np.float32)
    npkw = {k: np.float64(v) for k, v in kw.items()}
    x = cr.tensor(a, requires_grad=True)
    y = act(name, **npkw)(x)
    ref = act(name, **npkw)(torch.tensor(a))
    assert y.dtype == cr.float32 and ref.dtype == torch.float32
    np.testing.assert_allclose(y.detach().numpy(), ref.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(y.detach().numpy(), act(name, **kw)(cr.tensor(a)).numpy())
    y.sum().backward()
    assert x.grad.dtype == cr.float32


@pytest.mark.parametrize("name, option", [("leaky_relu", "negative_slope"), ("elu", "alpha")])
def test_an_option_that_is_not_a_number_is_named(name, option):
    with pytest.raises(TypeError, match=rf"{name}: {option} must be a number, got str '0\.2'"):
        act(name, **{option: "0.2"})(cr.ones(3))


@pytest.mark.parametrize(
    "name,kw", [("relu", {}), ("elu", {"alpha": 0.5}), ("leaky_relu", {"negative_slope": 0.2})]
)
def test_inplace_forms_of_relu_elu_leaky_relu_match_torch(name, kw):
    """F.relu(x, inplace=True) and F.relu_(x) overwrite x and return it, with torch's values
    and the gradient through the in-place op."""
    import chainrule.nn.functional as CF

    a = np.array([-1.5, -0.2, 0.0, 0.7, 3.0], np.float32)
    for form in ("flag", "underscore"):
        x, t = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        y, u = x * 2.0, t * 2.0
        if form == "flag":
            out = getattr(CF, name)(y, **kw, inplace=True)
            getattr(torch.nn.functional, name)(u, **kw, inplace=True)
        else:
            out = getattr(CF, name + "_")(y, *kw.values())
            getattr(torch.nn.functional, name + "_")(u, *kw.values())
        assert out is y
        np.testing.assert_allclose(y.data, u.detach().numpy(), rtol=1e-6)
        (y * y).sum().backward()
        (u * u).sum().backward()
        np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-6)
