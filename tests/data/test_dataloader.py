"""DataLoader and default_collate against torch.utils.data."""

from collections import namedtuple

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import chainrule as cr
from chainrule.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    Generator,
    IterableDataset,
    SequentialSampler,
    Subset,
    TensorDataset,
    default_collate,
)

Point = namedtuple("Point", ["x", "label"])


def assert_same(ours, ref, where="batch"):
    """Same structure, container types, values and dtypes (chainrule vs torch)."""
    if isinstance(ref, torch.Tensor):
        assert isinstance(ours, cr.Tensor), f"{where}: {type(ours).__name__} is not a Tensor"
        assert str(ours.dtype) == str(ref.dtype).removeprefix("torch."), where
        assert ours.shape == tuple(ref.shape), where
        np.testing.assert_array_equal(ours.numpy(), ref.numpy(), err_msg=where)
    elif isinstance(ref, dict):
        assert type(ours) is type(ref) and list(ours) == list(ref), where
        for k in ref:
            assert_same(ours[k], ref[k], f"{where}[{k!r}]")
    elif isinstance(ref, (list, tuple)):
        assert type(ours).__name__ == type(ref).__name__, f"{where}: {type(ours)} {type(ref)}"
        assert len(ours) == len(ref), where
        for i, (a, b) in enumerate(zip(ours, ref)):
            assert_same(a, b, f"{where}[{i}]")
    else:
        assert ours == ref, where


def xy(n, lib):
    X = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.int64) % 4
    if lib is torch:
        return tud.TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
    return TensorDataset(cr.tensor(X), cr.tensor(y))


# ---------------------------------------------------------------- order and batches
@pytest.mark.parametrize("n,bs", [(10, 1), (10, 3), (10, 4), (10, 10), (10, 11), (7, 2)])
@pytest.mark.parametrize("drop_last", [False, True])
def test_unshuffled_batches_match_torch(n, bs, drop_last):
    ours = DataLoader(xy(n, cr), batch_size=bs, drop_last=drop_last)
    ref = tud.DataLoader(xy(n, torch), batch_size=bs, drop_last=drop_last)
    assert len(ours) == len(ref)
    ours_batches, ref_batches = list(ours), list(ref)
    assert len(ours_batches) == len(ref_batches)
    for i, (a, b) in enumerate(zip(ours_batches, ref_batches)):
        assert_same(a, b, f"batch {i}")


def test_fast_path_equals_per_sample_collation():
    ds = xy(23, cr)
    sub = Subset(ds, [5, 3, 22, 0, 9, 9, 1])
    for d in (ds, sub):
        fast = list(DataLoader(d, batch_size=4))
        slow = list(DataLoader(d, batch_size=4, collate_fn=default_collate))
        assert DataLoader(d, batch_size=4)._fast and not DataLoader(d, collate_fn=list)._fast
        for a, b in zip(fast, slow):
            for ta, tb in zip(a, b):
                assert ta.dtype == tb.dtype
                np.testing.assert_array_equal(ta.numpy(), tb.numpy())


class Nested(Dataset):
    """Samples mixing every kind default_collate handles, built for either library."""

    def __init__(self, lib, n=5):
        self.lib, self.n = lib, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        t = torch.tensor if self.lib is torch else cr.tensor
        return {
            "image": t(np.full((2, 2), i, dtype=np.float32)),
            "label": i,
            "weight": 0.5 * i,
            "flag": i % 2 == 0,
            "name": f"item{i}",
            "array": np.arange(3, dtype=np.int32) + i,
            "scalar": np.float64(i) / 4,
            "pair": (t([i, -i]), i + 1),
            "list": [i, 2 * i],
            "point": Point(t(float(i)), i),
        }


def test_default_collate_nested_matches_torch():
    ours = list(DataLoader(Nested(cr), batch_size=2))
    ref = list(tud.DataLoader(Nested(torch), batch_size=2))
    assert len(ours) == len(ref) == 3
    for i, (a, b) in enumerate(zip(ours, ref)):
        assert_same(a, b, f"batch {i}")


def test_default_collate_numbers_get_torch_dtypes():
    assert default_collate([1, 2]).dtype == np.int64
    assert default_collate([1.0, 2.5]).dtype == np.float64
    assert default_collate([True, False]).dtype == np.bool_
    assert default_collate([np.float32(1), np.float32(2)]).dtype == np.float32
    assert default_collate(["a", "b"]) == ["a", "b"]


def test_default_collate_errors_name_the_problem():
    with pytest.raises(RuntimeError, match=r"\(3,\) at entry 0 and \(4,\) at entry 1"):
        default_collate([cr.zeros(3), cr.zeros(4)])
    with pytest.raises(RuntimeError, match=r"equal size, got sizes \[2, 3\]"):
        default_collate([[1, 2], [1, 2, 3]])
    with pytest.raises(TypeError, match="found object"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="entry 1 is int"):
        default_collate([cr.zeros(2), 3])


def test_default_collate_keeps_the_graph():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    batch = default_collate([a, a * 3])
    batch.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [4.0, 4.0])


# ---------------------------------------------------------------- shuffling
def epochs(loader, k):
    return [np.concatenate([yb.numpy() for _, yb in loader]).tolist() for _ in range(k)]


def test_shuffle_reproducible_after_manual_seed_and_new_each_epoch():
    ds = TensorDataset(cr.zeros(50, 1), cr.arange(50))
    cr.manual_seed(0)
    first = epochs(DataLoader(ds, batch_size=8, shuffle=True), 3)
    cr.manual_seed(0)
    again = epochs(DataLoader(ds, batch_size=8, shuffle=True), 3)
    assert first == again
    assert all(sorted(e) == list(range(50)) for e in first)
    assert first[0] != first[1] != first[2]
    cr.manual_seed(1)
    assert epochs(DataLoader(ds, batch_size=8, shuffle=True), 1)[0] != first[0]


