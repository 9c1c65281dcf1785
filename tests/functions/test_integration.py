"""trapezoid, trapz, cumulative_trapezoid and gradient against torch: values, dtypes, first and
second-order gradients (in y and in the sample points), edge cases and errors."""

import numpy as np
import pytest
import torch
from helpers import check_against_torch, check_gradcheck, on_device

import chainrule as cr
from chainrule.functions import integration as I

DTYPES = ["float64", "float32"]
TRAPEZOIDS = ["trapezoid", "cumulative_trapezoid", "trapz"]


def _torch(name):
    return getattr(torch, name)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", TRAPEZOIDS)
@pytest.mark.parametrize(
    "shape,dim", [((5,), -1), ((3, 4), 0), ((3, 4), 1), ((2, 3, 4), -2), ((2, 1), 1), ((2, 0), 1)]
)
def test_trapezoids_with_dx_match_torch(dtype, name, shape, dim):
    ours, ref = getattr(I, name), _torch(name)
    check_against_torch(lambda y: ours(y, dim=dim), shape, torch_fn=lambda y: ref(y, dim=dim),
                        dtype=dtype)  # fmt: skip
    check_against_torch(lambda y: ours(y, dx=0.37, dim=dim), shape,
                        torch_fn=lambda y: ref(y, dx=0.37, dim=dim), dtype=dtype)  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", TRAPEZOIDS)
@pytest.mark.parametrize(
    "yshape,xshape,dim",
    [((5,), (5,), -1), ((3, 4), (4,), 1), ((3, 4), (3,), 0), ((3, 4), (3, 4), 1),
     ((2, 3, 4), (3, 1), 1), ((2, 3), (1, 3), -1), ((3, 2), (2,), -1)],
)  # fmt: skip
def test_trapezoids_with_sample_points_match_torch_in_y_and_x(dtype, name, yshape, xshape, dim):
    ours, ref = getattr(I, name), _torch(name)
    check_against_torch(
        lambda y, x: ours(y, x, dim=dim), yshape, xshape,
        torch_fn=lambda y, x: ref(y, x, dim=dim), dtype=dtype,
    )  # fmt: skip


def test_trapezoid_gradients_by_finite_differences():
    check_gradcheck(lambda y, x: I.trapezoid(y, x), (3, 4), (4,))
    check_gradcheck(lambda y, x: I.cumulative_trapezoid(y, x, dim=0), (3, 2), (3, 2))


@pytest.mark.parametrize("name", TRAPEZOIDS)
def test_trapezoids_of_integers_give_the_default_float(name):
    ours, ref = getattr(I, name), _torch(name)
    y, x = np.array([[1, 2, 4], [3, 0, 7]]), np.array([1, 2, 4])
    for args, kwargs in [((), {}), ((), {"dx": 2}), ((x,), {})]:
        o = ours(on_device(y), *[on_device(a) for a in args], **kwargs)
        r = ref(torch.tensor(y), *[torch.tensor(a) for a in args], **kwargs)
        assert str(o.dtype) == str(r.dtype)[6:]
        np.testing.assert_allclose(o.numpy(), r.numpy())


def test_trapezoid_keeps_float32_with_a_float_dx():
    y = cr.tensor([1.0, 2.0, 3.0])
    assert I.trapezoid(y, dx=0.1).dtype == cr.float32
    assert I.cumulative_trapezoid(y, dx=np.float64(0.1)).dtype == cr.float32


def test_trapezoid_errors():
    y = cr.tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"trapezoid: there must be one x value for each sample"):
        I.trapezoid(y, cr.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"x has 2 and y has 3 along dim 1 \(shape \(2, 3\)\)"):
        I.trapezoid(y, cr.tensor([0.0, 1.0]))
    with pytest.raises(TypeError, match="cumulative_trapezoid: give the sample points x or"):
        I.cumulative_trapezoid(y, cr.tensor([0.0, 1.0, 2.0]), dx=1.0)
    with pytest.raises(IndexError, match="trapz: dim 2 is out of range"):
        I.trapz(y, dim=2)
    with pytest.raises(ValueError, match=r"x of shape \(3, 3\) doesn't broadcast with y of shape"):
        I.trapezoid(y, cr.tensor(np.ones((3, 3))))
    with pytest.raises(ValueError, match=r"one x value for each sample point: x of shape \(2, 1\)"):
        I.trapezoid(y, cr.tensor(np.ones((2, 1))))  # torch: a broadcasting error
    with pytest.raises(
        ValueError, match=r"x of shape \(1, 3\) and y of shape \(2, 3\) along dim 0"
    ):
        I.cumulative_trapezoid(y, cr.tensor(np.ones((1, 3))), dim=0)
    with pytest.raises(TypeError, match="trapezoid: dx must be a number, got 'a'"):
        I.trapezoid(y, dx="a")
    with pytest.raises(ValueError, match="trapezoid: y must have at least one dimension"):
        I.trapezoid(cr.tensor(1.0))


# ---------------------------------------------------------------- gradient
def _coords(n, seed):
    return np.cumsum(np.random.default_rng(seed).uniform(0.3, 1.5, n))


