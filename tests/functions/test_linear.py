"""linear and bilinear against torch (forward, gradients, second derivatives) and gradcheck."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import check_against_torch, check_gradcheck

import chainrule as cr
from chainrule.functions.linear import bilinear, linear, linear_chain

DTYPES = ["float64", "float32"]
LINEAR_SHAPES = [
    ((4, 3), (2, 3), (2,)),
    ((2, 5, 3), (4, 3), (4,)),
    ((2, 2, 2, 3), (1, 3), (1,)),
    ((3,), (2, 3), (2,)),
    ((0, 3), (2, 3), (2,)),
    ((4, 3), (0, 3), (0,)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", LINEAR_SHAPES)
def test_linear_matches_torch(shapes, dtype):
    check_against_torch(linear, *shapes, torch_fn=F.linear, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", LINEAR_SHAPES)
def test_linear_without_bias_matches_torch(shapes, dtype):
    check_against_torch(linear, *shapes[:2], torch_fn=F.linear, dtype=dtype)


def test_linear_grad_of_input_only():
    check_against_torch(
        linear, (5, 3), (2, 3), (2,), torch_fn=F.linear, requires_grad=[True, False, False]
    )


def test_linear_grad_of_weight_only():
    check_against_torch(linear, (2, 5, 3), (2, 3), torch_fn=F.linear, requires_grad=[False, True])


@pytest.mark.parametrize("shapes", [((4, 3), (2, 3), (2,)), ((2, 3, 3), (2, 3), (2,))])
def test_linear_gradcheck(shapes):
    check_gradcheck(linear, *shapes)


def test_linear_closed_form():
    x = cr.tensor([[1.0, 2.0]], dtype=cr.float64)
    W = cr.tensor([[1.0, 0.0], [3.0, -1.0]], dtype=cr.float64)
    b = cr.tensor([0.5, -0.5], dtype=cr.float64)
    np.testing.assert_array_equal(linear(x, W, b).data, [[1.5, 0.5]])


def test_linear_wrong_features_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(4, 5\).*\(2, 3\).*expects 3"):
        linear(cr.zeros(4, 5), cr.zeros(2, 3))


@pytest.mark.parametrize(
    "x, W, b, err, pat",
    [
        ((4, 3), (3,), None, ValueError, r"weight must be 2-D.*\(3,\)"),
        ((), (2, 3), None, ValueError, r"features"),
        ((4, 3), (2, 3), (3,), ValueError, r"bias must have shape \(2,\).*\(3,\)"),
    ],
)
def test_linear_bad_shapes(x, W, b, err, pat):
    with pytest.raises(err, match=pat):
        linear(cr.zeros(*x), cr.zeros(*W), None if b is None else cr.zeros(*b))


def test_linear_dtype_mismatch():
    with pytest.raises(TypeError, match="float64.*float32"):
        linear(cr.zeros(2, 3, dtype=cr.float64), cr.zeros(2, 3))


BILINEAR_SHAPES = [
    ((4, 3), (4, 5), (2, 3, 5), (2,)),
    ((2, 3, 3), (2, 3, 2), (4, 3, 2), (4,)),
    ((3,), (2,), (2, 3, 2), (2,)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", BILINEAR_SHAPES)
def test_bilinear_matches_torch(shapes, dtype):
    check_against_torch(bilinear, *shapes, torch_fn=F.bilinear, dtype=dtype)


def test_bilinear_without_bias_matches_torch():
    check_against_torch(bilinear, (4, 3), (4, 5), (2, 3, 5), torch_fn=F.bilinear)


def test_bilinear_gradcheck():
    check_gradcheck(bilinear, (3, 2), (3, 4), (2, 2, 4), (2,))


def test_bilinear_closed_form():
    x1 = cr.tensor([[1.0, 2.0]], dtype=cr.float64)
    x2 = cr.tensor([[3.0]], dtype=cr.float64)
    A = cr.tensor([[[1.0], [1.0]], [[2.0], [0.0]]], dtype=cr.float64)  # (2, 2, 1)
    np.testing.assert_allclose(bilinear(x1, x2, A).data, [[9.0, 6.0]])


@pytest.mark.parametrize(
    "x1, x2, W, pat",
    [
        ((4, 2), (4, 5), (2, 3, 5), r"input1 of shape \(4, 2\) must have 3"),
        ((4, 3), (4, 4), (2, 3, 5), r"input2 of shape \(4, 4\) must have 5"),
        ((4, 3), (3, 5), (2, 3, 5), r"same leading dims.*\(4, 3\) and \(3, 5\)"),
        ((4, 3), (4, 5), (3, 5), r"weight must be 3-D"),
    ],
)
def test_bilinear_bad_shapes(x1, x2, W, pat):
    with pytest.raises(ValueError, match=pat):
        bilinear(cr.zeros(*x1), cr.zeros(*x2), cr.zeros(*W))


def test_linear_big_batch_float32_matches_torch():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 784)).astype("float32")
    W = rng.standard_normal((512, 784)).astype("float32") * 0.03
    y = linear(cr.tensor(x), cr.tensor(W))
    ref = F.linear(torch.from_numpy(x), torch.from_numpy(W)).numpy()
    np.testing.assert_allclose(y.data, ref, rtol=1e-5, atol=1e-5)


def test_linear_without_grad_may_return_a_wide_result_in_fortran_order():
    """Inference computes a wide product as its transpose (faster on OpenBLAS): the values are
    torch's; the layout is Fortran only without grad, and the next layer reads it as it is."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((128, 784)).astype("float32")
    W1 = (rng.standard_normal((512, 784)) * 0.03).astype("float32")
    W2 = (rng.standard_normal((10, 512)) * 0.03).astype("float32")
    b1 = rng.standard_normal(512).astype("float32")
    t = torch.from_numpy
    ref1 = F.linear(t(x), t(W1), t(b1))
    ref2 = F.linear(ref1, t(W2)).numpy()
    with cr.no_grad():
        h = linear(cr.tensor(x), cr.tensor(W1), cr.tensor(b1))
        y = linear(h, cr.tensor(W2))
    np.testing.assert_allclose(h.data, ref1.numpy(), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(y.data, ref2, rtol=1e-5, atol=1e-4)
    assert y.data.flags.c_contiguous  # narrow: C order
    if cr.backend._blas._set is not None and cr.get_num_threads() > 1:
        assert h.data.flags.f_contiguous and not h.data.flags.c_contiguous
    with_grad = linear(cr.tensor(x), cr.tensor(W1, requires_grad=True), cr.tensor(b1))
    assert with_grad.data.flags.c_contiguous  # training keeps C order
    np.testing.assert_array_equal(with_grad.data, h.data)


# LinearChain layers: (in, out, bias, activation: None, 0.0 = ReLU, or a LeakyReLU slope)
CHAINS = [
    [(4, 5, True, 0.0)],
    [(4, 5, False, 0.2)],
    [(4, 5, True, 1.0)],
    [(4, 7, True, 0.0), (7, 3, False, 0.2), (3, 2, True, None)],
    [(4, 6, False, None), (6, 5, True, 0.0)],
]


def _chain_args(layers):
    """The inputs' shapes, then functions (chainrule, torch) of those inputs."""
    shapes = [(6, layers[0][0])]
    for n_in, n_out, bias, _ in layers:
        shapes += [(n_out, n_in)] + ([(n_out,)] if bias else [])

    def unpack(ts):
        out, i = [], 0
        for _, _, bias, a in layers:
            out.append((ts[i], ts[i + 1] if bias else None, a))
            i += 2 if bias else 1
        return out

    def ours(x, *ts):
        return linear_chain(x, unpack(ts))

    def theirs(x, *ts):
        for W, b, a in unpack(ts):
            x = F.linear(x, W, b)
            if a is not None:
                x = F.leaky_relu(x, a) if a else F.relu(x)
        return x

    return shapes, ours, theirs


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layers", CHAINS)
def test_linear_chain_matches_torch_with_second_derivatives(layers, dtype):
    shapes, ours, theirs = _chain_args(layers)
    check_against_torch(ours, *shapes, torch_fn=theirs, dtype=dtype)


@pytest.mark.parametrize("layers", [CHAINS[0], CHAINS[1], CHAINS[3]])
def test_linear_chain_gradcheck(layers):
    shapes, ours, _ = _chain_args(layers)
    check_gradcheck(ours, *shapes)


def test_linear_chain_computes_only_the_gradients_asked_for():
    """A frozen first layer and an input without grad: those gradients stay None; the others
    match torch."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in [(5, 4), (6, 4), (6,), (3, 6), (3,)]]
    need = [False, False, False, True, True]
    ours = [cr.tensor(a, requires_grad=r) for a, r in zip(arrays, need)]
    theirs = [torch.tensor(a, requires_grad=r) for a, r in zip(arrays, need)]
    y = linear_chain(ours[0], [(ours[1], ours[2], 0.0), (ours[3], ours[4], 0.0)])
    y.sum().backward()
    F.relu(F.linear(F.relu(F.linear(*theirs[:3])), *theirs[3:])).sum().backward()
    for a, b, r in zip(ours, theirs, need):
        if r:
            np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-12)
        else:
            assert a.grad is None


def test_linear_chain_names_its_layers():
    x, W, b = cr.ones(4, 3, requires_grad=True), cr.ones(3, 3), cr.ones(3)
    assert linear_chain(x, [(W, b, 0.0)]).grad_fn.name == "LinearReLU"
    y = linear_chain(x, [(W, b, 0.5), (W, None, None), (W, b, 0.0)])
    assert y.grad_fn.name == "LinearLeakyReLU+Linear+LinearReLU"


def test_linear_chain_declines_what_it_does_not_cover():
    """Not 2-D, mismatched features, integer or mixed dtypes, layers that do not chain: None
    (the caller runs the layers one by one, which raise their own errors)."""
    W, b = cr.ones(2, 3), cr.ones(2)
    assert linear_chain(cr.ones(4, 2, 3), [(W, b, 0.0)]) is None
    assert linear_chain(cr.ones(4, 5), [(W, b, 0.0)]) is None
    assert linear_chain(cr.ones(4, 3, dtype=cr.float64), [(W, b, 0.0)]) is None
    assert linear_chain(cr.ones(4, 3), [(W, cr.ones(3), 0.0)]) is None
    Wi = cr.ones(2, 3, dtype=cr.int64)
    assert linear_chain(cr.ones(4, 3, dtype=cr.int64), [(Wi, None, 0.0)]) is None
    assert linear_chain(np.ones((4, 3), np.float32), [(W, b, 0.0)]) is None
    assert linear_chain(cr.ones(4, 3), [(W.data, b, 0.0)]) is None
    assert linear_chain(cr.ones(4, 3), []) is None
    assert linear_chain(cr.ones(4, 3), [(W, b.data, 0.0)]) is None
    assert linear_chain(cr.ones(4, 3), [(W, b, 0.0), (W, b, 0.0)]) is None  # 2 ≠ 3 features
    W64 = cr.ones(3, 2, dtype=cr.float64)
    assert linear_chain(cr.ones(4, 3), [(W, b, 0.0), (W64, None, None)]) is None
    assert linear_chain(cr.ones(4, 3), [(W, b, 0.0)]).shape == (4, 2)
    assert linear_chain(cr.ones(4, 3), [(W, b, 0.0), (cr.ones(5, 2), None, None)]).shape == (4, 5)


def _layers_one_by_one(x, params):
    h = x
    for k, (W, b) in enumerate(params):
        h = linear(h, W, b)
        if k < len(params) - 1:
            h = cr.relu(h)
    return h


@pytest.mark.parametrize(
    "batch, sizes",
    [
        (6, [4, 7, 3]),
        (1, [4, 6, 3]),
        (5, [1, 6, 1]),
        (7, [6, 1, 4]),
        (0, [3, 2]),
        (128, [784, 96, 10]),
    ],
)
def test_linear_chain_products_are_the_layers_bit_for_bit(batch, sizes):
    """Whichever products the chain runs (NumPy's matmul with the threads chosen once when all
    are small, the outer-product form where an inner dimension is 1, or a choice per product
    for large layers), its values and gradients are those of the layers one by one, exactly."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    arrays = [
        (rng.standard_normal((o, i)).astype(np.float32), rng.standard_normal(o).astype(np.float32))
        for i, o in zip(sizes, sizes[1:])
    ]
    results = []
    for fused in (True, False):
        xt = cr.tensor(x, requires_grad=True)
        params = [
            (cr.tensor(W, requires_grad=True), cr.tensor(b, requires_grad=True)) for W, b in arrays
        ]
        if fused:
            acts = [0.0] * (len(params) - 1) + [None]
            y = linear_chain(xt, [(W, b, a) for (W, b), a in zip(params, acts)])
            assert y.grad_fn.name.count("Linear") == len(params)
        else:
            y = _layers_one_by_one(xt, params)
        (
            y * cr.tensor(np.linspace(-1, 1, y.data.size, dtype=np.float32).reshape(y.shape))
        ).sum().backward()
        results.append([y.data, xt.grad.data] + [t.grad.data for p in params for t in p])
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)


def test_linear_chain_of_small_products_runs_its_backward_on_one_blas_thread(threads):
    """Small products run on one BLAS thread: the chain chooses once, in its forward, and
    again at its backward, since another op may have taken every thread in between."""
    blas = cr.backend._blas
    if blas._set is None:
        pytest.skip("needs OpenBLAS's thread control")
    cr.set_num_threads(2)
    x = cr.ones(64, 64, requires_grad=True)
    W1, W2 = cr.ones(128, 64, requires_grad=True), cr.ones(10, 128, requires_grad=True)
    y = linear_chain(x, [(W1, None, 0.0), (W2, None, None)])
    assert int(blas._get()) == 1
    cr.backend.use_all_blas_threads()
    y.sum().backward()
    assert int(blas._get()) == 1
    big = cr.ones(128, 784)
    linear_chain(big, [(cr.ones(512, 784), None, 0.0)])
    assert int(blas._get()) == 2  # a large product takes every thread
