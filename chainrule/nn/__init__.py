"""Neural-network building blocks, shaped like ``torch.nn``."""

from .container import Flatten, Identity, ModuleDict, ModuleList, Sequential, Unflatten
from .module import Module
from .parameter import Buffer, Parameter

__all__ = ["Module", "Parameter", "Buffer", "Sequential", "ModuleList", "ModuleDict",
           "Identity", "Flatten", "Unflatten"]
