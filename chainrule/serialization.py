"""``save`` and ``load``: checkpoints as safetensors files, written atomically.

    cr.save({"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 3}, "ckpt.st")
    ckpt = cr.load("ckpt.st")

A file holds every tensor as a named array (safetensors), and the structure around them
(dicts, lists, tuples, numbers, strings) as JSON in the file's metadata. A flat state dict
{name: Tensor} is stored under its own names, so the file is an ordinary safetensors state dict:
``safetensors.torch.load_file`` reads it into torch, and a file written by
``safetensors.torch.save_file`` loads here as a dict of Tensors.

Devices: ``save`` writes host arrays, so a file saved from a GPU holds exactly the header and
tensor bytes that the same values saved on the CPU hold, and it loads anywhere. ``load`` puts
tensors on the CPU unless ``map_location`` says otherwise (``"cuda"``, a dict, a callable), as
torch's argument does.

Writes go to a temporary file beside the target, are flushed to disk, then renamed onto it: a
crash mid-save leaves the previous checkpoint whole. Loads verify a checksum of every tensor, so
a truncated or corrupted file raises ``CheckpointError`` instead of loading partly.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile

from . import backend
from .tensor import Tensor, _wrap

_FORMAT = "chainrule.checkpoint.v1"  # metadata keys; torch ignores them
_STRUCTURE = "chainrule.structure"
_CHECKSUM = "chainrule.sha256"
_NUMPY_DTYPES = {"BOOL", "U8", "I8", "U16", "I16", "U32", "I32", "U64", "I64", "F16", "F32", "F64"}


class CheckpointError(ValueError):
    """A checkpoint file that can't be read back: truncated, corrupted, or not a checkpoint."""


def _safetensors_numpy():
    try:
        import safetensors.numpy
    except ImportError:
        raise ImportError(
            "chainrule.save/load need the 'safetensors' package: pip install chainrule[checkpoint]"
        ) from None
    return safetensors.numpy


# ---------------------------------------------------------------- structure <-> JSON
# Tensors become {"T": name} and ndarrays {"A": name}; dicts become {"D": [[key, value], ...]}
# (keys may be ints, as in optimizer state) and tuples {"U": [...]}. Lists, str, int, float,
# bool and None are JSON already, and every JSON object is one of these markers.


def _encode(obj, path: str, arrays: dict):
    if isinstance(obj, Tensor) or backend.is_array(obj):
        name = path or "tensor"
        while name in arrays:  # a dotted path can repeat: {"a.b": x, "a": {"b": y}}
            name += "'"
        data = obj.data if isinstance(obj, Tensor) else obj
        arrays[name] = _contiguous(backend.to_host(data))  # a GPU array: its host copy
        return {"T" if isinstance(obj, Tensor) else "A": name}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (backend.np.bool_, backend.np.number)):
        return obj.item()
    prefix = f"{path}." if path else ""
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not (k is None or isinstance(k, (bool, int, float, str))):
                raise TypeError(
                    f"save: dict key {k!r} at '{path}' is a {type(k).__name__}; "
                    f"keys must be str, int, float, bool or None"
                )
            items.append([k, _encode(v, f"{prefix}{k}", arrays)])
        return {"D": items}
    if isinstance(obj, (list, tuple)):
        values = [_encode(v, f"{prefix}{i}", arrays) for i, v in enumerate(obj)]
        return {"U": values} if isinstance(obj, tuple) else values
    raise TypeError(
        f"save: can't store a {type(obj).__name__} at '{path or '<root>'}'; a "
        f"checkpoint holds Tensors, numpy arrays, numbers, strings, None, and "
        f"dicts, lists and tuples of them"
    )


