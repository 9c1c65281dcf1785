"""``DataLoader``: batches of samples from a dataset, in sampler order, collated into Tensors.

    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
    for xb, yb in loader:            # xb: (32, ...) rows of X, yb: the matching labels
        ...

Shuffles come from ``generator`` if given, else from chainrule's global generator, drawn anew
each epoch. ``num_workers > 0`` fetches and collates batches on that many threads, keeping up to
``prefetch_factor`` batches per worker in flight; batches still arrive in sampler order.
"""

from __future__ import annotations

import collections.abc as abc
import itertools
import warnings
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from .. import backend
from ..functions.shape import stack
from ..tensor import Tensor, _wrap
from .dataset import IterableDataset, Subset, TensorDataset, as_rng
from .sampler import BatchSampler, RandomSampler, SequentialSampler

_COLLATE_TYPES = "tensors, numpy arrays, numbers, dicts or lists"


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


def _stack_tensors(batch: list) -> Tensor:
    shapes = [t.shape for t in batch]
    for i, s in enumerate(shapes):
        if s != shapes[0]:
            raise RuntimeError(
                f"default_collate: stack expects each tensor to be equal size, "
                f"but got {shapes[0]} at entry 0 and {s} at entry {i}"
            )
    if any(t.requires_grad for t in batch):
        return stack(batch)  # keep the graph, as torch.stack would
    xp = backend.get_array_module(batch[0].data)
    return _wrap(xp.stack([t.data for t in batch]), None)


