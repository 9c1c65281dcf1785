"""Counting and searching against torch: unique, unique_consecutive, bincount, histc,
searchsorted, bucketize, isin (exact values and dtypes), kthvalue, mode and msort (also their
first and second-order gradients)."""

import numpy as np
import pytest
import torch
from helpers import check_against_torch, check_gradcheck, host, on_device

import chainrule as cr
from chainrule.functions.counting import (
    bincount,
    bucketize,
    histc,
    isin,
    kthvalue,
    mode,
    msort,
    searchsorted,
    unique,
    unique_consecutive,
)

DTYPES = ["float64", "float32"]
NAN = float("nan")


def _same(ours, ref):
    """Equal values, shapes and dtypes; tuples element by element."""
    if isinstance(ref, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(ref)
        for a, b in zip(ours, ref):
            _same(a, b)
        return
    assert isinstance(ours, cr.Tensor), f"expected a Tensor, got {type(ours)}"
    assert str(ours.dtype) == str(ref.dtype).replace("torch.", ""), (ours.dtype, ref.dtype)
    assert tuple(ours.shape) == tuple(ref.shape), (ours.shape, ref.shape)
    np.testing.assert_array_equal(host(ours), ref.numpy())


def _pair(fn, tfn, *arrays, **kw):
    """fn on chainrule tensors (on the test's device) and tfn on torch tensors, compared."""
    ours = fn(*[on_device(a) for a in arrays], **kw)
    ref = tfn(*[torch.from_numpy(np.asarray(a)) for a in arrays], **kw)
    _same(ours, ref)


# ---------------------------------------------------------------- unique
UNIQUE = {
    "floats_with_nan": np.array([1.0, NAN, 2.0, NAN, 1.0, -0.5]),
    "ints_2d": np.array([[3, 1, 2], [3, 2, 2], [3, 1, 2], [0, 0, 7]]),
    "rows_with_nan": np.array([[1.0, NAN], [1.0, NAN], [0.0, 2.0]]),
    "bools": np.array([True, False, True]),
    "scalar": np.array(5),
    "empty": np.zeros((0,)),
    "empty_2d": np.zeros((0, 3), np.int64),
    "ints_3d": np.random.default_rng(0).integers(0, 2, (3, 2, 4)),
}


@pytest.mark.parametrize(
    "ret_inv, ret_cnt", [(False, False), (True, False), (False, True), (True, True)]
)
@pytest.mark.parametrize("name", list(UNIQUE))
def test_unique_flat_against_torch(name, ret_inv, ret_cnt):
    """Sorted distinct values; every NaN its own value; inverse of input's shape."""
    kw = dict(return_inverse=ret_inv, return_counts=ret_cnt)
    _pair(unique, torch.unique, UNIQUE[name], **kw)
    _pair(unique_consecutive, torch.unique_consecutive, UNIQUE[name], **kw)


@pytest.mark.parametrize("name", ["ints_2d", "rows_with_nan", "empty_2d", "ints_3d", "bools"])
def test_unique_dim_against_torch(name):
    """Distinct slices in lexicographic order; inverse and counts along dim."""
    a = UNIQUE[name]
    for dim in range(-a.ndim, a.ndim):
        if 0 in a.shape and a.shape[dim] != 0:
            continue  # torch refuses: tested below
        kw = dict(return_inverse=True, return_counts=True, dim=dim)
        _pair(unique, torch.unique, a, **kw)
        _pair(unique, torch.unique, a, dim=dim)
        _pair(unique_consecutive, torch.unique_consecutive, a, **kw)


def test_unique_consecutive_runs():
    a = np.array([1, 1, 2, 2, 3, 1, 1, 2])
    ours = unique_consecutive(on_device(a), return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(host(ours[0]), [1, 2, 3, 1, 2])
    np.testing.assert_array_equal(host(ours[1]), [0, 0, 1, 1, 2, 3, 3, 4])
    np.testing.assert_array_equal(host(ours[2]), [2, 2, 1, 2, 1])


def test_unique_errors():
    with pytest.raises(ValueError, match=r"unique: input of shape \(0, 3\) has 0-sized"):
        unique(cr.zeros(0, 3), dim=1)
    with pytest.raises(IndexError, match="unique: dim 2 is out of range"):
        unique(cr.zeros(2, 3), dim=2)
    with pytest.raises(IndexError, match="unique_consecutive: dim -3 is out of range"):
        unique_consecutive(cr.zeros(2, 3), dim=-3)


# ---------------------------------------------------------------- bincount, histc
def test_bincount_against_torch():
    i = np.array([0, 2, 2, 5, 1, 2])
    w32 = np.array([0.5, 1.0, 2.0, 3.0, 4.0, -1.0], np.float32)
    _pair(bincount, torch.bincount, i)
    _pair(lambda a: bincount(a, minlength=9), lambda a: torch.bincount(a, minlength=9), i)
    _pair(lambda a: bincount(a, minlength=2), lambda a: torch.bincount(a, minlength=2), i)
    for w in (w32, w32.astype(np.float64), i):  # int weights sum as float64, as torch
        _pair(bincount, torch.bincount, i, w)
    _pair(bincount, torch.bincount, np.zeros(0, np.int64))
    _pair(
        lambda a: bincount(a, minlength=3),
        lambda a: torch.bincount(a, minlength=3),
        np.zeros(0, np.int64),
    )


def test_bincount_errors():
    with pytest.raises(ValueError, match=r"bincount: input must be a 1-D tensor of integers, got"):
        bincount(cr.tensor([[1, 2]]))
    with pytest.raises(ValueError, match="bincount: input must be a 1-D tensor of integers"):
        bincount(cr.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="bincount: input must be non-negative, got min -1"):
        bincount(cr.tensor([1, -1]))
    with pytest.raises(ValueError, match="bincount: minlength must be non-negative, got -2"):
        bincount(cr.tensor([1]), minlength=-2)
    with pytest.raises(ValueError, match=r"weights must have the input's shape, got \(3,\)"):
        bincount(cr.tensor([1, 2]), cr.tensor([1.0, 2.0, 3.0]))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "kw", [{}, dict(bins=7), dict(bins=5, min=-1, max=1), dict(bins=3, min=0, max=0)]
)
def test_histc_against_torch(kw, dtype):
    x = np.random.default_rng(0).standard_normal(200).astype(dtype)
    _pair(histc, torch.histc, x, **kw)


def test_histc_edges():
    """Equal to max: the last bin; outside: ignored; NaN: ignored; one value: ±1 around it."""
    _pair(histc, torch.histc, np.array([1.0, 2.0, 1.0, 3.0, 0.0, 4.0, -1.0]), bins=3, min=0, max=3)
    _pair(histc, torch.histc, np.array([1.0, 1.0], np.float32), bins=4)
    _pair(histc, torch.histc, np.array([1.0, NAN, 2.0]), bins=2, min=0, max=2)
    _pair(histc, torch.histc, np.zeros((0,), np.float32), bins=3)
    _pair(histc, torch.histc, np.arange(12.0).reshape(3, 4), bins=4)


def test_histc_errors():
    with pytest.raises(ValueError, match="histc: bins must be positive, got 0"):
        histc(cr.tensor([1.0]), bins=0)
    with pytest.raises(ValueError, match="histc: max must be larger than min, got min 2.0"):
        histc(cr.tensor([1.0]), min=2, max=1)
    with pytest.raises(TypeError, match="histc: input dtype should be floating point, got int64"):
        histc(cr.tensor([1, 2]))


# ---------------------------------------------------------------- searchsorted, bucketize
SEQ = np.array([1.0, 3.0, 3.0, 5.0, 7.0])
VALS = np.array([[0.0, 3.0, 4.0], [7.0, 8.0, 5.0]])


@pytest.mark.parametrize("right", [False, True])
def test_searchsorted_and_bucketize_against_torch(right):
    _pair(
        lambda s, v: searchsorted(s, v, right=right),
        lambda s, v: torch.searchsorted(s, v, right=right),
        SEQ,
        VALS,
    )
    side = "right" if right else "left"
    _pair(
        lambda s, v: searchsorted(s, v, side=side, out_int32=True),
        lambda s, v: torch.searchsorted(s, v, side=side, out_int32=True),
        SEQ,
        VALS,
    )
    _pair(
        lambda s: searchsorted(s, 3.0, right=right),
        lambda s: torch.searchsorted(s, 3.0, right=right),
        SEQ,
    )
    _pair(
        lambda v, b: bucketize(v, b, right=right),
        lambda v, b: torch.bucketize(v, b, right=right),
        VALS,
        SEQ,
    )
    _pair(
        lambda v, b: bucketize(v, b, right=right, out_int32=True),
        lambda v, b: torch.bucketize(v, b, right=right, out_int32=True),
        VALS,
        SEQ,
    )
    _pair(lambda b: bucketize(3, b, right=right), lambda b: torch.bucketize(3, b, right=right), SEQ)


def test_searchsorted_rows_sorter_and_empty():
    """A 2-D sequence searches row by row; ``sorter`` sorts an unsorted sequence first."""
    s = np.array([[1.0, 2.0, 3.0], [0.0, 5.0, 9.0]])
    v = np.array([[2.5, 0.0, 3.0], [5.0, 10.0, -1.0]])
    for side in ("left", "right"):
        _pair(
            lambda a, b, side=side: searchsorted(a, b, side=side),
            lambda a, b, side=side: torch.searchsorted(a, b, side=side),
            s,
            v,
        )
    u, order = np.array([5.0, 1.0, 3.0, 3.0]), np.array([1, 2, 3, 0])
    _pair(
        lambda a, b, o: searchsorted(a, b, sorter=o),
        lambda a, b, o: torch.searchsorted(a, b, sorter=o),
        u,
        np.array([2.0, 3.0, 6.0]),
        order,
    )
    _pair(searchsorted, torch.searchsorted, SEQ, np.zeros((0,)))
    _pair(searchsorted, torch.searchsorted, np.zeros((0,)), np.array([1.0, 2.0]))


def test_searchsorted_errors():
    s = cr.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match="searchsorted: side and right can't be set to opposites"):
        searchsorted(s, cr.tensor([1.0]), side="left", right=True)
    with pytest.raises(ValueError, match="searchsorted: side must be 'left' or 'right', got 'up'"):
        searchsorted(s, cr.tensor([1.0]), side="up")
    with pytest.raises(ValueError, match=r"same leading dimensions, got \(2, 3\) and \(3, 1\)"):
        searchsorted(cr.zeros(2, 3), cr.zeros(3, 1))
    with pytest.raises(ValueError, match=r"sorter must have the shape of sorted_sequence"):
        searchsorted(s, cr.tensor([1.0]), sorter=cr.tensor([0]))
    with pytest.raises(ValueError, match=r"bucketize: boundaries must be 1-D, got shape \(1, 2\)"):
        bucketize(cr.tensor([1.0]), cr.tensor([[1.0, 2.0]]))


