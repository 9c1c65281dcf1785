"""``Embedding``: a table of ``num_embeddings`` learnable vectors, looked up by integer index;
``EmbeddingBag``: the sums, means or maxima of bags of them.

    y[..., :] = weight[input[...], :]     input (...) integers → y (..., embedding_dim)
    y[b, :] = reduce_{i ∈ bag b} weight[input[i], :]          (EmbeddingBag)

Initialised N(0, 1) like torch; the ``padding_idx`` row starts at zeros and gets no gradient.
"""

from __future__ import annotations

from .. import backend
from ..autograd.grad_mode import no_grad
from ..functions.embedding import _normalize_padding_idx, embedding
from ..functions.embedding_bag import _MODES, embedding_bag
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import Parameter


class Embedding(Module):
    """Lookup table: ``Embedding(10, 3)(cr.tensor([[1, 2], [4, 9]]))`` has shape (2, 2, 3).

    weight (num_embeddings, embedding_dim) ~ N(0, 1). Arguments as torch's: ``padding_idx``
    (row kept at zero, no gradient), ``max_norm`` / ``norm_type`` (looked-up rows renormalised
    in place), ``scale_grad_by_freq``, ``_weight`` (use this table), ``_freeze``.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight=None,
        _freeze: bool = False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = _normalize_padding_idx(padding_idx, num_embeddings, "Embedding")
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            dt = backend.as_dtype(dtype) or backend.DEFAULT_FLOAT
            self.weight = Parameter(
                backend.np.empty((num_embeddings, embedding_dim), dt), requires_grad=not _freeze
            )
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(
                    f"Embedding: _weight shape {tuple(_weight.shape)} does not match "
                    f"(num_embeddings, embedding_dim) = "
                    f"({num_embeddings}, {embedding_dim})"
                )
            self.weight = Parameter(_weight, requires_grad=not _freeze)
        self._place(device)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0.0

    def forward(self, input: Tensor) -> Tensor:
        return embedding(
            input,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.sparse,
        )

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            s += ", scale_grad_by_freq=True"
        if self.sparse:
            s += ", sparse=True"
        return s

    @classmethod
    def from_pretrained(
        cls,
        embeddings,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """An Embedding whose table is ``embeddings`` (2-D: num_embeddings × embedding_dim),
        frozen (no gradient) unless ``freeze=False``. The padding row is not zeroed."""
        if embeddings.ndim != 2:
            raise ValueError(
                f"Embedding.from_pretrained: embeddings must be 2-D, got shape "
                f"{tuple(embeddings.shape)}"
            )
        rows, cols = embeddings.shape
        data = embeddings.data if isinstance(embeddings, Tensor) else embeddings
        return cls(
            rows,
            cols,
            padding_idx,
            max_norm,
            norm_type,
            scale_grad_by_freq,
            sparse,
            _weight=Tensor(data),
            _freeze=freeze,
        )


class EmbeddingBag(Module):
    """Bags of embeddings reduced without the intermediate lookup:
    ``EmbeddingBag(10, 3, mode="sum")(cr.tensor([1, 2, 4, 5]), cr.tensor([0, 2]))`` has shape
    (2, 3). ``forward(input, offsets=None, per_sample_weights=None)`` as
    ``F.embedding_bag``: a 2-D input is one bag per row; a 1-D input is cut at ``offsets``.

    weight (num_embeddings, embedding_dim) ~ N(0, 1), the ``padding_idx`` row zeroed; mode
    'sum', 'mean' (the default) or 'max'.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        _weight=None,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if mode not in _MODES:
            raise ValueError(f"EmbeddingBag: mode has to be one of sum, mean or max, got {mode!r}")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.padding_idx = _normalize_padding_idx(padding_idx, num_embeddings, "EmbeddingBag")
        if _weight is None:
            dt = backend.as_dtype(dtype) or backend.DEFAULT_FLOAT
            self.weight = Parameter(backend.np.empty((num_embeddings, embedding_dim), dt))
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(
                    f"EmbeddingBag: _weight shape {tuple(_weight.shape)} does not match "
                    f"(num_embeddings, embedding_dim) = ({num_embeddings}, {embedding_dim})"
                )
            self.weight = Parameter(_weight)
        self.mode, self.sparse, self.include_last_offset = mode, sparse, include_last_offset
        self._place(device)

    reset_parameters = Embedding.reset_parameters

    def forward(self, input: Tensor, offsets=None, per_sample_weights=None) -> Tensor:
        return embedding_bag(
            input,
            self.weight,
            offsets,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.mode,
            self.sparse,
            per_sample_weights,
            self.include_last_offset,
            self.padding_idx,
        )

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            s += ", scale_grad_by_freq=True"
        s += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s

    @classmethod
    def from_pretrained(
        cls,
        embeddings,
        freeze: bool = True,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
    ) -> EmbeddingBag:
        """An EmbeddingBag whose table is ``embeddings`` (2-D), frozen (no gradient) unless
        ``freeze=False``. The padding row is not zeroed."""
        if embeddings.ndim != 2:
            raise ValueError(
                f"EmbeddingBag.from_pretrained: embeddings must be 2-D, got shape "
                f"{tuple(embeddings.shape)}"
            )
        rows, cols = embeddings.shape
        data = embeddings.data if isinstance(embeddings, Tensor) else embeddings
        m = cls(
            rows,
            cols,
            max_norm,
            norm_type,
            scale_grad_by_freq,
            mode,
            sparse,
            _weight=Tensor(data),
            include_last_offset=include_last_offset,
            padding_idx=padding_idx,
        )
        m.weight.requires_grad_(not freeze)
        return m


__all__ = ["Embedding", "EmbeddingBag"]
