"""Conv3d and ConvTranspose3d against their torch twins: padding modes, unbatched input,
output_size, layouts, initialisation, errors naming the layer, repr."""

import math

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.nn.conv3d import Conv3d, ConvTranspose3d

from .twin import check_twin

DTYPES = ["float64", "float32"]
pytestmark = pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "args, kw, shape",
    [
        ((2, 3, 2), dict(padding=1), (2, 2, 3, 4, 3)),
        ((2, 3, (2, 3, 1)), dict(stride=(2, 1, 2), bias=False), (1, 2, 4, 4, 3)),
        ((4, 6, 3), dict(groups=2, dilation=(1, 2, 1), padding="same"), (1, 4, 3, 5, 3)),
        ((2, 2, 2), dict(padding="valid"), (1, 2, 3, 3, 3)),
        ((2, 3, 2), dict(padding=1), (2, 3, 4, 3)),  # unbatched
    ],
)
def test_conv3d_matches_torch(args, kw, shape, dtype):
    check_twin(Conv3d(*args, **kw), torch.nn.Conv3d(*args, **kw), shape, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize(
    "kw, shape",
    [
        (dict(padding=(0, 1, 2), stride=2), (1, 2, 4, 3, 4)),
        (dict(padding="same", dilation=(1, 1, 2)), (2, 3, 3, 4)),  # even kernel, unbatched
    ],
)
def test_padding_modes_match_torch(mode, kw, shape, dtype):
    args = (shape[-4], 3, (3, 2, 2))
    kw = dict(kw, padding_mode=mode)
    check_twin(Conv3d(*args, **kw), torch.nn.Conv3d(*args, **kw), shape, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "args, kw, shape",
    [
        ((2, 3, 2), dict(stride=2, padding=1, output_padding=1), (2, 2, 2, 3, 2)),
        ((4, 2, (2, 1, 3)), dict(groups=2, bias=False, dilation=2), (1, 4, 2, 2, 2)),
        ((2, 2, 2), dict(stride=(1, 2, 3), output_padding=(0, 1, 2)), (2, 2, 2, 2)),  # unbatched
    ],
)
def test_conv_transpose3d_matches_torch(args, kw, shape, dtype):
    check_twin(
        ConvTranspose3d(*args, **kw), torch.nn.ConvTranspose3d(*args, **kw), shape, dtype=dtype
    )


def test_conv_transpose3d_output_size():
    ours = ConvTranspose3d(2, 3, 3, stride=2, padding=1)
    theirs = torch.nn.ConvTranspose3d(2, 3, 3, stride=2, padding=1).double()
    ours.to(cr.float64).load_state_dict(theirs.state_dict())
    x = np.random.default_rng(0).standard_normal((1, 2, 2, 3, 2))
    y = ours(cr.tensor(x), output_size=(4, 6, 3))
    yt = theirs(torch.tensor(x), output_size=(4, 6, 3))
    assert y.shape == (1, 3, 4, 6, 3)
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match=r"ConvTranspose3d: requested output size \(5, 6, 3\)"):
        ours(cr.tensor(x), output_size=(5, 6, 3))


def test_layouts_and_default_init():
    cr.manual_seed(0)
    conv = Conv3d(6, 8, (3, 2, 2), groups=2)
    assert conv.weight.shape == (8, 3, 3, 2, 2) and conv.bias.shape == (8,)
    assert conv.weight.dtype == cr.float32
    assert conv.kernel_size == (3, 2, 2) and conv.stride == (1, 1, 1)
    assert conv.padding == (0, 0, 0) and conv.padding_mode == "zeros"
    bound = 1 / math.sqrt(3 * 3 * 2 * 2)
    assert np.abs(conv.weight.data).max() <= bound and np.abs(conv.bias.data).max() <= bound
    assert np.abs(conv.weight.data).max() > 0.8 * bound  # spread over the whole interval
    assert list(dict(conv.named_parameters())) == ["weight", "bias"]
    t = ConvTranspose3d(6, 8, 2, groups=2)
    assert t.weight.shape == (6, 4, 2, 2, 2) and t.bias.shape == (8,)
    tb = 1 / math.sqrt(4 * 8)  # torch: fan_in from weight.shape[1]·kD·kH·kW
    assert np.abs(t.weight.data).max() <= tb and np.abs(t.weight.data).max() > 0.8 * tb
    assert Conv3d(2, 3, 2, bias=False).bias is None
    assert Conv3d(1, 2, 3, dtype=cr.float64).weight.dtype == cr.float64
    assert ConvTranspose3d(1, 2, 3, dtype=cr.float64).weight.dtype == cr.float64
    for ours, theirs in [(Conv3d(2, 3, 2), torch.nn.Conv3d(2, 3, 2))]:
        assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {
            k: tuple(v.shape) for k, v in theirs.state_dict().items()
        }


