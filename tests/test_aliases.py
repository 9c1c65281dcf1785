"""torch's top-level spellings of Tensor methods (chainrule/aliases.py) against torch's own."""

import numpy as np
import pytest
import torch

import chainrule as cr


def test_top_level_aliases_give_torchs_results():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    x, t = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    mask = a > 2
    pairs = [
        (cr.clone(x), torch.clone(t)),
        (cr.detach(x), torch.detach(t)),
        (cr.masked_fill(x, cr.tensor(mask), -1.0), torch.masked_fill(t, torch.tensor(mask), -1.0)),
        (cr.narrow_copy(x, 1, 1, 2), torch.narrow_copy(t, 1, 1, 2)),
        (cr.positive(x), torch.positive(t)),
        (cr.conj(x), torch.conj(t)),
        (cr.real(x), torch.real(t)),
    ]
    for ours, theirs in pairs:
        np.testing.assert_array_equal(ours.data, theirs.detach().numpy())
    assert cr.clone(x).requires_grad and not cr.detach(x).requires_grad
    for ours, theirs in zip(
        cr.split_with_sizes(x, [1, 2], 1), torch.split_with_sizes(t, [1, 2], 1)
    ):
        np.testing.assert_array_equal(ours.data, theirs.detach().numpy())
    for name in ("is_floating_point", "is_complex", "is_signed"):
        assert getattr(cr, name)(x) == getattr(torch, name)(t), name
    assert cr.is_nonzero(cr.tensor([3])) and not cr.is_nonzero(cr.tensor([0.0]))
    assert cr.is_same_size(x, cr.ones(2, 3)) and not cr.is_same_size(x, cr.ones(3, 2))
    with pytest.raises(RuntimeError, match="ambiguous"):
        cr.is_nonzero(x)


def test_top_level_conv_bilinear_and_channel_shuffle_are_the_functional_ones():
    import chainrule.nn.functional as F

    for name in ("conv1d", "conv2d", "conv_transpose2d", "bilinear", "channel_shuffle"):
        assert getattr(cr, name) is getattr(F, name), name
        assert hasattr(torch, name)


@pytest.mark.parametrize("name", ["exp_", "sqrt_", "neg_", "trunc_", "erf_", "sigmoid_"])
def test_top_level_in_place_functions_match_torch(name):
    a = np.array([0.25, 1.5, 2.75])
    x, t = cr.tensor(a), torch.tensor(a)
    assert getattr(cr, name)(x) is x
    getattr(torch, name)(t)
    np.testing.assert_allclose(x.numpy(), t.numpy(), rtol=1e-12)


def test_top_level_in_place_functions_take_arguments_and_are_torch_names():
    from chainrule.aliases import INPLACE

    assert not [n for n in INPLACE if not hasattr(torch, n)]
    x = cr.tensor([5.0, -5.0, 0.5])
    cr.clamp_(x, -1.0, 1.0)
    assert x.tolist() == [1.0, -1.0, 0.5]
    cr.fill_(x, 2.0)
    assert x.tolist() == [2.0, 2.0, 2.0]