# ---------------------------------------------------------------- isin
@pytest.mark.parametrize("invert", [False, True])
def test_isin_against_torch(invert):
    e, t = np.array([[1, 2], [3, 4]]), np.array([2, 3, 9])
    _pair(
        lambda a, b: isin(a, b, invert=invert), lambda a, b: torch.isin(a, b, invert=invert), e, t
    )
    _pair(lambda a: isin(a, 2, invert=invert), lambda a: torch.isin(a, 2, invert=invert), e)
    _pair(lambda b: isin(3, b, invert=invert), lambda b: torch.isin(3, b, invert=invert), t)
    _pair(lambda a, b: isin(a, b, assume_unique=True), lambda a, b: torch.isin(a, b), t, e)
    _pair(isin, torch.isin, np.array([1.0, NAN, 2.0]), np.array([NAN, 2.0]))
    _pair(isin, torch.isin, np.zeros((0, 2)), t.astype(np.float64))
    with pytest.raises(TypeError, match="isin: at least one of elements and test_elements"):
        isin(1, [1, 2])


# ---------------------------------------------------------------- kthvalue, mode, msort
def _lib(x):
    return torch if isinstance(x, torch.Tensor) else None


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize(
    "shape, k, dim", [((7,), 3, 0), ((3, 5), 1, 1), ((3, 5), 3, -2), ((2, 3, 4), 4, -1), ((), 1, 0)]
)
def test_kthvalue_against_torch(shape, k, dim, keepdim, dtype):
    """Values and indices exact; the gradient lands on the picked element, to second order."""

    def f(x):
        if isinstance(x, torch.Tensor):
            r = torch.kthvalue(x, k, dim, keepdim)
        else:
            r = kthvalue(x, k, dim, keepdim)
        return r.values**2 + r.indices.to(x.dtype)

    check_against_torch(f, shape, dtype=dtype)


