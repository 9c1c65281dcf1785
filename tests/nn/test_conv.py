"""Conv1d, Conv2d and ConvTranspose2d against their torch twins; layouts, initialisation,
errors naming the layer, repr."""

import math

import numpy as np
import pytest
import torch
from helpers import host

import chainrule as cr
from chainrule import backend
from chainrule.nn.conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d

from .twin import check_twin

DTYPES = ["float64", "float32"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "args, kw, shape",
    [
        ((3, 4, 3), dict(padding=1), (2, 3, 6, 5)),
        ((3, 4, (2, 3)), dict(stride=2, bias=False), (1, 3, 7, 6)),
        ((4, 6, 3), dict(groups=2, dilation=2, padding="same"), (2, 4, 7, 7)),
        ((4, 4, 3), dict(groups=4, padding=1), (2, 4, 5, 5)),  # depthwise
    ],
)
def test_conv2d_matches_torch(args, kw, shape, dtype):
    check_twin(Conv2d(*args, **kw), torch.nn.Conv2d(*args, **kw), shape, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv1d_matches_torch(dtype):
    kw = dict(stride=2, padding=1, groups=2)
    check_twin(Conv1d(4, 6, 3, **kw), torch.nn.Conv1d(4, 6, 3, **kw), (2, 4, 9), dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "kw", [dict(stride=2, padding=1, output_padding=1), dict(groups=2, bias=False, dilation=2)]
)
def test_conv_transpose2d_matches_torch(kw, dtype):
    check_twin(
        ConvTranspose2d(4, 6, 3, **kw),
        torch.nn.ConvTranspose2d(4, 6, 3, **kw),
        (2, 4, 4, 5),
        dtype=dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv_transpose1d_matches_torch_and_reaches_an_output_size(dtype):
    kw = dict(stride=2, padding=1, groups=2)
    check_twin(
        ConvTranspose1d(4, 6, 3, **kw),
        torch.nn.ConvTranspose1d(4, 6, 3, **kw),
        (2, 4, 5),
        dtype=dtype,
    )
    ours, theirs = ConvTranspose1d(2, 3, 3, stride=2), torch.nn.ConvTranspose1d(2, 3, 3, stride=2)
    ours.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(0).standard_normal((1, 2, 4)).astype(np.float32)
    y, u = ours(cr.tensor(x), output_size=(10,)), theirs(torch.tensor(x), output_size=[10])
    np.testing.assert_allclose(y.data, u.detach().numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="ConvTranspose1d: requested output size"):
        ours(cr.tensor(x), output_size=(12,))


def test_conv_transpose2d_output_size():
    ours, theirs = (
        ConvTranspose2d(2, 3, 3, stride=2, padding=1),
        torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1).double(),
    )
    ours.to(cr.float64).load_state_dict(theirs.state_dict())
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 4))
    y = ours(cr.tensor(x), output_size=(8, 8))
    yt = theirs(torch.tensor(x), output_size=(8, 8))
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="requested output size"):
        ours(cr.tensor(x), output_size=(10, 10))


def test_layouts_and_default_init():
    cr.manual_seed(0)
    conv = Conv2d(6, 8, (3, 2), groups=2)
    assert conv.weight.shape == (8, 3, 3, 2) and conv.bias.shape == (8,)
    assert conv.weight.dtype == cr.float32
    bound = 1 / math.sqrt(3 * 3 * 2)
    assert np.abs(conv.weight.data).max() <= bound and np.abs(conv.bias.data).max() <= bound
    assert np.abs(conv.weight.data).max() > 0.8 * bound  # spread over the whole interval
    assert list(dict(conv.named_parameters())) == ["weight", "bias"]
    t = ConvTranspose2d(6, 8, 3, groups=2)
    assert t.weight.shape == (6, 4, 3, 3) and t.bias.shape == (8,)
    tb = 1 / math.sqrt(4 * 9)  # torch: fan_in from weight.shape[1]·k·k
    assert np.abs(t.weight.data).max() <= tb and np.abs(t.weight.data).max() > 0.8 * tb
    assert Conv1d(3, 5, 4, bias=False).bias is None
    assert Conv1d(3, 5, 4).weight.shape == (5, 3, 4)
    assert Conv2d(1, 2, 3, dtype=cr.float64).weight.dtype == cr.float64


