"""Distances against torch: values, dtypes, input gradients and gradients of gradients (where
torch has them; pdist and cdist have none there, so gradgradcheck is the oracle)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import assert_close, check_against_torch, check_gradcheck, host, on_device

import chainrule as cr
from chainrule.functions.distance import (
    cdist,
    cosine_similarity,
    dist,
    normalize,
    pairwise_distance,
    pdist,
)

INF = float("inf")
NO_MM = "donot_use_mm_for_euclid_dist"  # torch's exact path, the one we always take


# ------------------------------------------------------------------ normalize
@pytest.mark.parametrize(
    "shape,dim", [((3, 4), 1), ((3, 4), 0), ((2, 3, 5), -1), ((5,), 0), ((2, 0, 3), 1)]
)
@pytest.mark.parametrize("p", [2.0, 1, 3.5, INF])
def test_normalize_matches_torch(shape, dim, p):
    if p == INF and shape[dim] == 0:  # torch refuses (max of nothing); we leave x as it is
        x = cr.zeros(*shape)
        assert normalize(x, p=p, dim=dim).shape == shape
        return
    check_against_torch(
        lambda x: normalize(x, p=p, dim=dim),
        shape,
        torch_fn=lambda x: F.normalize(x, p=p, dim=dim),
        seed=shape[0],
    )


def test_normalize_zero_and_tiny_rows_use_eps():
    """Rows with ‖x‖ < ε are divided by ε itself: the gradient there is 1/ε."""
    x = np.array([[0.0, 0.0, 0.0], [1e-14, -2e-14, 0.0], [3.0, -4.0, 1.0]])
    ours = lambda t: normalize(t, eps=1e-12)  # noqa: E731
    theirs = lambda t: F.normalize(t, eps=1e-12)  # noqa: E731
    # torch's second derivative of ‖x‖ at x = 0 is NaN (ours 0): compare it without that row
    out = check_against_torch(ours, x, torch_fn=theirs, gradgrad=False)
    np.testing.assert_array_equal(host(out)[0], 0.0)
    check_against_torch(ours, x[1:], torch_fn=theirs)


def test_normalize_float32_and_defaults():
    check_against_torch(normalize, (4, 6), torch_fn=F.normalize, dtype="float32")


def test_normalize_errors():
    with pytest.raises(TypeError, match="normalize: input must be floating point, got dtype int64"):
        normalize(cr.tensor([[1, 2]]))
    with pytest.raises(IndexError, match="normalize: dim 1 is out of range"):
        normalize(cr.tensor([1.0, 2.0]))


# ------------------------------------------------------------------ cosine_similarity
@pytest.mark.parametrize(
    "s1,s2,dim",
    [
        ((4, 5), (4, 5), 1),
        ((4, 5), (1, 5), 1),  # broadcast
        ((5,), (3, 5), -1),  # broadcast over fewer dimensions
        ((2, 3, 4), (2, 3, 4), 0),
        ((6,), (6,), 0),
        ((3, 0), (3, 0), 1),
    ],
)
def test_cosine_similarity_matches_torch(s1, s2, dim):
    check_against_torch(
        lambda a, b: cosine_similarity(a, b, dim=dim),
        s1,
        s2,
        torch_fn=lambda a, b: F.cosine_similarity(a, b, dim=dim),
    )


def test_cosine_similarity_clamps_each_norm_and_passes_the_gradient_through():
    """torch clamps ‖x₁‖ and ‖x₂‖ at ε separately, and only the value: the gradient of the
    norm still flows. A zero row and rows shorter than ε check both."""
    a = np.array([[0.0, 0.0, 0.0], [1e-9, 2e-9, -1e-9], [1.0, 2.0, 3.0]])
    b = np.array([[1.0, -2.0, 0.5], [0.3, 0.1, 2.0], [1e-10, 0.0, 3e-10]])
    # torch's second derivative of ‖x‖ at x = 0 is NaN (ours 0): compare it without that row
    check_against_torch(cosine_similarity, a, b, torch_fn=F.cosine_similarity, gradgrad=False)
    check_against_torch(cosine_similarity, a[1:], b[1:], torch_fn=F.cosine_similarity)
    check_against_torch(
        lambda x, y: cosine_similarity(x, y, eps=0.5),
        a[1:] * 1e8,
        b[1:],
        torch_fn=lambda x, y: F.cosine_similarity(x, y, eps=0.5),
    )


def test_cosine_similarity_dtypes():
    check_against_torch(cosine_similarity, (3, 4), (3, 4), torch_fn=F.cosine_similarity,
                        dtype="float32")  # fmt: skip
    a = np.arange(6).reshape(2, 3)
    b = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    ours = cosine_similarity(on_device(a), on_device(b))
    ref = F.cosine_similarity(torch.tensor(a), torch.tensor(b))
    assert ours.dtype == cr.float32
    assert_close(ours, ref, "float32")


def test_cosine_similarity_errors():
    with pytest.raises(TypeError, match="cosine_similarity: expected floating point inputs, got "
                                        "dtypes int64 and int64"):  # fmt: skip
        cosine_similarity(cr.tensor([[1, 2]]), cr.tensor([[1, 2]]))
    with pytest.raises(ValueError, match=r"cosine_similarity: shapes \(2, 3\) and \(4, 3\)"):
        cosine_similarity(cr.zeros(2, 3), cr.zeros(4, 3))
    with pytest.raises(IndexError, match="cosine_similarity: dim 1 is out of range"):
        cosine_similarity(cr.zeros(3), cr.zeros(3))


# ------------------------------------------------------------------ pairwise_distance
@pytest.mark.parametrize(
    "s1,s2", [((4, 5), (4, 5)), ((4, 5), (5,)), ((3,), (2, 3)), ((3,), (3,)), ((2, 3, 4), (3, 4))]
)
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, INF])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance_matches_torch(s1, s2, p, keepdim):
    check_against_torch(
        lambda a, b: pairwise_distance(a, b, p=p, keepdim=keepdim),
        s1,
        s2,
        torch_fn=lambda a, b: F.pairwise_distance(a, b, p=p, keepdim=keepdim),
    )


def test_pairwise_distance_eps_scalars_and_float32():
    check_against_torch(
        lambda a, b: pairwise_distance(a, b, eps=0.25),
        (), (),
        torch_fn=lambda a, b: F.pairwise_distance(a, b, eps=0.25),
    )  # fmt: skip
    same = np.ones((3, 4))  # x₁ = x₂: ε keeps the distance (and gradient) finite
    check_against_torch(pairwise_distance, same, same, torch_fn=F.pairwise_distance)
    check_against_torch(pairwise_distance, (5, 3), (5, 3), torch_fn=F.pairwise_distance,
                        dtype="float32")  # fmt: skip
    check_against_torch(
        lambda a, b: pairwise_distance(a, b, p=0), (4, 3), (4, 3),
        torch_fn=lambda a, b: F.pairwise_distance(a, b, p=0),
    )  # fmt: skip


def test_pairwise_distance_errors():
    with pytest.raises(ValueError, match=r"pairwise_distance: shapes \(2, 3\) and \(4,\)"):
        pairwise_distance(cr.zeros(2, 3), cr.zeros(4))
    with pytest.raises(ValueError, match="pairwise_distance: p must be non-negative, got -1"):
        pairwise_distance(cr.zeros(2, 3), cr.zeros(2, 3), p=-1)


# ------------------------------------------------------------------ pdist
@pytest.mark.parametrize("shape", [(5, 3), (2, 4), (1, 3), (4, 0)])
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.0, INF])
def test_pdist_matches_torch(shape, p):
    check_against_torch(
        lambda x: pdist(x, p), shape, torch_fn=lambda x: torch.pdist(x, p), gradgrad=False
    )


def test_pdist_of_no_rows_is_empty():
    """(torch's backward crashes on 0 rows, so this one is checked by hand.)"""
    x = cr.zeros(0, 2, dtype=cr.float64, requires_grad=True)
    y = pdist(x)
    assert y.shape == (0,) and y.dtype == cr.float64
    y.sum().backward()
    assert x.grad.shape == (0, 2)


def test_pdist_repeated_rows_get_no_gradient_from_their_zero_distance():
    x = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0], [1.0, 2.0, 3.0]])
    check_against_torch(pdist, x, torch_fn=torch.pdist, gradgrad=False)
    check_against_torch(pdist, x.astype(np.float32), torch_fn=torch.pdist, dtype="float32",
                        gradgrad=False)  # fmt: skip


