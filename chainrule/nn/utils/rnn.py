"""Variable-length sequences, as ``torch.nn.utils.rnn``: padding a list of sequences into one
tensor, and the packed form that the recurrent layers accept.

A ``PackedSequence`` holds the steps of a batch of sequences sorted by length (longest
first), time step by time step: ``data`` has Σ lengths rows, ``batch_sizes[t]`` of them for
step t (the number of sequences longer than t). ``sorted_indices`` / ``unsorted_indices``
map between that order and the caller's. Packing and unpacking are gathers, so gradients
flow through both.

    packed = pack_padded_sequence(x, lengths, enforce_sorted=False)   # x (T, B, *)
    out, (h, c) = lstm(packed)                                        # out: a PackedSequence
    y, lengths = pad_packed_sequence(out)                             # (T, B, H), (B,)
"""

from __future__ import annotations

from typing import NamedTuple

from ... import backend
from ...creation import full
from ...functions.shape import cat, stack
from ...tensor import Tensor, as_tensor

_np = backend.np


class PackedSequence(NamedTuple):
    """(data, batch_sizes, sorted_indices, unsorted_indices): see the module docstring."""

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    def to(self, *args, **kwargs) -> PackedSequence:
        """The same sequence with ``data`` moved or cast (the index tensors stay)."""
        return self._replace(data=self.data.to(*args, **kwargs))

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda


def _host_lengths(lengths, op: str):
    a = lengths.data if isinstance(lengths, Tensor) else lengths
    a = _np.asarray(backend.to_host(a) if backend.is_array(a) else a)
    if a.ndim != 1 or (a.size and a.dtype.kind not in "iu"):
        raise ValueError(f"{op}: lengths must be a 1-D sequence of ints, got {a!r}")
    return a.astype(_np.int64)


def packed_rows(batch_sizes, order, B):
    """The rows of a (T·B, *) time-major array that a packed sequence's data holds, in its
    order: step t, then the first batch_sizes[t] sequences in sorted order."""
    return _np.concatenate([t * B + order[:n] for t, n in enumerate(batch_sizes)])


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):  # noqa: A002
    """Pack a padded batch ``input`` (T, B, *) ((B, T, *) if ``batch_first``) of sequences with
    the given ``lengths``. ``enforce_sorted``: lengths must come longest first; otherwise the
    batch is sorted here and ``unsorted_indices`` undoes it."""
    op = "pack_padded_sequence"
    x = as_tensor(input)
    L = _host_lengths(lengths, op)
    if x.ndim < 2:
        raise ValueError(f"{op}: input must have a time and a batch dim, got shape {x.shape}")
    T, B = (x.shape[1], x.shape[0]) if batch_first else (x.shape[0], x.shape[1])
    if len(L) != B:
        raise ValueError(f"{op}: expected {B} lengths (one per sequence), got {len(L)}")
    if B and L.min() <= 0:
        raise ValueError(f"{op}: every length must be greater than 0, got {L.tolist()}")
    if B and L.max() > T:
        raise ValueError(f"{op}: a length ({L.max()}) exceeds the sequence length {T}")
    if enforce_sorted:
        if (_np.diff(L) > 0).any():
            raise ValueError(
                f"{op}: lengths must be sorted in decreasing order when enforce_sorted=True, "
                f"got {L.tolist()}; pass enforce_sorted=False to sort them here"
            )
        order = _np.arange(B)
        sorted_indices = unsorted_indices = None
    else:
        order = _np.argsort(-L, kind="stable")
        sorted_indices = Tensor(order)
        unsorted_indices = Tensor(_np.argsort(order, kind="stable"))
    if batch_first:
        x = x.transpose(0, 1)
    batch_sizes = (L[order][None, :] > _np.arange(int(L.max()) if B else 0)[:, None]).sum(1)
    rows = packed_rows(batch_sizes, order, B)
    data = x.reshape((T * B,) + x.shape[2:])[Tensor(rows)]
    return PackedSequence(
        data, Tensor(batch_sizes.astype(_np.int64)), sorted_indices, unsorted_indices
    )


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Unpack ``sequence`` into (the padded batch (T, B, *) ((B, T, *) if ``batch_first``), the
    lengths (B,)), in the caller's original order. ``total_length`` pads to that many steps."""
    op = "pad_packed_sequence"
    data, batch_sizes = sequence.data, _host_lengths(sequence.batch_sizes, op)
    T, B = len(batch_sizes), int(batch_sizes[0]) if len(batch_sizes) else 0
    if total_length is not None:
        if total_length < T:
            raise ValueError(
                f"{op}: total_length ({total_length}) must be at least the longest sequence's "
                f"length ({T})"
            )
        T = total_length
    order = _np.arange(B)
    rows = packed_rows(batch_sizes, order, B)
    padded = full((T * B,) + data.shape[1:], padding_value, dtype=data.dtype, device=data.device)
    padded = padded.index_put((Tensor(rows),), data).reshape((T, B) + data.shape[1:])
    lengths = (batch_sizes[None, :] > _np.arange(B)[:, None]).sum(1)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths[_host_lengths(sequence.unsorted_indices, op)]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, Tensor(lengths.astype(_np.int64))


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack sequences of shapes (Lᵢ, *) into (max L, B, *) ((B, max L, *) if ``batch_first``),
    padded with ``padding_value`` on the ``padding_side`` ('right' or 'left')."""
    op = "pad_sequence"
    if padding_side not in ("right", "left"):
        raise ValueError(f"{op}: padding_side must be 'right' or 'left', got {padding_side!r}")
    seqs = [as_tensor(s) for s in sequences]
    if not seqs:
        raise ValueError(f"{op}: received an empty list of sequences")
    tail = seqs[0].shape[1:]
    for s in seqs:
        if s.ndim < 1 or s.shape[1:] != tail:
            raise ValueError(
                f"{op}: every sequence must have shape (L, *{tail}), got {s.shape} and "
                f"{seqs[0].shape}"
            )
    longest = max(s.shape[0] for s in seqs)
    padded = []
    for s in seqs:
        gap = longest - s.shape[0]
        if gap:
            fill = full((gap,) + tail, padding_value, dtype=s.dtype, device=s.device)
            s = cat([s, fill] if padding_side == "right" else [fill, s], 0)
        padded.append(s)
    return stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences (Lᵢ, *) that ``pad_sequence`` padded (right-padded)."""
    x = as_tensor(padded_sequences)
    if not batch_first:
        x = x.transpose(0, 1)
    L = _host_lengths(lengths, "unpad_sequence")
    return [x[i, : int(n)] for i, n in enumerate(L)]


def pack_sequence(sequences, enforce_sorted=True):
    """``pack_padded_sequence`` of a list of sequences (Lᵢ, *)."""
    lengths = [as_tensor(s).shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences that ``pack_sequence`` packed, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


__all__ = [
    "PackedSequence",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpad_sequence",
    "pack_sequence",
    "unpack_sequence",
]
