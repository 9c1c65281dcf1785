"""Random sampling: shapes and dtypes against torch, and each distribution's moments or
probabilities against their closed forms (with tolerances of several standard errors)."""

import math

import numpy as np
import pytest
import torch

import chainrule as cr

N = 200_000


@pytest.fixture(autouse=True)
def _seed():
    cr.manual_seed(1234)


def _close(value, want, sd, what):
    """|value − want| within 5 standard errors (sd / √N)."""
    assert abs(float(value) - want) < 5 * sd / math.sqrt(N), (what, float(value), want)


def test_bernoulli_matches_its_probabilities_and_torchs_dtypes():
    p = cr.tensor(np.tile([0.0, 0.2, 0.9, 1.0], (N, 1)).astype(np.float32))
    draws = cr.bernoulli(p)
    ref = torch.bernoulli(torch.tensor(p.data))
    assert draws.dtype == cr.float32 and str(ref.dtype) == "torch.float32"
    assert set(np.unique(draws.data)) <= {0.0, 1.0}
    for j, q in enumerate([0.0, 0.2, 0.9, 1.0]):
        _close(draws.data[:, j].mean(), q, math.sqrt(q * (1 - q)) + 1e-12, f"p={q}")
    x = cr.empty(N, dtype=cr.float64).bernoulli_(0.3)
    assert x.dtype == cr.float64
    _close(x.mean(), 0.3, math.sqrt(0.21), "bernoulli_")
    with pytest.raises(ValueError, match="probabilities must be in"):
        cr.bernoulli(cr.tensor([0.5, 1.5]))
    with pytest.raises(ValueError, match=r"bernoulli_: p must be in \[0, 1\], got 2"):
        cr.zeros(3).bernoulli_(2)


@pytest.mark.parametrize(
    "fill,args,mean,var",
    [
        ("exponential_", (2.0,), 0.5, 0.25),
        ("geometric_", (0.25,), 4.0, 0.75 / 0.25**2),
        ("log_normal_", (0.1, 0.5), math.exp(0.1 + 0.125), (math.exp(0.25) - 1) * math.exp(0.45)),
        ("uniform_", (2.0, 5.0), 3.5, 0.75),
    ],
)
def test_in_place_fills_have_their_distributions_moments(fill, args, mean, var):
    x = cr.zeros(N)
    assert getattr(x, fill)(*args) is x and x.dtype == cr.float32
    _close(x.mean(), mean, math.sqrt(var), fill)
    getattr(torch.zeros(3), fill)(*args)  # torch has the same name and arguments
    if fill == "geometric_":
        assert float(x.min()) == 1.0 and np.all(x.data == np.floor(x.data))


def test_cauchy_quartiles_and_random_ranges():
    x = cr.zeros(N).cauchy_(1.0, 2.0)
    q1, med, q3 = np.quantile(x.data, [0.25, 0.5, 0.75])
    assert abs(med - 1.0) < 0.05 and abs(q1 + 1.0) < 0.05 and abs(q3 - 3.0) < 0.05
    r = cr.zeros(N, dtype=cr.int64).random_(3, 7)
    assert set(np.unique(r.data)) == {3, 4, 5, 6}
    r = cr.zeros(1000).random_(5)  # random_(to)
    assert set(np.unique(r.data)) == {0.0, 1.0, 2.0, 3.0, 4.0}
    r = cr.zeros(1000).random_()  # up to 2^24 in float32, as torch
    assert r.data.min() >= 0 and r.data.max() <= 2**24 and r.data.max() > 2**20
    with pytest.raises(ValueError, match="expects 'from' < 'to', got from=3, to=3"):
        cr.zeros(2).random_(3, 3)


def test_multinomial_with_replacement_follows_the_weights():
    w = cr.tensor([0.5, 0.0, 1.5, 2.0])
    draws = w.multinomial(N, replacement=True)
    ref = torch.tensor(w.data).multinomial(5, replacement=True)
    assert draws.dtype == cr.int64 and str(ref.dtype) == "torch.int64" and draws.shape == (N,)
    counts = np.bincount(draws.data, minlength=4) / N
    for i, q in enumerate([0.125, 0.0, 0.375, 0.5]):
        _close(counts[i], q, math.sqrt(q * (1 - q)) + 1e-12, f"category {i}")


def test_multinomial_without_replacement_draws_like_one_by_one_removal():
    """P(first = i) = pᵢ and P(second = j) = Σ_{i≠j} pᵢ pⱼ / (1 − pᵢ): the law of drawing,
    removing, and drawing again."""
    p = np.array([0.1, 0.2, 0.3, 0.4])
    draws = cr.tensor(np.tile(p, (N, 1))).multinomial(2).data
    assert draws.shape == (N, 2) and np.all(draws[:, 0] != draws[:, 1])
    first = np.bincount(draws[:, 0], minlength=4) / N
    second = np.bincount(draws[:, 1], minlength=4) / N
    want2 = [sum(p[i] * p[j] / (1 - p[i]) for i in range(4) if i != j) for j in range(4)]
    for j in range(4):
        _close(first[j], p[j], math.sqrt(p[j] * (1 - p[j])), f"first {j}")
        _close(second[j], want2[j], math.sqrt(want2[j] * (1 - want2[j])), f"second {j}")
    zero = cr.tensor([[0.0, 1.0, 1.0]]).multinomial(2)
    assert sorted(zero.data[0].tolist()) == [1, 2]  # a zero-weight category is never drawn


def test_multinomial_errors_name_the_problem():
    with pytest.raises(ValueError, match="cannot draw 3 samples without replacement"):
        cr.tensor([1.0, 1.0, 0.0]).multinomial(3)
    with pytest.raises(ValueError, match="finite and non-negative"):
        cr.tensor([1.0, -1.0]).multinomial(1)
    with pytest.raises(ValueError, match="positive sum"):
        cr.tensor([[1.0, 1.0], [0.0, 0.0]]).multinomial(1)
    with pytest.raises(ValueError, match=r"1-D or 2-D, got shape \(1, 1, 2\)"):
        cr.ones(1, 1, 2).multinomial(1)


def test_normal_and_poisson_match_their_moments_and_torchs_shapes():
    m = cr.tensor(np.full((N,), 3.0, np.float32))
    x = cr.normal(m, 2.0)
    assert x.dtype == cr.float32 and x.shape == torch.normal(torch.tensor(m.data), 2.0).shape
    _close(x.mean(), 3.0, 2.0, "normal mean")
    _close(x.std(), 2.0, 2.0 * math.sqrt(0.5), "normal std")
    y = cr.normal(0.0, 1.0, (4, 5))
    assert y.shape == tuple(torch.normal(0.0, 1.0, (4, 5)).shape) and y.dtype == cr.float32
    p = cr.poisson(cr.full((N,), 4.0))
    assert p.dtype == cr.float32 and np.all(p.data == np.floor(p.data))
    _close(p.mean(), 4.0, 2.0, "poisson mean")
    with pytest.raises(ValueError, match="rates must be non-negative"):
        cr.poisson(cr.tensor([-1.0]))


def test_manual_seed_repeats_every_draw():
    def draws():
        cr.manual_seed(7)
        w = cr.tensor([1.0, 2.0, 3.0])
        return [
            cr.bernoulli(cr.full((5,), 0.5)).data,
            cr.zeros(5).exponential_().data,
            w.multinomial(2).data,
            w.multinomial(4, replacement=True).data,
            cr.normal(0.0, 1.0, (3,)).data,
        ]

    for a, b in zip(draws(), draws()):
        np.testing.assert_array_equal(a, b)
