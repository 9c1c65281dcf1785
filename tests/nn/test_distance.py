"""CosineSimilarity and PairwiseDistance beside torch's modules: options, values, gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import check_against_torch

import chainrule as cr
from chainrule.nn.distance import CosineSimilarity, PairwiseDistance


@pytest.mark.parametrize("kw", [{}, {"dim": 0}, {"dim": -1, "eps": 0.5}])
def test_cosine_similarity_module_matches_torch(kw):
    ours, theirs = CosineSimilarity(**kw), torch.nn.CosineSimilarity(**kw)
    assert (ours.dim, ours.eps) == (theirs.dim, theirs.eps)
    check_against_torch(ours, (3, 4), (3, 4), torch_fn=theirs)
    check_against_torch(ours, (3, 4), (1, 4), torch_fn=theirs, dtype="float32")


@pytest.mark.parametrize(
    "kw", [{}, {"p": 1.0}, {"p": 3.0, "eps": 0.0, "keepdim": True}, {"p": float("inf")}]
)
def test_pairwise_distance_module_matches_torch(kw):
    ours, theirs = PairwiseDistance(**kw), torch.nn.PairwiseDistance(**kw)
    assert (ours.norm, ours.eps, ours.keepdim) == (theirs.norm, theirs.eps, theirs.keepdim)
    check_against_torch(ours, (5, 3), (5, 3), torch_fn=theirs)
    check_against_torch(ours, (5, 3), (3,), torch_fn=theirs, dtype="float32")


def test_distance_modules_have_no_parameters_and_repr_like_torch():
    for m in (CosineSimilarity(), PairwiseDistance()):
        assert list(m.parameters()) == [] and m.state_dict() == {}
    assert repr(PairwiseDistance()) == "PairwiseDistance()"
    y = CosineSimilarity(dim=0)(cr.tensor([1.0, 0.0]), cr.tensor([np.sqrt(0.5), np.sqrt(0.5)]))
    np.testing.assert_allclose(y.item(), np.sqrt(0.5), rtol=1e-6)