def test_kthvalue_ties_nan_and_errors():
    """Ties: values as torch; torch's index among equal values is its quickselect's (e.g.
    [1, 1, 5], k = 1 gives index 1), ours the stable order, checked in closed form."""
    x = np.array([2.0, 1.0, 2.0, 1.0, 3.0, 2.0, 1.0])
    for k in range(1, 8):
        ours = kthvalue(on_device(x), k)
        assert float(host(ours.values)) == float(torch.kthvalue(torch.from_numpy(x), k).values)
        assert int(host(ours.indices)) == [1, 3, 6, 0, 2, 5, 4][k - 1]
    ours = kthvalue(on_device(np.array([[1.0, 1.0, 5.0], [5.0, 1.0, 1.0]])), 1, 1, True)
    np.testing.assert_array_equal(host(ours.indices), [[0], [1]])
    _pair(lambda a: kthvalue(a, 3), lambda a: torch.kthvalue(a, 3), np.array([2.0, NAN, 1.0]))
    with pytest.raises(IndexError, match=r"kthvalue: k \(4\) is out of range for dimension 0 of"):
        kthvalue(cr.tensor([1.0, 2.0, 3.0]), 4)
    with pytest.raises(IndexError, match=r"kthvalue: k \(0\) is out of range"):
        kthvalue(cr.tensor([1.0, 2.0, 3.0]), 0)
    with pytest.raises(IndexError, match="kthvalue: dim 1 is out of range"):
        kthvalue(cr.tensor([1.0, 2.0, 3.0]), 1, 1)


