"""Indexing against torch: slicing, integer and boolean arrays, and assignment with gradients."""

import numpy as np
import pytest
import torch
from helpers import assert_close, check_against_torch, check_gradcheck

import chainrule as cr

DTYPES = ["float64", "float32"]
MASK = np.array([[True, False, True, True], [False, False, True, False], [True] * 4])


def _both(key_np):
    """The same index for each library: numpy arrays become each one's tensor."""

    def convert(k, lib):
        if isinstance(k, np.ndarray):
            return cr.tensor(k) if lib == "cr" else torch.from_numpy(k)
        return k

    def pick(lib):
        if isinstance(key_np, tuple):
            return tuple(convert(k, lib) for k in key_np)
        return convert(key_np, lib)

    return pick("cr"), pick("torch")


KEYS = [
    ("int", (3, 4), 1),
    ("neg_int", (3, 4), -1),
    ("int_int", (3, 4), (2, -3)),
    ("slice", (5, 4), slice(1, 4)),
    ("slice_step", (7, 4), slice(None, None, 2)),
    ("slice_neg", (7, 4), slice(-3, None)),
    ("slice_step_start", (7, 4), (slice(1, None, 3), slice(None, -1))),
    ("slice_empty", (5, 4), slice(3, 1)),
    ("none", (3, 4), (None, slice(None), None)),
    ("ellipsis", (2, 3, 4), (Ellipsis, 1)),
    ("ellipsis_mid", (2, 3, 4), (0, Ellipsis, slice(1, 3))),
    ("ellipsis_none", (2, 3, 4), (Ellipsis, None)),
    ("scalar_ellipsis", (), Ellipsis),
    ("list", (4, 3), [0, 2, 3]),
    ("list_repeated", (4, 3), [0, 0, 1, 0]),
    ("list_neg", (4, 3), [-1, 0]),
    ("array_2d", (4, 3), np.array([[0, 1], [1, 1]])),
    ("tensor", (4, 3), np.array([3, 1, 3])),
    ("cols", (3, 4), (slice(None), [0, 2])),
    ("cols_repeated", (3, 4), (slice(None), [2, 2, 0])),
    ("pairs", (3, 4), ([0, 2, 0], [1, 3, 1])),
    ("broadcast_pairs", (3, 4), (np.array([[0], [2]]), np.array([1, 3, 1]))),
    ("int_and_list", (2, 3, 4), (1, slice(None), [0, 0, 3])),
    ("separated_arrays", (2, 3, 4), ([0, 1], slice(None), [3, 0])),
    ("list_then_int", (2, 3, 4), ([1, 0, 1], slice(None), 2)),
    ("int_mask", (2, 3, 4), (-1, np.array([True, False, True]))),
    ("int_ellipsis_list", (2, 3, 4), (1, Ellipsis, [2, 0])),
    ("none_int_list", (2, 3, 4), (None, 0, [2, 0], None)),
    ("bool_scalar", (2, 3), True),
    ("int_bool_list", (2, 3, 4), (1, True, [0, 2])),
    ("tensor_0d", (2, 3, 4), np.array(1)),
    ("tensor_0d_list", (2, 3, 4), (np.array(1), slice(None), [0, 2])),
    ("tensor_0d_bool", (2, 3), np.array(False)),
    ("mask", (3, 4), MASK),
    ("mask_rows", (3, 4), np.array([True, False, True])),
    ("mask_rows_cols", (3, 4), (np.array([True, False, True]), slice(1, 3))),
    ("mask_none", (3, 4), np.zeros((3, 4), dtype=bool)),
    ("empty_list", (3, 4), np.array([], dtype=np.int64)),
    ("size0_dim", (2, 0, 3), (slice(None), slice(None), 1)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,shape,key", KEYS, ids=[k[0] for k in KEYS])
def test_getitem(name, shape, key, dtype):
    k_cr, k_t = _both(key)
    # squared, so the second derivative (through the scatter-add backward) is non-zero
    check_against_torch(
        lambda t: t[k_cr] * t[k_cr], shape, dtype=dtype, torch_fn=lambda t: t[k_t] * t[k_t]
    )


def test_repeated_indices_scatter_add_closed_form():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 1, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 1.0, 0.0])


def test_index_with_a_bool_tensor_from_a_comparison():
    check_against_torch(lambda t: t[t > 0] ** 2, (3, 4))


def test_getitem_gradcheck():
    check_gradcheck(lambda t: t[[0, 0, 2], 1:] ** 2, (3, 4))
    check_gradcheck(lambda t: t[cr.tensor(MASK)] ** 3, (3, 4))
    check_gradcheck(lambda t: t[..., None, ::2] ** 2, (2, 3))


