"""histogram and histogramdd against torch: counts, edges, dtypes, weights, density, ranges,
given edges, values on the edges, empty and constant data, and the errors."""

import numpy as np
import pytest
import torch
from helpers import on_device

import chainrule as cr
from chainrule.functions.histogram import histogram, histogramdd

DTYPES = ["float64", "float32"]


def _check(ours, ref):
    hist, edges = ours
    assert str(hist.dtype) == str(ref.hist.dtype)[6:]
    assert hist.shape == tuple(ref.hist.shape)
    np.testing.assert_allclose(hist.numpy(), ref.hist.numpy(), rtol=1e-6, equal_nan=True)
    ref_edges = ref.bin_edges if isinstance(ref.bin_edges, tuple) else (ref.bin_edges,)
    ours_edges = edges if isinstance(edges, tuple) else (edges,)
    assert len(ours_edges) == len(ref_edges)
    for e, r in zip(ours_edges, ref_edges):
        assert str(e.dtype) == str(r.dtype)[6:]
        # torch's CPU linspace may fuse multiply-adds: its edges can differ in the last bit
        # (a few units in the last place of the largest edge)
        ulp = np.finfo(e.numpy().dtype).eps * max(1.0, float(np.abs(r.numpy()).max()))
        np.testing.assert_allclose(e.numpy(), r.numpy(), rtol=0, atol=4 * ulp)


def _data(shape, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "kwargs",
    [{}, {"bins": 7}, {"bins": 5, "range": (-1.0, 1.5)}, {"bins": 3, "density": True},
     {"bins": 1}, {"bins": 6, "range": (0.25, 0.25)}],
)  # fmt: skip
@pytest.mark.parametrize("shape", [(200,), (4, 25)])
def test_histogram_with_a_bin_count_matches_torch(dtype, kwargs, shape):
    x = _data(shape, dtype)
    _check(histogram(on_device(x), **kwargs), torch.histogram(torch.tensor(x), **kwargs))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("density", [False, True])
def test_histogram_with_weights_matches_torch(dtype, density):
    x, w = _data((50,), dtype), np.abs(_data((50,), dtype, seed=1))
    ours = histogram(on_device(x), 6, weight=on_device(w), density=density)
    ref = torch.histogram(torch.tensor(x), 6, weight=torch.tensor(w), density=density)
    _check(ours, ref)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("density", [False, True])
def test_histogram_with_given_edges_matches_torch(dtype, density):
    x = np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 2.5, 3.0, np.nan], dtype=dtype)
    edges = np.array([-1.0, 0.0, 0.5, 2.5], dtype=dtype)  # values on edges, outside, NaN
    ours = histogram(on_device(x), on_device(edges), density=density)
    _check(ours, torch.histogram(torch.tensor(x), torch.tensor(edges), density=density))


@pytest.mark.parametrize("dtype", DTYPES)
def test_histogram_values_on_its_edges_count_as_numpy_does_with_those_edges(dtype):
    x = np.linspace(-1, 1, 2001).astype(dtype)  # many values on or near an edge
    for bins in (3, 7, 10, 30, 99):
        for kwargs in ({}, {"range": (-0.7, 0.9)}):
            hist, edges = histogram(on_device(x), bins, **kwargs)
            ref, _ = np.histogram(x, edges.numpy())  # [eᵢ, eᵢ₊₁), the last bin closed
            np.testing.assert_array_equal(hist.numpy(), ref)
            e = edges.numpy()
            assert e[0] == np.asarray(kwargs.get("range", (-1, 1))[0], dtype=dtype)
            assert e[-1] == np.asarray(kwargs.get("range", (-1, 1))[1], dtype=dtype)


@pytest.mark.parametrize("x", [np.array([3.0, 3.0]), np.zeros(0), np.array([1.0, np.nan, 2.0])])
def test_histogram_constant_empty_and_nan_data(x):
    kwargs = {"range": (0.0, 3.0)} if np.isnan(x).any() else {}
    _check(histogram(on_device(x), 3, **kwargs), torch.histogram(torch.tensor(x), 3, **kwargs))


def test_histogram_of_no_data_with_density_is_nan_as_torch():
    x = np.zeros(0)
    _check(
        histogram(on_device(x), 2, density=True), torch.histogram(torch.tensor(x), 2, density=True)
    )