def _decode(node, arrays: dict, tensors):
    """The saved structure rebuilt; each Tensor made is also recorded in ``tensors`` by name."""
    if isinstance(node, list):
        return [_decode(v, arrays, tensors) for v in node]
    if not isinstance(node, dict):
        return node
    ((kind, value),) = node.items()
    if kind == "T":
        return tensors.setdefault(value, _wrap(arrays[value], None))
    if kind == "A":
        return arrays[value]
    if kind == "U":
        return tuple(_decode(v, arrays, tensors) for v in value)
    if kind == "D":
        return {k: _decode(v, arrays, tensors) for k, v in value}
    raise ValueError(f"unknown structure marker {kind!r}")


def _contiguous(a):
    return a if a.flags.c_contiguous else a.copy(order="C")  # ascontiguousarray makes 0-d 1-d


def _checksum(arrays: dict) -> str:
    """SHA-256 over every tensor's name, dtype, shape and bytes, in name order."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = arrays[name]
        h.update(f"{name}\0{a.dtype.str}\0{a.shape}\0".encode())
        h.update(_contiguous(a).reshape(-1).view(backend.np.uint8))
    return h.hexdigest()


# ---------------------------------------------------------------- save
def save(obj, f) -> None:
    """Write ``obj`` (a state dict, or nested dicts/lists/tuples of Tensors, numpy arrays,
    numbers, strings and None) to the path ``f`` as a safetensors file, atomically.

    ``f`` may also be a writable binary file object (then the bytes are just written to it).
    """
    st = _safetensors_numpy()
    arrays: dict = {}
    is_state_dict = (
        isinstance(obj, dict)
        and obj
        and all(isinstance(k, str) and isinstance(v, Tensor) for k, v in obj.items())
    )
    if is_state_dict:  # tensors under their own names: a plain safetensors state dict
        structure = {"D": [[k, _encode(v, k, arrays)] for k, v in obj.items()]}
    else:
        structure = _encode(obj, "", arrays)
    metadata = {
        "format": "pt",  # what safetensors.torch.save_file writes; some readers look for it
        _FORMAT: "1",
        _STRUCTURE: json.dumps(structure),
        _CHECKSUM: _checksum(arrays),
    }
    payload = st.save(arrays, metadata=metadata)
    if hasattr(f, "write"):
        f.write(payload)
        return
    _atomic_write(os.fspath(f), payload)


def _atomic_write(path: str, payload: bytes) -> None:
    """Write to a temporary file in the target's directory, fsync, then rename it over the
    target: readers (and a later crash) see either the old file or the new one, never a mix."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # a plain file's permissions, not mkstemp's 0600
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. platforms that can't open a directory
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


# ---------------------------------------------------------------- load
def _read_header(payload: bytes, where: str) -> dict:
    """The safetensors header: 8 bytes of little-endian length, then that many bytes of JSON."""
    if len(payload) < 8:
        raise CheckpointError(
            f"load: {where} is not a checkpoint: only {len(payload)} bytes (truncated?)"
        )
    n = int.from_bytes(payload[:8], "little")
    if n > len(payload) - 8:
        raise CheckpointError(
            f"load: {where} is truncated or not a safetensors file: its header "
            f"claims {n} bytes but the file has {len(payload)}"
        )
    try:
        header = json.loads(payload[8 : 8 + n])
    except (UnicodeDecodeError, ValueError) as e:
        raise CheckpointError(f"load: {where} is corrupted: unreadable header ({e})") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"load: {where} is corrupted: the header is not a JSON object")
    return header


def _placer(map_location):
    """The function that moves one loaded (CPU) Tensor where ``map_location`` says."""
    if map_location is None:
        return lambda t: t
    if isinstance(map_location, (str, backend.Device)):
        device = backend.as_device(map_location)
        backend.module_for(device)  # no CuPy or no GPU: say so before reading the file
        return lambda t: t.to(device)
    if isinstance(map_location, dict):
        targets = {str(backend.as_device(k)): backend.as_device(v) for k, v in map_location.items()}
        device = targets.get("cpu")
        return (lambda t: t) if device is None else (lambda t: t.to(device))
    if callable(map_location):

        def place(t):
            moved = map_location(t, "cpu")
            if moved is None:
                return t
            if not isinstance(moved, Tensor):
                raise TypeError(
                    f"load: map_location returned a {type(moved).__name__}; it must return "
                    f"a Tensor (or None to keep the tensor on the CPU)"
                )
            return moved

        return place
    raise TypeError(
        f"load: map_location must be None, a device ('cpu', 'cuda', 'cuda:1', cr.device), a "
        f"dict of saved location to device, or a callable; got {map_location!r}"
    )


