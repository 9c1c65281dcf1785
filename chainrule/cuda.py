"""``cr.cuda``: the GPU, as ``torch.cuda`` names it. chainrule runs on NVIDIA GPUs through
CuPy, an optional install (``pip install chainrule[gpu]``); without it, or without a GPU,
``is_available()`` is False and moving a tensor to ``"cuda"`` says how to get one."""

from __future__ import annotations

from . import backend


def is_available() -> bool:
    """Whether CuPy is installed and finds a CUDA GPU."""
    return backend.cuda_available()


def device_count() -> int:
    return backend.cuda_device_count()


def current_device() -> int:
    backend.require_cuda("cuda.current_device")
    return backend.cupy.cuda.Device().id


def set_device(device) -> None:
    """Make GPU ``device`` (an index or ``"cuda:N"``) the current one."""
    backend.require_cuda("cuda.set_device")
    index = device if isinstance(device, int) else backend.as_device(device).index or 0
    backend.cupy.cuda.Device(index).use()


def get_device_name(device=None) -> str:
    """The GPU's name, e.g. ``"NVIDIA H200"`` (default: the current GPU)."""
    backend.require_cuda("cuda.get_device_name")
    index = device if isinstance(device, int) else None
    if device is not None and index is None:
        index = backend.as_device(device).index
    name = backend.cupy.cuda.runtime.getDeviceProperties(
        current_device() if index is None else index
    )["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def synchronize(device=None) -> None:
    """Wait until the GPU has finished all the work queued on it (for timing)."""
    backend.synchronize(device)


def manual_seed(seed: int) -> None:
    """Seed the GPU's generator (``cr.manual_seed`` seeds it too)."""
    backend.require_cuda("cuda.manual_seed")
    backend.seed_gpu(seed)


manual_seed_all = manual_seed

__all__ = [
    "is_available",
    "device_count",
    "current_device",
    "set_device",
    "get_device_name",
    "synchronize",
    "manual_seed",
    "manual_seed_all",
]
