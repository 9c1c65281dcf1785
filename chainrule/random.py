"""The CPU random generator's seed and state, as ``torch.random``: ``manual_seed``, ``seed``,
``initial_seed``, ``get_rng_state``, ``set_rng_state`` and ``fork_rng``.

The generator is ``backend.rng()``, a NumPy ``Generator`` on PCG64 that ``manual_seed``
replaces. Its state is 128-bit ``state`` and ``inc`` words plus a buffered 32-bit half-draw;
``get_rng_state`` writes them, and the seed the generator started from (so that
``initial_seed`` comes back too, as in torch), as 53 little-endian bytes in a uint8 tensor.
torch's state is 5056 bytes of Mersenne Twister: the two are not interchangeable.
"""

from __future__ import annotations

import contextlib

from . import backend
from .tensor import Tensor

_STATE_BYTES = 53  # state (16), inc (16), has_uint32 (1), uinteger (4), seed (16)


def manual_seed(seed: int):
    """Seed chainrule's generators (the CPU's and the GPU's) with the integer ``seed``; a
    negative one counts as 2⁶⁴ + seed, as in torch."""
    try:
        seed = int(seed)
    except (TypeError, ValueError) as e:
        raise TypeError(f"manual_seed: expected an integer seed, got {seed!r}") from e
    # torch takes 64-bit seeds; up to 128 bits here, the size of the seed an unseeded generator
    # drew from the OS, so that manual_seed(initial_seed()) always restarts the stream
    if not -(2**63) <= seed < 2**128:
        raise ValueError(f"manual_seed: seed must be in [-2**63, 2**128), got {seed}")
    return backend.manual_seed(seed % 2**64 if seed < 0 else seed)  # torch: −1 is 2⁶⁴ − 1


def seed() -> int:
    """Seed the generators from the operating system's entropy; return that (63-bit) seed."""
    s = int(backend.np.random.SeedSequence().entropy) % 2**63
    backend.manual_seed(s)
    return s


def initial_seed() -> int:
    """The seed the CPU generator started from: ``manual_seed``'s, or the one drawn from the
    operating system's entropy when nothing seeded it."""
    return int(backend.rng().bit_generator.seed_seq.entropy)


def get_rng_state() -> Tensor:
    """The CPU generator's state as a uint8 tensor of 53 bytes (for ``set_rng_state``)."""
    bit_generator = backend.rng().bit_generator
    state = bit_generator.state
    if state["bit_generator"] != "PCG64":  # pragma: no cover - backend always uses PCG64
        raise ValueError(f"get_rng_state: unsupported generator {state['bit_generator']}")
    words = state["state"]
    raw = (
        int(words["state"]).to_bytes(16, "little")
        + int(words["inc"]).to_bytes(16, "little")
        + bytes([int(state["has_uint32"])])
        + int(state["uinteger"]).to_bytes(4, "little")
        + (int(bit_generator.seed_seq.entropy) % 2**128).to_bytes(16, "little")
    )
    return Tensor(backend.np.frombuffer(raw, dtype=backend.uint8).copy())


def set_rng_state(new_state: Tensor) -> None:
    """Restore the CPU generator to ``new_state``, a tensor from ``get_rng_state``: the draws
    that follow repeat those that followed it."""
    op = "set_rng_state"
    if not isinstance(new_state, Tensor):
        raise TypeError(f"{op}: expected a uint8 Tensor, got {type(new_state).__name__}")
    if new_state.dtype != backend.uint8:
        raise TypeError(f"{op}: expected a uint8 Tensor, got dtype {new_state.dtype}")
    if new_state.shape != (_STATE_BYTES,):
        raise ValueError(
            f"{op}: expected a state of shape ({_STATE_BYTES},), got {tuple(new_state.shape)}"
        )
    raw = bytes(backend.to_host(new_state.data))
    has_uint32 = raw[32]
    if has_uint32 > 1:
        raise ValueError(f"{op}: invalid state (byte 32 must be 0 or 1, got {has_uint32})")
    seed = int.from_bytes(raw[37:], "little")
    generator = backend.rng()
    if int(generator.bit_generator.seed_seq.entropy) != seed:  # another seed's generator
        generator = backend.np.random.Generator(backend.np.random.PCG64(seed))
        _install(generator)
    generator.bit_generator.state = {
        "bit_generator": "PCG64",
        "state": {
            "state": int.from_bytes(raw[:16], "little"),
            "inc": int.from_bytes(raw[16:32], "little"),
        },
        "has_uint32": has_uint32,
        "uinteger": int.from_bytes(raw[33:37], "little"),
    }


def _install(generator) -> None:
    """Make ``generator`` the CPU generator, leaving the GPU's alone (``backend.manual_seed``
    would reseed both)."""
    backend._rng = generator


@contextlib.contextmanager
def fork_rng(devices=None, enabled: bool = True, _caller="fork_rng", _devices_kw="devices"):
    """Within the block, draw (and seed) as you like; on leaving it, the CPU generator is back
    to its state on entering, so the draws after the block are those there would have been
    without it. ``enabled=False`` makes it a no-op. Only the CPU generator is forked: the
    GPU's (CuPy) draws are not restored, whatever ``devices`` lists."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


__all__ = ["fork_rng", "get_rng_state", "initial_seed", "manual_seed", "seed", "set_rng_state"]
