"""Statistics against torch: quantile, nanquantile, nanmedian, nansum, nanmean, aminmax,
std_mean, var_mean, cov and corrcoef; values, dtypes, first and second-order gradients."""

import numpy as np
import pytest
import torch
from helpers import check_against_torch, check_gradcheck, host, on_device

import chainrule as cr
from chainrule.functions.statistics import (
    aminmax,
    corrcoef,
    cov,
    nanmean,
    nanmedian,
    nanquantile,
    nansum,
    quantile,
    std_mean,
    var_mean,
)

DTYPES = ["float64", "float32"]
NAN = float("nan")


def _with_nans(shape, dtype="float64", seed=0):
    x = np.random.default_rng(seed).uniform(-2, 2, shape).astype(dtype)
    x[np.random.default_rng(seed + 1).uniform(size=shape) < 0.3] = NAN
    return x


def _is_torch(x):
    return isinstance(x, torch.Tensor)


# ---------------------------------------------------------------- nansum, nanmean
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "dim, keepdim", [(None, False), (0, False), (1, True), ((0, 2), False), (-1, True)]
)
def test_nansum_nanmean_against_torch(dim, keepdim, dtype):
    """NaN counts as 0 (nanmean: is left out of the count); its gradient is 0. A slice of NaN
    only: nanmean gives NaN there (and a zero gradient, where torch's is 0 · inf = NaN, so
    that slice is compared forward only)."""
    x = _with_nans((3, 4, 5), dtype)
    empty = x.copy()
    empty[1, :, 2] = NAN
    empty[:, 1, :] = NAN
    for name in ("nansum", "nanmean"):
        ours = {"nansum": nansum, "nanmean": nanmean}[name]

        def f(a, ours=ours, name=name):
            fn = getattr(torch, name) if _is_torch(a) else ours
            return fn(a, dim, keepdim) if dim is not None else fn(a, keepdim=keepdim)

        check_against_torch(lambda a, f=f: f(a) * f(a), x, dtype=dtype)
        check_against_torch(f, empty, dtype=dtype, grad=False)


def test_nansum_of_ints_and_dtype():
    a = np.array([[1, 2], [3, 4]], np.int32)
    check_against_torch(lambda t: t.nansum(1) if _is_torch(t) else nansum(t, 1), a)
    check_against_torch(
        lambda t: (
            torch.nansum(t, dtype=torch.float64) if _is_torch(t) else nansum(t, dtype="float64")
        ),
        a,
    )
    with pytest.raises(TypeError, match="nanmean: input dtype should be floating point, got int32"):
        nanmean(cr.tensor(a))