GRADIENT_CASES = [
    ((5,), {}),
    ((3, 4), {}),
    ((3, 4), {"dim": 1}),
    ((3, 4), {"dim": -2, "edge_order": 2}),
    ((3, 4, 5), {"dim": (0, 2), "spacing": 0.5}),
    ((3, 4), {"spacing": [2.0, 0.25], "edge_order": 2}),
    ((2, 4), {"dim": 1, "spacing": 3}),
    ((2, 3), {"edge_order": 1}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,kwargs", GRADIENT_CASES)
def test_gradient_with_even_spacing_matches_torch(dtype, shape, kwargs):
    for k in range(len(torch.gradient(torch.zeros(shape), **kwargs))):
        check_against_torch(
            lambda f, k=k: I.gradient(f, **kwargs)[k], shape,
            torch_fn=lambda f, k=k: torch.gradient(f, **kwargs)[k], dtype=dtype,
        )  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("edge_order", [1, 2])
@pytest.mark.parametrize("shape,dim", [((6,), 0), ((3, 5), 1), ((4, 3), 0), ((2, 3), -1)])
def test_gradient_with_coordinates_matches_torch_in_f_and_x(dtype, edge_order, shape, dim):
    coords = _coords(shape[dim], 1)
    check_against_torch(
        lambda f, x: I.gradient(f, spacing=(x,), dim=dim, edge_order=edge_order)[0],
        shape, coords,
        torch_fn=lambda f, x: torch.gradient(f, spacing=(x,), dim=dim, edge_order=edge_order)[0],
        dtype=dtype,
    )  # fmt: skip


def test_gradient_with_coordinates_for_every_dim_and_mixed_dtypes():
    f = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    xs = [_coords(3, 2), _coords(4, 3)]  # float64 coordinates promote, as in torch
    ours = I.gradient(on_device(f), spacing=[on_device(x) for x in xs], edge_order=2)
    ref = torch.gradient(torch.tensor(f), spacing=[torch.tensor(x) for x in xs], edge_order=2)
    for o, r in zip(ours, ref):
        assert str(o.dtype) == str(r.dtype)[6:] == "float64"
        np.testing.assert_allclose(o.numpy(), r.numpy(), rtol=1e-6)
    mixed = I.gradient(on_device(f), spacing=[2.0, on_device(xs[1])])  # torch wants one kind
    ref = (
        torch.gradient(torch.tensor(f), spacing=2.0, dim=0)[0],
        torch.gradient(torch.tensor(f), spacing=(torch.tensor(xs[1]),), dim=1)[0],
    )
    for o, r in zip(mixed, ref):
        np.testing.assert_allclose(o.numpy(), r.numpy(), rtol=1e-6)


def test_gradient_is_exact_on_quadratics_with_second_order_edges():
    x = _coords(7, 4)
    (g,) = I.gradient(cr.tensor(x**2), spacing=(cr.tensor(x),), edge_order=2)
    np.testing.assert_allclose(g.numpy(), 2 * x, rtol=1e-12)
    (g,) = I.gradient(cr.tensor(np.arange(6.0) ** 2), spacing=0.5 * 2, edge_order=2)
    np.testing.assert_allclose(g.numpy(), 2 * np.arange(6.0), rtol=1e-12)


def test_gradient_gradients_by_finite_differences():
    check_gradcheck(lambda f, x: I.gradient(f, spacing=(x,), edge_order=2)[0], (5,), _coords(5, 5))
    check_gradcheck(lambda f: I.gradient(f, dim=1)[0], (2, 4))


def test_gradient_of_integers_and_of_a_scalar():
    ours = I.gradient(cr.tensor([1, 2, 4]))
    ref = torch.gradient(torch.tensor([1, 2, 4]))
    assert ours[0].dtype == cr.float32 and ours[0].tolist() == ref[0].tolist()
    assert I.gradient(cr.tensor(1.0)) == torch.gradient(torch.tensor(1.0)) == ()


def test_gradient_errors():
    f = cr.tensor(np.ones((2, 4)))
    with pytest.raises(ValueError, match="gradient: edge_order must be 1 or 2, got 3"):
        I.gradient(f, edge_order=3)
    with pytest.raises(ValueError, match=r"one entry per dim \(2\), got a list of length 3"):
        I.gradient(f, spacing=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"one entry per dim \(1\), got a list of length 2"):
        I.gradient(f, spacing=[1.0, 2.0], dim=1)
    with pytest.raises(
        ValueError, match=r"the coordinates of dim 1 must be 1-D with 4 values, got"
    ):
        I.gradient(f, spacing=(cr.tensor([0.0, 1.0, 2.0]),), dim=1)
    with pytest.raises(IndexError, match="gradient: dim 5 is out of range"):
        I.gradient(f, dim=5)
    with pytest.raises(ValueError, match="gradient: dim 0 appears more than once"):
        I.gradient(f, dim=[0, -2])
    with pytest.raises(
        ValueError, match=r"at least edge_order \+ 1 = 3 samples, got 2 along dim 0"
    ):
        I.gradient(f, edge_order=2)
    with pytest.raises(TypeError, match="gradient: spacing must be a number, got 'x'"):
        I.gradient(f, spacing="x")