def test_histogram_errors():
    x = cr.tensor([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="histogram: expects a floating point input, got int64"):
        histogram(cr.tensor([1, 2]), 2)
    with pytest.raises(ValueError, match="histogram: bins must be > 0, got 0 for dimension 0"):
        histogram(x, 0)
    with pytest.raises(ValueError, match="min should not exceed max, got min 3.0 max 1.0"):
        histogram(x, 2, range=(3.0, 1.0))
    with pytest.raises(ValueError, match=r"the range \[nan, nan\] of dimension 0 is not finite"):
        histogram(cr.tensor([1.0, float("nan")]), 2)
    with pytest.raises(ValueError, match="bin edges of dimension 0 must increase monotonically"):
        histogram(x, cr.tensor([1.0, 0.0]))
    with pytest.raises(ValueError, match=r"a 1-D tensor of at least 2 edges, got shape \(1, 2\)"):
        histogram(x, cr.tensor([[0.0, 1.0]]))
    with pytest.raises(ValueError, match=r"weight must have the input's shape \(3,\)"):
        histogram(x, 2, weight=cr.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="weight must have the input's dtype float32, got float64"):
        histogram(x, 2, weight=cr.tensor([1.0, 2.0, 3.0], dtype=cr.float64))
    with pytest.raises(TypeError, match="histogram: give range only with a number of bins"):
        histogram(x, cr.tensor([0.0, 1.0]), range=(0.0, 1.0))
    with pytest.raises(ValueError, match=r"histogram: range must be \(min, max\)"):
        histogram(x, 2, range=(0.0, 1.0, 2.0))
    with pytest.raises(TypeError, match="histogram: bins must be an int or a tensor of edges"):
        histogram(x, 2.5)


# ---------------------------------------------------------------- histogramdd
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shape,bins,kwargs",
    [((40, 2), 4, {}), ((40, 2), [3, 5], {}), ((2, 20, 3), [2, 3, 4], {"density": True}),
     ((30, 2), [4, 2], {"range": [-1.0, 1.0, 0.0, 2.0]}), ((30, 1), [5], {}),
     ((0, 2), 2, {}), ((30, 2), 3, {"range": [0.5, 0.5, -1.0, 1.0]})],
)  # fmt: skip
def test_histogramdd_matches_torch(dtype, shape, bins, kwargs):
    x = _data(shape, dtype)
    _check(
        histogramdd(on_device(x), bins, **kwargs),
        torch.histogramdd(torch.tensor(x), bins, **kwargs),
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("density", [False, True])
def test_histogramdd_with_edges_and_weights_matches_torch(dtype, density):
    x, w = _data((60, 2), dtype), np.abs(_data((60,), dtype, seed=3))
    e0, e1 = np.array([-2.0, -0.5, 0.0, 1.0], dtype=dtype), np.array([-1.0, 1.0], dtype=dtype)
    ours = histogramdd(
        on_device(x), [on_device(e0), on_device(e1)], weight=on_device(w), density=density
    )
    ref = torch.histogramdd(
        torch.tensor(x),
        [torch.tensor(e0), torch.tensor(e1)],
        weight=torch.tensor(w),
        density=density,
    )
    _check(ours, ref)
    mixed = histogramdd(on_device(x), [on_device(e0), on_device(e1)], range=[0.0, 1.0, 0.0, 1.0])
    ref = torch.histogramdd(
        torch.tensor(x), [torch.tensor(e0), torch.tensor(e1)], range=[0.0, 1.0, 0.0, 1.0]
    )
    _check(mixed, ref)  # given edges: torch ignores range, and so do we


def test_histogramdd_errors():
    x = cr.tensor(np.ones((5, 2), dtype=np.float32))
    with pytest.raises(ValueError, match=r"histogramdd: input must have at least 2 dimensions"):
        histogramdd(cr.tensor([1.0, 2.0]), 2)
    with pytest.raises(ValueError, match="expected 2 bin specifications .* got 3"):
        histogramdd(x, [2, 2, 2])
    with pytest.raises(ValueError, match=r"a \(min, max\) pair per dimension \(4 values\), got 2"):
        histogramdd(x, 2, range=[0.0, 1.0])
    with pytest.raises(ValueError, match=r"weight must have the input's shape \(5,\)"):
        histogramdd(x, 2, weight=cr.tensor(np.ones((5, 2), dtype=np.float32)))
    with pytest.raises(ValueError, match="histogramdd: bins must be > 0, got 0 for dimension 1"):
        histogramdd(x, [2, 0])
