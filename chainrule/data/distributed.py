"""``DistributedSampler``: each rank of a data-parallel job reads its own share of a dataset."""

from __future__ import annotations

from collections.abc import Iterator

from .. import backend
from .sampler import Sampler


class DistributedSampler(Sampler):
    """The indices of rank ``rank``'s shard: every ``num_replicas``-th index of one order.

    All ranks compute the same order (a permutation seeded by ``seed + epoch`` when
    ``shuffle``, else 0, 1, 2, ...) and rank r takes positions r, r + R, r + 2R, ... so the
    shards are disjoint and together cover the dataset once. When R does not divide the
    length, the order is padded by repeating its first indices (a few samples are seen twice
    per epoch), or with ``drop_last`` cut to a multiple of R. Call ``set_epoch(e)`` before each
    epoch to reshuffle, as in PyTorch. ``num_replicas`` and ``rank`` default to the job's.
    """

    def __init__(
        self,
        dataset,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ):
        if num_replicas is None or rank is None:
            from .. import distributed

            num_replicas = distributed.world_size() if num_replicas is None else num_replicas
            rank = distributed.rank() if rank is None else rank
        if isinstance(num_replicas, bool) or not isinstance(num_replicas, int) or num_replicas < 1:
            raise ValueError(
                f"DistributedSampler: num_replicas must be a positive integer, got {num_replicas!r}"
            )
        if isinstance(rank, bool) or not isinstance(rank, int) or not 0 <= rank < num_replicas:
            raise ValueError(
                f"DistributedSampler: rank must be in 0..{num_replicas - 1}, got {rank!r}"
            )
        self.dataset = dataset
        self.num_replicas, self.rank = num_replicas, rank
        self.shuffle, self.seed, self.drop_last = shuffle, int(seed), drop_last
        self.epoch = 0
        n = len(dataset)
        self.num_samples = n // num_replicas if drop_last else -(-n // num_replicas)
        self.total_size = self.num_samples * num_replicas

    def set_epoch(self, epoch: int) -> None:
        """Use epoch ``epoch``'s order (the same on every rank) from the next iteration."""
        self.epoch = int(epoch)

    def __iter__(self) -> Iterator[int]:
        np = backend.np
        n = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            order = np.arange(n)
        if self.total_size > n:  # pad by repeating the order's start
            reps = -(-self.total_size // n)
            order = np.concatenate([order] * reps)
        order = order[: self.total_size]
        return iter(order[self.rank :: self.num_replicas].tolist())

    def __len__(self) -> int:
        return self.num_samples