def test_errors_name_the_layer():
    with pytest.raises(
        ValueError,
        match=r"Conv2d: expected input with 3 channels .*"
        r"got shape \(8, 1, 28, 28\)",
    ):
        Conv2d(3, 4, 3)(cr.zeros(8, 1, 28, 28))
    with pytest.raises(ValueError, match=r"Conv1d: expected a 2-D \(unbatched\) or 3-D"):
        Conv1d(3, 4, 3)(cr.zeros(8, 3, 28, 28))
    with pytest.raises(ValueError, match=r"ConvTranspose2d: expected input with 4 channels"):
        ConvTranspose2d(4, 2, 3)(cr.zeros(1, 2, 5, 5))
    with pytest.raises(ValueError, match=r"divisible by groups \(2\)"):
        Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match=r"Conv2d: padding_mode must be one of .*got 'mirror'"):
        Conv2d(3, 4, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="ConvTranspose2d: only padding_mode='zeros'"):
        ConvTranspose2d(3, 4, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        Conv2d(3, 4, 3, stride=2, padding="same")


def test_repr_like_torch():
    assert repr(Conv2d(1, 16, 3, padding=1)) == repr(torch.nn.Conv2d(1, 16, 3, padding=1))
    assert repr(Conv2d(4, 8, (3, 2), stride=2, groups=2, bias=False)) == repr(
        torch.nn.Conv2d(4, 8, (3, 2), stride=2, groups=2, bias=False)
    )
    assert repr(Conv1d(2, 3, 5, dilation=2)) == repr(torch.nn.Conv1d(2, 3, 5, dilation=2))
    assert repr(ConvTranspose2d(4, 2, 3, stride=2, output_padding=1)) == repr(
        torch.nn.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1)
    )


def test_trains_in_a_sequential():
    """One SGD step through conv → relu → pool must lower the loss (and match torch's)."""
    from chainrule.functions.activation import relu
    from chainrule.functions.pooling import max_pool2d

    cr.manual_seed(0)
    conv = Conv2d(1, 4, 3, padding=1)
    x = cr.randn(4, 1, 8, 8)
    losses = []
    for _ in range(3):
        loss = (max_pool2d(relu(conv(x)), 2) ** 2).mean()
        conv.zero_grad()
        loss.backward()
        for p in conv.parameters():
            p.data -= 0.5 * p.grad.data
        losses.append(float(loss.item()))
    assert losses[2] < losses[0]


def test_reset_parameters_on_device_draws_what_the_cpu_draws(device):
    """Weights are drawn on the host and copied to the layer's device: the same seed gives the
    same weights on every device."""
    cr.manual_seed(0)
    ref = Conv2d(2, 3, 3)
    conv = Conv2d(2, 3, 3).to(device)
    cr.manual_seed(0)
    conv.reset_parameters()
    for name in ("weight", "bias"):
        ours = getattr(conv, name)
        assert backend.on_device(ours.data, device), name
        np.testing.assert_array_equal(host(ours), getattr(ref, name).data)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize(
    "cls, args, kw, shape",
    [
        ("Conv2d", (3, 4, 3), dict(padding=1), (2, 3, 6, 5)),
        ("Conv2d", (2, 4, (3, 2)), dict(padding=(2, 1), stride=2), (1, 2, 5, 6)),
        ("Conv2d", (2, 2, 3), dict(padding="same", dilation=2), (2, 5, 5)),  # unbatched
        ("Conv1d", (3, 2, 4), dict(padding="same"), (2, 3, 9)),  # even kernel: uneven padding
        ("Conv1d", (2, 2, 3), dict(padding=2, groups=2), (1, 2, 6)),
    ],
)
def test_padding_modes_match_torch(cls, args, kw, shape, mode, dtype):
    kw = dict(kw, padding_mode=mode)
    ours, theirs = getattr(cr.nn, cls)(*args, **kw), getattr(torch.nn, cls)(*args, **kw)
    check_twin(ours, theirs, shape, dtype=dtype)
    assert repr(ours) == repr(theirs)


def test_repr_of_string_padding_like_torch():
    for kw in (dict(padding="same"), dict(padding="valid", padding_mode="circular")):
        assert repr(Conv2d(1, 2, 3, **kw)) == repr(torch.nn.Conv2d(1, 2, 3, **kw))
        assert repr(Conv1d(1, 2, 3, **kw)) == repr(torch.nn.Conv1d(1, 2, 3, **kw))
