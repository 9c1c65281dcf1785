"""Text for character-level language models: a built-in corpus, any UTF-8 file, a vocabulary.

text = pydoc_corpus()                  # ~465k characters of English, no download
vocab = CharVocab(text)
ids = vocab.encode(text)               # int64 Tensor (len(text),)
train, val = train_val_split(ids, 0.1)
"""

from __future__ import annotations

from pathlib import Path

from .. import backend
from ..creation import from_numpy
from ..tensor import Tensor

np = backend.np


def pydoc_corpus() -> str:
    """The English help text of Python's standard library (``pydoc_data.topics.topics``).

    It ships with every CPython, so it needs no download. The topics are joined in sorted key
    order with a blank line between them, so the string is the same on every run of one Python
    version (about 465k characters, ~100 distinct ones, on 3.11).
    """
    from pydoc_data.topics import topics

    return "\n\n".join(topics[key] for key in sorted(topics))


def text_file(path: str | Path, encoding: str = "utf-8") -> str:
    """The whole contents of a text file (UTF-8 by default) as one string."""
    return Path(path).read_text(encoding=encoding)


class CharVocab:
    """A character vocabulary: the distinct characters of ``text``, in sorted order.

    ``encode`` maps a string to an int64 Tensor of indices; ``decode`` maps indices back:
    ``vocab.decode(vocab.encode(s)) == s`` for any ``s`` made of vocabulary characters.
    """

    def __init__(self, text: str):
        if not text:
            raise ValueError("CharVocab: text is empty; there are no characters to index")
        self.itos: list[str] = sorted(set(text))
        self.stoi: dict[str, int] = {ch: i for i, ch in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, ch: str) -> bool:
        return ch in self.stoi

    def __repr__(self) -> str:
        return f"CharVocab({len(self)} characters)"

    def encode(self, text: str) -> Tensor:
        """Indices of the characters of ``text``: int64 Tensor (len(text),)."""
        try:
            ids = [self.stoi[ch] for ch in text]
        except KeyError as e:
            raise KeyError(
                f"CharVocab.encode: character {e.args[0]!r} is not in the vocabulary"
            ) from None
        return from_numpy(np.array(ids, dtype=np.int64))

    def decode(self, ids) -> str:
        """The string for a sequence of indices (Tensor, array or list of ints)."""
        if isinstance(ids, Tensor):
            ids = ids.numpy()
        flat = np.asarray(ids).reshape(-1)
        n = len(self.itos)
        bad = flat[(flat < 0) | (flat >= n)]
        if bad.size:
            raise IndexError(f"CharVocab.decode: index {int(bad[0])} is outside [0, {n})")
        return "".join(self.itos[int(i)] for i in flat)

    def counts(self, text_or_ids) -> Tensor:
        """How often each vocabulary entry occurs: int64 Tensor (len(self),)."""
        ids = self.encode(text_or_ids) if isinstance(text_or_ids, str) else text_or_ids
        arr = ids.numpy() if isinstance(ids, Tensor) else np.asarray(ids)
        return from_numpy(np.bincount(arr.reshape(-1), minlength=len(self)).astype(np.int64))


def train_val_split(data, val_fraction: float = 0.1):
    """Split a string or 1-D sequence in order: the first part trains, the last ``val_fraction``
    validates (no shuffling, so validation text is unseen text that follows the training text).
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"train_val_split: val_fraction must be in (0, 1), got {val_fraction}")
    n = len(data)
    cut = n - int(round(val_fraction * n))
    if cut <= 0 or cut >= n:
        raise ValueError(
            f"train_val_split: {n} items with val_fraction {val_fraction} leaves one part empty"
        )
    return data[:cut], data[cut:]


def batchify(ids, batch_size: int) -> Tensor:
    """Lay a 1-D stream out as ``batch_size`` contiguous rows: (batch_size, len // batch_size).

    Row b is the stream's b-th slice; the tail that doesn't fill a row is dropped. Reading the
    columns in chunks of T gives truncated-BPTT batches whose carried state continues each row.
    """
    arr = ids.numpy() if isinstance(ids, Tensor) else np.asarray(ids)
    if arr.ndim != 1:
        raise ValueError(f"batchify: expected a 1-D stream, got shape {arr.shape}")
    width = len(arr) // batch_size
    if width == 0:
        raise ValueError(f"batchify: {len(arr)} items can't fill {batch_size} rows")
    return from_numpy(np.ascontiguousarray(arr[: batch_size * width].reshape(batch_size, width)))
