"""Module: registration, traversal, modes, gradients, apply, hooks, state_dict round trips
with torch twins, load_state_dict errors, repr."""

from collections import OrderedDict

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.nn.activation import ReLU
from chainrule.nn.container import Sequential
from chainrule.nn.dropout import Dropout
from chainrule.nn.linear import Linear
from chainrule.nn.module import Module
from chainrule.nn.parameter import Buffer, Parameter


class Net(Module):
    def __init__(self):
        super().__init__()
        self.fc1 = Linear(3, 5)
        self.act = ReLU()
        self.block = Sequential(Linear(5, 4), Dropout(0.5))
        self.scale = Parameter(np.ones(4, dtype=np.float32))
        self.register_buffer("steps", cr.zeros(1))
        self.register_buffer("scratch", cr.zeros(2), persistent=False)
        self.plain = 7  # not registered

    def forward(self, x):
        return self.block(self.act(self.fc1(x))) * self.scale


class TNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(3, 5)
        self.act = torch.nn.ReLU()
        self.block = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Dropout(0.5))
        self.scale = torch.nn.Parameter(torch.ones(4))
        self.register_buffer("steps", torch.zeros(1))
        self.register_buffer("scratch", torch.zeros(2), persistent=False)

    def forward(self, x):
        return self.block(self.act(self.fc1(x))) * self.scale


def test_names_match_torch():
    ours, theirs = Net(), TNet()
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert len(list(ours.parameters())) == 5 and len(list(ours.buffers())) == 2
    assert len(list(ours.children())) == 3 and len(list(ours.modules())) == 6
    assert [n for n, _ in ours.named_parameters(recurse=False)] == ["scale"]