def test_reflect_padding_reaches_the_edges():
    """A 1×1×1 kernel of weight 1 with reflect padding returns the reflect-padded input."""
    conv = Conv3d(1, 1, 1, padding=1, padding_mode="reflect", bias=False)
    conv.weight.data[...] = 1
    x = np.arange(8, dtype=np.float32).reshape(1, 1, 2, 2, 2)
    y = conv(cr.tensor(x))
    ref = np.pad(x, [(0, 0), (0, 0), (1, 1), (1, 1), (1, 1)], mode="reflect")
    np.testing.assert_array_equal(y.data, ref)


def test_errors_name_the_layer():
    with pytest.raises(
        ValueError, match=r"Conv3d: expected input with 3 channels .*got shape \(2, 1, 4, 4, 4\)"
    ):
        Conv3d(3, 4, 3)(cr.zeros(2, 1, 4, 4, 4))
    with pytest.raises(ValueError, match=r"Conv3d: expected a 4-D \(unbatched\) or 5-D"):
        Conv3d(3, 4, 3)(cr.zeros(3, 4, 4))
    with pytest.raises(ValueError, match=r"Conv3d: kernel \(size 3 with dilation\) is larger"):
        Conv3d(3, 4, 3)(cr.zeros(1, 3, 4, 2, 4))
    with pytest.raises(ValueError, match=r"ConvTranspose3d: expected input with 4 channels"):
        ConvTranspose3d(4, 2, 3)(cr.zeros(1, 2, 3, 3, 3))
    with pytest.raises(ValueError, match=r"divisible by groups \(2\)"):
        Conv3d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match=r"Conv3d: padding_mode must be one of .*got 'foo'"):
        Conv3d(3, 4, 3, padding_mode="foo")
    with pytest.raises(ValueError, match=r"ConvTranspose3d: only padding_mode='zeros'"):
        ConvTranspose3d(3, 4, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match=r"ConvTranspose3d: padding must be ints"):
        ConvTranspose3d(3, 4, 3, padding="same")
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        Conv3d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match=r"kernel_size must be an int or 3 ints"):
        Conv3d(3, 4, (3, 3))


@pytest.mark.parametrize(
    "cls, args, kw",
    [
        ("Conv3d", (1, 16, 3), dict(padding=1)),
        ("Conv3d", (4, 8, (3, 2, 1)), dict(stride=2, groups=2, bias=False, dilation=(1, 2, 1))),
        ("Conv3d", (2, 3, 3), dict(padding="same", padding_mode="reflect")),
        ("Conv3d", (2, 3, 3), dict(padding="valid", padding_mode="circular")),
        ("ConvTranspose3d", (4, 2, 3), dict(stride=2, output_padding=1, dilation=2)),
        ("ConvTranspose3d", (4, 2, 3), dict(padding=(1, 0, 1), groups=2, bias=False)),
    ],
)
def test_repr_like_torch(cls, args, kw):
    ours = {"Conv3d": Conv3d, "ConvTranspose3d": ConvTranspose3d}[cls](*args, **kw)
    assert repr(ours) == repr(getattr(torch.nn, cls)(*args, **kw))


def test_trains():
    """A few SGD steps through conv → transposed conv must lower a reconstruction loss."""
    cr.manual_seed(0)
    enc, dec = Conv3d(1, 2, 2, stride=2), ConvTranspose3d(2, 1, 2, stride=2)
    x = cr.randn(2, 1, 4, 4, 4)
    losses = []
    for _ in range(5):
        loss = ((dec(enc(x)) - x) ** 2).mean()
        for p in (*enc.parameters(), *dec.parameters()):
            p.grad = None
        loss.backward()
        for p in (*enc.parameters(), *dec.parameters()):
            p.data -= 0.2 * p.grad.data
        losses.append(float(loss.item()))
    assert losses[-1] < losses[0]
