"""Shape ops against torch: the numbers move, and the gradient must move back with them."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import check_against_torch, check_gradcheck, on_device

import chainrule as cr

DTYPES = ["float64", "float32"]


def _squared(f):
    """f(x) * f(x): makes the second derivative non-zero, so double backward is exercised."""
    return lambda *xs: f(*xs) * f(*xs)


UNARY = [
    ("reshape", (2, 3, 4), lambda t: t.reshape(4, -1)),
    ("reshape_tuple", (2, 3, 4), lambda t: t.reshape((-1, 2, 3))),
    ("reshape_scalar", (), lambda t: t.reshape(1, 1)),
    ("reshape_to_scalar", (1, 1), lambda t: t.reshape(())),
    ("reshape_empty", (2, 0, 3), lambda t: t.reshape(-1, 3)),
    ("view", (2, 3, 4), lambda t: t.view(-1)),
    ("view_as", (2, 3, 4), lambda t: t.view(6, 4)),
    ("flatten", (2, 3, 4, 5), lambda t: t.flatten()),
    ("flatten_mid", (2, 3, 4, 5), lambda t: t.flatten(1, 2)),
    ("flatten_neg", (2, 3, 4, 5), lambda t: t.flatten(-3, -2)),
    ("flatten_start", (2, 3, 4), lambda t: t.flatten(1)),
    ("flatten_scalar", (), lambda t: t.flatten()),
    ("flatten_empty", (2, 0, 3), lambda t: t.flatten(1)),
    ("transpose", (2, 3, 4), lambda t: t.transpose(0, 2)),
    ("transpose_neg", (2, 3, 4), lambda t: t.transpose(-1, -2)),
    ("transpose_same", (2, 3), lambda t: t.transpose(1, 1)),
    ("transpose_1d", (5,), lambda t: t.transpose(0, -1)),
    ("swapaxes", (2, 3, 4), lambda t: t.swapaxes(0, 1)),
    ("t", (3, 4), lambda t: t.t()),
    ("T", (2, 3, 4), lambda t: t.T if isinstance(t, cr.Tensor) else t.permute(2, 1, 0)),
    ("T_2d", (3, 4), lambda t: t.T),
    ("T_1d", (4,), lambda t: t.T),
    ("mT", (2, 3, 4), lambda t: t.mT),
    ("permute", (2, 3, 4, 5), lambda t: t.permute(2, 0, 3, 1)),
    ("permute_neg", (2, 3, 4), lambda t: t.permute(-1, 0, 1)),
    ("permute_tuple", (2, 3, 4), lambda t: t.permute((1, 2, 0))),
    ("unsqueeze0", (3, 4), lambda t: t.unsqueeze(0)),
    ("unsqueeze_end", (3, 4), lambda t: t.unsqueeze(2)),
    ("unsqueeze_neg", (3, 4), lambda t: t.unsqueeze(-1)),
    ("unsqueeze_scalar", (), lambda t: t.unsqueeze(0)),
    ("squeeze", (1, 3, 1, 4), lambda t: t.squeeze()),
    ("squeeze_dim", (1, 3, 1, 4), lambda t: t.squeeze(2)),
    ("squeeze_neg", (3, 1), lambda t: t.squeeze(-1)),
    ("squeeze_not_one", (1, 3, 1, 4), lambda t: t.squeeze(1)),
    ("squeeze_tuple", (1, 3, 1, 4), lambda t: t.squeeze((0, 2))),
    ("squeeze_scalar", (), lambda t: t.squeeze()),
    ("expand", (3, 1), lambda t: t.expand(3, 4)),
    ("expand_neg", (3, 1), lambda t: t.expand(2, -1, 5)),
    ("expand_tuple", (1, 4), lambda t: t.expand((3, 4))),
    ("expand_scalar", (), lambda t: t.expand(2, 3)),
    ("expand_empty", (1, 3), lambda t: t.expand(0, 3)),
    ("broadcast_to", (4,), lambda t: t.broadcast_to((2, 3, 4))),
    ("split_int", (7, 3), lambda t: t.split(3)[2]),
    ("split_int_dim", (2, 7), lambda t: t.split(2, dim=1)[1]),
    ("split_list", (7, 3), lambda t: t.split([2, 0, 5])[2]),
    ("split_list_neg", (2, 6), lambda t: t.split([1, 5], -1)[0]),
    ("chunk", (7, 3), lambda t: t.chunk(3)[2]),
    ("chunk_dim", (3, 6), lambda t: t.chunk(4, 1)[1]),
    ("chunk_more_than_size", (2, 3), lambda t: t.chunk(5)[1]),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,shape,f", UNARY, ids=[u[0] for u in UNARY])
def test_unary_shape_ops(name, shape, f, dtype):
    check_against_torch(_squared(f), shape, dtype=dtype)


SEQUENCES = {
    "split_int": (lambda t: t.split(3), (7, 3)),
    "split_list": (lambda t: t.split([2, 0, 5]), (7, 3)),
    "split_dim": (lambda t: t.split(4, dim=-1), (2, 10)),
    "chunk": (lambda t: t.chunk(3), (7, 3)),
    "chunk_even": (lambda t: t.chunk(2, 1), (3, 6)),
    "chunk_small": (lambda t: t.chunk(4), (2, 3)),
    "chunk_six": (lambda t: t.chunk(4), (6, 2)),
}


@pytest.mark.parametrize("name", list(SEQUENCES))
def test_split_and_chunk_give_torchs_pieces(name):
    f, shape = SEQUENCES[name]
    x = np.random.default_rng(0).standard_normal(shape)
    ours, ref = f(cr.tensor(x)), f(torch.tensor(x))
    assert [p.shape for p in ours] == [tuple(p.shape) for p in ref]
    for p, q in zip(ours, ref):
        np.testing.assert_array_equal(p.data, q.numpy())
    # every piece contributes its own gradient
    weights = [np.full(tuple(q.shape), i + 1.0) for i, q in enumerate(ref)]

    def weighted(t, const):
        return sum((p * p * const(w)).sum() for p, w in zip(f(t), weights))

    check_against_torch(
        lambda t: weighted(t, on_device), x, torch_fn=lambda t: weighted(t, torch.from_numpy)
    )


def _cat(fn):
    return lambda *xs: fn(xs[0], xs[1:])


CAT = [
    ("cat0", lambda mod, xs: mod.cat(xs), [(2, 3), (4, 3), (1, 3)]),
    ("cat1", lambda mod, xs: mod.cat(xs, dim=1), [(2, 3), (2, 1), (2, 5)]),
    ("cat_neg", lambda mod, xs: mod.cat(xs, -1), [(2, 3, 1), (2, 3, 2)]),
    ("cat_empty_piece", lambda mod, xs: mod.cat(xs, 0), [(0, 3), (2, 3)]),
    ("cat_one", lambda mod, xs: mod.cat(xs, 0), [(2, 3)]),
    ("cat_legacy_empty_1d", lambda mod, xs: mod.cat(xs, 1), [(2, 3), (0,)]),
    ("stack0", lambda mod, xs: mod.stack(xs), [(2, 3), (2, 3), (2, 3)]),
    ("stack_mid", lambda mod, xs: mod.stack(xs, 1), [(2, 3), (2, 3)]),
    ("stack_end", lambda mod, xs: mod.stack(xs, -1), [(2, 3), (2, 3)]),
    ("stack_scalars", lambda mod, xs: mod.stack(xs), [(), (), ()]),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,f,shapes", CAT, ids=[c[0] for c in CAT])
def test_cat_stack(name, f, shapes, dtype):
    def run(mod):
        return _squared(lambda *xs: f(mod, list(xs)))

    check_against_torch(run(cr), *shapes, torch_fn=run(torch), dtype=dtype)


PADS = [
    ((3, 4), (1, 2)),
    ((3, 4), (1, 1, 2, 0)),
    ((2, 3, 4), (0, 0, 0, 0, 1, 1)),
    ((3, 4), (-1, 2)),
    ((3, 5), (-1, -2, 1, -1)),
    ((4,), (2, 3)),
    ((2, 0), (1, 1)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("value", [0.0, -1.5])
@pytest.mark.parametrize("shape,widths", PADS)
def test_pad(shape, widths, value, dtype):
    check_against_torch(
        _squared(lambda t: cr.pad(t, widths, value=value)),
        shape,
        dtype=dtype,
        torch_fn=_squared(lambda t: F.pad(t, widths, value=value)),
    )


def test_view_shares_gradient_closed_form():
    # y = x.T @ x.T summed; independent check: d/dx sum(x.T) = ones
    x = cr.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    x.T.sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.ones((2, 3)))


GRADCHECK = {
    "reshape": (lambda t: t.reshape(-1, 2), (2, 3, 2)),
    "permute": (lambda t: t.permute(2, 0, 1), (2, 3, 2)),
    "expand": (lambda t: t.expand(2, 3, 4) * t.expand(2, 3, 4), (3, 1)),
    "squeeze": (lambda t: t.squeeze(1).unsqueeze(0), (2, 1, 3)),
    "split": (lambda t: t.split([1, 2], 1)[1] ** 2, (2, 3)),
    "pad": (lambda t: cr.pad(t, (1, -1, 0, 2)) ** 2, (2, 3)),
    "stack": (lambda a, b: cr.stack([a, b * a], 1), (2, 3), (2, 3)),
    "cat": (lambda a, b: cr.cat([a * a, b], -1), (2, 3), (2, 1)),
}


@pytest.mark.parametrize("name", list(GRADCHECK))
def test_gradcheck(name):
    f, *shapes = GRADCHECK[name]
    check_gradcheck(f, *shapes)


# ------------------------------------------------------------------ bad input
def test_invalid_reshape_names_shape_and_size():
    with pytest.raises(ValueError, match=r"reshape: shape \(4, 4\) is invalid for input of size 6"):
        cr.zeros(2, 3).reshape(4, 4)
    with pytest.raises(ValueError, match=r"reshape: shape \(4, -1\) is invalid for input of size"):
        cr.zeros(2, 3).reshape(4, -1)
    with pytest.raises(ValueError, match=r"reshape: only one dimension can be -1"):
        cr.zeros(2, 3).reshape(-1, -1)


def test_cat_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"cat: .*\(2, 3\).*\(2, 4\)"):
        cr.cat([cr.zeros(2, 3), cr.zeros(2, 4)], dim=0)
    with pytest.raises(ValueError, match=r"cat: .*\(2, 3\).*\(2, 3, 1\)"):
        cr.cat([cr.zeros(2, 3), cr.zeros(2, 3, 1)])


@pytest.mark.parametrize("join", ["cat", "stack"])
@pytest.mark.parametrize(
    "dtypes",
    [
        ("int64", "float32"),
        ("float32", "float64"),
        ("int32", "int64"),
        ("bool", "int64"),
        ("bool", "float32", "int32"),
        ("float32", "float32"),
    ],
    ids="-".join,
)
def test_cat_and_stack_promote_dtypes_as_torch(join, dtypes):
    """int64 with float32 joins as float32 (torch), not float64 (NumPy's rule); the gradient
    reaches each floating input in its own dtype."""
    rng = np.random.default_rng(0)
    arrays = [rng.integers(-3, 4, (2, 3)).astype(d) for d in dtypes]
    ours = [on_device(a) for a in arrays]
    for t in ours:
        if t.dtype.kind == "f":
            t.requires_grad_()
    y = getattr(cr, join)(ours, 1)
    ref = getattr(torch, join)([torch.tensor(a) for a in arrays], 1)
    assert str(y.dtype) == str(ref.dtype).replace("torch.", "")
    np.testing.assert_array_equal(y.numpy() if not y.requires_grad else y.detach().numpy(), ref)
    if y.requires_grad:
        (y * y).sum().backward()
        for t, a in zip(ours, arrays):
            if t.requires_grad:
                assert t.grad.dtype == t.dtype
                np.testing.assert_allclose(t.grad.numpy(), 2 * a.astype(np.float64), rtol=1e-6)


def test_stack_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"stack: .*\(2, 3\).*\(3, 2\)"):
        cr.stack([cr.zeros(2, 3), cr.zeros(3, 2)])


@pytest.mark.parametrize(
    "op,call,rng",
    [
        ("transpose", lambda x: x.transpose(0, 3), r"-3\.\.2"),
        ("permute", lambda x: x.permute(0, 1, 5), r"-3\.\.2"),
        ("unsqueeze", lambda x: x.unsqueeze(4), r"-4\.\.3"),
        ("squeeze", lambda x: x.squeeze(-4), r"-3\.\.2"),
        ("flatten", lambda x: x.flatten(3), r"-3\.\.2"),
        ("cat", lambda x: cr.cat([x, x], 3), r"-3\.\.2"),
        ("stack", lambda x: cr.stack([x, x], -5), r"-4\.\.3"),
        ("split", lambda x: x.split(1, 3), r"-3\.\.2"),
        ("chunk", lambda x: x.chunk(2, -4), r"-3\.\.2"),
    ],
)
def test_out_of_range_dim(op, call, rng):
    with pytest.raises(IndexError, match=rf"{op}: dim -?\d is out of range .*\(expected {rng}\)"):
        call(cr.zeros(2, 3, 4))


def test_expand_mismatch_names_shapes():
    with pytest.raises(ValueError, match=r"broadcast_to: .*\(3, 2\).*\(3, 4\)"):
        cr.zeros(3, 2).expand(3, 4)


def test_expand_minus_one_in_a_new_dimension_raises():
    with pytest.raises(ValueError, match=r"broadcast_to: -1 .* \(3, 1\) to \(-1, 3, 4\)"):
        cr.zeros(3, 1).expand(-1, 3, 4)


def test_split_sizes_must_sum_to_the_dimension():
    with pytest.raises(
        ValueError,
        match=r"split: sizes \[2, 2\] sum to 4, but dimension 0 has "
        r"size 5",
    ):
        cr.zeros(5).split([2, 2])


def test_pad_too_many_widths():
    with pytest.raises(ValueError, match=r"pad: padding \(1, 1, 1, 1\) .*\(3,\)"):
        cr.pad(cr.zeros(3), (1, 1, 1, 1))


def test_permute_repeated_dim():
    with pytest.raises(ValueError, match=r"permute: dims \(0, 0\) repeat"):
        cr.zeros(2, 3).permute(0, 0)


# ------------------------------------------------------------------ flip, roll, tril, triu, repeat
REORDER = [
    ("flip", (2, 3, 4), lambda t: lib_of(t).flip(t, (0, 2))),
    ("flip_method", (2, 3, 4), lambda t: t.flip(-1)),
    ("flip_method_dims", (2, 3), lambda t: t.flip(0, 1)),
    ("flip_empty", (2, 0, 3), lambda t: t.flip(2)),
    ("roll_flat", (2, 3, 4), lambda t: lib_of(t).roll(t, 5)),
    ("roll_dim", (2, 3, 4), lambda t: t.roll(-1, 1)),
    ("roll_dims", (2, 3, 4), lambda t: t.roll((1, 7), (0, -1))),
    ("tril", (3, 4), lambda t: lib_of(t).tril(t)),
    ("tril_batched", (2, 4, 3), lambda t: t.tril(-1)),
    ("triu", (3, 4), lambda t: lib_of(t).triu(t, 1)),
    ("triu_batched", (2, 3, 3), lambda t: t.triu(-2)),
    ("repeat", (2, 3), lambda t: t.repeat(2, 3)),
    ("repeat_new_dims", (2, 3), lambda t: t.repeat(2, 1, 2)),
    ("repeat_tuple", (3,), lambda t: t.repeat((2, 2))),
    ("repeat_zero", (2, 3), lambda t: t.repeat(0, 2)),
    ("tile_short", (2, 3), lambda t: lib_of(t).tile(t, (2,))),
    ("tile_method", (3,), lambda t: t.tile(2, 2)),
]


def lib_of(t):
    return torch if isinstance(t, torch.Tensor) else cr


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, shape, fn", REORDER, ids=[r[0] for r in REORDER])
def test_reordering_ops_against_torch(name, shape, fn, dtype):
    """Values, the gradient (moved back, or summed over the tiles), second order."""
    check_against_torch(_squared(fn), shape, dtype=dtype)


def test_reordering_ops_name_bad_arguments():
    x = cr.zeros(2, 3)
    with pytest.raises(ValueError, match=r"flip: dims \(0, -2\) name an axis twice"):
        x.flip(0, -2)
    with pytest.raises(IndexError):
        x.flip(2)
    with pytest.raises(
        ValueError, match="roll: shifts and dims must have the same length, got 2 and 1"
    ):
        x.roll((1, 2), 0)
    with pytest.raises(ValueError, match=r"roll: without dims, shifts must be a single int"):
        x.roll((1, 2))
    with pytest.raises(
        ValueError, match=r"tril: input must have at least 2 dims, got shape \(3,\)"
    ):
        cr.zeros(3).tril()
    with pytest.raises(
        ValueError, match=r"repeat: number of repeat dims \(1\) .* \(2\), shape \(2, 3\)"
    ):
        x.repeat(2)


VIEWS = [
    ("narrow", (3, 5), lambda t: t.narrow(1, 1, 3)),
    ("narrow_neg_start", (3, 5), lambda t: lib_of(t).narrow(t, 0, -2, 2)),
    ("narrow_empty", (3, 5), lambda t: t.narrow(1, 5, 0)),
    ("movedim", (2, 3, 4), lambda t: t.movedim(0, -1)),
    ("movedim_many", (2, 3, 4, 5), lambda t: lib_of(t).movedim(t, (0, 1), (3, 0))),
    ("moveaxis", (2, 3, 4), lambda t: t.moveaxis(2, 0)),
    ("unflatten", (2, 12), lambda t: t.unflatten(1, (3, -1))),
    ("unflatten_neg", (6, 2), lambda t: lib_of(t).unflatten(t, -2, (2, 3))),
    ("unbind", (3, 4), lambda t: lib_of(t).stack([u * (i + 1) for i, u in enumerate(t.unbind(1))])),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, shape, fn", VIEWS, ids=[v[0] for v in VIEWS])
def test_narrow_movedim_unflatten_unbind_against_torch(name, shape, fn, dtype):
    check_against_torch(_squared(fn), shape, dtype=dtype)


def test_narrow_and_movedim_name_bad_arguments():
    x = cr.zeros(3, 5)
    with pytest.raises(
        ValueError, match=r"narrow: start 4 and length 2 exceed dimension 1 of size 5"
    ):
        x.narrow(1, 4, 2)
    with pytest.raises(
        ValueError, match="movedim: source and destination must have the same length"
    ):
        x.movedim((0, 1), 0)
    with pytest.raises(ValueError, match=r"movedim: dims \(0, 0\) name an axis twice"):
        x.movedim((0, 0), (0, 1))


# ---------------------------------------------------------------- pad modes
MODE_PADS = [
    ((2, 3, 5), (2, 1)),
    ((3, 5), (1, 3)),
    ((2, 3, 5), (-1, 2)),
    ((2, 3, 5), (2, -2)),
    ((2, 2, 4, 5), (1, 2, 3, 0)),
    ((2, 4, 5), (0, 1, -1, 3)),
    ((1, 2, 3, 4, 5), (1, 1, 2, 0, 1, 2)),
    ((0, 3, 5), (1, 2)),  # an empty batch
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,widths", MODE_PADS)
def test_pad_modes_match_torch(shape, widths, mode, dtype):
    check_against_torch(
        _squared(lambda t: cr.functions.shape.pad(t, widths, mode=mode)),
        shape,
        dtype=dtype,
        torch_fn=_squared(lambda t: F.pad(t, widths, mode=mode)),
    )


@pytest.mark.parametrize("mode", ["replicate", "circular"])
def test_pad_modes_wider_than_the_input(mode):
    # replicate: any width; circular: up to the input's size (wrapping exactly once)
    check_against_torch(
        lambda t: cr.functions.shape.pad(t, (3, 3), mode=mode) ** 2,
        (2, 3),
        torch_fn=lambda t: F.pad(t, (3, 3), mode=mode) ** 2,
    )


def test_circular_pad_after_a_crop_wraps_the_cropped_part():
    x = np.arange(5.0).reshape(1, 1, 5)
    got = cr.functions.shape.pad(cr.tensor(x), (2, -3), mode="circular")
    np.testing.assert_array_equal(got.data, [[[0.0, 1.0, 0.0, 1.0]]])


def test_pad_reflect_gradcheck():
    check_gradcheck(
        lambda t: cr.functions.shape.pad(t, (2, 1, 1, 2), mode="reflect") ** 2, (1, 3, 4)
    )


def test_pad_modes_keep_float32():
    x = cr.tensor(np.ones((1, 2, 3), dtype=np.float32))
    for mode in ["reflect", "replicate", "circular"]:
        assert cr.functions.shape.pad(x, (1, 1), mode=mode).dtype == np.float32


@pytest.mark.parametrize(
    "shape, widths, mode, message",
    [
        ((1, 2, 3), (3, 3), "reflect", r"reflect padding .* \(3, 3\) for dim 2 of size 3"),
        ((1, 2, 3), (0, 4), "reflect", r"\(0, 4\) for dim 2 of size 3"),
        ((1, 2, 3), (4, 0), "circular", r"\(4, 0\) would wrap around .*size 3"),
        ((3,), (1, 1), "reflect", r"mode 'reflect' pads the last 1, 2 or 3 dims.*\(3,\)"),
        ((2, 2, 3, 3), (1, 1), "replicate", r"padding \(1, 1\) for an input of shape"),
        ((2, 3), (1, 1, 1, 1), "circular", r"padding \(1, 1, 1, 1\) .*\(2, 3\)"),
        ((1, 2, 0), (1, 1), "replicate", r"non-empty dims after the first, got shape \(1, 2, 0\)"),
        ((1, 2, 3), (1, 1), "wrap", r"mode must be one of .*'wrap'"),
    ],
)
def test_pad_mode_errors(shape, widths, mode, message):
    with pytest.raises(ValueError, match=message):
        cr.functions.shape.pad(cr.zeros(*shape), widths, mode=mode)


def test_pad_mode_takes_no_value():
    with pytest.raises(ValueError, match=r"mode 'reflect' takes no value, got value=1.5"):
        cr.functions.shape.pad(cr.zeros(1, 2, 3), (1, 1), mode="reflect", value=1.5)
