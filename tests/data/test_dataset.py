"""Datasets, random_split and the samplers, against torch.utils.data and known values."""

import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import chainrule as cr
from chainrule.data import (
    BatchSampler,
    ConcatDataset,
    Dataset,
    Generator,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    random_split,
)


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i * i

    def __len__(self):
        return self.n


# ---------------------------------------------------------------- TensorDataset
def test_tensor_dataset_items_are_rows():
    X = cr.tensor(np.arange(12.0).reshape(6, 2))
    y = cr.tensor([5, 4, 3, 2, 1, 0])
    ds = TensorDataset(X, y)
    assert len(ds) == 6
    x3, y3 = ds[3]
    np.testing.assert_array_equal(x3.numpy(), [6.0, 7.0])
    assert y3.item() == 2 and y3.dtype == np.int64
    xs, ys = ds[np.array([0, 5])]
    np.testing.assert_array_equal(ys.numpy(), [5, 0])


def test_tensor_dataset_size_mismatch_names_sizes():
    with pytest.raises(ValueError, match=r"\[3, 4\]"):
        TensorDataset(cr.zeros(3, 2), cr.zeros(4))


def test_tensor_dataset_needs_tensors_with_a_sample_dim():
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    with pytest.raises(ValueError, match="0-d"):
        TensorDataset(cr.tensor(1.0))


# ---------------------------------------------------------------- Subset, ConcatDataset
def test_subset_indexes_through():
    sub = Subset(Squares(10), [7, 2, 5])
    assert len(sub) == 3
    assert [sub[i] for i in range(3)] == [49, 4, 25]
    assert sub[-1] == 25


def test_concat_dataset_matches_torch():
    ours = ConcatDataset([Squares(3), Squares(1), Squares(2)])
    ref = tud.ConcatDataset([[i * i for i in range(n)] for n in (3, 1, 2)])
    assert ours.cumulative_sizes == ref.cumulative_sizes == [3, 4, 6]
    assert [ours[i] for i in range(-6, 6)] == [ref[i] for i in range(-6, 6)]
    assert len(Squares(2) + Squares(3)) == 5


def test_concat_dataset_errors():
    with pytest.raises(ValueError, match="empty"):
        ConcatDataset([])
    with pytest.raises(IndexError, match="index 6 is out of range for length 6"):
        ConcatDataset([Squares(3), Squares(3)])[6]


# ---------------------------------------------------------------- random_split
@pytest.mark.parametrize("n", [1, 7, 10, 11, 97])
@pytest.mark.parametrize("fractions", [[0.5, 0.5], [0.8, 0.2], [0.3, 0.3, 0.4], [1 / 3] * 3])
def test_random_split_fraction_sizes_match_torch(n, fractions):
    with warnings.catch_warnings(record=True) as ours_w:
        warnings.simplefilter("always")
        ours = random_split(Squares(n), fractions, generator=Generator().manual_seed(0))
    with warnings.catch_warnings(record=True) as ref_w:
        warnings.simplefilter("always")
        ref = tud.random_split(range(n), fractions, generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in ours] == [len(s) for s in ref]
    assert len(ours_w) == len(ref_w)  # one warning per empty split, as torch


def test_random_split_is_a_disjoint_cover():
    parts = random_split(Squares(50), [20, 25, 5], generator=Generator().manual_seed(3))
    assert [len(p) for p in parts] == [20, 25, 5]
    seen = [i for p in parts for i in p.indices]
    assert sorted(seen) == list(range(50))
    assert parts[1][0] == parts[1].indices[0] ** 2


def test_random_split_reproducible():
    a = random_split(Squares(30), [10, 20], generator=Generator().manual_seed(7))
    b = random_split(Squares(30), [10, 20], generator=Generator().manual_seed(7))
    c = random_split(Squares(30), [10, 20], generator=Generator().manual_seed(8))
    assert a[0].indices == b[0].indices != c[0].indices
    cr.manual_seed(1)
    d = random_split(Squares(30), [0.5, 0.5])
    cr.manual_seed(1)
    e = random_split(Squares(30), [0.5, 0.5])
    assert d[0].indices == e[0].indices
    assert d[0].indices != list(range(15))