# ------------------------------------------------------------------ assignment
def _assign(key, value_from_inputs):
    """y = x.clone(); y[key] = value(x, v); return y * y (x non-leaf, both differentiable)."""

    def f(x, v):
        y = x * 1.0  # a non-leaf: in-place assignment into a leaf would be refused
        y[key] = value_from_inputs(x, v)
        return y * y

    return f


SETS = [
    ("int", 1, (4,)),
    ("slice", (slice(None), slice(1, 3)), (3, 2)),
    ("slice_broadcast", (slice(None), slice(1, 3)), (2,)),
    ("step", (slice(None, None, 2), 0), ()),
    ("list", [0, 2], (2, 4)),
    ("mask", MASK, (8,)),
    ("ellipsis", Ellipsis, (4,)),
    ("int_then_list", (1, [3, 0, 1]), (3,)),
    ("slice_list", (slice(0, 2), [3, 0, 1]), (3,)),
]


SETS_3D = [
    ("int_slice_list", (1, slice(None), [0, 3]), (3, 2)),
    ("list_slice_int", ([1, 0], slice(None), -1), (2, 3)),
    ("int_ellipsis_mask", (0, Ellipsis, np.array([True, False, False, True])), (3, 2)),
]


@pytest.mark.parametrize("name,key,vshape", SETS_3D, ids=[s[0] for s in SETS_3D])
def test_setitem_torch_order_of_int_and_array_indices(name, key, vshape):
    k_cr, k_t = _both(key)
    check_against_torch(
        _assign(k_cr, lambda x, v: v * 2),
        (2, 3, 4),
        vshape,
        torch_fn=_assign(k_t, lambda x, v: v * 2),
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,key,vshape", SETS, ids=[s[0] for s in SETS])
def test_setitem(name, key, vshape, dtype):
    k_cr, k_t = _both(key)
    check_against_torch(
        _assign(k_cr, lambda x, v: v * 2),
        (3, 4),
        vshape,
        dtype=dtype,
        torch_fn=_assign(k_t, lambda x, v: v * 2),
    )


def test_setitem_value_depends_on_x():
    # y[0] = x[1] * v: gradient to x flows through the value, and is 0 at row 0's old values
    def f(x, v):
        y = x * 1.0
        y[0] = x[1] * v
        return y * y

    check_against_torch(f, (3, 4), (4,))


def test_setitem_constant_value_zeroes_the_gradient():
    def f(x):
        y = x * 1.0
        y[:, 1] = 0.5
        return y * x

    check_against_torch(f, (3, 4))


def test_setitem_with_a_tensor_index():
    idx = np.array([2, 0])

    def f(lib):
        def g(x, v):
            y = x * 1.0
            y[(cr.tensor if lib is cr else torch.from_numpy)(idx)] = v
            return y * y

        return g

    check_against_torch(f(cr), (3, 4), (2, 4), torch_fn=f(torch))


def test_setitem_closed_form():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = cr.tensor(10.0, requires_grad=True)
    y = x * 2.0
    y[1] = v
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 0.0, 2.0])
    assert v.grad.item() == 1.0


def test_setitem_on_a_plain_tensor_without_grad():
    x = cr.zeros(2, 3)
    x[0, [0, 2]] = 5.0
    x[1] = cr.tensor([1.0, 2.0, 3.0])
    assert_close(x.data, [[5.0, 0.0, 5.0], [1.0, 2.0, 3.0]])


def test_setitem_gradcheck():
    check_gradcheck(_assign((slice(None), [0, 2]), lambda x, v: v * x[:, :2]), (3, 4), (3, 2))


# ------------------------------------------------------------------ bad input
def test_index_out_of_range_names_the_index_and_shape():
    with pytest.raises(IndexError, match=r"index: .*5.*\(3, 4\)"):
        cr.zeros(3, 4)[5]
    with pytest.raises(IndexError, match=r"index: .*\(3, 4\)"):
        cr.zeros(3, 4)[:, [0, 4]]


def test_float_index_raises():
    with pytest.raises(IndexError, match=r"index: tensors used as indices must be long or bool"):
        cr.zeros(3)[cr.tensor([0.0, 1.0])]


def test_setitem_shape_mismatch_names_shapes():
    x = cr.zeros(3, 4)
    with pytest.raises(ValueError, match=r"setitem: .*\(5,\).*\(3, 4\)"):
        x[0] = cr.zeros(5)
