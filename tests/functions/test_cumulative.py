"""Running ops (cumsum, cumprod, diff) against torch: values, gradients (cumprod's exact
also where x has zeros) and second-order gradients."""

import numpy as np
import pytest
import torch
from helpers import check_against_torch, check_gradcheck, host, on_device

import chainrule as cr
from chainrule.functions.cumulative import cummax, cummin, cumprod, diff, logcumsumexp

DTYPES = ["float64", "float32"]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    "shape, dim", [((5,), 0), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), -2), ((), 0), ((2, 0), 1)]
)
def test_cumsum_against_torch(shape, dim, dtype):
    """The gradient of a running sum is the running sum of gy from the end."""
    check_against_torch(lambda x: x.cumsum(dim) * x, shape, dtype=dtype)
    check_against_torch(
        lambda x: (torch if isinstance(x, torch.Tensor) else cr).cumsum(x, dim), shape, dtype=dtype
    )


def test_cumsum_of_ints_and_bools_is_int64_and_dtype_casts_first():
    a = np.array([[3, -1, 4], [1, 5, -9]], dtype=np.int32)
    for arr in (a, a > 0):
        ours, ref = cr.tensor(arr).cumsum(1), torch.tensor(arr).cumsum(1)
        assert ours.dtype == cr.int64 and ref.dtype == torch.int64
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    ours = cr.cumsum(cr.tensor(a), 0, dtype=cr.float64)
    assert ours.dtype == cr.float64
    np.testing.assert_array_equal(
        ours.numpy(), torch.cumsum(torch.tensor(a), 0, dtype=torch.float64)
    )
    with pytest.raises(IndexError):
        cr.tensor(a).cumsum(2)


# ---------------------------------------------------------------- cumprod
def _cumprod(dim):
    return lambda x: cumprod(x, dim) if isinstance(x, cr.Tensor) else torch.cumprod(x, dim)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shape, dim", [((7,), 0), ((3, 4), 1), ((3, 4), -2), ((2, 3, 5), 1), ((2, 1, 4), -1), ((), 0)]
)
def test_cumprod_against_torch(shape, dim, dtype):
    """Without zeros: gxₖ = Σ_{i≥k} gyᵢ yᵢ / xₖ; first and second order."""
    check_against_torch(_cumprod(dim), shape, dtype=dtype, low=0.5, high=1.5)
    check_against_torch(lambda x: _cumprod(dim)(x) * x, shape, dtype=dtype, low=-1.5, high=1.5)


ZEROS = {
    "one_zero": [1.5, -2.0, 0.0, 3.0, 0.5, 2.0],
    "two_zeros": [1.5, 0.0, 2.0, 0.0, 0.5, 3.0],
    "zero_first": [0.0, 2.0, -1.5, 3.0, 0.5, 2.0],
    "zero_last": [1.5, -2.0, 2.5, 3.0, 0.5, 0.0],
    "adjacent_zeros": [1.5, 0.0, 0.0, 3.0, 0.5, 2.0],
    "all_zeros": [0.0] * 6,
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(ZEROS))
def test_cumprod_with_zeros_against_torch(name, dtype):
    """With zeros the quotient fails; the gradient at the first zero skips it, and past it is
    0 (O(n)). With create_graph the O(n²) sum gives torch's second derivative too."""
    row = np.array(ZEROS[name])
    a = np.stack([row, row[::-1], np.linspace(0.5, 2.0, 6)])  # and a row without zeros
    for dim, arr in ((1, a), (-2, a.T.copy()), (0, row)):
        check_against_torch(_cumprod(dim), arr, dtype=dtype, gradgrad=False)  # the O(n) path
        check_against_torch(_cumprod(dim), arr, dtype=dtype)
        check_against_torch(lambda x, d=dim: _cumprod(d)(x) * x, arr, dtype=dtype)


def test_cumprod_gradient_with_zeros_in_closed_form():
    """y = (2, 0, 0): ∂/∂x = (gy₀ + 3 gy₁ * 0..., ...) written out: x = (2, 0, 3)."""
    x = cr.tensor([2.0, 0.0, 3.0], requires_grad=True)
    cumprod(x, 0).backward(cr.tensor([1.0, 10.0, 100.0]))
    # gx₀ = 1 + 10·0 + 100·0·3, gx₁ = 10·2 + 100·2·3, gx₂ = 100·2·0
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 620.0, 0.0])


def test_cumprod_gradient_ignores_infinities_past_a_zero():
    """Past a zero, y = 0 · inf = NaN; the gradient before the zero must not read it (torch)."""
    inf = float("inf")
    a = np.array([[1.5, 0.0, inf, 2.0], [2.0, -1.0, 0.0, -inf], [0.5, 2.0, 3.0, 4.0]])
    check_against_torch(_cumprod(1), a, gradgrad=False)