def test_random_split_errors():
    with pytest.raises(ValueError, match=r"sum of input lengths \[3, 3\] is 6.*\(7\)"):
        random_split(Squares(7), [3, 3])
    with pytest.raises(ValueError, match="-1"):
        random_split(Squares(2), [3, -1])
    with pytest.raises(TypeError, match="generator"):
        random_split(Squares(2), [1, 1], generator=42)


def test_generator_state_round_trip():
    g = Generator(5)
    assert g.initial_seed() == 5
    state = g.get_state()
    first = g.rng.permutation(10)
    g.set_state(state)
    np.testing.assert_array_equal(g.rng.permutation(10), first)


# ---------------------------------------------------------------- samplers
def test_sequential_sampler():
    assert list(SequentialSampler(Squares(4))) == [0, 1, 2, 3]
    assert len(SequentialSampler(Squares(4))) == 4


def test_random_sampler_is_a_fresh_permutation_each_epoch():
    s = RandomSampler(Squares(20), generator=Generator().manual_seed(0))
    e1, e2 = list(s), list(s)
    assert sorted(e1) == sorted(e2) == list(range(20))
    assert e1 != e2
    s2 = RandomSampler(Squares(20), generator=Generator().manual_seed(0))
    assert list(s2) == e1


def test_random_sampler_num_samples_and_replacement():
    without = list(RandomSampler(Squares(4), num_samples=10, generator=Generator(1)))
    assert len(without) == 10 and sorted(without[:8]) == [0, 0, 1, 1, 2, 2, 3, 3]
    rep = list(RandomSampler(Squares(3), replacement=True, num_samples=50, generator=Generator(1)))
    assert len(rep) == 50 and set(rep) == {0, 1, 2}
    with pytest.raises(ValueError, match="num_samples=0"):
        RandomSampler(Squares(0))
    with pytest.raises(TypeError, match="replacement"):
        RandomSampler(Squares(3), replacement=1)


def test_subset_random_sampler():
    out = list(SubsetRandomSampler([3, 9, 4], generator=Generator(0)))
    assert sorted(out) == [3, 4, 9]


def test_weighted_random_sampler_respects_weights():
    s = WeightedRandomSampler([0.0, 1.0, 3.0], num_samples=4000, generator=Generator(0))
    counts = np.bincount(list(s), minlength=3)
    assert counts[0] == 0
    assert abs(counts[2] / 4000 - 0.75) < 0.03
    with pytest.raises(ValueError, match="without replacement"):
        WeightedRandomSampler([0.0, 1.0], num_samples=2, replacement=False)


@pytest.mark.parametrize("n,bs", [(10, 3), (9, 3), (2, 5), (1, 1)])
@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_sampler_matches_torch(n, bs, drop_last):
    ours = BatchSampler(range(n), bs, drop_last)
    ref = tud.BatchSampler(range(n), bs, drop_last)
    assert list(ours) == list(ref)
    assert len(ours) == len(ref)


def test_batch_sampler_errors():
    with pytest.raises(ValueError, match="batch_size=0"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="drop_last"):
        BatchSampler(range(3), 2, "yes")


def test_chain_and_stack_datasets_match_torch():
    import torch.utils.data as TD

    from chainrule.data import ChainDataset, IterableDataset, StackDataset, get_worker_info

    class Ours(IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n))

        def __len__(self):
            return self.n

    class Theirs(TD.IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n))

        def __len__(self):
            return self.n

    assert list(ChainDataset([Ours(2), Ours(3)])) == list(TD.ChainDataset([Theirs(2), Theirs(3)]))
    assert len(ChainDataset([Ours(2), Ours(3)])) == 5
    with pytest.raises(TypeError, match="ChainDataset: only supports IterableDataset"):
        list(ChainDataset([Ours(1), [1, 2]]))
    xs, ys = list(range(4)), [10 * v for v in range(4)]
    assert StackDataset(xs, ys)[2] == TD.StackDataset(xs, ys)[2] == (2, 20)
    assert StackDataset(x=xs, y=ys)[3] == TD.StackDataset(x=xs, y=ys)[3] == {"x": 3, "y": 30}
    assert len(StackDataset(xs, ys)) == 4
    with pytest.raises(ValueError, match=r"must have one length, got \[4, 3\]"):
        StackDataset(xs, ys[:3])
    with pytest.raises(ValueError, match="not both"):
        StackDataset(xs, y=ys)
    assert get_worker_info() is None and TD.get_worker_info() is None
