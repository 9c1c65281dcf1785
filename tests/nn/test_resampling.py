"""Upsample, PixelShuffle, PixelUnshuffle, Unfold and Fold against their torch twins: values,
input gradients and repr."""

import pytest
import torch

from chainrule.nn import resampling as R

from .twin import check_twin

LAYERS = [
    ("Upsample", (), dict(scale_factor=2), (2, 3, 4, 5)),
    ("Upsample", (), dict(size=(3, 7), mode="bilinear"), (2, 3, 4, 5)),
    ("Upsample", (), dict(scale_factor=1.5, mode="bicubic", align_corners=True), (1, 2, 4, 5)),
    ("Upsample", (), dict(size=9, mode="linear"), (2, 3, 4)),
    ("Upsample", (), dict(scale_factor=1.7, mode="linear", recompute_scale_factor=True), (1, 2, 4)),
    ("Upsample", (), dict(scale_factor=(0.5, 2, 1), mode="trilinear"), (1, 2, 4, 3, 2)),
    ("Upsample", (), dict(scale_factor=0.5, mode="area"), (2, 3, 4, 6)),
    ("UpsamplingNearest2d", (), dict(scale_factor=3), (2, 3, 2, 3)),
    ("UpsamplingBilinear2d", (), dict(size=(5, 4)), (2, 3, 2, 3)),
    ("PixelShuffle", (2,), {}, (2, 8, 3, 4)),
    ("PixelUnshuffle", (2,), {}, (2, 2, 4, 6)),
    ("Unfold", ((2, 3),), dict(padding=1, stride=2), (2, 3, 5, 6)),
    ("Fold", ((4, 5), 2), {}, (2, 12, 12)),
    ("Fold", ((5, 5), 3), dict(padding=1, stride=2), (3 * 9, 9)),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name, args, kw, shape", LAYERS)
def test_resampling_layers_match_torch(name, args, kw, shape, dtype):
    check_twin(
        getattr(R, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw), shape, dtype=dtype
    )


@pytest.mark.parametrize("name, args, kw, shape", LAYERS)
def test_repr_like_torch(name, args, kw, shape):
    assert repr(getattr(R, name)(*args, **kw)) == repr(getattr(torch.nn, name)(*args, **kw))
