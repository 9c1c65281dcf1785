"""Datasets: anything with ``__getitem__`` and ``__len__``, plus the ways to combine them.

    ds = TensorDataset(X, y)                 # ds[i] == (X[i], y[i])
    train, val = random_split(ds, [0.8, 0.2], generator=Generator().manual_seed(0))

``Generator`` is the seedable source of shuffles and splits, shaped like ``torch.Generator``.
"""

from __future__ import annotations

import bisect
import math
import warnings
from collections.abc import Sequence

from .. import backend
from ..tensor import as_tensor


class Generator:
    """A seedable random source for shuffles and splits (like ``torch.Generator``).

    It wraps a NumPy ``Generator``. Passing the same seeded Generator again gives the same
    draws only after re-seeding it; each draw advances its state, as in torch.

    >>> g = Generator().manual_seed(0)
    >>> DataLoader(ds, shuffle=True, generator=g)
    """

    def __init__(self, seed: int | None = None):
        self.manual_seed(_fresh_seed() if seed is None else seed)

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed)
        self.rng = backend.np.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        """Re-seed from fresh entropy and return the new seed."""
        self.manual_seed(_fresh_seed())
        return self._seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        return self.rng.bit_generator.state

    def set_state(self, state: dict) -> Generator:
        self.rng.bit_generator.state = state
        return self


def _fresh_seed() -> int:
    return backend.np.random.SeedSequence().entropy % 2**63


def as_rng(generator, op: str):
    """The NumPy Generator behind ``generator``: chainrule's global one when it is None.

    The global generator is looked up at each call, so ``cr.manual_seed`` takes effect.
    """
    if generator is None:
        return backend.rng()
    if isinstance(generator, Generator):
        return generator.rng
    if isinstance(generator, backend.np.random.Generator):
        return generator
    raise TypeError(
        f"{op}: generator must be a chainrule.data.Generator, a numpy.random."
        f"Generator or None, got {type(generator).__name__}"
    )


class Dataset:
    """A map-style dataset: ``dataset[i]`` is one sample and ``len(dataset)`` is their count.

    Subclasses define ``__getitem__`` (and ``__len__`` for samplers and ``len(loader)``).
    ``a + b`` concatenates two datasets.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: subclasses define ``__iter__``; there is no indexing."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __add__(self, other):
        raise TypeError("IterableDataset: '+' joins map-style datasets only")


class TensorDataset(Dataset):
    """Samples are slices along the first dimension: ``ds[i] == (t[i] for t in tensors)``.

    Every tensor must have the same first dimension (the number of samples).
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor")
        tensors = tuple(as_tensor(t) for t in tensors)
        for i, t in enumerate(tensors):
            if t.ndim == 0:
                raise ValueError(
                    f"TensorDataset: tensor {i} is 0-d; every tensor needs a first "
                    f"(sample) dimension"
                )
        sizes = [t.shape[0] for t in tensors]
        if len(set(sizes)) != 1:
            raise ValueError(
                f"TensorDataset: size mismatch between tensors: first dimensions "
                f"are {sizes}; they must all be equal"
            )
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several datasets one after another: index ``i`` falls in the dataset whose range holds it.

    ``cumulative_sizes[k]`` is the total length of the first ``k + 1`` datasets.
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset: does not support IterableDataset")
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int):
        n = len(self)
        if not -n <= idx < n:
            raise IndexError(f"ConcatDataset: index {idx} is out of range for length {n}")
        if idx < 0:
            idx += n
        k = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[k - 1] if k > 0 else 0
        return self.datasets[k][idx - start]


class ChainDataset(IterableDataset):
    """Several iterable datasets one after another, as one stream."""

    def __init__(self, datasets):
        self.datasets = list(datasets)

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError(
                    f"ChainDataset: only supports IterableDataset, got {type(d).__name__}"
                )
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)


class StackDataset(Dataset):
    """Datasets of one length indexed together: sample i is the tuple ``(d[i] for d in
    args)``, or the dict ``{k: d[i]}`` for keyword datasets (one or the other)."""

    def __init__(self, *args: Dataset, **kwargs: Dataset):
        if args and kwargs:
            raise ValueError(
                "StackDataset: give the datasets as positional arguments (tuple samples) or "
                "as keywords (dict samples), not both"
            )
        if not args and not kwargs:
            raise ValueError("StackDataset: needs at least one dataset")
        self.datasets = args or kwargs
        sizes = [len(d) for d in (args or kwargs.values())]
        if len(set(sizes)) != 1:
            raise ValueError(f"StackDataset: the datasets must have one length, got {sizes}")
        self._length = sizes[0]

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self) -> int:
        return self._length


def get_worker_info():
    """Information on the current DataLoader worker, as torch's; chainrule's workers are
    threads that fetch samples for the main process's iterator, not copies of the dataset,
    so there is never a worker to describe: None, as in torch's main process."""
    return None


def _split_lengths(lengths, n: int) -> list[int]:
    """Integer lengths as given, or fractions turned into counts the way torch does it:
    ``floor(f · n)`` each, then the remainder handed out one by one from the first split."""
    lengths = list(lengths)
    if lengths and math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for i, f in enumerate(lengths):
            if not 0 <= f <= 1:
                raise ValueError(f"random_split: fraction at index {i} is {f}, not in [0, 1]")
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, k in enumerate(counts):
            if k == 0:
                warnings.warn(
                    f"random_split: length of split at index {i} is 0 (fractions "
                    f"{lengths} of {n} samples); that Subset will be empty",
                    stacklevel=3,
                )
        return counts
    for i, k in enumerate(lengths):
        if isinstance(k, float) and not k.is_integer() or k < 0:
            raise ValueError(
                f"random_split: length at index {i} is {k}; lengths must be "
                f"non-negative integers or fractions summing to 1 (got {lengths})"
            )
    counts = [int(k) for k in lengths]
    if sum(counts) != n:
        raise ValueError(
            f"random_split: sum of input lengths {counts} is {sum(counts)}, which "
            f"does not equal the length of the input dataset ({n})"
        )
    return counts


def random_split(dataset: Dataset, lengths, generator=None) -> list[Subset]:
    """Split ``dataset`` into disjoint random Subsets of the given lengths.

    ``lengths`` are counts summing to ``len(dataset)`` or fractions summing to 1.

    >>> a, b = random_split(range(10), [0.7, 0.3])      # len(a) == 7, len(b) == 3
    """
    counts = _split_lengths(lengths, len(dataset))
    perm = as_rng(generator, "random_split").permutation(len(dataset)).tolist()
    out, start = [], 0
    for k in counts:
        out.append(Subset(dataset, perm[start : start + k]))
        start += k
    return out
