"""``Parameter``: a leaf Tensor that a Module registers as a learnable weight."""

from __future__ import annotations

from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor that requires grad by default and is found by ``Module.parameters()``."""

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = []
        super().__init__(
            data.detach() if isinstance(data, Tensor) else data, requires_grad=requires_grad
        )

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, proto):
        return (Parameter, (self.data, self.requires_grad))


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute."""

    def __init__(self, data, persistent: bool = True):
        super().__init__(data)
        self.persistent = persistent
