"""scatter_reduce against torch: every reduction, with and without the input's own values,
values, dtypes, first and second-order gradients, ties and zeros."""

import numpy as np
import pytest
import torch
from helpers import check_against_torch, check_gradcheck, host, on_device

import chainrule as cr
from chainrule.functions.scatter_reduce import scatter_reduce

DTYPES = ["float64", "float32"]


def _ints(high, shape, seed=1):
    """Random indices in [0, high): small ranges, so repeats are certain in larger shapes."""
    return np.random.default_rng(seed).integers(0, high, size=shape).astype(np.int64)


def _squared(f):
    return lambda *xs: f(*xs) * f(*xs)


REDUCE_CASES = [
    ("rows", (3, 5), 0, (4, 5)),
    ("cols_neg_dim", (2, 3), -1, (2, 7)),
    ("3d_mid", (2, 3, 2), 1, (2, 5, 1)),
    ("1d", (4,), 0, (9,)),
    ("empty_index", (3, 2), 0, (0, 2)),
]


def _reduce_inputs(reduce, shape, ishape, dtype, seed=0):
    """Inputs with ties (amax/amin: small integers) and zeros (prod: in x, and one in src, so
    some place holds two zeros), so every branch of the gradients runs."""
    rng = np.random.default_rng(seed)
    x, s = rng.uniform(-2, 2, size=shape), rng.uniform(-2, 2, size=ishape)
    if reduce in ("amax", "amin"):
        x, s = np.round(x), np.round(s)
    if reduce == "prod":  # torch has no double backward for two zeros of src at one place
        s.reshape(-1)[:1] = 0
        x.reshape(-1)[::3] = 0
    return x.astype(dtype), s.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("name,shape,dim,ishape", REDUCE_CASES, ids=[c[0] for c in REDUCE_CASES])
def test_scatter_reduce(name, shape, dim, ishape, reduce, include_self, dtype):
    """Gradients as torch defines them: prod exact with zeros, amax/amin shared among ties."""
    x, s = _reduce_inputs(reduce, shape, ishape, dtype)
    index = _ints(shape[dim], ishape)

    def f(lib_fn):
        return _squared(lambda x, i, s: lib_fn(x, dim, i, s, reduce, include_self=include_self))

    check_against_torch(
        f(scatter_reduce),
        x,
        index,
        s,
        torch_fn=f(torch.scatter_reduce),
        dtype=dtype,
        requires_grad=[True, False, True],
    )


def test_scatter_reduce_src_larger_than_index():
    """Only src's leading block is read (torch's backward refuses this shape: forward only)."""
    x, s = np.zeros((3, 2)), np.arange(12.0).reshape(4, 3)
    index = _ints(3, (2, 2))
    for reduce in ["sum", "prod", "mean", "amax", "amin"]:
        check_against_torch(
            lambda x, i, s, r=reduce: scatter_reduce(x, 0, i, s, r, include_self=False),
            x,
            index,
            s,
            torch_fn=lambda x, i, s, r=reduce: torch.scatter_reduce(
                x, 0, i, s, r, include_self=False
            ),
            grad=False,
        )


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
def test_scatter_reduce_ints_and_0d(reduce, include_self):
    """Integer mean is floor division, as torch; a 0-d input counts as one element."""
    a = np.array([[7, -3, 2], [5, 4, -9]], dtype=np.int64)
    check_against_torch(
        lambda x, i, s: scatter_reduce(x, 1, i, s, reduce, include_self=include_self),
        a,
        np.array([[0, 0, 2, 0], [1, 1, 1, 2]], np.int64),
        np.array([[2, -5, 3, 8], [-1, 6, 0, 3]], np.int64),
        torch_fn=lambda x, i, s: torch.scatter_reduce(
            x, 1, i, s, reduce, include_self=include_self
        ),
    )
    check_against_torch(
        _squared(lambda x, i, s: scatter_reduce(x, 0, i, s, reduce, include_self=include_self)),
        (),
        np.array(0),
        (),
        torch_fn=_squared(
            lambda x, i, s: torch.scatter_reduce(x, 0, i, s, reduce, include_self=include_self)
        ),
        requires_grad=[True, False, True],
    )


def test_scatter_reduce_ties_in_closed_form():
    """amax: three values tie with the result at place 0, so each receives gy / 3."""
    x = on_device(np.array([2.0, 0.0])).requires_grad_()
    s = on_device(np.array([2.0, 1.0, 2.0, 5.0])).requires_grad_()
    y = scatter_reduce(x, 0, on_device(np.array([0, 0, 0, 1])), s, "amax")
    np.testing.assert_array_equal(host(y), [2.0, 5.0])
    gx, gs = cr.grad(y, [x, s], on_device(np.array([3.0, 7.0])))
    np.testing.assert_array_equal(host(gx), [1.0, 0.0])
    np.testing.assert_array_equal(host(gs), [1.0, 0.0, 1.0, 7.0])


def test_scatter_reduce_prod_many_zeros():
    """Two or three zeros of src at one place: first-order gradients only (torch refuses the
    second order there)."""
    s = np.array([[0.0, 2.0], [0.0, 0.0], [1.5, 0.0], [0.0, -1.0], [3.0, 0.0]])
    for include_self in (True, False):
        check_against_torch(
            lambda x, i, s, inc=include_self: scatter_reduce(x, 0, i, s, "prod", include_self=inc),
            np.array([[1.5, 0.0], [2.0, -1.0]]),
            np.array([[0, 1], [0, 1], [1, 0], [0, 1], [1, 1]]),
            s,
            torch_fn=lambda x, i, s, inc=include_self: torch.scatter_reduce(
                x, 0, i, s, "prod", include_self=inc
            ),
            requires_grad=[True, False, True],
            gradgrad=False,
        )


@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_prod_gradcheck(include_self):
    index = cr.tensor(_ints(3, (5, 2)))
    check_gradcheck(
        lambda x, s: scatter_reduce(x, 0, index, s, "prod", include_self=include_self),
        (3, 2),
        (5, 2),
    )


def test_scatter_reduce_errors():
    x, i, s = cr.zeros(3, 4), cr.tensor(np.zeros((3, 4), np.int64)), cr.ones(3, 4)
    with pytest.raises(ValueError, match=r"scatter_reduce: reduce must be one of .*'max'"):
        scatter_reduce(x, 0, i, s, "max")
    with pytest.raises(ValueError, match=r"scatter_reduce: index shape \(3, 5\) must be no larger"):
        scatter_reduce(x, 0, cr.tensor(np.zeros((3, 5), np.int64)), cr.ones(3, 5), "sum")
    with pytest.raises(IndexError, match=r"scatter_reduce: index 3 is out of bounds"):
        scatter_reduce(x, 0, cr.tensor(np.full((3, 4), 3)), s, "prod")
    with pytest.raises(TypeError, match=r"scatter_reduce: expected src dtype float32"):
        scatter_reduce(x, 0, i, s.double(), "amin")