def load(f, map_location=None):
    """Read a checkpoint written by ``save`` (or any safetensors file) back.

    Tensors come back as chainrule Tensors (not requiring grad), with their dtypes; the
    structure around them is rebuilt as saved. A safetensors file without chainrule's
    metadata (e.g. from ``safetensors.torch.save_file``) loads as a dict of name → Tensor.
    Raises ``CheckpointError`` (a ValueError) naming the file if it is truncated or corrupted.

    ``map_location`` says where the Tensors go, as in ``torch.load``:

    * ``None`` (default) or ``"cpu"``: the CPU. torch's default restores each tensor's saved
      device instead; ``save`` always writes host arrays, and every tensor's saved location
      is ``"cpu"``, so the CPU is where a file's tensors came from as far as it records.
    * a device (``"cuda"``, ``"cuda:1"``, ``cr.device("cuda", 0)``): every Tensor there.
    * a dict from saved location to device, e.g. ``{"cpu": "cuda:0"}``; the only saved
      location is ``"cpu"``, so other keys (``"cuda:0"``) match nothing.
    * a callable ``fn(tensor, "cpu")`` returning the Tensor to use, or None to keep it.

    Plain NumPy arrays in the structure stay NumPy arrays.
    """
    place = _placer(map_location)
    st = _safetensors_numpy()
    if hasattr(f, "read"):
        where, payload = f"file object {getattr(f, 'name', f)!r}", f.read()
    else:
        where = repr(os.fspath(f))
        with open(f, "rb") as fh:
            payload = fh.read()
    header = _read_header(payload, where)
    metadata = header.get("__metadata__") or {}
    for name, info in header.items():
        dtype = info.get("dtype") if isinstance(info, dict) and name != "__metadata__" else None
        if dtype is not None and dtype not in _NUMPY_DTYPES:
            raise CheckpointError(
                f"load: {where}: tensor {name!r} has dtype {dtype}, which "
                f"NumPy can't hold; convert it before saving (e.g. .float())"
            )
    try:
        arrays = st.load(payload)
    except Exception as e:  # safetensors' own error type: truncated data, bad offsets, ...
        raise CheckpointError(f"load: {where} is truncated or corrupted: {e}") from None
    arrays = {k: a if a.flags.writeable else a.copy() for k, a in arrays.items()}
    if _STRUCTURE not in metadata:
        return {k: place(_wrap(a, None)) for k, a in arrays.items()}
    if _CHECKSUM in metadata and _checksum(arrays) != metadata[_CHECKSUM]:
        raise CheckpointError(
            f"load: {where} is corrupted: the tensor data doesn't match the "
            f"checksum written with it"
        )
    tensors: dict = {}  # name -> the CPU Tensor decoded, moved below (outside the try)
    try:
        obj = _decode(json.loads(metadata[_STRUCTURE]), arrays, tensors)
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise CheckpointError(
            f"load: {where} is corrupted: bad structure metadata ({type(e).__name__}: {e})"
        ) from None
    if map_location is None:
        return obj
    moved = {id(t): place(t) for t in tensors.values()}
    return _replace_tensors(obj, moved)


def _replace_tensors(obj, moved: dict):
    """``obj`` with each Tensor swapped for ``moved[id(tensor)]``."""
    if isinstance(obj, Tensor):
        return moved[id(obj)]
    if isinstance(obj, list):
        return [_replace_tensors(v, moved) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_replace_tensors(v, moved) for v in obj)
    if isinstance(obj, dict):
        return {k: _replace_tensors(v, moved) for k, v in obj.items()}
    return obj