def test_cumprod_gradcheck_with_zeros():
    a = np.array([[1.5, 0.0, 2.0, -1.0], [0.0, 2.0, 0.0, 0.5]])
    check_gradcheck(lambda x: cumprod(x, 1) * x, a)


def test_cumprod_of_ints_and_bools_is_int64_and_dtype_casts_first():
    a = np.array([[3, -1, 4], [1, 5, -9]], dtype=np.int32)
    for arr in (a, a > 0):
        check_against_torch(_cumprod(1), arr)
    ours = cumprod(cr.tensor(a), 0, dtype=cr.float32)
    assert ours.dtype == cr.float32
    np.testing.assert_array_equal(
        ours.numpy(), torch.cumprod(torch.tensor(a), 0, dtype=torch.float32)
    )
    with pytest.raises(IndexError, match="cumprod: dim 2 is out of range"):
        cumprod(cr.tensor(a), 2)


# ---------------------------------------------------------------- diff
def _diff(*args, **kw):
    return lambda x: (torch.diff if isinstance(x, torch.Tensor) else diff)(x, *args, **kw)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shape, n, dim",
    [
        ((7,), 1, -1),
        ((7,), 3, 0),
        ((3, 5), 2, 1),
        ((4, 3), 1, -2),
        ((2, 3, 4), 2, 1),
        ((3,), 5, 0),
        ((3, 4), 0, 0),
    ],
)
def test_diff_against_torch(shape, n, dim, dtype):
    check_against_torch(lambda x: _diff(n, dim)(x) ** 2, shape, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_diff_prepend_append_against_torch(dtype):
    def f(x, p, q):
        return _diff(2, 0, prepend=p, append=q)(x) ** 2

    check_against_torch(f, (4, 3), (2, 3), (1, 3), dtype=dtype)
    check_against_torch(lambda x, p: _diff(1, -1, prepend=p)(x) ** 2, (3, 4), (3, 2), dtype=dtype)
    check_against_torch(lambda x, q: _diff(1, -1, append=q)(x) ** 2, (3, 4), (3, 1), dtype=dtype)


def test_diff_ints_and_bools():
    check_against_torch(_diff(), np.array([1, 4, 9, 16, 25], np.int32))
    check_against_torch(_diff(2, 0), np.array([[1, 4], [9, 16], [25, 36]], np.int64))
    check_against_torch(_diff(), np.array([True, False, False, True, True]))


def test_diff_errors():
    with pytest.raises(ValueError, match="diff: expected an input of at least one dimension"):
        diff(cr.tensor(1.0))
    with pytest.raises(ValueError, match="diff: n must be non-negative, got -1"):
        diff(cr.tensor([1.0, 2.0]), -1)
    with pytest.raises(ValueError, match=r"prepend shape \(\) for input shape \(1, 3\)"):
        diff(cr.tensor([[1.0, 2.0, 4.0]]), prepend=cr.tensor(3.0))
    with pytest.raises(IndexError, match="diff: dim 2 is out of range"):
        diff(cr.tensor([[1.0, 2.0]]), dim=2)


# ---------------------------------------------------------------- cummax, cummin
def _running(name, dim):
    ours = {"cummax": cummax, "cummin": cummin}[name]
    return lambda x: getattr(torch, name)(x, dim) if isinstance(x, torch.Tensor) else ours(x, dim)


RUNS = {
    "ties_and_nans": np.array([1.0, 3.0, 3.0, 2.0, float("nan"), 5.0, float("nan")]),
    "ties_down": np.array([3.0, 1.0, 1.0, 2.0, 1.0]),
    "ints": np.array([[1, 2, 2], [3, 1, 3]]),
    "scalar": np.array(2.0),
    "empty": np.zeros((2, 0)),
}


@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("case", list(RUNS))
def test_cummax_cummin_values_and_indices_against_torch(case, name):
    """Ties: the latest position (torch's >= and <=); NaN, once met, stays, at each new NaN."""
    a = RUNS[case]
    for dim in range(-max(a.ndim, 1), max(a.ndim, 1)):
        ours, ref = _running(name, dim)(on_device(a)), _running(name, dim)(torch.from_numpy(a))
        assert type(ours).__name__ == name and ours.indices.dtype == cr.int64
        assert ours.values.dtype == cr.tensor(a).dtype
        np.testing.assert_array_equal(host(ours.values), ref.values.numpy())
        np.testing.assert_array_equal(host(ours.indices), ref.indices.numpy())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize(
    "shape, dim", [((7,), 0), ((3, 6), 1), ((5, 2), 0), ((2, 3, 4), -2), ((), 0)]
)
def test_cummax_cummin_gradient_against_torch(shape, dim, name, dtype):
    """gy summed back to where each running extreme came from; second order through it."""
    check_against_torch(lambda x: _running(name, dim)(x).values ** 2, shape, dtype=dtype)


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_cummax_cummin_gradient_with_ties(name):
    """A tie hands the gradient to the later position, as torch."""
    a = np.array([[1.0, 3.0, 3.0, 2.0, 3.0], [2.0, 2.0, 1.0, 1.0, 0.5]])
    check_against_torch(lambda x: _running(name, 1)(x).values * x, a)
    with pytest.raises(IndexError, match=f"{name}: dim 2 is out of range"):
        _running(name, 2)(cr.zeros(2, 3))


# ---------------------------------------------------------------- logcumsumexp
def _lcse(dim):
    return lambda x: (
        torch.logcumsumexp(x, dim) if isinstance(x, torch.Tensor) else logcumsumexp(x, dim)
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shape, dim", [((6,), 0), ((3, 5), 1), ((3, 5), 0), ((2, 3, 4), -2), ((), 0), ((2, 0), 1)]
)
def test_logcumsumexp_against_torch(shape, dim, dtype):
    """First order through the log-space reversed sums, second through the O(n²) definition."""
    check_against_torch(_lcse(dim), shape, dtype=dtype, low=-5, high=5)
    check_against_torch(lambda x: _lcse(dim)(x) * x, shape, dtype=dtype, low=-5, high=5)


def test_logcumsumexp_is_stable_at_extremes():
    """|x| up to 1000: no overflow, no underflow to -inf, in values or gradients. In float32,
    y ≈ 1000 carries an error of an ulp (6e-5), and so does exp(x − y): torch's gradient and
    ours are then both compared with the float64 one, at that precision."""
    a = np.array([[-1000.0, 0.0, 1000.0, 999.0, -5.0], [1e-3, 50.0, 80.0, -300.0, 88.0]])
    check_against_torch(_lcse(1), a)
    g = np.random.default_rng(3).standard_normal(a.shape)
    t = torch.tensor(a, requires_grad=True)
    torch.logcumsumexp(t, 1).backward(torch.from_numpy(g))
    x = cr.tensor(a.astype(np.float32), requires_grad=True, device=on_device(a).device)
    y = logcumsumexp(x, 1)
    y.backward(on_device(g.astype(np.float32)))
    assert y.dtype == x.grad.dtype == cr.float32
    np.testing.assert_allclose(host(y), torch.logcumsumexp(t, 1).detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(host(x.grad), t.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_logcumsumexp_in_closed_form_and_gradcheck():
    """y = (0, log 2, log 3) for zeros; gx_j = Σ_{i≥j} 1 / (i + 1)."""
    x = cr.tensor([0.0, 0.0, 0.0], requires_grad=True)
    y = logcumsumexp(x, 0)
    np.testing.assert_allclose(y.detach().numpy(), np.log([1.0, 2.0, 3.0]), rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1 + 1 / 2 + 1 / 3, 1 / 2 + 1 / 3, 1 / 3], rtol=1e-6)
    check_gradcheck(lambda t: logcumsumexp(t, 1), (3, 4))
    check_gradcheck(lambda t: logcumsumexp(t, 0) ** 2, (5,))


def test_logcumsumexp_errors():
    with pytest.raises(TypeError, match="logcumsumexp: input dtype should be floating point"):
        logcumsumexp(cr.tensor([1, 2]), 0)
    with pytest.raises(IndexError, match="logcumsumexp: dim 1 is out of range"):
        logcumsumexp(cr.tensor([1.0, 2.0]), 1)


def test_running_ops_step_by_step_on_a_backend_without_accumulate():
    """A ufunc lacking ``accumulate`` (some CuPy versions): the stepwise fallback agrees with
    NumPy's accumulate, for the running max (cummax, mode) and logaddexp (logcumsumexp)."""
    from chainrule.functions.cumulative import _accumulate

    class Bare:  # a ufunc without .accumulate
        def __init__(self, f):
            self.f = f

        def __call__(self, *args):
            return self.f(*args)

    a = np.random.default_rng(0).standard_normal((3, 4, 5))
    for axis in range(3):
        for f in (np.maximum, np.minimum, np.logaddexp):
            np.testing.assert_allclose(
                _accumulate(Bare(f), a, axis), f.accumulate(a, axis=axis), rtol=1e-14
            )
