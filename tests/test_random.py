"""The generator's seed and state (chainrule.random) against torch.random's behaviour: torch's
draws differ from ours, so the tests check what torch promises (the same draws after a
restored state, the seed reported back) and compare each with torch doing the same."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import backend
from chainrule import random as R


@pytest.fixture(autouse=True)
def _keep_generator():
    """Leave the process's generator as the test found it."""
    before = backend._rng
    yield
    backend._rng = before


def _draws():
    return cr.rand(5).numpy(), cr.randn(3, dtype=cr.float64).numpy()


def _same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b))


def test_initial_seed_reports_manual_seed_as_torch():
    for s in (0, 123, 2**63 + 5):
        R.manual_seed(s)
        torch.manual_seed(s)
        assert R.initial_seed() == torch.initial_seed() == s
    R.manual_seed(-1)
    torch.manual_seed(-1)
    assert R.initial_seed() == torch.initial_seed() == 2**64 - 1


def test_manual_seed_repeats_draws_and_rejects_bad_seeds():
    R.manual_seed(7)
    a = _draws()
    R.manual_seed(7)
    assert _same(a, _draws())
    R.manual_seed(8)
    assert not _same(a, _draws())
    with pytest.raises(
        ValueError, match=r"manual_seed: seed must be in \[-2\*\*63, 2\*\*128\), got -9"
    ):
        R.manual_seed(-(2**63) - 1)
    with pytest.raises(ValueError, match=r"seed must be in \[-2\*\*63, 2\*\*128\), got 3402"):
        R.manual_seed(2**128)


def test_an_unseeded_generator_restarts_from_its_initial_seed():
    backend._rng = np.random.default_rng()  # as at import: seeded from the OS
    a = _draws()
    R.manual_seed(R.initial_seed())
    assert _same(a, _draws())
    with pytest.raises(TypeError, match="manual_seed: expected an integer seed, got 'x'"):
        R.manual_seed("x")


def test_seed_draws_a_fresh_seed_and_reports_it():
    s = R.seed()
    assert isinstance(s, int) and 0 <= s < 2**63
    assert R.initial_seed() == s
    a = _draws()
    R.manual_seed(s)
    assert _same(a, _draws())
    assert R.seed() != s


def test_get_and_set_rng_state_repeat_the_draws():
    R.manual_seed(3)
    cr.rand(7)  # an odd count of float32 draws
    state = R.get_rng_state()
    assert state.dtype == cr.uint8 and state.shape == (53,)
    a = _draws()
    R.set_rng_state(state)
    assert _same(a, _draws())
    R.set_rng_state(state)
    assert _same(a, _draws())


def test_get_and_set_rng_state_keep_a_buffered_half_draw():
    R.manual_seed(4)
    generator = backend.rng()
    generator.integers(0, 10, 3, dtype=np.int32)  # 32-bit draws: one half of a 64-bit word left
    assert generator.bit_generator.state["has_uint32"] == 1
    state = R.get_rng_state()
    a = backend.rng().integers(0, 2**31, 5, dtype=np.int32)
    R.set_rng_state(state)
    np.testing.assert_array_equal(a, backend.rng().integers(0, 2**31, 5, dtype=np.int32))


def test_set_rng_state_brings_back_the_initial_seed_as_torch():
    R.manual_seed(5)
    torch.manual_seed(5)
    ours, ref = R.get_rng_state(), torch.get_rng_state()
    a = _draws()
    R.manual_seed(9)
    torch.manual_seed(9)
    R.set_rng_state(ours)
    torch.set_rng_state(ref)
    assert R.initial_seed() == torch.initial_seed() == 5
    assert _same(a, _draws())


def test_set_rng_state_errors():
    with pytest.raises(TypeError, match="set_rng_state: expected a uint8 Tensor, got list"):
        R.set_rng_state([1, 2])
    with pytest.raises(TypeError, match="set_rng_state: expected a uint8 Tensor, got dtype int64"):
        R.set_rng_state(cr.zeros(53, dtype=cr.int64))
    with pytest.raises(ValueError, match=r"set_rng_state: expected a state of shape \(53,\), got"):
        R.set_rng_state(cr.zeros(37, dtype=cr.uint8))
    bad = R.get_rng_state().numpy().copy()
    bad[32] = 2
    with pytest.raises(ValueError, match="byte 32 must be 0 or 1, got 2"):
        R.set_rng_state(cr.tensor(bad))


def test_fork_rng_restores_the_stream_and_the_seed_as_torch():
    R.manual_seed(11)
    torch.manual_seed(11)
    expected = _draws()
    R.manual_seed(11)
    with R.fork_rng():
        cr.rand(100)
        R.manual_seed(99)
        cr.randn(4)
    with torch.random.fork_rng():
        torch.manual_seed(99)
    assert R.initial_seed() == torch.initial_seed() == 11
    assert _same(expected, _draws())


def test_fork_rng_restores_after_an_error_and_can_be_disabled():
    R.manual_seed(2)
    expected = _draws()
    R.manual_seed(2)
    with pytest.raises(KeyError):
        with R.fork_rng():
            cr.rand(10)
            raise KeyError("inside")
    assert _same(expected, _draws())
    R.manual_seed(2)
    with R.fork_rng(enabled=False):
        cr.rand(5)
    assert not _same(expected, _draws())