def default_collate(batch):
    """Merge a list of samples into a batch, recursing into containers like torch does.

    Tensors and NumPy arrays are stacked on a new first dimension; Python ints become an int64
    Tensor, floats a float64 Tensor, bools a bool Tensor, NumPy scalars keep their dtype;
    strings stay a list. Dicts collate per key, namedtuples per field, and tuples or lists
    are transposed and collated per position (tuples come back as lists, as in torch).

    >>> default_collate([(cr.tensor([1., 2.]), 0), (cr.tensor([3., 4.]), 1)])
    [tensor([[1., 2.], [3., 4.]]), tensor([0, 1])]
    """
    if not isinstance(batch, abc.Sequence) or len(batch) == 0:
        raise ValueError(
            f"default_collate: expects a non-empty list of samples, got "
            f"{type(batch).__name__} {batch!r:.80}"
        )
    elem = batch[0]
    np = backend.np
    if isinstance(elem, Tensor):
        for i, x in enumerate(batch):
            if not isinstance(x, Tensor):
                raise TypeError(
                    f"default_collate: entry 0 is a Tensor but entry {i} is {type(x).__name__}"
                )
        return _stack_tensors(batch)
    if isinstance(elem, np.ndarray) or isinstance(elem, (np.bool_, np.number)):
        if elem.dtype.kind not in "biuf":
            raise TypeError(
                f"default_collate: batch must contain {_COLLATE_TYPES}; found numpy "
                f"array of dtype {elem.dtype}"
            )
        if isinstance(elem, np.ndarray):
            return _stack_tensors([_wrap(np.asarray(x), None) for x in batch])
        return _wrap(np.asarray(batch, dtype=elem.dtype), None)
    if isinstance(elem, bool):
        return _wrap(np.asarray(batch, dtype=backend.bool_), None)
    if isinstance(elem, int):
        return _wrap(np.asarray(batch, dtype=backend.int64), None)
    if isinstance(elem, float):
        return _wrap(np.asarray(batch, dtype=backend.float64), None)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, abc.Mapping):
        merged = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(merged)
        except TypeError:  # a mapping type that can't be built from a dict
            return merged
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, abc.Sequence):
        sizes = [len(x) for x in batch]
        if len(set(sizes)) != 1:
            raise RuntimeError(
                f"default_collate: each element in list of batch should be of "
                f"equal size, got sizes {sizes}"
            )
        columns = [default_collate(list(s)) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return columns
        try:
            return type(elem)(columns)
        except TypeError:
            return columns
    raise TypeError(
        f"default_collate: batch must contain {_COLLATE_TYPES}; found {type(elem).__name__}"
    )


def default_convert(data):
    """Turn NumPy arrays (at any depth of dicts, lists and tuples) into Tensors; leave the rest.

    The collate function when ``batch_size=None`` (no automatic batching).
    """
    np = backend.np
    if isinstance(data, np.ndarray) and data.dtype.kind in "biuf":
        return _wrap(data, None)
    if isinstance(data, (np.bool_, np.number)):
        return _wrap(np.asarray(data), None)
    if isinstance(data, abc.Mapping):
        return {k: default_convert(v) for k, v in data.items()}
    if _is_namedtuple(data):
        return type(data)(*(default_convert(v) for v in data))
    if isinstance(data, tuple):
        return [default_convert(v) for v in data]
    if isinstance(data, list):
        return [default_convert(v) for v in data]
    return data


def _pin(data):
    """``data`` (a batch: tensors in lists, tuples, dicts) with each CPU tensor's values in
    page-locked memory, as torch's ``pin_memory``."""
    if isinstance(data, Tensor):
        return _wrap(backend.pinned(data.data), None)
    if isinstance(data, abc.Mapping):
        return type(data)({k: _pin(v) for k, v in data.items()})
    if _is_namedtuple(data):
        return type(data)(*(_pin(v) for v in data))
    if isinstance(data, (list, tuple)):
        return type(data)(_pin(v) for v in data)
    return data


def _pinned_batch(job):
    return _pin(job())


def _tensor_rows(dataset):
    """(tensors, rows) when ``dataset`` is a TensorDataset (rows None) or a Subset of one (rows:
    the Subset's indices as an array), so a batch is one fancy index per tensor; else None."""
    if type(dataset) is TensorDataset:
        return dataset.tensors, None
    if type(dataset) is Subset and type(dataset.dataset) is TensorDataset:
        return dataset.dataset.tensors, backend.np.asarray(dataset.indices, dtype=backend.int64)
    return None


class DataLoader:
    """Iterate over ``dataset`` in batches.

    ``batch_size`` samples per batch (the last one shorter unless ``drop_last``), visited in
    order, or shuffled anew each epoch when ``shuffle``; ``sampler`` or ``batch_sampler``
    replace that choice of indices. ``collate_fn`` merges a list of samples into a batch
    (``default_collate``). ``batch_size=None`` turns batching off: each sample is yielded
    alone. ``len(loader)`` is the number of batches. ``pin_memory`` puts each batch in
    page-locked host memory, which copies to a GPU faster (a warning, and ordinary memory,
    where no GPU is usable), as torch's.
    """

    def __init__(
        self,
        dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler=None,
        batch_sampler=None,
        num_workers: int = 0,
        collate_fn=None,
        drop_last: bool = False,
        generator=None,
        *,
        prefetch_factor: int | None = None,
        pin_memory: bool = False,
    ):
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(
                f"DataLoader: num_workers option should be a non-negative integer, "
                f"got {num_workers!r}; use num_workers=0 to load in the main thread"
            )
        if prefetch_factor is not None and num_workers == 0:
            raise ValueError(
                "DataLoader: prefetch_factor option could only be specified with num_workers > 0"
            )
        if prefetch_factor is None:
            prefetch_factor = 2
        if (
            isinstance(prefetch_factor, bool)
            or not isinstance(prefetch_factor, int)
            or prefetch_factor < 1
        ):
            raise ValueError(
                f"DataLoader: prefetch_factor should be a positive integer, got {prefetch_factor!r}"
            )
        as_rng(generator, "DataLoader")
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            for name, value in (
                ("shuffle", shuffle),
                ("sampler", sampler),
                ("batch_sampler", batch_sampler),
            ):
                if value not in (None, False):
                    raise ValueError(
                        f"DataLoader with IterableDataset: expected unspecified "
                        f"{name} option, but got {name}={value!r}"
                    )
        elif not hasattr(dataset, "__len__"):
            raise TypeError(
                f"DataLoader: the dataset ({type(dataset).__name__}) has no __len__; "
                f"define it, or derive from IterableDataset to stream samples"
            )
        elif len(dataset) == 0:
            raise ValueError(
                f"DataLoader: the dataset ({type(dataset).__name__}) is empty "
                f"(len 0); there is nothing to load"
            )

        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    f"DataLoader: batch_sampler option is mutually exclusive with "
                    f"batch_size, shuffle, sampler, and drop_last (got batch_size="
                    f"{batch_size}, shuffle={shuffle}, sampler={sampler}, "
                    f"drop_last={drop_last})"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(
                "DataLoader: batch_size=None option disables auto-batching and is "
                "mutually exclusive with drop_last"
            )
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")

        if not self._iterable:
            if sampler is None:
                sampler = (
                    RandomSampler(dataset, generator=generator)
                    if shuffle
                    else SequentialSampler(dataset)
                )
            if batch_size is not None and batch_sampler is None:
                batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        elif batch_size is not None:
            BatchSampler([], batch_size, drop_last)  # the same checks on batch_size, drop_last

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.generator = generator
        self._auto_collation = batch_sampler is not None or (self._iterable and batch_size)
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
            # Whole-batch indexing gives what per-sample default_collate would, in one step.
            self._fast = batch_sampler is not None and _tensor_rows(dataset) is not None
        else:
            self._fast = False
        self.collate_fn = collate_fn
        self.pin_memory = bool(pin_memory) and backend.cuda_available()
        if pin_memory and not self.pin_memory:
            warnings.warn(
                "DataLoader: pin_memory=True, but no GPU is usable (CuPy with a CUDA device), "
                "so batches stay in ordinary memory",
                stacklevel=2,
            )

    def __len__(self) -> int:
        if not self._iterable:
            return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)
        if not hasattr(self.dataset, "__len__"):
            raise TypeError(
                f"DataLoader: len() is undefined: the IterableDataset "
                f"({type(self.dataset).__name__}) has no __len__"
            )
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        jobs = self._stream_jobs() if self._iterable else self._index_jobs()
        if self.pin_memory:  # each batch's CPU tensors copied into page-locked memory
            jobs = (partial(_pinned_batch, job) for job in jobs)
        if self.num_workers == 0:
            return (job() for job in jobs)
        return self._threaded(jobs)

    # ------------------------------------------------------------------ the work, batch by batch
    def _index_jobs(self):
        indices = self.batch_sampler if self.batch_sampler is not None else self.sampler
        fetch = self._fetch_fast if self._fast else self._fetch
        return (partial(fetch, idx) for idx in indices)

    def _fetch(self, idx):
        if not self._auto_collation:
            return self.collate_fn(self.dataset[idx])
        getitems = getattr(self.dataset, "__getitems__", None)
        samples = getitems(idx) if getitems is not None else [self.dataset[i] for i in idx]
        return self.collate_fn(samples)

    def _fetch_fast(self, idx):
        tensors, rows = _tensor_rows(self.dataset)
        idx = backend.np.asarray(idx, dtype=backend.int64)
        if rows is not None:
            idx = rows[idx]
        return [t[idx] for t in tensors]

    def _stream_jobs(self):
        """Samples are read here, in order; the collation is the job."""
        it = iter(self.dataset)
        if not self._auto_collation:
            for sample in it:
                yield partial(self.collate_fn, sample)
            return
        while batch := list(itertools.islice(it, self.batch_size)):
            if len(batch) < self.batch_size and self.drop_last:
                return
            yield partial(self.collate_fn, batch)

    def _threaded(self, jobs):
        with ThreadPoolExecutor(self.num_workers, thread_name_prefix="DataLoader") as pool:
            in_flight = deque()
            try:
                for job in jobs:
                    in_flight.append(pool.submit(job))
                    if len(in_flight) >= self.num_workers * self.prefetch_factor:
                        yield in_flight.popleft().result()
                while in_flight:
                    yield in_flight.popleft().result()
            finally:
                for f in in_flight:
                    f.cancel()
