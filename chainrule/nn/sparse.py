"""``Embedding``: a table of ``num_embeddings`` learnable vectors, looked up by integer index.

    y[..., :] = weight[input[...], :]     input (...) integers → y (..., embedding_dim)

Initialised N(0, 1) like torch; the ``padding_idx`` row starts at zeros and gets no gradient.
"""

from __future__ import annotations

from .. import backend
from ..autograd.grad_mode import no_grad
from ..functions.embedding import _normalize_padding_idx, embedding
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


__all__ = ["Embedding"]
