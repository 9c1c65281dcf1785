"""The extra activations (silu, mish, hardswish, hardsigmoid, hardtanh, relu6, selu, celu,
softsign, logsigmoid, softshrink, hardshrink, tanhshrink, threshold, glu, prelu, rrelu,
softmin) against torch: values, dtypes, gradients and second-order gradients, with
chainrule's own gradcheck as the second oracle."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import assert_close, check_against_torch, check_gradcheck, on_device

import chainrule as cr
from chainrule.functions import activation_extra as E

DTYPES = ["float64", "float32"]
SHAPES = [(), (0,), (7,), (3, 4), (2, 0, 3), (2, 3, 5)]


def act(name, *args, **kw):
    """The activation ``name`` from torch.nn.functional or activation_extra, whichever fits."""
    return lambda x: getattr(F if isinstance(x, torch.Tensor) else E, name)(x, *args, **kw)


def _hardsigmoid(x):
    """torch's hardsigmoid kernel differentiates with 1/6 rounded to float32 even in float64:
    the oracle is its forward formula, whose gradient is an exact 1/6 on (−3, 3)."""
    if isinstance(x, torch.Tensor):
        return F.hardtanh(x + 3, 0.0, 6.0) / 6
    return E.hardsigmoid(x)


ELEMENTWISE = {  # id: (fn, low, high)
    "silu": (act("silu"), -6, 6),
    "mish": (act("mish"), -6, 6),
    "hardswish": (act("hardswish"), -5, 5),
    "hardsigmoid": (lambda x: _hardsigmoid(x), -5, 5),
    "hardtanh": (act("hardtanh"), -2, 2),
    "hardtanh_-2_0.5": (act("hardtanh", -2.0, 0.5), -3, 3),
    "relu6": (act("relu6"), -2, 8),
    "selu": (act("selu"), -3, 3),
    "celu": (act("celu"), -3, 3),
    "celu_0.5": (act("celu", alpha=0.5), -3, 3),
    "celu_-2": (act("celu", alpha=-2.0), -3, 3),
    "softsign": (act("softsign"), -4, 4),
    "logsigmoid": (act("logsigmoid"), -8, 8),
    "softshrink": (act("softshrink"), -2, 2),
    "softshrink_1.2": (act("softshrink", 1.2), -2, 2),
    "hardshrink": (act("hardshrink"), -2, 2),
    "hardshrink_-0.3": (act("hardshrink", -0.3), -2, 2),
    "tanhshrink": (act("tanhshrink"), -3, 3),
    "threshold": (act("threshold", 0.1, 20.0), -1, 1),
    "threshold_neg": (act("threshold", -0.5, -3.0), -1, 1),
    "rrelu_eval": (act("rrelu"), -2, 2),
    "rrelu_eval_0.1_0.9": (act("rrelu", 0.1, 0.9), -2, 2),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise(name, shape, dtype):
    fn, low, high = ELEMENTWISE[name]
    check_against_torch(fn, shape, dtype=dtype, low=low, high=high)


KINKS = np.array([-np.inf, -6.0, -3.0, -2.0, -1.0, -0.5, -0.1, -0.0, 0.0, 0.1, 0.5, 1.0, 3.0])
KINKS = np.concatenate([KINKS, [6.0, 20.0, np.inf, np.nan]])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_kinks_and_non_finite_match_torch_exactly_where_torch_is(name, dtype):
    """At the kinks (±3, 0, ±λ, the bounds, the threshold), at ±inf and NaN: values and
    gradients as torch's kernels give them, NaN propagated the same way."""
    fn = ELEMENTWISE[name][0]
    # torch's own hardsigmoid here, for its NaN rule (gradient 0); its 1/6 is float32's
    torch_fn = F.hardsigmoid if name == "hardsigmoid" else fn
    x = KINKS.astype(dtype)
    g = np.linspace(-1.5, 2.0, x.size).astype(dtype)
    xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yc, yt = fn(xc), torch_fn(xt)
    yc.backward(cr.tensor(g))
    yt.backward(torch.tensor(g))
    assert_close(yc.detach(), yt, dtype, "value")
    np.testing.assert_array_equal(np.isnan(yc.detach().numpy()), np.isnan(yt.detach().numpy()))
    assert_close(xc.grad, xt.grad, "float32" if name == "hardsigmoid" else dtype, "grad")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_second_order_at_kinks(name, dtype):
    """The gradient of the gradient at exactly the kinks (where torch's formulas switch)."""
    x = np.array([-3.0, -2.0, -1.0, -0.5, 0.0, 0.1, 0.5, 1.0, 3.0, 6.0, 2.5, -4.0])
    check_against_torch(ELEMENTWISE[name][0], x, dtype=dtype)