@pytest.mark.parametrize("keepdim", [False, True])
def test_mode_against_torch(keepdim):
    """The smallest most-frequent value, at its last occurrence (torch's choice)."""
    x = np.random.default_rng(1).integers(0, 4, (5, 6, 7)).astype(np.float64)
    for dim in (0, 1, 2, -1):
        _pair(lambda a, d=dim: mode(a, d, keepdim), lambda a, d=dim: torch.mode(a, d, keepdim), x)
        _pair(
            lambda a, d=dim: mode(a, d, keepdim),
            lambda a, d=dim: torch.mode(a, d, keepdim),
            x.astype(np.int64),
        )
    _pair(mode, torch.mode, np.array([2.0, 1.0, 2.0, 1.0, 3.0, 2.0, 1.0]))
    _pair(mode, torch.mode, np.array([[1, 2, 2, 3, 3, 1], [5, 5, 4, 4, 4, 5]]))
    _pair(mode, torch.mode, np.array([2.0, NAN, NAN, 1.0]))  # NaN never equals NaN
    _pair(mode, torch.mode, np.array(3.0))


@pytest.mark.parametrize("dtype", DTYPES)
def test_mode_gradient_against_torch(dtype):
    x = np.array([[1.0, 2.0, 2.0, 3.0, 3.0, 1.0], [5.0, 5.0, 4.0, 4.0, 4.0, 5.0]])

    def f(a):
        r = torch.mode(a, 1) if isinstance(a, torch.Tensor) else mode(a, 1)
        return r.values**2

    check_against_torch(f, x, dtype=dtype)
    # distinct values: each slice's mode is its minimum, and stays so under small steps
    check_gradcheck(lambda a: mode(a, 0, True).values ** 3, (4, 3))
    with pytest.raises(IndexError, match=r"mode: cannot take the mode along dimension 1 of size"):
        mode(cr.zeros(2, 0), 1)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(5,), (4, 3), (3, 2, 2), ()])
def test_msort_against_torch(shape, dtype):
    check_against_torch(
        lambda x: (torch.msort(x) if isinstance(x, torch.Tensor) else msort(x)) ** 2,
        shape,
        dtype=dtype,
    )