# ---------------------------------------------------------------- aminmax, var_mean, std_mean
@pytest.mark.parametrize("dtype", DTYPES)
def test_aminmax_against_torch_with_ties(dtype):
    """Tied extremes share the gradient evenly, as torch."""
    x = np.array([[1.0, 3.0, 3.0, 0.5], [2.0, 2.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    for kw in (dict(), dict(dim=1), dict(dim=0, keepdim=True), dict(dim=-1, keepdim=True)):

        def f(a, kw=kw):
            r = torch.aminmax(a, **kw) if _is_torch(a) else aminmax(a, **kw)
            assert r.min is r[0] and r.max is r[1]
            return r.min * 2 + r.max**2

        check_against_torch(f, x, dtype=dtype)
    check_against_torch(
        lambda a: (torch.aminmax if _is_torch(a) else aminmax)(a).max, (), dtype=dtype
    )


def test_aminmax_errors():
    with pytest.raises(
        ValueError, match=r"aminmax: cannot reduce an empty input of shape \(0, 2\)"
    ):
        aminmax(cr.zeros(0, 2))
    with pytest.raises(IndexError, match=r"aminmax: cannot reduce dimension 0 of size 0"):
        aminmax(cr.zeros(0, 2), dim=0)
    with pytest.raises(IndexError, match="aminmax: dim 2 is out of range"):
        aminmax(cr.zeros(3, 2), dim=2)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "args, kw",
    [
        ((), {}),
        ((1,), {}),
        ((0,), dict(keepdim=True)),
        (((0, 2),), dict(correction=0)),
        ((-1,), dict(correction=2, keepdim=True)),
        ((1, False), {}),  # torch's positional ``unbiased``
        ((False,), {}),
    ],
)
def test_var_mean_std_mean_against_torch(args, kw, dtype):
    for name, ours in (("var_mean", var_mean), ("std_mean", std_mean)):

        def f(a, name=name, ours=ours):
            r = getattr(torch, name)(a, *args, **kw) if _is_torch(a) else ours(a, *args, **kw)
            assert isinstance(r, tuple) and len(r) == 2
            return r[0] * 3 + r[1] ** 2

        check_against_torch(f, (3, 4, 5), dtype=dtype)


# ---------------------------------------------------------------- quantile, nanquantile
INTERPOLATIONS = ["linear", "lower", "higher", "nearest", "midpoint"]


def _quantile_fn(name, q, *args, **kw):
    ours = {"quantile": quantile, "nanquantile": nanquantile}[name]

    def f(x):
        if _is_torch(x):
            qq = torch.tensor(q, dtype=x.dtype) if isinstance(q, list) else q
            return getattr(torch, name)(x, qq, *args, **kw)
        qq = on_device(np.array(q, dtype=str(x.dtype))) if isinstance(q, list) else q
        return ours(x, qq, *args, **kw)

    return f


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("q", [0.3, [0.0, 0.25, 0.5, 0.9, 1.0]])
@pytest.mark.parametrize(
    "dim, keepdim", [(None, False), (None, True), (0, False), (1, True), (-1, False)]
)
def test_quantile_against_torch(dim, keepdim, q, interpolation, dtype):
    """Values and gradients (distinct inputs: the sort has no ties), to second order."""
    for name in ("quantile", "nanquantile"):
        f = _quantile_fn(name, q, dim, keepdim, interpolation=interpolation)
        check_against_torch(lambda x, f=f: f(x) ** 2, (3, 5), dtype=dtype)


def test_quantile_nearest_rounds_half_to_even():
    """r = q (n − 1) = 0.5 and 2.5 round to 0 and 2."""
    x = np.array([10.0, 20.0, 30.0, 40.0])
    for q in ([1 / 6, 5 / 6], [0.5]):
        check_against_torch(_quantile_fn("quantile", q, interpolation="nearest"), x)


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
def test_quantile_with_nans_against_torch(interpolation):
    """quantile: a slice holding NaN gives NaN; nanquantile leaves NaN out (all NaN: NaN).
    Which NaN a NaN result came from is torch's sort's choice, so gradients are compared only
    where every picked value is a number."""
    some = _with_nans((4, 6))
    x = some.copy()
    x[2] = NAN
    for dim in (None, 0, 1):
        for name in ("quantile", "nanquantile"):
            f = _quantile_fn(name, [0.1, 0.5, 1.0], dim, interpolation=interpolation)
            check_against_torch(f, x, grad=False)
        f = _quantile_fn("nanquantile", [0.1, 0.5, 1.0], dim, interpolation=interpolation)
        check_against_torch(lambda a, f=f: f(a) ** 2, some, gradgrad=False)


def test_quantile_scalar_and_float32_q():
    check_against_torch(_quantile_fn("quantile", 0.7), np.array(3.0))
    check_against_torch(_quantile_fn("quantile", 0.7, 0, True), np.array(3.0))
    check_against_torch(_quantile_fn("nanquantile", [0.2, 0.6], 0), (5, 2), dtype="float32")
    check_gradcheck(lambda x: quantile(x, 0.35, 1, interpolation="midpoint") ** 2, (3, 6))


def test_quantile_errors():
    x = cr.tensor([1.0, 2.0])
    with pytest.raises(
        ValueError, match=r"quantile: q values must be in the range \[0, 1\], got 1.5"
    ):
        quantile(x, 1.5)
    with pytest.raises(ValueError, match="nanquantile: q values must be in the range"):
        nanquantile(x, cr.tensor([0.5, -0.1]))
    with pytest.raises(
        TypeError, match="quantile: q tensor must be of the same dtype as the input"
    ):
        quantile(x, cr.tensor([0.5], dtype=cr.float64))
    with pytest.raises(ValueError, match=r"quantile: q must be a scalar or 1-D tensor, got shape"):
        quantile(x, cr.tensor([[0.5]]))
    with pytest.raises(TypeError, match="quantile: input tensor must be either float or double"):
        quantile(cr.tensor([1, 2]), 0.5)
    with pytest.raises(ValueError, match="quantile: interpolation must be one of linear, lower"):
        quantile(x, 0.5, interpolation="cubic")
    with pytest.raises(ValueError, match=r"quantile: input tensor must be non-empty, got shape"):
        quantile(cr.zeros(2, 0), 0.5, 1)
    with pytest.raises(IndexError, match="quantile: dim 1 is out of range"):
        quantile(x, 0.5, 1)


# ---------------------------------------------------------------- nanmedian
@pytest.mark.parametrize("dtype", DTYPES)
def test_nanmedian_against_torch(dtype):
    x = _with_nans((4, 7), dtype)
    check_against_torch(
        lambda a: (torch.nanmedian if _is_torch(a) else nanmedian)(a) ** 2, x, dtype=dtype
    )
    for dim, keepdim in ((0, False), (1, True), (-1, False)):

        def f(a, dim=dim, keepdim=keepdim):
            r = (torch.nanmedian if _is_torch(a) else nanmedian)(a, dim, keepdim)
            return r.values**2 + r.indices.to(a.dtype)

        check_against_torch(f, x, dtype=dtype)


def test_nanmedian_ties_all_nan_and_scalar():
    """Ties: the lower median at its stable position; all NaN: NaN (torch's index for it is
    an arbitrary NaN, so only the value is compared)."""
    x = np.array([[1.0, 2.0, 2.0, 3.0], [2.0, 1.0, 2.0, 1.0], [NAN, 1.0, NAN, 1.0]])
    check_against_torch(lambda a: (torch.nanmedian if _is_torch(a) else nanmedian)(a, 1).indices, x)
    check_against_torch(lambda a: (torch.nanmedian if _is_torch(a) else nanmedian)(a) * a, x)
    allnan = np.full((2, 3), NAN)
    check_against_torch(
        lambda a: (torch.nanmedian if _is_torch(a) else nanmedian)(a, 1).values, allnan
    )
    check_against_torch(lambda a: (torch.nanmedian if _is_torch(a) else nanmedian)(a), allnan)
    check_against_torch(
        lambda a: (torch.nanmedian if _is_torch(a) else nanmedian)(a, 0).values, np.array(2.0)
    )
    with pytest.raises(IndexError, match="nanmedian: cannot take the median along dimension 1"):
        nanmedian(cr.zeros(2, 0), 1)


# ---------------------------------------------------------------- cov, corrcoef
def _cov(**kw):
    def f(x, *ws):
        w = dict(zip(kw.get("names", ()), ws))
        extra = {k: v for k, v in kw.items() if k != "names"}
        return (torch.cov if _is_torch(x) else cov)(x, **extra, **w)

    return f


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("correction", [1, 0, 2])
def test_cov_against_torch(correction, dtype):
    check_against_torch(_cov(correction=correction), (3, 6), dtype=dtype)
    check_against_torch(_cov(correction=correction), (6,), dtype=dtype)
    check_against_torch(_cov(correction=correction), (1, 5), dtype=dtype)
    fw = np.array([1, 2, 0, 3, 1, 4])
    aw = np.array([0.5, 1.0, 2.0, 0.1, 0.3, 1.5])
    check_against_torch(_cov(correction=correction, names=("fweights",)), (3, 6), fw, dtype=dtype)
    check_against_torch(
        _cov(correction=correction, names=("aweights",)),
        (3, 6),
        aw,
        dtype=dtype,
        requires_grad=[True, False],
    )
    check_against_torch(
        _cov(correction=correction, names=("fweights", "aweights")),
        (2, 6),
        fw,
        aw,
        dtype=dtype,
        requires_grad=[True, False, False],
    )


def test_cov_gradient_to_aweights_and_degenerate_cases():
    aw = np.array([0.5, 1.0, 2.0, 0.1, 0.3])
    check_against_torch(_cov(names=("aweights",)), (2, 5), aw)
    check_gradcheck(lambda x, w: cov(x, aweights=w), (2, 5), aw + 0.0)
    check_against_torch(_cov(), (2, 1))  # one observation: n − 1 = 0, inf/NaN as torch
    ints = np.array([[1, 2, 4], [0, 3, 3]])
    check_against_torch(_cov(correction=0), ints, dtype="float32")  # ints: as float32


def test_cov_errors():
    x = cr.zeros(2, 3)
    with pytest.raises(ValueError, match=r"cov: expected input to have two or fewer dimensions"):
        cov(cr.zeros(2, 2, 2))
    with pytest.raises(ValueError, match=r"observations \(3\), got 2"):
        cov(x, fweights=cr.tensor([1, 2]))
    with pytest.raises(TypeError, match="cov: expected fweights to have an integral dtype"):
        cov(x, fweights=cr.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match="cov: expected aweights to have a floating dtype"):
        cov(x, aweights=cr.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match="cov: fweights cannot be negative, got min -1"):
        cov(x, fweights=cr.tensor([1, -1, 3]))
    with pytest.raises(ValueError, match="cov: expected aweights to have one or fewer dimensions"):
        cov(x, aweights=cr.ones(1, 3))


@pytest.mark.parametrize("dtype", DTYPES)
def test_corrcoef_against_torch(dtype):
    """Off the diagonal against torch to second order; the diagonal is 1 (clipped, so its
    gradient depends on rounding: it gets a zero upstream gradient here)."""
    off = ~np.eye(4, dtype=bool)

    def f(x):
        r = (torch.corrcoef if _is_torch(x) else corrcoef)(x)
        mask = torch.from_numpy(off) if _is_torch(x) else on_device(off)
        return r * mask

    check_against_torch(f, (4, 7), dtype=dtype)
    check_against_torch(
        lambda x: (torch.corrcoef if _is_torch(x) else corrcoef)(x), (6,), dtype=dtype
    )
    ours = corrcoef(on_device(np.random.default_rng(0).standard_normal((3, 5)).astype(dtype)))
    np.testing.assert_allclose(np.diag(host(ours)), 1.0, rtol=1e-6)