def test_state_dict_round_trip_into_torch_and_back():
    ours, theirs = Net(), TNet()
    ours.eval(), theirs.eval()
    theirs.load_state_dict({k: torch.from_numpy(v.data) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
    np.testing.assert_allclose(
        ours(cr.tensor(x)).data, theirs(torch.from_numpy(x)).detach(), rtol=1e-5, atol=1e-6
    )
    back = Net().eval()
    back.load_state_dict(theirs.state_dict())  # torch tensors straight in
    np.testing.assert_allclose(back(cr.tensor(x)).data, ours(cr.tensor(x)).data, rtol=1e-6)
    grads = {k: v.requires_grad_() for k, v in theirs.state_dict(keep_vars=True).items()}
    back.load_state_dict(grads)  # torch tensors that require grad too


def test_state_dict_shares_memory_and_is_detached():
    m = Linear(2, 2)
    sd = m.state_dict()
    assert not sd["weight"].requires_grad
    sd["weight"].data[0, 0] = 42.0
    assert m.weight.data[0, 0] == 42.0
    assert m.state_dict(keep_vars=True)["weight"] is m.weight


def test_load_state_dict_lists_every_problem_at_once():
    m = Net()
    sd = m.state_dict()
    del sd["fc1.bias"]
    sd["extra.weight"] = cr.zeros(1)
    sd["block.0.weight"] = cr.zeros(3, 3)
    before = m.fc1.weight.data.copy()
    sd["fc1.weight"] = cr.zeros(5, 3)
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict(sd)
    msg = str(e.value)
    assert "missing keys: fc1.bias" in msg and "unexpected keys: extra.weight" in msg
    assert "block.0.weight: checkpoint shape (3, 3), model shape (4, 5)" in msg
    np.testing.assert_array_equal(m.fc1.weight.data, before)  # nothing copied


def test_load_state_dict_non_strict():
    m = Net()
    sd = m.state_dict()
    del sd["scale"]
    sd["junk"] = cr.zeros(1)
    sd["fc1.weight"] = cr.ones(5, 3)
    missing, unexpected = m.load_state_dict(sd, strict=False)
    assert missing == ["scale"] and unexpected == ["junk"]
    np.testing.assert_array_equal(m.fc1.weight.data, 1)
    sd["fc1.weight"] = cr.ones(2, 2)
    with pytest.raises(RuntimeError, match="shape mismatches"):
        m.load_state_dict(sd, strict=False)


def test_shared_submodule_in_state_dict_under_both_names():
    shared = Linear(2, 2)
    seq, tseq = Sequential(shared, shared), torch.nn.Sequential(*[torch.nn.Linear(2, 2)] * 2)
    assert list(seq.state_dict()) == list(tseq.state_dict())
    assert len(list(seq.parameters())) == 2


def test_train_eval_reach_every_module():
    m = Net()
    assert all(s.training for s in m.modules())
    assert m.eval() is m
    assert not any(s.training for s in m.modules())
    m.train()
    assert all(s.training for s in m.modules())


def test_train_calls_overridden_child_train():
    calls = []

    class Custom(Module):
        def train(self, mode=True):
            calls.append(mode)
            return super().train(mode)

    outer = Sequential(Custom())
    outer.eval()
    assert calls == [False]


def test_zero_grad_and_requires_grad_(device):
    m = Net().to(device)
    m(cr.randn(2, 3, device=device)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all(not p.grad.data.any() and p.grad.device == p.device for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    assert m.requires_grad_(False) is m
    assert not any(p.requires_grad for p in m.parameters())
    m.requires_grad_()
    assert all(p.requires_grad for p in m.parameters())


def test_apply_visits_children_first():
    m = Net()
    seen = []
    assert m.apply(lambda s: seen.append(type(s).__name__)) is m
    assert seen == ["Linear", "ReLU", "Linear", "Dropout", "Sequential", "Net"]


def test_registration_rules():
    m = Module()
    m.w = Parameter(np.zeros(2, dtype=np.float32))
    m.sub = Linear(1, 1)
    m.b = Buffer(cr.ones(3))
    assert list(dict(m.named_parameters())) == ["w", "sub.weight", "sub.bias"]
    assert list(dict(m.named_buffers())) == ["b"]
    with pytest.raises(TypeError, match="cannot assign Tensor as parameter 'w'"):
        m.w = cr.zeros(2)
    m.w = None
    assert list(dict(m.named_parameters())) == ["sub.weight", "sub.bias"]
    del m.sub
    assert list(m.children()) == []

    class Early(Module):
        def __init__(self):
            self.x = Linear(1, 1)

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def test_non_persistent_buffer_not_in_state_dict():
    m = Net()
    assert "scratch" not in m.state_dict() and "steps" in m.state_dict()


def test_forward_hooks():
    m = Linear(2, 2)
    log = []
    h1 = m.register_forward_pre_hook(lambda mod, args: log.append("pre"))
    h2 = m.register_forward_hook(lambda mod, args, out: out * 0)
    y = m(cr.ones(1, 2))
    assert log == ["pre"] and not y.data.any()
    h1.remove()
    h2.remove()
    assert m(cr.ones(1, 2)).data.any() and log == ["pre"]


def test_to_double_and_float():
    m = Net().double()
    assert all(p.dtype == cr.float64 for p in m.parameters())
    assert m.steps.dtype == cr.float64
    m.float()
    assert all(p.dtype == cr.float32 for p in m.parameters())


def test_repr_matches_torch():
    assert repr(Net()).replace("Net", "X") == repr(TNet()).replace("TNet", "X")

    class WithExtra(Module):
        def __init__(self):
            super().__init__()
            self.a = Linear(2, 2)

        def extra_repr(self):
            return "k=1\nm=2"

    class TWithExtra(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Linear(2, 2)

        def extra_repr(self):
            return "k=1\nm=2"

    assert repr(WithExtra()) == repr(TWithExtra()).replace("TWithExtra", "WithExtra")
    named = Sequential(OrderedDict(first=Linear(1, 2), act=ReLU()))
    tnamed = torch.nn.Sequential(OrderedDict(first=torch.nn.Linear(1, 2), act=torch.nn.ReLU()))
    assert repr(named) == repr(tnamed)


def test_forward_not_implemented():
    with pytest.raises(NotImplementedError, match="Module has no forward"):
        Module()(1)


def test_parameter_basics():
    p = Parameter(cr.ones(2, 3))
    assert p.requires_grad and p.is_leaf and isinstance(p, cr.Tensor)
    assert not Parameter(cr.ones(2), requires_grad=False).requires_grad
    assert repr(p).startswith("Parameter containing:\n")
    assert Parameter().shape == (0,)


@pytest.mark.parametrize(
    "make",
    [
        lambda d: cr.nn.Linear(3, 4, device=d),
        lambda d: cr.nn.Bilinear(2, 3, 4, device=d),
        lambda d: cr.nn.Conv2d(2, 3, 3, device=d),
        lambda d: cr.nn.ConvTranspose2d(2, 3, 3, device=d),
        lambda d: cr.nn.BatchNorm2d(3, device=d),
        lambda d: cr.nn.LayerNorm(5, device=d),
        lambda d: cr.nn.GroupNorm(2, 4, device=d),
        lambda d: cr.nn.Embedding(6, 3, device=d),
        lambda d: cr.nn.LSTMCell(3, 4, device=d),
        lambda d: cr.nn.GRU(3, 4, num_layers=2, device=d),
    ],
)
def test_device_argument_of_layers_puts_the_seeded_weights_there(make, gpu):
    """As torch's ``device=``: every parameter and buffer on that device, with the values the
    same seed gives on the CPU."""
    cr.manual_seed(4)
    cpu = make(None)
    cr.manual_seed(4)
    cuda = make("cuda")
    assert all(t.device == "cuda:0" for t in [*cuda.parameters(), *cuda.buffers()])
    for (name, a), (_, b) in zip(cpu.state_dict().items(), cuda.state_dict().items()):
        np.testing.assert_array_equal(b.cpu().numpy(), a.numpy(), err_msg=name)
