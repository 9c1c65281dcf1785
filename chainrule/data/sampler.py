"""Samplers: the order in which a DataLoader visits dataset indices, and how it groups them.

    BatchSampler(RandomSampler(ds), batch_size=32, drop_last=False)   # lists of 32 indices

Random samplers draw a fresh order on every ``iter()``: from their ``generator`` when given,
else from chainrule's global generator (``cr.manual_seed`` makes the run reproducible).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from .. import backend
from .dataset import as_rng


class Sampler:
    """Yields dataset indices; subclasses define ``__iter__`` and usually ``__len__``."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


def _positive_int(value, what: str, op: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(
            f"{op}: {what} should be a positive integer value, but got {what}={value!r}"
        )
    return value


class RandomSampler(Sampler):
    """A random order of the indices: a permutation, or ``num_samples`` draws with replacement.

    Without replacement and ``num_samples > len(data_source)``, whole permutations are chained.
    """

    def __init__(
        self, data_source, replacement: bool = False, num_samples: int | None = None, generator=None
    ):
        if not isinstance(replacement, bool):
            raise TypeError(
                f"RandomSampler: replacement should be a boolean value, but got "
                f"replacement={replacement!r}"
            )
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        _positive_int(self.num_samples, "num_samples", "RandomSampler")
        as_rng(generator, "RandomSampler")  # reject a bad generator now, not at iteration

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        rng = as_rng(self.generator, "RandomSampler")
        n, k = len(self.data_source), self.num_samples
        if self.replacement:
            return iter(rng.integers(0, n, size=k).tolist())
        reps = -(-k // n)
        return iter(backend.np.concatenate([rng.permutation(n) for _ in range(reps)])[:k].tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order (a fresh one each epoch)."""

    def __init__(self, indices: Sequence[int], generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        perm = as_rng(self.generator, "SubsetRandomSampler").permutation(len(self.indices))
        return (self.indices[i] for i in perm.tolist())

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probability ∝ ``weights[i]``."""

    def __init__(self, weights, num_samples: int, replacement: bool = True, generator=None):
        _positive_int(num_samples, "num_samples", "WeightedRandomSampler")
        w = backend.np.asarray(getattr(weights, "data", weights), dtype=backend.float64)
        if w.ndim != 1:
            raise ValueError(
                f"WeightedRandomSampler: weights should be a 1-d sequence, got shape {w.shape}"
            )
        if (w < 0).any() or not backend.np.isfinite(w).all() or w.sum() <= 0:
            raise ValueError(
                "WeightedRandomSampler: weights must be finite, non-negative and not all zero"
            )
        if not replacement and num_samples > (w > 0).sum():
            raise ValueError(
                f"WeightedRandomSampler: can't draw {num_samples} samples without "
                f"replacement from {int((w > 0).sum())} non-zero weights"
            )
        self.weights = w
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        rng = as_rng(self.generator, "WeightedRandomSampler")
        p = self.weights / self.weights.sum()
        idx = rng.choice(len(p), size=self.num_samples, replace=self.replacement, p=p)
        return iter(idx.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``; the last one is shorter
    unless ``drop_last``, which drops it."""

    def __init__(self, sampler, batch_size: int, drop_last: bool):
        _positive_int(batch_size, "batch_size", "BatchSampler")
        if not isinstance(drop_last, bool):
            raise ValueError(
                f"BatchSampler: drop_last should be a boolean value, but got "
                f"drop_last={drop_last!r}"
            )
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch = []
        for i in self.sampler:
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