@pytest.mark.parametrize("p", [2.0, 1.5, 3.0])
def test_pdist_gradgradcheck(p):
    check_gradcheck(lambda x: pdist(x, p), (4, 3))


def test_pdist_errors():
    with pytest.raises(
        ValueError, match=r"pdist: input must be 2-D \(N, M\), got shape \(2, 3, 3\)"
    ):
        pdist(cr.zeros(2, 3, 3))
    with pytest.raises(ValueError, match="pdist: p must be non-negative, got -1"):
        pdist(cr.zeros(3, 3), p=-1)
    with pytest.raises(TypeError, match="pdist: input must be floating point"):
        pdist(cr.tensor([[1, 2], [3, 4]]))


# ------------------------------------------------------------------ cdist
@pytest.mark.parametrize(
    "s1,s2",
    [
        ((4, 3), (5, 3)),
        ((2, 4, 3), (2, 6, 3)),
        ((1, 4, 3), (3, 2, 3)),  # batch dimensions broadcast
        ((2, 1, 3, 2), (4, 5, 2)),
        ((0, 3), (4, 3)),
        ((3, 0), (2, 0)),
    ],
)
@pytest.mark.parametrize("p", [2.0, 1.0, 0.0, 3.0, 0.5, INF])
def test_cdist_matches_torch(s1, s2, p):
    check_against_torch(
        lambda a, b: cdist(a, b, p=p),
        s1,
        s2,
        torch_fn=lambda a, b: torch.cdist(a, b, p=p, compute_mode=NO_MM),
        grad=p != 0,  # torch's backward fails for p = 0
        gradgrad=False,
    )


