"""torch's top-level spellings of Tensor methods: ``cr.clone(x)`` is ``x.clone()``, and so on
for the ones PyTorch code calls that way."""

from __future__ import annotations

from .tensor import as_tensor


def clone(input):  # noqa: A002 - torch's names
    return as_tensor(input).clone()


def detach(input):  # noqa: A002
    return as_tensor(input).detach()


def masked_fill(input, mask, value):  # noqa: A002
    return as_tensor(input).masked_fill(mask, value)


def narrow_copy(input, dim, start, length):  # noqa: A002
    return as_tensor(input).narrow_copy(dim, start, length)


def split_with_sizes(input, split_sizes, dim=0):  # noqa: A002
    return as_tensor(input).split_with_sizes(split_sizes, dim)


def is_floating_point(input) -> bool:  # noqa: A002
    return as_tensor(input).is_floating_point()


def is_complex(input) -> bool:  # noqa: A002
    return as_tensor(input).is_complex()


def is_signed(input) -> bool:  # noqa: A002
    return as_tensor(input).is_signed()


def is_nonzero(input) -> bool:  # noqa: A002
    return as_tensor(input).is_nonzero()


def is_same_size(input, other) -> bool:  # noqa: A002
    return as_tensor(input).is_same_size(other)


def conj(input):  # noqa: A002 - real tensors: conjugation is the identity
    return as_tensor(input)


resolve_conj = resolve_neg = positive = real = conj