LARGE = np.array([-1000.0, -100.0, -40.0, -20.0, -1e-8, 0.0, 1e-8, 20.0, 40.0, 100.0, 1000.0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["silu", "mish", "selu", "celu", "logsigmoid", "softsign"])
def test_large_inputs_without_overflow(name, dtype):
    # torch's mish double backward is NaN from x ≈ 89 on (eˣ overflows: inf·0); see below
    x = LARGE[2:-2] if name == "mish" else LARGE
    with np.errstate(over="raise", invalid="raise"):
        check_against_torch(ELEMENTWISE[name][0], x, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mish_second_derivative_is_finite_far_out(dtype):
    """mish''(x) → 0 as |x| → ∞ (mish is x there, or 0): finite, where torch's is NaN."""
    x = cr.tensor([-1000.0, -100.0, 100.0, 1000.0], dtype=getattr(cr, dtype), requires_grad=True)
    with np.errstate(over="raise", invalid="raise"):
        (gx,) = cr.grad(E.mish(x).sum(), [x], create_graph=True)
        (ggx,) = cr.grad(gx.sum(), [x])
    np.testing.assert_array_equal(gx.detach().numpy(), [0.0, 0.0, 1.0, 1.0])
    assert np.all(np.abs(ggx.numpy()) < 1e-30)


@pytest.mark.parametrize("dtype", DTYPES)
def test_logsigmoid_is_stable_in_the_tails(dtype):
    """ln σ(x) for x = −1000 is −1000 (not −inf), for x = 40 it is −e⁻⁴⁰ (not 0), and the
    gradient σ(−x) keeps its relative precision there (no 1 − σ cancellation)."""
    x = cr.tensor(np.array([-1000.0, -40.0, 40.0, 60.0], dtype=dtype), requires_grad=True)
    y = E.logsigmoid(x)
    y.sum().backward()
    ref = -np.log1p(np.exp(-np.array([-1000.0, -40.0, 40.0, 60.0])))
    ref[0] = -1000.0
    np.testing.assert_allclose(y.detach().numpy(), ref, rtol=1e-6)
    assert y.detach().numpy()[3] < 0
    np.testing.assert_allclose(x.grad.numpy()[2:], np.exp(-np.array([40.0, 60.0])), rtol=1e-6)
    assert y.dtype == getattr(cr, dtype) and x.grad.dtype == getattr(cr, dtype)


def test_closed_forms():
    x = cr.tensor([-4.0, -1.5, 0.0, 1.5, 4.0], dtype=cr.float64)
    xs = np.array([-4.0, -1.5, 0.0, 1.5, 4.0])
    np.testing.assert_allclose(E.hardswish(x).numpy(), xs * np.clip(xs + 3, 0, 6) / 6)
    np.testing.assert_allclose(E.hardsigmoid(x).numpy(), np.clip(xs + 3, 0, 6) / 6)
    np.testing.assert_allclose(E.silu(x).numpy(), xs / (1 + np.exp(-xs)), rtol=1e-14)
    np.testing.assert_allclose(E.softsign(x).numpy(), xs / (1 + np.abs(xs)))
    np.testing.assert_allclose(
        E.celu(x, 2.0).numpy(), np.where(xs > 0, xs, 2 * (np.exp(xs / 2) - 1)), rtol=1e-14
    )


@pytest.mark.parametrize("alpha", [0.7, 1.3, -0.3])
def test_celu_gradient_is_exact_for_any_alpha(alpha):
    """∂celu/∂x = e^(x/α) for x ≤ 0. torch's float64 backward rounds 1/α to float32 (2e-9
    off for α = 0.7): its gradient is the oracle at float32's tolerance, the closed form at
    float64's."""
    a = np.array([-3.0, -1.3, -0.5, -0.0, 0.0, 0.4, 2.0])
    xc, xt = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    E.celu(xc, alpha).sum().backward()
    F.celu(xt, alpha).sum().backward()
    np.testing.assert_allclose(xc.grad.numpy(), np.where(a > 0, 1.0, np.exp(a / alpha)), 1e-15)
    assert_close(xc.grad, xt.grad, "float32")
    check_against_torch(act("celu", alpha), a, dtype="float32")


# ------------------------------------------------------------------ dtypes and options
@pytest.mark.parametrize("name", ["hardtanh", "relu6", "threshold"])
def test_integer_input_keeps_its_dtype(name):
    fn = ELEMENTWISE[name][0]
    a = np.array([[-7, -1, 0, 1, 3, 9]])
    y, ref = fn(cr.tensor(a)), fn(torch.tensor(a))
    assert y.dtype == cr.int64 and ref.dtype == torch.int64
    np.testing.assert_array_equal(y.numpy(), ref.numpy())


@pytest.mark.parametrize("name", ["softsign", "tanhshrink"])
def test_integer_input_becomes_float32(name):
    a = np.array([-2, 0, 3])
    y, ref = ELEMENTWISE[name][0](cr.tensor(a)), ELEMENTWISE[name][0](torch.tensor(a))
    assert y.dtype == cr.float32 and ref.dtype == torch.float32
    np.testing.assert_allclose(y.numpy(), ref.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["hardtanh", "celu", "softshrink", "threshold", "rrelu"])
def test_numpy_scalar_options_keep_float32(name):
    args = {"hardtanh": (-0.5, 0.7), "celu": (0.7,), "softshrink": (0.3,)}
    args.update({"threshold": (0.1, 0.25), "rrelu": (0.2, 0.4)})
    a = np.random.default_rng(0).uniform(-3, 3, (4, 5)).astype(np.float32)
    np_args = [np.float64(v) for v in args[name]]
    y, ref = act(name, *np_args)(cr.tensor(a)), act(name, *np_args)(torch.tensor(a))
    assert y.dtype == cr.float32 and ref.dtype == torch.float32
    np.testing.assert_allclose(y.numpy(), ref.numpy(), rtol=1e-6, atol=1e-7)


def test_errors_name_the_op_and_values():
    x = cr.ones(3)
    with pytest.raises(ValueError, match=r"hardtanh: min_val cannot be greater than max_val, "):
        E.hardtanh(x, 1.0, -1.0)
    with pytest.raises(ValueError, match=r"celu: alpha cannot be 0"):
        E.celu(x, 0.0)
    with pytest.raises(ValueError, match=r"softshrink: lambd must be >= 0, got -1"):
        E.softshrink(x, -1.0)
    with pytest.raises(ValueError, match=r"rrelu: lower must be <= upper, got 0.5 > 0.2"):
        E.rrelu(x, 0.5, 0.2)
    with pytest.raises(TypeError, match=r"hardshrink: expected a floating-point input, got int"):
        E.hardshrink(cr.tensor([1, 2]))
    with pytest.raises(TypeError, match=r"threshold: value must be a number, got str"):
        E.threshold(x, 0.1, "2")
    with pytest.raises(TypeError, match=r"hardtanh: min_val must be a number"):
        E.hardtanh(x, None)


def test_hardtanh_equal_bounds():
    check_against_torch(act("hardtanh", 0.5, 0.5), np.array([-1.0, 0.5, 2.0]))


# ------------------------------------------------------------------ glu
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, dim", [((4,), 0), ((3, 6), -1), ((4, 3), 0), ((2, 4, 3), 1)])
def test_glu(shape, dim, dtype):
    check_against_torch(act("glu", dim), shape, dtype=dtype, low=-4, high=4)


def test_glu_default_dim_and_empty():
    check_against_torch(act("glu"), (3, 0, 4))
    check_against_torch(act("glu", 1), (3, 0, 4))


def test_glu_errors():
    with pytest.raises(ValueError, match=r"glu: halving dimension must be even, but dimension 1"):
        E.glu(cr.ones(2, 3))
    with pytest.raises(ValueError, match=r"glu: does not support scalars"):
        E.glu(cr.tensor(1.0))
    with pytest.raises(IndexError, match=r"glu: dim 2 is out of range"):
        E.glu(cr.ones(2, 4), dim=2)


# ------------------------------------------------------------------ prelu
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "xshape, wshape",
    [((2, 3), (3,)), ((2, 3, 4), (3,)), ((2, 3, 4, 5), (3,)), ((2, 3, 4), (1,)), ((5,), (1,))]
    + [((), (1,)), ((), ()), ((4, 2), ()), ((0, 3), (3,))],
    ids=str,
)
def test_prelu(xshape, wshape, dtype):
    rng = np.random.default_rng(1)
    w = rng.uniform(-0.5, 1.5, wshape).astype(dtype)
    check_against_torch(
        lambda x, w: (F if isinstance(x, torch.Tensor) else E).prelu(x, w),
        xshape,
        w,
        dtype=dtype,
    )


def test_prelu_at_zero_and_nan():
    x = np.array([[-1.0, 0.0, -0.0], [np.nan, 2.0, -3.0]])
    w = np.array([0.3, -0.2, 0.7])
    check_against_torch(lambda x, w: (F if isinstance(x, torch.Tensor) else E).prelu(x, w), x, w)


def test_prelu_errors():
    with pytest.raises(ValueError, match=r"prelu: weight has 2 parameters but the input \(shape"):
        E.prelu(cr.ones(2, 3), cr.ones(2))
    with pytest.raises(ValueError, match=r"has 1 channels"):
        E.prelu(cr.ones(3), cr.ones(3))
    with pytest.raises(ValueError, match=r"prelu: weight must be a scalar or 1-D, got shape"):
        E.prelu(cr.ones(2, 3), cr.ones(1, 3))
    with pytest.raises(TypeError, match=r"prelu: input and weight dtypes differ: float32 and f"):
        E.prelu(cr.ones(2, 3), cr.ones(3, dtype=cr.float64))


# ------------------------------------------------------------------ rrelu
def test_rrelu_eval_is_leaky_relu_with_the_mean_slope():
    x = np.array([-2.0, -0.0, 0.0, 1.0])
    check_against_torch(act("rrelu", 0.2, 0.4, training=False), x)
    y = E.rrelu(cr.tensor(x), 0.2, 0.4)
    np.testing.assert_allclose(y.numpy(), [-0.6, 0.0, 0.0, 1.0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_rrelu_training_draws_slopes_in_range_and_differentiates_through_them(dtype):
    cr.manual_seed(0)
    a = np.random.default_rng(3).uniform(-2, 2, (200, 50)).astype(dtype)
    a[0, :3] = [0.0, -0.0, np.nan]
    x = cr.tensor(a, requires_grad=True)
    y = E.rrelu(x, 0.1, 0.3, training=True)
    assert y.dtype == getattr(cr, dtype)
    g = np.random.default_rng(4).standard_normal(a.shape).astype(dtype)
    y.backward(cr.tensor(g))
    yv, gx = y.detach().numpy(), x.grad.numpy()
    pos, neg = a > 0, a < 0
    np.testing.assert_array_equal(yv[pos], a[pos])  # x > 0 passes
    np.testing.assert_array_equal(gx[pos], g[pos])
    slope = yv[neg] / a[neg]
    assert slope.min() >= 0.1 - 1e-6 and slope.max() <= 0.3 + 1e-6
    # uniform on [0.1, 0.3]: mean 0.2, variance 0.2²/12
    assert abs(slope.mean() - 0.2) < 0.003
    assert abs(slope.var() - 0.04 / 12) < 3e-4
    # the gradient uses the very slope that was drawn, element by element
    np.testing.assert_allclose(gx[neg], g[neg] * slope, rtol=1e-5)
    assert len(np.unique(slope)) > 1000  # one draw per element
    # at x = ±0 the slope is drawn too (x ≤ 0, as torch): the gradient is g times it
    zero_slope = gx[0, :2] / g[0, :2]
    assert np.all((zero_slope >= 0.1 - 1e-6) & (zero_slope <= 0.3 + 1e-6)), zero_slope
    assert np.isnan(yv[0, 2])


def test_rrelu_training_is_seeded():
    cr.manual_seed(7)
    x = cr.tensor(np.linspace(-2, 2, 9), requires_grad=True)
    y1 = E.rrelu(x, training=True)
    cr.manual_seed(7)
    y2 = E.rrelu(x, training=True)
    np.testing.assert_array_equal(y1.detach().numpy(), y2.detach().numpy())
    cr.manual_seed(8)
    assert not np.array_equal(E.rrelu(x, training=True).detach().numpy(), y1.detach().numpy())


# ------------------------------------------------------------------ softmin
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, -1, -3])
def test_softmin(dim, dtype):
    check_against_torch(act("softmin", dim), (2, 3, 4), dtype=dtype)


def test_softmin_dtype_and_large_and_empty():
    check_against_torch(act("softmin", 1), (3, 5), low=-1000, high=1000)
    check_against_torch(act("softmin", -1), (3, 0))
    check_against_torch(act("softmin", 0), ())
    check_against_torch(
        act("softmin", 1, dtype=cr.float64),
        (2, 3),
        dtype="float32",
        torch_fn=lambda x: F.softmin(x, 1, dtype=torch.float64),
    )


@pytest.mark.parametrize("shape", [(5,), (2, 3), (2, 3, 4), (2, 3, 4, 5)])
def test_softmin_implicit_dim_warns_as_torch(shape):
    x = np.random.default_rng(0).standard_normal(shape)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        y = E.softmin(cr.tensor(x))
    with pytest.warns(UserWarning):
        ref = F.softmin(torch.from_numpy(x))
    assert_close(y, ref)


def test_softmin_dim_error():
    with pytest.raises(IndexError, match=r"softmax: dim 2 is out of range"):
        E.softmin(cr.ones(2, 3), 2)


# ------------------------------------------------------------------ inplace
INPLACE = {
    "silu": (),
    "mish": (),
    "hardswish": (),
    "hardsigmoid": (),
    "hardtanh": (-0.5, 0.5),
    "relu6": (),
    "selu": (),
    "celu": (0.7,),
    "threshold": (0.2, -1.0),
    "rrelu": (0.1, 0.3, False),
}


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_writes_into_input_and_differentiates(name):
    args = INPLACE[name]
    # torch's float64 hardsigmoid rounds 1/6 to float32 (see _hardsigmoid), and its celu
    # backward 1/α (test_celu_gradient_is_exact_for_any_alpha)
    tol = "float32" if name in ("hardsigmoid", "celu") else "float64"
    a = np.random.default_rng(2).uniform(-4, 4, (3, 4))
    # no graph: the input's own array is overwritten
    x = on_device(a.copy())
    y = getattr(E, name)(x, *args, inplace=True)
    ref = getattr(F, name)(torch.tensor(a), *args)
    assert y is x
    assert_close(x.data, ref, tol)
    # under autograd: the op is recorded on the input, as torch's x*1 then op_
    xc, xt = on_device(a).requires_grad_(), torch.tensor(a, requires_grad=True)
    hc, ht = xc * 1.0, xt * 1.0
    yc = getattr(E, name)(hc, *args, inplace=True)
    yt = getattr(F, name)(ht, *args, inplace=True)
    assert yc is hc
    g = np.random.default_rng(3).standard_normal(a.shape)
    yc.backward(on_device(g))
    yt.backward(torch.tensor(g))
    assert_close(yc.detach(), yt, tol)
    assert_close(xc.grad, xt.grad, tol)


@pytest.mark.parametrize(
    "name, args",
    [("hardtanh_", (-0.5, 0.25)), ("selu_", ()), ("celu_", (0.5,)), ("threshold_", (0.1, 2.0))]
    + [("rrelu_", (0.1, 0.3))],
)
def test_inplace_spellings(name, args):
    a = np.random.default_rng(5).uniform(-3, 3, (2, 5))
    x = on_device(a.copy())
    assert getattr(E, name)(x, *args) is x
    ref = torch.from_numpy(a.copy())
    getattr(F, name)(ref, *args)
    assert_close(x.data, ref)


def test_inplace_on_leaf_requiring_grad_raises():
    with pytest.raises(RuntimeError, match="leaf"):
        E.silu(cr.randn(3, requires_grad=True), inplace=True)


# ------------------------------------------------------------------ second oracle: gradcheck
GRADCHECK = [n for n in ELEMENTWISE if not n.startswith(("threshold", "hard", "relu6", "soft"))]


@pytest.mark.parametrize("name", GRADCHECK + ["softsign", "hardswish", "hardsigmoid"])
def test_gradcheck(name):
    fn = ELEMENTWISE[name][0]
    check_gradcheck(fn, (2, 3), low=0.2, high=2.5)  # each side of 0, away from the kinks
    check_gradcheck(fn, (2, 3), low=-2.5, high=-0.2)


def test_gradcheck_composed():
    check_gradcheck(lambda x: E.glu(x, 0), (4, 3))
    check_gradcheck(lambda x, w: E.prelu(x, w), (2, 3, 2), np.array([0.25, -0.5, 1.5]))
    check_gradcheck(lambda x: E.softmin(x, 1), (2, 4))
    check_gradcheck(lambda x: E.softshrink(x, 0.1), (2, 3), low=0.2, high=2.0)
    check_gradcheck(lambda x: E.hardtanh(x, -3.0, 3.0), (2, 3), low=-2.5, high=2.5)


@pytest.mark.parametrize("hard", [False, True])
def test_gumbel_softmax_samples_follow_softmax_of_the_logits(hard):
    """argmax of softmax((x + g)/τ) with Gumbel g is distributed as softmax(x) (the Gumbel-max
    trick), for any τ; samples sum to 1 on ``dim``, and with ``hard`` are one-hot in the forward
    while the gradient is the soft sample's."""
    cr.manual_seed(3)
    logits = np.log(np.array([0.1, 0.2, 0.7], np.float32))
    n = 20_000
    x = cr.tensor(np.tile(logits, (n, 1)), requires_grad=True)
    y = E.gumbel_softmax(x, tau=0.5, hard=hard)
    np.testing.assert_allclose(y.data.sum(1), 1.0, rtol=1e-5)
    freq = np.bincount(y.data.argmax(1), minlength=3) / n
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.7], atol=0.015)
    if hard:
        assert set(np.unique(y.data)) == {0.0, 1.0}
    w = cr.tensor(np.random.default_rng(0).standard_normal((n, 3)).astype(np.float32))
    (y * w).sum().backward()
    assert np.isfinite(x.grad.data).all() and np.abs(x.grad.data).sum() > 0
    np.testing.assert_allclose(x.grad.data.sum(1), 0.0, atol=1e-4)  # softmax's Jacobian rows