def test_cdist_p0_counts_differences_and_has_zero_gradient():
    a = on_device(np.array([[1.0, 2.0, 3.0], [0.0, 2.0, 5.0]])).requires_grad_()
    b = on_device(np.array([[1.0, 0.0, 3.0]])).requires_grad_()
    y = cdist(a, b, p=0)
    np.testing.assert_array_equal(host(y), [[1.0], [3.0]])
    ga, gb = cr.grad(y.sum(), [a, b])
    np.testing.assert_array_equal(host(ga), 0.0)
    np.testing.assert_array_equal(host(gb), 0.0)


@pytest.mark.parametrize("mode", [None, "use_mm_for_euclid_dist", NO_MM])
def test_cdist_float32_large_and_compute_mode_ignored(mode):
    """Past 25 rows torch's default uses ‖a‖² + ‖b‖² − 2ab for p = 2; we keep the exact
    differences (any compute_mode), so compare with torch's exact mode."""
    check_against_torch(
        lambda a, b: cdist(a, b, compute_mode=mode),
        (30, 4), (27, 4),
        torch_fn=lambda a, b: torch.cdist(a, b, compute_mode=NO_MM),
        dtype="float32", gradgrad=False,
    )  # fmt: skip


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0])
def test_cdist_coincident_rows_get_no_gradient(p):
    a = np.array([[1.0, 2.0], [0.0, 1.0]])
    b = np.array([[1.0, 2.0], [3.0, -1.0], [0.0, 1.0]])
    check_against_torch(
        lambda x, y: cdist(x, y, p=p), a, b,
        torch_fn=lambda x, y: torch.cdist(x, y, p=p, compute_mode=NO_MM), gradgrad=False,
    )  # fmt: skip


@pytest.mark.parametrize("p", [2.0, 1.5, 3.0])
def test_cdist_gradgradcheck(p):
    check_gradcheck(lambda a, b: cdist(a, b, p), (2, 3, 2), (1, 4, 2))


def test_cdist_errors():
    with pytest.raises(ValueError, match=r"cdist: x1 must be at least 2-D .*got shape \(3,\)"):
        cdist(cr.zeros(3), cr.zeros(2, 3))
    with pytest.raises(ValueError, match=r"cdist: x1 and x2 must have the same last dimension, "
                                         r"got \(2, 3\) and \(4, 2\)"):  # fmt: skip
        cdist(cr.zeros(2, 3), cr.zeros(4, 2))
    with pytest.raises(ValueError, match="cdist: p must be non-negative, got -1"):
        cdist(cr.zeros(2, 3), cr.zeros(4, 3), p=-1)
    with pytest.raises(TypeError, match="cdist: x1 must be floating point, got dtype int64"):
        cdist(cr.tensor([[1, 2]]), cr.tensor([[1, 2]]))
    with pytest.raises(TypeError, match="cdist: x1 and x2 must have the same dtype"):
        cdist(cr.zeros(2, 3), cr.zeros(2, 3, dtype=cr.float64))
    with pytest.raises(ValueError, match=r"cdist: shapes \(5,\) and \(7,\) cannot be broadcast"):
        cdist(cr.zeros(5, 2, 3), cr.zeros(7, 4, 3))
    with pytest.raises(ValueError, match="cdist: 'fast' is not a valid value for compute_mode"):
        cdist(cr.zeros(2, 3), cr.zeros(4, 3), compute_mode="fast")


# ------------------------------------------------------------------ dist
@pytest.mark.parametrize("s1,s2", [((3, 4), (3, 4)), ((3, 4), (4,)), ((), (5,)), ((0, 2), (2,))])
@pytest.mark.parametrize("p", [2.0, 1.0, 0.0, 3.0, INF])
def test_dist_matches_torch(s1, s2, p):
    if p == INF and s1 == (0, 2):  # torch refuses (no identity for max); we give 0
        assert dist(cr.zeros(0, 2), cr.zeros(2), p).item() == 0.0
        return
    check_against_torch(
        lambda a, b: dist(a, b, p),
        s1,
        s2,
        torch_fn=lambda a, b: torch.dist(a, b, p),
        grad=p != 0,  # torch's backward fails for p = 0 (ours is 0: see cdist's test)
    )


def test_dist_float32_and_errors():
    check_against_torch(dist, (4, 3), (4, 3), torch_fn=torch.dist, dtype="float32")
    with pytest.raises(ValueError, match=r"dist: shapes \(2, 3\) and \(4,\)"):
        dist(cr.zeros(2, 3), cr.zeros(4))
    with pytest.raises(TypeError, match="dist: expected floating point inputs"):
        dist(cr.tensor([1, 2]), cr.tensor([1, 2]))