def test_shuffle_with_generator():
    ds = TensorDataset(cr.zeros(30, 1), cr.arange(30))
    a = epochs(DataLoader(ds, batch_size=4, shuffle=True, generator=Generator(3)), 2)
    b = epochs(DataLoader(ds, batch_size=4, shuffle=True, generator=np.random.default_rng(3)), 2)
    assert a == b and a[0] != a[1]


# ---------------------------------------------------------------- other modes
def test_batch_size_none_yields_converted_samples():
    ours = list(DataLoader(Nested(cr, 2), batch_size=None))
    ref = list(tud.DataLoader(Nested(torch, 2), batch_size=None))
    for a, b in zip(ours, ref):
        assert_same(a, b)


def test_batch_sampler_argument():
    bs = BatchSampler(SequentialSampler(range(5)), 2, drop_last=True)
    batches = list(DataLoader(xy(5, cr), batch_sampler=bs))
    assert [b[1].tolist() for b in batches] == [[0, 1], [2, 3]]
    assert len(DataLoader(xy(5, cr), batch_sampler=bs)) == 2


@pytest.mark.parametrize("workers", [1, 3])
def test_thread_workers_keep_order(workers):
    ds = Nested(cr, 13)
    plain = list(DataLoader(ds, batch_size=3))
    threaded = list(DataLoader(ds, batch_size=3, num_workers=workers, prefetch_factor=1))
    assert len(plain) == len(threaded) == 5
    for a, b in zip(plain, threaded):
        np.testing.assert_array_equal(a["image"].numpy(), b["image"].numpy())
        assert a["name"] == b["name"]


class Stream(IterableDataset):
    def __init__(self, n, lib):
        self.n, self.lib = n, lib

    def __iter__(self):
        t = torch.tensor if self.lib is torch else cr.tensor
        return iter([(t([float(i)]), i) for i in range(self.n)])


class TorchStream(tud.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(Stream(self.n, torch))


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("workers", [0, 2])
def test_iterable_dataset_matches_torch(drop_last, workers):
    ours = list(DataLoader(Stream(7, cr), batch_size=3, drop_last=drop_last, num_workers=workers))
    ref = list(tud.DataLoader(TorchStream(7), batch_size=3, drop_last=drop_last))
    assert len(ours) == len(ref)
    for a, b in zip(ours, ref):
        assert_same(a, b)
    with pytest.raises(TypeError, match="len"):
        len(DataLoader(Stream(7, cr), batch_size=3))
    with pytest.raises(ValueError, match="shuffle=True"):
        DataLoader(Stream(7, cr), shuffle=True)


# ---------------------------------------------------------------- errors
def test_empty_dataset_raises():
    with pytest.raises(ValueError, match="empty"):
        DataLoader(TensorDataset(cr.zeros(0, 3)), batch_size=2)


def test_bad_options_raise():
    ds = xy(4, cr)
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(ds, shuffle=True, sampler=SequentialSampler(ds))
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_size=2, batch_sampler=BatchSampler(range(4), 2, False))
    with pytest.raises(ValueError, match="drop_last"):
        DataLoader(ds, batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="num_workers.*-1"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="batch_size=0"):
        DataLoader(ds, batch_size=0)
    with pytest.raises(TypeError, match="generator"):
        DataLoader(ds, shuffle=True, generator="seed")
    with pytest.raises(ValueError, match="prefetch_factor"):
        DataLoader(ds, prefetch_factor=2)


def test_pin_memory_copies_each_batch_into_pinned_memory_with_the_same_values(gpu, monkeypatch):
    """As torch: every tensor of each batch (nested in tuples and dicts too) is copied into
    page-locked memory (``cupyx.empty_pinned``); the values are those of an unpinned loader."""
    from chainrule import backend

    pinned = []
    real = backend.cupyx.empty_pinned

    def counting(shape, dtype):
        out = real(shape, dtype=dtype)
        pinned.append(out)
        return out

    monkeypatch.setattr(backend.cupyx, "empty_pinned", counting)
    X = np.arange(40, dtype=np.float32).reshape(10, 4)
    y = np.arange(10)
    ds = cr.data.TensorDataset(cr.tensor(X), cr.tensor(y))
    plain = list(cr.data.DataLoader(ds, batch_size=4))
    pin = list(cr.data.DataLoader(ds, batch_size=4, pin_memory=True))
    assert len(pinned) == 2 * len(pin) == 6
    for (a, b), (pa, pb) in zip(plain, pin):
        np.testing.assert_array_equal(pa.numpy(), a.numpy())
        np.testing.assert_array_equal(pb.numpy(), b.numpy())
        assert any(pa.data is p for p in pinned) and pa.device == "cpu"
    dicts = cr.data.DataLoader(
        [{"x": cr.tensor(r)} for r in X], batch_size=5, pin_memory=True, num_workers=2
    )
    assert [len(b["x"]) for b in dicts] == [5, 5] and len(pinned) == 8


def test_pin_memory_without_a_gpu_warns_and_loads_as_usual(monkeypatch):
    from chainrule import backend

    monkeypatch.setattr(backend, "cupy", None)
    ds = cr.data.TensorDataset(cr.tensor(np.arange(6.0)))
    with pytest.warns(UserWarning, match="pin_memory=True, but no GPU is usable"):
        loader = cr.data.DataLoader(ds, batch_size=4, pin_memory=True)
    assert [b[0].tolist() for b in loader] == [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0]]
